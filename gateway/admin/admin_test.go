package admin

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/deck"
)

// checkedFactory requires config.issuer, like a real plugin validating its config.
func checkedFactory(p deck.Plugin, _ gateway.PluginEnv) (gateway.Plugin, error) {
	if s, _ := p.Config["issuer"].(string); s == "" {
		errs := &deck.Errors{}
		errs.Add("config.issuer", 0, "required field missing")
		return nil, errs
	}
	return passPlugin{}, nil
}

type adminClient struct {
	t    *testing.T
	base string
}

func (c adminClient) call(method, path, ctype, body string) (int, map[string]any) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusNoContent {
		return resp.StatusCode, nil
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		c.t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		c.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
	}
	return resp.StatusCode, m
}

func newAdminFixture(t *testing.T) (*gateway.Gateway, adminClient) {
	t.Helper()
	cfg := &deck.Config{
		Services: []deck.Service{svc("example-service")},
		Routes:   []deck.Route{route("example-route", func(r *deck.Route) { r.Service = "example-service"; r.Paths = []string{"/anything"} })},
	}
	g := newTestGateway(t, cfg, gateway.Options{Plugins: gateway.Plugins{"openid-connect": checkedFactory}})
	srv := httptest.NewServer(New(g, Options{}))
	t.Cleanup(srv.Close)
	return g, adminClient{t: t, base: srv.URL}
}

func TestAdminReadShapes(t *testing.T) {
	_, c := newAdminFixture(t)
	for _, path := range []string{"/services", "/routes", "/plugins", "/services/example-service/routes"} {
		status, body := c.call("GET", path, "", "")
		if status != 200 {
			t.Fatalf("GET %s: %d", path, status)
		}
		if _, ok := body["data"].([]any); !ok || body["next"] != nil {
			t.Errorf("GET %s: not Kong's list shape: %v", path, body)
		}
	}
	status, s := c.call("GET", "/services/example-service", "", "")
	if status != 200 || s["name"] != "example-service" || s["port"] != float64(80) || s["protocol"] != "http" || s["id"] == "" {
		t.Errorf("GET /services/example-service: %d %v", status, s)
	}
	_, byID := c.call("GET", "/services/"+s["id"].(string), "", "")
	if byID["name"] != "example-service" {
		t.Errorf("GET service by id: %v", byID)
	}
	_, rt := c.call("GET", "/routes/example-route", "", "")
	if svcRef, _ := rt["service"].(map[string]any); svcRef["id"] != s["id"] || rt["strip_path"] != true || rt["methods"] != nil {
		t.Errorf("GET /routes/example-route: %v", rt)
	}
	for _, path := range []string{"/services/nope", "/routes/nope", "/plugins/00000000-0000-4000-8000-000000000000", "/nothing"} {
		if status, body := c.call("GET", path, "", ""); status != 404 || body["message"] != "Not found" {
			t.Errorf("GET %s: %d %v", path, status, body)
		}
	}
	if status, body := c.call("PUT", "/status", "", ""); status != 405 || body["message"] != "Method not allowed" {
		t.Errorf("PUT /status: %d %v", status, body)
	}
	if status, body := c.call("GET", "/status", "", ""); status != 200 || body["database"] == nil {
		t.Errorf("GET /status: %d %v", status, body)
	}
	if status, body := c.call("GET", "/", "", ""); status != 200 || body["tagline"] != "Welcome to kong" {
		t.Errorf("GET /: %d %v", status, body)
	}
}

