package gateway

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/oidclab/oidclab/gateway/deck"
)

// Plugin is a configured plugin instance. The gateway builds one per decK plugin entry each
// time a config is applied, and wraps the handler of every route it applies to.
type Plugin interface {
	Handler(next http.Handler) http.Handler
}

// PluginEnv is what the gateway gives a plugin to work with.
type PluginEnv struct {
	Logger *slog.Logger
	// Publish hands an event to subscribers; it never blocks.
	Publish func(Event)
	// Now is the clock token and session lifetimes are judged by (nil: time.Now). A lab moves
	// it with its IdP's to show what happens when time passes.
	Now func() time.Time
}

// PluginFactory builds (and so validates) a plugin from its decK entry. Validation problems are
// returned as *deck.Errors whose paths are relative to the plugin ("config.issuer").
// A factory must not do network I/O: discovery and the like happen lazily on first request.
type PluginFactory func(p deck.Plugin, env PluginEnv) (Plugin, error)

// Plugins is the registry of plugin names the gateway accepts.
type Plugins map[string]PluginFactory

// Names lists the registered plugin names, sorted.
func (ps Plugins) Names() []string {
	return slices.Sorted(maps.Keys(ps))
}

// Check validates a plugin entry by building it with its factory, with logs and events
// discarded (Apply builds it again for real). An unknown name is left to the caller's name
// check and passes.
func (ps Plugins) Check(p deck.Plugin) error {
	factory, ok := ps[p.Name]
	if !ok {
		return nil
	}
	_, err := factory(p, PluginEnv{Logger: slog.New(slog.DiscardHandler), Publish: func(Event) {}})
	return err
}

// LoadOptions are the decK loader options for a gateway running these plugins: names outside
// the registry are refused, and each plugin's config is validated while the file is read, so
// every problem of a file is reported at once.
func (ps Plugins) LoadOptions() deck.Options {
	return deck.Options{Plugins: ps.Names(), CheckPlugin: ps.Check}
}

// RequestInfo is what the gateway knows about a proxied request, for plugins.
type RequestInfo struct {
	RequestID string
	Route     string // route name (or id when unnamed)
	Service   string
	ClientIP  netip.Addr
	// Forwarded values as Kong's kong.request.get_forwarded_*: taken from X-Forwarded-* only
	// when the client is in --trusted-ips, or set by the listener (the tunnel is https).
	Scheme string
	Host   string
	Port   int
	Path   string
}

type requestInfoKey struct{}

// WithRequestInfo attaches info to ctx.
func WithRequestInfo(ctx context.Context, info *RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

// RequestInfoFrom returns the info the gateway attached to a request, or nil outside the gateway.
func RequestInfoFrom(ctx context.Context) *RequestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*RequestInfo)
	return info
}
