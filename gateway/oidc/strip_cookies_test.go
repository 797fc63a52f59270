package oidc

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/gateway/oidc/oidctest"
)

// The plugin's cookies (the session carries an encrypted refresh token) are the plugin's:
// whatever path a request takes through it, the upstream never sees them.
func TestPluginCookiesNeverReachTheUpstream(t *testing.T) {
	const foreign = "theme=dark"
	t.Run("bearer request with stray plugin cookies", func(t *testing.T) {
		h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
			cfg["auth_methods"] = []any{"bearer"}
		})
		req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/api", nil)
		req.Header.Set("Authorization", "Bearer "+h.op.Sign(accessClaims(h.op)))
		req.Header.Set("Cookie", "session=a; session2=b; "+foreign+"; authorization=c")
		resp, body := mustDo(t, rawClient(t), req)
		var e echo
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &e) != nil {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		if e.Cookie != foreign {
			t.Errorf("upstream Cookie %q, want %q", e.Cookie, foreign)
		}
	})
	t.Run("re-POSTed callback with a valid session", func(t *testing.T) {
		h := newHarness(t, nil)
		resp, _ := h.login()
		var session *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == "session" {
				session = c
			}
		}
		if session == nil {
			t.Fatal("no session cookie")
		}
		_, state, q := h.startLogin("/anything")
		params := h.authorize(q)
		form := url.Values{"code": {params.Get("code")}, "state": {params.Get("state")}, "iss": {params.Get("iss")}, repostMarker: {"1"}}
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/anything", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(state)
		req.AddCookie(session)
		req.Header.Add("Cookie", foreign)
		resp, body := mustDo(t, rawClient(t), req)
		var e echo
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &e) != nil {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		if e.Cookie != foreign {
			t.Errorf("upstream Cookie %q, want %q", e.Cookie, foreign)
		}
	})
}
