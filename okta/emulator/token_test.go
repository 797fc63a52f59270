package emulator_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/okta/emulator/emulatortest"
)

func TestTokenClientAuthentication(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"orders:read"}}
	withBody := func(extra url.Values) url.Values {
		v := url.Values{}
		for k, x := range form {
			v[k] = x
		}
		for k, x := range extra {
			v[k] = x
		}
		return v
	}
	tests := []struct {
		name       string
		id, secret string // Basic credentials when id != ""
		body       url.Values
		hdr        http.Header
		status     int
		errField   string // "error" or Okta's "errorCode"
		code, desc string
	}{
		{name: "basic ok", id: svcID, secret: svcSecret, body: form, status: 200},
		{name: "post ok", body: withBody(url.Values{"client_id": {svcID}, "client_secret": {svcSecret}}), status: 200},
		{name: "wrong secret", id: svcID, secret: "nope", body: form, status: 401, errField: "error", code: "invalid_client",
			desc: "The client secret supplied for a confidential client is invalid."},
		{name: "unknown client", id: "0oanope", secret: "x", body: form, status: 401, errField: "errorCode", code: "invalid_client",
			desc: "Invalid value for 'client_id' parameter."},
		{name: "no credentials", body: form, status: 401, errField: "error", code: "invalid_client", desc: "No client credentials found."},
		{name: "confidential without secret", body: withBody(url.Values{"client_id": {svcID}}), status: 401, errField: "error", code: "invalid_client",
			desc: "Client authentication failed. Either the client or the client credentials are invalid."},
		{name: "header and body", id: svcID, secret: svcSecret, body: withBody(url.Values{"client_secret": {svcSecret}}), status: 400, errField: "error",
			code: "invalid_request", desc: "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body."},
		{name: "bearer scheme", body: form, hdr: http.Header{"Authorization": {"Bearer x"}}, status: 401, errField: "error", code: "invalid_client", desc: "Basic"},
		{name: "garbage basic", body: form, hdr: http.Header{"Authorization": {"Basic !!!"}}, status: 401, errField: "error", code: "invalid_client", desc: "Basic"},
		{name: "private_key_jwt", body: withBody(url.Values{"client_id": {svcID}, "client_assertion": {"x"}}), status: 401, errField: "error", code: "invalid_client", desc: "private_key_jwt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := tokenCall(t, s, tt.id, tt.secret, tt.body, tt.hdr)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, out)
			}
			if tt.status == 200 {
				if out["access_token"] == nil || out["token_type"] != "Bearer" {
					t.Errorf("response %v", out)
				}
				return
			}
			desc := out["error_description"]
			if tt.errField == "errorCode" {
				desc = out["errorSummary"]
			}
			if out[tt.errField] != tt.code || !strings.Contains(desc.(string), tt.desc) {
				t.Errorf("got %v; want %s=%s %q", out, tt.errField, tt.code, tt.desc)
			}
		})
	}
}

// RFC 6749 2.3.1: the Basic credentials are form-encoded; a raw secret with '+' or '%' fails.
func TestBasicAuthFormDecoding(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	code, verifier := codeFor(t, s, "openid")
	req, _ := http.NewRequest(http.MethodPost, s.Issuer()+"/v1/token", strings.NewReader(url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {webRedirect}, "code_verifier": {verifier}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	raw := base64.StdEncoding.EncodeToString([]byte(webID + ":" + webSecret)) // not form-encoded first
	req.Header.Set("Authorization", "Basic "+raw)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unencoded secret with special characters: %d, want 401", resp.StatusCode)
	}
	// The encoded form (what doPost sends) is accepted.
	code, verifier = codeFor(t, s, "openid")
	status, out := tokenCall(t, s, webID, webSecret, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {webRedirect}, "code_verifier": {verifier}}, nil)
	if status != 200 {
		t.Errorf("form-encoded Basic: %d %v", status, out)
	}
}

