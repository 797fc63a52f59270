package tunnel

import (
	"context"
	"crypto/x509"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.ngrok.com/ngrok/v2"
)

// Ngrok opens tunnels through ngrok's service with golang.ngrok.com/ngrok/v2: an agent of its
// own per tunnel, built with Config.Authtoken (never the SDK's package-level agent, which
// reads NGROK_AUTHTOKEN once at program start).
type Ngrok struct {
	// ConnectURL and ConnectCAs point the agent at another ngrok-protocol service; empty for
	// ngrok's own. Tests use them to stay off the network.
	ConnectURL string
	ConnectCAs *x509.CertPool
}

func (Ngrok) Name() string { return "ngrok" }

// Open connects the agent and listens on the public URL. It fails with an *Error that says
// what to do: a refused authtoken or domain, or no session within Config.ConnectTimeout.
func (p Ngrok) Open(ctx context.Context, cfg Config) (Tunnel, error) {
	token := strings.TrimSpace(cfg.Authtoken)
	if token == "" {
		return nil, &Error{Provider: "ngrok", Code: "ERR_NGROK_4018", Message: "NGROK_AUTHTOKEN is not set", Advice: AdviceFor("ERR_NGROK_4018")}
	}
	var endpointOpts []ngrok.EndpointOption
	if cfg.Domain != "" {
		u, err := NormalizeDomain(cfg.Domain)
		if err != nil {
			return nil, &Error{Provider: "ngrok", Message: err.Error(), Advice: "Fix --ngrok-domain: the domain from https://dashboard.ngrok.com/domains, such as example.ngrok-free.dev."}
		}
		endpointOpts = append(endpointOpts, ngrok.WithURL(u))
	}
	endpointOpts = append(endpointOpts, ngrok.WithDescription("oidclab"))

	s := &ngrokSession{token: token}
	opts := []ngrok.AgentOption{
		ngrok.WithAuthtoken(token),
		ngrok.WithEventHandler(s.handle),
		ngrok.WithLogger(sdkLogger(cfg.logger(), token)),
		ngrok.WithAgentDescription("oidclab"),
	}
	if p.ConnectURL != "" {
		opts = append(opts, ngrok.WithAgentConnectURL(p.ConnectURL))
	}
	if p.ConnectCAs != nil {
		opts = append(opts, ngrok.WithAgentConnectCAs(p.ConnectCAs))
	}
	agent, err := ngrok.NewAgent(opts...)
	if err != nil {
		return nil, ngrokError(err, token)
	}

	// ngrok ties the session to the context Connect gets, so it must outlive this call: the
	// caller's ctx and the watchdog only bound the start.
	sessCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	timeout := cfg.connectTimeout()
	var timedOut atomic.Bool
	watchdog := time.AfterFunc(timeout, func() { timedOut.Store(true); cancel() })
	stopCallerWatch := context.AfterFunc(ctx, cancel)

	err = agent.Connect(sessCtx)
	var ln ngrok.EndpointListener
	if err == nil {
		ln, err = agent.Listen(sessCtx, endpointOpts...)
	}
	// A timer or cancellation that fired after success still killed the session.
	if !watchdog.Stop() && err == nil {
		err = context.DeadlineExceeded
	}
	if !stopCallerWatch() && err == nil {
		err = context.Canceled
	}
	if err != nil {
		if ln != nil {
			_ = ln.Close()
		}
		_ = agent.Disconnect()
		cancel()
		switch {
		case timedOut.Load():
			return nil, timeoutError(timeout, s.lastError(), token)
		case ctx.Err() != nil:
			return nil, ctx.Err()
		}
		return nil, ngrokError(err, token)
	}

	t := newListener(ln, strings.TrimSuffix(ln.URL().String(), "/"), func() {
		_ = agent.Disconnect()
		cancel()
	})
	t.acceptErr = func(err error) error { return ngrokError(err, token) }
	s.open(t)
	return t, nil
}

// ngrokSession receives the agent's events. The SDK calls handle synchronously, during
// Connect with its own lock held, so handle only records and emits without blocking.
type ngrokSession struct {
	token string

	mu   sync.Mutex
	last error
	t    *listener // nil until Open succeeded: failures before are Open's error, not events
}

func (s *ngrokSession) open(t *listener) {
	s.mu.Lock()
	s.t = t
	s.mu.Unlock()
}

func (s *ngrokSession) lastError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func (s *ngrokSession) handle(ev ngrok.Event) {
	s.mu.Lock()
	t := s.t
	switch e := ev.(type) {
	case *ngrok.EventAgentDisconnected:
		if e.Error != nil && !errors.Is(e.Error, context.Canceled) {
			s.last = e.Error
		}
	}
	s.mu.Unlock()
	if t == nil {
		return
	}
	switch e := ev.(type) {
	case *ngrok.EventAgentConnectSucceeded:
		t.emit(Event{Time: e.Timestamp(), Kind: EventReconnected})
	case *ngrok.EventAgentDisconnected:
		if e.Error == nil {
			t.emit(Event{Time: e.Timestamp(), Kind: EventDisconnected})
			return
		}
		t.emit(Event{Time: e.Timestamp(), Kind: EventReconnecting, Err: ngrokError(e.Error, s.token)})
	}
}
