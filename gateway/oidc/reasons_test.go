package oidc

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc/oidctest"
)

// refusalsOfLastFailure returns every event with a failure status published for the request
// that got the last one: a refusal must be exactly one event.
func refusalsOfLastFailure(t *testing.T, h *harness) []gateway.Event {
	t.Helper()
	all := h.events.all()
	id := ""
	for _, e := range slices.Backward(all) {
		if e.Status >= 400 {
			id = e.RequestID
			break
		}
	}
	if id == "" {
		t.Fatalf("no event with a failure status; events:%s", h.events.summary())
	}
	var out []gateway.Event
	for _, e := range all {
		if e.RequestID == id && e.Status >= 400 {
			out = append(out, e)
		}
	}
	return out
}

func loginWith(forge func(c map[string]any)) func(h *harness) {
	return func(h *harness) {
		h.op.SetForge(oidctest.Forge{Claims: forge})
		h.login()
	}
}

func callbackWith(edit func(params map[string][]string)) func(h *harness) {
	return func(h *harness) {
		_, ck, q := h.startLogin("/anything")
		params := h.authorize(q)
		edit(params)
		h.callback(params, ck)
	}
}

func bearerOnly(cfg map[string]any, _ *oidctest.Provider) { cfg["auth_methods"] = []any{"bearer"} }

