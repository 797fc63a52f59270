package oidc

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc/oidctest"
)

// The plugin's own time checks, each in the window where go-oidc's built-in 5-minute nbf
// allowance would not catch it, and a leeway above 5 minutes that go-oidc must not override.
func TestTimeChecksWithLeeway(t *testing.T) {
	tests := []struct {
		name    string
		leeway  int
		bearer  bool // a bearer access token, else a login's ID token
		claims  func(c map[string]any, now time.Time)
		want    gateway.Reason // "" : accepted
		message string         // the refusal's message contains
	}{
		{name: "ID token nbf 2 minutes ahead, leeway 0", claims: func(c map[string]any, now time.Time) { c["nbf"] = now.Add(2 * time.Minute).Unix() },
			want: ReasonClockSkew, message: "not valid for another"},
		{name: "ID token nbf 2 minutes ahead, leeway 180", leeway: 180, claims: func(c map[string]any, now time.Time) { c["nbf"] = now.Add(2 * time.Minute).Unix() }},
		{name: "ID token nbf 7 minutes ahead, leeway 600", leeway: 600, claims: func(c map[string]any, now time.Time) { c["nbf"] = now.Add(7 * time.Minute).Unix() }},
		{name: "ID token expired 7 minutes ago, leeway 600", leeway: 600, claims: func(c map[string]any, now time.Time) {
			c["iat"], c["exp"] = now.Add(-8*time.Minute).Unix(), now.Add(-7*time.Minute).Unix()
		}},
		{name: "ID token expired 7 minutes ago, leeway 0", claims: func(c map[string]any, now time.Time) {
			c["iat"], c["exp"] = now.Add(-8*time.Minute).Unix(), now.Add(-7*time.Minute).Unix()
		}, want: ReasonIDTokenExpired, message: "expired"},
		{name: "access token iat 2 minutes ahead", bearer: true, claims: func(c map[string]any, now time.Time) { c["iat"] = now.Add(2 * time.Minute).Unix() },
			want: ReasonClockSkew, message: "iat is"},
		{name: "access token nbf 2 minutes ahead", bearer: true, claims: func(c map[string]any, now time.Time) { c["nbf"] = now.Add(2 * time.Minute).Unix() },
			want: ReasonClockSkew, message: "nbf is"},
		{name: "access token nbf 7 minutes ahead, leeway 600", bearer: true, leeway: 600, claims: func(c map[string]any, now time.Time) { c["nbf"] = now.Add(7 * time.Minute).Unix() }},
		{name: "access token without exp", bearer: true, claims: func(c map[string]any, now time.Time) { delete(c, "exp") },
			want: ReasonTokenExpired, message: "exp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
				cfg["leeway"] = tt.leeway
				if tt.bearer {
					cfg["auth_methods"] = []any{"bearer"}
				}
			})
			var status int
			var kind gateway.EventKind
			if tt.bearer {
				c := accessClaims(h.op)
				tt.claims(c, h.clock.Now())
				resp, _ := bearerRequest(t, h, h.op.Sign(c))
				status, kind = resp.StatusCode, EventAuthFailed
			} else {
				h.op.SetForge(oidctest.Forge{Claims: func(c map[string]any) { tt.claims(c, h.clock.Now()) }})
				resp, _ := h.login()
				status, kind = resp.StatusCode, EventIDTokenRejected
			}
			if tt.want == "" {
				if status != http.StatusOK {
					t.Fatalf("status %d, want 200 (events:%s)", status, h.events.summary())
				}
				return
			}
			if status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", status)
			}
			if e := h.events.last(t, kind); e.Reason != tt.want || !strings.Contains(e.Message, tt.message) {
				t.Errorf("reason %q message %q, want %q with %q", e.Reason, e.Message, tt.want, tt.message)
			}
		})
	}
}
