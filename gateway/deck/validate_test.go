package deck

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// validConfig is a small config as the admin API would build it: no positions, no lines.
func validConfig() *Config {
	return &Config{
		Source: "admin API",
		Services: []Service{{
			ID: DeriveID("service:s"), Name: "s", Protocol: "http", Host: "example.com", Port: 80,
			ConnectTimeout: 60000, ReadTimeout: 60000, WriteTimeout: 60000, Retries: 5, Enabled: true,
		}},
		Routes: []Route{{
			ID: DeriveID("route:r"), Name: "r", Service: "s", Paths: []string{"/anything"},
			Protocols: []string{"http", "https"}, StripPath: true, PathHandling: "v0",
		}},
		Plugins: []Plugin{{
			ID: DeriveID("plugin:p"), Name: "openid-connect", Service: "s", Enabled: true,
			Protocols: []string{"grpc", "grpcs", "http", "https"},
			Config:    map[string]any{"issuer": "https://issuer.example.com", "client_id": []any{"x"}},
		}},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
		want   []Problem // nil: valid
	}{
		{name: "valid", mutate: func(*Config) {}},
		{name: "ids are optional", mutate: func(c *Config) { c.Services[0].ID, c.Routes[0].ID, c.Plugins[0].ID = "", "", "" }},
		{
			name:   "dangling service",
			mutate: func(c *Config) { c.Routes[0].Service = "nope"; c.Plugins[0].Service = "nope" },
			want: []Problem{
				{Path: "routes.0.service", Message: `service "nope" not found`},
				{Path: "plugins.0.service", Message: `service "nope" not found`},
			},
		},
		{
			name:   "dangling route",
			mutate: func(c *Config) { c.Plugins[0].Route = "nope" },
			want:   []Problem{{Path: "plugins.0.route", Message: `route "nope" not found`}},
		},
		{
			name: "duplicate names and ids",
			mutate: func(c *Config) {
				c.Services = append(c.Services, c.Services[0])
				c.Routes = append(c.Routes, c.Routes[0])
			},
			want: []Problem{
				{Path: "services.1.id", Message: `duplicate service id "` + DeriveID("service:s") + `" (also at services.0)`},
				{Path: "services.1.name", Message: `duplicate service name "s" (also at services.0)`},
				{Path: "routes.1.id", Message: `duplicate route id "` + DeriveID("route:r") + `" (also at routes.0)`},
				{Path: "routes.1.name", Message: `duplicate route name "r" (also at routes.0)`},
			},
		},
		{
			name: "same plugin twice on a scope",
			mutate: func(c *Config) {
				p := c.Plugins[0]
				p.ID = DeriveID("other")
				c.Plugins = append(c.Plugins, p)
			},
			want: []Problem{{Path: "plugins.1", Message: `plugin "openid-connect" is already configured on service "s" (at plugins.0); Kong allows one instance per plugin name and scope`}},
		},
		{
			name: "same plugin on different scopes is fine",
			mutate: func(c *Config) {
				p := c.Plugins[0]
				p.ID, p.Service, p.Route = DeriveID("other"), "", "r"
				c.Plugins = append(c.Plugins, p)
			},
		},
		{name: "references by id", mutate: func(c *Config) { c.Routes[0].Service = c.Services[0].ID; c.Plugins[0].Service = c.Services[0].ID }},
		{
			name: "same scope by name and by id",
			mutate: func(c *Config) {
				p := c.Plugins[0]
				p.ID, p.Service = DeriveID("other"), c.Services[0].ID
				c.Plugins = append(c.Plugins, p)
			},
			want: []Problem{{Path: "plugins.1", Message: `plugin "openid-connect" is already configured on service "` + DeriveID("service:s") + `" (at plugins.0); Kong allows one instance per plugin name and scope`}},
		},
		{
			name:   "route matches nothing",
			mutate: func(c *Config) { c.Routes[0].Paths = nil },
			want:   []Problem{{Path: "routes.0", Message: "must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http' or 'https'"}},
		},
		{
			name:   "bad id",
			mutate: func(c *Config) { c.Services[0].ID = "svc-1" },
			want:   []Problem{{Path: "services.0.id", Message: `id "svc-1" must be a UUID`}},
		},
		{
			name: "bad name",
			mutate: func(c *Config) {
				c.Services[0].Name = "my service"
				c.Routes[0].Service = "my service"
				c.Plugins[0].Service = "my service"
			},
			want: []Problem{{Path: "services.0.name", Message: `invalid name "my service": the only accepted ascii characters are alphanumerics or ., -, _, and ~`}},
		},
		{
			name: "service fields",
			mutate: func(c *Config) {
				s := &c.Services[0]
				s.Protocol, s.Host, s.Port, s.Path, s.ConnectTimeout, s.Retries = "tcp", "", -1, "x", 0, 40000
			},
			want: []Problem{
				{Path: "services.0.protocol", Message: `protocol "tcp" is not supported by oidclab (http and https are)`},
				{Path: "services.0", Message: "host is required: give url, or protocol, host, port and path"},
				{Path: "services.0.port", Message: "port -1 must be between 0 and 65535"},
				{Path: "services.0.path", Message: `invalid path "x": should start with /`},
				{Path: "services.0.connect_timeout", Message: "connect_timeout 0 must be between 1 and 2147483646 (milliseconds)"},
				{Path: "services.0.retries", Message: "retries 40000 must be between 0 and 32767"},
			},
		},
		{
			name: "route fields",
			mutate: func(c *Config) {
				r := &c.Routes[0]
				r.Protocols = nil
				r.PathHandling = ""
				r.Tags = []string{"a,b"}
			},
			want: []Problem{
				{Path: "routes.0.protocols", Message: "protocols must not be empty"},
				{Path: "routes.0.path_handling", Message: `path_handling "": expected one of: v0, v1`},
				{Path: "routes.0.tags.0", Message: `invalid tag "a,b": tags must be non-empty and contain no commas, slashes or surrounding spaces`},
			},
		},
		{
			name:   "config must be JSON",
			mutate: func(c *Config) { c.Plugins[0].Config["bad"] = map[int]string{1: "x"} },
			want:   []Problem{{Path: "plugins.0.config", Message: "config holds a map[int]string; only maps with string keys, lists, strings, booleans and numbers are allowed"}},
		},
		{
			name:   "plugin without a name",
			mutate: func(c *Config) { c.Plugins[0].Name = "" },
			want:   []Problem{{Path: "plugins.0", Message: "name is required"}},
		},
		{
			name: "positions from a file are used as paths",
			mutate: func(c *Config) {
				c.Routes[0].Pos = Pos{Path: "services.0.routes.0"}
				c.Routes[0].Methods = []string{"get"}
			},
			want: []Problem{{Path: "services.0.routes.0.methods.0", Message: `invalid method "get": methods are uppercase letters (write "GET")`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.mutate(c)
			err := c.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("err = %v, want *Errors", err)
			}
			if errs.Source != "admin API" {
				t.Errorf("Source = %q", errs.Source)
			}
			if !reflect.DeepEqual(errs.Problems, tt.want) {
				t.Errorf("problems:\n got %#v\nwant %#v", errs.Problems, tt.want)
			}
		})
	}
}

