package emulator_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/okta/emulator/emulatortest"
)

// loginTokens runs a full code flow with PKCE for alice at the web client.
func loginTokens(t *testing.T, s *emulator.Server, nonce string) (*oauth2.Token, *rp) {
	t.Helper()
	r := newRP(t, s, webID, webSecret, webRedirect, oidc.ScopeOpenID, "profile")
	verifier := oauth2.GenerateVerifier()
	cb := login(t, emulatortest.NewBrowser(), r.cfg.AuthCodeURL("st", oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), alice, password)
	tok, err := r.cfg.Exchange(context.Background(), cb.Params.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return tok, r
}

func TestTokenMutations(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	tests := []struct {
		name string
		m    emulator.Mutation
		want string // in go-oidc's error, or "nonce"/"at_hash" for checks the RP makes itself
	}{
		{"wrong issuer", emulator.Mutation{WrongIssuer: true}, "different provider"},
		{"wrong audience", emulator.Mutation{WrongAudience: true}, "audience"},
		{"expired", emulator.Mutation{Expired: true}, "expired"},
		{"bad signature", emulator.Mutation{BadSignature: true}, "signature"},
		{"unknown key", emulator.Mutation{UnknownKeyID: true}, "signature"},
		{"wrong nonce", emulator.Mutation{WrongNonce: true}, "nonce"},
		{"wrong at_hash", emulator.Mutation{WrongAtHash: true}, "at_hash"},
		{"issued in the future", emulator.Mutation{IssuedInFuture: true}, "iat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.SetTokenMutation(tt.m)
			t.Cleanup(func() { s.SetTokenMutation(emulator.Mutation{}) })
			tok, r := loginTokens(t, s, "n-1")
			idt, err := r.verifier.Verify(context.Background(), tok.Extra("id_token").(string))
			switch tt.want {
			case "nonce":
				if err != nil || idt.Nonce == "n-1" {
					t.Errorf("want a verified token with another nonce: %v %v", err, idt)
				}
			case "iat": // go-oidc leaves iat to the caller (DESIGN: the RP checks the window)
				if err != nil || !idt.IssuedAt.After(time.Now().Add(30*time.Minute)) {
					t.Errorf("want a verified token issued an hour ahead: %v %v", err, idt.IssuedAt)
				}
			case "at_hash":
				if err != nil || idt.VerifyAccessToken(tok.AccessToken) == nil {
					t.Errorf("want at_hash mismatch: %v", err)
				}
			default:
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("verify error = %v, want it to mention %q", err, tt.want)
				}
			}
		})
	}
	t.Run("off again", func(t *testing.T) {
		tok, r := loginTokens(t, s, "n-2")
		if _, err := r.verifier.Verify(context.Background(), tok.Extra("id_token").(string)); err != nil {
			t.Errorf("unmutated token: %v", err)
		}
	})
}

func TestKeyRotation(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	before, r := loginTokens(t, s, "n")
	if err := s.RotateKeys(); err != nil {
		t.Fatal(err)
	}
	after, _ := loginTokens(t, s, "n")
	kid := func(tok string) string {
		parts := strings.Split(tok, ".")
		hdr := decodeSegment(t, parts[0])
		return hdr["kid"].(string)
	}
	if kid(before.Extra("id_token").(string)) == kid(after.Extra("id_token").(string)) {
		t.Fatal("rotation kept the signing key")
	}
	// The same verifier (cached JWKS) verifies both: go-oidc refetches on an unknown kid, and the
	// old key stays published.
	for _, tok := range []*oauth2.Token{before, after} {
		if _, err := r.verifier.Verify(context.Background(), tok.Extra("id_token").(string)); err != nil {
			t.Errorf("verify after rotation: %v", err)
		}
	}
	_, body := get(t, s.Issuer()+"/v1/keys")
	var jwks struct{ Keys []map[string]any }
	if err := json.Unmarshal([]byte(body), &jwks); err != nil || len(jwks.Keys) != 2 || jwks.Keys[0]["alg"] != "RS256" || jwks.Keys[0]["use"] != "sig" {
		t.Errorf("jwks = %s", body)
	}
}

