package oidc

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway/oidc/oidctest"
)

// The OpenID Foundation's relying-party tests, ID token part: each forged token must end the
// login with 401 and an oidc.id_token_rejected event naming the failed check.
func TestHostileIDTokens(t *testing.T) {
	otherKey := oidctest.NewKey()
	tests := []struct {
		name  string
		edit  func(cfg map[string]any, op *oidctest.Provider)
		forge func(op *oidctest.Provider) oidctest.Forge
		check string
	}{
		{"wrong iss", nil, claims(func(c map[string]any) { c["iss"] = "https://evil.example.com" }), "iss"},
		{"wrong aud", nil, claims(func(c map[string]any) { c["aud"] = "someone-else" }), "aud"},
		{"extra aud without azp", nil, claims(func(c map[string]any) { c["aud"] = []any{testClientID, "other"} }), "azp"},
		{"azp of another client", nil, claims(func(c map[string]any) { c["azp"] = "other" }), "azp"},
		{"wrong nonce", nil, claims(func(c map[string]any) { c["nonce"] = "not-the-nonce" }), "nonce"},
		{"missing nonce", nil, claims(func(c map[string]any) { delete(c, "nonce") }), "nonce"},
		{"missing sub", nil, claims(func(c map[string]any) { delete(c, "sub") }), "sub"},
		{"missing iat", nil, claims(func(c map[string]any) { delete(c, "iat") }), "iat"},
		{"iat long before the login (replayed old token)", nil, claims(func(c map[string]any) { c["iat"] = time.Now().Add(-time.Hour).Unix() }), "iat"},
		{"iat in the future", nil, claims(func(c map[string]any) { c["iat"] = time.Now().Add(10 * time.Minute).Unix() }), "iat"},
		{"nbf in the future", nil, claims(func(c map[string]any) { c["nbf"] = time.Now().Add(10 * time.Minute).Unix() }), "nbf"},
		{"expired", nil, claims(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }), "exp"},
		{"missing exp", nil, claims(func(c map[string]any) { delete(c, "exp") }), "exp"},
		{"at_hash mismatch", nil, claims(func(c map[string]any) { c["at_hash"] = "AAAAAAAAAAAAAAAAAAAAAA" }), "at_hash"},
		{"auth_time too old", func(cfg map[string]any, _ *oidctest.Provider) { cfg["max_age"] = 60 },
			claims(func(c map[string]any) { c["auth_time"] = time.Now().Add(-time.Hour).Unix() }), "auth_time"},
		{"auth_time missing", func(cfg map[string]any, _ *oidctest.Provider) { cfg["max_age"] = 60 },
			claims(func(c map[string]any) { delete(c, "auth_time") }), "auth_time"},
		{"alg none", nil, func(*oidctest.Provider) oidctest.Forge { return oidctest.Forge{Alg: "none"} }, "alg"},
		{"HS256 signed with the RSA public key", nil, func(op *oidctest.Provider) oidctest.Forge {
			return oidctest.Forge{Alg: "HS256", HMACKey: oidctest.PublicKeyPEM(op.PublicKey())}
		}, "alg"},
		{"HS256 with the public key even when HS is enabled", func(cfg map[string]any, op *oidctest.Provider) {
			cfg["enable_hs_signatures"] = true
			op.SetMetadata("id_token_signing_alg_values_supported", []string{"RS256", "HS256"})
		}, func(op *oidctest.Provider) oidctest.Forge {
			return oidctest.Forge{Alg: "HS256", HMACKey: oidctest.PublicKeyPEM(op.PublicKey())}
		}, "signature"},
		{"alg not advertised", nil, func(*oidctest.Provider) oidctest.Forge { return oidctest.Forge{Alg: "RS512"} }, "alg"},
		{"bad signature", nil, func(*oidctest.Provider) oidctest.Forge { return oidctest.Forge{CorruptSignature: true} }, "signature"},
		{"signed by another key, real kid (swapped kid)", nil, func(*oidctest.Provider) oidctest.Forge { return oidctest.Forge{Key: otherKey} }, "signature"},
		{"unknown kid", nil, func(*oidctest.Provider) oidctest.Forge { return oidctest.Forge{Key: otherKey, Kid: "attacker"} }, "kid"},
		{"no kid, other key", nil, func(*oidctest.Provider) oidctest.Forge { return oidctest.Forge{Key: otherKey, Kid: "-"} }, "signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.edit)
			h.op.SetForge(tt.forge(h.op))
			resp, body := h.login()
			if resp.StatusCode != http.StatusUnauthorized || body != `{"message":"Unauthorized"}` {
				t.Fatalf("got %d %s, want 401", resp.StatusCode, body)
			}
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate")
			}
			e := h.events.last(t, EventIDTokenRejected)
			if e.Attrs["check"] != tt.check {
				t.Errorf("rejected by check %v (%s), want %s", e.Attrs["check"], e.Message, tt.check)
			}
			if e.Explain == "" {
				t.Error("no explanation")
			}
			if len(h.events.of(EventSessionIssued)) != 0 {
				t.Error("a session was issued for a rejected token")
			}
		})
	}
}