func TestValidateOptionsPlugins(t *testing.T) {
	c := validConfig()
	if err := c.ValidateOptions(Options{Plugins: oidcOnly}); err != nil {
		t.Fatal(err)
	}
	err := c.ValidateOptions(Options{Plugins: []string{"zeta", "alpha"}})
	if err == nil || !strings.Contains(err.Error(), `plugin "openid-connect" is not supported by oidclab (supported: alpha, zeta)`) {
		t.Errorf("err = %v", err)
	}
	err = c.ValidateOptions(Options{})
	if err == nil || !strings.Contains(err.Error(), "no plugins are supported yet") {
		t.Errorf("err = %v", err)
	}
}

func TestRouteChecks(t *testing.T) {
	tests := []struct {
		path, want string
	}{
		{"/", ""},
		{"/anything", ""},
		{"/a%20b", ""},
		{"~/users/\\d+$", ""},
		{"~/(?<name>[a-z]+)/(?P<id>\\d+)", ""},
		{"", "should start with"},
		{"anything", "should start with"},
		{"~anything", "should start with"},
		{"/a b", "spaces"},
		{"/a%2", "percent-encoding"},
		{"/a?b", "'?'"},
		{"~/(?=x)", "lookaround"},
		{"~/(?<!x)y", "lookaround"},
		{"~/(?>ab)", "atomic group"},
		{"~/(a)\\1", "backreference"},
		{"~/a++", "possessive"},
		{"~/(", "does not compile"},
	}
	for _, tt := range tests {
		got := routePathProblem(tt.path)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("routePathProblem(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
	hosts := []struct {
		host  string
		route bool
		want  string
	}{
		{"example.com", false, ""},
		{"127.0.0.1", false, ""},
		{"::1", false, ""},
		{"my_host.internal", false, ""},
		{"*.example.com", true, ""},
		{"example.*", true, ""},
		{"example.com:8000", true, ""},
		{"[::1]:8000", true, ""},
		{"*.example.com", false, "only allowed in route hosts"},
		{"*", true, "leftmost or rightmost"},
		{"a.*.com", true, "leftmost or rightmost"},
		{"*.*", true, "at most one wildcard"},
		{"-bad.com", false, "not a valid DNS label"},
		{"a..b", false, "not a valid DNS label"},
		{"example.com:x", true, "bad port"},
		{"example.com:8000", false, "not a valid DNS label"},
	}
	for _, tt := range hosts {
		got := hostProblem(tt.host, tt.route)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("hostProblem(%q, %v) = %q, want %q", tt.host, tt.route, got, tt.want)
		}
	}
}

func TestClone(t *testing.T) {
	c := validConfig()
	c.Routes[0].Headers = map[string][]string{"x-a": {"1"}}
	c.Plugins[0].ConfigLines = map[string]int{"issuer": 3}
	c.Plugins[0].Config["nested"] = map[string]any{"list": []any{"a", map[string]any{"k": "v"}}}
	d := c.Clone()
	if !reflect.DeepEqual(c, d) {
		t.Fatal("clone differs from the original")
	}
	d.Services[0].Name = "changed"
	d.Routes[0].Paths[0] = "/changed"
	d.Routes[0].Headers["x-a"][0] = "changed"
	d.Routes[0].Protocols[0] = "changed"
	d.Plugins[0].Config["issuer"] = "changed"
	d.Plugins[0].Config["nested"].(map[string]any)["list"].([]any)[1].(map[string]any)["k"] = "changed"
	d.Plugins[0].Config["client_id"].([]any)[0] = "changed"
	d.Plugins[0].ConfigLines["issuer"] = 99
	d.Plugins[0].Protocols[0] = "changed"
	if !reflect.DeepEqual(c, func() *Config {
		e := validConfig()
		e.Routes[0].Headers = map[string][]string{"x-a": {"1"}}
		e.Plugins[0].ConfigLines = map[string]int{"issuer": 3}
		e.Plugins[0].Config["nested"] = map[string]any{"list": []any{"a", map[string]any{"k": "v"}}}
		return e
	}()) {
		t.Error("editing the clone changed the original")
	}
	var nilCfg *Config
	if nilCfg.Clone() != nil {
		t.Error("nil.Clone() != nil")
	}
}
