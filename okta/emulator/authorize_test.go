package emulator_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/okta/emulator/emulatortest"
)

// Failures Okta shows on its own page: the client or redirect URI cannot be trusted.
func TestAuthorizeErrorPage(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	tests := []struct {
		name      string
		overrides map[string]string
		want      string
	}{
		{"unknown client", map[string]string{"client_id": "0oanope"}, "Invalid value for &#39;client_id&#39; parameter."},
		{"missing client", map[string]string{"client_id": ""}, "The &#39;client_id&#39; parameter is required."},
		{"unregistered redirect uri", map[string]string{"redirect_uri": "http://127.0.0.1:8000/other"},
			"Your request resulted in an error. The &#39;redirect_uri&#39; parameter must be a Login redirect URI in the client app settings: " +
				s.URL() + "/admin/app/oidc_client/instance/" + webID + "#tab-general"},
		{"redirect uri differs by a slash", map[string]string{"redirect_uri": webRedirect + "/"}, "must be a Login redirect URI"},
		{"missing redirect uri", map[string]string{"redirect_uri": ""}, "The &#39;redirect_uri&#39; parameter is required."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, authorizeURL(s, tt.overrides))
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Fatalf("status %d, Location %q; want 400 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
			}
			if !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, tt.want) {
				t.Errorf("page lacks %q:\n%s", tt.want, body)
			}
		})
	}
}

// Failures after the redirect URI is trusted go back to the client with error, description, state.
func TestAuthorizeRedirectErrors(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	tests := []struct {
		name      string
		overrides map[string]string
		code      string
		desc      string
	}{
		{"missing state", map[string]string{"state": ""}, "invalid_request", "The authentication request has an invalid 'state' parameter."},
		{"implicit response type", map[string]string{"response_type": "id_token token"}, "unsupported_response_type", "Configured response types: [code]."},
		{"bad response mode", map[string]string{"response_mode": "okta_post_message"}, "unsupported_response_mode", "okta_post_message"},
		{"groups scope not on server", map[string]string{"scope": "openid groupz"}, "invalid_scope", "One or more scopes are not configured for the authorization server resource."},
		{"missing scope", map[string]string{"scope": ""}, "invalid_scope", "scope"},
		{"plain PKCE", map[string]string{"code_challenge_method": "plain"}, "invalid_request", "Only 'S256' is supported as the code_challenge_method."},
		{"PKCE illegal characters", map[string]string{"code_challenge": strings.Repeat("a", 42) + "+"}, "invalid_request", "PKCE code challenge contains illegal characters."},
		{"PKCE too short", map[string]string{"code_challenge": "abc"}, "invalid_request", "between 43 and 128"},
		{"prompt none without session", map[string]string{"prompt": "none"}, "login_required", "The client specified not to prompt, but the user is not logged in."},
		{"bad prompt", map[string]string{"prompt": "select_account"}, "invalid_request", "select_account"},
		{"bad max_age", map[string]string{"max_age": "-1"}, "invalid_request", "max_age"},
		{"request object", map[string]string{"request": "eyJ..."}, "request_not_supported", "request objects"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := get(t, authorizeURL(s, tt.overrides))
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("status %d, want 302", resp.StatusCode)
			}
			loc, err := url.Parse(resp.Header.Get("Location"))
			if err != nil || !strings.HasPrefix(loc.String(), webRedirect+"?") {
				t.Fatalf("Location = %q", resp.Header.Get("Location"))
			}
			q := loc.Query()
			if q.Get("error") != tt.code || !strings.Contains(q.Get("error_description"), tt.desc) {
				t.Errorf("error=%q description=%q; want %q containing %q", q.Get("error"), q.Get("error_description"), tt.code, tt.desc)
			}
			if want := tt.overrides["state"]; want == "" && tt.name != "missing state" && q.Get("state") != "st-1" {
				t.Errorf("state not echoed: %v", q)
			}
		})
	}
}