func TestFaults(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	if err := s.SetFault(emulator.EndpointToken, emulator.Fault{Status: 503, Count: 1}); err != nil {
		t.Fatal(err)
	}
	v := url.Values{"grant_type": {"client_credentials"}, "scope": {"orders:read"}}
	if status, out := tokenCall(t, s, svcID, svcSecret, v, nil); status != 503 || out["errorCode"] != "E0000010" {
		t.Errorf("fault: %d %v", status, out)
	}
	if status, _ := tokenCall(t, s, svcID, svcSecret, v, nil); status != 200 {
		t.Errorf("after count ran out: %d", status)
	}
	if err := s.SetFault(emulator.EndpointDiscovery, emulator.Fault{MalformedJSON: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := oidc.NewProvider(context.Background(), s.Issuer()); err == nil {
		t.Error("discovery with malformed JSON succeeded")
	}
	_ = s.SetFault(emulator.EndpointDiscovery, emulator.Fault{})
	if _, err := oidc.NewProvider(context.Background(), s.Issuer()); err != nil {
		t.Errorf("discovery after clearing: %v", err)
	}
	// A delay holds the answer until the client gives up.
	_ = s.SetFault(emulator.EndpointKeys, emulator.Fault{Delay: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.Issuer()+"/v1/keys", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Error("delayed endpoint answered before the client's deadline")
	}
	for _, bad := range []struct {
		ep string
		f  emulator.Fault
	}{{"nope", emulator.Fault{Status: 500}}, {emulator.EndpointToken, emulator.Fault{Status: 200}}, {emulator.EndpointToken, emulator.Fault{Delay: time.Hour}}} {
		if err := s.SetFault(bad.ep, bad.f); err == nil {
			t.Errorf("SetFault(%q, %+v) accepted", bad.ep, bad.f)
		}
	}
}

func TestControlHTTP(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, s.URL()+"/_emulator"+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, body := do("PUT", "/faults/token", `{"status":500,"count":1}`); st != 204 {
		t.Fatalf("put fault: %d %s", st, body)
	}
	if status, _ := tokenCall(t, s, svcID, svcSecret, url.Values{"grant_type": {"client_credentials"}}, nil); status != 500 {
		t.Errorf("fault via HTTP not applied: %d", status)
	}
	if st, body := do("PUT", "/faults/token", `{"status":"x"}`); st != 400 {
		t.Errorf("bad fault body: %d %s", st, body)
	}
	if st, _ := do("PUT", "/clock", `{"offset":"1h"}`); st != 200 {
		t.Errorf("clock: %d", st)
	}
	_, out := tokenCall(t, s, svcID, svcSecret, url.Values{"grant_type": {"client_credentials"}}, nil)
	if iat := decodeJWT(t, out["access_token"].(string))["iat"].(float64); int64(iat) < time.Now().Add(59*time.Minute).Unix() {
		t.Errorf("clock offset not applied: iat %v", iat)
	}
	if st, _ := do("POST", "/keys/rotate", ""); st != 200 {
		t.Errorf("rotate: %d", st)
	}
	if st, _ := do("PUT", "/mutation", `{"wrong_nonce":true}`); st != 204 {
		t.Errorf("mutation: %d", st)
	}
	if st, body := do("POST", "/clients", `{"id":"0oanew","secret":"abc","type":"web","redirect_uris":["http://127.0.0.1:9999/cb"],"assign_all":true}`); st != 204 {
		t.Errorf("add client: %d %s", st, body)
	}
	if c, ok := s.Client("0oanew"); !ok || c.Secret != "abc" {
		t.Errorf("client not added: %+v", c)
	}
	if st, body := do("POST", "/users", `{"login":"carol@example.com","password":"pw"}`); st != 200 || !strings.Contains(body, `"id":"00u`) {
		t.Errorf("add user: %d %s", st, body)
	}
	st, body := do("GET", "/requests", "")
	var recs []emulator.RequestRecord
	if err := json.Unmarshal([]byte(body), &recs); st != 200 || err != nil || len(recs) == 0 {
		t.Fatalf("requests: %d %v", st, err)
	}
	if strings.Contains(body, svcSecret) {
		t.Error("request log leaks the client secret")
	}
	if st, _ := do("DELETE", "/requests", ""); st != 204 || len(s.Requests()) != 0 {
		t.Errorf("reset: %d %d", st, len(s.Requests()))
	}
}

func TestControlLoopbackOnly(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	for _, tt := range []struct {
		name   string
		method string
		remote string
		host   string
		header map[string]string
		want   int
	}{
		{"loopback v4", "GET", "127.0.0.1:5555", "127.0.0.1:9000", nil, 200},
		{"loopback v6", "GET", "[::1]:5555", "[::1]:9000", nil, 200},
		{"localhost", "GET", "127.0.0.1:5555", "localhost:9000", nil, 200},
		{"same-origin fetch", "POST", "127.0.0.1:5555", "127.0.0.1:9000",
			map[string]string{"Origin": "http://127.0.0.1:9000", "Sec-Fetch-Site": "same-origin"}, 200},
		{"remote peer", "GET", "10.1.2.3:5555", "127.0.0.1:9000", nil, 404},
		{"proxied (X-Forwarded-For)", "GET", "127.0.0.1:5555", "127.0.0.1:9000", map[string]string{"X-Forwarded-For": "203.0.113.9"}, 404},
		{"proxied (Forwarded)", "GET", "127.0.0.1:5555", "127.0.0.1:9000", map[string]string{"Forwarded": "for=203.0.113.9"}, 404},
		{"proxied (X-Real-IP)", "GET", "127.0.0.1:5555", "127.0.0.1:9000", map[string]string{"X-Real-IP": "203.0.113.9"}, 404},
		{"tunnel host name", "GET", "127.0.0.1:5555", "idp.ngrok.app", nil, 404},
		{"DNS rebinding", "GET", "127.0.0.1:5555", "rebind.attacker.example:9000", nil, 404},
		{"cross-site POST from a page", "POST", "127.0.0.1:5555", "127.0.0.1:9000", map[string]string{"Origin": "https://attacker.example"}, 404},
		{"cross-site no-cors request", "POST", "127.0.0.1:5555", "127.0.0.1:9000", map[string]string{"Sec-Fetch-Site": "cross-site"}, 404},
		{"another loopback port", "POST", "127.0.0.1:5555", "127.0.0.1:9000", map[string]string{"Origin": "http://127.0.0.1:8000"}, 404},
	} {
		path, body := "/_emulator/requests", ""
		if tt.method == "POST" {
			path, body = "/_emulator/users", `{"login":"mallory@example.com","password":"pw"}`
		}
		req := httptest.NewRequest(tt.method, path, strings.NewReader(body))
		req.RemoteAddr, req.Host = tt.remote, tt.host
		for k, v := range tt.header {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, rec.Code, tt.want)
		}
	}
	if _, ok := s.User("mallory@example.com"); !ok {
		t.Error("the same-origin control request did not register the user")
	}
	off, err := emulator.New(testConfig(), emulator.Options{DisableControl: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	off.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/_emulator/requests", nil))
	if rec.Code != 404 {
		t.Errorf("disabled control: %d", rec.Code)
	}
}

func TestAddClientAtRuntime(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	if err := s.AddClient(emulator.Client{ID: "0oagw", Type: "web"}); err == nil {
		t.Error("invalid client accepted")
	}
	c := emulator.Client{ID: "0oagw", Secret: "gw-secret", Type: emulator.ClientWeb, RedirectURIs: []string{"http://127.0.0.1:45678/anything"}, AssignAll: true}
	if err := s.AddClient(c); err != nil {
		t.Fatal(err)
	}
	r := newRP(t, s, c.ID, c.Secret, c.RedirectURIs[0], oidc.ScopeOpenID)
	cb := login(t, emulatortest.NewBrowser(), r.cfg.AuthCodeURL("st"), bob, password)
	if _, err := r.cfg.Exchange(context.Background(), cb.Params.Get("code")); err != nil {
		t.Errorf("runtime client login: %v", err)
	}
}

func decodeSegment(t *testing.T, seg string) map[string]any {
	t.Helper()
	return decodeJWT(t, "x."+seg+".y")
}
