package admin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/deck"
)

// TestAdminServiceRouteWrites drives Kong's write endpoints in sequence; each step checks the
// status and the body's shape (an entity, or Kong's error with its code, name and fields).
func TestAdminServiceRouteWrites(t *testing.T) {
	g, c := newAdminFixture(t)
	const newID = "11111111-2222-4333-8444-555555555555"
	steps := []struct {
		name         string
		method, path string
		ctype, body  string
		status       int
		want         map[string]any // top-level fields the answer must have (JSON-decoded)
		wantFields   map[string]any // for errors: the "fields" record
	}{
		{"create service", "POST", "/services", "application/json",
			`{"name":"svc2","url":"https://api.test:8443/v1","retries":3,"tags":["a"]}`,
			201, map[string]any{"name": "svc2", "protocol": "https", "host": "api.test", "port": float64(8443), "path": "/v1", "retries": float64(3), "connect_timeout": float64(60000)}, nil},
		{"create service, form", "POST", "/services", "application/x-www-form-urlencoded",
			"name=svc3&host=form.test&port=8080",
			201, map[string]any{"name": "svc3", "protocol": "http", "host": "form.test", "port": float64(8080), "path": nil}, nil},
		{"duplicate name", "POST", "/services", "application/json", `{"name":"svc2","host":"x.test"}`,
			409, map[string]any{"code": float64(5), "name": "unique constraint violation", "message": `UNIQUE violation detected on '{name="svc2"}'`}, map[string]any{"name": "svc2"}},
		{"bad field types", "POST", "/services", "application/json", `{"name":"svc4","host":"x.test","port":"eighty","nope":1}`,
			400, map[string]any{"code": float64(2), "name": "schema violation"}, map[string]any{"port": "expected an integer", "nope": "unknown field"}},
		{"invalid value, validated with the whole config", "POST", "/services", "application/json", `{"name":"svc4","host":"x.test","retries":-1}`,
			400, map[string]any{"code": float64(2)}, map[string]any{"retries": "value should be between 0 and 32767"}},
		{"unsupported Kong field", "POST", "/services", "application/json", `{"name":"svc4","host":"x.test","tls_verify":true}`,
			400, nil, map[string]any{"tls_verify": "not supported by oidclab's gateway (leave it out or null)"}},
		{"put creates by name", "PUT", "/services/svc5", "application/json", `{"host":"five.test","id":"` + newID + `"}`,
			200, map[string]any{"name": "svc5", "id": newID, "host": "five.test", "port": float64(80)}, nil},
		{"put replaces, defaults back", "PUT", "/services/svc5", "application/json", `{"host":"five.test","protocol":"https"}`,
			200, map[string]any{"id": newID, "protocol": "https", "port": float64(443), "retries": float64(5)}, nil},
		{"put name in body differs", "PUT", "/services/svc5", "application/json", `{"name":"other","host":"h.test"}`,
			400, nil, map[string]any{"name": "the name in the URL and in the body differ"}},
		{"put by id renames", "PUT", "/services/" + newID, "application/json", `{"name":"svc5b","host":"five.test"}`,
			200, map[string]any{"id": newID, "name": "svc5b"}, nil},
		{"patch", "PATCH", "/services/svc5b", "application/json", `{"read_timeout":1234}`,
			200, map[string]any{"id": newID, "read_timeout": float64(1234), "host": "five.test"}, nil},
		{"patch unknown", "PATCH", "/services/nope", "application/json", `{"retries":1}`,
			404, map[string]any{"message": "Not found"}, nil},
		{"patch to a taken name", "PATCH", "/services/svc5b", "application/json", `{"name":"svc2"}`,
			409, map[string]any{"name": "unique constraint violation"}, nil},

		{"create route nested", "POST", "/services/svc2/routes", "application/json", `{"name":"r2","paths":["/two"]}`,
			201, map[string]any{"name": "r2", "paths": []any{"/two"}, "strip_path": true, "protocols": []any{"http", "https"}, "path_handling": "v0"}, nil},
		{"create route, service by name", "POST", "/routes", "application/json", `{"name":"r3","hosts":["three.test"],"service":{"name":"svc5b"}}`,
			201, map[string]any{"name": "r3", "service": map[string]any{"id": newID}}, nil},
		{"route on a missing service", "POST", "/routes", "application/json", `{"name":"r4","paths":["/x"],"service":{"id":"00000000-0000-4000-8000-000000000000"}}`,
			400, map[string]any{"name": "schema violation"}, map[string]any{"service": `the foreign key '{id="00000000-0000-4000-8000-000000000000"}' does not reference an existing 'services' entity.`}},
		{"route without matching fields", "POST", "/routes", "application/json", `{"name":"r4"}`,
			400, nil, map[string]any{"@entity": "must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"}},
		{"duplicate route name", "POST", "/routes", "application/json", `{"name":"r2","paths":["/y"]}`,
			409, map[string]any{"code": float64(5)}, map[string]any{"name": "r2"}},
		{"put route creates", "PUT", "/routes/r5", "application/json", `{"paths":["/five"],"methods":["GET"],"headers":{"x-a":["1"]},"service":{"name":"svc2"},"https_redirect_status_code":426,"request_buffering":true,"snis":null}`,
			200, map[string]any{"name": "r5", "methods": []any{"GET"}, "headers": map[string]any{"x-a": []any{"1"}}}, nil},
		{"put route replaces", "PUT", "/routes/r5", "application/json", `{"paths":["/five"],"strip_path":false}`,
			200, map[string]any{"name": "r5", "methods": nil, "strip_path": false, "service": nil}, nil},
		{"patch route", "PATCH", "/routes/r2", "application/json", `{"paths":["/two","/deux"],"regex_priority":2}`,
			200, map[string]any{"paths": []any{"/two", "/deux"}, "regex_priority": float64(2)}, nil},
		{"patch route, bad path", "PATCH", "/routes/r2", "application/json", `{"paths":["two"]}`,
			400, map[string]any{"name": "schema violation"}, nil},

		{"delete a service routes use", "DELETE", "/services/svc2", "", "",
			400, map[string]any{"code": float64(4), "name": "foreign key violation", "message": "an existing 'routes' entity references this 'services' entity"}, map[string]any{"@referenced_by": "routes"}},
		{"delete route", "DELETE", "/routes/r2", "", "", 204, nil, nil},
		{"delete route again", "DELETE", "/routes/r2", "", "", 404, nil, nil},
		{"delete route r5", "DELETE", "/routes/r5", "", "", 204, nil, nil},
		{"delete the service now", "DELETE", "/services/svc2", "", "", 204, nil, nil},
		{"post to a service path", "POST", "/services/svc3", "application/json", "{}", 405, map[string]any{"message": "Method not allowed"}, nil},
	}
	for _, st := range steps {
		status, body := c.call(st.method, st.path, st.ctype, st.body)
		if status != st.status {
			t.Fatalf("%s: %s %s: status %d, want %d: %v", st.name, st.method, st.path, status, st.status, body)
		}
		for k, want := range st.want {
			if got := body[k]; !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %s = %#v, want %#v (body %v)", st.name, k, got, want, body)
			}
		}
		if st.wantFields != nil {
			fields, _ := body["fields"].(map[string]any)
			for k, want := range st.wantFields {
				if got := fields[k]; !reflect.DeepEqual(got, want) {
					t.Errorf("%s: fields.%s = %#v, want %#v (body %v)", st.name, k, got, want, body)
				}
			}
		}
	}
	// The configuration is what the steps built: renames carried the route along.
	cfg := g.Config()
	var names []string
	for _, s := range cfg.Services {
		names = append(names, s.Name)
	}
	if want := []string{"example-service", "svc3", "svc5b"}; !reflect.DeepEqual(names, want) {
		t.Errorf("services %v, want %v", names, want)
	}
	if r := findRoute(cfg, "r3"); r == nil || r.Service != "svc5b" {
		t.Errorf("route r3 after the rename: %+v", r)
	}
}