// Every refusal the plugin answers is one event, of the hop that failed, with a reason.
func TestRefusalReasons(t *testing.T) {
	hangingIssuer := func(t *testing.T) string {
		hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
		t.Cleanup(hang.Close)
		return hang.URL + "/oauth2/default"
	}
	tests := []struct {
		name   string
		edit   func(t *testing.T) func(cfg map[string]any, op *oidctest.Provider)
		act    func(h *harness)
		kind   gateway.EventKind
		status int
		reason gateway.Reason
	}{
		// The ID token (OIDC Core 3.1.3.7).
		{"nonce", nil, loginWith(func(c map[string]any) { c["nonce"] = "other" }), EventIDTokenRejected, 401, ReasonNonceMismatch},
		{"expired id token", nil, loginWith(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }), EventIDTokenRejected, 401, ReasonIDTokenExpired},
		{"iat in the future", nil, loginWith(func(c map[string]any) { c["iat"] = time.Now().Add(10 * time.Minute).Unix() }), EventIDTokenRejected, 401, ReasonClockSkew},
		{"nbf in the future", nil, loginWith(func(c map[string]any) { c["nbf"] = time.Now().Add(10 * time.Minute).Unix() }), EventIDTokenRejected, 401, ReasonClockSkew},
		{"iat before the login", nil, loginWith(func(c map[string]any) { c["iat"] = time.Now().Add(-time.Hour).Unix() }), EventIDTokenRejected, 401, ReasonTokenTooOld},
		{"iat missing", nil, loginWith(func(c map[string]any) { delete(c, "iat") }), EventIDTokenRejected, 401, ReasonClaimMissing},
		{"iss", nil, loginWith(func(c map[string]any) { c["iss"] = "https://evil.example.com" }), EventIDTokenRejected, 401, ReasonIssuerMismatch},
		{"aud", nil, loginWith(func(c map[string]any) { c["aud"] = "someone-else" }), EventIDTokenRejected, 401, ReasonAudienceMismatch},
		{"azp", nil, loginWith(func(c map[string]any) { c["azp"] = "other" }), EventIDTokenRejected, 401, ReasonAzpMismatch},
		{"sub", nil, loginWith(func(c map[string]any) { delete(c, "sub") }), EventIDTokenRejected, 401, ReasonSubMissing},
		{"at_hash", nil, loginWith(func(c map[string]any) { c["at_hash"] = "AAAAAAAAAAAAAAAAAAAAAA" }), EventIDTokenRejected, 401, ReasonAtHashMismatch},
		{"auth_time", func(*testing.T) func(map[string]any, *oidctest.Provider) {
			return func(cfg map[string]any, _ *oidctest.Provider) { cfg["max_age"] = 60 }
		}, loginWith(func(c map[string]any) { c["auth_time"] = time.Now().Add(-time.Hour).Unix() }), EventIDTokenRejected, 401, ReasonAuthTooOld},
		{"alg none", nil, func(h *harness) { h.op.SetForge(oidctest.Forge{Alg: "none"}); h.login() }, EventIDTokenRejected, 401, ReasonAlgNotAllowed},
		{"bad signature", nil, func(h *harness) { h.op.SetForge(oidctest.Forge{CorruptSignature: true}); h.login() }, EventIDTokenRejected, 401, ReasonSignatureInvalid},
		{"unknown kid", nil, func(h *harness) { h.op.SetForge(oidctest.Forge{Key: oidctest.NewKey(), Kid: "attacker"}); h.login() }, EventIDTokenRejected, 401, ReasonSigningKeyUnknown},
		{"jwks down", nil, func(h *harness) { h.op.FailJWKS(http.StatusServiceUnavailable); h.login() }, EventIDTokenRejected, 401, ReasonJWKSFailed},

		// The callback.
		{"policy", nil, func(h *harness) {
			h.op.FailAuthorize("access_denied", "Policy evaluation failed for this request, please check the policy configurations.")
			callbackWith(func(map[string][]string) {})(h)
		}, EventCallbackReceived, 401, ReasonNoMatchingPolicy},
		{"not assigned", nil, func(h *harness) {
			h.op.FailAuthorize("access_denied", "User is not assigned to the client application.")
			callbackWith(func(map[string][]string) {})(h)
		}, EventCallbackReceived, 401, ReasonUserNotAssigned},
		{"custom scopes", nil, func(h *harness) {
			h.op.FailAuthorize("invalid_scope", "Custom scopes are not allowed for this request.")
			callbackWith(func(map[string][]string) {})(h)
		}, EventCallbackReceived, 401, ReasonScopeNotAllowed},
		{"redirect_uri at the authorization endpoint", nil, func(h *harness) {
			h.op.FailAuthorize("invalid_request", "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings.")
			callbackWith(func(map[string][]string) {})(h)
		}, EventCallbackReceived, 401, ReasonRedirectURINotRegistered},
		{"user cancelled", nil, func(h *harness) {
			h.op.FailAuthorize("access_denied", "The resource owner denied the request.")
			callbackWith(func(map[string][]string) {})(h)
		}, EventCallbackReceived, 401, ReasonAccessDenied},
		{"iss of another server", nil, callbackWith(func(p map[string][]string) { p["iss"] = []string{"https://evil.example.com"} }), EventCallbackReceived, 401, ReasonIssuerMismatch},
		{"iss missing though advertised", nil, callbackWith(func(p map[string][]string) { delete(p, "iss") }), EventCallbackReceived, 401, ReasonIssMissing},
		{"code missing", nil, callbackWith(func(p map[string][]string) { delete(p, "code"); p["error"] = nil }), EventCallbackReceived, 401, ReasonCodeMissing},
		{"replayed callback", nil, func(h *harness) {
			_, ck, q := h.startLogin("/anything")
			params := h.authorize(q)
			h.callback(params, ck)
			h.callback(params, ck)
		}, EventCallbackReceived, 401, ReasonStateReused},

		// The token endpoint.
		{"invalid_client", func(*testing.T) func(map[string]any, *oidctest.Provider) {
			return func(_ map[string]any, op *oidctest.Provider) {
				op.FailToken(http.StatusUnauthorized, "invalid_client", "The client secret supplied for a confidential client is invalid.")
			}
		}, func(h *harness) { h.login() }, EventAuthFailed, 401, ReasonClientAuthFailed},
		{"invalid_grant", func(*testing.T) func(map[string]any, *oidctest.Provider) {
			return func(_ map[string]any, op *oidctest.Provider) {
				op.FailToken(http.StatusBadRequest, "invalid_grant", "The authorization code is invalid or has expired.")
			}
		}, func(h *harness) { h.login() }, EventAuthFailed, 401, ReasonCodeInvalid},
		{"invalid_grant about redirect_uri", func(*testing.T) func(map[string]any, *oidctest.Provider) {
			return func(_ map[string]any, op *oidctest.Provider) {
				op.FailToken(http.StatusBadRequest, "invalid_grant", "The 'redirect_uri' does not match the redirection URI used in the authorization request.")
			}
		}, func(h *harness) { h.login() }, EventAuthFailed, 401, ReasonRedirectURINotRegistered},
		{"invalid_grant about PKCE", func(*testing.T) func(map[string]any, *oidctest.Provider) {
			return func(_ map[string]any, op *oidctest.Provider) {
				op.FailToken(http.StatusBadRequest, "invalid_grant", "PKCE verification failed.")
			}
		}, func(h *harness) { h.login() }, EventAuthFailed, 401, ReasonPKCEMismatch},
		{"policy at the token endpoint", func(*testing.T) func(map[string]any, *oidctest.Provider) {
			return func(_ map[string]any, op *oidctest.Provider) {
				op.FailToken(http.StatusBadRequest, "access_denied", "Policy evaluation failed for this request, please check the policy configurations.")
			}
		}, func(h *harness) { h.login() }, EventAuthFailed, 401, ReasonNoMatchingPolicy},
		{"invalid_scope at the token endpoint", func(*testing.T) func(map[string]any, *oidctest.Provider) {
			return func(_ map[string]any, op *oidctest.Provider) {
				op.FailToken(http.StatusBadRequest, "invalid_scope", "One or more scopes are not configured for the authorization server resource.")
			}
		}, func(h *harness) { h.login() }, EventAuthFailed, 401, ReasonScopeNotAllowed},
		{"token endpoint hangs", func(*testing.T) func(map[string]any, *oidctest.Provider) {
			return func(cfg map[string]any, op *oidctest.Provider) { cfg["timeout"] = 200; op.HangToken() }
		}, func(h *harness) { h.login() }, EventAuthFailed, 401, ReasonIdPTimeout},

		// Discovery.
		{"discovery refused", func(*testing.T) func(map[string]any, *oidctest.Provider) {
			return func(cfg map[string]any, _ *oidctest.Provider) { cfg["issuer"] = "http://127.0.0.1:1/oauth2/default" }
		}, func(h *harness) { bearerRequest(h.t, h, "") }, gateway.EventError, 500, ReasonDiscoveryFailed},
		{"discovery hangs", func(t *testing.T) func(map[string]any, *oidctest.Provider) {
			iss := hangingIssuer(t)
			return func(cfg map[string]any, _ *oidctest.Provider) { cfg["issuer"], cfg["timeout"] = iss, 200 }
		}, func(h *harness) { bearerRequest(h.t, h, "") }, gateway.EventError, 500, ReasonIdPTimeout},
		{"discovery names another issuer", func(*testing.T) func(map[string]any, *oidctest.Provider) {
			return func(_ map[string]any, op *oidctest.Provider) { op.SetMetadata("issuer", "https://org.example.com") }
		}, func(h *harness) { bearerRequest(h.t, h, "") }, gateway.EventError, 500, ReasonIssuerMismatch},

		// API requests.
		{"no credentials", func(*testing.T) func(map[string]any, *oidctest.Provider) { return bearerOnly },
			func(h *harness) { bearerRequest(h.t, h, "") }, EventAuthFailed, 401, ReasonNoCredentials},
		{"expired access token", func(*testing.T) func(map[string]any, *oidctest.Provider) { return bearerOnly },
			func(h *harness) {
				c := accessClaims(h.op)
				c["exp"] = time.Now().Add(-time.Hour).Unix()
				bearerRequest(h.t, h, h.op.Sign(c))
			}, EventAuthFailed, 401, ReasonTokenExpired},
		{"opaque without introspection", func(*testing.T) func(map[string]any, *oidctest.Provider) { return bearerOnly },
			func(h *harness) { bearerRequest(h.t, h, "opaque-token") }, EventAuthFailed, 401, ReasonTokenOpaque},
		{"inactive token", func(*testing.T) func(map[string]any, *oidctest.Provider) {
			return func(cfg map[string]any, _ *oidctest.Provider) { cfg["auth_methods"] = []any{"introspection"} }
		}, func(h *harness) { bearerRequest(h.t, h, "unknown-opaque") }, EventAuthFailed, 401, ReasonTokenInactive},
		{"scopes_required", func(*testing.T) func(map[string]any, *oidctest.Provider) {
			return func(cfg map[string]any, _ *oidctest.Provider) {
				cfg["auth_methods"], cfg["scopes_required"], cfg["scopes_claim"] = []any{"bearer"}, []any{"orders:write"}, []any{"scp"}
			}
		}, func(h *harness) { bearerRequest(h.t, h, h.op.Sign(accessClaims(h.op))) }, EventAuthFailed, 403, ReasonRequirementNotMet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var edit func(map[string]any, *oidctest.Provider)
			if tt.edit != nil {
				edit = tt.edit(t)
			}
			h := newHarness(t, edit)
			tt.act(h)
			got := refusalsOfLastFailure(t, h)
			if len(got) != 1 {
				t.Fatalf("%d events for the refused request, want 1:%s", len(got), h.events.summary())
			}
			e := got[0]
			if e.Kind != tt.kind || e.Status != tt.status || e.Reason != tt.reason {
				t.Errorf("got %s %d %q, want %s %d %q (%s)", e.Kind, e.Status, e.Reason, tt.kind, tt.status, tt.reason, e.Message)
			}
			if e.AnsweredBy != gateway.AnsweredByPlugin {
				t.Errorf("answered_by %q, want plugin", e.AnsweredBy)
			}
			if e.Explain == "" {
				t.Error("no explanation")
			}
		})
	}
}

