package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc/oidctest"
)

// sessionCookies returns the session cookies a response set (empty: none re-issued).
func sessionCookies(resp *http.Response) []*http.Cookie {
	var out []*http.Cookie
	for _, c := range resp.Cookies() {
		if strings.HasPrefix(c.Name, "session") && c.Value != "" {
			out = append(out, c)
		}
	}
	return out
}

func TestSessionRollingTimeout(t *testing.T) {
	edit := func(cfg map[string]any, _ *oidctest.Provider) {
		cfg["session_rolling_timeout"] = 100
		cfg["session_idling_timeout"] = 0
	}
	request := func(h *harness, cookies []*http.Cookie) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/anything", nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, _ := mustDo(t, rawClient(t), req)
		return resp
	}
	tests := []struct {
		name     string
		wait     time.Duration
		status   int
		reissued bool
	}{
		{"within three quarters: used as is", 60 * time.Second, http.StatusOK, false},
		{"past three quarters: re-issued", 80 * time.Second, http.StatusOK, true},
		{"past the rolling timeout: a new login", 101 * time.Second, http.StatusFound, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, edit)
			resp, _ := h.login()
			cookies := sessionCookies(resp)
			if len(cookies) == 0 {
				t.Fatal("no session cookie")
			}
			h.clock.Advance(tt.wait)
			resp = request(h, cookies)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			reissued := sessionCookies(resp)
			if got := len(reissued) > 0; got != tt.reissued {
				t.Fatalf("re-issued %v, want %v", got, tt.reissued)
			}
			if tt.reissued {
				// The re-issued cookie starts a new rolling period.
				h.clock.Advance(80 * time.Second)
				if resp := request(h, reissued); resp.StatusCode != http.StatusOK {
					t.Errorf("the re-issued session 80 s later: %d", resp.StatusCode)
				}
			}
		})
	}
}

func TestRefreshTokensFalse(t *testing.T) {
	h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) { cfg["refresh_tokens"] = false })
	h.op.Configure(false, true, 60)
	d := h.browser()
	decodeEcho(t, h.get(d, "/anything"))
	h.clock.Advance(2 * time.Minute)
	if res := h.get(d, "/anything"); res.Status != http.StatusUnauthorized {
		t.Fatalf("expired access token with refresh_tokens false: %d, want 401", res.Status)
	}
	if n := len(h.op.TokenRequests()); n != 1 {
		t.Errorf("%d token requests, want 1 (no refresh)", n)
	}
	if e := h.events.last(t, EventAuthFailed); e.Reason != ReasonTokenExpired {
		t.Errorf("reason %q", e.Reason)
	}
}

func TestHS256IDToken(t *testing.T) {
	// go-jose refuses HMAC keys shorter than the hash: HS256 needs a secret of 32 bytes or more
	// (Okta's are 40 characters).
	const secret = "a-client-secret-of-forty-characters-0123"
	tests := []struct {
		name   string
		enable bool
		key    []byte
		want   gateway.Reason // "" : the login succeeds
	}{
		{"signed with the client secret, enabled", true, []byte(secret), ""},
		{"signed with the client secret, not enabled", false, []byte(secret), ReasonAlgNotAllowed},
		{"signed with another secret", true, []byte("another-secret-of-forty-characters-01234"), ReasonSignatureInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(cfg map[string]any, op *oidctest.Provider) {
				cfg["enable_hs_signatures"] = tt.enable
				cfg["client_secret"] = []any{secret}
				op.AddClient(oidctest.Client{ID: testClientID, Secret: secret, RedirectURIs: []string{cfg["redirect_uri"].([]any)[0].(string)}})
				op.SetMetadata("id_token_signing_alg_values_supported", []any{"RS256", "HS256"})
				op.SetForge(oidctest.Forge{Alg: "HS256", HMACKey: tt.key})
			})
			resp, _ := h.login()
			if tt.want == "" {
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d (events:%s)", resp.StatusCode, h.events.summary())
				}
				h.events.last(t, EventIDTokenVerified)
				return
			}
			if e := h.events.last(t, EventIDTokenRejected); resp.StatusCode != http.StatusUnauthorized || e.Reason != tt.want {
				t.Errorf("status %d reason %q, want 401 %q", resp.StatusCode, e.Reason, tt.want)
			}
		})
	}
}

