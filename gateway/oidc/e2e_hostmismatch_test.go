package oidc_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/scenarios/browser"
	"github.com/oidclab/oidclab/scenarios/browser/browsertest"
)

// TestE2EChromiumStartedOnOtherLoopbackName is the most common local mistake: the user opens
// localhost while the redirect URI is 127.0.0.1. The state cookie stays on localhost, the
// form_post callback arrives without it, the re-POST page cannot help (another host), and the
// gateway starts a new login on 127.0.0.1. That new login's 302 to the IdP answers a form
// submission, so the re-POST page's CSP must allow it as a form target; the IdP's SSO then
// completes the login on 127.0.0.1.
func TestE2EChromiumStartedOnOtherLoopbackName(t *testing.T) {
	l := startLab(t, nil)
	start := strings.Replace(l.URL, "127.0.0.1", "localhost", 1) + "/anything"
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c := browsertest.Chromium(t, browser.ChromiumOptions{Timeout: 90 * time.Second})
	res, err := c.Login(ctx, start, demo)
	// The login ends on the redirect URI's host, not where it started: the driver says so.
	if !errors.Is(err, browser.ErrNotReturned) {
		for _, h := range hopsOf(res) {
			t.Log(h)
		}
		t.Fatalf("login: %v, want it to complete on %s", err, l.URL)
	}
	if !strings.HasPrefix(res.URL, l.URL) {
		t.Errorf("ended on %s, want %s", res.URL, l.URL)
	}
	if e := readEcho(t, res); e.Method != http.MethodPost || !strings.HasPrefix(e.Headers["Authorization"], "Bearer ") {
		t.Errorf("upstream saw %s with Authorization %q", e.Method, e.Headers["Authorization"])
	}
}

func hopsOf(res *browser.Result) []string {
	if res == nil {
		return nil
	}
	var out []string
	for _, h := range res.Hops {
		out = append(out, h.Method+" "+h.URL+" "+http.StatusText(h.Status)+" "+h.Note)
	}
	return out
}
