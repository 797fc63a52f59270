package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/labtest"
	"github.com/oidclab/oidclab/lab/tutorial"
)

const tutorialSecret = "tutorial-client-secret-value"

// setTutorialEnv sets the tutorial's variables for an IdP on loopback, and no admin token.
func setTutorialEnv(t *testing.T) {
	t.Helper()
	t.Setenv(tutorial.EnvIssuer, "http://127.0.0.1:9/oauth2/default")
	t.Setenv(tutorial.EnvClientID, "0oa-client")
	t.Setenv(tutorial.EnvClientSecret, tutorialSecret)
	t.Setenv(tutorial.EnvRedirectURI, "http://127.0.0.1:8000/anything")
	t.Setenv(envAdminToken, "")
	os.Unsetenv(envAdminToken)
}

// emptyLab is a running oidclab with nothing configured and its admin API on a free port:
// the Kong that `kong apply` is tested against.
func emptyLab(t *testing.T) *labtest.Lab {
	t.Helper()
	return labtest.Start(t, lab.Config{IdP: lab.IdPNone, AdminListen: "127.0.0.1:0",
		Deck: []byte("_format_version: \"3.0\"\n"), DeckName: "empty.yaml"})
}

func runKongCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	io, out, errOut := testIO("")
	code = run(args, io)
	return code, out.String(), errOut.String()
}

