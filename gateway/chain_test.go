package gateway

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/gateway/deck"
)

// tagPlugin appends its tag to X-Chain on the way in, so the upstream sees the order plugins ran.
type tagPlugin struct{ tag string }

func (p tagPlugin) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Add("X-Chain", p.tag)
		next.ServeHTTP(w, r)
	})
}

// tagFactory builds a tagPlugin tagged with the plugin name and config "tag".
func tagFactory(p deck.Plugin, _ PluginEnv) (Plugin, error) {
	tag, _ := p.Config["tag"].(string)
	return tagPlugin{tag: p.Name + ":" + tag}, nil
}

func TestPluginOrderAndPrecedence(t *testing.T) {
	up := startUpstream(t)
	plugins := Plugins{"a": tagFactory, "b": tagFactory, "c": tagFactory}
	plugin := func(name, tag, service, route string, enabled bool) deck.Plugin {
		return deck.Plugin{Name: name, Service: service, Route: route, Enabled: enabled, Config: map[string]any{"tag": tag}}
	}
	cfg := &deck.Config{
		Services: []deck.Service{serviceFor("api", up, ""), serviceFor("other", up, "")},
		Routes: []deck.Route{
			route("r1", func(r *deck.Route) { r.Service = "api"; r.Paths = []string{"/r1"} }),
			route("r2", func(r *deck.Route) { r.Service = "api"; r.Paths = []string{"/r2"} }),
			route("r3", func(r *deck.Route) { r.Service = "other"; r.Paths = []string{"/r3"} }),
		},
		Plugins: []deck.Plugin{
			plugin("c", "route", "", "r1", true),
			plugin("a", "global", "", "", true),
			plugin("b", "service", "api", "", true),
			plugin("a", "service", "api", "", true), // shadows the global "a" on api's routes
			plugin("b", "route", "", "r2", true),    // shadows the service "b" on r2
			plugin("c", "disabled", "", "r3", false),
		},
	}
	base := serve(t, newTestGateway(t, cfg, Options{Plugins: plugins}))
	tests := map[string]string{
		"/r1": "b:service,a:service,c:route",
		"/r2": "a:service,b:route",
		"/r3": "a:global",
	}
	for path, want := range tests {
		resp, body := get(t, base+path, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		var s seen
		if err := json.Unmarshal(body, &s); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(s.Headers.Values("X-Chain"), ","); got != want {
			t.Errorf("%s: plugins ran as %q, want %q", path, got, want)
		}
	}
}

func TestPluginProblemsCarryPathsAndLines(t *testing.T) {
	failing := func(p deck.Plugin, _ PluginEnv) (Plugin, error) {
		errs := &deck.Errors{}
		errs.Add("config.issuer", 0, "required field missing")
		errs.Add("config.client_id.0", 0, "must not be empty")
		return nil, errs
	}
	cfg := &deck.Config{
		Source:   "kong.yaml",
		Services: []deck.Service{svc("s")},
		Plugins: []deck.Plugin{
			{Name: "openid-connect", Service: "s", Enabled: true, Pos: deck.Pos{Line: 10, Path: "services.0.plugins.0"},
				ConfigLines: map[string]int{"client_id": 14, "client_id.0": 15}},
			{Name: "nope", Enabled: true, Pos: deck.Pos{Line: 20, Path: "plugins.0"}},
			{Name: "openid-connect", Service: "missing", Enabled: true},
			{Name: "plain", Enabled: true},
		},
	}
	plugins := Plugins{
		"openid-connect": failing,
		"plain":          func(deck.Plugin, PluginEnv) (Plugin, error) { return nil, errors.New("boom") },
	}
	_, err := New(cfg, Options{Plugins: plugins})
	de, ok := errors.AsType[*deck.Errors](err)
	if !ok {
		t.Fatalf("got %v, want *deck.Errors", err)
	}
	want := []deck.Problem{
		{Path: "services.0.plugins.0.config.issuer", Line: 10, Message: "required field missing"},
		{Path: "services.0.plugins.0.config.client_id.0", Line: 15, Message: "must not be empty"},
		{Path: "plugins.0.name", Line: 20, Message: "plugin 'nope' not enabled; supported plugins: openid-connect, plain"},
		{Path: "plugins.2.service", Message: `service "missing" not found`},
		{Path: "plugins.3.config", Message: "boom"},
	}
	if len(de.Problems) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(de.Problems), len(want), err)
	}
	for i, w := range want {
		if de.Problems[i] != w {
			t.Errorf("problem %d = %+v, want %+v", i, de.Problems[i], w)
		}
	}
}

type panicPlugin struct{}

func (panicPlugin) Handler(http.Handler) http.Handler {
	return http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("plugin bug") })
}

func TestPluginPanicIsAKong500AndAnEvent(t *testing.T) {
	bus := NewBus()
	events, unsubscribe := bus.Subscribe(16)
	t.Cleanup(unsubscribe)
	cfg := &deck.Config{
		Services: []deck.Service{svc("s")},
		Routes:   []deck.Route{route("r", func(r *deck.Route) { r.Paths = []string{"/"} })},
		Plugins:  []deck.Plugin{{Name: "buggy", Enabled: true}},
	}
	g := newTestGateway(t, cfg, Options{Bus: bus, Plugins: Plugins{"buggy": func(deck.Plugin, PluginEnv) (Plugin, error) { return panicPlugin{}, nil }}})
	resp, body := get(t, serve(t, g)+"/x", nil)
	if resp.StatusCode != 500 || !strings.Contains(string(body), msgUnexpected) {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
	// One event says it all: the gateway answered, with the reason and the panic explained.
	e := finishedEvent(t, events, resp.Header.Get("X-Kong-Request-Id"))
	if e.AnsweredBy != AnsweredByGateway || e.Reason != ReasonInternalError || e.Status != 500 {
		t.Errorf("%+v", e)
	}
	if !strings.Contains(e.Explain, "plugin bug") {
		t.Error("no error event for the panic")
	}
}

// TestPluginProtocols: as in Kong, a plugin's protocols are matched against the subsystem, not
// the request's scheme: https-only still runs on plain http; stream-only never runs.
func TestPluginProtocols(t *testing.T) {
	up := startUpstream(t)
	cfg := &deck.Config{
		Services: []deck.Service{serviceFor("api", up, "")},
		Routes: []deck.Route{
			route("https-only", func(r *deck.Route) { r.Service = "api"; r.Paths = []string{"/h"} }),
			route("stream-only", func(r *deck.Route) { r.Service = "api"; r.Paths = []string{"/s"} }),
		},
		Plugins: []deck.Plugin{
			{Name: "a", Route: "https-only", Enabled: true, Protocols: []string{"https"}, Config: map[string]any{"tag": "1"}},
			{Name: "a", Route: "stream-only", Enabled: true, Protocols: []string{"tcp", "tls"}, Config: map[string]any{"tag": "2"}},
		},
	}
	base := serve(t, newTestGateway(t, cfg, Options{Plugins: Plugins{"a": tagFactory}}))
	for path, want := range map[string]string{"/h": "a:1", "/s": ""} {
		resp, body := get(t, base+path, nil)
		var s seen
		if err := json.Unmarshal(body, &s); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		if got := strings.Join(s.Headers.Values("X-Chain"), ","); got != want {
			t.Errorf("%s: plugins ran as %q, want %q", path, got, want)
		}
	}
}