func claims(f func(map[string]any)) func(*oidctest.Provider) oidctest.Forge {
	return func(*oidctest.Provider) oidctest.Forge { return oidctest.Forge{Claims: f} }
}

// Sanity for the table: the same harness with no forgery logs in.
func TestHonestTokensPass(t *testing.T) {
	for _, edit := range []func(map[string]any, *oidctest.Provider){
		nil,
		func(cfg map[string]any, _ *oidctest.Provider) { cfg["max_age"] = 60 },
		func(cfg map[string]any, _ *oidctest.Provider) { cfg["leeway"] = 5 },
	} {
		h := newHarness(t, edit)
		if resp, body := h.login(); resp.StatusCode != http.StatusOK {
			t.Fatalf("honest login: %d %s (events:%s)", resp.StatusCode, body, h.events.summary())
		}
	}
}

func TestLeewayToleratesSkew(t *testing.T) {
	h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) { cfg["leeway"] = 120 })
	h.op.SetForge(oidctest.Forge{Claims: func(c map[string]any) { c["iat"] = time.Now().Add(time.Minute).Unix() }})
	if resp, _ := h.login(); resp.StatusCode != http.StatusOK {
		t.Fatalf("iat 60s ahead with leeway 120: %d", resp.StatusCode)
	}
	h = newHarness(t, nil)
	h.op.SetForge(oidctest.Forge{Claims: func(c map[string]any) { c["iat"] = time.Now().Add(-time.Hour).Unix() }})
	h.login()
	if e := h.events.last(t, EventIDTokenRejected); !strings.Contains(e.Explain, "before this login") {
		t.Errorf("old iat explained as %q", e.Explain)
	}
	h = newHarness(t, nil)
	h.op.SetForge(oidctest.Forge{Claims: func(c map[string]any) { c["iat"] = time.Now().Add(time.Minute).Unix() }})
	resp, _ := h.login()
	e := h.events.last(t, EventIDTokenRejected)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(e.Explain, "clock") || e.Attrs["skew_seconds"] == nil {
		t.Errorf("skew not explained: %d %+v", resp.StatusCode, e)
	}
}

func TestKeyRotationRefetchesOnce(t *testing.T) {
	h := newHarness(t, nil)
	if resp, _ := h.login(); resp.StatusCode != http.StatusOK {
		t.Fatal("first login failed")
	}
	if n := h.op.JWKSFetches(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", n)
	}
	h.op.RotateKey(false)
	if resp, _ := h.login(); resp.StatusCode != http.StatusOK {
		t.Fatalf("login after key rotation failed (events:%s)", h.events.summary())
	}
	if n := h.op.JWKSFetches(); n != 2 {
		t.Fatalf("JWKS fetched %d times after rotation, want 2", n)
	}
	// Forged tokens with random kids cannot make the gateway hammer the JWKS endpoint.
	h.op.SetForge(oidctest.Forge{Key: oidctest.NewKey(), Kid: "forged-1"})
	h.login()
	h.op.SetForge(oidctest.Forge{Key: oidctest.NewKey(), Kid: "forged-2"})
	h.login()
	if n := h.op.JWKSFetches(); n != 2 {
		t.Errorf("forged kids caused %d JWKS fetches, want none within rediscovery_lifetime", n-2)
	}
	h.clock.Advance(31 * time.Second)
	h.login()
	if n := h.op.JWKSFetches(); n != 3 {
		t.Errorf("after rediscovery_lifetime one refetch is allowed again; fetches = %d", n)
	}
}

