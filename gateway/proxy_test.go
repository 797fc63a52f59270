package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/oidclab/oidclab/gateway/deck"
)

// seen is what the loopback upstream reports about the request it received.
type seen struct {
	Method  string      `json:"method"`
	URI     string      `json:"uri"`
	Host    string      `json:"host"`
	Headers http.Header `json:"headers"`
}

// startUpstream runs a loopback upstream that answers with what it saw.
func startUpstream(t *testing.T) *url.URL {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(seen{Method: r.Method, URI: r.RequestURI, Host: r.Host, Headers: r.Header})
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return u
}

// serviceFor is an enabled service pointing at u with path.
func serviceFor(name string, u *url.URL, path string) deck.Service {
	port, _ := strconv.Atoi(u.Port())
	return deck.Service{Name: name, Protocol: "http", Host: u.Hostname(), Port: port, Path: path,
		ConnectTimeout: 60000, ReadTimeout: 60000, WriteTimeout: 60000, Enabled: true}
}

func serve(t *testing.T, g http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv.URL
}

func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func get(t *testing.T, rawURL string, hdr http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	return do(t, req)
}

func TestProxyPathsAndHost(t *testing.T) {
	up := startUpstream(t)
	cfg := &deck.Config{
		Services: []deck.Service{serviceFor("api", up, "/base")},
		Routes: []deck.Route{
			route("strip", func(r *deck.Route) { r.Service = "api"; r.Paths = []string{"/strip"} }),
			route("keep", func(r *deck.Route) {
				r.Service = "api"
				r.Paths = []string{"/keep"}
				r.StripPath = false
				r.PreserveHost = true
			}),
			route("regex", func(r *deck.Route) { r.Service = "api"; r.Paths = []string{`~/items/\d+`} }),
		},
	}
	base := serve(t, newTestGateway(t, cfg, Options{}))
	tests := []struct {
		path, wantURI, wantHost string
	}{
		{"/strip/a?x=1&y=2", "/base/a?x=1&y=2", up.Host},
		{"/strip", "/base", up.Host},
		{"/keep/a", "/base/keep/a", "localhost.test"},
		{"/items/42/rest", "/base/rest", up.Host},
		{"/strip/../strip/b", "/base/b", up.Host}, // normalized before routing
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", base+tt.path, nil)
		req.Host = "localhost.test"
		resp, body := do(t, req)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d: %s", tt.path, resp.StatusCode, body)
		}
		var s seen
		if err := json.Unmarshal(body, &s); err != nil {
			t.Fatal(err)
		}
		if s.URI != tt.wantURI || s.Host != tt.wantHost {
			t.Errorf("%s: upstream got %s (Host %s), want %s (Host %s)", tt.path, s.URI, s.Host, tt.wantURI, tt.wantHost)
		}
		if got := resp.Header.Get("Via"); !strings.Contains(got, ServerHeader) {
			t.Errorf("%s: Via = %q", tt.path, got)
		}
		for _, h := range []string{"X-Kong-Upstream-Latency", "X-Kong-Proxy-Latency", "X-Kong-Request-Id"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("%s: no %s header", tt.path, h)
			}
		}
	}
}

