package oidc

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNormalizeIssuer(t *testing.T) {
	tests := []struct{ in, url, iss string }{
		{"https://o.okta.com/oauth2/default", "https://o.okta.com/oauth2/default/.well-known/openid-configuration", "https://o.okta.com/oauth2/default"},
		{"https://o.okta.com/oauth2/default/", "https://o.okta.com/oauth2/default/.well-known/openid-configuration", "https://o.okta.com/oauth2/default"},
		{"https://o.okta.com/oauth2/default/.well-known/oauth-authorization-server", "https://o.okta.com/oauth2/default/.well-known/oauth-authorization-server", "https://o.okta.com/oauth2/default"},
		{"https://o.okta.com/.well-known/openid-configuration/", "https://o.okta.com/.well-known/openid-configuration", "https://o.okta.com"},
	}
	for _, tt := range tests {
		u, iss := NormalizeIssuer(tt.in)
		if u != tt.url || iss != tt.iss {
			t.Errorf("NormalizeIssuer(%q) = %q, %q; want %q, %q", tt.in, u, iss, tt.url, tt.iss)
		}
	}
}

// A failing discovery is retried at most once per retryFailedFetch counted from when the failure
// ended: requests queued behind a slow failing fetch get its error instead of fetching again,
// each waiting a full timeout.
func TestDiscoveryFailureIsRateLimited(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		clock.Advance(5 * time.Second) // a slow answer: time passes while it is fetched
		w.WriteHeader(http.StatusBadGateway)
	}))
	t.Cleanup(srv.Close)
	d := &discoverer{url: srv.URL, issuer: srv.URL, client: newHTTPClient(time.Minute), lifetime: 30 * time.Second, now: clock.Now}
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := d.get(t.Context()); err == nil {
				t.Error("discovery succeeded against a failing provider")
			}
		}()
	}
	wg.Wait()
	if n := fetches.Load(); n != 1 {
		t.Errorf("%d discovery fetches for 10 concurrent requests, want 1", n)
	}
	clock.Advance(retryFailedFetch)
	d.get(t.Context())
	if n := fetches.Load(); n != 2 {
		t.Errorf("%d discovery fetches after the retry interval, want 2", n)
	}
}

// An unreachable provider's error names the discovery URL once (the *url.Error would repeat
// it) and still wraps ErrDiscovery.
func TestDiscoveryErrorNamesURLOnce(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL + wellKnownOIDC
	srv.Close()
	d := &discoverer{url: u, issuer: srv.URL, client: newHTTPClient(time.Second), now: time.Now}
	_, err := d.get(t.Context())
	if !errors.Is(err, ErrDiscovery) {
		t.Fatalf("err = %v, want ErrDiscovery", err)
	}
	if n := strings.Count(err.Error(), u); n != 1 {
		t.Errorf("error names the URL %d times, want once: %v", n, err)
	}
}
