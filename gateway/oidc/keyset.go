package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Signature errors, told apart so events can explain them.
var (
	ErrUnknownKey     = errors.New("oidc: no key in the provider's JWKS matches the token's key id")
	ErrAlgNotAllowed  = errors.New("oidc: token signing algorithm is not allowed")
	ErrBadSignature   = errors.New("oidc: token signature does not verify")
	ErrMalformedToken = errors.New("oidc: token is not a signed JWT")
	ErrJWKSFetch      = errors.New("oidc: could not fetch the provider's JWKS")
)

// jwks caches the provider's signing keys. An unknown key id triggers one refetch, and refetches
// are rate limited to one per minGap, so a stream of forged tokens with random kids cannot make
// the gateway hammer the provider. A failed first load is retried at most once per
// retryFailedFetch. Tokens with a known kid never wait for a fetch: the key list is an atomic
// pointer.
type jwks struct {
	uri    func(ctx context.Context) (string, error)
	client *http.Client
	minGap time.Duration
	now    func() time.Time
	// rediscover refreshes the discovery document before an unknown-kid refetch (the jwks_uri
	// may have moved, as Kong assumes); it is rate limited on its own.
	rediscover func(ctx context.Context)

	keys atomic.Pointer[[]jose.JSONWebKey]

	fetching    fetchLock // held during a fetch; guards the fields below
	lastRefetch time.Time
	// loadErr is why the first load failed, at loadFailed. While no key set is loaded, every
	// token needs one; without this, each would fetch again, one after the other, and with a
	// hanging endpoint each would wait a full timeout behind the previous one.
	loadErr    error
	loadFailed time.Time
}

// lookup returns the keys that may have signed a token with this kid and alg.
func (k *jwks) lookup(ctx context.Context, kid, alg string) ([]jose.JSONWebKey, error) {
	if keys := k.keys.Load(); keys != nil {
		if m := matchKeys(*keys, kid, alg); len(m) > 0 {
			return m, nil
		}
	}
	if err := k.fetching.lock(ctx); err != nil {
		return nil, err
	}
	defer k.fetching.unlock()
	keys := k.keys.Load()
	if keys == nil {
		if k.loadErr != nil && k.now().Sub(k.loadFailed) < retryFailedFetch {
			return nil, k.loadErr
		}
		if err := k.fetchLocked(ctx); err != nil {
			if ctx.Err() == nil { // a client that went away says nothing about the provider
				k.loadErr, k.loadFailed = err, k.now()
			}
			return nil, err
		}
		k.loadErr = nil
		keys = k.keys.Load()
	}
	if m := matchKeys(*keys, kid, alg); len(m) > 0 {
		// Loaded, or refetched by a request that waited before us.
		return m, nil
	}
	if !k.lastRefetch.IsZero() && k.now().Sub(k.lastRefetch) < k.minGap {
		return nil, ErrUnknownKey
	}
	k.lastRefetch = k.now()
	if k.rediscover != nil {
		k.rediscover(ctx)
	}
	if err := k.fetchLocked(ctx); err != nil {
		return nil, err
	}
	if m := matchKeys(*k.keys.Load(), kid, alg); len(m) > 0 {
		return m, nil
	}
	return nil, ErrUnknownKey
}

