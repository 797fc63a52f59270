package oidc

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc/oidctest"
)

// TestCookiesBoundToTheirPlugin: two openid-connect plugins on one host (/app and /admin) share
// the cookie names and, without session_secret or with the same one, the secret. A session or
// state cookie one of them issued must read as "no cookie" at the other.
func TestCookiesBoundToTheirPlugin(t *testing.T) {
	tests := []struct {
		name       string
		secretA    string
		secretB    string
		otherPlace bool // B has another decK identity (id, service or route)
		otherID    bool // B uses another client of the same IdP
		foreign    bool // B must refuse A's cookies
	}{
		{name: "the same plugin after a reload", foreign: false},
		{name: "no session_secret, another route", otherPlace: true, foreign: true},
		{name: "same session_secret, another route", secretA: "one secret for every plugin!!!!!", secretB: "one secret for every plugin!!!!!", otherPlace: true, foreign: true},
		{name: "same session_secret, another client", secretA: "one secret for every plugin!!!!!", secretB: "one secret for every plugin!!!!!", otherID: true, foreign: true},
		{name: "different secrets", secretA: "secret of the app plugin........", secretB: "secret of the admin plugin......", foreign: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
				if tt.secretA != "" {
					cfg["session_secret"] = tt.secretA
				}
			})
			cfgB := maps.Clone(h.cfg)
			delete(cfgB, "session_secret")
			if tt.secretB != "" {
				cfgB["session_secret"] = tt.secretB
			}
			if tt.otherID {
				cfgB["client_id"] = []any{"client-admin"}
			}
			parsed, err := ParseConfig(cfgB, nil)
			if err != nil {
				t.Fatal(err)
			}
			parsed.Instance = h.p.cfg.Instance
			if tt.otherPlace {
				parsed.Instance = "route:admin"
			}
			b, err := newPlugin(parsed, gateway.PluginEnv{}, h.clock.Now)
			if err != nil {
				t.Fatal(err)
			}
			upstream := false
			admin := b.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				upstream = true
				if c := r.Header.Get("Cookie"); strings.Contains(c, "session=") || strings.Contains(c, "authorization=") {
					t.Errorf("plugin cookies reached the upstream: %q", c)
				}
			}))
			serveB := func(req *http.Request) int {
				host, port, _ := strings.Cut(req.Host, ":")
				n, _ := strconv.Atoi(port)
				info := &gateway.RequestInfo{Scheme: "http", Host: host, Port: n, Path: req.URL.Path}
				rec := httptest.NewRecorder()
				upstream = false
				admin.ServeHTTP(rec, req.WithContext(gateway.WithRequestInfo(req.Context(), info)))
				return rec.Code
			}

			// The session cookie from a login at A.
			resp, _ := h.login()
			var session *http.Cookie
			for _, c := range resp.Cookies() {
				if c.Name == "session" && c.Value != "" {
					session = c
				}
			}
			if session == nil {
				t.Fatalf("no session cookie after the login at A: %v", resp.Header["Set-Cookie"])
			}
			req := httptest.NewRequest(http.MethodGet, h.srv.URL+"/admin", nil)
			req.AddCookie(session)
			code := serveB(req)
			if tt.foreign && (upstream || code != http.StatusFound) {
				t.Errorf("A's session cookie at B: status %d, upstream reached %v; want a new login", code, upstream)
			}
			if !tt.foreign && !upstream {
				t.Errorf("the same plugin refused its own session cookie: status %d", code)
			}

			// The state cookie of a login started at A, with A's callback, sent to B.
			_, state, q := h.startLogin("/anything")
			params := h.authorize(q)
			req = httptest.NewRequest(http.MethodGet, h.srv.URL+"/admin?"+params.Encode(), nil)
			req.AddCookie(state)
			code = serveB(req)
			if tt.foreign && (upstream || code != http.StatusFound) {
				t.Errorf("A's state cookie at B: status %d, upstream reached %v; want a new login", code, upstream)
			}
		})
	}
}
