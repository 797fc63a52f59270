package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/gateway/deck"
)

// TestApplyKeepsInFlightRequests swaps the configuration while a request is waiting on the
// upstream: that request completes by the old configuration, new ones see the new one.
func TestApplyKeepsInFlightRequests(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
		_, _ = w.Write([]byte("old config answered"))
	}))
	t.Cleanup(up.Close)
	u, _ := url.Parse(up.URL)
	oldCfg := &deck.Config{
		Services: []deck.Service{serviceFor("api", u, "")},
		Routes:   []deck.Route{route("block", func(r *deck.Route) { r.Service = "api"; r.Paths = []string{"/block"} })},
	}
	g := newTestGateway(t, oldCfg, Options{})
	base := serve(t, g)

	type result struct {
		status int
		body   string
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Get(base + "/block")
		if err != nil {
			done <- result{status: -1, body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b := make([]byte, 64)
		n, _ := resp.Body.Read(b)
		done <- result{resp.StatusCode, string(b[:n])}
	}()
	<-arrived

	newCfg := &deck.Config{Source: "new", Services: []deck.Service{svc("s")},
		Routes: []deck.Route{route("other", func(r *deck.Route) { r.Paths = []string{"/other"} })}}
	if err := g.Apply(newCfg); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, base+"/block", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("after Apply, /block: %d, want 404", resp.StatusCode)
	}
	close(release)
	if r := <-done; r.status != 200 || r.body != "old config answered" {
		t.Errorf("in-flight request: %d %q", r.status, r.body)
	}
	if got := g.Config().Source; got != "new" {
		t.Errorf("Config().Source = %q", got)
	}
}

func TestApplyRejectsAndKeepsRunningConfig(t *testing.T) {
	g := newTestGateway(t, &deck.Config{Source: "good", Services: []deck.Service{svc("s")}}, Options{})
	bad := &deck.Config{Source: "bad", Services: []deck.Service{{Name: "x", Host: "", Enabled: true}}}
	if err := g.Apply(bad); err == nil {
		t.Fatal("Apply accepted a service without host")
	}
	if got := g.Config().Source; got != "good" {
		t.Errorf("running config is %q after a rejected Apply", got)
	}
}

func TestConfigIsACopyWithStableIDs(t *testing.T) {
	cfg := &deck.Config{Services: []deck.Service{svc("s")}, Plugins: []deck.Plugin{{Name: "p", Enabled: true,
		Config: map[string]any{"k": []any{"v"}}, Protocols: []string{"http", "https"}}}}
	g := newTestGateway(t, cfg, Options{Plugins: Plugins{"p": tagFactory}})
	c1 := g.Config()
	c1.Services[0].Name = "mutated"
	c1.Plugins[0].Config["k"].([]any)[0] = "mutated"
	c1.Plugins[0].Protocols[0] = "mutated"
	c2 := g.Config()
	if c2.Services[0].Name != "s" || c2.Plugins[0].Config["k"].([]any)[0] != "v" || c2.Plugins[0].Protocols[0] != "http" {
		t.Errorf("Config() shares state with the gateway: %+v", c2)
	}
	if cfg.Services[0].ID != "" {
		t.Error("New mutated the caller's config")
	}
	g2 := newTestGateway(t, cfg, Options{Plugins: Plugins{"p": tagFactory}})
	if g2.Config().Services[0].ID != c2.Services[0].ID || c2.Services[0].ID == "" {
		t.Error("generated ids are not deterministic")
	}
	// A config built in code gets the ids the decK loader derives for the same entities, so an
	// admin URL stays valid whichever way the configuration arrived.
	loaded, err := deck.Load(strings.NewReader("_format_version: \"3.0\"\nservices:\n- name: s\n  url: http://s.test\nplugins:\n- name: p\n"),
		"ids.yaml", deck.Options{Plugins: []string{"p"}})
	if err != nil {
		t.Fatal(err)
	}
	if c2.Services[0].ID != loaded.Services[0].ID || c2.Plugins[0].ID != loaded.Plugins[0].ID {
		t.Errorf("ids in code %s/%s, from a file %s/%s", c2.Services[0].ID, c2.Plugins[0].ID,
			loaded.Services[0].ID, loaded.Plugins[0].ID)
	}
}

// TestTutorialUpstreamIsServedInProcess runs the tutorial's service and route (no plugin): the
// httpbin host is answered by the echo upstream, no network needed.
func TestTutorialUpstreamIsServedInProcess(t *testing.T) {
	cfg := &deck.Config{
		Services: []deck.Service{{Name: "example-service", Protocol: "http", Host: "httpbin.konghq.com", Port: 80,
			Path: "/anything", Retries: 5, Enabled: true}},
		Routes: []deck.Route{{Name: "example-route", Service: "example-service", Paths: []string{"/anything"},
			StripPath: true, PathHandling: "v0"}},
	}
	g := newTestGateway(t, cfg, Options{})
	if got := g.EchoServices(); len(got) != 1 || got[0] != "example-service" {
		t.Errorf("EchoServices() = %v", got)
	}
	base := serve(t, g)
	resp, body := get(t, base+"/anything/more?x=1", http.Header{"Authorization": {"Bearer abc"}})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var echo struct {
		Method  string            `json:"method"`
		URL     string            `json:"url"`
		Args    map[string]any    `json:"args"`
		Headers map[string]string `json:"headers"`
		Origin  string            `json:"origin"`
	}
	if err := json.Unmarshal(body, &echo); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if echo.URL != "http://httpbin.konghq.com/anything/more?x=1" || echo.Method != "GET" ||
		echo.Headers["Host"] != "httpbin.konghq.com" || echo.Headers["Authorization"] != "Bearer abc" ||
		echo.Args["x"] != "1" || echo.Origin != "127.0.0.1" {
		t.Errorf("unexpected echo: %s", body)
	}
	if resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
	}

	// --real-upstreams: the same host goes to the network (here: a name that cannot resolve).
	real := newTestGateway(t, &deck.Config{
		Services: []deck.Service{{Name: "example-service", Protocol: "http", Host: "httpbin.invalid", Port: 80, Enabled: true}},
		Routes:   cfg.Routes,
	}, Options{RealUpstreams: true, EchoHosts: []string{"httpbin.invalid"}})
	if len(real.EchoServices()) != 0 {
		t.Error("RealUpstreams still serves the echo in-process")
	}
}

// TestApplyNilIsTheEmptyConfig: Apply(nil), like New(nil, ...), serves nothing rather than
// panicking.
func TestApplyNilIsTheEmptyConfig(t *testing.T) {
	g := newTestGateway(t, &deck.Config{Services: []deck.Service{svc("s")}}, Options{})
	if err := g.Apply(nil); err != nil {
		t.Fatal(err)
	}
	if n := len(g.Config().Services); n != 0 {
		t.Errorf("%d services after Apply(nil)", n)
	}
}