func TestAuthorizeRepeatedParameter(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	resp, _ := get(t, authorizeURL(s, nil)+"&scope=openid")
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc.Query().Get("error") != "invalid_request" || !strings.Contains(loc.Query().Get("error_description"), "'scope'") {
		t.Errorf("Location = %s", loc)
	}
	if loc.Query().Get("state") != "st-1" {
		t.Errorf("the error does not echo the state: %s", loc)
	}
	resp, body := get(t, authorizeURL(s, map[string]string{"response_mode": "form_post"})+"&scope=openid")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="error" value="invalid_request"`) || !strings.Contains(body, `name="state" value="st-1"`) {
		t.Errorf("repeated scope with form_post: %d\n%s", resp.StatusCode, body)
	}
	resp, body = get(t, authorizeURL(s, nil)+"&client_id="+webID)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "must not be repeated") {
		t.Errorf("repeated client_id: %d %s", resp.StatusCode, body)
	}
}

func TestAuthorizeErrorFormPost(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	resp, body := get(t, authorizeURL(s, map[string]string{"response_mode": "form_post", "scope": "openid nope"}))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `action="`+webRedirect+`"`) ||
		!strings.Contains(body, `name="error" value="invalid_scope"`) || !strings.Contains(body, `name="state" value="st-1"`) {
		t.Errorf("form_post error page:\n%s", body)
	}
}

func TestPKCERequired(t *testing.T) {
	cfg := testConfig()
	cfg.Clients[0].PKCERequired = true
	s := emulatortest.Start(t, cfg)
	for _, tt := range []struct{ client, redirect, want string }{
		{spaID, spaRedirect, "PKCE code challenge is required when the token endpoint authentication method is 'NONE'."},
		{webID, webRedirect, "PKCE code challenge is required"},
	} {
		resp, _ := get(t, authorizeURL(s, map[string]string{"client_id": tt.client, "redirect_uri": tt.redirect, "code_challenge": "", "code_challenge_method": ""}))
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if loc.Query().Get("error") != "invalid_request" || !strings.Contains(loc.Query().Get("error_description"), tt.want) {
			t.Errorf("%s: Location = %s", tt.client, loc)
		}
	}
}

func TestUnknownAuthServer(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	for _, path := range []string{"/oauth2/ausNOPE/.well-known/openid-configuration", "/oauth2/ausNOPE/v1/authorize?client_id=x", "/oauth2/ausNOPE/v1/keys"} {
		resp, body := get(t, s.URL()+path)
		var e struct{ ErrorCode, ErrorSummary, ErrorID string }
		if err := json.Unmarshal([]byte(body), &e); err != nil || resp.StatusCode != http.StatusNotFound ||
			e.ErrorCode != "E0000007" || e.ErrorSummary != "Not found: Resource not found: ausNOPE (AuthorizationServer)" || e.ErrorID == "" {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
}

// Errors that need the user: assignment and access policy are checked after sign-in.
func TestAuthorizeAfterLoginErrors(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	tests := []struct {
		name, issuer, user, code, desc string
	}{
		{"user not assigned", s.Issuer(), bob, "access_denied", "User is not assigned to the client application."},
		{"server without policy", s.IssuerFor("aus-new"), alice, "access_denied", "Policy evaluation failed for this request, please check the policy configurations."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cb := login(t, emulatortest.NewBrowser(), authorizeURLFor(tt.issuer, nil), tt.user, password)
			if cb.URL != webRedirect || cb.Params.Get("error") != tt.code || cb.Params.Get("error_description") != tt.desc || cb.Params.Get("state") != "st-1" {
				t.Errorf("callback = %+v", cb)
			}
		})
	}
}

func TestPolicyRules(t *testing.T) {
	cfg := testConfig()
	cfg.AuthServers[1].Policies = []emulator.Policy{{
		Name: "tutorial", Clients: []string{webID},
		Rules: []emulator.Rule{{Name: "code only, openid+profile", GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid", "profile"}, Users: []string{alice}}},
	}}
	s := emulatortest.Start(t, cfg)
	iss := s.IssuerFor("aus-new")
	cb := login(t, emulatortest.NewBrowser(), authorizeURLFor(iss, map[string]string{"scope": "openid profile"}), alice, password)
	if cb.Params.Get("code") == "" {
		t.Fatalf("rule should allow: %v", cb.Params)
	}
	cb = login(t, emulatortest.NewBrowser(), authorizeURLFor(iss, map[string]string{"scope": "openid email"}), alice, password)
	if cb.Params.Get("error_description") != "Policy evaluation failed for this request, please check the policy configurations." {
		t.Fatalf("scope outside rule: %v", cb.Params)
	}
}

func TestLoginForm(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	t.Run("wrong password then retry", func(t *testing.T) {
		b := emulatortest.NewBrowser()
		_, err := b.Login(t.Context(), authorizeURL(s, nil), alice, "wrong")
		var pe *emulatortest.ErrPage
		if !errors.As(err, &pe) || pe.Status != http.StatusUnauthorized || pe.Message != "Unable to sign in" {
			t.Fatalf("wrong password: %v", err)
		}
		// The same transaction accepts a retry on the same form.
		resp, body := get(t, authorizeURL(s, nil))
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("authorize: %d %s", resp.StatusCode, body)
		}
		tx := txFrom(t, resp)
		page := postLogin(t, s, tx, url.Values{"tx": {tx.id}, "csrf": {tx.csrf}, "identifier": {alice}, "credentials.passcode": {"nope"}})
		if page.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password status %d", page.StatusCode)
		}
		page = postLogin(t, s, tx, url.Values{"tx": {tx.id}, "csrf": {tx.csrf}, "identifier": {alice}, "credentials.passcode": {password}})
		if page.StatusCode != http.StatusFound || !strings.HasPrefix(page.Header.Get("Location"), webRedirect+"?code=") {
			t.Fatalf("retry: %d %s", page.StatusCode, page.Header.Get("Location"))
		}
	})
	t.Run("single form username and password", func(t *testing.T) {
		resp, _ := get(t, authorizeURL(s, nil))
		tx := txFrom(t, resp)
		page := postLogin(t, s, tx, url.Values{"tx": {tx.id}, "csrf": {tx.csrf}, "username": {"ALICE@example.com"}, "password": {password}})
		if page.StatusCode != http.StatusFound || !strings.Contains(page.Header.Get("Location"), "code=") {
			t.Fatalf("single form: %d %s", page.StatusCode, page.Header.Get("Location"))
		}
		// A transaction completes once.
		page = postLogin(t, s, tx, url.Values{"tx": {tx.id}, "csrf": {tx.csrf}, "username": {alice}, "password": {password}})
		if page.StatusCode != http.StatusBadRequest {
			t.Errorf("reused transaction: %d", page.StatusCode)
		}
	})
	t.Run("csrf mismatch", func(t *testing.T) {
		resp, _ := get(t, authorizeURL(s, nil))
		tx := txFrom(t, resp)
		page := postLogin(t, s, tx, url.Values{"tx": {tx.id}, "csrf": {"forged"}, "username": {alice}, "password": {password}})
		if page.StatusCode != http.StatusForbidden {
			t.Errorf("csrf mismatch: %d", page.StatusCode)
		}
	})
	t.Run("login CSRF: the form sent from another browser", func(t *testing.T) {
		// The attacker starts a sign-in in their own browser and has the victim's browser post
		// that form with the attacker's credentials: without the binding cookie it is refused,
		// so the victim is not signed in to the IdP as the attacker.
		resp, _ := get(t, authorizeURL(s, nil))
		tx := txFrom(t, resp)
		victim := tx
		victim.browser = nil
		page := postLogin(t, s, victim, url.Values{"tx": {tx.id}, "csrf": {tx.csrf}, "username": {alice}, "password": {password}})
		if page.StatusCode != http.StatusForbidden || page.Header.Get("Set-Cookie") != "" {
			t.Errorf("form without the browser cookie: %d, Set-Cookie %q", page.StatusCode, page.Header.Get("Set-Cookie"))
		}
		other, _ := get(t, authorizeURL(s, nil))
		victim.browser = txFrom(t, other).browser // a browser with its own, different sign-in
		page = postLogin(t, s, victim, url.Values{"tx": {tx.id}, "csrf": {tx.csrf}, "username": {alice}, "password": {password}})
		if page.StatusCode != http.StatusForbidden {
			t.Errorf("form from another browser: %d", page.StatusCode)
		}
	})
	t.Run("too many attempts", func(t *testing.T) {
		resp, _ := get(t, authorizeURL(s, nil))
		tx := txFrom(t, resp)
		var last int
		for range 10 {
			last = postLogin(t, s, tx, url.Values{"tx": {tx.id}, "csrf": {tx.csrf}, "username": {alice}, "password": {"x"}}).StatusCode
		}
		if last != http.StatusTooManyRequests {
			t.Errorf("10th failure: %d", last)
		}
	})
	t.Run("page ids for browsers", func(t *testing.T) {
		resp, _ := get(t, authorizeURL(s, nil))
		_, body := get(t, s.URL()+resp.Header.Get("Location"))
		for _, want := range []string{`id="identifier" name="identifier"`, `<button type="submit"`, `<form method="post" action="/login"`, `name="csrf"`} {
			if !strings.Contains(body, want) {
				t.Errorf("identifier page lacks %q", want)
			}
		}
		tx := txFrom(t, resp)
		page := postLogin(t, s, tx, url.Values{"tx": {tx.id}, "csrf": {tx.csrf}, "identifier": {alice}})
		b := readBody(t, page)
		if !strings.Contains(b, `id="credentials-passcode" name="credentials.passcode"`) || !strings.Contains(b, alice) {
			t.Errorf("password page:\n%s", b)
		}
	})
}

// txInfo is a pending sign-in: its id, the form's CSRF token, and the cookie that binds it to
// the browser that started it.
type txInfo struct {
	id, csrf string
	browser  *http.Cookie
}

// txFrom follows the authorize redirect to the sign-in page and reads its hidden fields.
func txFrom(t *testing.T, authorizeResp *http.Response) txInfo {
	t.Helper()
	loc := authorizeResp.Header.Get("Location")
	u, err := url.Parse(loc)
	if err != nil || u.Path != "/login" {
		t.Fatalf("authorize did not go to the sign-in page: %q", loc)
	}
	_, body := get(t, authorizeResp.Request.URL.ResolveReference(u).String())
	i := strings.Index(body, `name="csrf" value="`)
	if i < 0 {
		t.Fatalf("no csrf field:\n%s", body)
	}
	rest := body[i+len(`name="csrf" value="`):]
	info := txInfo{id: u.Query().Get("tx"), csrf: rest[:strings.IndexByte(rest, '"')]}
	for _, c := range authorizeResp.Cookies() {
		if c.Name == "oidclab_idp_browser" {
			info.browser = c
		}
	}
	if info.browser == nil {
		t.Fatal("authorize did not set the browser cookie")
	}
	return info
}

// postLogin submits the sign-in form from the browser that started tx (nil tx.browser: from
// one without the cookie).
func postLogin(t *testing.T, s *emulator.Server, tx txInfo, v url.Values) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/login", strings.NewReader(v.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if tx.browser != nil {
		req.AddCookie(&http.Cookie{Name: tx.browser.Name, Value: tx.browser.Value})
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			return sb.String()
		}
	}
}
