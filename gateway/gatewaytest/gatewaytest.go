// Package gatewaytest starts real gateways on loopback for the tests of other packages (the
// openid-connect plugin, scenarios): a decK config and plugins in, URLs and events out, all
// torn down by t.Cleanup.
package gatewaytest

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/admin"
	"github.com/oidclab/oidclab/gateway/deck"
)

// Options tune Start; the zero value is a gateway without plugins that answers httpbin hosts
// with the in-process echo upstream.
type Options struct {
	Plugins       gateway.Plugins
	TrustedIPs    []netip.Prefix
	RealUpstreams bool
	// Scheme, when "https", marks requests as arriving over TLS (as the tunnel does), so
	// X-Forwarded-Proto and RequestInfo.Scheme say https on a plain loopback listener.
	Scheme string
	// EventBuffer sizes the events channel (default 1024).
	EventBuffer int
	// Logger defaults to one that writes to t.Log.
	Logger *slog.Logger
}

// Gateway is a running gateway with its proxy and admin API on loopback.
type Gateway struct {
	*gateway.Gateway
	URL      string // proxy base URL, e.g. http://127.0.0.1:41234
	AdminURL string
	// Events receives everything the gateway publishes from the start.
	Events <-chan gateway.Event
}

// Start applies cfg to a new gateway served on loopback; it fails the test if cfg is rejected.
func Start(t testing.TB, cfg *deck.Config, opts Options) *Gateway {
	t.Helper()
	bus := gateway.NewBus()
	buffer := opts.EventBuffer
	if buffer == 0 {
		buffer = 1024
	}
	events, unsubscribe := bus.Subscribe(buffer)
	t.Cleanup(unsubscribe)
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	gw, err := gateway.New(cfg, gateway.Options{
		Logger: logger, Bus: bus, Plugins: opts.Plugins,
		TrustedIPs: opts.TrustedIPs, RealUpstreams: opts.RealUpstreams,
	})
	if err != nil {
		t.Fatalf("gatewaytest: config rejected: %v", err)
	}
	var handler http.Handler = gw
	if opts.Scheme != "" {
		handler = gateway.WithListenerScheme(gw, opts.Scheme)
	}
	proxy := httptest.NewServer(handler)
	t.Cleanup(proxy.Close)
	adminSrv := httptest.NewServer(admin.New(gw, admin.Options{Logger: logger}))
	t.Cleanup(adminSrv.Close)
	return &Gateway{Gateway: gw, URL: proxy.URL, AdminURL: adminSrv.URL, Events: events}
}

// StartYAML loads a decK file from text (rendering ${{ env "DECK_X" }} from the test's
// environment, see t.Setenv) and starts it.
func StartYAML(t testing.TB, yaml string, opts Options) *Gateway {
	t.Helper()
	return Start(t, Load(t, yaml, opts.Plugins), opts)
}

// Load reads a decK file from text, accepting the given plugin names; it fails the test on
// error. Plugin configs are left to gateway.New, so a test can see what it reports.
func Load(t testing.TB, yaml string, plugins gateway.Plugins) *deck.Config {
	t.Helper()
	cfg, err := deck.Load(strings.NewReader(yaml), t.Name()+".yaml", deck.Options{Plugins: plugins.Names()})
	if err != nil {
		t.Fatalf("gatewaytest: %v", err)
	}
	return cfg
}

// NextEvent returns the next event of kind, skipping others. It fails the test if none comes
// within 10 seconds: a guard against hanging, not a timing assertion.
func (g *Gateway) NextEvent(t testing.TB, kind gateway.EventKind) gateway.Event {
	t.Helper()
	guard := time.NewTimer(10 * time.Second)
	defer guard.Stop()
	for {
		select {
		case e, ok := <-g.Events:
			if !ok {
				t.Fatalf("gatewaytest: event stream closed while waiting for %s", kind)
			}
			if e.Kind == kind {
				return e
			}
		case <-guard.C:
			t.Fatalf("gatewaytest: no %s event", kind)
		}
	}
}

// testWriter sends log lines to t.Log so they show with the failing test.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
