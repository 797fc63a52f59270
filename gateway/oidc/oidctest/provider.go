// Package oidctest is a hostile OpenID Provider for testing relying parties: a real HTTP server
// on loopback whose discovery document, keys, authorization and token endpoints can be made to
// misbehave in every way the OpenID Foundation's RP tests check (wrong iss/aud/nonce/azp, missing
// sub/iat, expired tokens, alg none, HS256 signed with the RSA public key, bad signatures,
// unknown or swapped kid, key rotation, token endpoint errors and hangs).
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Client is a registered client.
type Client struct {
	ID           string
	Secret       string
	RedirectURIs []string
}

// Forge makes the next ID tokens wrong on purpose. The zero value issues correct tokens.
type Forge struct {
	// Claims edits the ID token claims before signing (delete "sub", set "aud", …).
	Claims func(claims map[string]any)
	// Alg is the header alg: "" (RS256), "none", "HS256", or any other name (signed as RS256
	// but labelled so).
	Alg string
	// HMACKey signs HS256 tokens, e.g. the provider's RSA public key (key confusion) or a
	// client secret.
	HMACKey []byte
	// Kid overrides the header kid ("" keeps the real one; "-" removes it).
	Kid string
	// Key signs with another RSA key than the published one.
	Key *rsa.PrivateKey
	// CorruptSignature flips a bit of the signature.
	CorruptSignature bool
	// AccessToken edits the access token claims (JWT access tokens).
	AccessToken func(claims map[string]any)
	// Typ overrides the header typ ("" keeps "JWT").
	Typ string
}

// Provider is the hostile OP. Its fields are safe to change between requests through the
// setters; the exported knobs below are read under the lock.
type Provider struct {
	Server *httptest.Server
	Issuer string

	mu            sync.Mutex
	key           *rsa.PrivateKey
	kid           string
	extraKeys     []*rsa.PrivateKey // also published (rotation overlap)
	clients       map[string]Client
	codes         map[string]grant
	refresh       map[string]grant
	opaque        map[string]map[string]any
	forge         Forge
	metadata      map[string]any
	tokenStatus   int
	tokenError    string
	tokenErrDesc  string
	tokenHang     bool
	tokenRedirect string
	authError     [2]string
	jwksFetches   int
	jwksStatus    int
	tokenRequests []TokenRequest
	revoked       []string
	now           func() time.Time
	opaqueAccess  bool
	issueRefresh  bool
	expiresIn     int
	user          map[string]any
}

// TokenRequest is what the token endpoint received, for assertions.
type TokenRequest struct {
	Authorization string
	Form          url.Values
}

type grant struct {
	client, redirectURI, nonce, challenge, method, scope string
	used                                                 bool
}

// Start runs a provider on loopback until the test ends.
func Start(tb testing.TB) *Provider {
	tb.Helper()
	p := &Provider{
		clients: map[string]Client{}, codes: map[string]grant{}, refresh: map[string]grant{},
		opaque: map[string]map[string]any{}, now: time.Now, expiresIn: 3600, issueRefresh: true,
		user: map[string]any{"sub": "00u1demo", "email": "demo@example.com", "name": "Demo User", "groups": []any{"Everyone", "admins"}},
	}
	p.key, p.kid = NewKey(), "key-1"
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	tb.Cleanup(p.Server.Close)
	p.Issuer = p.Server.URL + "/oauth2/default"
	return p
}

// NewKey returns a fresh RSA key (2048 bits).
func NewKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

// AddClient registers a client.
func (p *Provider) AddClient(c Client) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clients[c.ID] = c
}

// SetForge makes the following ID tokens wrong as described.
func (p *Provider) SetForge(f Forge) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forge = f
}

// SetMetadata overrides (or with nil, removes) discovery members.
func (p *Provider) SetMetadata(name string, v any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.metadata == nil {
		p.metadata = map[string]any{}
	}
	p.metadata[name] = v
}

