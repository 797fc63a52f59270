package emulator

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

var fuzzServer = sync.OnceValue(func() *Server {
	cfg := Default()
	cfg.Clients = append(cfg.Clients,
		Client{ID: "spa", Type: ClientSPA, RedirectURIs: []string{"http://localhost:3000/cb"}, AssignAll: true},
		Client{ID: "svc", Secret: "svc-secret", Type: ClientService})
	cfg.AuthServers = append(cfg.AuthServers, AuthServer{ID: "aus1", Audiences: []string{"api://x"}, Scopes: []Scope{{Name: "x", Default: true}}})
	s, err := New(cfg, Options{BaseURL: "http://127.0.0.1:9000"})
	if err != nil {
		panic(err)
	}
	return s
})

// FuzzAuthorizeRequest: any query string gets a page, a redirect to a registered redirect URI
// or to the sign-in page, or a form_post to a registered URI — never a 500 or a panic.
func FuzzAuthorizeRequest(f *testing.F) {
	for _, seed := range []string{
		"client_id=" + DemoClientID + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8000%2Fanything&response_type=code&scope=openid&state=s&nonce=n",
		"client_id=" + DemoClientID + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8000%2Fanything&response_type=code&scope=openid+profile&state=s&response_mode=form_post&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
		"client_id=spa&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcb&response_type=code&scope=openid&state=s&prompt=none&max_age=0",
		"client_id=" + DemoClientID + "&redirect_uri=http%3A%2F%2Fevil%2F&response_type=code",
		"client_id=%zz&redirect_uri=;;;&&&",
		"client_id=" + DemoClientID + "&client_id=x",
		"scope=" + strings.Repeat("a+", 100),
		"",
	} {
		f.Add(seed, "/oauth2/default/v1/authorize")
	}
	f.Add("client_id=x", "/oauth2/aus1/v1/authorize")
	s := fuzzServer()
	f.Fuzz(func(t *testing.T, rawQuery, path string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " ?#\x00\r\n") {
			return
		}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL.Path, req.URL.RawQuery = path, rawQuery
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, rawQuery, rec.Body)
		}
		if loc := rec.Header().Get("Location"); rec.Code == http.StatusFound && !strings.HasPrefix(loc, "/login?tx=") {
			if !registeredPrefix(s, loc) {
				t.Fatalf("redirect to an unregistered URI %q", loc)
			}
		}
		if body := rec.Body.String(); strings.Contains(body, "Submit This Form") {
			i := strings.Index(body, `action="`)
			rest := body[i+len(`action="`):]
			if !registeredPrefix(s, rest[:strings.IndexByte(rest, '"')]) {
				t.Fatalf("form_post to an unregistered URI: %s", body)
			}
		}
	})
}

func registeredPrefix(s *Server, loc string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, c := range s.clients {
		for _, u := range c.RedirectURIs {
			if loc == u || strings.HasPrefix(loc, u+"?") || strings.HasPrefix(loc, u+"#") {
				return true
			}
		}
	}
	return false
}

// FuzzTokenRequest: any body and Authorization header get an OAuth or Okta JSON error or tokens,
// never a 500, a panic or a non-JSON body.
func FuzzTokenRequest(f *testing.F) {
	basic := "Basic " + "ZGVtbzpzZWNyZXQ=" // demo:secret
	for _, seed := range []struct{ body, auth string }{
		{"grant_type=authorization_code&code=abc&redirect_uri=http%3A%2F%2F127.0.0.1%3A8000%2Fanything&code_verifier=" + strings.Repeat("v", 43), basic},
		{"grant_type=client_credentials&scope=x", "Basic c3ZjOnN2Yy1zZWNyZXQ="},
		{"grant_type=client_credentials&scope=openid&client_id=svc&client_secret=svc-secret", ""},
		{"grant_type=refresh_token&refresh_token=zzz&client_id=spa", ""},
		{"grant_type=authorization_code&client_id=spa&code=", ""},
		{"grant_type=password&username=a&password=b", basic},
		{"client_id=svc&client_secret=x&client_assertion=y", ""},
		{"%zz=&&==", "Basic %%%"},
		{"grant_type=client_credentials&grant_type=client_credentials", "Basic Og=="},
		{"", "Bearer x"},
	} {
		f.Add(seed.body, seed.auth, "/oauth2/default/v1/token")
	}
	f.Add("token=abc", "Basic c3ZjOnN2Yy1zZWNyZXQ=", "/oauth2/aus1/v1/introspect")
	f.Add("token=abc", "Basic c3ZjOnN2Yy1zZWNyZXQ=", "/oauth2/aus1/v1/revoke")
	s := fuzzServer()
	f.Fuzz(func(t *testing.T, body, auth, path string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " ?#\x00\r\n") || strings.ContainsAny(auth, "\r\n\x00") {
			return
		}
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.URL.Path = path
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q / %q: %s", rec.Code, body, auth, rec.Body)
		}
		if strings.HasSuffix(path, "/v1/token") && rec.Body.Len() > 0 && !json.Valid(rec.Body.Bytes()) && rec.Code != http.StatusNotFound {
			t.Fatalf("non-JSON token response %d: %s", rec.Code, rec.Body)
		}
		for _, secret := range []string{"svc-secret"} {
			if strings.Contains(rec.Body.String(), secret) {
				t.Fatalf("response echoes a secret: %s", rec.Body)
			}
		}
	})
}
