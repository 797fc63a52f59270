package kong

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/admin"
	"github.com/oidclab/oidclab/gateway/deck"
)

func newClient(t *testing.T, url string, opts Options) *Client {
	t.Helper()
	c, err := New(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A list follows Kong's next (relative to the Admin API's root, here behind a path prefix)
// until it is null, and sends the token on every request.
func TestListFollowsNext(t *testing.T) {
	var tokens []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tokens = append(tokens, r.Header.Get("Kong-Admin-Token"))
		if r.URL.Path != "/admin/services" {
			http.NotFound(w, r)
			return
		}
		switch off := r.URL.Query().Get("offset"); off {
		case "":
			if r.URL.Query().Get("size") != "2" {
				t.Errorf("size not asked: %s", r.URL)
			}
			fmt.Fprint(w, `{"data":[{"id":"1","name":"a"},{"id":"2","name":"b"}],"next":"/admin/services?offset=abc&size=2","offset":"abc"}`)
		case "abc":
			fmt.Fprint(w, `{"data":[{"id":"3","name":"c"}],"next":null}`)
		default:
			t.Errorf("unexpected offset %q", off)
		}
	}))
	defer srv.Close()
	c := newClient(t, srv.URL+"/admin/", Options{Token: "tok", PageSize: 2})
	got, err := c.Services(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[2].Name != "c" {
		t.Errorf("services %+v", got)
	}
	if !reflect.DeepEqual(tokens, []string{"tok", "tok"}) {
		t.Errorf("tokens sent: %q", tokens)
	}
}

func TestErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Kong-Admin-Token") != "good" {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"message":"Invalid credentials. Token or User credentials required"}`)
			return
		}
		w.WriteHeader(400)
		fmt.Fprint(w, `{"code":2,"name":"schema violation","message":"schema violation (host: required field missing)","fields":{"host":"required field missing"}}`)
	}))
	defer srv.Close()
	ctx := context.Background()

	_, err := newClient(t, srv.URL, Options{Token: "bad"}).Info(ctx)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 401 || !strings.Contains(err.Error(), "Invalid credentials") {
		t.Errorf("401: %v", err)
	}
	if strings.Contains(err.Error(), "bad") {
		t.Errorf("the error shows the token: %v", err)
	}
	_, err = newClient(t, srv.URL, Options{Token: "good"}).PutService(ctx, "s", Service{})
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Code != 2 || ae.Name != "schema violation" || ae.Fields["host"] != "required field missing" {
		t.Errorf("400: %#v", err)
	}

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	_, err = newClient(t, "http://"+addr, Options{}).Info(ctx)
	if err == nil || !strings.Contains(err.Error(), "cannot reach the Admin API at http://"+addr) {
		t.Errorf("unreachable: %v", err)
	}
	for _, bad := range []string{"localhost:8001", "ftp://h", "http://user:pw@h:8001"} {
		if _, err := New(bad, Options{}); err == nil || strings.Contains(err.Error(), "pw") {
			t.Errorf("New(%q): %v", bad, err)
		}
	}
}

func passFactory(deck.Plugin, gateway.PluginEnv) (gateway.Plugin, error) { return pass{}, nil }

type pass struct{}

func (pass) Handler(next http.Handler) http.Handler { return next }