func TestAdminPluginLifecycle(t *testing.T) {
	g, c := newAdminFixture(t)

	// Create with JSON on the service; the secret never comes back.
	status, p := c.call("POST", "/services/example-service/plugins", "application/json",
		`{"name":"openid-connect","config":{"issuer":"http://idp.test/oauth2/default","client_secret":["s3cret"],"session_secret":"abc","nested":{"password":"pw","keep":1}}}`)
	if status != 201 {
		t.Fatalf("create: %d %v", status, p)
	}
	id := p["id"].(string)
	cfg := p["config"].(map[string]any)
	if !reflect.DeepEqual(cfg["client_secret"], []any{deck.Redacted}) || cfg["session_secret"] != deck.Redacted ||
		cfg["nested"].(map[string]any)["password"] != deck.Redacted || cfg["nested"].(map[string]any)["keep"] != float64(1) {
		t.Errorf("create answer not redacted: %v", cfg)
	}
	for _, path := range []string{"/plugins/" + id, "/plugins", "/services/example-service/plugins"} {
		_, body := c.call("GET", path, "", "")
		raw, _ := json.Marshal(body)
		if strings.Contains(string(raw), "s3cret") || strings.Contains(string(raw), `"pw"`) {
			t.Errorf("GET %s shows a secret: %s", path, raw)
		}
	}
	if svcRef, _ := p["service"].(map[string]any); svcRef["id"] != g.Config().Services[0].ID {
		t.Errorf("service reference: %v", p["service"])
	}

	// PATCH merges config; sending the redacted value back keeps the real secret.
	status, p = c.call("PATCH", "/plugins/"+id, "application/json",
		`{"config":{"scopes":["openid","email"],"client_secret":["<redacted>"]},"enabled":false}`)
	if status != 200 || p["enabled"] != false {
		t.Fatalf("patch: %d %v", status, p)
	}
	saved := g.Config().Plugins[0]
	if !reflect.DeepEqual(saved.Config["client_secret"], []any{"s3cret"}) || saved.Config["issuer"] != "http://idp.test/oauth2/default" ||
		!reflect.DeepEqual(saved.Config["scopes"], []any{"openid", "email"}) || saved.Enabled {
		t.Errorf("after patch: %+v", saved)
	}

	// An invalid patch is refused with Kong's schema violation and changes nothing.
	status, e := c.call("PATCH", "/plugins/"+id, "application/json", `{"config":{"issuer":""}}`)
	fields, _ := e["fields"].(map[string]any)
	if status != 400 || e["code"] != float64(2) || e["name"] != "schema violation" ||
		fields["config"].(map[string]any)["issuer"] != "required field missing" {
		t.Errorf("invalid patch: %d %v", status, e)
	}
	if g.Config().Plugins[0].Config["issuer"] != "http://idp.test/oauth2/default" {
		t.Error("an invalid patch changed the config")
	}

	if status, _ := c.call("DELETE", "/plugins/"+id, "", ""); status != 204 {
		t.Errorf("delete: %d", status)
	}
	if status, _ := c.call("GET", "/plugins/"+id, "", ""); status != 404 {
		t.Errorf("get after delete: %d", status)
	}
	if status, _ := c.call("DELETE", "/plugins/"+id, "", ""); status != 404 {
		t.Errorf("second delete: %d", status)
	}
}

func TestAdminFormEncodedPlugin(t *testing.T) {
	g, c := newAdminFixture(t)
	form := url.Values{
		"name":                {"openid-connect"},
		"config.issuer":       {"http://idp.test"},
		"config.auth_methods": {"authorization_code", "session"},
		"config.scopes[]":     {"openid"},
	}
	status, p := c.call("POST", "/routes/example-route/plugins", "application/x-www-form-urlencoded", form.Encode())
	if status != 201 {
		t.Fatalf("create: %d %v", status, p)
	}
	got := g.Config().Plugins[0]
	if got.Route != "example-route" || got.Service != "" ||
		!reflect.DeepEqual(got.Config["auth_methods"], []any{"authorization_code", "session"}) ||
		!reflect.DeepEqual(got.Config["scopes"], []any{"openid"}) || got.Config["issuer"] != "http://idp.test" {
		t.Errorf("form-encoded plugin saved as %+v", got)
	}
}

