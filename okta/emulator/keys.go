package emulator

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"sync"

	jose "github.com/go-jose/go-jose/v4"
)

// maxPublishedKeys bounds the JWKS: the active key plus the previous ones, so tokens signed
// before a rotation still verify while relying parties refetch.
const maxPublishedKeys = 3

// keySet holds the RS256 signing keys. Like Okta, the kid is the key's RFC 7638 thumbprint.
type keySet struct {
	mu   sync.RWMutex
	keys []signingKey // keys[0] is active
}

type signingKey struct {
	kid    string
	priv   *rsa.PrivateKey
	signer jose.Signer
}

func newSigningKey(priv *rsa.PrivateKey) (signingKey, error) {
	if priv == nil {
		var err error
		if priv, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return signingKey{}, fmt.Errorf("generate RSA key: %w", err)
		}
	}
	tp, err := (&jose.JSONWebKey{Key: &priv.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		return signingKey{}, fmt.Errorf("key thumbprint: %w", err)
	}
	kid := base64.RawURLEncoding.EncodeToString(tp)
	// Okta's JWT header is exactly {"kid":…,"alg":"RS256"}: no typ.
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: priv, KeyID: kid}}, nil)
	if err != nil {
		return signingKey{}, fmt.Errorf("signer: %w", err)
	}
	return signingKey{kid: kid, priv: priv, signer: signer}, nil
}

// rotate makes a new key active and keeps the previous ones published.
func (ks *keySet) rotate(priv *rsa.PrivateKey) error {
	k, err := newSigningKey(priv)
	if err != nil {
		return err
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.keys = append([]signingKey{k}, ks.keys...)
	if len(ks.keys) > maxPublishedKeys {
		ks.keys = ks.keys[:maxPublishedKeys]
	}
	return nil
}

func (ks *keySet) active() signingKey {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.keys[0]
}

// jwks is the public key set served at /v1/keys.
func (ks *keySet) jwks() jose.JSONWebKeySet {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	set := jose.JSONWebKeySet{}
	for _, k := range ks.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: string(jose.RS256), Use: "sig"})
	}
	return set
}

// sign signs a JSON payload with the active key and returns the compact JWS.
func (ks *keySet) sign(payload []byte) (string, error) {
	obj, err := ks.active().signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return obj.CompactSerialize()
}

// verify checks a compact JWS against every published key and returns its payload.
func (ks *keySet) verify(token string) ([]byte, error) {
	if len(token) > maxTokenLen {
		return nil, fmt.Errorf("token too long")
	}
	obj, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, err
	}
	ks.mu.RLock()
	keys := ks.keys
	ks.mu.RUnlock()
	for _, k := range keys {
		if len(obj.Signatures) == 1 && obj.Signatures[0].Header.KeyID != "" && obj.Signatures[0].Header.KeyID != k.kid {
			continue
		}
		if payload, err := obj.Verify(&k.priv.PublicKey); err == nil {
			return payload, nil
		}
	}
	return nil, fmt.Errorf("signature does not verify with any published key")
}

const maxTokenLen = 16 << 10
