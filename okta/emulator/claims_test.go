package emulator_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/okta/emulator/emulatortest"
)

func exchangeCode(t *testing.T, s *emulator.Server, issuer, scope string) (int, map[string]any) {
	t.Helper()
	verifier, challenge := pkcePair()
	cb := login(t, emulatortest.NewBrowser(), authorizeURLFor(issuer, map[string]string{"code_challenge": challenge, "scope": scope}), alice, password)
	if cb.Params.Get("code") == "" {
		t.Fatalf("no code: %v", cb.Params)
	}
	resp := doPost(t, issuer+"/v1/token", webID, webSecret, url.Values{"grant_type": {"authorization_code"}, "code": {cb.Params.Get("code")},
		"redirect_uri": {webRedirect}, "code_verifier": {verifier}}, nil)
	out := map[string]any{}
	decode(t, resp, &out)
	return resp.StatusCode, out
}

func TestClaimsByScope(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	tests := []struct {
		scope     string
		want, not []string
	}{
		{"openid", []string{"sub", "ver", "iss", "aud", "iat", "exp", "jti", "amr", "idp", "nonce", "auth_time", "at_hash"}, []string{"name", "email", "preferred_username", "groups"}},
		{"openid profile", []string{"name", "preferred_username"}, []string{"email", "groups"}},
		{"openid email", []string{"email"}, []string{"name"}},
		{"openid groups", []string{"groups"}, []string{"email"}},
	}
	for _, tt := range tests {
		t.Run(tt.scope, func(t *testing.T) {
			status, out := exchangeCode(t, s, s.Issuer(), tt.scope)
			if status != 200 {
				t.Fatalf("%d %v", status, out)
			}
			idt := decodeJWT(t, out["id_token"].(string))
			for _, k := range tt.want {
				if _, ok := idt[k]; !ok {
					t.Errorf("ID token lacks %s: %v", k, idt)
				}
			}
			for _, k := range tt.not {
				if _, ok := idt[k]; ok {
					t.Errorf("ID token has %s without its scope", k)
				}
			}
			if g, ok := idt["groups"].([]any); ok && !slices.Contains(g, any("admins")) {
				t.Errorf("groups = %v", g)
			}
			hdr := decodeSegment(t, strings.Split(out["id_token"].(string), ".")[0])
			if len(hdr) != 2 || hdr["alg"] != "RS256" || hdr["kid"] == "" {
				t.Errorf("JWT header = %v, want exactly kid and alg", hdr)
			}
		})
	}
}

func TestTokenLifetimes(t *testing.T) {
	cfg := testConfig()
	cfg.Tokens.AccessToken = 30 * time.Minute
	cfg.AuthServers[1].Policies = []emulator.Policy{{Name: "p", Clients: []string{emulator.AllClients},
		Rules: []emulator.Rule{{Name: "short", AccessTokenLifetime: 5 * time.Minute, GrantTypes: []string{"authorization_code"}}}}}
	s := emulatortest.Start(t, cfg)
	for _, tt := range []struct {
		issuer string
		want   time.Duration
	}{{s.Issuer(), 30 * time.Minute}, {s.IssuerFor("aus-new"), 5 * time.Minute}} {
		_, out := exchangeCode(t, s, tt.issuer, "openid offline_access")
		at := decodeJWT(t, out["access_token"].(string))
		if got := time.Duration(at["exp"].(float64)-at["iat"].(float64)) * time.Second; got != tt.want || out["expires_in"] != tt.want.Seconds() {
			t.Errorf("%s: lifetime %s, expires_in %v; want %s", tt.issuer, got, out["expires_in"], tt.want)
		}
		if tt.issuer != s.Issuer() && out["refresh_token"] != nil {
			t.Errorf("a rule without refresh_token issued a refresh token")
		}
		if at["aud"] != map[bool]string{true: "api://default", false: "api://new"}[tt.issuer == s.Issuer()] {
			t.Errorf("aud = %v", at["aud"])
		}
	}
}

func TestFormPostPage(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	b := emulatortest.NewBrowser()
	login(t, b, authorizeURL(s, noPKCE(nil)), alice, password) // a session, so authorize answers at once
	resp, err := b.HTTP.Get(authorizeURL(s, noPKCE(map[string]string{"response_mode": "form_post", "state": "a\"<b>"})))
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	resp.Body.Close()
	for _, want := range []string{
		`<form method="post" action="` + webRedirect + `">`,
		`onload="javascript:document.forms[0].submit()"`,
		`<noscript>`, `<button type="submit"`,
		`name="state" value="a&#34;&lt;b&gt;"`, // escaped, not injected
	} {
		if !strings.Contains(body, want) {
			t.Errorf("form_post page lacks %s:\n%s", want, body)
		}
	}
	if resp.Header.Get("Cache-Control") != "no-cache, no-store" {
		t.Errorf("form_post page is cacheable: %q", resp.Header.Get("Cache-Control"))
	}
}

func TestStartStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := emulator.Start(ctx, "127.0.0.1:0", testConfig(), emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, body := get(t, s.Issuer()+"/v1/keys"); !strings.Contains(body, `"keys"`) {
		t.Fatalf("keys: %s", body)
	}
	cancel()
	if err := s.Close(); err != nil {
		t.Errorf("Close after cancel: %v", err)
	}
	if resp, err := http.Get(s.Issuer() + "/v1/keys"); err == nil {
		resp.Body.Close()
		t.Error("still serving after the context ended")
	}
}

func TestInvalidConfigRejected(t *testing.T) {
	_, err := emulator.New(emulator.Config{Clients: []emulator.Client{{ID: "x", Type: "web"}}}, emulator.Options{})
	if err == nil || !strings.Contains(err.Error(), "clients[0].secret: required") || !strings.Contains(err.Error(), "clients[0].redirect_uris") {
		t.Errorf("err = %v", err)
	}
	if _, err := emulator.Start(context.Background(), "256.0.0.1:0", testConfig(), emulator.Options{}); err == nil {
		t.Error("bad address accepted")
	}
}

// Listening on every interface, the URLs name the loopback address of the family asked for:
// Go reports a 0.0.0.0 listener as [::], which must not turn the issuer into http://[::1]:….
func TestStartOnUnspecifiedAddress(t *testing.T) {
	s, err := emulator.Start(t.Context(), "0.0.0.0:0", testConfig(), emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.Issuer(), "http://127.0.0.1:") || !strings.HasPrefix(s.ControlURL(), "http://127.0.0.1:") {
		t.Errorf("issuer %s, control %s: want http://127.0.0.1:PORT", s.Issuer(), s.ControlURL())
	}
}
