package oidc

import (
	"bytes"
	"compress/flate"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// ErrCookieInvalid is returned for any cookie value that does not decrypt: tampered, cut,
// written under another secret or for another cookie name. Callers treat it as "no cookie".
var ErrCookieInvalid = errors.New("oidc: cookie is not valid")

const (
	// maxCookieValue bounds what Open will look at: nine 4 KB chunks.
	maxCookieValue = 9 * 4096
	// compressAbove is where payloads get deflated first. lua-resty-session deflates above
	// 1 KiB; we only do when the value would not fit one cookie anyway, because inflating on
	// every request costs more than the bytes it saves.
	compressAbove = 2800
	// maxPlaintext bounds inflation so a cookie cannot expand into a memory bomb.
	maxPlaintext = 256 << 10

	// The plaintext's first byte says how the rest is encoded.
	flagDeflate byte = 1 << 0 // deflated
	flagBinary  byte = 1 << 1 // encoding.BinaryMarshaler, else JSON
)

// Codec seals values into cookie strings with AES-256-GCM. Its key is derived with HKDF-SHA256
// from the session secret and a purpose, so the authorization and session cookies use different
// keys; the cookie name is authenticated too, so a value cannot be moved to another cookie.
type Codec struct {
	aead cipher.AEAD
}

// NewCodec derives the key for purpose from secret.
func NewCodec(secret []byte, purpose string) (*Codec, error) {
	return newBoundCodec(secret, purpose, "")
}

// newBoundCodec derives a key that also depends on binding (the plugin's identity, issuer and
// client ids): plugins share a secret when session_secret is unset or copied, and a cookie one of
// them sealed must not open at another.
func newBoundCodec(secret []byte, purpose, binding string) (*Codec, error) {
	if len(secret) == 0 {
		return nil, errors.New("oidc: empty cookie secret")
	}
	info := "oidclab " + purpose + " cookie v1"
	if binding != "" {
		info += "\x00" + binding
	}
	key, err := hkdf.Key(sha256.New, secret, nil, info, 32)
	if err != nil {
		return nil, fmt.Errorf("oidc: derive cookie key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("oidc: cookie cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("oidc: cookie cipher: %w", err)
	}
	return &Codec{aead: aead}, nil
}

// Seal encodes v (binary when it is an encoding.BinaryMarshaler, else JSON) and encrypts it
// for the cookie called name.
func (c *Codec) Seal(name string, v any) (string, error) {
	var plain []byte
	var err error
	var flags byte
	if m, ok := v.(encoding.BinaryMarshaler); ok {
		plain, err = m.MarshalBinary()
		flags = flagBinary
	} else {
		plain, err = json.Marshal(v)
	}
	if err != nil {
		return "", fmt.Errorf("oidc: encode cookie: %w", err)
	}
	body := append([]byte{flags}, plain...)
	if len(plain) > compressAbove {
		var buf bytes.Buffer
		buf.WriteByte(flags | flagDeflate)
		zw, _ := flate.NewWriter(&buf, flate.BestSpeed)
		zw.Write(plain)
		zw.Close()
		if buf.Len() < len(body) {
			body = buf.Bytes()
		}
	}
	nonce := make([]byte, c.aead.NonceSize(), c.aead.NonceSize()+len(body)+c.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("oidc: cookie nonce: %w", err)
	}
	sealed := c.aead.Seal(nonce, nonce, body, []byte(name))
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Open decrypts value sealed for name into v. Any failure is ErrCookieInvalid (wrapped).
// v's decoder (UnmarshalBinary or JSON) must copy what it keeps: the plaintext it is given is
// reused after Open returns.
func (c *Codec) Open(name, value string, v any) error {
	if len(value) == 0 || len(value) > maxCookieValue {
		return ErrCookieInvalid
	}
	// The session cookie is opened on every request: decode into a pooled buffer and decrypt
	// in place, so the only allocations left are the decoded values themselves. Every decoder
	// below copies what it keeps (strings, json), so nothing points into the buffer after Put.
	bufp := openBuffers.Get().(*[]byte)
	defer openBuffers.Put(bufp)
	need := base64.RawURLEncoding.DecodedLen(len(value))
	if cap(*bufp) < need {
		*bufp = make([]byte, need)
	}
	raw := (*bufp)[:need]
	n, err := base64.RawURLEncoding.Decode(raw, []byte(value))
	if err != nil || n < c.aead.NonceSize()+c.aead.Overhead()+1 {
		return ErrCookieInvalid
	}
	ns := c.aead.NonceSize()
	body, err := c.aead.Open(raw[ns:ns], raw[:ns], raw[ns:n], []byte(name))
	if err != nil || len(body) == 0 {
		return ErrCookieInvalid
	}
	flags, plain := body[0], body[1:]
	if flags&^(flagDeflate|flagBinary) != 0 {
		return ErrCookieInvalid
	}
	if flags&flagDeflate != 0 {
		if plain, err = inflate(plain); err != nil {
			return ErrCookieInvalid
		}
	}
	if flags&flagBinary != 0 {
		u, ok := v.(encoding.BinaryUnmarshaler)
		if !ok {
			return ErrCookieInvalid
		}
		if err := u.UnmarshalBinary(plain); err != nil {
			return fmt.Errorf("%w: %v", ErrCookieInvalid, err)
		}
		return nil
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return fmt.Errorf("%w: %v", ErrCookieInvalid, err)
	}
	return nil
}

// openBuffers hold decoded cookie values while Open decrypts them (at most maxCookieValue
// base64 characters, so about 27 KB each).
var openBuffers = sync.Pool{New: func() any { return new([]byte) }}

// inflaters are reused: a flate reader allocates ~40 KB, and the session cookie is opened on
// every request.
var inflaters = sync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}

func inflate(b []byte) ([]byte, error) {
	zr := inflaters.Get().(io.ReadCloser)
	defer inflaters.Put(zr)
	if err := zr.(flate.Resetter).Reset(bytes.NewReader(b), nil); err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxPlaintext+1))
	if err != nil {
		return nil, err
	}
	if len(out) > maxPlaintext {
		return nil, errors.New("inflated cookie too large")
	}
	return out, nil
}
