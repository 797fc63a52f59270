package gateway

import (
	"sync"
	"sync/atomic"
	"time"
)

// EventKind names what happened. The gateway core declares its own kinds here; each plugin
// declares its kinds in its package (the openid-connect plugin's are oidc.Event*).
type EventKind string

const (
	// EventRequestFinished closes every request, whoever answered it (AnsweredBy says who).
	EventRequestFinished EventKind = "request.finished"
	EventConfigApplied   EventKind = "config.applied"
	EventError           EventKind = "error"
)

// Reason is a stable, machine-readable code for why a hop failed ("state_cookie_missing",
// "upstream_unreachable", ...). Codes never change meaning; README lists them with their fixes.
type Reason string

const (
	// ReasonUpstreamUnreachable: the gateway could not get an answer from the service's upstream.
	ReasonUpstreamUnreachable Reason = "upstream_unreachable"
	// ReasonClientClosed: the client went away before the answer; nobody is at fault upstream.
	ReasonClientClosed Reason = "client_closed"
	// ReasonRequestBodyInvalid: the client's request body ended before its Content-Length or its
	// chunked encoding was malformed; the upstream is not at fault.
	ReasonRequestBodyInvalid Reason = "request_body_invalid"
	// ReasonInternalError: a bug (a recovered panic, a step that cannot fail failed).
	ReasonInternalError Reason = "internal_error"
	// ReasonConfigInvalid: a configuration was rejected; the previous one stays in force.
	ReasonConfigInvalid Reason = "config_invalid"
	// ReasonNoRoute: no route matched the request.
	ReasonNoRoute Reason = "no_route"
	// ReasonNoService: the route has no service to proxy to.
	ReasonNoService Reason = "no_service"
	// ReasonHTTPSRequired: the route accepts https only.
	ReasonHTTPSRequired Reason = "https_required"
)

// ReasonInfo pairs a reason with what it means, for tables (README, tests, front ends).
type ReasonInfo struct {
	Reason  Reason
	Meaning string // what happened
	Fix     string // what to change, vendor-neutral (package okta adds Okta's console steps)
}

// Reasons lists the gateway core's reasons; each plugin lists its own (oidc.Reasons).
var Reasons = []ReasonInfo{
	{Reason: ReasonUpstreamUnreachable, Meaning: "the upstream did not answer: refused, unresolvable, reset or timed out", Fix: "Start the upstream, or fix the service's url (host, port, scheme); raise the service's timeouts if it is slow."},
	{Reason: ReasonClientClosed, Meaning: "the client went away before the answer", Fix: "None: the client gave up (a closed tab, a timeout on its side)."},
	{Reason: ReasonRequestBodyInvalid, Meaning: "the client's request body ended early or was malformed; the gateway answered 400", Fix: "Fix the client: send as many body bytes as its Content-Length says, or valid chunked encoding."},
	{Reason: ReasonInternalError, Meaning: "a bug: a recovered panic or an internal step that failed", Fix: "A bug: report it with the event; the request got Kong's 500."},
	{Reason: ReasonConfigInvalid, Meaning: "a configuration was rejected; the previous one stays in force", Fix: "Fix every problem listed (each with its line); the previous configuration is still served."},
	{Reason: ReasonNoRoute, Meaning: "no route matched the request", Fix: "Add a route for this path/host/method, or call a path a route has."},
	{Reason: ReasonNoService, Meaning: "the route has no service to proxy to", Fix: "Give the route a service."},
	{Reason: ReasonHTTPSRequired, Meaning: "the route accepts https only", Fix: "Call the route over https (the tunnel), or allow http in the route's protocols."},
}

// Answerer says who produced a response.
type Answerer string

const (
	AnsweredByUpstream Answerer = "upstream" // the service behind the route (or the echo upstream)
	AnsweredByPlugin   Answerer = "plugin"   // a plugin answered without calling the upstream
	AnsweredByGateway  Answerer = "gateway"  // the gateway itself: no route, upstream failure
	AnsweredByIdP      Answerer = "idp"      // the identity provider (events the lab merges in)
)

// Event is one hop of a request through the gateway. It carries claims and explanations,
// never tokens, codes, cookies or secrets.
type Event struct {
	Time       time.Time      `json:"time"`
	Kind       EventKind      `json:"kind"`
	RequestID  string         `json:"request_id,omitempty"`
	Route      string         `json:"route,omitempty"`
	Service    string         `json:"service,omitempty"`
	Method     string         `json:"method,omitempty"`
	Path       string         `json:"path,omitempty"` // never the query string
	Status     int            `json:"status,omitempty"`
	AnsweredBy Answerer       `json:"answered_by,omitempty"` // set on every event with a Status
	Reason     Reason         `json:"reason,omitempty"`      // set on every failure
	Latency    time.Duration  `json:"latency_ns,omitempty"`
	Message    string         `json:"message,omitempty"`
	Explain    string         `json:"explain,omitempty"` // likely cause and fix, in plain language
	Attrs      map[string]any `json:"attrs,omitempty"`
}

// Bus fans events out to subscribers. Publish never blocks: a subscriber that falls behind
// loses events (counted in Dropped) rather than slowing the proxy.
type Bus struct {
	mu       sync.RWMutex
	subs     map[*subscription]struct{}
	dropped  atomic.Int64
	annotate func(*Event)
}

type subscription struct{ ch chan Event }

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{subs: map[*subscription]struct{}{}} }

// NewAnnotatingBus returns a bus that passes every event through annotate before anyone sees
// it: whoever wires the gateway adds what the gateway cannot know (vendor advice). annotate
// runs on the publisher's goroutine, so it must be quick and must not block.
func NewAnnotatingBus(annotate func(*Event)) *Bus {
	b := NewBus()
	b.annotate = annotate
	return b
}

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

// Publish delivers e to every subscriber that has room. Events published from one goroutine
// reach each subscriber in that order.
func (b *Bus) Publish(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if b.annotate != nil {
		b.annotate(&e)
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
