package deck

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// roundTrip marshals cfg, loads the result and checks it equals cfg (positions aside).
func roundTrip(t testing.TB, cfg *Config, opts Options) []byte {
	t.Helper()
	out, err := cfg.Marshal()
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	back, err := Load(bytes.NewReader(out), "exported.yaml", opts)
	if err != nil {
		t.Fatalf("exported file does not load: %v\n%s", err, out)
	}
	if a, b := stripPositions(cfg), stripPositions(back); !reflect.DeepEqual(a, b) {
		ja, _ := json.MarshalIndent(a, "", " ")
		jb, _ := json.MarshalIndent(b, "", " ")
		t.Fatalf("round trip changed the config:\n--- before\n%s\n--- after\n%s\n--- exported\n%s", ja, jb, out)
	}
	return out
}

func TestMarshalRoundTrip(t *testing.T) {
	setTestEnv(t)
	for _, tc := range goldenCases(t) {
		if strings.HasPrefix(tc.name, "err-") || tc.name == "tutorial-no-plugins-supported" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			cfg := mustLoad(t, tc.file, Options{Plugins: tc.plugins})
			roundTrip(t, cfg, Options{Plugins: tc.plugins})
		})
	}
}

func TestMarshalTutorialShape(t *testing.T) {
	setTestEnv(t)
	cfg := mustLoad(t, tutorialFile, Options{Plugins: oidcOnly})
	out := string(roundTrip(t, cfg, Options{Plugins: oidcOnly}))
	for _, want := range []string{
		`_format_version: "3.0"`,
		"services:\n  - id: ",
		"    routes:\n      - id: ",
		"    plugins:\n      - id: ",
		"        name: openid-connect",
		"          issuer: https://dev-123456.okta.com/oauth2/default",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("export lacks %q:\n%s", want, out)
		}
	}
}

func TestMarshalCodeBuilt(t *testing.T) {
	cfg := &Config{
		Services: []Service{{
			ID: DeriveID("service:s"), Name: "s", Protocol: "http", Host: "example.com", Port: 80,
			ConnectTimeout: 1, ReadTimeout: 2, WriteTimeout: 3, Retries: 4, Enabled: true,
		}},
		Routes: []Route{
			{ID: DeriveID("route:r"), Name: "r", Service: "s", Paths: []string{"/"}, Protocols: []string{"http"}, StripPath: true, PathHandling: "v0"},
			{ID: DeriveID("route:free"), Name: "free", Hosts: []string{"a.example.com"}, Headers: map[string][]string{"x-a": {"1", "~*^2$"}}, Protocols: []string{"https"}, PathHandling: "v1"},
		},
		Plugins: []Plugin{
			{ID: DeriveID("p2"), Name: "openid-connect", Route: "free", Enabled: false, Protocols: []string{"https"}, Config: map[string]any{}},
			{ID: DeriveID("p1"), Name: "openid-connect", Service: "s", Route: "r", Enabled: true, Protocols: []string{"http"}, Config: map[string]any{
				"float": 2.0, "int": 2, "str": "true", "num": "123", "null": nil, "tmpl": `${{ env "DECK_X" }}`,
				"list": []any{"a", 1, 1.5, false, map[string]any{"k": "v"}}, "empty": map[string]any{}, "colon": "a: b", "multi": "a\nb",
			}},
			{ID: DeriveID("p3"), Name: "openid-connect", Enabled: true, Protocols: []string{"http", "https"}, Config: map[string]any{}},
		},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.FormatVersion = FormatVersion
	// Listed in the canonical order Load produces: route plugins, then the rest in order.
	roundTrip(t, cfg, Options{Plugins: oidcOnly})
}
