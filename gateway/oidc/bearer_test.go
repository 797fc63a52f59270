package oidc

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc/oidctest"
)

func accessClaims(op *oidctest.Provider) map[string]any {
	now := time.Now()
	return map[string]any{"iss": op.Issuer, "sub": "00u1demo", "aud": "api://default", "iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(), "scp": []any{"openid", "orders:read"}, "groups": []any{"admins"}}
}

func bearerRequest(t *testing.T, h *harness, token string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/api/orders", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return mustDo(t, rawClient(t), req)
}

func TestBearer(t *testing.T) {
	api := func(extra map[string]any) func(cfg map[string]any, _ *oidctest.Provider) {
		return func(cfg map[string]any, _ *oidctest.Provider) {
			cfg["auth_methods"] = []any{"bearer"}
			for k, v := range extra {
				cfg[k] = v
			}
		}
	}
	tests := []struct {
		name   string
		edit   func(cfg map[string]any, _ *oidctest.Provider)
		token  func(op *oidctest.Provider) string
		status int
		auth   string // WWW-Authenticate must contain
	}{
		{"valid JWT", api(nil), func(op *oidctest.Provider) string { return op.Sign(accessClaims(op)) }, 200, ""},
		{"no token", api(nil), func(*oidctest.Provider) string { return "" }, 401, `Bearer realm="127.0.0.1`},
		{"expired", api(nil), func(op *oidctest.Provider) string {
			c := accessClaims(op)
			c["exp"] = time.Now().Add(-time.Hour).Unix()
			return op.Sign(c)
		}, 401, `error="invalid_token"`},
		{"other issuer", api(nil), func(op *oidctest.Provider) string {
			c := accessClaims(op)
			c["iss"] = "https://evil.example.com"
			return op.Sign(c)
		}, 401, `error="invalid_token"`},
		{"alg none", api(nil), func(op *oidctest.Provider) string {
			return op.SignForged(accessClaims(op), oidctest.Forge{Alg: "none"})
		}, 401, `error="invalid_token"`},
		{"HS256 with the public key", api(map[string]any{"enable_hs_signatures": true}), func(op *oidctest.Provider) string {
			return op.SignForged(accessClaims(op), oidctest.Forge{Alg: "HS256", HMACKey: oidctest.PublicKeyPEM(op.PublicKey())})
		}, 401, `error="invalid_token"`},
		{"opaque without introspection", api(nil), func(*oidctest.Provider) string { return "opaque-token" }, 401, `error="invalid_token"`},
		{"scopes_required met", api(map[string]any{"scopes_required": []any{"orders:write", "openid orders:read"}, "scopes_claim": []any{"scp"}}),
			func(op *oidctest.Provider) string { return op.Sign(accessClaims(op)) }, 200, ""},
		{"scopes_required missing", api(map[string]any{"scopes_required": []any{"orders:write"}, "scopes_claim": []any{"scp"}}),
			func(op *oidctest.Provider) string { return op.Sign(accessClaims(op)) }, 403, `error="insufficient_scope"`},
		{"groups_required", api(map[string]any{"groups_required": []any{"finance"}}),
			func(op *oidctest.Provider) string { return op.Sign(accessClaims(op)) }, 403, `error="insufficient_scope"`},
		{"audience_required met", api(map[string]any{"audience_required": []any{"api://default"}}),
			func(op *oidctest.Provider) string { return op.Sign(accessClaims(op)) }, 200, ""},
		{"audience_required missing", api(map[string]any{"audience_required": []any{"api://payments"}}),
			func(op *oidctest.Provider) string { return op.Sign(accessClaims(op)) }, 403, `error="insufficient_scope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.edit)
			resp, body := bearerRequest(t, h, tt.token(h.op))
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (%s; events:%s)", resp.StatusCode, tt.status, body, h.events.summary())
			}
			if got := resp.Header.Get("WWW-Authenticate"); !strings.Contains(got, tt.auth) {
				t.Errorf("WWW-Authenticate %q does not contain %q", got, tt.auth)
			}
			switch tt.status {
			case 401:
				if body != `{"message":"Unauthorized"}` {
					t.Errorf("body %s", body)
				}
			case 403:
				if body != `{"message":"Forbidden"}` {
					t.Errorf("body %s", body)
				}
				if e := h.events.last(t, EventAuthFailed); e.Explain == "" {
					t.Error("no explanation")
				}
			}
		})
	}
}

func TestIntrospection(t *testing.T) {
	h := newHarness(t, func(cfg map[string]any, op *oidctest.Provider) {
		cfg["auth_methods"] = []any{"introspection", "authorization_code"}
		cfg["scopes_required"] = []any{"openid"}
		op.Configure(true, false, 3600)
	})
	// Get an opaque access token from a real login (login_action response).
	h.p.cfg.LoginAction, h.p.cfg.LoginTokens = "response", []string{"access_token"}
	_, body := h.login()
	var toks map[string]string
	json.Unmarshal([]byte(body), &toks)
	if toks["access_token"] == "" || strings.Count(toks["access_token"], ".") == 2 {
		t.Fatalf("expected an opaque access token, got %q", body)
	}
	resp, _ := bearerRequest(t, h, toks["access_token"])
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("introspected token: %d (events:%s)", resp.StatusCode, h.events.summary())
	}
	resp, _ = bearerRequest(t, h, "unknown-opaque")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("inactive token: %d", resp.StatusCode)
	}
	if e := h.events.last(t, EventAuthFailed); !strings.Contains(e.Explain, "not active") {
		t.Errorf("explanation: %q", e.Explain)
	}
}

func TestKongErrors(t *testing.T) {
	t.Run("display_errors appends the reason", func(t *testing.T) {
		h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
			cfg["auth_methods"] = []any{"bearer"}
			cfg["display_errors"] = true
		})
		_, body := bearerRequest(t, h, "")
		if body != `{"message":"Unauthorized (no suitable authorization credentials were provided)"}` {
			t.Errorf("body %s", body)
		}
	})
	t.Run("unauthorized_redirect_uri", func(t *testing.T) {
		h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
			cfg["auth_methods"] = []any{"bearer"}
			cfg["unauthorized_redirect_uri"] = []any{"https://example.com/denied"}
		})
		resp, _ := bearerRequest(t, h, "")
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://example.com/denied" {
			t.Errorf("%d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("discovery failure is Kong's 500 with an explanation", func(t *testing.T) {
		h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) { cfg["issuer"] = "http://127.0.0.1:1/oauth2/default" })
		resp, body := bearerRequest(t, h, "")
		if resp.StatusCode != http.StatusInternalServerError || body != `{"message":"An unexpected error occurred"}` {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
		// Port 1 refuses at once: not a timeout, so the explanation must not blame one.
		if e := h.events.last(t, gateway.EventError); !strings.Contains(e.Explain, "discovery document") || strings.Contains(e.Explain, "within") {
			t.Errorf("explanation %q", e.Explain)
		}
	})
	t.Run("discovery that hangs is explained as a timeout", func(t *testing.T) {
		hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
		t.Cleanup(hang.Close)
		h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
			cfg["issuer"] = hang.URL + "/oauth2/default"
			cfg["timeout"] = 200
		})
		resp, _ := bearerRequest(t, h, "")
		if resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("%d", resp.StatusCode)
		}
		if e := h.events.last(t, gateway.EventError); !strings.Contains(e.Explain, "within config.timeout (200ms)") {
			t.Errorf("explanation %q", e.Explain)
		}
	})
	t.Run("issuer mismatch in discovery", func(t *testing.T) {
		h := newHarness(t, func(_ map[string]any, op *oidctest.Provider) { op.SetMetadata("issuer", "https://org.okta.com") })
		resp, _ := bearerRequest(t, h, "")
		if resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("%d", resp.StatusCode)
		}
		if e := h.events.last(t, gateway.EventError); !strings.Contains(e.Explain, "issuer of the authorization server") || e.Reason != ReasonIssuerMismatch {
			t.Errorf("explanation %q, reason %q", e.Explain, e.Reason)
		}
	})
	t.Run("preflight skipped with run_on_preflight false", func(t *testing.T) {
		h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) { cfg["run_on_preflight"] = false })
		req, _ := http.NewRequest(http.MethodOptions, h.srv.URL+"/anything", nil)
		if resp, _ := mustDo(t, rawClient(t), req); resp.StatusCode != http.StatusOK {
			t.Errorf("OPTIONS: %d", resp.StatusCode)
		}
	})
	t.Run("New does no network I/O", func(t *testing.T) {
		h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) { cfg["issuer"] = "http://127.0.0.1:1" })
		if h.p.disc.md.Load() != nil || !h.p.disc.lastAttempt.IsZero() || h.op.JWKSFetches() != 0 {
			t.Error("discovery ran at construction")
		}
	})
}

func TestUpstreamHeaders(t *testing.T) {
	h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
		cfg["upstream_id_token_header"] = "X-ID-Token"
		cfg["upstream_user_info_header"] = "X-Userinfo"
		cfg["upstream_headers_claims"] = []any{"sub", "groups"}
		cfg["upstream_headers_names"] = []any{"X-Sub", "X-Groups"}
	})
	d := h.browser()
	e := decodeEcho(t, h.get(d, "/anything"))
	if e.Headers["X-Sub"] != "00u1demo" || e.Headers["X-Groups"] != "Everyone,admins" ||
		!strings.HasPrefix(e.Headers["X-Id-Token"], "eyJ") || e.Headers["X-Userinfo"] == "" {
		t.Errorf("headers: sub %q groups %q id token set %v userinfo set %v", e.Headers["X-Sub"], e.Headers["X-Groups"],
			e.Headers["X-Id-Token"] != "", e.Headers["X-Userinfo"] != "")
	}
}

// User info is fetched once per access token, not on every request of the session.
func TestUserinfoFetchedOncePerToken(t *testing.T) {
	var fetches atomic.Int32
	ui := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"sub":"00u1demo","email":"demo@example.com"}`))
	}))
	t.Cleanup(ui.Close)
	h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
		cfg["userinfo_endpoint"] = ui.URL
		cfg["upstream_user_info_header"] = "X-Userinfo"
	})
	d := h.browser()
	for i := range 3 {
		if e := decodeEcho(t, h.get(d, "/anything")); e.Headers["X-Userinfo"] == "" {
			t.Fatalf("request %d: no X-Userinfo header", i)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("%d userinfo fetches for three requests with one access token, want 1", n)
	}
}

