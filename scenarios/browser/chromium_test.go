package browser_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/scenarios/browser"
	"github.com/oidclab/oidclab/scenarios/browser/browsertest"
)

func TestFindChromium(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "my-chromium")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(browser.EnvChromium, fake)
	if got, err := browser.FindChromium(""); err != nil || got != fake {
		t.Errorf("with %s set: %q, %v", browser.EnvChromium, got, err)
	}
	// An explicit path wins over the environment.
	if _, err := browser.FindChromium(filepath.Join(dir, "absent")); !errors.Is(err, browser.ErrNoBrowser) {
		t.Errorf("explicit missing path: %v, want ErrNoBrowser", err)
	}
	t.Setenv(browser.EnvChromium, filepath.Join(dir, "absent"))
	_, err := browser.FindChromium("")
	var nb *browser.NoBrowserError
	if !errors.As(err, &nb) || !errors.Is(err, browser.ErrNoBrowser) || len(nb.Tried) != 1 {
		t.Errorf("missing %s: %v, want a NoBrowserError naming it", browser.EnvChromium, err)
	}
}

func TestNewChromiumErrors(t *testing.T) {
	_, err := browser.NewChromium(context.Background(), browser.ChromiumOptions{ExecPath: "/nonexistent/chromium"})
	if !errors.Is(err, browser.ErrNoBrowser) {
		t.Errorf("missing executable: %v, want ErrNoBrowser", err)
	}
	_, err = browser.NewChromium(context.Background(), browser.ChromiumOptions{Timeout: -1, MaxHops: -2})
	if err == nil || errors.Is(err, browser.ErrNoBrowser) {
		t.Fatalf("invalid options: %v", err)
	}
	for _, field := range []string{"Timeout", "MaxHops"} {
		if !contains(err.Error(), field) {
			t.Errorf("error %q does not name %s", err, field)
		}
	}
}

func TestNewHTTPValidates(t *testing.T) {
	_, err := browser.NewHTTP(browser.HTTPOptions{MaxHops: -1, MaxBodyBytes: -1, Timeout: -1})
	for _, field := range []string{"MaxHops", "MaxBodyBytes", "Timeout"} {
		if err == nil || !contains(err.Error(), field) {
			t.Errorf("error %v does not name %s", err, field)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestOpen(t *testing.T) {
	d, err := browser.Open(context.Background(), browser.KindHTTP, browser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.(*browser.HTTP); !ok {
		t.Errorf("Open(http) = %T", d)
	}
	_ = d.Close()
	if _, err := browser.Open(context.Background(), "firefox", browser.Options{}); err == nil || !strings.Contains(err.Error(), "chromium") {
		t.Errorf("Open(firefox) = %v, want an error listing the kinds", err)
	}
	_, err = browser.Open(context.Background(), browser.KindChromium, browser.Options{Chromium: browser.ChromiumOptions{ExecPath: "/nonexistent"}})
	if !errors.Is(err, browser.ErrNoBrowser) {
		t.Errorf("Open(chromium) without a browser = %v", err)
	}
}

func TestChromiumCloseRemovesProfile(t *testing.T) {
	c := browsertest.Chromium(t, browser.ChromiumOptions{})
	dir := c.ProfileDir()
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("profile directory: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("profile %s still there after Close: %v", dir, err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := c.Get(context.Background(), "http://127.0.0.1:1/"); err == nil {
		t.Errorf("Get after Close succeeded")
	}
}