func TestAuthorizationCodeGrantFailures(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	redeem := func(code string, v url.Values, hdr http.Header) (int, map[string]any) {
		body := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {webRedirect}}
		for k, x := range v {
			if x[0] == "" {
				body.Del(k)
			} else {
				body[k] = x
			}
		}
		return tokenCall(t, s, webID, webSecret, body, hdr)
	}
	tests := []struct {
		name   string
		mutate func(code, verifier string) (string, url.Values, http.Header)
		status int
		code   string
		desc   string
	}{
		{"wrong verifier", func(c, _ string) (string, url.Values, http.Header) {
			w, _ := pkcePair()
			return c, url.Values{"code_verifier": {w}}, nil
		}, 400, "invalid_grant", "PKCE verification failed."},
		{"missing verifier", func(c, _ string) (string, url.Values, http.Header) { return c, nil, nil }, 400, "invalid_grant", "PKCE verification failed."},
		{"short verifier", func(c, _ string) (string, url.Values, http.Header) {
			return c, url.Values{"code_verifier": {"abc"}}, nil
		}, 400, "invalid_grant", "PKCE verification failed."},
		{"redirect uri mismatch", func(c, v string) (string, url.Values, http.Header) {
			return c, url.Values{"code_verifier": {v}, "redirect_uri": {"http://127.0.0.1:8000/other"}}, nil
		}, 400, "invalid_grant", "The 'redirect_uri' does not match the redirection URI used in the authorization request."},
		{"unknown code", func(_, v string) (string, url.Values, http.Header) {
			return "nope", url.Values{"code_verifier": {v}}, nil
		}, 400, "invalid_grant", "The authorization code is invalid or has expired."},
		{"missing code", func(_, v string) (string, url.Values, http.Header) { return "", url.Values{"code_verifier": {v}}, nil }, 400, "invalid_request", "'code'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, verifier := codeFor(t, s, "openid")
			c, v, h := tt.mutate(code, verifier)
			status, out := redeem(c, v, h)
			if status != tt.status || out["error"] != tt.code || !strings.Contains(out["error_description"].(string), tt.desc) {
				t.Errorf("got %d %v; want %d %s %q", status, out, tt.status, tt.code, tt.desc)
			}
		})
	}

	t.Run("code is single use", func(t *testing.T) {
		code, verifier := codeFor(t, s, "openid")
		if status, out := redeem(code, url.Values{"code_verifier": {verifier}}, nil); status != 200 {
			t.Fatalf("first use: %d %v", status, out)
		}
		status, out := redeem(code, url.Values{"code_verifier": {verifier}}, nil)
		if status != 400 || out["error_description"] != "The authorization code is invalid or has expired." {
			t.Errorf("reuse: %d %v", status, out)
		}
	})
	t.Run("code expires after 60 s", func(t *testing.T) {
		code, verifier := codeFor(t, s, "openid")
		s.SetClockOffset(61 * time.Second)
		t.Cleanup(func() { s.SetClockOffset(0) })
		status, out := redeem(code, url.Values{"code_verifier": {verifier}}, nil)
		if status != 400 || out["error_description"] != "The authorization code is invalid or has expired." {
			t.Errorf("expired: %d %v", status, out)
		}
	})
	t.Run("browser request without PKCE", func(t *testing.T) {
		cb := login(t, emulatortest.NewBrowser(), authorizeURL(s, map[string]string{"code_challenge": "", "code_challenge_method": ""}), alice, password)
		status, out := redeem(cb.Params.Get("code"), nil, http.Header{"Origin": {"http://127.0.0.1:8000"}})
		if status != 401 || out["error"] != "invalid_client" || out["error_description"] != "Browser requests to the token endpoint must use Proof Key for Code Exchange." {
			t.Errorf("got %d %v", status, out)
		}
	})
	t.Run("code bound to client", func(t *testing.T) {
		code, verifier := codeFor(t, s, "openid")
		status, out := tokenCall(t, s, svcID, svcSecret, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {webRedirect}, "code_verifier": {verifier}}, nil)
		if status != 400 || out["error"] != "unauthorized_client" {
			t.Errorf("service client redeeming: %d %v", status, out)
		}
	})
	t.Run("grant type not enabled", func(t *testing.T) {
		status, out := tokenCall(t, s, webID, webSecret, url.Values{"grant_type": {"client_credentials"}}, nil)
		if status != 400 || out["error"] != "unauthorized_client" ||
			out["error_description"] != "The client is not authorized to use the provided grant type. Configured grant types: [authorization_code, refresh_token]." {
			t.Errorf("got %d %v", status, out)
		}
	})
	t.Run("unsupported grant type", func(t *testing.T) {
		status, out := tokenCall(t, s, webID, webSecret, url.Values{"grant_type": {"password"}}, nil)
		if status != 400 || out["error"] != "unsupported_grant_type" {
			t.Errorf("got %d %v", status, out)
		}
	})
	t.Run("json body", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, s.Issuer()+"/v1/token", strings.NewReader(`{"grant_type":"client_credentials"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
}

func TestPublicClientPKCE(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	verifier, challenge := pkcePair()
	cb := login(t, emulatortest.NewBrowser(), authorizeURL(s, map[string]string{"client_id": spaID, "redirect_uri": spaRedirect, "code_challenge": challenge}), bob, password)
	status, out := tokenCall(t, s, "", "", url.Values{"grant_type": {"authorization_code"}, "client_id": {spaID}, "code": {cb.Params.Get("code")},
		"redirect_uri": {spaRedirect}, "code_verifier": {verifier}}, http.Header{"Origin": {"http://localhost:3000"}})
	if status != 200 || out["id_token"] == nil || out["refresh_token"] != nil {
		t.Errorf("SPA exchange: %d %v", status, out)
	}
	rec := s.Requests()
	last := rec[len(rec)-1]
	if last.ClientAuth != emulator.AuthNone || last.PKCEMethod != "S256" || last.Origin != "http://localhost:3000" {
		t.Errorf("record = %+v", last)
	}
}

func TestClientCredentials(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	tests := []struct {
		name, issuer, scope string
		status              int
		code, desc          string
	}{
		{"custom scope", s.Issuer(), "orders:read", 200, "", ""},
		{"default scopes", s.Issuer(), "", 200, "", ""},
		{"openid", s.Issuer(), "openid orders:read", 400, "invalid_scope", "Cannot request 'openid' scopes using client credentials."},
		{"unknown scope", s.Issuer(), "orders:write", 400, "invalid_scope", "One or more scopes are not configured for the authorization server resource."},
		{"no default scopes", s.IssuerFor("aus-new"), "", 400, "invalid_scope", "The authorization server resource does not have any configured default scopes, 'scope' must be provided."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := url.Values{"grant_type": {"client_credentials"}}
			if tt.scope != "" {
				v.Set("scope", tt.scope)
			}
			resp := doPost(t, tt.issuer+"/v1/token", svcID, svcSecret, v, nil)
			out := map[string]any{}
			decode(t, resp, &out)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d: %v", resp.StatusCode, out)
			}
			if tt.status != 200 {
				if out["error"] != tt.code || out["error_description"] != tt.desc {
					t.Errorf("got %v", out)
				}
				return
			}
			at := decodeJWT(t, out["access_token"].(string))
			if at["sub"] != svcID || at["cid"] != svcID || at["uid"] != nil || out["id_token"] != nil || out["scope"] != "orders:read" {
				t.Errorf("client_credentials token: %v / %v", at, out)
			}
		})
	}
}

func TestClientCredentialsPolicy(t *testing.T) {
	cfg := testConfig()
	cfg.AuthServers[1].Scopes = []emulator.Scope{{Name: "api"}}
	s := emulatortest.Start(t, cfg)
	resp := doPost(t, s.IssuerFor("aus-new")+"/v1/token", svcID, svcSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {"api"}}, nil)
	out := map[string]any{}
	decode(t, resp, &out)
	if resp.StatusCode != 400 || out["error"] != "access_denied" || out["error_description"] != "Policy evaluation failed for this request, please check the policy configurations." {
		t.Errorf("got %d %v", resp.StatusCode, out)
	}
}

func TestRefreshNeedsOfflineAccess(t *testing.T) {
	cfg := testConfig()
	s := emulatortest.Start(t, cfg)
	exchange := func(scope string) map[string]any {
		code, verifier := codeFor(t, s, scope)
		_, out := tokenCall(t, s, webID, webSecret, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {webRedirect}, "code_verifier": {verifier}}, nil)
		return out
	}
	if out := exchange("openid profile"); out["refresh_token"] != nil {
		t.Errorf("refresh token without offline_access: %v", out)
	}
	out := exchange("openid offline_access")
	rt, _ := out["refresh_token"].(string)
	if rt == "" {
		t.Fatalf("no refresh token: %v", out)
	}
	status, out := tokenCall(t, s, webID, webSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {"openid email"}}, nil)
	if status != 400 || out["error"] != "invalid_scope" {
		t.Errorf("scope widening: %d %v", status, out)
	}
	status, out = tokenCall(t, s, webID, webSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, nil)
	if status != 200 || out["id_token"] == nil || out["refresh_token"] == rt {
		t.Errorf("refresh: %d %v", status, out)
	}
	idt := decodeJWT(t, out["id_token"].(string))
	if idt["nonce"] != nil {
		t.Errorf("refreshed ID token carries a nonce: %v", idt)
	}
}

func TestStaticRefreshToken(t *testing.T) {
	cfg := testConfig()
	cfg.Clients[0].StaticRefreshToken = true
	s := emulatortest.Start(t, cfg)
	code, verifier := codeFor(t, s, "openid offline_access")
	_, out := tokenCall(t, s, webID, webSecret, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {webRedirect}, "code_verifier": {verifier}}, nil)
	rt := out["refresh_token"].(string)
	for range 2 {
		status, out := tokenCall(t, s, webID, webSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, nil)
		if status != 200 || out["refresh_token"] != rt {
			t.Fatalf("static refresh: %d %v", status, out)
		}
	}
}

// RFC 6749 5.2: a 401 to a client that used the Authorization header carries a challenge,
// including Okta's unknown-client answer with its Management-style body.
func TestTokenBasicChallenge(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"orders:read"}}
	for _, tt := range []struct{ name, id, secret string }{
		{"wrong secret", svcID, "nope"},
		{"unknown client", "0oanope", "x"},
	} {
		resp := doPost(t, s.Issuer()+"/v1/token", tt.id, tt.secret, form, nil)
		if got := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != 401 || !strings.HasPrefix(got, "Basic ") {
			t.Errorf("%s: %d WWW-Authenticate %q, want 401 with a Basic challenge", tt.name, resp.StatusCode, got)
		}
	}
	resp := doPost(t, s.Issuer()+"/v1/token", "", "", url.Values{"grant_type": {"client_credentials"}, "client_id": {"0oanope"}, "client_secret": {"x"}}, nil)
	if got := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != 401 || got != "" {
		t.Errorf("client_secret_post failure: %d WWW-Authenticate %q, want 401 without a challenge", resp.StatusCode, got)
	}
}

// Okta's refresh token rotation: a rotated-out token still works within the leeway (a client
// that lost the answer retries); used later, it is taken as stolen and every refresh and access
// token of that login is revoked.
func TestRefreshTokenReuseDetection(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	code, verifier := codeFor(t, s, "openid offline_access")
	_, out := tokenCall(t, s, webID, webSecret, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {webRedirect}, "code_verifier": {verifier}}, nil)
	rt1, firstAT := out["refresh_token"].(string), out["access_token"].(string)
	refresh := func(rt string) (int, map[string]any) {
		return tokenCall(t, s, webID, webSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, nil)
	}
	status, out := refresh(rt1)
	rt2, _ := out["refresh_token"].(string)
	if status != 200 || rt2 == "" || rt2 == rt1 {
		t.Fatalf("first refresh: %d %v", status, out)
	}
	if status, out = refresh(rt1); status != 200 {
		t.Fatalf("retry within the leeway: %d %v", status, out)
	}
	rt3, lastAT := out["refresh_token"].(string), out["access_token"].(string)

	s.SetClockOffset(31 * time.Second) // past Okta's default 30 s leeway
	if status, out = refresh(rt1); status != 400 || out["error"] != "invalid_grant" {
		t.Fatalf("reuse after the leeway: %d %v, want invalid_grant", status, out)
	}
	for name, rt := range map[string]string{"rt2": rt2, "rt3": rt3} {
		if status, out := refresh(rt); status != 400 || out["error"] != "invalid_grant" {
			t.Errorf("%s still works after reuse was detected: %d %v", name, status, out)
		}
	}
	for name, at := range map[string]string{"first": firstAT, "last": lastAT} {
		if intro := postForm(t, s.Issuer()+"/v1/introspect", webID, webSecret, url.Values{"token": {at}}); intro["active"] != false {
			t.Errorf("%s access token still active after reuse was detected: %v", name, intro)
		}
	}
}

func TestRefreshTokenLeewayConfig(t *testing.T) {
	cfg := testConfig()
	zero := time.Duration(0)
	cfg.Clients[0].RefreshTokenLeeway = &zero
	s := emulatortest.Start(t, cfg)
	code, verifier := codeFor(t, s, "openid offline_access")
	_, out := tokenCall(t, s, webID, webSecret, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {webRedirect}, "code_verifier": {verifier}}, nil)
	rt := out["refresh_token"].(string)
	if status, out := tokenCall(t, s, webID, webSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, nil); status != 200 {
		t.Fatalf("refresh: %d %v", status, out)
	}
	s.SetClockOffset(time.Second)
	if status, out := tokenCall(t, s, webID, webSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, nil); status != 400 {
		t.Errorf("reuse with no leeway: %d %v", status, out)
	}
	tooLong := 2 * time.Minute
	cfg.Clients[0].RefreshTokenLeeway = &tooLong
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "refresh_token_leeway") {
		t.Errorf("a 2m leeway validated: %v", err)
	}
}