// OIDC Core 5.3.2: user info about another sub than the ID token's is not used.
func TestUserinfoOfAnotherUserNotUsed(t *testing.T) {
	h := newHarness(t, func(cfg map[string]any, op *oidctest.Provider) {
		cfg["upstream_user_info_header"] = "X-Userinfo"
		cfg["upstream_headers_claims"] = []any{"email"}
		cfg["upstream_headers_names"] = []any{"X-Email"}
		op.SetForge(oidctest.Forge{Claims: func(c map[string]any) { c["sub"] = "00u2other"; delete(c, "email") }})
	})
	e := decodeEcho(t, h.get(h.browser(), "/anything"))
	if e.Headers["X-Userinfo"] != "" || e.Headers["X-Email"] != "" {
		t.Errorf("another user's info reached the upstream: X-Userinfo %q X-Email %q", e.Headers["X-Userinfo"], e.Headers["X-Email"])
	}
	if ev := h.events.last(t, gateway.EventError); !strings.Contains(ev.Message, "not the id token's") {
		t.Errorf("event: %q", ev.Message)
	}
}

func TestMultipleClients(t *testing.T) {
	h := newHarness(t, func(cfg map[string]any, op *oidctest.Provider) {
		cfg["client_id"] = []any{testClientID, "client-2"}
		cfg["client_secret"] = []any{testClientSecret, "second"}
		op.AddClient(oidctest.Client{ID: "client-2", Secret: "second", RedirectURIs: []string{cfg["redirect_uri"].([]any)[0].(string)}})
	})
	_, ck, q := h.startLogin("/anything?client_id=2")
	if q.Get("client_id") != "client-2" {
		t.Fatalf("client_arg by index chose %q", q.Get("client_id"))
	}
	if resp, _ := h.callback(h.authorize(q), ck); resp.StatusCode != http.StatusOK {
		t.Fatalf("second client login: %d (events:%s)", resp.StatusCode, h.events.summary())
	}
}

