package oidc

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/gateway/oidc/oidctest"
)

// A client must not be able to hand the upstream identity headers of its own making: every
// configured upstream header is the plugin's to set or to remove.
func TestForgedUpstreamHeadersNeverReachTheUpstream(t *testing.T) {
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	t.Cleanup(failing.Close)
	otherUser := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"sub":"00u2other"}`))
	}))
	t.Cleanup(otherUser.Close)

	tests := []struct {
		name     string
		userinfo string // userinfo_endpoint
		session  bool   // a session request, else a bearer one
	}{
		{name: "bearer, user info fails", userinfo: failing.URL},
		{name: "bearer, user info answers", userinfo: ""},
		{name: "session, user info fails", userinfo: failing.URL, session: true},
		{name: "session, user info about another user", userinfo: otherUser.URL, session: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
				cfg["auth_methods"] = []any{"authorization_code", "session", "bearer"}
				cfg["upstream_id_token_header"] = "X-Id-Token"
				cfg["upstream_user_info_header"] = "X-Userinfo"
				if tt.userinfo != "" {
					cfg["userinfo_endpoint"] = tt.userinfo
				}
			})
			req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/anything", nil)
			if tt.session {
				resp, _ := h.login()
				for _, c := range resp.Cookies() {
					req.AddCookie(c)
				}
			} else {
				req.Header.Set("Authorization", "Bearer "+h.op.Sign(accessClaims(h.op)))
			}
			req.Header.Set("X-Id-Token", "forged-id-token")
			req.Header.Set("X-Userinfo", "forged-userinfo")
			resp, body := mustDo(t, rawClient(t), req)
			var e echo
			if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &e) != nil {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			for _, name := range []string{"X-Id-Token", "X-Userinfo"} {
				if strings.HasPrefix(e.Headers[name], "forged") {
					t.Errorf("the client's %s reached the upstream", name)
				}
			}
		})
	}
}
