package gateway

import (
	"sync"
	"sync/atomic"
	"time"
)

// EventKind names what happened.
type EventKind string

const (
	EventRequestProxied EventKind = "request.proxied" // a request matched a route (or none) and was answered
	EventConfigApplied  EventKind = "config.applied"
	EventError          EventKind = "error"

	// The openid-connect plugin's hops.
	EventLoginStarted     EventKind = "oidc.login_started"
	EventCallbackReceived EventKind = "oidc.callback_received"
	EventTokenExchanged   EventKind = "oidc.token_exchanged"
	EventIDTokenVerified  EventKind = "oidc.id_token_verified"
	EventIDTokenRejected  EventKind = "oidc.id_token_rejected"
	EventSessionIssued    EventKind = "oidc.session_issued"
	EventSessionRefreshed EventKind = "oidc.session_refreshed"
	EventLogout           EventKind = "oidc.logout"
	EventAuthFailed       EventKind = "oidc.auth_failed" // any 401/403 the plugin answers
)

// Event is one hop of a request through the gateway. It carries claims and explanations,
// never tokens, codes, cookies or secrets.
type Event struct {
	Time      time.Time      `json:"time"`
	Kind      EventKind      `json:"kind"`
	RequestID string         `json:"request_id,omitempty"`
	Route     string         `json:"route,omitempty"`
	Service   string         `json:"service,omitempty"`
	Method    string         `json:"method,omitempty"`
	Path      string         `json:"path,omitempty"` // never the query string
	Status    int            `json:"status,omitempty"`
	Latency   time.Duration  `json:"latency_ns,omitempty"`
	Message   string         `json:"message,omitempty"`
	Explain   string         `json:"explain,omitempty"` // likely cause and fix, in plain language
	Attrs     map[string]any `json:"attrs,omitempty"`
}

// Bus fans events out to subscribers. Publish never blocks: a subscriber that falls behind
// loses events (counted in Dropped) rather than slowing the proxy.
type Bus struct {
	mu      sync.RWMutex
	subs    map[*subscription]struct{}
	dropped atomic.Int64
}

type subscription struct{ ch chan Event }

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{subs: map[*subscription]struct{}{}} }

// Subscribe returns a channel of events with the given buffer and a func to unsubscribe,
// which closes the channel.
func (b *Bus) Subscribe(buffer int) (<-chan Event, func()) {
	if buffer < 1 {
		buffer = 1
	}
	s := &subscription{ch: make(chan Event, buffer)}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, s)
			b.mu.Unlock()
			close(s.ch)
		})
	}
}

// Publish delivers e to every subscriber that has room.
func (b *Bus) Publish(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.subs {
		select {
		case s.ch <- e:
		default:
			b.dropped.Add(1)
		}
	}
}

// Dropped counts events lost because a subscriber was full.
func (b *Bus) Dropped() int64 { return b.dropped.Load() }
