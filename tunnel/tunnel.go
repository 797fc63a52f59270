// Package tunnel makes a local server reachable from a public URL: through ngrok
// (golang.ngrok.com/ngrok/v2) so that an IdP on the internet (Okta) can send the browser back to
// a laptop, or not at all (none: a loopback listener and its URL). A Tunnel is a net.Listener:
// serve HTTP on it and its URL is where the requests came from.
package tunnel

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"
)

// Tunnel is an open tunnel: the connections arriving at URL, as a net.Listener.
type Tunnel interface {
	net.Listener
	// URL is the public base URL (scheme://host, no trailing slash).
	URL() string
	// Done is closed once the tunnel has ended: closed here, or stopped by the service.
	Done() <-chan struct{}
	// Events delivers the tunnel's reconnects and disconnects; it is buffered, a reader that
	// falls behind loses events, and it is closed when the tunnel ends.
	Events() <-chan Event
	// Close stops accepting connections and takes the URL offline; the session behind it
	// (ngrok's agent) ends once the connections already accepted are closed, so an
	// http.Server's Shutdown still drains them. Done tells when that happened.
	Close() error
}

// Provider opens tunnels of one kind.
type Provider interface {
	// Name is the provider's --tunnel value.
	Name() string
	Open(ctx context.Context, cfg Config) (Tunnel, error)
}

// Config is what a tunnel is opened with; each provider uses its part.
type Config struct {
	// Authtoken authenticates to ngrok. Never logged, printed or put in an error.
	Authtoken string
	// Domain is a static ngrok domain (host name, or https:// URL) for a stable URL; "" lets
	// ngrok assign one.
	Domain string
	// ConnectTimeout bounds Open (default DefaultConnectTimeout): ngrok's SDK retries a
	// refused authtoken forever, so without it a bad token hangs.
	ConnectTimeout time.Duration
	// Listen is the none provider's HOST:PORT (default 127.0.0.1:0).
	Listen string
	// Logger receives the provider's own logs, with the authtoken scrubbed; default discard.
	Logger *slog.Logger
}

// DefaultConnectTimeout is Config.ConnectTimeout's default.
const DefaultConnectTimeout = 15 * time.Second

func (c Config) logger() *slog.Logger {
	return cmp.Or(c.Logger, slog.New(slog.DiscardHandler))
}

func (c Config) connectTimeout() time.Duration {
	if c.ConnectTimeout > 0 {
		return c.ConnectTimeout
	}
	return DefaultConnectTimeout
}

// EventKind says what happened to an open tunnel.
type EventKind string

const (
	// EventReconnecting: the session to the service broke; the provider is reconnecting and
	// requests to the URL fail meanwhile.
	EventReconnecting EventKind = "reconnecting"
	// EventReconnected: the session is back; the URL serves again.
	EventReconnected EventKind = "reconnected"
	// EventDisconnected: the tunnel ended without being closed here; the URL is offline.
	EventDisconnected EventKind = "disconnected"
)

// Event is a change of an open tunnel's state.
type Event struct {
	Time time.Time
	Kind EventKind
	// Err is why, when known (authtoken scrubbed); a *Error when the service gave a code.
	Err error
}

// Advice is what to do about the event, "" when nothing needs doing.
func (e Event) Advice() string {
	if te, ok := e.Err.(*Error); ok && te.Advice != "" {
		return te.Advice
	}
	switch e.Kind {
	case EventReconnecting:
		return "Requests to the public URL fail until the tunnel is back; check this machine's network connection."
	case EventDisconnected:
		return "The public URL is offline: restart oidclab."
	}
	return ""
}

// ByName returns the provider for a --tunnel value: ngrok or none.
func ByName(name string) (Provider, error) {
	switch name {
	case "ngrok":
		return Ngrok{}, nil
	case "none":
		return None{}, nil
	}
	return nil, fmt.Errorf("tunnel provider %q: want ngrok or none", name)
}

// NormalizeDomain turns a --ngrok-domain value (example.ngrok-free.dev, or its https URL) into
// the https URL ngrok listens on, refusing what ngrok would refuse less clearly.
func NormalizeDomain(d string) (string, error) {
	host := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(d), "https://"), "/")
	switch {
	case host == "":
		return "", fmt.Errorf("ngrok domain %q: want a host name such as example.ngrok-free.dev", d)
	case strings.Contains(host, "://"):
		return "", fmt.Errorf("ngrok domain %q: the tunnel is https; give the host name only (example.ngrok-free.dev)", d)
	case strings.ContainsAny(host, "/?#@ \t"):
		return "", fmt.Errorf("ngrok domain %q: want a host name only, without a path (example.ngrok-free.dev)", d)
	}
	return "https://" + strings.ToLower(host), nil
}
