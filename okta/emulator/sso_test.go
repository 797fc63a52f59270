package emulator_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/okta/emulator/emulatortest"
)

// authorizeWith runs one authorize request in the browser's cookie jar without signing in.
func authorizeWith(t *testing.T, b *emulatortest.Browser, u string) *http.Response {
	t.Helper()
	resp, err := b.HTTP.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestSingleSignOnAndPrompt(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	b := emulatortest.NewBrowser()
	first := login(t, b, authorizeURL(s, noPKCE(nil)), alice, password)
	authTime := idTokenClaim(t, s, first, "auth_time")

	t.Run("session gives SSO", func(t *testing.T) {
		resp := authorizeWith(t, b, authorizeURL(s, map[string]string{"state": "st-2"}))
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, webRedirect+"?code=") || !strings.Contains(loc, "state=st-2") {
			t.Fatalf("SSO authorize: %d %s", resp.StatusCode, loc)
		}
	})
	t.Run("prompt=none with session", func(t *testing.T) {
		resp := authorizeWith(t, b, authorizeURL(s, map[string]string{"prompt": "none"}))
		if !strings.Contains(resp.Header.Get("Location"), "code=") {
			t.Fatalf("prompt=none: %s", resp.Header.Get("Location"))
		}
	})
	t.Run("prompt=login forces the form", func(t *testing.T) {
		resp := authorizeWith(t, b, authorizeURL(s, map[string]string{"prompt": "login"}))
		if !strings.HasPrefix(resp.Header.Get("Location"), "/login?tx=") {
			t.Fatalf("prompt=login: %s", resp.Header.Get("Location"))
		}
	})
	t.Run("max_age within the session keeps auth_time", func(t *testing.T) {
		s.SetClockOffset(30 * time.Second)
		t.Cleanup(func() { s.SetClockOffset(0) })
		cb := login(t, b, authorizeURL(s, noPKCE(map[string]string{"max_age": "3600"})), alice, password)
		if got := idTokenClaim(t, s, cb, "auth_time"); got != authTime {
			t.Errorf("auth_time = %v, want the session's %v", got, authTime)
		}
	})
	t.Run("max_age exceeded forces the form", func(t *testing.T) {
		s.SetClockOffset(2 * time.Minute)
		t.Cleanup(func() { s.SetClockOffset(0) })
		resp := authorizeWith(t, b, authorizeURL(s, map[string]string{"max_age": "60"}))
		if !strings.HasPrefix(resp.Header.Get("Location"), "/login?tx=") {
			t.Fatalf("max_age=60 after 2m: %s", resp.Header.Get("Location"))
		}
		resp = authorizeWith(t, b, authorizeURL(s, map[string]string{"max_age": "60", "prompt": "none"}))
		if loc, _ := url.Parse(resp.Header.Get("Location")); loc.Query().Get("error") != "login_required" {
			t.Fatalf("max_age + prompt=none: %s", loc)
		}
		cb := login(t, b, authorizeURL(s, noPKCE(map[string]string{"max_age": "60"})), alice, password)
		if got := idTokenClaim(t, s, cb, "auth_time"); got.(float64) <= authTime.(float64) {
			t.Errorf("auth_time %v not renewed (was %v)", got, authTime)
		}
	})
	t.Run("session expires", func(t *testing.T) {
		s.SetClockOffset(3 * time.Hour)
		t.Cleanup(func() { s.SetClockOffset(0) })
		resp := authorizeWith(t, b, authorizeURL(s, nil))
		if !strings.HasPrefix(resp.Header.Get("Location"), "/login?tx=") {
			t.Fatalf("expired session still signs in: %s", resp.Header.Get("Location"))
		}
	})
}

// idTokenClaim exchanges the callback's code and returns one ID token claim.
func idTokenClaim(t *testing.T, s interface{ Issuer() string }, cb *emulatortest.Callback, claim string) any {
	t.Helper()
	return idTokenClaims(t, s, cb)[claim]
}

func idTokenClaims(t *testing.T, s interface{ Issuer() string }, cb *emulatortest.Callback) map[string]any {
	t.Helper()
	// The callback must come from an authorize request without PKCE (see noPKCE).
	resp := doPost(t, s.Issuer()+"/v1/token", webID, webSecret, url.Values{"grant_type": {"authorization_code"}, "code": {cb.Params.Get("code")}, "redirect_uri": {webRedirect}}, nil)
	out := map[string]any{}
	decode(t, resp, &out)
	idt, _ := out["id_token"].(string)
	if idt == "" {
		t.Fatalf("no ID token: %d %v", resp.StatusCode, out)
	}
	return decodeJWT(t, idt)
}

