package oidc

import (
	"crypto/rand"
	"encoding/base64"
	"testing"
)

// randomB64 stands in for a JWT: base64 of random bytes, which deflate cannot shrink much.
func randomB64(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// BenchmarkCookieDecode opens a realistic session cookie (an Okta-sized token response).
func BenchmarkCookieDecode(b *testing.B) {
	c, _ := NewCodec([]byte("bench secret"), "session")
	v, _ := c.Seal("session", &sessionState{Tokens: Tokens{
		AccessToken: randomB64(700), IDToken: randomB64(700), RefreshToken: randomB64(30), TokenType: "Bearer", ExpiresIn: 3600,
	}, Expires: 1, Created: 1, Rolled: 1, Used: 1})
	b.ReportAllocs()
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		var s sessionState
		if err := c.Open("session", v, &s); err != nil {
			b.Fatal(err)
		}
	}
}
