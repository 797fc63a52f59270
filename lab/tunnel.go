package lab

import (
	"context"
	"net/url"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/tunnel"
)

// The tunnel's events in the lab's stream.
const (
	EventTunnelReconnecting gateway.EventKind = "tunnel.reconnecting"
	EventTunnelReconnected  gateway.EventKind = "tunnel.reconnected"
	EventTunnelDisconnected gateway.EventKind = "tunnel.disconnected"
)

// The tunnel's reasons.
const (
	ReasonTunnelReconnecting gateway.Reason = "tunnel_reconnecting"
	ReasonTunnelDisconnected gateway.Reason = "tunnel_disconnected"
)

var tunnelReasons = []gateway.ReasonInfo{
	{Reason: ReasonTunnelReconnecting, Meaning: "the tunnel's session to ngrok broke; it is reconnecting, and requests to the public URL fail meanwhile",
		Fix: "Usually nothing: it comes back by itself (a tunnel.reconnected event follows). If it does not, check this machine's network connection; the event's explanation gives ngrok's error code and its fix."},
	{Reason: ReasonTunnelDisconnected, Meaning: "the tunnel ended without oidclab closing it (ngrok stopped it, or the session was lost for good); the public URL is offline",
		Fix: "Restart oidclab; the event's explanation gives ngrok's error code and its fix (another agent took the URL: ERR_NGROK_334; session limit: ERR_NGROK_108)."},
}

// Tunnel is the Expose hook for a tunnel provider: the lab serves the gateway on the tunnel
// and publishes its reconnects and disconnects.
func Tunnel(p tunnel.Provider, cfg tunnel.Config) func(context.Context) (Exposure, error) {
	return func(ctx context.Context) (Exposure, error) {
		t, err := p.Open(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return t, nil
	}
}

// exposureScheme is how requests through the public listener arrived: the scheme of its URL
// (https for a tunnel). The gateway takes it from the listener, never from a forwarded header.
func exposureScheme(e Exposure) string {
	if u, err := url.Parse(e.URL()); err == nil && u.Scheme == "http" {
		return "http"
	}
	return "https"
}

// watchTunnel publishes an exposure's tunnel events until the tunnel ends.
func (l *Lab) watchTunnel(e Exposure) {
	src, ok := e.(interface{ Events() <-chan tunnel.Event })
	if !ok {
		return
	}
	events := src.Events()
	go func() {
		for te := range events {
			l.bus.Publish(tunnelEvent(te))
		}
	}()
}

func tunnelEvent(te tunnel.Event) gateway.Event {
	e := gateway.Event{Time: te.Time, Attrs: map[string]any{}}
	switch te.Kind {
	case tunnel.EventReconnecting:
		e.Kind, e.Reason, e.Message = EventTunnelReconnecting, ReasonTunnelReconnecting, "tunnel: connection to ngrok lost, reconnecting"
	case tunnel.EventReconnected:
		e.Kind, e.Message = EventTunnelReconnected, "tunnel: reconnected, the public URL serves again"
	default:
		e.Kind, e.Reason, e.Message = EventTunnelDisconnected, ReasonTunnelDisconnected, "tunnel: disconnected, the public URL is offline"
	}
	if te.Err != nil {
		// The tunnel's errors have the authtoken scrubbed already.
		e.Message += ": " + firstLine(te.Err.Error())
		if code := tunnelCode(te.Err); code != "" {
			e.Attrs["code"] = code
		}
	}
	if e.Reason != "" {
		e.Explain = explainReason(e.Reason)
		if advice := te.Advice(); advice != "" {
			e.Explain = advice
		}
	}
	if len(e.Attrs) == 0 {
		e.Attrs = nil
	}
	return e
}

func tunnelCode(err error) string {
	if te, ok := err.(*tunnel.Error); ok {
		return te.Code
	}
	return ""
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}

// waitExposure waits, until ctx ends, for the exposure's session to end (ngrok's agent
// disconnects once the server's connections through it are closed).
func waitExposure(ctx context.Context, e Exposure) {
	d, ok := e.(interface{ Done() <-chan struct{} })
	if !ok {
		return
	}
	select {
	case <-d.Done():
	case <-ctx.Done():
	}
}