// typedFactory wants the types Kong's schema would give: an integer, a number, booleans in a
// list, a string, and a value that may be null.
func typedFactory(p deck.Plugin, _ gateway.PluginEnv) (gateway.Plugin, error) {
	errs := &deck.Errors{}
	if _, ok := p.Config["timeout"].(int); !ok {
		errs.Add("config.timeout", 0, "expected an integer, got %#v", p.Config["timeout"])
	}
	if _, ok := p.Config["ratio"].(float64); !ok {
		errs.Add("config.ratio", 0, "expected a number")
	}
	flags, _ := p.Config["flags"].([]any)
	for i, f := range flags {
		if _, ok := f.(bool); !ok {
			errs.Add(fmt.Sprintf("config.flags.%d", i), 0, "expected true or false")
		}
	}
	if _, ok := p.Config["client_id"].(string); !ok {
		errs.Add("config.client_id", 0, "expected a string")
	}
	if v, ok := p.Config["redirect_uri"]; ok && v != nil {
		errs.Add("config.redirect_uri", 0, "expected a URL or null")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return passPlugin{}, nil
}

// TestAdminFormValuesTakeThePluginsTypes: form values are strings; the admin API gives them the
// types the plugin asks for, as Kong's schema coercion does, and leaves strings it accepts alone.
func TestAdminFormValuesTakeThePluginsTypes(t *testing.T) {
	g := newTestGateway(t, &deck.Config{Services: []deck.Service{svc("s")}}, gateway.Options{Plugins: gateway.Plugins{"typed": typedFactory}})
	srv := httptest.NewServer(New(g, Options{}))
	t.Cleanup(srv.Close)
	c := adminClient{t: t, base: srv.URL}
	form := url.Values{
		"name":                {"typed"},
		"config.timeout":      {"5000"},
		"config.ratio":        {"0.5"},
		"config.flags":        {"true", "FALSE"},
		"config.client_id":    {"12345"},
		"config.redirect_uri": {""},
	}
	status, body := c.call("POST", "/plugins", "application/x-www-form-urlencoded", form.Encode())
	if status != 201 {
		t.Fatalf("create: %d %v", status, body)
	}
	got := g.Config().Plugins[0].Config
	want := map[string]any{"timeout": 5000, "ratio": 0.5, "flags": []any{true, false}, "client_id": "12345", "redirect_uri": nil}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("saved config %#v, want %#v", got, want)
	}
	id := body["id"].(string)

	// PATCH by form: the new value is typed, the others keep theirs.
	status, body = c.call("PATCH", "/plugins/"+id, "application/x-www-form-urlencoded", "config.timeout=7000")
	if status != 200 || g.Config().Plugins[0].Config["timeout"] != 7000 || g.Config().Plugins[0].Config["ratio"] != 0.5 {
		t.Errorf("patch: %d %v; saved %#v", status, body, g.Config().Plugins[0].Config)
	}
	// A string no type fits is the plugin's problem, reported as such.
	status, body = c.call("PATCH", "/plugins/"+id, "application/x-www-form-urlencoded", "config.timeout=soon")
	if fields, _ := body["fields"].(map[string]any); status != 400 || fields["config"].(map[string]any)["timeout"] != `expected an integer, got "soon"` {
		t.Errorf("uncoercible value: %d %v", status, body)
	}
}

func TestAdminCreatePluginProblems(t *testing.T) {
	_, c := newAdminFixture(t)
	tests := []struct {
		name, path, body string
		status           int
		field            string
	}{
		{"unknown plugin", "/plugins", `{"name":"rate-limiting"}`, 400, "name"},
		{"factory validation", "/plugins", `{"name":"openid-connect","config":{}}`, 400, "config"},
		{"dangling service", "/plugins", `{"name":"openid-connect","service":{"id":"nope"},"config":{"issuer":"x"}}`, 400, "service"},
		{"unknown field", "/plugins", `{"name":"openid-connect","colour":"red","config":{"issuer":"x"}}`, 400, "colour"},
		{"missing name", "/plugins", `{"config":{"issuer":"x"}}`, 400, "name"},
		{"no such route", "/routes/nope/plugins", `{"name":"openid-connect","config":{"issuer":"x"}}`, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := c.call("POST", tt.path, "application/json", tt.body)
			if status != tt.status {
				t.Fatalf("%d, want %d: %v", status, tt.status, body)
			}
			if tt.field == "" {
				return
			}
			fields, _ := body["fields"].(map[string]any)
			if body["code"] != float64(2) || fields[tt.field] == nil {
				t.Errorf("want a schema violation on %q: %v", tt.field, body)
			}
		})
	}
	if status, body := c.call("POST", "/plugins", "application/json", `{not json`); status != 400 || body["message"] == nil {
		t.Errorf("malformed JSON: %d %v", status, body)
	}
	// Two plugins of one name on one scope: Kong's uniqueness rule.
	c.call("POST", "/plugins", "application/json", `{"name":"openid-connect","config":{"issuer":"x"}}`)
	if status, _ := c.call("POST", "/plugins", "application/json", `{"name":"openid-connect","config":{"issuer":"x"}}`); status != 400 {
		t.Errorf("duplicate global plugin: %d", status)
	}
}

