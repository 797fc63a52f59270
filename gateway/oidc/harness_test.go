package oidc

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc/oidctest"
	"github.com/oidclab/oidclab/scenarios/browser"
)

const (
	testClientID     = "client-1"
	testClientSecret = "s3cr:t/+ é" // needs RFC 6749 2.3.1 form-encoding in Basic auth
)

// fakeClock is the plugin's (and the test browser's) clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// eventLog collects published events.
type eventLog struct {
	mu     sync.Mutex
	events []gateway.Event
}

func (l *eventLog) publish(e gateway.Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

func (l *eventLog) all() []gateway.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]gateway.Event(nil), l.events...)
}

func (l *eventLog) of(kind gateway.EventKind) []gateway.Event {
	var out []gateway.Event
	for _, e := range l.all() {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// last returns the last event of kind, failing the test when there is none.
func (l *eventLog) last(t *testing.T, kind gateway.EventKind) gateway.Event {
	t.Helper()
	evs := l.of(kind)
	if len(evs) == 0 {
		t.Fatalf("no %s event; events: %s", kind, l.summary())
	}
	return evs[len(evs)-1]
}

func (l *eventLog) summary() string {
	var b strings.Builder
	for _, e := range l.all() {
		b.WriteString("\n  " + string(e.Kind) + " " + strconv.Itoa(e.Status) + " " + e.Message)
	}
	return b.String()
}

// echo is what the upstream saw.
type echo struct {
	Method        string            `json:"method"`
	Path          string            `json:"path"`
	Query         string            `json:"query"`
	Body          string            `json:"body"`
	Authorization string            `json:"authorization"`
	Cookie        string            `json:"cookie"`
	Headers       map[string]string `json:"headers"`
}

func echoUpstream(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h := map[string]string{}
	for k := range r.Header {
		h[k] = r.Header.Get(k)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(echo{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body),
		Authorization: r.Header.Get("Authorization"), Cookie: r.Header.Get("Cookie"), Headers: h,
	})
}

// harness is the plugin as middleware in front of an echo upstream, with a hostile OP.
type harness struct {
	t      *testing.T
	op     *oidctest.Provider
	p      *plugin
	srv    *httptest.Server
	events *eventLog
	clock  *fakeClock
	cfg    map[string]any
}

// newHarness starts the OP and the protected server; edit adjusts the plugin config.
func newHarness(t *testing.T, edit func(cfg map[string]any, op *oidctest.Provider)) *harness {
	t.Helper()
	h := &harness{t: t, op: oidctest.Start(t), events: &eventLog{}, clock: &fakeClock{t: time.Now()}}
	var handler http.Handler
	var requests atomic.Int64 // each request its own id, so events can be grouped by request
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, port, _ := strings.Cut(r.Host, ":")
		n, _ := strconv.Atoi(port)
		info := &gateway.RequestInfo{RequestID: "req-" + strconv.FormatInt(requests.Add(1), 10), Route: "example-route", Service: "example-service",
			Scheme: "http", Host: host, Port: n, Path: r.URL.Path}
		handler.ServeHTTP(w, r.WithContext(gateway.WithRequestInfo(r.Context(), info)))
	}))
	t.Cleanup(h.srv.Close)
	// One clock for the OP, the plugin and the browser: token times are exact, and tests move
	// time for everyone at once.
	h.op.SetClock(h.clock.Now)
	h.op.AddClient(oidctest.Client{ID: testClientID, Secret: testClientSecret, RedirectURIs: []string{h.srv.URL + "/anything"}})
	h.cfg = map[string]any{
		"issuer":        h.op.Issuer,
		"client_id":     []any{testClientID},
		"client_secret": []any{testClientSecret},
		"redirect_uri":  []any{h.srv.URL + "/anything"},
		"scopes":        []any{"openid", "email", "profile"},
		"auth_methods":  []any{"authorization_code", "session"},
	}
	if edit != nil {
		edit(h.cfg, h.op)
	}
	cfg, err := ParseConfig(h.cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.p, err = newPlugin(cfg, gateway.PluginEnv{Publish: h.events.publish}, h.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	handler = h.p.Handler(http.HandlerFunc(echoUpstream))
	t.Cleanup(func() { assertNoSecretsInEvents(t, h) })
	return h
}

// browser returns a Chromium-like HTTP driver sharing the harness clock.
func (h *harness) browser() *browser.HTTP {
	h.t.Helper()
	d, err := browser.NewHTTP(browser.HTTPOptions{Now: h.clock.Now, MaxHops: 12})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { d.Close() })
	return d
}

