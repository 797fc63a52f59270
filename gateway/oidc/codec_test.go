package oidc

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

type codecPayload struct {
	State string `json:"s"`
	Big   string `json:"b,omitempty"`
}

func TestCodecRoundTrip(t *testing.T) {
	c, err := NewCodec([]byte("secret"), "session")
	if err != nil {
		t.Fatal(err)
	}
	for _, big := range []string{"", strings.Repeat("x", 5000)} {
		v, err := c.Seal("session", codecPayload{State: "abc", Big: big})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(v, "abc") {
			t.Fatal("sealed value shows the plaintext")
		}
		var got codecPayload
		if err := c.Open("session", v, &got); err != nil {
			t.Fatal(err)
		}
		if got.State != "abc" || got.Big != big {
			t.Fatalf("round trip changed the value: %+v", got)
		}
	}
}

func TestCodecRejects(t *testing.T) {
	c, _ := NewCodec([]byte("secret"), "session")
	other, _ := NewCodec([]byte("other secret"), "session")
	authz, _ := NewCodec([]byte("secret"), "authorization")
	v, _ := c.Seal("session", codecPayload{State: "abc"})
	flipped := []byte(v)
	flipped[len(flipped)/2] ^= 1
	tests := []struct {
		name  string
		codec *Codec
		cname string
		value string
	}{
		{"other secret", other, "session", v},
		{"other purpose", authz, "session", v},
		{"other cookie name", c, "session2", v},
		{"tampered", c, "session", string(flipped)},
		{"cut", c, "session", v[:len(v)-4]},
		{"empty", c, "session", ""},
		{"not base64", c, "session", "!!!"},
		{"huge", c, "session", strings.Repeat("A", maxCookieValue+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got codecPayload
			if err := tt.codec.Open(tt.cname, tt.value, &got); !errors.Is(err, ErrCookieInvalid) {
				t.Fatalf("Open = %v, want ErrCookieInvalid", err)
			}
		})
	}
}

// FuzzCookieCodec: Open never panics on any input, and whatever Seal produces opens again.
func FuzzCookieCodec(f *testing.F) {
	c, _ := NewCodec([]byte("fuzz secret"), "session")
	good, _ := c.Seal("session", codecPayload{State: "seed"})
	big, _ := c.Seal("session", codecPayload{State: "seed", Big: strings.Repeat("ab", 2000)})
	f.Add(good, "seed")
	f.Add(big, "")
	f.Add("", "x")
	f.Add("AAAA", "\x00")
	f.Add(good[:10], "é")
	f.Fuzz(func(t *testing.T, value, state string) {
		var got codecPayload
		_ = c.Open("session", value, &got)
		var sess sessionState
		_ = c.Open("session", value, &sess)
		_ = sess.UnmarshalBinary([]byte(value))
		v, err := c.Seal("session", codecPayload{State: state})
		if err != nil {
			t.Fatal(err)
		}
		got = codecPayload{}
		if err := c.Open("session", v, &got); err != nil {
			t.Fatalf("Open(Seal(%q)) = %v", state, err)
		}
		// JSON carries valid UTF-8 only; invalid bytes come back as U+FFFD.
		if utf8.ValidString(state) && got.State != state {
			t.Fatalf("round trip: got %q want %q", got.State, state)
		}
	})
}

func TestSessionBinaryRoundTrip(t *testing.T) {
	c, _ := NewCodec([]byte("secret"), "session")
	in := &sessionState{Client: 2, Expires: 10, Created: -5, Rolled: 7, Used: 8, Subject: "u",
		Tokens: Tokens{AccessToken: "a", IDToken: strings.Repeat("i", 5000), RefreshToken: "r", TokenType: "Bearer", ExpiresIn: 3600, Scope: "openid"}}
	v, err := c.Seal("session", in)
	if err != nil {
		t.Fatal(err)
	}
	var out sessionState
	if err := c.Open("session", v, &out); err != nil {
		t.Fatal(err)
	}
	if out != *in {
		t.Fatalf("round trip changed the session:\n%+v\n%+v", out, *in)
	}
	// A JSON-sealed value is not a session, and a session is not a JSON payload.
	var p codecPayload
	if err := c.Open("session", v, &p); !errors.Is(err, ErrCookieInvalid) {
		t.Errorf("binary value opened as JSON: %v", err)
	}
	for _, b := range [][]byte{nil, {1}, {1, 0, 0, 0, 0, 0, 0, 200}, {2}} {
		if err := new(sessionState).UnmarshalBinary(b); err == nil {
			t.Errorf("UnmarshalBinary(%v) accepted garbage", b)
		}
	}
}