func TestCallbackOutcomes(t *testing.T) {
	t.Run("replayed callback", func(t *testing.T) {
		h := newHarness(t, nil)
		_, ck, q := h.startLogin("/anything")
		params := h.authorize(q)
		if resp, _ := h.callback(params, ck); resp.StatusCode != http.StatusOK {
			t.Fatal("first callback failed")
		}
		resp, _ := h.callback(params, ck)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("replayed callback: %d, want 401", resp.StatusCode)
		}
		if n := len(h.op.TokenRequests()); n != 1 {
			t.Errorf("the replay reached the token endpoint (%d requests)", n)
		}
	})
	t.Run("login CSRF: attacker's code and state with the victim's cookie", func(t *testing.T) {
		h := newHarness(t, nil)
		_, victim, _ := h.startLogin("/anything")
		_, _, attackerQ := h.startLogin("/anything")
		attacker := h.authorize(attackerQ)
		resp, _ := h.callback(attacker, victim)
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("CSRF callback: %d, want a restarted login (302)", resp.StatusCode)
		}
		if n := len(h.op.TokenRequests()); n != 0 {
			t.Error("the attacker's code was redeemed")
		}
	})
	t.Run("other tab restarts with the same state", func(t *testing.T) {
		h := newHarness(t, nil)
		_, ck, q := h.startLogin("/anything")
		req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/anything/other", nil)
		req.AddCookie(ck)
		resp, _ := mustDo(t, rawClient(t), req)
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || loc.Query().Get("state") != q.Get("state") || loc.Query().Get("nonce") != q.Get("nonce") {
			t.Errorf("restart: %d state kept=%v", resp.StatusCode, loc.Query().Get("state") == q.Get("state"))
		}
	})
	t.Run("missing cookie on a GET callback starts a new login and explains", func(t *testing.T) {
		h := newHarness(t, nil)
		_, _, q := h.startLogin("/anything")
		resp, _ := h.callback(h.authorize(q), nil)
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("%d, want 302", resp.StatusCode)
		}
		e := h.events.last(t, EventCallbackReceived)
		if !strings.Contains(e.Explain, "did not send the authorization cookie") {
			t.Errorf("explanation: %q", e.Explain)
		}
	})
	t.Run("IdP error with our state", func(t *testing.T) {
		h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) { cfg["display_errors"] = true })
		h.op.FailAuthorize("access_denied", "Policy evaluation failed for this request, please check the policy configurations.")
		_, ck, q := h.startLogin("/anything")
		resp, body := h.callback(h.authorize(q), ck)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "access_denied") {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		e := h.events.last(t, EventCallbackReceived)
		if !strings.Contains(e.Explain, "access policy rule") {
			t.Errorf("explanation: %q", e.Explain)
		}
	})
	t.Run("user not assigned", func(t *testing.T) {
		h := newHarness(t, nil)
		h.op.FailAuthorize("access_denied", "User is not assigned to the client application.")
		_, ck, q := h.startLogin("/anything")
		h.callback(h.authorize(q), ck)
		if e := h.events.last(t, EventCallbackReceived); e.Reason != ReasonUserNotAssigned || !strings.Contains(e.Explain, "not assigned") {
			t.Errorf("explanation: %q", e.Explain)
		}
	})
	t.Run("iss mismatch", func(t *testing.T) {
		h := newHarness(t, nil)
		_, ck, q := h.startLogin("/anything")
		params := h.authorize(q)
		params.Set("iss", "https://evil.example.com")
		if resp, _ := h.callback(params, ck); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%d, want 401", resp.StatusCode)
		}
	})
	t.Run("error response from another issuer is not taken for ours", func(t *testing.T) {
		h := newHarness(t, nil)
		h.op.FailAuthorize("access_denied", "User is not assigned to the client application.")
		_, ck, q := h.startLogin("/anything")
		params := h.authorize(q)
		params.Set("iss", "https://evil.example.com")
		if resp, _ := h.callback(params, ck); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%d, want 401", resp.StatusCode)
		}
		if e := h.events.last(t, EventCallbackReceived); e.Message != "authorization response issuer mismatch" || e.Reason != ReasonIssuerMismatch || strings.Contains(e.Explain, "assigned") {
			t.Errorf("event: %q / %q", e.Message, e.Explain)
		}
	})
	t.Run("iss missing though advertised", func(t *testing.T) {
		h := newHarness(t, nil)
		_, ck, q := h.startLogin("/anything")
		params := h.authorize(q)
		params.Del("iss")
		if resp, _ := h.callback(params, ck); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%d, want 401", resp.StatusCode)
		}
	})
	t.Run("iss missing and not advertised", func(t *testing.T) {
		h := newHarness(t, func(_ map[string]any, op *oidctest.Provider) {
			op.SetMetadata("authorization_response_iss_parameter_supported", false)
		})
		_, ck, q := h.startLogin("/anything")
		params := h.authorize(q)
		params.Del("iss")
		if resp, _ := h.callback(params, ck); resp.StatusCode != http.StatusOK {
			t.Errorf("%d, want 200", resp.StatusCode)
		}
	})
	t.Run("state cookie older than authorization_rolling_timeout", func(t *testing.T) {
		h := newHarness(t, nil)
		_, ck, q := h.startLogin("/anything")
		params := h.authorize(q)
		h.clock.Advance(11 * time.Minute)
		resp, _ := h.callback(params, ck)
		e := h.events.last(t, EventCallbackReceived)
		if resp.StatusCode != http.StatusFound || !strings.Contains(e.Explain, "authorization_rolling_timeout") {
			t.Errorf("%d %q", resp.StatusCode, e.Explain)
		}
	})
}

