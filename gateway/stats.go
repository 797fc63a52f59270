package gateway

import (
	"net/netip"
	"slices"
	"time"
)

// What the admin API (package gateway/admin) shows about a gateway beyond its configuration.

// Stats are the gateway's request counters.
type Stats struct {
	Requests int64 // requests received since New
	InFlight int64 // requests being served now
}

// Stats reads the request counters.
func (g *Gateway) Stats() Stats {
	return Stats{Requests: g.requests.Load(), InFlight: g.inflight.Load()}
}

// NodeID identifies this gateway process (Kong's node_id), fixed at New.
func (g *Gateway) NodeID() string { return g.nodeID }

// CreatedAt is when the gateway first asked about the entity id, to the second: decK files
// carry no timestamps, and Kong's entities have one that must not change between reads.
func (g *Gateway) CreatedAt(id string) time.Time {
	v, _ := g.created.LoadOrStore(id, time.Now().Unix())
	return time.Unix(v.(int64), 0)
}

// Plugins returns a copy of the plugin registry the gateway was built with.
func (g *Gateway) Plugins() Plugins {
	out := make(Plugins, len(g.plugins))
	for k, v := range g.plugins {
		out[k] = v
	}
	return out
}

// TrustedIPs are the proxies whose forwarding headers the gateway believes (Options.TrustedIPs).
func (g *Gateway) TrustedIPs() []netip.Prefix { return slices.Clone(g.trusted) }
