package oidc

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
)

// TokenError says why a token was rejected. Check names the failed check ("signature", "iss",
// "aud", "azp", "exp", "iat", "nbf", "sub", "sub_changed", "nonce", "at_hash", "auth_time", "alg", "kid");
// Skew is set for time checks, so explanations can mention clock skew.
type TokenError struct {
	Check string
	Err   error
	Skew  time.Duration
}

func (e *TokenError) Error() string { return e.Err.Error() }
func (e *TokenError) Unwrap() error { return e.Err }

func tokenErr(check string, format string, args ...any) *TokenError {
	return &TokenError{Check: check, Err: fmt.Errorf(format, args...)}
}

// verifier checks tokens against one provider.
type verifier struct {
	keys       *jwks
	leeway     time.Duration
	now        func() time.Time
	enableHS   bool
	signatures bool // verify_signature
	claims     bool // verify_claims
	nonces     bool // verify_nonce
}

// idTokenWant is what one ID token must match.
type idTokenWant struct {
	issuer      string
	algs        []string // discovery's id_token_signing_alg_values_supported
	client      clientCreds
	nonce       string
	accessToken string
	maxAge      *time.Duration
	// issuedWithin bounds how long ago the token may have been issued (0: no bound). A token
	// just returned by the token endpoint cannot be older than the login that asked for it.
	issuedWithin time.Duration
}

// verifyIDToken applies OIDC Core 3.1.3.7: go-oidc checks the signature (through our pinned,
// rate-limited key set), iss, aud and exp; then the checks go-oidc leaves to the caller.
func (v *verifier) verifyIDToken(ctx context.Context, raw string, want idTokenWant) (map[string]any, error) {
	algs := allowedAlgs(want.algs, v.enableHS)
	jws, err := parseJWS(raw, algs)
	if err != nil {
		return nil, classify(err)
	}
	now := v.now()
	cfg := &gooidc.Config{
		ClientID:             want.client.ID,
		SupportedSigningAlgs: algStrings(algs),
		SkipClientIDCheck:    !v.claims,
		// go-oidc's exp check has no leeway and its nbf check a fixed 5 minutes: shifting its
		// clock by our leeway would make nbf stricter than configured. exp and nbf are ours.
		SkipExpiryCheck:            true,
		SkipIssuerCheck:            !v.claims,
		InsecureSkipSignatureCheck: !v.signatures,
	}
	// The key set gets the JWS parsed above, so go-oidc's own parse is the only other one.
	ks := sigVerifier{keys: v.keys, algs: algs, raw: raw, parsed: jws}
	if v.enableHS && want.client.Secret != "" {
		ks.hsKey = []byte(want.client.Secret)
	}
	tok, err := gooidc.NewVerifier(want.issuer, ks, cfg).Verify(ctx, raw)
	if err != nil {
		return nil, classify(err)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return nil, tokenErr("format", "id token claims: %v", err)
	}
	if v.claims {
		if err := v.checkExpiry(claims, now); err != nil {
			return nil, err
		}
		if err := v.checkIDClaims(claims, want, now); err != nil {
			return nil, err
		}
	}
	if want.accessToken != "" && tok.AccessTokenHash != "" {
		if !atHashMatches(jws.Signatures[0].Header.Algorithm, tok.AccessTokenHash, want.accessToken) {
			return nil, tokenErr("at_hash", "the id token's at_hash does not match the access token")
		}
	}
	return claims, nil
}

