package admin

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/deck"
)

// svc is an enabled service with Kong's defaults (what the decK loader would produce).
func svc(name string) deck.Service {
	return deck.Service{Name: name, Protocol: "http", Host: "upstream.test", Port: 80, Enabled: true}
}

// route builds an enabled route on service "s" with Kong's defaults.
func route(name string, mod func(*deck.Route)) deck.Route {
	r := deck.Route{Name: name, Service: "s", StripPath: true, PathHandling: "v0"}
	if mod != nil {
		mod(&r)
	}
	return r
}

func newTestGateway(t *testing.T, cfg *deck.Config, opts gateway.Options) *gateway.Gateway {
	t.Helper()
	g, err := gateway.New(cfg, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return g
}

type passPlugin struct{}

func (passPlugin) Handler(next http.Handler) http.Handler { return next }

func tagFactory(deck.Plugin, gateway.PluginEnv) (gateway.Plugin, error) { return passPlugin{}, nil }

func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func get(t *testing.T, rawURL string, hdr http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}
