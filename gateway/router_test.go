package gateway

import (
	"errors"
	"net/http"
	"testing"

	"github.com/oidclab/oidclab/gateway/deck"
)

// svc is an enabled service with Kong's defaults (what the decK loader would produce).
func svc(name string) deck.Service {
	return deck.Service{Name: name, Protocol: "http", Host: "upstream.test", Port: 80, Enabled: true}
}

// route builds an enabled route on service "s" with Kong's defaults.
func route(name string, mod func(*deck.Route)) deck.Route {
	r := deck.Route{Name: name, Service: "s", StripPath: true, PathHandling: "v0"}
	if mod != nil {
		mod(&r)
	}
	return r
}

func newTestGateway(t *testing.T, cfg *deck.Config, opts Options) *Gateway {
	t.Helper()
	g, err := New(cfg, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return g
}

// TestRouterPriority reproduces the rules of Kong's "Proxy reference: routing priority" and of
// kong/router/transform.lua get_priority (traditional_compatible flavour).
func TestRouterPriority(t *testing.T) {
	type req struct {
		method, host, path string
		header             http.Header
		want               string // route name, "" for no match
	}
	tests := []struct {
		name   string
		routes []deck.Route
		reqs   []req
	}{
		{
			// Docs: "a Route that matches on more fields is preferred": hosts+methods beats hosts.
			name: "more matching criteria first",
			routes: []deck.Route{
				route("host", func(r *deck.Route) { r.Hosts = []string{"example.com"} }),
				route("host-post", func(r *deck.Route) { r.Hosts = []string{"example.com"}; r.Methods = []string{"POST"} }),
			},
			reqs: []req{
				{method: "GET", host: "example.com", path: "/", want: "host"},
				{method: "POST", host: "example.com", path: "/", want: "host-post"},
				{method: "POST", host: "other.com", path: "/", want: ""},
			},
		},
		{
			// Docs: among plain paths the longest prefix wins, whatever the order of definition.
			name: "longest prefix",
			routes: []deck.Route{
				route("short", func(r *deck.Route) { r.Paths = []string{"/service"} }),
				route("long", func(r *deck.Route) { r.Paths = []string{"/service/resource"} }),
			},
			reqs: []req{
				{method: "GET", path: "/service/resource/1", want: "long"},
				{method: "GET", path: "/service/other", want: "short"},
				{method: "GET", path: "/servicexyz", want: "short"}, // prefixes are not segment-bound
				{method: "GET", path: "/serv", want: ""},
			},
		},
		{
			// Docs: regex paths are evaluated before plain paths, in order of regex_priority.
			name: "regex before prefix, by regex_priority",
			routes: []deck.Route{
				route("status", func(r *deck.Route) { r.Paths = []string{`~/status/\d+`}; r.RegexPriority = 0 }),
				route("version-status", func(r *deck.Route) { r.Paths = []string{`~/version/\d+/status/\d+`}; r.RegexPriority = 6 }),
				route("version", func(r *deck.Route) { r.Paths = []string{"/version"} }),
				route("version-any", func(r *deck.Route) { r.Paths = []string{`~/version/any/`} }),
			},
			reqs: []req{
				{method: "GET", path: "/version", want: "version"},
				{method: "GET", path: "/version/1/status/2", want: "version-status"},
				{method: "GET", path: "/version/any/", want: "version-any"},
				{method: "GET", path: "/status/3", want: "status"},
				{method: "GET", path: "/x/status/3", want: ""}, // regexes are anchored at the start
			},
		},
		{
			name: "plain hosts before wildcard hosts",
			routes: []deck.Route{
				route("wild-suffix", func(r *deck.Route) { r.Hosts = []string{"*.example.com"} }),
				route("wild-prefix", func(r *deck.Route) { r.Hosts = []string{"example.*"} }),
				route("exact", func(r *deck.Route) { r.Hosts = []string{"api.example.com"} }),
				route("with-port", func(r *deck.Route) { r.Hosts = []string{"ported.test:8443"} }),
			},
			reqs: []req{
				{method: "GET", host: "api.example.com", path: "/", want: "exact"},
				{method: "GET", host: "API.Example.com", path: "/", want: "exact"},
				{method: "GET", host: "www.example.com", path: "/", want: "wild-suffix"},
				{method: "GET", host: "example.org", path: "/", want: "wild-prefix"},
				{method: "GET", host: "example.com", path: "/", want: "wild-prefix"},
				{method: "GET", host: "other.org", path: "/", want: ""},
				{method: "GET", host: "ported.test:8443", path: "/", want: "with-port"},
				{method: "GET", host: "ported.test:9000", path: "/", want: ""},
			},
		},
		{
			name: "headers: more headers first, values case-insensitive, ~* regex",
			routes: []deck.Route{
				route("one", func(r *deck.Route) { r.Headers = map[string][]string{"x-version": {"v1", "v2"}} }),
				route("two", func(r *deck.Route) {
					r.Headers = map[string][]string{"x-version": {"v1"}, "x-region": {"~*^eu-"}}
				}),
			},
			reqs: []req{
				{method: "GET", path: "/", header: http.Header{"X-Version": {"V2"}}, want: "one"},
				{method: "GET", path: "/", header: http.Header{"X-Version": {"v1"}, "X-Region": {"EU-west"}}, want: "two"},
				{method: "GET", path: "/", header: http.Header{"X-Version": {"v1"}, "X-Region": {"us-east"}}, want: "one"},
				{method: "GET", path: "/", header: http.Header{"X-Version": {"v3"}}, want: ""},
			},
		},
		{
			// Same priority: the route defined first wins (creation order).
			name: "ties by configuration order",
			routes: []deck.Route{
				route("first", func(r *deck.Route) { r.Paths = []string{"/same"} }),
				route("second", func(r *deck.Route) { r.Paths = []string{"/same"} }),
			},
			reqs: []req{{method: "GET", path: "/same/x", want: "first"}},
		},
		{
			// A route with several paths competes with each of its paths at that path's priority.
			name: "each path of a route has its own priority",
			routes: []deck.Route{
				route("multi", func(r *deck.Route) { r.Paths = []string{"/a", "/bbbbbb"} }),
				route("mid", func(r *deck.Route) { r.Paths = []string{"/bbb"} }),
			},
			reqs: []req{
				{method: "GET", path: "/bbbbbb/1", want: "multi"},
				{method: "GET", path: "/bbbx", want: "mid"},
				{method: "GET", path: "/a", want: "multi"},
			},
		},
		{
			name: "methods",
			routes: []deck.Route{
				route("get", func(r *deck.Route) { r.Paths = []string{"/m"}; r.Methods = []string{"get", "HEAD"} }),
			},
			reqs: []req{
				{method: "GET", path: "/m", want: "get"},
				{method: "HEAD", path: "/m", want: "get"},
				{method: "DELETE", path: "/m", want: ""},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &deck.Config{Services: []deck.Service{svc("s")}, Routes: tt.routes}
			g := newTestGateway(t, cfg, Options{})
			rt := g.current.Load().router
			for _, rq := range tt.reqs {
				host, port := splitHostPort(rq.host)
				h := rq.header
				if h == nil {
					h = http.Header{}
				}
				m, ok := rt.find(rq.method, host, port, rq.path, h)
				got := ""
				if ok {
					got = m.route.name
				}
				if got != rq.want {
					t.Errorf("%s %s%s: matched %q, want %q", rq.method, rq.host, rq.path, got, rq.want)
				}
			}
		})
	}
}

func TestApplyReportsEveryRouteProblem(t *testing.T) {
	cfg := &deck.Config{
		Services: []deck.Service{svc("s")},
		Routes: []deck.Route{
			route("bad-regex", func(r *deck.Route) { r.Paths = []string{"~/(unclosed"} }),
			route("no-slash", func(r *deck.Route) { r.Paths = []string{"relative"} }),
			route("bad-host", func(r *deck.Route) { r.Hosts = []string{"a.*.com"} }),
			route("dangling", func(r *deck.Route) { r.Paths = []string{"/d"}; r.Service = "nope" }),
			route("empty", nil),
		},
	}
	_, err := New(cfg, Options{})
	de, ok := errors.AsType[*deck.Errors](err)
	if !ok {
		t.Fatalf("New: got %v, want *deck.Errors", err)
	}
	wantPaths := []string{"routes.0.paths.0", "routes.1.paths.0", "routes.2.hosts.0", "routes.3.service", "routes.4"}
	if len(de.Problems) != len(wantPaths) {
		t.Fatalf("got %d problems, want %d:\n%v", len(de.Problems), len(wantPaths), err)
	}
	got := map[string]bool{}
	for _, p := range de.Problems {
		got[p.Path] = true
	}
	for _, p := range wantPaths {
		if !got[p] {
			t.Errorf("no problem reported at %s:\n%v", p, err)
		}
	}
}

func TestNormalizePath(t *testing.T) {
	for in, want := range map[string]string{
		"":             "/",
		"/":            "/",
		"/a/b":         "/a/b",
		"/a//b":        "/a/b",
		"/a/./b/":      "/a/b/",
		"/a/../b":      "/b",
		"/../../etc":   "/etc",
		"/a/..":        "/",
		"/anything/.":  "/anything/",
		"/x/y/../../z": "/z",
	} {
		if got := normalizePath(in); got != want {
			t.Errorf("normalizePath(%q) = %q, want %q", in, got, want)
		}
	}
}
