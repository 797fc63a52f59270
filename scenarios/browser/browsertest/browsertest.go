// Package browsertest starts browser drivers for tests, with one rule for a missing Chromium:
// skip with a clear message, unless OIDCLAB_REQUIRE_BROWSER=1 (CI sets it), then fail.
package browsertest

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/oidclab/oidclab/scenarios/browser"
)

// EnvRequireBrowser makes a missing Chromium a test failure instead of a skip.
const EnvRequireBrowser = "OIDCLAB_REQUIRE_BROWSER"

// Chromium starts a headless Chromium for t and closes it when t ends. Without a Chromium
// executable it skips t, or fails it when OIDCLAB_REQUIRE_BROWSER=1.
func Chromium(t testing.TB, opts browser.ChromiumOptions) *browser.Chromium {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := browser.NewChromium(ctx, opts)
	if errors.Is(err, browser.ErrNoBrowser) {
		if os.Getenv(EnvRequireBrowser) == "1" {
			t.Fatalf("%v (%s=1: browser tests must run)", err, EnvRequireBrowser)
		}
		t.Skipf("skipping the real-browser test: %v (set %s=1 to make this a failure)", err, EnvRequireBrowser)
	}
	if err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("closing Chromium: %v", err)
		}
	})
	return c
}

// HTTP returns an HTTP driver for t, closed when t ends.
func HTTP(t testing.TB, opts browser.HTTPOptions) *browser.HTTP {
	t.Helper()
	d, err := browser.NewHTTP(opts)
	if err != nil {
		t.Fatalf("NewHTTP: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}