func (v *verifier) checkIDClaims(claims map[string]any, want idTokenWant, now time.Time) error {
	if s, _ := claims["sub"].(string); s == "" {
		return tokenErr("sub", "the id token has no sub claim")
	}
	aud := audiences(claims["aud"])
	azp, hasAzp := claims["azp"].(string)
	if len(aud) > 1 && !hasAzp {
		return tokenErr("azp", "the id token has several audiences %v but no azp claim", aud)
	}
	if hasAzp && azp != want.client.ID {
		return tokenErr("azp", "the id token was issued to %q (azp), not to this client %q", azp, want.client.ID)
	}
	iat, ok := numClaim(claims, "iat")
	if !ok {
		return tokenErr("iat", "the id token has no iat claim")
	}
	if t := unixTime(iat); t.After(now.Add(v.leeway)) {
		return &TokenError{Check: "iat", Err: fmt.Errorf("the id token was issued %s in the future (iat)", t.Sub(now).Round(time.Second)), Skew: t.Sub(now)}
	} else if want.issuedWithin > 0 && now.Sub(t) > want.issuedWithin+v.leeway {
		return &TokenError{Check: "iat", Err: fmt.Errorf("the id token was issued %s ago (iat), before this login could have started", now.Sub(t).Round(time.Second)), Skew: t.Sub(now)}
	}
	if nbf, ok := numClaim(claims, "nbf"); ok {
		if t := unixTime(nbf); t.After(now.Add(v.leeway)) {
			return &TokenError{Check: "nbf", Err: fmt.Errorf("the id token is not valid for another %s (nbf)", t.Sub(now).Round(time.Second)), Skew: t.Sub(now)}
		}
	}
	if v.nonces {
		if n, _ := claims["nonce"].(string); n == "" || n != want.nonce {
			return tokenErr("nonce", "the id token's nonce does not match the one this login sent")
		}
	}
	if want.maxAge != nil {
		at, ok := numClaim(claims, "auth_time")
		if !ok {
			return tokenErr("auth_time", "max_age was requested but the id token has no auth_time claim")
		}
		if age := now.Sub(unixTime(at)); age > *want.maxAge+v.leeway {
			return tokenErr("auth_time", "the user authenticated %s ago, longer than max_age %s", age.Round(time.Second), *want.maxAge)
		}
	}
	return nil
}

// verifyAccessJWT checks a JWT access token (bearer): signature with asymmetric algorithms
// only, iss, exp, nbf, iat with leeway, and that it is not one of our clients' ID tokens. The
// audience is left to audience_required, as in Kong.
func (v *verifier) verifyAccessJWT(ctx context.Context, raw, issuer string, advertised, clientIDs []string) (map[string]any, error) {
	algs := allowedAlgs(advertised, false)
	jws, err := parseJWS(raw, algs)
	if err != nil {
		return nil, classify(err)
	}
	now := v.now()
	cfg := &gooidc.Config{
		SkipClientIDCheck:    true,
		SupportedSigningAlgs: algStrings(algs),
		SkipExpiryCheck:      true, // ours, with leeway (see verifyIDToken)
	}
	tok, err := gooidc.NewVerifier(issuer, sigVerifier{keys: v.keys, algs: algs, raw: raw, parsed: jws}, cfg).Verify(ctx, raw)
	if err != nil {
		return nil, classify(err)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return nil, tokenErr("format", "access token claims: %v", err)
	}
	if err := v.checkExpiry(claims, now); err != nil {
		return nil, err
	}
	for _, c := range []string{"iat", "nbf"} {
		if n, ok := numClaim(claims, c); ok {
			if t := unixTime(n); t.After(now.Add(v.leeway)) {
				return nil, &TokenError{Check: c, Err: fmt.Errorf("the access token's %s is %s in the future", c, t.Sub(now).Round(time.Second)), Skew: t.Sub(now)}
			}
		}
	}
	if isIDToken(jws.Signatures[0].Header, claims, clientIDs) {
		return nil, tokenErr("id_token", "the bearer token is an ID token issued to this client, not an access token")
	}
	return claims, nil
}

// isIDToken tells an ID token sent as a bearer token: one typed as such, or one whose audience
// is one of our clients and that carries what only ID tokens carry (nonce, at_hash). Kong
// accepts them, but an ID token proves a login to the client; anyone the user logged in to an
// app with (the app's front end, a log) would hold an API credential.
func isIDToken(h jose.Header, claims map[string]any, clientIDs []string) bool {
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "" {
		t := strings.TrimPrefix(strings.ToLower(typ), "application/")
		if t == "id_token+jwt" || t == "id-token+jwt" {
			return true
		}
	}
	_, nonce := claims["nonce"]
	_, atHash := claims["at_hash"]
	if !nonce && !atHash {
		return false
	}
	for _, a := range audiences(claims["aud"]) {
		if slices.Contains(clientIDs, a) {
			return true
		}
	}
	return false
}

