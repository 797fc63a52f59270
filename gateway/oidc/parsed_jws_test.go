package oidc

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc/oidctest"
)

// The key set reuses the caller's parsed JWS only for the very token it was parsed from: a
// different token handed to VerifySignature (here a valid token whose signature was swapped
// for another token's) must be parsed and verified on its own, never accepted on the strength
// of the earlier parse.
func TestSigVerifierReusesTheParseOnlyForTheSameToken(t *testing.T) {
	op := oidctest.Start(t)
	cfg, _ := ParseConfig(map[string]any{"issuer": op.Issuer, "client_id": []any{"c"}}, nil)
	p, err := newPlugin(cfg, gateway.PluginEnv{}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	good := op.Sign(map[string]any{"iss": op.Issuer, "sub": "u", "aud": "c", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()})
	other := op.Sign(map[string]any{"iss": op.Issuer, "sub": "admin", "aud": "c", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()})
	gp, op2 := strings.Split(good, "."), strings.Split(other, ".")
	forged := op2[0] + "." + op2[1] + "." + gp[2]

	algs := []jose.SignatureAlgorithm{jose.RS256}
	parsed, err := parseJWS(good, algs)
	if err != nil {
		t.Fatal(err)
	}
	ks := sigVerifier{keys: p.verifier.keys, algs: algs, raw: good, parsed: parsed}
	if _, err := ks.VerifySignature(context.Background(), good); err != nil {
		t.Fatalf("the parsed token itself: %v", err)
	}
	if _, err := ks.VerifySignature(context.Background(), forged); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("another token with the parsed token's signature: got %v, want ErrBadSignature", err)
	}
	if _, err := ks.VerifySignature(context.Background(), "not.a.jwt"); !errors.Is(err, ErrMalformedToken) {
		t.Fatalf("a malformed token: got %v, want ErrMalformedToken", err)
	}
}