// FailToken makes the token endpoint answer status with an OAuth error.
func (p *Provider) FailToken(status int, code, description string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokenStatus, p.tokenError, p.tokenErrDesc = status, code, description
}

// FailJWKS makes the JWKS endpoint answer status with no key set (0: serve the keys again).
// Fetches are counted either way.
func (p *Provider) FailJWKS(status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.jwksStatus = status
}

// HangToken makes the token endpoint never answer (until the client gives up).
func (p *Provider) HangToken() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokenHang = true
}

// RedirectToken makes the token endpoint answer 307 to target (a client must not follow).
func (p *Provider) RedirectToken(target string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokenRedirect = target
}

// FailAuthorize makes the authorization endpoint send the user back with error=code.
func (p *Provider) FailAuthorize(code, description string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.authError = [2]string{code, description}
}

// RotateKey replaces the signing key; with keepOld the old key stays published.
func (p *Provider) RotateKey(keepOld bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if keepOld {
		p.extraKeys = append(p.extraKeys, p.key)
	} else {
		p.extraKeys = nil
	}
	p.key = NewKey()
	n := 0
	fmt.Sscanf(p.kid, "key-%d", &n)
	p.kid = fmt.Sprintf("key-%d", n+1)
}

// SetClock sets the provider's idea of now (for iat/exp/auth_time).
func (p *Provider) SetClock(now func() time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.now = now
}

// Configure sets token issuance: opaque access tokens, refresh tokens, lifetime in seconds.
func (p *Provider) Configure(opaqueAccess, issueRefresh bool, expiresIn int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.opaqueAccess, p.issueRefresh, p.expiresIn = opaqueAccess, issueRefresh, expiresIn
}

// PublicKey is the current signing key's public half.
func (p *Provider) PublicKey() *rsa.PublicKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	return &p.key.PublicKey
}

// JWKSFetches counts JWKS downloads.
func (p *Provider) JWKSFetches() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.jwksFetches
}

// TokenRequests returns what the token endpoint received.
func (p *Provider) TokenRequests() []TokenRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]TokenRequest(nil), p.tokenRequests...)
}

// Revoked lists the token type hints revoked so far.
func (p *Provider) Revoked() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.revoked...)
}

func (p *Provider) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/oauth2/default")
	switch path {
	case "/.well-known/openid-configuration", "/.well-known/oauth-authorization-server":
		p.discovery(w)
	case "/v1/keys":
		p.jwks(w)
	case "/v1/authorize":
		p.authorize(w, r)
	case "/v1/token":
		p.token(w, r)
	case "/v1/userinfo":
		writeJSON(w, http.StatusOK, p.user)
	case "/v1/introspect":
		p.introspect(w, r)
	case "/v1/revoke":
		r.ParseForm()
		p.mu.Lock()
		p.revoked = append(p.revoked, r.PostForm.Get("token_type_hint"))
		p.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	case "/v1/logout":
		w.WriteHeader(http.StatusOK)
	default:
		http.NotFound(w, r)
	}
}

func (p *Provider) discovery(w http.ResponseWriter) {
	base := p.Issuer
	md := map[string]any{
		"issuer":                                         base,
		"authorization_endpoint":                         base + "/v1/authorize",
		"token_endpoint":                                 base + "/v1/token",
		"jwks_uri":                                       base + "/v1/keys",
		"userinfo_endpoint":                              base + "/v1/userinfo",
		"introspection_endpoint":                         base + "/v1/introspect",
		"revocation_endpoint":                            base + "/v1/revoke",
		"end_session_endpoint":                           base + "/v1/logout",
		"id_token_signing_alg_values_supported":          []string{"RS256"},
		"code_challenge_methods_supported":               []string{"S256"},
		"token_endpoint_auth_methods_supported":          []string{"client_secret_basic", "client_secret_post", "none"},
		"response_modes_supported":                       []string{"query", "form_post"},
		"authorization_response_iss_parameter_supported": true,
	}
	p.mu.Lock()
	for k, v := range p.metadata {
		if v == nil {
			delete(md, k)
		} else {
			md[k] = v
		}
	}
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, md)
}

