package gateway

import (
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway/deck"
)

// denyPlugin answers every request itself, as an auth plugin refusing a request does.
type denyPlugin struct{}

func (denyPlugin) Handler(http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	})
}

// finishedEvent waits for the request.finished event of the request with id: the event is
// published after the response is written, so it may trail the client's read.
func finishedEvent(t *testing.T, events <-chan Event, id string) Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case e := <-events:
			if e.Kind == EventRequestFinished && e.RequestID == id {
				return e
			}
		case <-deadline:
			t.Fatalf("no request.finished event for request %s", id)
		}
	}
}

func TestAnsweredBy(t *testing.T) {
	up := startUpstream(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead, _ := url.Parse("http://" + ln.Addr().String())
	ln.Close() // a closed loopback port: connections are refused at once

	deadSvc := serviceFor("dead", dead, "")
	deadSvc.Retries = 0
	cfg := &deck.Config{
		Services: []deck.Service{serviceFor("api", up, ""), deadSvc},
		Routes: []deck.Route{
			route("open", func(r *deck.Route) { r.Service = "api"; r.Paths = []string{"/open"} }),
			route("guarded", func(r *deck.Route) { r.Service = "api"; r.Paths = []string{"/guarded"} }),
			route("to-dead", func(r *deck.Route) { r.Service = "dead"; r.Paths = []string{"/dead"} }),
			route("serviceless", func(r *deck.Route) { r.Service = ""; r.Paths = []string{"/nowhere"} }),
		},
		Plugins: []deck.Plugin{{Name: "deny", Route: "guarded", Enabled: true}},
	}
	bus := NewBus()
	events, unsubscribe := bus.Subscribe(64)
	t.Cleanup(unsubscribe)
	g := newTestGateway(t, cfg, Options{Bus: bus, Plugins: Plugins{"deny": func(deck.Plugin, PluginEnv) (Plugin, error) { return denyPlugin{}, nil }}})
	base := serve(t, g)

	tests := []struct {
		path   string
		status int
		by     Answerer
		reason Reason
	}{
		{"/open", 200, AnsweredByUpstream, ""},
		{"/guarded", 401, AnsweredByPlugin, ""},
		{"/no/such/route", 404, AnsweredByGateway, ReasonNoRoute},
		{"/nowhere", 503, AnsweredByGateway, ReasonNoService},
		{"/dead", 502, AnsweredByGateway, ReasonUpstreamUnreachable},
	}
	for _, tt := range tests {
		resp, _ := get(t, base+tt.path, nil)
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.path, resp.StatusCode, tt.status)
		}
		e := finishedEvent(t, events, resp.Header.Get("X-Kong-Request-Id"))
		if e.AnsweredBy != tt.by || e.Reason != tt.reason || e.Status != tt.status {
			t.Errorf("%s: answered_by %q reason %q status %d, want %q %q %d", tt.path, e.AnsweredBy, e.Reason, e.Status, tt.by, tt.reason, tt.status)
		}
		if tt.reason == ReasonUpstreamUnreachable && e.Explain == "" {
			t.Errorf("%s: the upstream failure is not explained", tt.path)
		}
	}
	// The dead upstream's request closes with its one event: no separate error event.
	time.Sleep(50 * time.Millisecond)
	for len(events) > 0 {
		if e := <-events; e.Kind == EventError {
			t.Errorf("a separate error event: %+v", e)
		}
	}
}

func TestRejectedConfigHasReason(t *testing.T) {
	bus := NewBus()
	events, unsubscribe := bus.Subscribe(16)
	t.Cleanup(unsubscribe)
	g := newTestGateway(t, &deck.Config{}, Options{Bus: bus})
	err := g.Update(func(cfg *deck.Config) error {
		cfg.Routes = append(cfg.Routes, route("r", func(r *deck.Route) { r.Service = "missing"; r.Paths = []string{"/"} }))
		return nil
	})
	if err == nil {
		t.Fatal("a route naming a missing service was applied")
	}
	for len(events) > 0 {
		if e := <-events; e.Kind == EventError {
			if e.Reason != ReasonConfigInvalid {
				t.Errorf("reason %q", e.Reason)
			}
			return
		}
	}
	t.Error("no configuration rejected event")
}
