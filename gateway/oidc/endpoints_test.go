package oidc

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway"
)

// discoveryOf serves doc as the discovery document of issuer (the discoverer fetches the test
// server, whatever the issuer's host).
func discoveryOf(t *testing.T, issuer string, edit func(doc map[string]any)) (*discoverer, *bytes.Buffer) {
	doc := map[string]any{
		"issuer":                 issuer,
		"authorization_endpoint": issuer + "/v1/authorize",
		"token_endpoint":         issuer + "/v1/token",
		"userinfo_endpoint":      issuer + "/v1/userinfo",
		"introspection_endpoint": issuer + "/v1/introspect",
		"revocation_endpoint":    issuer + "/v1/revoke",
		"jwks_uri":               issuer + "/v1/keys",
	}
	if edit != nil {
		edit(doc)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(srv.Close)
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return &discoverer{url: srv.URL, issuer: issuer, client: newHTTPClient(time.Second), now: time.Now, log: log}, &buf
}

// Discovered back-channel endpoints receive the client secret, codes and tokens: they must be
// https unless the issuer itself is on loopback.
func TestDiscoveredEndpointsMustBeHTTPS(t *testing.T) {
	tests := []struct {
		name   string
		issuer string
		field  string // set to an http URL
		ok     bool
	}{
		{"all https", "https://idp.example.com/oauth2/default", "", true},
		{"token endpoint over http", "https://idp.example.com/oauth2/default", "token_endpoint", false},
		{"userinfo over http", "https://idp.example.com/oauth2/default", "userinfo_endpoint", false},
		{"introspection over http", "https://idp.example.com/oauth2/default", "introspection_endpoint", false},
		{"revocation over http", "https://idp.example.com/oauth2/default", "revocation_endpoint", false},
		{"jwks over http", "https://idp.example.com/oauth2/default", "jwks_uri", false},
		{"loopback issuer", "http://127.0.0.1:9000/oauth2/default", "token_endpoint", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := discoveryOf(t, tt.issuer, func(doc map[string]any) {
				if tt.field != "" {
					doc[tt.field] = "http://idp.example.com/oauth2/default/" + tt.field
				}
			})
			_, err := d.get(t.Context())
			if tt.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var insecure *InsecureEndpointError
			if !errors.As(err, &insecure) || insecure.Field != tt.field || !errors.Is(err, ErrDiscovery) {
				t.Fatalf("err = %v, want an InsecureEndpointError for %s", err, tt.field)
			}
			if r := unexpectedReason(err); r != ReasonEndpointInsecure {
				t.Errorf("reason %q", r)
			}
		})
	}
}

// The token endpoint receives the client secret: one on another origin than the issuer is
// worth a warning, whether discovered or configured.
func TestTokenEndpointOnAnotherOriginWarns(t *testing.T) {
	const issuer = "https://idp.example.com/oauth2/default"
	tests := []struct {
		name  string
		token string
		warn  bool
	}{
		{"same origin", issuer + "/v1/token", false},
		{"another host", "https://tokens.example.net/token", true},
		{"another port", "https://idp.example.com:8443/oauth2/default/v1/token", true},
	}
	for _, tt := range tests {
		t.Run("discovered, "+tt.name, func(t *testing.T) {
			d, buf := discoveryOf(t, issuer, func(doc map[string]any) { doc["token_endpoint"] = tt.token })
			if _, err := d.get(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(buf.String(), "another origin"); got != tt.warn {
				t.Errorf("warned %v, want %v: %s", got, tt.warn, buf.String())
			}
		})
		t.Run("configured, "+tt.name, func(t *testing.T) {
			cfg, err := ParseConfig(map[string]any{"issuer": issuer, "client_id": []any{"c"}, "token_endpoint": tt.token}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
			if _, err := newPlugin(cfg, gateway.PluginEnv{Logger: log}, time.Now); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(buf.String(), "another origin"); got != tt.warn {
				t.Errorf("warned %v, want %v: %s", got, tt.warn, buf.String())
			}
		})
	}
}