func (k *jwks) fetchLocked(ctx context.Context) error {
	uri, err := k.uri(ctx)
	if err != nil {
		return err
	}
	if uri == "" {
		return errors.New("oidc: the provider's discovery document has no jwks_uri")
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	status, err := getJSON(ctx, k.client, uri, &set)
	if err != nil {
		if isTimeout(err) {
			return fmt.Errorf("%w %s: %w: %w", ErrJWKSFetch, uri, ErrTimeout, redactURLError(err))
		}
		return fmt.Errorf("%w %s: %w", ErrJWKSFetch, uri, redactURLError(err))
	}
	if status != http.StatusOK {
		return fmt.Errorf("%w %s: status %d", ErrJWKSFetch, uri, status)
	}
	keys := make([]jose.JSONWebKey, 0, len(set.Keys))
	for _, raw := range set.Keys {
		var key jose.JSONWebKey
		// Keys of types go-jose does not know are skipped rather than failing the set.
		if err := key.UnmarshalJSON(raw); err != nil {
			continue
		}
		// Only public asymmetric keys: a symmetric key in a JWKS would let anyone who can read
		// the JWKS mint tokens.
		if !key.IsPublic() || key.Use == "enc" {
			continue
		}
		keys = append(keys, key)
	}
	k.keys.Store(&keys)
	return nil
}

func matchKeys(keys []jose.JSONWebKey, kid, alg string) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, key := range keys {
		if kid != "" && key.KeyID != kid {
			continue
		}
		if key.Algorithm != "" && key.Algorithm != alg {
			continue
		}
		out = append(out, key)
	}
	return out
}

// sigVerifier is go-oidc's KeySet for one verification: it pins the algorithms and knows the
// HMAC key (the client secret) when HS* signatures are enabled.
type sigVerifier struct {
	keys  *jwks
	algs  []jose.SignatureAlgorithm
	hsKey []byte
	// raw and parsed are the token the caller already parsed with parseJWS and the same algs:
	// parsing it again here would repeat the base64 and JSON work (a JWS parse is about 5 % of
	// a login's CPU). Any other raw string is parsed here.
	raw    string
	parsed *jose.JSONWebSignature
}

func (s sigVerifier) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	jws := s.parsed
	if jws == nil || raw != s.raw {
		var err error
		if jws, err = parseJWS(raw, s.algs); err != nil {
			return nil, err
		}
	}
	h := jws.Signatures[0].Header
	if strings.HasPrefix(h.Algorithm, "HS") {
		if len(s.hsKey) == 0 {
			return nil, fmt.Errorf("%w: %s needs a client secret", ErrAlgNotAllowed, h.Algorithm)
		}
		payload, err := jws.Verify(s.hsKey)
		if err != nil {
			return nil, ErrBadSignature
		}
		return payload, nil
	}
	keys, err := s.keys.lookup(ctx, h.KeyID, h.Algorithm)
	if err != nil {
		return nil, err
	}
	for _, key := range keys {
		if payload, err := jws.Verify(key.Key); err == nil {
			return payload, nil
		}
	}
	return nil, ErrBadSignature
}

// parseJWS parses a compact JWS with one signature whose alg is in algs.
func parseJWS(raw string, algs []jose.SignatureAlgorithm) (*jose.JSONWebSignature, error) {
	if len(algs) == 0 {
		return nil, fmt.Errorf("%w: the provider advertises no usable signing algorithm", ErrAlgNotAllowed)
	}
	jws, err := jose.ParseSignedCompact(raw, algs)
	if err != nil {
		var alg *jose.ErrUnexpectedSignatureAlgorithm
		if errors.As(err, &alg) {
			return nil, fmt.Errorf("%w: %q (allowed: %v)", ErrAlgNotAllowed, string(alg.Got), algs)
		}
		return nil, fmt.Errorf("%w: %v", ErrMalformedToken, err)
	}
	if len(jws.Signatures) != 1 {
		return nil, ErrMalformedToken
	}
	return jws, nil
}

// allowedAlgs pins signing algorithms to what the provider advertises (RS256 when it says
// nothing, as OIDC Discovery requires), never "none", and HS* only when enabled.
func allowedAlgs(advertised []string, enableHS bool) []jose.SignatureAlgorithm {
	if len(advertised) == 0 {
		advertised = []string{"RS256"}
	}
	var out []jose.SignatureAlgorithm
	for _, a := range advertised {
		switch {
		case a == "none" || a == "":
		case strings.HasPrefix(a, "HS"):
			if enableHS {
				out = append(out, jose.SignatureAlgorithm(a))
			}
		default:
			out = append(out, jose.SignatureAlgorithm(a))
		}
	}
	return out
}
