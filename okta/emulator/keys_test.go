package emulator

import "testing"

// A key generated in the background is the first key: rotating right after New keeps it as the
// previous key, and every reader sees it.
func TestGeneratedFirstKey(t *testing.T) {
	var ks keySet
	ks.generateFirst()
	first, err := ks.active()
	if err != nil {
		t.Fatal(err)
	}
	if first.priv.N.BitLen() != 2048 {
		t.Fatalf("key size %d, want 2048", first.priv.N.BitLen())
	}
	if err := ks.rotate(nil); err != nil {
		t.Fatal(err)
	}
	set := ks.jwks()
	if len(set.Keys) != 2 || set.Keys[1].KeyID != first.kid || set.Keys[0].KeyID == first.kid {
		t.Fatalf("after rotation: %d keys, want the new key first and %s second", len(set.Keys), first.kid)
	}
	tok, err := ks.sign([]byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.verify(tok); err != nil {
		t.Fatal(err)
	}
}

// A server without a given key has one once a reader asks.
func TestServerWithoutKeyStarts(t *testing.T) {
	s, err := New(Default(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if k, err := s.keys.active(); err != nil || k.kid == "" {
		t.Fatalf("active key: %v", err)
	}
}