func TestLogout(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	b := emulatortest.NewBrowser()
	cb := login(t, b, authorizeURL(s, noPKCE(nil)), alice, password)
	resp := doPost(t, s.Issuer()+"/v1/token", webID, webSecret, url.Values{"grant_type": {"authorization_code"}, "code": {cb.Params.Get("code")}, "redirect_uri": {webRedirect}}, nil)
	out := map[string]any{}
	decode(t, resp, &out)
	idToken := out["id_token"].(string)

	t.Run("unregistered post_logout_redirect_uri", func(t *testing.T) {
		resp, body := get(t, s.Issuer()+"/v1/logout?"+url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {"http://evil.example/"}}.Encode())
		if resp.StatusCode != 400 || resp.Header.Get("Location") != "" || !strings.Contains(body, "must be a Logout redirect URI in the client app settings") {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("bad id_token_hint", func(t *testing.T) {
		resp, body := get(t, s.Issuer()+"/v1/logout?id_token_hint=abc.def.ghi&post_logout_redirect_uri=http://127.0.0.1:8000/bye")
		if resp.StatusCode != 400 || !strings.Contains(body, "id_token_hint") {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("logout ends the session and returns with state", func(t *testing.T) {
		// The ID token (1 h) has expired, the IdP session (2 h) has not: the token is still a hint.
		s.SetClockOffset(90 * time.Minute)
		resp, err := b.HTTP.Get(s.Issuer() + "/v1/logout?" + url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {"http://127.0.0.1:8000/bye"}, "state": {"bye-1"}}.Encode())
		s.SetClockOffset(0)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "http://127.0.0.1:8000/bye?state=bye-1" {
			t.Fatalf("logout: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp = authorizeWith(t, b, authorizeURL(s, map[string]string{"prompt": "none"}))
		if loc, _ := url.Parse(resp.Header.Get("Location")); loc.Query().Get("error") != "login_required" {
			t.Errorf("session survived logout: %s", loc)
		}
	})
}

func TestUserinfoErrors(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	call := func(token string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, s.Issuer()+"/v1/userinfo", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := call("not-a-token")
	if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token", error_description="The access token is invalid"`) {
		t.Errorf("bad token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if resp := call(""); resp.StatusCode != 401 {
		t.Errorf("no token: %d", resp.StatusCode)
	}
	// A client_credentials token has no openid scope and no user.
	out := map[string]any{}
	decode(t, doPost(t, s.Issuer()+"/v1/token", svcID, svcSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {"orders:read"}}, nil), &out)
	resp = call(out["access_token"].(string))
	if resp.StatusCode != 403 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "insufficient_scope") {
		t.Errorf("no openid scope: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	// An access token of another authorization server is rejected.
	resp = func() *http.Response {
		req, _ := http.NewRequest(http.MethodGet, s.IssuerFor("aus-new")+"/v1/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+out["access_token"].(string))
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r
	}()
	if resp.StatusCode != 401 {
		t.Errorf("token of another server: %d", resp.StatusCode)
	}
}

func TestIntrospectAndRevokeRefreshToken(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	code, verifier := codeFor(t, s, "openid offline_access")
	_, out := tokenCall(t, s, webID, webSecret, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {webRedirect}, "code_verifier": {verifier}}, nil)
	rt := out["refresh_token"].(string)
	idt := out["id_token"].(string)
	intro := postForm(t, s.Issuer()+"/v1/introspect", webID, webSecret, url.Values{"token": {rt}, "token_type_hint": {"refresh_token"}})
	if intro["active"] != true || intro["token_type"] != "refresh_token" || intro["username"] != alice {
		t.Errorf("introspect refresh: %v", intro)
	}
	if intro := postForm(t, s.Issuer()+"/v1/introspect", webID, webSecret, url.Values{"token": {idt}}); intro["active"] != true || intro["token_type"] != "id_token" {
		t.Errorf("introspect id token: %v", intro)
	}
	// Another client learns nothing about it.
	if intro := postForm(t, s.Issuer()+"/v1/introspect", svcID, svcSecret, url.Values{"token": {rt}}); intro["active"] != false {
		t.Errorf("introspect by another client: %v", intro)
	}
	resp := doPost(t, s.Issuer()+"/v1/introspect", webID, "wrong", url.Values{"token": {rt}}, nil)
	if resp.StatusCode != 401 {
		t.Errorf("introspect with a wrong secret: %d", resp.StatusCode)
	}
	resp = doPost(t, s.Issuer()+"/v1/revoke", webID, webSecret, url.Values{"token": {"garbage"}}, nil)
	if resp.StatusCode != 200 {
		t.Errorf("revoke garbage: %d, Okta answers 200", resp.StatusCode)
	}
	doPost(t, s.Issuer()+"/v1/revoke", webID, webSecret, url.Values{"token": {rt}}, nil)
	status, out := tokenCall(t, s, webID, webSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, nil)
	if status != 400 || out["error"] != "invalid_grant" {
		t.Errorf("revoked refresh token: %d %v", status, out)
	}
}

// noPKCE drops the PKCE parameters (the web client does not require them).
func noPKCE(overrides map[string]string) map[string]string {
	out := map[string]string{"code_challenge": "", "code_challenge_method": ""}
	for k, v := range overrides {
		out[k] = v
	}
	return out
}
