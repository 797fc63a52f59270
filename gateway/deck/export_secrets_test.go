package deck

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
)

// The tutorial's file exports with its own variable for the secret, no secret literal, and
// loads back (with the variables set) to the same configuration.
func TestMarshalForKongTutorial(t *testing.T) {
	setTestEnv(t)
	src, err := os.ReadFile(tutorialFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := mustLoad(t, tutorialFile, Options{Plugins: oidcOnly})
	env := map[string]string{}
	for _, n := range ReferencedVariables(src) {
		env[n] = os.Getenv(n)
	}
	if want := []string{"DECK_ISSUER_URL", "DECK_NGROK_HOST", "DECK_OKTA_CLIENT_ID", "DECK_OKTA_CLIENT_SECRET"}; !reflect.DeepEqual(ReferencedVariables(src), want) {
		t.Fatalf("referenced %v", ReferencedVariables(src))
	}
	out, vars, err := cfg.MarshalForKong(ExportOptions{SourceEnv: env})
	if err != nil {
		t.Fatal(err)
	}
	secret := env["DECK_OKTA_CLIENT_SECRET"]
	if secret == "" || bytes.Contains(out, []byte(secret)) {
		t.Fatalf("the secret is in the export (or the test env has none):\n%s", out)
	}
	if !bytes.Contains(out, []byte("      client_secret:\n          - ${{ env \"DECK_OKTA_CLIENT_SECRET\" }}\n")) &&
		!bytes.Contains(out, []byte(`- ${{ env "DECK_OKTA_CLIENT_SECRET" }}`)) {
		t.Errorf("no placeholder for the secret:\n%s", out)
	}
	want := []EnvVar{{Name: "DECK_OKTA_CLIENT_SECRET", Where: []string{"openid-connect on service example-service: config.client_secret"}, FromSource: true}}
	if !reflect.DeepEqual(vars, want) {
		t.Errorf("vars %+v, want %+v", vars, want)
	}
	back, err := Load(bytes.NewReader(out), "exported.yaml", Options{Plugins: oidcOnly})
	if err != nil {
		t.Fatalf("the export does not load: %v\n%s", err, out)
	}
	if a, b := stripPositions(cfg), stripPositions(back); !reflect.DeepEqual(a, b) {
		t.Errorf("round trip changed the config:\n%+v\n%+v", a.Plugins, b.Plugins)
	}
}

// Secrets that came from no variable get DECK_<PLUGIN>_<FIELD> names, numbered when two
// differ; equal secrets share one; nested and list secrets keep their shape.
func TestMarshalForKongNames(t *testing.T) {
	cfg := &Config{
		Services: []Service{{Name: "a", Protocol: "http", Host: "a.test", Port: 80, ConnectTimeout: 1, ReadTimeout: 1, WriteTimeout: 1, Enabled: true},
			{Name: "b", Protocol: "http", Host: "b.test", Port: 80, ConnectTimeout: 1, ReadTimeout: 1, WriteTimeout: 1, Enabled: true}},
		Plugins: []Plugin{
			{Name: "openid-connect", Service: "a", Enabled: true, Protocols: []string{"http"}, Config: map[string]any{
				"client_secret": []any{"one", "two"}, "session_secret": "shared", "redis": map[string]any{"password": "pw", "host": "r"}, "client_id": []any{"id"}, "empty_secret": ""}},
			{Name: "openid-connect", Service: "b", Enabled: true, Protocols: []string{"http"}, Config: map[string]any{
				"session_secret": "shared", "client_secret": []any{"three"}}},
		},
	}
	cfg.AssignIDs()
	out, vars, err := cfg.MarshalForKong(ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, lit := range []string{"one", "two", "three", "shared", "pw"} {
		if bytes.Contains(out, []byte(": "+lit+"\n")) || bytes.Contains(out, []byte("- "+lit+"\n")) {
			t.Errorf("secret %q written literally:\n%s", lit, out)
		}
	}
	var names []string
	for _, v := range vars {
		names = append(names, v.Name)
	}
	want := []string{"DECK_OPENID_CONNECT_CLIENT_SECRET", "DECK_OPENID_CONNECT_CLIENT_SECRET_0", "DECK_OPENID_CONNECT_CLIENT_SECRET_1",
		"DECK_OPENID_CONNECT_REDIS_PASSWORD", "DECK_OPENID_CONNECT_SESSION_SECRET"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("names %v, want %v\n%s", names, want, out)
	}
	env := map[string]string{"DECK_OPENID_CONNECT_CLIENT_SECRET_0": "one", "DECK_OPENID_CONNECT_CLIENT_SECRET_1": "two",
		"DECK_OPENID_CONNECT_CLIENT_SECRET": "three", "DECK_OPENID_CONNECT_REDIS_PASSWORD": "pw", "DECK_OPENID_CONNECT_SESSION_SECRET": "shared"}
	back, err := Load(bytes.NewReader(out), "x.yaml", Options{Plugins: oidcOnly, LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if a, b := stripPositions(cfg), stripPositions(back); !reflect.DeepEqual(a.Plugins, b.Plugins) {
		t.Errorf("round trip:\n%+v\n%+v", a.Plugins, b.Plugins)
	}
	if !strings.Contains(string(out), "client_id:\n") || !strings.Contains(string(out), "- id\n") {
		t.Errorf("client_id is not a secret:\n%s", out)
	}
}