// A rename keeps plugins attached; deleting a route or service takes its plugins with it.
func TestAdminRenameAndCascade(t *testing.T) {
	g, c := newAdminFixture(t)
	if status, p := c.call("POST", "/routes/example-route/plugins", "application/json", `{"name":"openid-connect","config":{"issuer":"http://idp.test"}}`); status != 201 {
		t.Fatalf("plugin: %d %v", status, p)
	}
	if status, p := c.call("POST", "/services/example-service/plugins", "application/json", `{"name":"openid-connect","config":{"issuer":"http://idp.test","client_secret":["s3cret"]}}`); status != 201 {
		t.Fatalf("plugin: %d %v", status, p)
	}
	c.call("PATCH", "/routes/example-route", "application/json", `{"name":"renamed-route"}`)
	c.call("PATCH", "/services/example-service", "application/json", `{"name":"renamed-service"}`)
	cfg := g.Config()
	if cfg.Routes[0].Service != "renamed-service" || cfg.Plugins[0].Route != "renamed-route" || cfg.Plugins[1].Service != "renamed-service" {
		t.Fatalf("references not renamed: %+v %+v", cfg.Routes, cfg.Plugins)
	}
	if status, _ := c.call("DELETE", "/routes/renamed-route", "", ""); status != 204 {
		t.Fatalf("delete route: %d", status)
	}
	if status, _ := c.call("DELETE", "/services/renamed-service", "", ""); status != 204 {
		t.Fatalf("delete service: %d", status)
	}
	if cfg := g.Config(); len(cfg.Plugins) != 0 || len(cfg.Services) != 0 {
		t.Errorf("cascade left %+v", cfg)
	}
}

