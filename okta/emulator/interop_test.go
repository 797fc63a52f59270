package emulator_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/okta/emulator/emulatortest"
)

// rp is an independent relying party built from go-oidc and x/oauth2, as any Go app would.
type rp struct {
	provider *oidc.Provider
	cfg      oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newRP(t *testing.T, s *emulator.Server, clientID, secret, redirect string, scopes ...string) *rp {
	t.Helper()
	ctx := context.Background()
	p, err := oidc.NewProvider(ctx, s.Issuer())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	ep := p.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader
	return &rp{
		provider: p,
		cfg:      oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: ep, RedirectURL: redirect, Scopes: scopes},
		verifier: p.Verifier(&oidc.Config{ClientID: clientID}),
	}
}

func TestInteropCodeFlowPKCEFormPost(t *testing.T) {
	cfg := emulator.Default()
	s := emulatortest.Start(t, cfg)
	client := cfg.Clients[0]
	rp := newRP(t, s, client.ID, client.Secret, client.RedirectURIs[0], oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess)
	ctx := context.Background()

	verifier := oauth2.GenerateVerifier()
	authURL := rp.cfg.AuthCodeURL("state-123", oidc.Nonce("nonce-456"), oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("response_mode", "form_post"))
	cb, err := emulatortest.NewBrowser().Login(ctx, authURL, emulator.DemoUserLogin, emulator.DemoUserPassword)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if cb.Mode != "form_post" || cb.URL != client.RedirectURIs[0] || cb.Params.Get("state") != "state-123" || cb.Params.Get("code") == "" {
		t.Fatalf("callback = %+v", cb)
	}
	tok, err := rp.cfg.Exchange(ctx, cb.Params.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := rp.verifier.Verify(ctx, rawID)
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	if idt.Nonce != "nonce-456" {
		t.Errorf("nonce = %q", idt.Nonce)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	u, _ := s.User(emulator.DemoUserLogin)
	if claims["sub"] != u.ID || !strings.HasPrefix(u.ID, "00u") || claims["ver"] != float64(1) ||
		!strings.HasPrefix(claims["jti"].(string), "ID.") || claims["email"] != emulator.DemoUserLogin ||
		claims["preferred_username"] != emulator.DemoUserLogin || claims["name"] != "Demo User" {
		t.Errorf("ID token claims = %v", claims)
	}
	for _, k := range []string{"amr", "idp", "auth_time", "iat", "exp"} {
		if _, ok := claims[k]; !ok {
			t.Errorf("ID token lacks %s", k)
		}
	}
	at := decodeJWT(t, tok.AccessToken)
	if at["aud"] != "api://default" || at["cid"] != client.ID || at["uid"] != u.ID || at["sub"] != emulator.DemoUserLogin ||
		!strings.HasPrefix(at["jti"].(string), "AT.") || at["iss"] != s.Issuer() {
		t.Errorf("access token claims = %v", at)
	}
	if scp, _ := at["scp"].([]any); len(scp) != 4 {
		t.Errorf("scp = %v", at["scp"])
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token with offline_access")
	}

	// userinfo
	ui, err := rp.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if ui.Subject != u.ID || ui.Email != emulator.DemoUserLogin || !ui.EmailVerified {
		t.Errorf("userinfo = %+v", ui)
	}

	// refresh with rotation: the old refresh token is rotated out.
	old := tok.RefreshToken
	expired := &oauth2.Token{RefreshToken: old}
	tok2, err := rp.cfg.TokenSource(ctx, expired).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if tok2.RefreshToken == "" || tok2.RefreshToken == old || tok2.AccessToken == tok.AccessToken {
		t.Errorf("refresh did not rotate: %+v", tok2)
	}

	// introspection, then revocation.
	intro := postForm(t, s.Issuer()+"/v1/introspect", client.ID, client.Secret, url.Values{"token": {tok2.AccessToken}, "token_type_hint": {"access_token"}})
	if intro["active"] != true || intro["client_id"] != client.ID || intro["username"] != emulator.DemoUserLogin || intro["token_type"] != "Bearer" {
		t.Errorf("introspect = %v", intro)
	}
	postForm(t, s.Issuer()+"/v1/revoke", client.ID, client.Secret, url.Values{"token": {tok2.AccessToken}})
	if intro := postForm(t, s.Issuer()+"/v1/introspect", client.ID, client.Secret, url.Values{"token": {tok2.AccessToken}}); intro["active"] != false {
		t.Errorf("introspect after revoke = %v", intro)
	}
	if _, err := rp.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok2)); err == nil {
		t.Error("userinfo accepted a revoked token")
	}

	// The spent refresh token, used again after Okta's 30 s rotation leeway, is refused.
	s.SetClockOffset(31 * time.Second)
	if _, err := rp.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: old}).Token(); err == nil || !strings.Contains(err.Error(), "The refresh token is invalid or expired.") {
		t.Errorf("reused refresh token: %v", err)
	}

	// The request log saw PKCE and Basic auth, and no secrets.
	var sawToken bool
	for _, rec := range s.Requests() {
		if rec.Endpoint == emulator.EndpointToken && rec.Params["grant_type"] == "authorization_code" {
			sawToken = true
			if rec.ClientAuth != emulator.AuthBasic || rec.PKCEMethod != "S256" || rec.Params["code"] != "<redacted>" || rec.Params["code_verifier"] != "<redacted>" {
				t.Errorf("token record = %+v", rec)
			}
		}
		b, _ := json.Marshal(rec)
		for _, secret := range []string{client.Secret, tok.AccessToken, old, verifier, cb.Params.Get("code"), emulator.DemoUserPassword} {
			if strings.Contains(string(b), secret) {
				t.Errorf("request log leaks a secret: %s", b)
			}
		}
	}
	if !sawToken {
		t.Error("no token request recorded")
	}
}

func decodeJWT(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// postForm posts with client_secret_basic (form-encoded per RFC 6749 2.3.1), requires a 200 and
// decodes the JSON body, if any.
func postForm(t *testing.T, u, id, secret string, v url.Values) map[string]any {
	t.Helper()
	resp := doPost(t, u, id, secret, v, nil)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d", u, resp.StatusCode)
	}
	out := map[string]any{}
	if resp.ContentLength != 0 { // revocation answers 200 with no body
		decode(t, resp, &out)
	}
	return out
}

func doPost(t *testing.T, u, id, secret string, v url.Values, hdr http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(v.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func pkcePair() (verifier, challenge string) {
	verifier = oauth2.GenerateVerifier()
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}