// Keys a JWKS must not contribute: one for another algorithm, an encryption key, and a private
// key (whoever reads the JWKS could sign with it).
func TestJWKSKeysThatDoNotCount(t *testing.T) {
	signer := oidctest.NewKey()
	public := jose.JSONWebKey{Key: &signer.PublicKey, KeyID: "k", Algorithm: "RS256", Use: "sig"}
	tests := []struct {
		name string
		key  jose.JSONWebKey
		ok   bool
	}{
		{"the public signing key", public, true},
		{"another alg", jose.JSONWebKey{Key: &signer.PublicKey, KeyID: "k", Algorithm: "PS256", Use: "sig"}, false},
		{"use enc", jose.JSONWebKey{Key: &signer.PublicKey, KeyID: "k", Algorithm: "RS256", Use: "enc"}, false},
		{"private parts", jose.JSONWebKey{Key: signer, KeyID: "k", Algorithm: "RS256", Use: "sig"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := tt.key.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(`{"keys":[` + string(raw) + `]}`))
			}))
			t.Cleanup(srv.Close)
			keys := &jwks{uri: func(context.Context) (string, error) { return srv.URL, nil }, client: newHTTPClient(time.Second), minGap: time.Hour, now: time.Now}
			got, err := keys.lookup(t.Context(), "k", "RS256")
			if tt.ok {
				if err != nil || len(got) != 1 {
					t.Fatalf("keys %d, err %v", len(got), err)
				}
				return
			}
			if !errors.Is(err, ErrUnknownKey) {
				t.Errorf("err %v, keys %d: want ErrUnknownKey", err, len(got))
			}
		})
	}
}

func TestBearerTokenLocations(t *testing.T) {
	tests := []struct {
		name   string
		types  []any
		send   func(req *http.Request, tok string)
		method string
		status int
	}{
		{"Authorization header", nil, func(r *http.Request, tok string) { r.Header.Set("Authorization", "Bearer "+tok) }, http.MethodGet, 200},
		{"access_token header", nil, func(r *http.Request, tok string) { r.Header.Set("X-Access-Token", tok) }, http.MethodGet, 200},
		{"query", nil, func(r *http.Request, tok string) { r.URL.RawQuery = "access_token=" + url.QueryEscape(tok) }, http.MethodGet, 200},
		{"body", nil, func(r *http.Request, tok string) {
			r.Body = io.NopCloser(strings.NewReader("access_token=" + url.QueryEscape(tok)))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}, http.MethodPost, 200},
		{"query when only the header is allowed", []any{"header"}, func(r *http.Request, tok string) { r.URL.RawQuery = "access_token=" + url.QueryEscape(tok) }, http.MethodGet, 401},
		{"body when only the query is allowed", []any{"query"}, func(r *http.Request, tok string) {
			r.Body = io.NopCloser(strings.NewReader("access_token=" + url.QueryEscape(tok)))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}, http.MethodPost, 401},
		{"header when only the body is allowed", []any{"body"}, func(r *http.Request, tok string) { r.Header.Set("Authorization", "Bearer "+tok) }, http.MethodGet, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
				cfg["auth_methods"] = []any{"bearer"}
				if tt.types != nil {
					cfg["bearer_token_param_type"] = tt.types
				}
			})
			req, _ := http.NewRequest(tt.method, h.srv.URL+"/api", nil)
			tt.send(req, h.op.Sign(accessClaims(h.op)))
			resp, body := mustDo(t, rawClient(t), req)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.status == 401 {
				if e := h.events.last(t, EventAuthFailed); e.Reason != ReasonNoCredentials {
					t.Errorf("reason %q", e.Reason)
				}
			}
		})
	}
}

func TestIntrospectionFailures(t *testing.T) {
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter)
		want   gateway.Reason
	}{
		{"the endpoint fails", func(w http.ResponseWriter) { http.Error(w, `{"error":"server_error"}`, http.StatusInternalServerError) }, ReasonIntrospectionFailed},
		{"not JSON", func(w http.ResponseWriter) { w.Write([]byte("<html>")) }, ReasonIntrospectionFailed},
		{"active but expired", func(w http.ResponseWriter) {
			json.NewEncoder(w).Encode(map[string]any{"active": true, "sub": "00u1demo", "exp": time.Now().Add(-time.Hour).Unix()})
		}, ReasonTokenExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tt.answer(w) }))
			t.Cleanup(srv.Close)
			h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
				cfg["auth_methods"] = []any{"introspection"}
				cfg["introspection_endpoint"] = srv.URL
			})
			resp, _ := bearerRequest(t, h, "opaque-token")
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if e := h.events.last(t, EventAuthFailed); e.Reason != tt.want || e.Explain == "" {
				t.Errorf("reason %q (explain %q), want %q", e.Reason, e.Explain, tt.want)
			}
		})
	}
}

func TestLogoutRevocationFailure(t *testing.T) {
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
	}))
	t.Cleanup(failing.Close)
	h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
		cfg["logout_query_arg"] = "logout"
		cfg["logout_methods"] = []any{"GET"}
		cfg["logout_revoke"] = true
		cfg["revocation_endpoint"] = failing.URL
	})
	d := h.browser()
	decodeEcho(t, h.get(d, "/anything"))
	h.get(d, "/anything?logout")
	if _, ok := findCookie(d, "session"); ok {
		t.Error("the session survived a logout whose revocation failed")
	}
	h.events.last(t, EventLogout)
	var reasons []gateway.Reason
	for _, e := range h.events.of(gateway.EventError) {
		reasons = append(reasons, e.Reason)
	}
	if len(reasons) == 0 || reasons[0] != ReasonRevocationFailed {
		t.Errorf("error events %v, want revocation_failed", reasons)
	}
}