// atHashMatches applies OIDC Core 3.1.3.8: the left half of the access token's hash, with the
// hash of the ID token's alg. go-oidc's own check knows no HS* algorithms, so a valid HS256 ID
// token (enable_hs_signatures) would always fail it.
func atHashMatches(alg, atHash, accessToken string) bool {
	var sum []byte
	switch {
	case strings.HasSuffix(alg, "256"):
		s := sha256.Sum256([]byte(accessToken))
		sum = s[:]
	case strings.HasSuffix(alg, "384"):
		s := sha512.Sum384([]byte(accessToken))
		sum = s[:]
	case strings.HasSuffix(alg, "512"), alg == "EdDSA":
		s := sha512.Sum512([]byte(accessToken))
		sum = s[:]
	default:
		return false
	}
	want := base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
	return subtle.ConstantTimeCompare([]byte(want), []byte(atHash)) == 1
}

// checkExpiry requires exp (as go-oidc does) and applies it with leeway.
func (v *verifier) checkExpiry(claims map[string]any, now time.Time) error {
	exp, ok := numClaim(claims, "exp")
	if !ok {
		return tokenErr("exp", "the token has no exp claim")
	}
	if t := unixTime(exp); t.Before(now.Add(-v.leeway)) {
		return &TokenError{Check: "exp", Err: fmt.Errorf("the token expired at %s", t.UTC().Format(time.RFC3339)), Skew: t.Sub(now)}
	}
	return nil
}

// classify maps go-oidc and key set errors onto TokenError checks.
func classify(err error) error {
	var te *TokenError
	if errors.As(err, &te) {
		return te
	}
	var exp *gooidc.TokenExpiredError
	switch {
	case errors.As(err, &exp):
		return &TokenError{Check: "exp", Err: fmt.Errorf("the token expired at %s", exp.Expiry.UTC().Format(time.RFC3339)), Skew: -time.Since(exp.Expiry)}
	case errors.Is(err, ErrAlgNotAllowed):
		return &TokenError{Check: "alg", Err: err}
	case errors.Is(err, ErrUnknownKey):
		return &TokenError{Check: "kid", Err: err}
	case errors.Is(err, ErrBadSignature):
		return &TokenError{Check: "signature", Err: err}
	case errors.Is(err, ErrMalformedToken):
		return &TokenError{Check: "format", Err: err}
	case errors.Is(err, ErrJWKSFetch):
		return &TokenError{Check: "jwks", Err: err}
	}
	msg := err.Error()
	// go-oidc wraps key set errors with %v, which loses the chain: match their text.
	for _, s := range []struct {
		err   error
		check string
	}{{ErrUnknownKey, "kid"}, {ErrBadSignature, "signature"}, {ErrAlgNotAllowed, "alg"}, {ErrMalformedToken, "format"}, {ErrJWKSFetch, "jwks"}} {
		if strings.Contains(msg, s.err.Error()) {
			return &TokenError{Check: s.check, Err: errors.New(strings.TrimPrefix(msg, "failed to verify signature: "))}
		}
	}
	switch {
	case strings.Contains(msg, "issued by a different provider"):
		return &TokenError{Check: "iss", Err: errors.New(strings.TrimPrefix(msg, "oidc: "))}
	case strings.Contains(msg, "expected audience"):
		return &TokenError{Check: "aud", Err: errors.New(strings.TrimPrefix(msg, "oidc: "))}
	case strings.Contains(msg, "nbf"):
		return &TokenError{Check: "nbf", Err: errors.New(strings.TrimPrefix(msg, "oidc: "))}
	}
	return &TokenError{Check: "signature", Err: err}
}

func algStrings(algs []jose.SignatureAlgorithm) []string {
	out := make([]string, len(algs))
	for i, a := range algs {
		out[i] = string(a)
	}
	return out
}

func audiences(v any) []string {
	switch a := v.(type) {
	case string:
		return []string{a}
	case []any:
		return stringElems(a)
	}
	return nil
}

func numClaim(claims map[string]any, name string) (float64, bool) {
	switch n := claims[name].(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func unixTime(f float64) time.Time { return time.Unix(int64(f), 0) }

// decodeClaims reads a JWT's payload without verifying it. Only for tokens the plugin already
// verified (kept in its own encrypted session) or to tell a JWT from an opaque token.
func decodeClaims(raw string) (map[string]any, bool) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, false
	}
	var claims map[string]any
	if json.Unmarshal(payload, &claims) != nil {
		return nil, false
	}
	return claims, true
}
