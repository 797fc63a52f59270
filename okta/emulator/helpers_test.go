package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/okta/emulator/emulatortest"
)

const (
	webID       = "0oawebclient00000001"
	webSecret   = "s3cret+with%special:chars"
	webRedirect = "http://127.0.0.1:8000/callback"
	spaID       = "0oaspaclient00000001"
	spaRedirect = "http://localhost:3000/callback"
	svcID       = "0oaservice0000000001"
	svcSecret   = "service-secret"
	alice       = "alice@example.com"
	bob         = "bob@example.com"
	password    = "correct horse"
)

// testConfig has a web app (alice assigned, bob not), a SPA, a service app, the default server
// (shipped policy) and a custom server "aus-new" with no access policy.
func testConfig() emulator.Config {
	return emulator.Config{
		Users: []emulator.User{
			{Login: alice, Password: password, Profile: emulator.Profile{Name: "Alice Example", Email: alice}, Groups: []string{"Everyone", "admins"}},
			{Login: bob, Password: password, Groups: []string{"Everyone"}},
		},
		Clients: []emulator.Client{
			{ID: webID, Secret: webSecret, Type: emulator.ClientWeb, RedirectURIs: []string{webRedirect},
				PostLogoutRedirectURIs: []string{"http://127.0.0.1:8000/bye"}, AssignedUsers: []string{alice}},
			{ID: spaID, Type: emulator.ClientSPA, RedirectURIs: []string{spaRedirect}, AssignAll: true},
			{ID: svcID, Secret: svcSecret, Type: emulator.ClientService},
		},
		AuthServers: []emulator.AuthServer{
			{ID: "default", Audiences: []string{"api://default"}, Scopes: []emulator.Scope{{Name: "groups"}, {Name: "orders:read", Default: true, Publish: true}}},
			{ID: "aus-new", Audiences: []string{"api://new"}},
		},
	}
}

// authorizeURL builds an authorization request with sensible defaults; overrides replace them,
// and an empty override value deletes the parameter.
func authorizeURL(s *emulator.Server, overrides map[string]string) string {
	return authorizeURLFor(s.Issuer(), overrides)
}

func authorizeURLFor(issuer string, overrides map[string]string) string {
	_, challenge := pkcePair()
	q := url.Values{
		"client_id": {webID}, "redirect_uri": {webRedirect}, "response_type": {"code"}, "scope": {"openid profile email"},
		"state": {"st-1"}, "nonce": {"n-1"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
	for k, v := range overrides {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	return issuer + "/v1/authorize?" + q.Encode()
}

// noRedirect is an HTTP client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	resp, err := noRedirect.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// login signs in through the forms and returns the callback.
func login(t *testing.T, b *emulatortest.Browser, authURL, user, pass string) *emulatortest.Callback {
	t.Helper()
	cb, err := b.Login(context.Background(), authURL, user, pass)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	return cb
}

// tokenCall posts to /v1/token and returns status and decoded JSON.
func tokenCall(t *testing.T, s *emulator.Server, id, secret string, v url.Values, hdr http.Header) (int, map[string]any) {
	t.Helper()
	resp := doPost(t, s.Issuer()+"/v1/token", id, secret, v, hdr)
	out := map[string]any{}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("token response is not JSON: %v", err)
	}
	return resp.StatusCode, out
}

// codeFor logs alice in at the web client and returns a code and the PKCE verifier.
func codeFor(t *testing.T, s *emulator.Server, scope string) (code, verifier string) {
	t.Helper()
	verifier, challenge := pkcePair()
	cb := login(t, emulatortest.NewBrowser(), authorizeURL(s, map[string]string{"code_challenge": challenge, "scope": scope}), alice, password)
	if cb.Params.Get("code") == "" {
		t.Fatalf("no code: %v", cb.Params)
	}
	return cb.Params.Get("code"), verifier
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func decode(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("decode: %v", err)
	}
}
