package oidc

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway/deck"
)

func tutorialConfig() map[string]any {
	return map[string]any{
		"issuer":                     "https://example.okta.com/oauth2/default/.well-known/oauth-authorization-server",
		"client_id":                  []any{"client-1"},
		"client_secret":              []any{"s3cret"},
		"redirect_uri":               []any{"https://abc.ngrok.app/anything"},
		"scopes":                     []any{"openid", "email", "profile"},
		"auth_methods":               []any{"authorization_code"},
		"token_endpoint_auth_method": "client_secret_basic",
		"response_mode":              "form_post",
	}
}

func TestParseConfigDefaults(t *testing.T) {
	c, err := ParseConfig(map[string]any{"issuer": "https://idp.example.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"scopes", strings.Join(c.Scopes, " "), "openid"},
		{"response_mode", c.ResponseMode, "query"},
		{"login_action", c.LoginAction, "upstream"},
		{"login_tokens", strings.Join(c.LoginTokens, ","), "id_token"},
		{"session cookie", c.SessionCookie.Name, "session"},
		{"session same_site", c.SessionCookie.SameSite, "Lax"},
		{"authorization cookie", c.AuthorizationCookie.Name, "authorization"},
		{"authorization same_site", c.AuthorizationCookie.SameSite, "Default"},
		{"rolling", c.SessionRollingTimeout, time.Hour},
		{"idling", c.SessionIdlingTimeout, 15 * time.Minute},
		{"absolute", c.SessionAbsoluteTimeout, 24 * time.Hour},
		{"authorization rolling", c.AuthorizationRollingTimeout, 10 * time.Minute},
		{"logout methods", strings.Join(c.LogoutMethods, ","), "POST,DELETE"},
		{"upstream header", c.UpstreamAccessTokenHeader, "authorization:bearer"},
		{"timeout", c.Timeout, 10 * time.Second},
		{"scopes_claim", strings.Join(c.ScopesClaim, ","), "scope"},
		{"run_on_preflight", c.RunOnPreflight, true},
		{"session enabled", c.AuthMethods[MethodSession], true},
		{"code enabled", c.AuthMethods[MethodAuthorizationCode], true},
		{"pkce", c.RequirePKCE == nil, true},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
}

func TestParseConfigTutorial(t *testing.T) {
	c, err := ParseConfig(tutorialConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.AuthMethods[MethodSession] || !c.AuthMethods[MethodAuthorizationCode] {
		t.Errorf("auth methods = %v", c.AuthMethods)
	}
	if _, iss := NormalizeIssuer(c.Issuer); iss != "https://example.okta.com/oauth2/default" {
		t.Errorf("issuer normalised to %q", iss)
	}
}

func TestParseConfigAliases(t *testing.T) {
	c, err := ParseConfig(map[string]any{
		"issuer":                        "https://idp.example.com",
		"session_cookie_lifetime":       120,
		"session_cookie_idletime":       60,
		"session_cookie_samesite":       "Strict",
		"authorization_cookie_lifetime": 30,
		"session_cookie_renew":          600, // accepted and ignored, as in Kong
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.SessionRollingTimeout != 2*time.Minute || c.SessionIdlingTimeout != time.Minute ||
		c.SessionCookie.SameSite != "Strict" || c.AuthorizationRollingTimeout != 30*time.Second {
		t.Errorf("aliases not applied: %+v", c)
	}
}

func TestParseConfigProblems(t *testing.T) {
	tests := []struct {
		name   string
		config map[string]any
		want   []string // substrings, one per expected problem, in path order
	}{
		{"missing issuer", map[string]any{}, []string{"config.issuer (line 3): required field missing"}},
		{"http issuer off loopback", map[string]any{"issuer": "http://idp.example.com"}, []string{"uses http on a non-loopback host"}},
		{"http issuer on loopback", map[string]any{"issuer": "http://127.0.0.1:9000/oauth2/default"}, nil},
		{"endpoint with credentials", map[string]any{"issuer": "https://i", "token_endpoint": "https://u:hunter2@i/token"}, []string{`config.token_endpoint: "https://u:xxxxx@i/token" must not contain a user name or password`}},
		{"issuer with credentials", map[string]any{"issuer": "https://admin:hunter2@idp.example.com"}, []string{`"https://admin:xxxxx@idp.example.com" must not contain a user name or password`}},
		{"wrong types", map[string]any{"issuer": "https://i", "client_id": "one", "scopes": []any{"openid", 3}, "leeway": "five"},
			[]string{"config.leeway", "config.scopes.1"}},
		{"enum", map[string]any{"issuer": "https://i", "login_action": "bounce"}, []string{`"bounce" is not one of upstream, response, redirect`}},
		{"unsupported response mode", map[string]any{"issuer": "https://i", "response_mode": "fragment"}, []string{"not supported by oidclab"}},
		{"unsupported auth method", map[string]any{"issuer": "https://i", "auth_methods": []any{"password", "session"}}, []string{`config.auth_methods.0`}},
		{"kong default auth methods", map[string]any{"issuer": "https://i", "auth_methods": toAny(kongDefaultAuthMethods)}, nil},
		{"unsupported kong field at default", map[string]any{"issuer": "https://i", "session_storage": "cookie", "cache_ttl": 3600, "consumer_by": []any{"username", "custom_id"}, "anonymous": nil}, nil},
		{"unsupported kong field set", map[string]any{"issuer": "https://i", "session_storage": "redis"}, []string{`config.session_storage: not supported by oidclab: remove it or set it to Kong's default ("cookie")`}},
		{"unknown field", map[string]any{"issuer": "https://i", "isser": "x"}, []string{`unknown field`}},
		{"client auth", map[string]any{"issuer": "https://i", "token_endpoint_auth_method": "private_key_jwt"}, []string{"not supported by oidclab"}},
		{"alias conflict", map[string]any{"issuer": "https://i", "session_cookie_lifetime": 10, "session_rolling_timeout": 20}, []string{"deprecated name"}},
		{"parallel arrays", map[string]any{"issuer": "https://i", "upstream_headers_claims": []any{"sub"}}, []string{"config.upstream_headers_names"}},
		{"bad redirect uri", map[string]any{"issuer": "https://i", "redirect_uri": []any{"/anything"}}, []string{"config.redirect_uri.0"}},
		{"negative", map[string]any{"issuer": "https://i", "timeout": -1}, []string{"config.timeout"}},
		{"too large to be a duration", map[string]any{"issuer": "https://i", "session_rolling_timeout": 1e300, "timeout": "1e17"},
			[]string{"config.session_rolling_timeout: 1e+300 is too large", "config.timeout: 1e+17 is too large"}},
		{"bad header", map[string]any{"issuer": "https://i", "upstream_id_token_header": "x id"}, []string{"config.upstream_id_token_header"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig(tt.config, map[string]int{"issuer": 3})
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var de *deck.Errors
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not *deck.Errors", err)
			}
			if len(de.Problems) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(de.Problems), len(tt.want), err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func TestValidate(t *testing.T) {
	c, err := ParseConfig(tutorialConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("a parsed config does not validate: %v", err)
	}
	bad := *c
	bad.Issuer = ""
	bad.LoginAction = "bounce"
	bad.SessionCookie.Name = "a b"
	bad.Timeout = 0
	bad.AuthMethods = map[string]bool{"password": true}
	var de *deck.Errors
	if err := bad.Validate(); !errors.As(err, &de) || len(de.Problems) != 5 {
		t.Fatalf("want 5 problems, got %v", err)
	}
}

// Kong's admin API reads form-encoded plugin config (config.timeout=5000) as strings and coerces
// them by the schema: numbers, "true"/"false", a lone string for an array, "" for null. The
// plugin accepts what the gateway's admin API hands it the same way.
func TestParseConfigFormCoercion(t *testing.T) {
	c, err := ParseConfig(map[string]any{
		"issuer":                              "https://idp.example.com",
		"client_id":                           "client-1",
		"scopes":                              "openid",
		"timeout":                             "5000",
		"leeway":                              " 2.5 ",
		"verify_nonce":                        "false",
		"preserve_query_args":                 "true",
		"require_proof_key_for_code_exchange": "true",
		"session_cookie_secure":               "false",
		"session_rolling_timeout":             "",
		"login_tokens":                        "",
		"logout_methods":                      []any{"POST"},
		// Kong fields oidclab does not implement, at their defaults, as a form sends them.
		"using_pseudo_issuer": "false",
		"http_version":        "1.1",
		"cache_ttl":           "3600",
		"response_type":       "code",
		"session_storage":     "",
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"client_id", strings.Join(c.ClientID, ","), "client-1"},
		{"scopes", strings.Join(c.Scopes, " "), "openid"},
		{"timeout", c.Timeout, 5 * time.Second},
		{"leeway", c.Leeway, 2500 * time.Millisecond},
		{"verify_nonce", c.VerifyNonce, false},
		{"preserve_query_args", c.PreserveQueryArgs, true},
		{"pkce", c.RequirePKCE != nil && *c.RequirePKCE, true},
		{"session_cookie_secure", c.SessionCookie.Secure != nil && !*c.SessionCookie.Secure, true},
		{"empty is null: default", c.SessionRollingTimeout, time.Hour},
		{"empty login_tokens is null: none", c.LoginTokens == nil, true},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
	// Coercion is Kong's, not a guess: other strings are still the wrong type.
	_, err = ParseConfig(map[string]any{
		"issuer": "https://idp.example.com", "timeout": "5s", "verify_nonce": "yes",
		"using_pseudo_issuer": "true", "cache_ttl": "60",
	}, nil)
	for _, want := range []string{"config.timeout", "config.verify_nonce", "config.using_pseudo_issuer", "config.cache_ttl"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}
