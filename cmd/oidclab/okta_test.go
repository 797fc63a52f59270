package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/labtest"
	"github.com/oidclab/oidclab/lab/tutorial"
	"github.com/oidclab/oidclab/okta"
	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/scenarios/browser"
)

// runOK runs the CLI and fails the test unless it exits with want.
func runCLI(t *testing.T, want exitCode, args ...string) (stdout, stderr string) {
	t.Helper()
	io, _, out, errOut := testIOStreams()
	if code := run(args, io); code != int(want) {
		t.Fatalf("oidclab %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errOut)
	}
	return out.String(), errOut.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestOktaSetupThenTutorialLogin is the offline walk the README gives: `oidclab idp` as the
// org, `okta setup` with the token it prints, the tutorial's decK file with the written env
// file, a login that reaches the upstream; then doctor, sync and cleanup.
func TestOktaSetupThenTutorialLogin(t *testing.T) {
	ready, srv, _, _ := startIdp(t, &idpOptions{JSON: true, ShowSecrets: true})
	if ready.APIToken != srv.APIToken() || ready.OrgURL != srv.URL() {
		t.Fatalf("idp announcement: org %q token %q", ready.OrgURL, ready.APIToken)
	}
	t.Setenv(envAPIToken, ready.APIToken)
	dir := t.TempDir()
	state, envFile := filepath.Join(dir, "okta.json"), filepath.Join(dir, "okta.env")
	gwAddr := freeAddr(t)
	redirect := "http://" + gwAddr + tutorial.Path

	out, errOut := runCLI(t, exitOK, "okta", "setup", "--org-url", ready.OrgURL, "--user", emulator.DemoUserLogin,
		"--redirect-uri", redirect, "--state", state, "--env-file", envFile, "--json")
	var res oktaSetupResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.ClientID == "" || res.Issuer == "" || res.AuthServerID == "" {
		t.Fatalf("setup --json: %v %s", err, out)
	}
	c, _ := srv.Client(res.ClientID)
	if strings.Contains(out+errOut, c.Secret) || strings.Contains(out+errOut, ready.APIToken) {
		t.Fatal("a secret reached the output")
	}
	if fi, err := os.Stat(envFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("env file: %v %v", fi.Mode(), err)
	}
	st, err := okta.LoadState(state)
	if err != nil || st.AppID != res.AppID {
		t.Fatalf("state: %+v %v", st, err)
	}
	if data, _ := os.ReadFile(state); strings.Contains(string(data), c.Secret) {
		t.Fatal("the secret is in the state file")
	}

	// The tutorial's decK file, unchanged, with the env file: a login reaches the upstream.
	vars, err := readEnvFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	l := labtest.Start(t, lab.Config{IdP: lab.IdPNone, Deck: tutorial.Deck, DeckName: "kong.yaml", Listen: gwAddr,
		LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
	d, err := browser.NewHTTP(browser.HTTPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	r, err := d.Login(t.Context(), l.URL+tutorial.Path, browser.Credentials{Username: emulator.DemoUserLogin, Password: emulator.DemoUserPassword})
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if r.Status != 200 || !strings.Contains(r.Body, `"Authorization": "Bearer `) && !strings.Contains(r.Body, `"Authorization":"Bearer `) {
		t.Fatalf("not the upstream with a token: %d %.300s", r.Status, r.Body)
	}

	// doctor passes; sync moves the redirect URI (and DECK_NGROK_HOST); doctor then sees the
	// old one is gone.
	out, _ = runCLI(t, exitOK, "okta", "doctor", "--state", state, "--json")
	if !strings.Contains(out, `"ok":true`) {
		t.Fatalf("doctor: %s", out)
	}
	runCLI(t, exitOK, "okta", "sync", "--state", state, "--env-file", envFile, "--redirect-uri", "https://demo.ngrok-free.dev/anything")
	if vars, _ := readEnvFile(envFile); vars[tutorial.EnvRedirectURI] != "https://demo.ngrok-free.dev/anything" || vars[tutorial.EnvClientSecret] != c.Secret {
		t.Errorf("env file after sync: %v", vars)
	}
	_, errOut = runCLI(t, exitFailure, "okta", "doctor", "--state", state, "--redirect-uri", redirect)
	if !strings.Contains(errOut, "FAIL redirect uri") || !strings.Contains(errOut, "fix: Run `oidclab okta sync") {
		t.Errorf("doctor after sync:\n%s", errOut)
	}

	// By hand: the issuer (as pasted, with the discovery suffix) and the client id.
	runCLI(t, exitOK, "okta", "doctor", "--issuer", res.Issuer+"/.well-known/openid-configuration", "--client-id", res.ClientID, "--user", emulator.DemoUserLogin)

	runCLI(t, exitOK, "okta", "cleanup", "--state", state)
	if _, ok := srv.Client(res.ClientID); ok {
		t.Error("cleanup left the app")
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("state file: %v", err)
	}
}

func TestOktaUsageErrors(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "exists.json")
	if err := os.WriteFile(existing, []byte(`{"version":1,"org_url":"http://127.0.0.1:1"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	noState := filepath.Join(dir, "none.json")
	setupArgs := []string{"okta", "setup", "--org-url", "http://127.0.0.1:1", "--user", "a@example.com", "--redirect-uri", "http://127.0.0.1:8000/anything", "--state", noState}
	tests := []struct {
		name  string
		token string
		args  []string
		want  string
	}{
		{"no token", "", setupArgs, "OKTA_API_TOKEN is not set"},
		{"missing flags", "t", []string{"okta", "setup", "--state", noState}, "--org-url, --user, --redirect-uri"},
		{"http org off loopback", "t", append(setupArgs[:2:2], "--org-url", "http://dev-1.okta.com", "--user", "a", "--redirect-uri", "https://x.example.com/cb", "--state", noState), "loopback"},
		{"http redirect off loopback", "t", append(setupArgs[:2:2], "--org-url", "https://dev-1.okta.com", "--user", "a", "--redirect-uri", "http://x.example.com/cb", "--state", noState), "use https"},
		{"already set up", "t", append(setupArgs[:len(setupArgs)-1:len(setupArgs)-1], existing), "already set up"},
		{"doctor without state", "t", []string{"okta", "doctor", "--state", noState}, "--issuer and --client-id"},
		{"doctor half by hand", "t", []string{"okta", "doctor", "--issuer", "https://dev-1.okta.com/oauth2/default"}, "both --issuer and --client-id"},
		{"sync without uri", "t", []string{"okta", "sync", "--state", existing}, "needs --redirect-uri"},
		{"cleanup without state", "t", []string{"okta", "cleanup", "--state", noState}, "run `oidclab okta setup` first"},
		{"unknown subcommand", "t", []string{"okta", "setpu"}, "unknown command \"setpu\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envAPIToken, tt.token)
			_, errOut := runCLI(t, exitUsage, tt.args...)
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, errOut)
			}
		})
	}
}

// TestOktaFailuresSayWhatToDo: the org refuses or cannot be reached: exit 1 with Okta's text
// and a fix, never the token.
func TestOktaFailuresSayWhatToDo(t *testing.T) {
	ready, srv, _, _ := startIdp(t, &idpOptions{JSON: true, ShowSecrets: true})
	dead := "http://" + freeAddr(t)
	dir := t.TempDir()
	args := func(org string) []string {
		return []string{"okta", "setup", "--org-url", org, "--user", emulator.DemoUserLogin, "--redirect-uri", "http://127.0.0.1:8000/anything",
			"--state", filepath.Join(dir, "s.json"), "--env-file", filepath.Join(dir, "e.env")}
	}
	tests := []struct {
		name, token, org string
		before           func()
		want             []string
	}{
		{"bad token", "00wrong", ready.OrgURL, nil, []string{"E0000011", "Invalid token provided", "fix: Create a token"}},
		{"org unreachable", ready.APIToken, dead, nil, []string{"cannot reach " + dead, "fix: Check --org-url"}},
		{"rate limited", ready.APIToken, ready.OrgURL, func() { srv.SetAPIRateLimit(1, time.Hour); srv.SetAPIRateLimit(1, time.Hour) },
			[]string{"E0000047", "fix: Wait"}},
		{"unknown user", ready.APIToken, ready.OrgURL, func() { srv.SetAPIRateLimit(0, 0) }, []string{"no Okta user", "fix: Check --user"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envAPIToken, tt.token)
			if tt.before != nil {
				tt.before()
			}
			a := args(tt.org)
			if tt.name == "rate limited" {
				// Spend the window's one call first.
				runCLI(t, exitFailure, "okta", "doctor", "--issuer", ready.Issuer, "--client-id", "0oanope")
			}
			if tt.name == "unknown user" {
				a[5] = "nobody@example.com"
			}
			_, errOut := runCLI(t, exitFailure, a...)
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if strings.Contains(errOut, ready.APIToken) {
				t.Error("the token reached stderr")
			}
			if _, err := os.Stat(filepath.Join(dir, "s.json")); err == nil {
				t.Error("a failed setup wrote the state file")
			}
		})
	}
}

func TestIdpMasksAPIToken(t *testing.T) {
	r, srv, out, errOut := startIdp(t, &idpOptions{})
	if r.APIToken != masked || strings.Contains(out.String()+errOut.String(), srv.APIToken()) {
		t.Fatalf("API token not masked: %q\n%s", r.APIToken, errOut)
	}
	if !strings.Contains(errOut.String(), "API token    "+masked+"  (--show-secrets prints it)") {
		t.Errorf("human output:\n%s", errOut)
	}
}