func TestAdminPostConfig(t *testing.T) {
	g, c := newAdminFixture(t)
	proxy := serve(t, g)
	yaml := `_format_version: "3.0"
services:
  - name: new-service
    url: http://httpbin.konghq.com/anything
    routes:
      - name: new-route
        paths: [/new]
    plugins:
      - name: openid-connect
        config:
          issuer: http://idp.test/oauth2/default
          client_secret: [topsecret]
`
	status, body := c.call("POST", "/config", "application/x-yaml", yaml)
	if status != 201 {
		t.Fatalf("POST /config: %d %v", status, body)
	}
	raw, _ := json.Marshal(body)
	if strings.Contains(string(raw), "topsecret") {
		t.Errorf("POST /config answer shows the secret: %s", raw)
	}
	if len(body["services"].(map[string]any)) != 1 || len(body["plugins"].(map[string]any)) != 1 {
		t.Errorf("POST /config answer: %s", raw)
	}
	if resp, _ := get(t, proxy+"/new", nil); resp.StatusCode != 200 {
		t.Errorf("new route: %d", resp.StatusCode)
	}
	if resp, _ := get(t, proxy+"/anything", nil); resp.StatusCode != 404 {
		t.Errorf("old route still served: %d", resp.StatusCode)
	}

	// Every problem at once, Kong's declarative error shape, nothing changed.
	bad := `_format_version: "3.0"
services:
  - name: s
    url: http://upstream.test
    routes:
      - name: r
        paths: [relative]
        colour: red
`
	status, body = c.call("POST", "/config", "application/x-yaml", bad)
	if status != 400 || body["code"] != float64(14) || body["name"] != "invalid declarative configuration" {
		t.Fatalf("bad config: %d %v", status, body)
	}
	msg, _ := body["message"].(string)
	if !strings.Contains(msg, "paths") || !strings.Contains(msg, "colour") {
		t.Errorf("not every problem reported: %s", msg)
	}
	// A structurally valid file whose plugin config the plugin rejects.
	badPlugin := strings.Replace(yaml, "issuer: http://idp.test/oauth2/default", "issuer: ''", 1)
	status, body = c.call("POST", "/config", "application/x-yaml", badPlugin)
	if msg, _ := body["message"].(string); status != 400 || !strings.Contains(msg, "services.0.plugins.0.config.issuer (line 11)") {
		t.Errorf("plugin config problem: %d %v", status, body)
	}
	// Both kinds at once: the plugin's problem is not held back until the file's are fixed.
	both := strings.Replace(badPlugin, "        paths: [/new]", "        paths: [/new]\n        colour: red", 1)
	status, body = c.call("POST", "/config", "application/x-yaml", both)
	if msg, _ := body["message"].(string); status != 400 || !strings.Contains(msg, "colour") ||
		!strings.Contains(msg, "services.0.plugins.0.config.issuer (line 12)") {
		t.Errorf("structural and plugin problems together: %d %v", status, body)
	}
	if g.Config().Services[0].Name != "new-service" {
		t.Error("a rejected POST /config changed the configuration")
	}

	// Kong's form upload: config=<file>.
	status, _ = c.call("POST", "/config", "application/x-www-form-urlencoded", url.Values{"config": {yaml}}.Encode())
	if status != 201 {
		t.Errorf("form POST /config: %d", status)
	}
	// Templates are not rendered from the gateway's environment.
	t.Setenv("DECK_LEAK", "from-env")
	status, _ = c.call("POST", "/config", "application/json",
		`{"_format_version":"3.0","services":[{"name":"x","url":"http://${{ env \"DECK_LEAK\" }}"}]}`)
	if status != 400 {
		t.Errorf("template rendered from the environment: %d", status)
	}
}

func TestDecodeForm(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]any
		wantErr bool
	}{
		{"a=1", map[string]any{"a": "1"}, false},
		{"a.b=1&a.c=2", map[string]any{"a": map[string]any{"b": "1", "c": "2"}}, false},
		{"a=1&a=2", map[string]any{"a": []any{"1", "2"}}, false},
		{"a[]=1", map[string]any{"a": []any{"1"}}, false},
		{"a[1]=x&a[2]=y", map[string]any{"a": []any{"x", "y"}}, false},
		{"a[1]=1&a[2]=2&a[3]=3&a[4]=4&a[5]=5&a[6]=6&a[7]=7&a[8]=8&a[9]=9&a[10]=10&a[11]=11",
			map[string]any{"a": []any{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}}, false},
		{"a=1&a.b=2", nil, true},
		{strings.Repeat("a.", 32) + "b=1", nil, true},
		{strings.Repeat("a.", 31) + "b=1", nest(32, "1"), false},
		{"a..b=1", nil, true},
	}
	for _, tt := range tests {
		vals, _ := url.ParseQuery(tt.in)
		got, err := decodeForm(vals)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err %v", tt.in, err)
			continue
		}
		if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestAdminPluginProtocols: protocols given when creating or patching a plugin are kept and
