package oidc

import (
	"encoding/binary"
	"errors"
)

// The session cookie is opened on every request, so its payload has a compact binary form
// instead of JSON: decoding it costs a fraction of a JSON parse of the same tokens.

const sessionFormatV1 = 1

var errSessionFormat = errors.New("oidc: malformed session payload")

// MarshalBinary implements encoding.BinaryMarshaler.
func (s *sessionState) MarshalBinary() ([]byte, error) {
	t := &s.Tokens
	b := make([]byte, 0, 64+len(t.AccessToken)+len(t.IDToken)+len(t.RefreshToken)+len(t.Scope)+len(s.Subject))
	b = append(b, sessionFormatV1)
	for _, n := range []int64{int64(s.Client), s.Expires, s.Created, s.Rolled, s.Used, t.ExpiresIn} {
		b = binary.AppendVarint(b, n)
	}
	for _, str := range []string{t.AccessToken, t.IDToken, t.RefreshToken, t.TokenType, t.Scope, s.Subject} {
		b = binary.AppendUvarint(b, uint64(len(str)))
		b = append(b, str...)
	}
	return b, nil
}

// UnmarshalBinary implements encoding.BinaryUnmarshaler; any malformed input is an error.
func (s *sessionState) UnmarshalBinary(b []byte) error {
	if len(b) == 0 || b[0] != sessionFormatV1 {
		return errSessionFormat
	}
	b = b[1:]
	var ints [6]int64
	for i := range ints {
		v, n := binary.Varint(b)
		if n <= 0 {
			return errSessionFormat
		}
		ints[i], b = v, b[n:]
	}
	// One copy of the string section, sliced: the session is decoded on every request, and
	// six small allocations cost more than keeping the length prefixes alive with the tokens.
	// (The copy also keeps b, which the codec reuses, from being referenced.)
	all := string(b)
	var strs [6]string
	off := 0
	for i := range strs {
		l, n := binary.Uvarint(b[off:])
		if n <= 0 || l > uint64(len(b)-off-n) {
			return errSessionFormat
		}
		start := off + n
		off = start + int(l)
		strs[i] = all[start:off]
	}
	if off != len(b) || ints[0] < 0 || ints[0] > 1<<16 {
		return errSessionFormat
	}
	*s = sessionState{
		Client: int(ints[0]), Expires: ints[1], Created: ints[2], Rolled: ints[3], Used: ints[4],
		Tokens: Tokens{
			ExpiresIn: ints[5], AccessToken: strs[0], IDToken: strs[1], RefreshToken: strs[2],
			TokenType: strs[3], Scope: strs[4],
		},
		Subject: strs[5],
	}
	return nil
}
