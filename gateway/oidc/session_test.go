package oidc

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway"
)

// randomB64 stands in for a JWT: base64 of random bytes, which deflate cannot shrink much.
func randomB64(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// BenchmarkCookieDecode opens a realistic session cookie (an Okta-sized token response).
func BenchmarkCookieDecode(b *testing.B) {
	c, _ := NewCodec([]byte("bench secret"), "session")
	v, _ := c.Seal("session", &sessionState{Tokens: Tokens{
		AccessToken: randomB64(700), IDToken: randomB64(700), RefreshToken: randomB64(30), TokenType: "Bearer", ExpiresIn: 3600,
	}, Expires: 1, Created: 1, Rolled: 1, Used: 1})
	b.ReportAllocs()
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		var s sessionState
		if err := c.Open("session", v, &s); err != nil {
			b.Fatal(err)
		}
	}
}

// A short session_secret is accepted (Kong does) but warned about, without showing it.
func TestShortSessionSecretWarned(t *testing.T) {
	for _, tt := range []struct {
		secret string
		warn   bool
	}{{"hunter2", true}, {strings.Repeat("k", minSessionSecret), false}} {
		var logs bytes.Buffer
		cfg, err := ParseConfig(map[string]any{"issuer": "https://idp.example.com", "session_secret": tt.secret}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := newPlugin(cfg, gateway.PluginEnv{Logger: slog.New(slog.NewTextHandler(&logs, nil))}, time.Now); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(logs.String(), "session_secret is short"); got != tt.warn {
			t.Errorf("secret of %d characters: warned %v, want %v (%s)", len(tt.secret), got, tt.warn, logs.String())
		}
		if strings.Contains(logs.String(), tt.secret) {
			t.Errorf("the log shows the secret: %s", logs.String())
		}
	}
}
