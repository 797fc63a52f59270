package emulator

import (
	"testing"
)

// A slow-header client must not hold the IdP's connections forever.
func TestServerHasTimeouts(t *testing.T) {
	s, err := Start(t.Context(), "127.0.0.1:0", Default(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	h := s.httpSrv
	if h.ReadHeaderTimeout <= 0 || h.IdleTimeout <= 0 || h.ReadTimeout <= 0 {
		t.Errorf("ReadHeaderTimeout %s, IdleTimeout %s, ReadTimeout %s; want all set", h.ReadHeaderTimeout, h.IdleTimeout, h.ReadTimeout)
	}
}