func TestTokenEndpointFailures(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(cfg map[string]any, op *oidctest.Provider)
		explain string
	}{
		{"invalid_client", func(_ map[string]any, op *oidctest.Provider) {
			op.FailToken(http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
		}, "client_secret"},
		{"invalid_grant", func(_ map[string]any, op *oidctest.Provider) {
			op.FailToken(http.StatusBadRequest, "invalid_grant", "The authorization code is invalid or has expired.")
		}, "already used"},
		{"wrong secret", func(cfg map[string]any, _ *oidctest.Provider) { cfg["client_secret"] = []any{"wrong"} }, "client_secret"},
		{"hang bounded by timeout", func(cfg map[string]any, op *oidctest.Provider) {
			cfg["timeout"] = 200
			op.HangToken()
		}, "config.timeout"},
		{"redirect not followed", func(_ map[string]any, op *oidctest.Provider) {
			op.RedirectToken("http://127.0.0.1:1/steal")
		}, "307"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.edit)
			resp, body := h.login()
			if resp.StatusCode != http.StatusUnauthorized || body != `{"message":"Unauthorized"}` {
				t.Fatalf("%d %s, want 401", resp.StatusCode, body)
			}
			e := h.events.last(t, EventAuthFailed)
			if !strings.Contains(e.Explain, tt.explain) {
				t.Errorf("explanation %q does not mention %q", e.Explain, tt.explain)
			}
		})
	}
}