func TestForwardedHeaders(t *testing.T) {
	up := startUpstream(t)
	cfg := &deck.Config{
		Services: []deck.Service{serviceFor("api", up, "")},
		Routes:   []deck.Route{route("r", func(r *deck.Route) { r.Service = "api"; r.Paths = []string{"/app"} })},
	}
	spoofed := http.Header{
		"X-Forwarded-For":    {"203.0.113.9"},
		"X-Forwarded-Proto":  {"https"},
		"X-Forwarded-Host":   {"public.example"},
		"X-Forwarded-Port":   {"443"},
		"X-Forwarded-Path":   {"/outer/app/x"},
		"X-Forwarded-Prefix": {"/outer"},
		"X-Real-Ip":          {"198.51.100.7"},
	}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		hdr     http.Header
		want    map[string]string
	}{
		{
			name: "untrusted client: forwarded values are the gateway's own",
			hdr:  spoofed,
			want: map[string]string{
				"X-Forwarded-For":    "203.0.113.9, 127.0.0.1", // appended, as Kong does
				"X-Forwarded-Proto":  "http",
				"X-Forwarded-Host":   "127.0.0.1",
				"X-Forwarded-Path":   "/app/x",
				"X-Forwarded-Prefix": "/app",
				"X-Real-Ip":          "127.0.0.1",
			},
		},
		{
			name:    "trusted proxy: forwarded values are believed",
			trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
			hdr:     spoofed,
			want: map[string]string{
				"X-Forwarded-For":    "203.0.113.9, 127.0.0.1",
				"X-Forwarded-Proto":  "https",
				"X-Forwarded-Host":   "public.example",
				"X-Forwarded-Port":   "443",
				"X-Forwarded-Path":   "/outer/app/x",
				"X-Forwarded-Prefix": "/outer",
				"X-Real-Ip":          "198.51.100.7",
			},
		},
		{
			name: "no incoming headers",
			want: map[string]string{
				"X-Forwarded-For":   "127.0.0.1",
				"X-Forwarded-Proto": "http",
				"X-Real-Ip":         "127.0.0.1",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := serve(t, newTestGateway(t, cfg, Options{TrustedIPs: tt.trusted}))
			resp, body := get(t, base+"/app/x?q=1", tt.hdr)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			var s seen
			if err := json.Unmarshal(body, &s); err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.want {
				if got := s.Headers.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			u, _ := url.Parse(base)
			if tt.trusted == nil && s.Headers.Get("X-Forwarded-Port") != u.Port() {
				t.Errorf("X-Forwarded-Port = %q, want the listener port %s", s.Headers.Get("X-Forwarded-Port"), u.Port())
			}
		})
	}
}

// TestForwardedPrefixOnlyWhenStripped: Kong sends X-Forwarded-Prefix for the part of the path
// it stripped; a route that keeps the path (strip_path: false) strips nothing.
func TestForwardedPrefixOnlyWhenStripped(t *testing.T) {
	up := startUpstream(t)
	cfg := &deck.Config{
		Services: []deck.Service{serviceFor("api", up, "")},
		Routes: []deck.Route{
			route("strip", func(r *deck.Route) { r.Service = "api"; r.Paths = []string{"/strip"} }),
			route("keep", func(r *deck.Route) { r.Service = "api"; r.Paths = []string{"/keep"}; r.StripPath = false }),
		},
	}
	base := serve(t, newTestGateway(t, cfg, Options{}))
	for path, want := range map[string]string{"/strip/x": "/strip", "/keep/x": ""} {
		resp, body := get(t, base+path, nil)
		var s seen
		if err := json.Unmarshal(body, &s); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		if got := s.Headers.Get("X-Forwarded-Prefix"); got != want {
			t.Errorf("%s: X-Forwarded-Prefix = %q, want %q", path, got, want)
		}
	}
}

func TestListenerSchemeMarksHTTPS(t *testing.T) {
	up := startUpstream(t)
	cfg := &deck.Config{
		Services: []deck.Service{serviceFor("api", up, "")},
		Routes: []deck.Route{
			route("secure", func(r *deck.Route) { r.Service = "api"; r.Paths = []string{"/s"}; r.Protocols = []string{"https"} }),
		},
	}
	g := newTestGateway(t, cfg, Options{})

	plain := serve(t, g)
	resp, body := get(t, plain+"/s", nil)
	if resp.StatusCode != http.StatusUpgradeRequired || !strings.Contains(string(body), msgUseHTTPS) {
		t.Errorf("plain http to an https-only route: %d %s", resp.StatusCode, body)
	}

	tunnel := serve(t, WithListenerScheme(g, "https"))
	resp, body = get(t, tunnel+"/s", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("via https listener: %d %s", resp.StatusCode, body)
	}
	var s seen
	_ = json.Unmarshal(body, &s)
	if got := s.Headers.Get("X-Forwarded-Proto"); got != "https" {
		t.Errorf("X-Forwarded-Proto = %q, want https", got)
	}
}