// shown, as are those of a file; a plugin that names none has Kong's default.
func TestAdminPluginProtocols(t *testing.T) {
	g, c := newAdminFixture(t)
	status, p := c.call("POST", "/plugins", "application/json", `{"name":"openid-connect","protocols":["https"],"config":{"issuer":"x"}}`)
	if status != 201 || !reflect.DeepEqual(p["protocols"], []any{"https"}) || !reflect.DeepEqual(g.Config().Plugins[0].Protocols, []string{"https"}) {
		t.Fatalf("create: %d %v", status, p)
	}
	id := p["id"].(string)
	status, p = c.call("PATCH", "/plugins/"+id, "application/x-www-form-urlencoded", "protocols=http&protocols=https")
	if status != 200 || !reflect.DeepEqual(p["protocols"], []any{"http", "https"}) {
		t.Errorf("patch: %d %v", status, p)
	}
	if status, p = c.call("PATCH", "/plugins/"+id, "application/json", `{"protocols":[]}`); status != 400 {
		t.Errorf("empty protocols: %d %v", status, p)
	}
	c.call("DELETE", "/plugins/"+id, "", "")
	status, p = c.call("POST", "/plugins", "application/json", `{"name":"openid-connect","config":{"issuer":"x"}}`)
	if status != 201 || !reflect.DeepEqual(p["protocols"], []any{"grpc", "grpcs", "http", "https"}) {
		t.Errorf("default protocols: %d %v", status, p)
	}

	status, _ = c.call("POST", "/config", "application/x-yaml", `_format_version: "3.0"
plugins:
  - name: openid-connect
    protocols: [http]
    config: {issuer: x}
`)
	_, list := c.call("GET", "/plugins", "", "")
	if data, _ := list["data"].([]any); status != 201 || len(data) != 1 || !reflect.DeepEqual(data[0].(map[string]any)["protocols"], []any{"http"}) {
		t.Errorf("protocols from a file: %d %v", status, list)
	}
}

// nest returns {"a":{"a":...{"b":leaf}}} with depth keys in all.
func nest(depth int, leaf any) map[string]any {
	m := map[string]any{"b": leaf}
	for range depth - 1 {
		m = map[string]any{"a": m}
	}
	return m
}

// TestAdminDeepFormIsRefused: a form field nested thousands of levels deep is a 400 with a
// short message, not work proportional to its depth squared (which took minutes and ran the
// process out of memory).
func TestAdminDeepFormIsRefused(t *testing.T) {
	_, c := newAdminFixture(t)
	body := "name=openid-connect&config." + strings.Repeat("a.", 100000) + "b=1"
	status, resp := c.call("POST", "/plugins", "application/x-www-form-urlencoded", body)
	if msg, _ := resp["message"].(string); status != 400 || !strings.Contains(msg, "nested more than 32 levels") || len(msg) > 200 {
		t.Errorf("%d %v", status, resp)
	}
}

// TestAdminRefusesWebPages: what a browser sends when another site makes it call the admin API
// (a cross-site form POST, DNS rebinding) is refused; admin clients are not affected.
func TestAdminRefusesWebPages(t *testing.T) {
	g, c := newAdminFixture(t)
	yaml := "_format_version: \"3.0\"\nservices:\n- name: evil\n  url: http://evil.test\n  routes:\n  - paths: [/]\n"
	tests := []struct {
		name   string
		header http.Header
		host   string
		status int
	}{
		{"cross-site form", http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}}, "", 403},
		{"foreign origin", http.Header{"Origin": {"https://evil.example"}}, "", 403},
		{"opaque origin", http.Header{"Origin": {"null"}}, "", 403},
		{"same-site page", http.Header{"Sec-Fetch-Site": {"same-site"}}, "", 403},
		{"rebound name", nil, "evil.example:8001", 403},
		{"localhost", nil, "localhost:8001", 400}, // reaches the handler: the body is not a config
		{"own origin", http.Header{"Sec-Fetch-Site": {"same-origin"}}, "", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", c.base+"/config", strings.NewReader("config="+url.QueryEscape(yaml)))
			if tt.status == 400 {
				req.Body = io.NopCloser(strings.NewReader("not: [a config"))
			}
			req.Header = tt.header.Clone()
			if req.Header == nil {
				req.Header = http.Header{}
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.status == 400 {
				req.Header.Set("Content-Type", "application/x-yaml")
			}
			if tt.host != "" {
				req.Host = tt.host
			}
			if tt.name == "own origin" {
				req.Header.Set("Origin", c.base)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("%d %s, want %d", resp.StatusCode, body, tt.status)
			}
		})
	}
	if g.Config().Services[0].Name != "example-service" {
		t.Error("a refused request changed the configuration")
	}
	// A plain admin client still works.
	if status, _ := c.call("GET", "/services", "", ""); status != 200 {
		t.Errorf("GET /services: %d", status)
	}
}