func (p *Provider) jwks(w http.ResponseWriter) {
	p.mu.Lock()
	p.jwksFetches++
	if status := p.jwksStatus; status != 0 {
		p.mu.Unlock()
		writeJSON(w, status, map[string]any{"error": "unavailable"})
		return
	}
	keys := []map[string]any{jwk(&p.key.PublicKey, p.kid)}
	for i, k := range p.extraKeys {
		keys = append(keys, jwk(&k.PublicKey, fmt.Sprintf("old-%d", i)))
	}
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

func jwk(k *rsa.PublicKey, kid string) map[string]any {
	e := big2b64(int64(k.E))
	return map[string]any{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
		"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()), "e": e}
}

func big2b64(n int64) string {
	var b []byte
	for n > 0 {
		b = append([]byte{byte(n & 0xff)}, b...)
		n >>= 8
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

var formPost = template.Must(template.New("fp").Parse(`<!doctype html><html><body onload="document.forms[0].submit()">
<form method="post" action="{{.Action}}">{{range $k, $v := .Fields}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}</form></body></html>`))

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	client, ok := p.clients[q.Get("client_id")]
	authErr := p.authError
	p.mu.Unlock()
	if !ok {
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	}
	redirectURI := q.Get("redirect_uri")
	if !contains(client.RedirectURIs, redirectURI) {
		http.Error(w, "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings", http.StatusBadRequest)
		return
	}
	fields := map[string]string{"state": q.Get("state"), "iss": p.Issuer}
	if authErr[0] != "" {
		fields["error"], fields["error_description"] = authErr[0], authErr[1]
	} else {
		code := randomString()
		p.mu.Lock()
		p.codes[code] = grant{client: client.ID, redirectURI: redirectURI, nonce: q.Get("nonce"),
			challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"), scope: q.Get("scope")}
		p.mu.Unlock()
		fields["code"] = code
	}
	if q.Get("response_mode") == "form_post" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		formPost.Execute(w, map[string]any{"Action": redirectURI, "Fields": fields})
		return
	}
	v := url.Values{}
	for k, s := range fields {
		v.Set(k, s)
	}
	http.Redirect(w, r, redirectURI+"?"+v.Encode(), http.StatusFound)
}

func (p *Provider) clientAuth(r *http.Request) (Client, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if id, secret, ok := r.BasicAuth(); ok {
		// RFC 6749 2.3.1: both parts are form-encoded before base64.
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		c, known := p.clients[id]
		return c, known && c.Secret == secret
	}
	c, known := p.clients[r.PostForm.Get("client_id")]
	if !known {
		return c, false
	}
	if c.Secret == "" {
		return c, true
	}
	return c, r.PostForm.Get("client_secret") == c.Secret
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	p.mu.Lock()
	p.tokenRequests = append(p.tokenRequests, TokenRequest{Authorization: r.Header.Get("Authorization"), Form: r.PostForm})
	hang, status, redirect := p.tokenHang, p.tokenStatus, p.tokenRedirect
	code, desc := p.tokenError, p.tokenErrDesc
	p.mu.Unlock()
	if hang {
		<-r.Context().Done()
		return
	}
	if redirect != "" {
		http.Redirect(w, r, redirect, http.StatusTemporaryRedirect)
		return
	}
	if status != 0 {
		writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
		return
	}
	client, ok := p.clientAuth(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "Client authentication failed."})
		return
	}
	var g grant
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		p.mu.Lock()
		g, ok = p.codes[r.PostForm.Get("code")]
		if ok {
			p.codes[r.PostForm.Get("code")] = grant{used: true}
		}
		p.mu.Unlock()
		if !ok || g.used || g.client != client.ID {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "The authorization code is invalid or has expired."})
			return
		}
		if g.redirectURI != r.PostForm.Get("redirect_uri") {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "The 'redirect_uri' does not match the redirection URI used in the authorization request."})
			return
		}
		if g.challenge != "" {
			sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
			if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "PKCE verification failed."})
				return
			}
		}
	case "refresh_token":
		p.mu.Lock()
		g, ok = p.refresh[r.PostForm.Get("refresh_token")]
		p.mu.Unlock()
		if !ok || g.client != client.ID {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "The refresh token is invalid or expired."})
			return
		}
		g.nonce = ""
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	writeJSON(w, http.StatusOK, p.issue(client, g))
}

