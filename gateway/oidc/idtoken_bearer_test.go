package oidc

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc/oidctest"
)

// An ID token proves a login to this client; it does not authorize API calls. Kong accepts it
// as a bearer token; oidclab does not.
func TestIDTokenRefusedAsBearer(t *testing.T) {
	idClaims := func(op *oidctest.Provider) map[string]any {
		now := time.Now()
		return map[string]any{"iss": op.Issuer, "sub": "00u1demo", "aud": testClientID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	}
	tests := []struct {
		name  string
		token func(op *oidctest.Provider) string
		want  gateway.Reason // "" : accepted
	}{
		{"ID token with nonce", func(op *oidctest.Provider) string {
			c := idClaims(op)
			c["nonce"] = "n-0S6_WzA2Mj"
			return op.Sign(c)
		}, ReasonIDTokenAsBearer},
		{"ID token with at_hash", func(op *oidctest.Provider) string {
			c := idClaims(op)
			c["at_hash"] = "77QmUPtjPfzWtF2AnpK9RQ"
			return op.Sign(c)
		}, ReasonIDTokenAsBearer},
		{"ID token in a list of audiences", func(op *oidctest.Provider) string {
			c := idClaims(op)
			c["aud"], c["azp"], c["nonce"] = []any{"api://default", testClientID}, testClientID, "n"
			return op.Sign(c)
		}, ReasonIDTokenAsBearer},
		{"typ of an ID token", func(op *oidctest.Provider) string {
			return op.SignForged(accessClaims(op), oidctest.Forge{Typ: "id_token+jwt"})
		}, ReasonIDTokenAsBearer},
		{"access token for the API", func(op *oidctest.Provider) string { return op.Sign(accessClaims(op)) }, ""},
		{"nonce, but for another audience", func(op *oidctest.Provider) string {
			c := accessClaims(op)
			c["nonce"] = "n"
			return op.Sign(c)
		}, ""},
		{"at+jwt access token for our client id", func(op *oidctest.Provider) string {
			c := idClaims(op)
			return op.SignForged(c, oidctest.Forge{Typ: "at+jwt"})
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
				cfg["auth_methods"] = []any{"bearer"}
			})
			resp, _ := bearerRequest(t, h, tt.token(h.op))
			if tt.want == "" {
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d, want 200 (events:%s)", resp.StatusCode, h.events.summary())
				}
				return
			}
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
			if e := h.events.last(t, EventAuthFailed); e.Reason != tt.want || e.Explain == "" {
				t.Errorf("reason %q (explain %q), want %q", e.Reason, e.Explain, tt.want)
			}
		})
	}
}

// bearer without audience_required accepts any token the issuer signed, for any API: that is
// worth a warning at load.
func TestBearerWithoutAudienceWarns(t *testing.T) {
	tests := []struct {
		name string
		cfg  map[string]any
		warn bool
	}{
		{"bearer, no audience_required", map[string]any{"auth_methods": []any{"bearer"}}, true},
		{"bearer with audience_required", map[string]any{"auth_methods": []any{"bearer"}, "audience_required": []any{"api://default"}}, false},
		{"no bearer", map[string]any{"auth_methods": []any{"authorization_code"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.cfg["issuer"], tt.cfg["client_id"] = "http://127.0.0.1:9/oauth2/default", []any{"c"}
			cfg, err := ParseConfig(tt.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
			if _, err := newPlugin(cfg, gateway.PluginEnv{Logger: logger}, time.Now); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(buf.String(), "audience_required"); got != tt.warn {
				t.Errorf("warned %v, want %v: %s", got, tt.warn, buf.String())
			}
		})
	}
}
