package emulator

import (
	"crypto/rand"
	"encoding/base64"
)

// Okta object ids are 20 characters: a 3-character type prefix ("00u" user, "0oa" app,
// "aus" authorization server, "00o" IdP, "00p" policy) and 17 base62 characters.
const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// oktaID returns a fresh id with Okta's shape for the given type prefix.
func oktaID(prefix string) string {
	b := make([]byte, 17)
	randBytes(b)
	out := []byte(prefix)
	for _, c := range b {
		out = append(out, base62[int(c)%len(base62)])
	}
	return string(out)
}

// randomToken returns n random bytes as unpadded base64url (codes, refresh tokens, jti suffixes).
func randomToken(n int) string {
	b := make([]byte, n)
	randBytes(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func randBytes(b []byte) {
	// crypto/rand.Read never returns an error on supported platforms (Go 1.24+); it crashes
	// the program instead of handing out predictable bytes.
	_, _ = rand.Read(b)
}