// Concurrent bearer requests, some with forged key ids: honest tokens pass, forged ones fail,
// and the forged kids cost at most one JWKS refetch (run with -race).
func TestBearerConcurrent(t *testing.T) {
	h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) { cfg["auth_methods"] = []any{"bearer"} })
	good := h.op.Sign(accessClaims(h.op))
	forged := h.op.SignForged(accessClaims(h.op), oidctest.Forge{Key: oidctest.NewKey(), Kid: "forged"})
	var wg sync.WaitGroup
	errs := make(chan string, 200)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 10 {
				tok, want := good, http.StatusOK
				if (i+j)%5 == 0 {
					tok, want = forged, http.StatusUnauthorized
				}
				req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/api", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err.Error()
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != want {
					errs <- http.StatusText(resp.StatusCode)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := h.op.JWKSFetches(); n > 2 {
		t.Errorf("%d JWKS fetches, want at most 2 (load + one refetch)", n)
	}
}

// While the JWKS cannot be loaded at all, concurrent tokens (honest or with forged kids) do not
// each fetch it again: one load per retryFailedFetch, and the keys load once it answers again.
func TestJWKSLoadFailureIsRateLimited(t *testing.T) {
	h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) { cfg["auth_methods"] = []any{"bearer"} })
	h.op.FailJWKS(http.StatusServiceUnavailable)
	good := h.op.Sign(accessClaims(h.op))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := good
			if i%2 == 1 {
				tok = h.op.SignForged(accessClaims(h.op), oidctest.Forge{Key: oidctest.NewKey(), Kid: fmt.Sprintf("forged-%d", i)})
			}
			if resp, _ := bearerRequest(t, h, tok); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("token %d without a JWKS: %d, want 401", i, resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	if n := h.op.JWKSFetches(); n != 1 {
		t.Errorf("%d JWKS fetches while it failed, want 1", n)
	}
	h.op.FailJWKS(0)
	h.clock.Advance(retryFailedFetch + time.Millisecond)
	if resp, body := bearerRequest(t, h, good); resp.StatusCode != http.StatusOK {
		t.Fatalf("after the JWKS recovered: %d %s", resp.StatusCode, body)
	}
	if n := h.op.JWKSFetches(); n != 2 {
		t.Errorf("%d JWKS fetches after recovery, want 2", n)
	}
}