// PUT /plugins/{id} upserts; a redacted secret sent back keeps the stored one.
func TestAdminPutPlugin(t *testing.T) {
	g, c := newAdminFixture(t)
	const id = "22222222-2222-4333-8444-555555555555"
	status, p := c.call("PUT", "/plugins/"+id, "application/json",
		`{"name":"openid-connect","service":{"name":"example-service"},"config":{"issuer":"http://idp.test","client_secret":["s3cret"]}}`)
	if status != 200 || p["id"] != id {
		t.Fatalf("put create: %d %v", status, p)
	}
	raw, _ := json.Marshal(p)
	if strings.Contains(string(raw), "s3cret") {
		t.Errorf("answer shows the secret: %s", raw)
	}
	status, p = c.call("PUT", "/plugins/"+id, "application/json",
		`{"name":"openid-connect","service":{"name":"example-service"},"enabled":false,"config":{"issuer":"http://idp2.test","client_secret":["<redacted>"]}}`)
	if status != 200 || p["enabled"] != false {
		t.Fatalf("put replace: %d %v", status, p)
	}
	got := g.Config().Plugins
	if len(got) != 1 || got[0].Config["issuer"] != "http://idp2.test" || !reflect.DeepEqual(got[0].Config["client_secret"], []any{"s3cret"}) {
		t.Errorf("after put: %+v", got)
	}
	if status, e := c.call("PUT", "/plugins/not-a-uuid", "application/json", `{"name":"openid-connect"}`); status != 400 || e["name"] != "schema violation" {
		t.Errorf("bad id: %d %v", status, e)
	}
}

// Every write endpoint keeps the browser-forgery guard.
func TestAdminWritesRefuseWebPages(t *testing.T) {
	g := newTestGateway(t, &deck.Config{Services: []deck.Service{svc("s")}}, gateway.Options{})
	srv := httptest.NewServer(New(g, Options{}))
	t.Cleanup(srv.Close)
	for _, ep := range []struct{ method, path string }{
		{"POST", "/services"}, {"PUT", "/services/x"}, {"PATCH", "/services/s"}, {"DELETE", "/services/s"},
		{"POST", "/routes"}, {"POST", "/services/s/routes"}, {"PUT", "/routes/r"}, {"PATCH", "/routes/r"}, {"DELETE", "/routes/r"},
		{"PUT", "/plugins/22222222-2222-4333-8444-555555555555"},
	} {
		req, _ := http.NewRequest(ep.method, srv.URL+ep.path, strings.NewReader(`{"host":"evil.test"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s %s from a web page: %d, want 403", ep.method, ep.path, resp.StatusCode)
		}
	}
	if cfg := g.Config(); len(cfg.Services) != 1 || cfg.Services[0].Host != "upstream.test" {
		t.Errorf("a refused request changed the config: %+v", cfg.Services)
	}
}
