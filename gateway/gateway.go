// Package gateway is oidclab's embedded Kong-compatible gateway: a decK configuration compiled
// into Kong's router, a plugin chain per route and a reverse proxy, with Kong's error bodies
// and forwarded headers. Package gateway/admin serves Kong's Admin API over it.
package gateway

import (
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oidclab/oidclab/gateway/deck"
	"github.com/oidclab/oidclab/gateway/echo"
)

// ServerHeader is what the gateway puts in Server and Via, in Kong's "kong/VERSION" form so that
// tools which recognise Kong recognise it, with a suffix that says what it really is.
const ServerHeader = "kong/3.9.1-oidclab"

// DefaultEchoHosts are the service hosts answered by the in-process echo upstream: the upstream
// of Kong's tutorials.
var DefaultEchoHosts = []string{"httpbin.konghq.com", "httpbin.org"}

// Options configure a Gateway. The zero value works: no plugins, no trusted proxies, echo
// upstream on, logs discarded.
type Options struct {
	Logger *slog.Logger
	// Bus receives the gateway's events; nil means a private bus nobody listens to.
	Bus     *Bus
	Plugins Plugins
	// TrustedIPs are the proxies whose X-Forwarded-* and X-Real-IP headers are believed
	// (Kong's trusted_ips). Default none.
	TrustedIPs []netip.Prefix
	// RealUpstreams turns off the in-process echo upstream: services named by EchoHosts are
	// reached over the network like any other.
	RealUpstreams bool
	// EchoHosts overrides DefaultEchoHosts.
	EchoHosts []string
	// Echo serves the echo hosts; nil means echo.New().
	Echo http.Handler
	// Now is the plugins' clock (nil: time.Now).
	Now func() time.Time
}

// Gateway proxies requests by a decK configuration. It is safe for concurrent use; Apply swaps
// the configuration atomically while requests are in flight.
type Gateway struct {
	log        *slog.Logger
	bus        *Bus
	plugins    Plugins
	trusted    []netip.Prefix
	echoHosts  map[string]bool
	echo       http.Handler
	transports transportCache

	applyMu sync.Mutex // serialises Apply so admin writes do not race each other
	current atomic.Pointer[snapshot]
	created sync.Map // entity id -> unix seconds first seen, for the admin API
	nodeID  string
	now     func() time.Time

	requests atomic.Int64 // requests received, for the admin API's /status
	inflight atomic.Int64
}

// New builds a gateway and applies cfg (which may be nil for an empty configuration).
func New(cfg *deck.Config, opts Options) (*Gateway, error) {
	g := &Gateway{
		log:     opts.Logger,
		bus:     opts.Bus,
		plugins: opts.Plugins,
		trusted: opts.TrustedIPs,
		echo:    opts.Echo,
		nodeID:  deck.NewID(),
		now:     opts.Now,
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.bus == nil {
		g.bus = NewBus()
	}
	if g.plugins == nil {
		g.plugins = Plugins{}
	}
	if !opts.RealUpstreams {
		hosts := opts.EchoHosts
		if hosts == nil {
			hosts = DefaultEchoHosts
		}
		g.echoHosts = map[string]bool{}
		for _, h := range hosts {
			g.echoHosts[h] = true
		}
		if g.echo == nil {
			g.echo = echo.New()
		}
	}
	if err := g.Apply(cfg); err != nil {
		return nil, err
	}
	return g, nil
}

// Config returns a deep copy of the configuration being served, with the ids the gateway
// assigned to entities that had none.
func (g *Gateway) Config() *deck.Config {
	return g.current.Load().cfg.Clone()
}

// EchoServices names the services answered by the in-process echo upstream.
func (g *Gateway) EchoServices() []string {
	var out []string
	for _, s := range g.current.Load().services {
		if s.echo {
			out = append(out, s.name)
		}
	}
	return out
}

// Bus is where the gateway publishes its events.
func (g *Gateway) Bus() *Bus { return g.bus }

// Apply validates cfg, builds its plugins and swaps it in atomically: requests already in
// flight finish on the configuration they started with. Every problem is reported at once as
// *deck.Errors; on error the running configuration is unchanged. A nil cfg is the empty one.
func (g *Gateway) Apply(cfg *deck.Config) error {
	if cfg == nil {
		cfg = &deck.Config{FormatVersion: deck.FormatVersion}
	}
	g.applyMu.Lock()
	defer g.applyMu.Unlock()
	return g.applyLocked(cfg.Clone())
}

// Update applies the configuration edit makes to a copy of the current one; edits are
// serialised, so two concurrent updates never lose each other's changes. An error from edit
// is returned as is and nothing changes.
func (g *Gateway) Update(edit func(cfg *deck.Config) error) error {
	g.applyMu.Lock()
	defer g.applyMu.Unlock()
	cfg := g.current.Load().cfg.Clone()
	if err := edit(cfg); err != nil {
		return err
	}
	return g.applyLocked(cfg)
}

func (g *Gateway) applyLocked(cfg *deck.Config) error {
	snap, err := g.compile(cfg)
	if err != nil {
		g.bus.Publish(Event{Kind: EventError, Reason: ReasonConfigInvalid, Message: "configuration rejected", Explain: err.Error()})
		return err
	}
	g.current.Store(snap)
	g.log.Info("configuration applied", "source", snap.cfg.Source,
		"services", len(snap.cfg.Services), "routes", len(snap.cfg.Routes), "plugins", len(snap.cfg.Plugins))
	g.bus.Publish(Event{Kind: EventConfigApplied, Message: "configuration applied",
		Attrs: map[string]any{"source": snap.cfg.Source, "services": len(snap.cfg.Services),
			"routes": len(snap.cfg.Routes), "plugins": len(snap.cfg.Plugins)}})
	return nil
}