// A callback that is not refused but restarts the login still says why.
func TestRestartReasons(t *testing.T) {
	t.Run("no state cookie", func(t *testing.T) {
		h := newHarness(t, nil)
		_, _, q := h.startLogin("/anything")
		h.callback(h.authorize(q), nil)
		if e := h.events.last(t, EventCallbackReceived); e.Reason != ReasonStateCookieMissing || e.AnsweredBy != gateway.AnsweredByPlugin {
			t.Errorf("%+v", e)
		}
	})
	t.Run("login took too long", func(t *testing.T) {
		h := newHarness(t, nil)
		_, ck, q := h.startLogin("/anything")
		params := h.authorize(q)
		h.clock.Advance(11 * time.Minute)
		h.callback(params, ck)
		if e := h.events.last(t, EventCallbackReceived); e.Reason != ReasonLoginTimeout {
			t.Errorf("%+v", e)
		}
	})
	t.Run("another login's state", func(t *testing.T) {
		h := newHarness(t, nil)
		_, ck, q := h.startLogin("/anything")
		params := h.authorize(q)
		params.Set("state", "not-the-pending-state")
		resp, _ := h.callback(params, ck)
		e := h.events.last(t, EventLoginStarted)
		if resp.StatusCode != http.StatusFound || e.Reason != ReasonStateMismatch || e.AnsweredBy != gateway.AnsweredByPlugin || e.Explain == "" {
			t.Errorf("%d %+v", resp.StatusCode, e)
		}
	})
	t.Run("a fresh login has no reason", func(t *testing.T) {
		h := newHarness(t, nil)
		h.startLogin("/anything")
		if e := h.events.last(t, EventLoginStarted); e.Reason != "" || e.AnsweredBy != gateway.AnsweredByPlugin {
			t.Errorf("%+v", e)
		}
	})
}

// Every reason the plugin can publish is in the Reasons table, once, in snake_case.
func TestReasonsTable(t *testing.T) {
	seen := map[gateway.Reason]bool{}
	for _, r := range Reasons {
		if seen[r.Reason] {
			t.Errorf("%s listed twice", r.Reason)
		}
		seen[r.Reason] = true
		if r.Meaning == "" {
			t.Errorf("%s has no meaning", r.Reason)
		}
		for _, c := range r.Reason {
			if !(c >= 'a' && c <= 'z' || c == '_') {
				t.Errorf("%s is not snake_case", r.Reason)
				break
			}
		}
	}
	for _, must := range []gateway.Reason{"state_cookie_missing", "state_mismatch", "nonce_mismatch", "id_token_expired",
		"clock_skew", "client_auth_failed", "code_invalid", "redirect_uri_not_registered", "user_not_assigned",
		"no_matching_policy", "scope_not_allowed", "discovery_failed", "jwks_failed", "idp_timeout"} {
		if !seen[must] {
			t.Errorf("%s is missing", must)
		}
	}
}
