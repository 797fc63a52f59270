package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"

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
}

// PluginFactory builds (and so validates) a plugin from its decK entry. Validation problems are
// returned as *deck.Errors whose paths are relative to the plugin ("config.issuer").
// A factory must not do network I/O: discovery and the like happen lazily on first request.
type PluginFactory func(p deck.Plugin, env PluginEnv) (Plugin, error)

// Plugins is the registry of plugin names the gateway accepts.
type Plugins map[string]PluginFactory

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
