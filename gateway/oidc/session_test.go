package oidc

import (
	"strings"
	"testing"
)

func BenchmarkCookieDecode(b *testing.B) {
	c, _ := NewCodec([]byte("bench secret"), "session")
	v, _ := c.Seal("session", sessionState{Tokens: Tokens{
		AccessToken: strings.Repeat("a", 900), IDToken: strings.Repeat("i", 900), RefreshToken: strings.Repeat("r", 40),
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