func (h *harness) get(d *browser.HTTP, path string) *browser.Result {
	h.t.Helper()
	res, err := d.Get(context.Background(), h.srv.URL+path)
	if err != nil {
		h.t.Fatalf("GET %s: %v (events:%s)", path, err, h.events.summary())
	}
	return res
}

func decodeEcho(t *testing.T, res *browser.Result) echo {
	t.Helper()
	var e echo
	if res.Status != http.StatusOK || json.Unmarshal([]byte(res.Body), &e) != nil {
		t.Fatalf("did not reach the upstream: status %d body %q hops %+v", res.Status, res.Body, res.Hops)
	}
	return e
}

// rawClient does not follow redirects and keeps cookies in a plain jar, for exact assertions.
func rawClient(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func mustDo(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// startLogin makes the first request and returns the 302 and the authorization cookie.
func (h *harness) startLogin(path string) (*http.Response, *http.Cookie, url.Values) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+path, nil)
	resp, _ := mustDo(h.t, rawClient(h.t), req)
	if resp.StatusCode != http.StatusFound {
		h.t.Fatalf("first request: status %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		h.t.Fatal(err)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "authorization" {
			return resp, c, loc.Query()
		}
	}
	h.t.Fatalf("no authorization cookie in %v", resp.Header["Set-Cookie"])
	return nil, nil, nil
}

// authorize runs the OP's authorization endpoint for a login started with startLogin and returns
// the callback parameters it sends back (query mode).
func (h *harness) authorize(q url.Values) url.Values {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.op.Issuer+"/v1/authorize?"+q.Encode(), nil)
	resp, _ := mustDo(h.t, rawClient(h.t), req)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		h.t.Fatalf("authorize: %d %v", resp.StatusCode, err)
	}
	return loc.Query()
}

// callback sends the callback with the given cookie (nil: none).
func (h *harness) callback(params url.Values, cookie *http.Cookie) (*http.Response, string) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/anything?"+params.Encode(), nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	return mustDo(h.t, rawClient(h.t), req)
}

// post sends an urlencoded form to path with the given cookie (nil: none), as a browser
// submits a form.
func (h *harness) post(path string, form url.Values, cookie *http.Cookie) (*http.Response, string) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if cookie != nil {
		req.AddCookie(cookie)
	}
	return mustDo(h.t, rawClient(h.t), req)
}

// login runs a whole query-mode login by hand and returns the callback's response.
func (h *harness) login() (*http.Response, string) {
	h.t.Helper()
	_, ck, q := h.startLogin("/anything")
	return h.callback(h.authorize(q), ck)
}

// assertNoSecretsInEvents checks that no event carries a token, code or secret.
func assertNoSecretsInEvents(t *testing.T, h *harness) {
	b, _ := json.Marshal(h.events.all())
	s := string(b)
	if strings.Contains(s, testClientSecret) || strings.Contains(s, "eyJhbGciOi") {
		t.Errorf("events carry a secret or a JWT: %s", s)
	}
	for _, tr := range h.op.TokenRequests() {
		if code := tr.Form.Get("code"); code != "" && strings.Contains(s, code) {
			t.Errorf("events carry an authorization code")
		}
		if rt := tr.Form.Get("refresh_token"); rt != "" && strings.Contains(s, rt) {
			t.Errorf("events carry a refresh token")
		}
	}
}

func findCookie(d *browser.HTTP, name string) (browser.CookieInfo, bool) {
	for _, c := range d.Jar().Infos() {
		if c.Name == name {
			return c, true
		}
	}
	return browser.CookieInfo{}, false
}