// oidclabAdmin serves oidclab's own admin API over an empty gateway.
func oidclabAdmin(t *testing.T) (*gateway.Gateway, *Client) {
	t.Helper()
	g, err := gateway.New(&deck.Config{}, gateway.Options{Plugins: gateway.Plugins{"openid-connect": passFactory}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(admin.New(g, admin.Options{}))
	t.Cleanup(srv.Close)
	return g, newClient(t, srv.URL, Options{})
}

const testFile = `_format_version: "3.0"
services:
  - name: svc
    url: http://upstream.test/anything
    routes:
      - name: rt
        paths: [/anything]
    plugins:
      - name: openid-connect
        config:
          issuer: http://idp.test/oauth2/default
          client_secret: [s3cret]
          scopes: [openid]
          timeout: 5000
plugins:
  - name: openid-connect
    route: rt
    config:
      issuer: http://idp.test/oauth2/default
`

func load(t *testing.T, src string) *deck.Config {
	t.Helper()
	cfg, err := deck.Load(strings.NewReader(src), "test.yaml", deck.Options{Plugins: []string{"openid-connect"}})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func plan(t *testing.T, c *Client, cfg *deck.Config) *Plan {
	t.Helper()
	st, err := c.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return Diff(cfg, st)
}

func actions(p *Plan) []string {
	var out []string
	for _, ch := range p.Changes {
		out = append(out, string(ch.Action)+" "+ch.Label())
	}
	return out
}

func TestDiffApplyIdempotent(t *testing.T) {
	g, c := oidclabAdmin(t)
	ctx := context.Background()
	cfg := load(t, testFile)

	p := plan(t, c, cfg)
	want := []string{"create service svc", "create route rt", "create plugin openid-connect on route rt", "create plugin openid-connect on service svc"}
	if got := actions(p); !reflect.DeepEqual(got, want) {
		t.Fatalf("first plan %q, want %q", got, want)
	}
	if err := c.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	got := g.Config()
	if len(got.Services) != 1 || got.Services[0].Host != "upstream.test" || got.Routes[0].Service != "svc" || len(got.Plugins) != 2 ||
		!reflect.DeepEqual(svcPlugin(got).Config["client_secret"], []any{"s3cret"}) || svcPlugin(got).Config["timeout"] != 5000 {
		t.Fatalf("applied config: %+v", got)
	}

	p = plan(t, c, cfg)
	if !p.Empty() || p.Count(Unchanged) != 4 || !p.SecretsUnknown {
		t.Fatalf("second plan is not a no-op: %q %+v", actions(p), p)
	}

	// A change shows as an update of that field only; a secret change is shown redacted.
	changed := load(t, strings.Replace(strings.Replace(testFile, "scopes: [openid]", "scopes: [openid, email]", 1), "retries", "retries", 1))
	changed.Services[0].Retries = 2
	svcPlugin(changed).Config["client_secret"] = []any{"n3w"}
	p = plan(t, c, changed)
	var fields []string
	for _, ch := range p.Changes {
		for _, f := range ch.Fields {
			fields = append(fields, ch.Label()+": "+f.String())
		}
	}
	wantFields := []string{
		"service svc: retries: 5 → 2",
		`plugin openid-connect on service svc: config.scopes: ["openid"] → ["openid","email"]`,
	}
	if !reflect.DeepEqual(fields, wantFields) {
		t.Errorf("update fields:\n%s\nwant:\n%s", strings.Join(fields, "\n"), strings.Join(wantFields, "\n"))
	}
	raw, _ := json.Marshal(p)
	if strings.Contains(string(raw), "s3cret") || strings.Contains(string(raw), "n3w") {
		t.Errorf("the plan shows a secret: %s", raw)
	}
	if err := c.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	// PUT sent the whole plugin, the new secret with it.
	if got := svcPlugin(g.Config()); !reflect.DeepEqual(got.Config["client_secret"], []any{"n3w"}) || !reflect.DeepEqual(got.Config["scopes"], []any{"openid", "email"}) {
		t.Errorf("after update: %+v", got.Config)
	}
	if p := plan(t, c, changed); !p.Empty() {
		t.Errorf("not idempotent after the update: %q", actions(p))
	}
}

// Entities on the server the file lacks are reported and left alone.
func TestDiffNotInFile(t *testing.T) {
	g, c := oidclabAdmin(t)
	if err := c.Apply(context.Background(), Diff(load(t, testFile), State{})); err != nil {
		t.Fatal(err)
	}
	p := plan(t, c, load(t, `_format_version: "3.0"
services:
  - name: other
    host: other.test
`))
	want := []string{"create service other", "not_in_file service svc", "not_in_file route rt",
		"not_in_file plugin openid-connect on route rt", "not_in_file plugin openid-connect on service svc"}
	if got := actions(p); !reflect.DeepEqual(got, want) {
		t.Fatalf("plan %q, want %q", got, want)
	}
	if err := c.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if got := g.Config(); len(got.Services) != 2 || len(got.Plugins) != 2 {
		t.Errorf("apply deleted something: %+v", got)
	}
}

// A refused change stops the apply with the change named.
func TestApplyError(t *testing.T) {
	_, c := oidclabAdmin(t)
	cfg := load(t, testFile)
	svcPlugin(cfg).Name = "rate-limiting" // not in the server's registry
	err := c.Apply(context.Background(), Diff(cfg, State{}))
	var ae *ApplyError
	var api *APIError
	if !errors.As(err, &ae) || ae.Applied != 3 || !errors.As(err, &api) || api.Status != 400 {
		t.Fatalf("error: %v", err)
	}
	if !strings.Contains(err.Error(), "create plugin rate-limiting on service svc") {
		t.Errorf("error does not name the change: %v", err)
	}
}

// What a server holds exports as a decK file oidclab loads back to the same entities.
func TestStateDeck(t *testing.T) {
	_, c := oidclabAdmin(t)
	if err := c.Apply(context.Background(), Diff(load(t, testFile), State{})); err != nil {
		t.Fatal(err)
	}
	st, err := c.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfg, skipped := st.Deck()
	if skipped != 0 {
		t.Errorf("skipped %d", skipped)
	}
	out, err := cfg.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back := load(t, string(out))
	if p := Diff(back, st); !p.Empty() || p.Count(NotInFile) != 0 {
		t.Errorf("export does not match the server: %q\n%s", actions(p), out)
	}
	if got := svcPlugin(back).Config["timeout"]; got != 5000 {
		t.Errorf("timeout exported as %#v", got)
	}
}

// svcPlugin is the plugin on the service: Load lists route plugins first.
func svcPlugin(cfg *deck.Config) *deck.Plugin {
	for i := range cfg.Plugins {
		if cfg.Plugins[i].Service != "" {
			return &cfg.Plugins[i]
		}
	}
	return nil
}
