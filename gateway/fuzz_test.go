package gateway

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/gateway/deck"
)

// FuzzNormalizePath: whatever the client sends, routing sees an absolute path without empty
// or dot segments, and normalizing twice changes nothing.
func FuzzNormalizePath(f *testing.F) {
	for _, s := range []string{"", "/", "/a/../b", "//x//y/", "/./.", "../../etc/passwd", "/a/..", "a/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		n := normalizePath(p)
		if !strings.HasPrefix(n, "/") || strings.Contains(n, "//") {
			t.Fatalf("normalizePath(%q) = %q", p, n)
		}
		for _, seg := range strings.Split(n, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("normalizePath(%q) = %q keeps a dot segment", p, n)
			}
		}
		if again := normalizePath(n); again != n {
			t.Fatalf("not idempotent: %q -> %q -> %q", p, n, again)
		}
	})
}

// FuzzServeHTTP sends arbitrary method, host, path and header values through a gateway with
// every kind of route: never a panic, never a 500 of the gateway's own.
func FuzzServeHTTP(f *testing.F) {
	cfg := &deck.Config{
		Services: []deck.Service{{Name: "echo", Protocol: "http", Host: "httpbin.konghq.com", Port: 80, Path: "/anything", Enabled: true}},
		Routes: []deck.Route{
			route("prefix", func(r *deck.Route) { r.Service = "echo"; r.Paths = []string{"/anything"} }),
			route("regex", func(r *deck.Route) {
				r.Service = "echo"
				r.Paths = []string{`~/items/(?<id>\d+)$`}
				r.RegexPriority = 3
			}),
			route("host", func(r *deck.Route) {
				r.Service = "echo"
				r.Hosts = []string{"*.example.com", "api.*"}
				r.PathHandling = "v1"
			}),
			route("header", func(r *deck.Route) {
				r.Service = "echo"
				r.Headers = map[string][]string{"x-v": {"1", "~*^b"}}
				r.StripPath = false
				r.PreserveHost = true
			}),
			route("https-only", func(r *deck.Route) {
				r.Service = "echo"
				r.Paths = []string{"/secure"}
				r.Protocols = []string{"https"}
			}),
		},
	}
	g, err := New(cfg, Options{})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range [][4]string{
		{"GET", "localhost", "/anything/x", ""},
		{"POST", "a.example.com", "/", "b"},
		{"GET", "api.test:8080", "/items/12", "1"},
		{"DELETE", "[::1]:80", "/secure/../anything", ""},
		{"GET", "", "//items//3", "B"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, method, host, path, header string) {
		req := &http.Request{
			Method:     method,
			URL:        &url.URL{Path: path, RawQuery: "q=1"},
			Host:       host,
			Header:     http.Header{"X-V": {header}},
			RemoteAddr: "127.0.0.1:1234",
			Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Body: http.NoBody,
		}
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, req)
		if rec.Code == http.StatusInternalServerError && strings.Contains(rec.Body.String(), msgUnexpected) {
			t.Fatalf("%s %s%s: gateway 500: %s", method, host, path, rec.Body)
		}
	})
}