func wantContains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// kong apply, end to end against a running oidclab: create from empty, a second run changes
// nothing, a change shows as an update, --dry-run changes nothing.
func TestKongApplyEndToEnd(t *testing.T) {
	setTutorialEnv(t)
	l := emptyLab(t)
	admin := l.AdminURL()

	code, out, errOut := runKongCLI(t, "kong", "apply", "--admin-url", admin)
	if code != 0 {
		t.Fatalf("first apply: exit %d: %s", code, errOut)
	}
	wantContains(t, "first apply", out, "3 to create", "+ service example-service", "+ route example-route",
		"+ plugin openid-connect on service example-service", "applied: 3 created, 0 updated")
	cfg := l.Gateway().Config()
	if len(cfg.Services) != 1 || cfg.Services[0].Host != "httpbin.konghq.com" || len(cfg.Routes) != 1 || len(cfg.Plugins) != 1 ||
		!reflect.DeepEqual(cfg.Plugins[0].Config["client_secret"], []any{tutorialSecret}) {
		t.Fatalf("after apply: %+v", cfg)
	}

	code, out, _ = runKongCLI(t, "kong", "apply", "--admin-url", admin)
	if code != 0 {
		t.Fatalf("second apply: exit %d", code)
	}
	wantContains(t, "second apply", out, "0 to create, 0 to update, 3 unchanged", "= plugin openid-connect on service example-service", "nothing to change")

	changed := filepath.Join(t.TempDir(), "kong.yaml")
	src := strings.Replace(string(tutorial.Deck), "        - profile\n", "        - profile\n        - offline_access\n", 1)
	if err := os.WriteFile(changed, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runKongCLI(t, "kong", "apply", "--admin-url", admin, "-c", changed, "--dry-run")
	if code != 0 {
		t.Fatalf("dry run: exit %d", code)
	}
	wantContains(t, "dry run", out, "1 to update", "~ plugin openid-connect on service example-service",
		`config.scopes: ["openid","email","profile"] → ["openid","email","profile","offline_access"]`, "dry run: nothing changed")
	if got := l.Gateway().Config().Plugins[0].Config["scopes"]; len(got.([]any)) != 3 {
		t.Fatalf("--dry-run changed the config: %v", got)
	}

	code, out, _ = runKongCLI(t, "kong", "apply", "--admin-url", admin, "-c", changed, "--json")
	if code != 0 {
		t.Fatalf("apply --json: exit %d", code)
	}
	var report struct {
		Applied bool           `json:"applied"`
		Counts  map[string]int `json:"counts"`
		Changes []struct {
			Kind, Name, Action string
			Fields             []struct{ Field string }
		} `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("--json: %v: %s", err, out)
	}
	if !report.Applied || report.Counts["update"] != 1 || report.Changes[2].Action != "update" || report.Changes[2].Fields[0].Field != "config.scopes" {
		t.Errorf("--json report: %s", out)
	}
	if got := l.Gateway().Config().Plugins[0].Config["scopes"]; len(got.([]any)) != 4 {
		t.Errorf("update not applied: %v", got)
	}
	if strings.Contains(out, tutorialSecret) {
		t.Errorf("the output shows the secret: %s", out)
	}
}

// deck export from a file and from a running admin API: no secret literal, the variables on
// stderr, and the file loads (kong apply -c reads it) with them set.
func TestDeckExportRoundTrip(t *testing.T) {
	setTutorialEnv(t)
	dir := t.TempDir()
	exported := filepath.Join(dir, "kong-export.yaml")
	code, out, errOut := runKongCLI(t, "deck", "export", "-o", exported)
	if code != 0 || out != "" {
		t.Fatalf("export: exit %d: %s %s", code, out, errOut)
	}
	data, err := os.ReadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), tutorialSecret) {
		t.Fatalf("the export holds the secret:\n%s", data)
	}
	wantContains(t, "export", string(data), `_format_version: "3.0"`, `- ${{ env "DECK_OKTA_CLIENT_SECRET" }}`)
	wantContains(t, "export stderr", errOut, "DECK_OKTA_CLIENT_SECRET  openid-connect on service example-service: config.client_secret (as in the source file)")

	// The exported file is what the running oidclab gets, and then holds.
	l := emptyLab(t)
	if code, _, errOut := runKongCLI(t, "kong", "apply", "--admin-url", l.AdminURL(), "-c", exported); code != 0 {
		t.Fatalf("apply the export: exit %d: %s", code, errOut)
	}
	if code, out, _ := runKongCLI(t, "kong", "apply", "--admin-url", l.AdminURL()); code != 0 || !strings.Contains(out, "nothing to change") {
		t.Errorf("the export is not the tutorial's configuration: exit %d\n%s", code, out)
	}

	// From the admin API the secret is unknown (redacted): it gets a variable of its own.
	fromAdmin := filepath.Join(dir, "from-admin.yaml")
	code, _, errOut = runKongCLI(t, "deck", "export", "--admin-url", l.AdminURL(), "-o", fromAdmin)
	if code != 0 {
		t.Fatalf("export --admin-url: exit %d: %s", code, errOut)
	}
	data, _ = os.ReadFile(fromAdmin)
	if strings.Contains(string(data), tutorialSecret) || strings.Contains(string(data), "<redacted>") {
		t.Fatalf("export --admin-url holds a secret or the redaction marker:\n%s", data)
	}
	wantContains(t, "export --admin-url stderr", errOut, "DECK_OPENID_CONNECT_CLIENT_SECRET")
	t.Setenv("DECK_OPENID_CONNECT_CLIENT_SECRET", tutorialSecret)
	if code, out, errOut := runKongCLI(t, "kong", "apply", "--admin-url", l.AdminURL(), "-c", fromAdmin); code != 0 || !strings.Contains(out, "nothing to change") {
		t.Errorf("export --admin-url does not load back to the same config: exit %d\n%s%s", code, out, errOut)
	}
}

func TestKongApplyErrors(t *testing.T) {
	setTutorialEnv(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + ln.Addr().String()
	ln.Close()
	locked := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"message":"Invalid credentials. Token or User credentials required"}`))
	}))
	defer locked.Close()

	tests := []struct {
		name  string
		args  []string
		token string
		code  int
		want  string
	}{
		{"no admin url", []string{"kong", "apply"}, "", 2, "--admin-url is required"},
		{"bad admin url", []string{"kong", "apply", "--admin-url", "localhost:8001"}, "", 2, "--admin-url: kong: admin URL"},
		{"unreachable", []string{"kong", "apply", "--admin-url", closed}, "", 1, "cannot reach the Admin API at " + closed},
		{"401 without a token", []string{"kong", "apply", "--admin-url", locked.URL}, "", 1, "401 Invalid credentials. Token or User credentials required (the Admin API wants a token: export KONG_ADMIN_TOKEN"},
		{"401 with a bad token", []string{"kong", "apply", "--admin-url", locked.URL}, "wrong-token", 1, "(the token in KONG_ADMIN_TOKEN was refused)"},
		{"missing file", []string{"kong", "apply", "--admin-url", locked.URL, "-c", "/nonexistent.yaml"}, "", 2, "no such file"},
		{"export: both sources", []string{"deck", "export", "-c", "x.yaml", "--admin-url", locked.URL}, "", 2, "give one"},
		{"export: unreachable", []string{"deck", "export", "--admin-url", closed}, "", 1, "cannot reach"},
		{"stray argument", []string{"kong", "apply", "extra"}, "", 2, "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.token != "" {
				t.Setenv(envAdminToken, tt.token)
			}
			code, _, errOut := runKongCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant %q", code, tt.code, errOut, tt.want)
			}
			if tt.token != "" && strings.Contains(errOut, tt.token) {
				t.Errorf("stderr shows the token: %s", errOut)
			}
		})
	}
}