// issue mints tokens for a grant, applying the forge.
func (p *Provider) issue(c Client, g grant) map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	access := ""
	if p.opaqueAccess {
		access = randomString()
		p.opaque[access] = map[string]any{"active": true, "sub": p.user["sub"], "client_id": c.ID,
			"scope": g.scope, "exp": now.Unix() + int64(p.expiresIn), "iss": p.Issuer}
	} else {
		ac := map[string]any{"iss": p.Issuer, "sub": p.user["sub"], "aud": "api://default", "cid": c.ID,
			"iat": now.Unix(), "exp": now.Unix() + int64(p.expiresIn), "scp": strings.Fields(g.scope), "groups": p.user["groups"]}
		if p.forge.AccessToken != nil {
			p.forge.AccessToken(ac)
		}
		access = p.signLocked(ac, Forge{})
	}
	idc := map[string]any{"iss": p.Issuer, "sub": p.user["sub"], "aud": c.ID, "iat": now.Unix(),
		"exp": now.Unix() + 3600, "auth_time": now.Unix(), "email": p.user["email"], "name": p.user["name"]}
	if g.nonce != "" {
		idc["nonce"] = g.nonce
	}
	sum := sha256.Sum256([]byte(access))
	idc["at_hash"] = base64.RawURLEncoding.EncodeToString(sum[:16])
	if p.forge.Claims != nil {
		p.forge.Claims(idc)
	}
	out := map[string]any{"token_type": "Bearer", "access_token": access, "id_token": p.signLocked(idc, p.forge),
		"expires_in": p.expiresIn, "scope": g.scope}
	if p.issueRefresh {
		rt := randomString()
		p.refresh[rt] = g
		out["refresh_token"] = rt
	}
	return out
}

// Sign signs claims with the provider's current key as a correct RS256 JWT.
func (p *Provider) Sign(claims map[string]any) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.signLocked(claims, Forge{})
}

// SignForged signs claims as f describes.
func (p *Provider) SignForged(claims map[string]any, f Forge) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.signLocked(claims, f)
}

func (p *Provider) signLocked(claims map[string]any, f Forge) string {
	alg := f.Alg
	if alg == "" {
		alg = "RS256"
	}
	hdr := map[string]any{"alg": alg, "typ": "JWT", "kid": p.kid}
	if f.Typ != "" {
		hdr["typ"] = f.Typ
	}
	switch f.Kid {
	case "":
	case "-":
		delete(hdr, "kid")
	default:
		hdr["kid"] = f.Kid
	}
	hb, _ := json.Marshal(hdr)
	cb, _ := json.Marshal(claims)
	signing := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	var sig []byte
	switch alg {
	case "none":
	case "HS256":
		sig = hs256(f.HMACKey, signing)
	default:
		key := p.key
		if f.Key != nil {
			key = f.Key
		}
		sig = rs256(key, signing)
	}
	if f.CorruptSignature && len(sig) > 0 {
		sig[len(sig)/2] ^= 0x40
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func (p *Provider) introspect(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	if _, ok := p.clientAuth(r); !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	p.mu.Lock()
	claims, ok := p.opaque[r.PostForm.Get("token")]
	p.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"active": false})
		return
	}
	writeJSON(w, http.StatusOK, claims)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func randomString() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
