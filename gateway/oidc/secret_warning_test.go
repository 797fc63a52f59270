package oidc_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/deck"
	"github.com/oidclab/oidclab/gateway/oidc"
)

// TestSessionSecretWarningOnlyWithSessions: an unset session_secret matters for sessions; the
// tutorial's configuration (authorization_code only) keeps none, so it gets no warning.
func TestSessionSecretWarningOnlyWithSessions(t *testing.T) {
	for _, tt := range []struct {
		methods []any
		warn    bool
	}{
		{[]any{"authorization_code"}, false},
		{[]any{"authorization_code", "session"}, true},
	} {
		var buf bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
		_, err := oidc.New(deck.Plugin{Name: oidc.Name, Enabled: true, Config: map[string]any{
			"issuer":       "http://127.0.0.1:9/oauth2/default",
			"client_id":    []any{"c"},
			"auth_methods": tt.methods,
		}}, gateway.PluginEnv{Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(buf.String(), "session_secret is not set"); got != tt.warn {
			t.Errorf("auth_methods %v: warned %v, want %v\n%s", tt.methods, got, tt.warn, buf.String())
		}
	}
}