// TestAdminNestedListsOfAnUnnamedService: a route or plugin without a service is not listed
// under an unnamed service.
func TestAdminNestedListsOfAnUnnamedService(t *testing.T) {
	unnamed := svc("")
	cfg := &deck.Config{
		Services: []deck.Service{unnamed},
		Routes:   []deck.Route{route("loose", func(r *deck.Route) { r.Service = ""; r.Paths = []string{"/x"} })},
		Plugins:  []deck.Plugin{{Name: "p", Enabled: true}},
	}
	g := newTestGateway(t, cfg, gateway.Options{Plugins: gateway.Plugins{"p": tagFactory}})
	srv := httptest.NewServer(New(g, Options{}))
	t.Cleanup(srv.Close)
	c := adminClient{t: t, base: srv.URL}
	id := g.Config().Services[0].ID
	for _, path := range []string{"/services/" + id + "/routes", "/services/" + id + "/plugins"} {
		status, body := c.call("GET", path, "", "")
		if data, _ := body["data"].([]any); status != 200 || len(data) != 0 {
			t.Errorf("GET %s: %d %v, want an empty list", path, status, body)
		}
	}
}

// TestAdminBodyTooLarge: a body over the limit is a 413 that says so, for entities and configs.
func TestAdminBodyTooLarge(t *testing.T) {
	_, c := newAdminFixture(t)
	big := strings.Repeat("a", adminMaxBody+1)
	if status, body := c.call("POST", "/plugins", "application/json", big); status != 413 || !strings.Contains(body["message"].(string), "larger than") {
		t.Errorf("entity: %d %v", status, body)
	}
	huge := strings.Repeat("#", deck.MaxFileSize+1)
	for _, ct := range []string{"application/x-yaml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		body := huge
		switch {
		case strings.HasPrefix(ct, "multipart"):
			body = "--x\r\nContent-Disposition: form-data; name=\"config\"; filename=\"k.yaml\"\r\n\r\n" + huge + "\r\n--x--\r\n"
		case ct != "application/x-yaml":
			body = "config=" + huge
		}
		if status, resp := c.call("POST", "/config", ct, body); status != 413 {
			t.Errorf("config as %s: %d %v", ct, status, resp)
		}
	}
}

// TestAdminSecretRecordRoundTrip: a secret held in a record (client_jwk) is shown with its keys
// and every value redacted, and sending that record back in a PATCH keeps the stored one.
func TestAdminSecretRecordRoundTrip(t *testing.T) {
	g, c := newAdminFixture(t)
	status, p := c.call("POST", "/plugins", "application/json",
		`{"name":"openid-connect","config":{"issuer":"x","client_jwk":{"kty":"RSA","d":"priv4te"},"https_proxy_authorization":"Basic cHc6cHc="}}`)
	if status != 201 {
		t.Fatalf("create: %d %v", status, p)
	}
	cfg := p["config"].(map[string]any)
	if !reflect.DeepEqual(cfg["client_jwk"], map[string]any{"kty": deck.Redacted, "d": deck.Redacted}) || cfg["https_proxy_authorization"] != deck.Redacted {
		t.Errorf("not redacted: %v", cfg)
	}
	id := p["id"].(string)
	back, _ := json.Marshal(map[string]any{"config": cfg})
	if status, p := c.call("PATCH", "/plugins/"+id, "application/json", string(back)); status != 200 {
		t.Fatalf("patch: %d %v", status, p)
	}
	saved := g.Config().Plugins[0].Config
	if !reflect.DeepEqual(saved["client_jwk"], map[string]any{"kty": "RSA", "d": "priv4te"}) || saved["https_proxy_authorization"] != "Basic cHc6cHc=" {
		t.Errorf("round trip lost a secret: %v", saved)
	}
}
