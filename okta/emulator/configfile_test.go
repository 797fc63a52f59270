package emulator

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata goldens")

func TestLoadConfig(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("testdata", "idp.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Users) != 2 || len(cfg.Clients) != 3 || len(cfg.AuthServers) != 2 {
		t.Fatalf("decoded %d users, %d clients, %d servers", len(cfg.Users), len(cfg.Clients), len(cfg.AuthServers))
	}
	if got := cfg.AuthServers[1].Policies[0].Rules[0].AccessTokenLifetime; got != 15*time.Minute {
		t.Errorf("rule lifetime = %s", got)
	}
	if cfg.Tokens.AccessToken != 30*time.Minute || !cfg.Clients[0].PKCERequired || cfg.Users[0].Profile.GivenName != "Alice" {
		t.Errorf("decoded config = %+v", cfg)
	}
	if _, err := New(cfg, Options{}); err != nil {
		t.Errorf("New: %v", err)
	}
}

// The bad file's problems are all reported at once, each with its line (golden file).
func TestLoadConfigProblems(t *testing.T) {
	_, err := LoadConfig(filepath.Join("testdata", "bad.yaml"))
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("err = %v", err)
	}
	got := strings.ReplaceAll(err.Error(), filepath.Join("testdata", "bad.yaml"), "bad.yaml") + "\n"
	golden := filepath.Join("testdata", "bad.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown field", "users:\n  - login: a\n    pasword: x\n", `x.yaml:3: unknown field "pasword"`},
		// The rest of the file is still checked: every problem at once.
		{"unknown field and more", "users:\n  - login: a\n    pasword: x\n", "x.yaml:2: users[0].password: required"},
		{"wrong type", "clients: {id: x}\n", "cannot unmarshal"},
		{"bad duration", "tokens:\n  access_token: soon\n", "x.yaml:2: cannot unmarshal !!str `soon`: want a duration such as 90s, 15m or 1h"},
		{"syntax", "users: [\n", "did not find expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.yaml), "x.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "emulator.") {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if cfg, err := ParseConfig(nil, "empty.yaml"); err != nil || len(cfg.Clients) != 0 {
		t.Errorf("empty file: %v", err)
	}
}

func TestDefaultConfig(t *testing.T) {
	a, b := Default(), Default()
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if a.Clients[0].Secret == b.Clients[0].Secret || len(a.Clients[0].Secret) < 32 {
		t.Error("Default() must generate a fresh, long client secret")
	}
	if a.Clients[0].ID != DemoClientID || a.Users[0].Login != DemoUserLogin || a.AuthServers[0].ID != "default" {
		t.Errorf("Default() = %+v", a)
	}
	for _, want := range TutorialRedirectURIs {
		found := false
		for _, u := range a.Clients[0].RedirectURIs {
			found = found || u == want
		}
		if !found {
			t.Errorf("tutorial redirect URI %s missing", want)
		}
	}
}

func TestRedirectURIRules(t *testing.T) {
	for _, tt := range []struct {
		uri string
		ok  bool
	}{
		{"http://127.0.0.1:8000/anything", true},
		{"https://x.ngrok-free.dev/callback?a=b", true},
		{"com.example.app:/callback", true}, // native apps
		{"/relative", false},
		{"http://127.0.0.1/cb#frag", false},
		{"javascript:alert(1)", false},
		{"data:text/html,x", false},
		{"http:///nohost", false},
		{"http://x/" + strings.Repeat("a", 3000), false},
	} {
		if err := checkRedirectURI(tt.uri); (err == nil) != tt.ok {
			t.Errorf("checkRedirectURI(%.40q) = %v, want ok=%v", tt.uri, err, tt.ok)
		}
	}
}

func TestParseRefreshTokenLeeway(t *testing.T) {
	base := "users: [{login: a@example.com, password: pw}]\nclients:\n  - {id: app, secret: s, type: web, redirect_uris: ['http://127.0.0.1:1/cb'], assign_all: true, refresh_token_leeway: %s}\n"
	cfg, err := ParseConfig(fmt.Appendf(nil, base, "0s"), "x.yaml")
	if err != nil || cfg.Clients[0].RefreshTokenLeeway == nil || *cfg.Clients[0].RefreshTokenLeeway != 0 {
		t.Fatalf("leeway 0s: %v %+v", err, cfg.Clients)
	}
	if _, err := ParseConfig(fmt.Appendf(nil, base, "90s"), "x.yaml"); err == nil || !strings.Contains(err.Error(), "x.yaml:3: clients[0].refresh_token_leeway: Okta allows 0s to 60s") {
		t.Errorf("leeway 90s: %v", err)
	}
}
