package lab

import (
	"context"
	"testing"
)

// Slow-header clients must not hold the lab's connections forever, and long upstream answers
// (downloads, streams) must not be cut: every server has a header and an idle timeout, and the
// proxy no read or write timeout.
func TestServersHaveTimeouts(t *testing.T) {
	l, err := Start(t.Context(), Config{Listen: "127.0.0.1:0", AdminListen: "127.0.0.1:0", IdP: IdPLocal, IdPListen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Shutdown(context.Background()) })
	if len(l.servers) < 2 {
		t.Fatalf("%d servers, want the proxy and the admin API", len(l.servers))
	}
	for i, srv := range l.servers {
		if srv.ReadHeaderTimeout <= 0 || srv.IdleTimeout <= 0 {
			t.Errorf("server %d: ReadHeaderTimeout %s, IdleTimeout %s; want both set", i, srv.ReadHeaderTimeout, srv.IdleTimeout)
		}
		if srv.ReadTimeout != 0 || srv.WriteTimeout != 0 {
			t.Errorf("server %d: ReadTimeout %s, WriteTimeout %s would cut long requests or answers", i, srv.ReadTimeout, srv.WriteTimeout)
		}
	}
}
