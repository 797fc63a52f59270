// Package labtest starts real labs on loopback for tests: the embedded IdP and the gateway on
// free ports, an event recorder subscribed from the start, everything stopped by t.Cleanup.
package labtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/tutorial"
)

// sharedKey saves every lab an RSA key generation.
var sharedKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// Lab is a running lab and the events it published since it started.
type Lab struct {
	*lab.Lab
	// URL is the proxy's base URL (http://127.0.0.1:PORT, or localhost with Listen
	// "localhost:0").
	URL string

	ch     <-chan gateway.Event
	mu     sync.Mutex
	events []gateway.Event
}

// Start runs cfg with test defaults: the embedded IdP (IdPLocal) and the proxy on
// 127.0.0.1:0, no admin API unless asked, logs to t.Log. It fails the test if the lab does not
// start.
func Start(t testing.TB, cfg lab.Config) *Lab {
	t.Helper()
	l, err := TryStart(t, cfg)
	if err != nil {
		t.Fatalf("labtest: %v", err)
	}
	return l
}

// TryStart is Start for tests that expect an error.
func TryStart(t testing.TB, cfg lab.Config) (*Lab, error) {
	t.Helper()
	if cfg.IdP == "" {
		cfg.IdP = lab.IdPLocal
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.IdPListen == "" {
		cfg.IdPListen = "127.0.0.1:0"
	}
	if cfg.AdminListen == "" {
		cfg.AdminListen = "off"
	}
	if cfg.IdPSigningKey == nil {
		cfg.IdPSigningKey = sharedKey()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	l, err := lab.Start(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	ch, unsubscribe := l.Subscribe(8192)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = l.Shutdown(ctx)
		unsubscribe()
	})
	return &Lab{Lab: l, URL: l.ProxyURL(), ch: ch}, nil
}

// Tutorial is the tutorial's decK file with extra lines appended to its plugin's config
// (each indented six spaces, as the file's config fields are).
func Tutorial(extra string) []byte {
	return append(bytes.Clone(tutorial.Deck), extra...)
}

// TutorialWith is the tutorial's decK file with one edit (old → new, once).
func TutorialWith(old, new string) []byte {
	return []byte(strings.Replace(string(tutorial.Deck), old, new, 1))
}

// Events returns every event published since the lab started. It first lets the gateway
// finish the requests in flight (Settle), so once a response has been read its events are
// here.
func (l *Lab) Events() []gateway.Event {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	_ = l.Settle(ctx) // a guard against a hung request, not a timing assertion
	cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		select {
		case e, ok := <-l.ch:
			if !ok {
				return append([]gateway.Event(nil), l.events...)
			}
			l.events = append(l.events, e)
			continue
		default:
		}
		return append([]gateway.Event(nil), l.events...)
	}
}

// Of returns the events of kind published so far.
func (l *Lab) Of(kind gateway.EventKind) []gateway.Event {
	var out []gateway.Event
	for _, e := range l.Events() {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// Reasons returns the reasons of every failure published so far, in order.
func (l *Lab) Reasons() []gateway.Reason {
	var out []gateway.Reason
	for _, e := range l.Events() {
		if e.Reason != "" {
			out = append(out, e.Reason)
		}
	}
	return out
}

// testWriter sends log lines to t.Log so they show with the failing test.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
