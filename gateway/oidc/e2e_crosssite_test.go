package oidc_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway/oidc"
	"github.com/oidclab/oidclab/lab/labtest"
	"github.com/oidclab/oidclab/scenarios/browser"
	"github.com/oidclab/oidclab/scenarios/browser/browsertest"
)

// slowUser is a browser clock that jumps three minutes when the user submits the IdP's login
// form: past Chrome's two-minute Lax-by-default POST window.
type slowUser struct {
	mu     sync.Mutex
	offset time.Duration
	rt     http.RoundTripper
	idp    string // host:port of the IdP
}

func (s *slowUser) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Add(s.offset)
}

func (s *slowUser) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && r.URL.Host == s.idp {
		s.mu.Lock()
		s.offset += 3 * time.Minute
		s.mu.Unlock()
	}
	return s.rt.RoundTrip(r)
}

func slowDriver(t *testing.T, l *labtest.Lab) *browser.HTTP {
	su := &slowUser{rt: http.DefaultTransport, idp: strings.TrimPrefix(l.Emulator().URL(), "http://")}
	d, err := browser.NewHTTP(browser.HTTPOptions{Now: su.Now, Transport: su})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// The state cookie survives a cross-site form_post that comes back after more than two minutes:
// on loopback it is SameSite=None; Secure, which Chromium sends at any age.
func TestE2ECrossSiteFormPostSlowUser(t *testing.T) {
	l := startLabOnLocalhost(t, nil)
	d := slowDriver(t, l)
	res, err := d.Login(t.Context(), l.URL+"/anything", demo)
	if err != nil {
		t.Fatalf("login: %v\nhops: %+v", err, res)
	}
	if e := readEcho(t, res); e.Method != http.MethodPost {
		t.Errorf("upstream saw %s", e.Method)
	}
	cb := res.Hops[len(res.Hops)-1]
	if !contains(cb.CookiesSent, "authorization") {
		t.Errorf("callback hop did not carry the authorization cookie: %+v", cb)
	}
}

// With authorization_cookie_same_site: Lax the browser withholds the state cookie on the IdP's
// cross-site POST; the re-POST page turns it into a same-origin POST that carries it.
func TestE2ERepostPageRescuesLaxCookie(t *testing.T) {
	l := startLabOnLocalhost(t, labtest.Tutorial("      authorization_cookie_same_site: Lax\n"))
	d := slowDriver(t, l)
	res, err := d.Login(t.Context(), l.URL+"/anything", demo)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if e := readEcho(t, res); e.Method != http.MethodPost {
		t.Errorf("upstream saw %s", e.Method)
	}
	var reposted bool
	for _, e := range l.Of(oidc.EventCallbackReceived) {
		reposted = reposted || strings.Contains(e.Message, "re-POST")
	}
	if !reposted {
		t.Error("the login succeeded without the re-POST page: the test does not test it")
	}
}

// Done means: a real browser logs the demo user in through the tutorial's config (form_post,
// PKCE), cross-site (gateway on localhost, IdP on 127.0.0.1); with session added, it stays
// logged in.
func TestE2EChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	for _, tt := range []struct {
		name    string
		session bool
		extra   string
	}{
		{"tutorial", false, ""},
		{"tutorial with session", true, ""},
		// Chromium withholds a Lax state cookie on the IdP's cross-site POST; the re-POST page's
		// script (allowed by its CSP hash) resubmits same-origin. The driver would submit a stuck
		// form itself only after AutoSubmitWait, so a CSP mistake shows as a timeout.
		{"lax state cookie rescued by the re-POST page", false, "      authorization_cookie_same_site: Lax\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			deck := labtest.Tutorial(tt.extra)
			if tt.session {
				deck = withSession(deck)
			}
			l := startLabOnLocalhost(t, deck)
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			c := browsertest.Chromium(t, browser.ChromiumOptions{AutoSubmitWait: time.Minute, Timeout: 90 * time.Second})
			res, err := c.Login(ctx, l.URL+"/anything", demo)
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			if e := readEcho(t, res); e.Method != http.MethodPost || !strings.HasPrefix(e.Headers["Authorization"], "Bearer ") {
				t.Errorf("upstream saw %s with Authorization %q", e.Method, e.Headers["Authorization"])
			}
			if len(l.Of(oidc.EventIDTokenVerified)) != 1 {
				t.Fatal("no verified id token")
			}
			if tt.extra != "" {
				// The re-POST page's own script sent it: a POST carrying the marker field, noted as
				// auto-submitted (the driver's fallback would be noted "(by the driver)").
				var selfSubmitted bool
				for _, h := range res.Hops {
					selfSubmitted = selfSubmitted || h.Method == http.MethodPost && h.Note == "auto-submitted form" && contains(h.FormFields, "oidclab_reposted")
				}
				if !selfSubmitted {
					t.Errorf("no hop of the re-POST page submitting itself: %+v", res.Hops)
				}
			}
			res, err = c.Get(ctx, l.URL+"/anything/next")
			if err != nil {
				t.Fatal(err)
			}
			readEcho(t, res)
			want := 2 // no session: the next page load goes through the IdP again
			if tt.session {
				want = 1
			}
			if n := len(l.Of(oidc.EventLoginStarted)); n != want {
				t.Errorf("%d logins started, want %d", n, want)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