func TestKongErrorBodies(t *testing.T) {
	// A port nothing listens on: bind, note, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused, _ := url.Parse("http://" + ln.Addr().String())
	ln.Close()

	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	slowURL, _ := url.Parse(slow.URL)

	refusedSvc := serviceFor("refused", refused, "")
	refusedSvc.Retries = 2
	slowSvc := serviceFor("slow", slowURL, "")
	slowSvc.ReadTimeout = 50 // the upstream never answers; Kong gives up after read_timeout
	cfg := &deck.Config{
		Services: []deck.Service{refusedSvc, slowSvc},
		Routes: []deck.Route{
			route("to-refused", func(r *deck.Route) { r.Service = "refused"; r.Paths = []string{"/refused"} }),
			route("to-slow", func(r *deck.Route) { r.Service = "slow"; r.Paths = []string{"/slow"} }),
			route("serviceless", func(r *deck.Route) { r.Service = ""; r.Paths = []string{"/nowhere"} }),
		},
	}
	bus := NewBus()
	events, unsubscribe := bus.Subscribe(64)
	t.Cleanup(unsubscribe)
	base := serve(t, newTestGateway(t, cfg, Options{Bus: bus}))

	tests := []struct {
		path    string
		status  int
		message string
	}{
		{"/no/such/route", 404, "no Route matched with those values"},
		{"/refused", 502, "An invalid response was received from the upstream server"},
		{"/slow", 504, "The upstream server is timing out"},
		{"/nowhere", 503, "no Service found with those values"},
	}
	for _, tt := range tests {
		resp, body := get(t, base+tt.path, nil)
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.path, resp.StatusCode, tt.status)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", tt.path, ct)
		}
		var got kongError
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("%s: %v: %s", tt.path, err, body)
		}
		if got.Message != tt.message {
			t.Errorf("%s: message %q, want %q", tt.path, got.Message, tt.message)
		}
		if got.RequestID == "" || got.RequestID != resp.Header.Get("X-Kong-Request-Id") {
			t.Errorf("%s: request_id %q, header %q", tt.path, got.RequestID, resp.Header.Get("X-Kong-Request-Id"))
		}
	}

	// The refused upstream's request closed with an explained event.
	var explained bool
	for len(events) > 0 {
		e := <-events
		if e.Kind == EventRequestFinished && e.Route == "to-refused" && strings.Contains(e.Explain, "cannot connect") {
			explained = true
		}
	}
	if !explained {
		t.Error("no explained error event for the refused upstream")
	}
}

func TestRetryTransportRetriesOnlyConnectFailures(t *testing.T) {
	dialErr := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	readErr := &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset")}
	tests := []struct {
		name      string
		err       error
		body      io.Reader
		wantCalls int
	}{
		{"connect failure without body: 1 + retries", dialErr, nil, 4},
		{"connect failure with a body: no retry", dialErr, strings.NewReader("x"), 1},
		{"failure after connecting: no retry", readErr, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			rt := &retryTransport{retries: 3, rt: roundTripFunc(func(*http.Request) (*http.Response, error) {
				calls++
				return nil, tt.err
			})}
			req, _ := http.NewRequest("POST", "http://upstream.test/", tt.body)
			if _, err := rt.RoundTrip(req); err == nil {
				t.Fatal("want an error")
			}
			if calls != tt.wantCalls {
				t.Errorf("%d attempts, want %d", calls, tt.wantCalls)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestNoSecretsInLogsOrEvents sends every kind of secret a login carries and checks none of
// it reaches the access log or the events.
func TestNoSecretsInLogsOrEvents(t *testing.T) {
	up := startUpstream(t)
	var logs syncBuffer
	bus := NewBus()
	events, unsubscribe := bus.Subscribe(64)
	t.Cleanup(unsubscribe)
	cfg := &deck.Config{
		Services: []deck.Service{serviceFor("api", up, "")},
		Routes:   []deck.Route{route("cb", func(r *deck.Route) { r.Service = "api"; r.Paths = []string{"/callback"} })},
	}
	g := newTestGateway(t, cfg, Options{Bus: bus, Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	base := serve(t, g)
	for _, path := range []string{"/callback?code=SECRET&state=X", "/unrouted?code=SECRET"} {
		resp, _ := get(t, base+path, http.Header{
			"Authorization": {"Bearer SECRET"},
			"Cookie":        {"session=SECRET"},
		})
		resp.Body.Close()
	}
	var evs bytes.Buffer
	for len(events) > 0 {
		_ = json.NewEncoder(&evs).Encode(<-events)
	}
	if strings.Contains(logs.String(), "SECRET") {
		t.Errorf("secret in logs:\n%s", logs.String())
	}
	if strings.Contains(evs.String(), "SECRET") {
		t.Errorf("secret in events:\n%s", evs.String())
	}
	if !strings.Contains(logs.String(), `"path":"/callback"`) || !strings.Contains(evs.String(), `"path":"/callback"`) {
		t.Errorf("request not logged or published:\nlogs: %s\nevents: %s", logs.String(), evs.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