func TestClientAuthMethods(t *testing.T) {
	t.Run("client_secret_post", func(t *testing.T) {
		h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
			cfg["token_endpoint_auth_method"] = "client_secret_post"
		})
		if resp, _ := h.login(); resp.StatusCode != http.StatusOK {
			t.Fatal(resp.StatusCode)
		}
		tr := h.op.TokenRequests()[0]
		if tr.Authorization != "" || tr.Form.Get("client_secret") != testClientSecret || tr.Form.Get("client_id") != testClientID {
			t.Errorf("client_secret_post request: auth header %v, form keys %v", tr.Authorization != "", keys(tr.Form))
		}
	})
	t.Run("none", func(t *testing.T) {
		h := newHarness(t, func(cfg map[string]any, op *oidctest.Provider) {
			cfg["token_endpoint_auth_method"] = "none"
			delete(cfg, "client_secret")
			op.AddClient(oidctest.Client{ID: testClientID, RedirectURIs: []string{cfg["redirect_uri"].([]any)[0].(string)}})
		})
		if resp, _ := h.login(); resp.StatusCode != http.StatusOK {
			t.Fatal(resp.StatusCode)
		}
		if tr := h.op.TokenRequests()[0]; tr.Authorization != "" || tr.Form.Has("client_secret") {
			t.Error("a secret was sent with auth method none")
		}
	})
}

func TestLoginActions(t *testing.T) {
	t.Run("redirect with the id token in the fragment", func(t *testing.T) {
		h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
			cfg["login_action"] = "redirect"
			cfg["preserve_query_args"] = true
		})
		_, ck, q := h.startLogin("/anything/start?a=b")
		resp, _ := h.callback(h.authorize(q), ck)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, h.srv.URL+"/anything/start?a=b#id_token=eyJ") {
			t.Errorf("%d Location %.80s", resp.StatusCode, loc)
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Error("redirect is cacheable")
		}
	})
	t.Run("redirect without tokens", func(t *testing.T) {
		h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
			cfg["login_action"] = "redirect"
			cfg["login_tokens"] = nil
		})
		_, ck, q := h.startLogin("/anything/start?a=b")
		resp, _ := h.callback(h.authorize(q), ck)
		if loc := resp.Header.Get("Location"); loc != h.srv.URL+"/anything/start" {
			t.Errorf("Location %q", loc)
		}
	})
	t.Run("response", func(t *testing.T) {
		h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
			cfg["login_action"] = "response"
			cfg["login_tokens"] = []any{"id_token", "access_token"}
		})
		resp, body := h.login()
		var got map[string]string
		json.Unmarshal([]byte(body), &got)
		if resp.StatusCode != http.StatusOK || got["id_token"] == "" || got["access_token"] == "" {
			t.Errorf("%d %v", resp.StatusCode, keysOf(got))
		}
	})
}

func keysOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// The authorization cookie is single use even when a callback is replayed concurrently (a
// double-submitted form_post, an attacker racing the user): one request redeems the code, every
// other one gets 401 without reaching the token endpoint.
func TestConcurrentReplayedCallback(t *testing.T) {
	h := newHarness(t, nil)
	_, ck, q := h.startLogin("/anything")
	params := h.authorize(q)
	const n = 16
	statuses := make(chan int, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/anything?"+params.Encode(), nil)
			req.AddCookie(ck)
			resp, err := rawClient(t).Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	start.Done()
	done.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[http.StatusOK] != 1 || count[http.StatusUnauthorized] != n-1 {
		t.Errorf("statuses %v, want one 200 and %d 401", count, n-1)
	}
	if got := len(h.op.TokenRequests()); got != 1 {
		t.Errorf("%d token requests, want 1", got)
	}
}

// A token endpoint whose error text quotes the client secret: with display_errors the reason is
// shown to the browser and it is always logged and published; the secret is in none of them.
func TestEchoedSecretNotShown(t *testing.T) {
	h := newHarness(t, func(cfg map[string]any, op *oidctest.Provider) {
		cfg["display_errors"] = true
		op.FailToken(http.StatusUnauthorized, "invalid_client", "client_secret "+testClientSecret+" does not match")
	})
	var logs strings.Builder
	var mu sync.Mutex
	h.p.log = slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	resp, body := h.login()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "invalid_client") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(body, testClientSecret) || strings.Contains(logs.String(), testClientSecret) {
		t.Errorf("the echoed secret is shown:\nbody %s\nlogs %s", body, logs.String())
	}
	if !strings.Contains(logs.String(), "invalid_client") {
		t.Errorf("the refusal was not logged: %s", logs.String())
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