// A claim with control characters still reaches the upstream as a valid header value, through
// a real proxy hop (an invalid value would fail the request with a 502).
func TestClaimHeaderWithNewline(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(echoUpstream))
	t.Cleanup(upstream.Close)
	target, _ := url.Parse(upstream.URL)
	h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
		cfg["auth_methods"] = []any{"bearer"}
		cfg["upstream_headers_claims"] = []any{"name"}
		cfg["upstream_headers_names"] = []any{"X-Name"}
	})
	gw := httptest.NewServer(h.p.Handler(httputil.NewSingleHostReverseProxy(target)))
	t.Cleanup(gw.Close)
	c := accessClaims(h.op)
	c["name"] = "Mallory\r\nX-Admin: true\x00"
	req, _ := http.NewRequest(http.MethodGet, gw.URL+"/api", nil)
	req.Header.Set("Authorization", "Bearer "+h.op.Sign(c))
	resp, body := mustDo(t, rawClient(t), req)
	var e echo
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &e) != nil {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if e.Headers["X-Name"] != "Mallory  X-Admin: true" || e.Headers["X-Admin"] != "" {
		t.Errorf("X-Name %q, X-Admin %q", e.Headers["X-Name"], e.Headers["X-Admin"])
	}
}

// Concurrent forged tokens, each with its own unknown kid, cost one JWKS refetch in all.
func TestForgedKidsConcurrentOneRefetch(t *testing.T) {
	h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) { cfg["auth_methods"] = []any{"bearer"} })
	if resp, _ := bearerRequest(t, h, h.op.Sign(accessClaims(h.op))); resp.StatusCode != http.StatusOK {
		t.Fatal("honest token refused")
	}
	key := oidctest.NewKey()
	forged := make([]string, 32)
	for i := range forged {
		forged[i] = h.op.SignForged(accessClaims(h.op), oidctest.Forge{Key: key, Kid: fmt.Sprintf("forged-%d", i)})
	}
	var wg sync.WaitGroup
	for _, tok := range forged {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp, _ := bearerRequest(t, h, tok); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("forged token: %d", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	if n := h.op.JWKSFetches(); n != 2 {
		t.Errorf("%d JWKS fetches, want 2 (the load and one refetch)", n)
	}
}

// client_arg is read from a header as given, with dashes, and with an X- prefix; the value is a
// client id or its 1-based index.
func TestClientArgHeaders(t *testing.T) {
	p := &plugin{cfg: &Config{ClientID: []string{"one", "two"}, ClientArg: "client_id"}, clientArgHeaders: clientArgHeaders("client_id")}
	for _, tt := range []struct{ header, value, want string }{
		{"client_id", "two", "two"}, {"Client-Id", "2", "two"}, {"X-Client_id", "two", "two"}, {"X-Client-Id", "2", "two"},
		{"X-Other", "two", "one"},
	} {
		r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/anything", nil)
		r.Header.Set(tt.header, tt.value)
		if got := p.selectClient(&call{p: p, r: r}).ID; got != tt.want {
			t.Errorf("%s: %s chose %q, want %q", tt.header, tt.value, got, tt.want)
		}
	}
}
