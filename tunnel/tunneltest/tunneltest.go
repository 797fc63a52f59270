// Package tunneltest is a fake tunnel provider for tests: a loopback listener that claims a
// public https URL, with events the test sends itself.
package tunneltest

import (
	"cmp"
	"context"
	"net"
	"sync"

	"github.com/oidclab/oidclab/tunnel"
)

// DefaultURL is the public URL a Provider's tunnels claim unless told otherwise.
const DefaultURL = "https://oidclab-test.ngrok.example"

// Provider opens fake tunnels. The zero value works.
type Provider struct {
	// URL is the claimed public URL (default DefaultURL).
	URL string
	// Err, when set, is what Open fails with.
	Err error

	mu      sync.Mutex
	opened  []*Tunnel
	configs []tunnel.Config
}

func (p *Provider) Name() string { return "fake" }

func (p *Provider) Open(ctx context.Context, cfg tunnel.Config) (tunnel.Tunnel, error) {
	p.mu.Lock()
	p.configs = append(p.configs, cfg)
	p.mu.Unlock()
	if p.Err != nil {
		return nil, p.Err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t := &Tunnel{Listener: ln, url: cmp.Or(p.URL, DefaultURL), events: make(chan tunnel.Event, 32), done: make(chan struct{})}
	p.mu.Lock()
	p.opened = append(p.opened, t)
	p.mu.Unlock()
	return t, nil
}

// Opened returns the tunnels opened so far.
func (p *Provider) Opened() []*Tunnel {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*Tunnel(nil), p.opened...)
}

// Configs returns the configurations Open was called with.
func (p *Provider) Configs() []tunnel.Config {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]tunnel.Config(nil), p.configs...)
}

// Tunnel is a fake tunnel: connect to Addr() to be a visitor of URL().
type Tunnel struct {
	net.Listener
	url    string
	events chan tunnel.Event
	done   chan struct{}
	mu     sync.Mutex
	closed bool
}

func (t *Tunnel) URL() string                 { return t.url }
func (t *Tunnel) Done() <-chan struct{}       { return t.done }
func (t *Tunnel) Events() <-chan tunnel.Event { return t.events }

// Send delivers an event as the provider would (dropped once closed).
func (t *Tunnel) Send(e tunnel.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.closed {
		t.events <- e
	}
}

// Closed reports whether Close was called.
func (t *Tunnel) Closed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

func (t *Tunnel) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	err := t.Listener.Close()
	close(t.events)
	close(t.done)
	return err
}
