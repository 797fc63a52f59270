package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/okta/emulator/emulatortest"
)

// TestIdpUsageErrors: every bad input exits 2 with a message that says what to change.
func TestIdpUsageErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("users:\n  - login: a@example.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("users:\n  - {login: a@example.com, password: pw}\nclients:\n  - {id: app, secret: s, type: web, redirect_uris: ['http://127.0.0.1:1/cb'], assign_all: true}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	free := []string{"--listen", "127.0.0.1:0"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad listen", []string{"idp", "--listen", "9000"}, "want HOST:PORT"},
		{"network without users", []string{"idp", "--listen", "0.0.0.0:0"}, "configure your own users"},
		{"bad user", append([]string{"idp", "--user", "alice"}, free...), "want LOGIN:PASSWORD"},
		{"user without password", append([]string{"idp", "--user", "alice:"}, free...), "alice:********"},
		{"bad config", append([]string{"idp", "--config", bad}, free...), "bad.yaml:2: users[0].password: required"},
		{"missing config", append([]string{"idp", "--config", filepath.Join(dir, "nope.yaml")}, free...), "no such file"},
		{"client flags need id with config", append([]string{"idp", "--config", good, "--client-secret", "x"}, free...), "need --client-id"},
		{"new client needs redirect", append([]string{"idp", "--config", good, "--client-id", "other"}, free...), "needs at least one --redirect-uri"},
		{"relative redirect", append([]string{"idp", "--redirect-uri", "/cb"}, free...), "is not an absolute URI"},
		{"bad base url", append([]string{"idp", "--base-url", "ftp://x"}, free...), "--base-url"},
		{"http base url off loopback", append([]string{"idp", "--base-url", "http://idp.example.com"}, free...), "https"},
		{"port in use", []string{"idp", "--listen", busy.Addr().String()}, "cannot listen on " + busy.Addr().String()},
		{"unknown flag", []string{"idp", "--nope"}, "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, _, _, errOut := testIOStreams()
			if code := run(tt.args, io); code != int(exitUsage) {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, errOut)
			}
			if !strings.Contains(errOut.String(), tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, errOut)
			}
			if strings.Contains(errOut.String(), "alice:pw") {
				t.Error("a password reached stderr")
			}
		})
	}
}

// startIdp runs idpRun in-process and returns the announcement; the IdP stops with the test.
func startIdp(t *testing.T, opts *idpOptions) (idpReady, *emulator.Server, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	io, _, out, errOut := testIOStreams()
	opts.IO = io
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	type started struct {
		r   idpReady
		srv *emulator.Server
	}
	ch := make(chan started, 1)
	opts.ready = func(r idpReady, s *emulator.Server) { ch <- started{r, s} }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- idpRun(ctx, opts) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("idpRun: %v", err)
		}
	})
	select {
	case s := <-ch:
		return s.r, s.srv, out, errOut
	case err := <-done:
		t.Fatalf("idpRun ended early: %v\n%s", err, errOut)
	}
	return idpReady{}, nil, nil, nil
}

func TestIdpDefaultsMaskSecret(t *testing.T) {
	r, srv, out, errOut := startIdp(t, &idpOptions{JSON: true})
	var line idpReady
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("stdout is not one JSON line: %v\n%s", err, out)
	}
	c, _ := srv.Client(emulator.DemoClientID)
	if line.ClientID != emulator.DemoClientID || line.ClientSecret != masked || strings.Contains(out.String()+errOut.String(), c.Secret) {
		t.Errorf("client secret not masked: %s", out)
	}
	if len(line.Users) != 1 || line.Users[0].Login != emulator.DemoUserLogin || line.Users[0].Password != emulator.DemoUserPassword {
		t.Errorf("demo user: %+v", line.Users)
	}
	if line.Issuer != srv.Issuer() || line.DiscoveryURL != srv.Issuer()+"/.well-known/openid-configuration" || len(line.RedirectURIs) != 2 {
		t.Errorf("announcement: %+v", r)
	}
}

func TestIdpFlagsAndLogin(t *testing.T) {
	r, srv, _, errOut := startIdp(t, &idpOptions{ClientID: "my-app", ClientSecret: "s3cret", ShowSecrets: true,
		RedirectURIs: []string{"http://localhost:4180/oauth2/callback"}, Users: []string{"alice@example.com:pa55word"}})
	if r.ClientID != "my-app" || r.ClientSecret != "s3cret" || len(r.Users) != 1 || r.Users[0].Password != "pa55word" {
		t.Fatalf("announcement: %+v", r)
	}
	for _, want := range []string{"issuer         " + srv.Issuer(), "my-app (web)", "s3cret", "alice@example.com / pa55word"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("human output lacks %q:\n%s", want, errOut)
		}
	}
	// The announced client and user can log in.
	q := url.Values{"client_id": {"my-app"}, "redirect_uri": {"http://localhost:4180/oauth2/callback"}, "response_type": {"code"},
		"scope": {"openid"}, "state": {"s"}, "response_mode": {"form_post"}}
	cb, err := emulatortest.NewBrowser().Login(context.Background(), srv.Issuer()+"/v1/authorize?"+q.Encode(), "alice@example.com", "pa55word")
	if err != nil || cb.Params.Get("code") == "" {
		t.Fatalf("login: %v %+v", err, cb)
	}
	if _, ok := srv.User(emulator.DemoUserLogin); ok {
		t.Error("--user should replace the demo user")
	}
}

func TestIdpConfigFile(t *testing.T) {
	cfgFile := filepath.Join("..", "..", "okta", "emulator", "testdata", "idp.yaml")
	r, srv, _, _ := startIdp(t, &idpOptions{ConfigFile: cfgFile, ClientID: "0oaspa00000000000001", RedirectURIs: []string{"http://localhost:5173/cb"}, JSON: true})
	if len(r.Clients) != 3 || r.ClientID != "0oaspa00000000000001" || r.RedirectURIs[0] != "http://localhost:5173/cb" || r.ClientSecret != "" {
		t.Errorf("announcement: %+v", r)
	}
	if len(r.AuthServers) != 2 || r.AuthServers[1].Issuer != srv.URL()+"/oauth2/aus1tutorial" {
		t.Errorf("authorization servers: %+v", r.AuthServers)
	}
	for _, u := range r.Users {
		if u.Password != masked {
			t.Errorf("configured password shown without --show-secrets: %+v", u)
		}
	}
}

// TestIdpProcess: the real binary on a free port prints one JSON line, serves discovery, and
// exits 0 on SIGTERM.
func TestIdpProcess(t *testing.T) {
	cmd, line, stderr := startJSONProcess(t, "idp", "--listen", "127.0.0.1:0", "--json")
	var ready idpReady
	if err := json.Unmarshal([]byte(line), &ready); err != nil || !strings.HasPrefix(ready.Issuer, "http://127.0.0.1:") || strings.HasSuffix(ready.Issuer, ":0/oauth2/default") {
		t.Fatalf("JSON line %q: %v", line, err)
	}
	resp, err := http.Get(ready.DiscoveryURL)
	if err != nil {
		t.Fatal(err)
	}
	var disc map[string]any
	err = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if err != nil || disc["issuer"] != ready.Issuer || disc["authorization_endpoint"] != ready.Issuer+"/v1/authorize" {
		t.Fatalf("discovery: %v %v", err, disc)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) || err != nil {
			t.Errorf("exit after SIGTERM: %v\nstderr: %s", err, stderr.String())
		}
	case <-time.After(30 * time.Second): // a hang guard, not a timed assertion
		t.Fatal("oidclab idp did not exit after SIGTERM")
	}
}

// Behind a tunnel the issuer is the public URL, but the control API is only served to loopback
// requests for a loopback host name: the announced control URL must be the listen address.
func TestIdpControlURLBehindBaseURL(t *testing.T) {
	r, _, _, _ := startIdp(t, &idpOptions{JSON: true, BaseURL: "https://idp.example.test"})
	if r.Issuer != "https://idp.example.test/oauth2/default" {
		t.Errorf("issuer %s", r.Issuer)
	}
	if !strings.HasPrefix(r.ControlURL, "http://127.0.0.1:") {
		t.Fatalf("control URL %q, want the loopback listen address", r.ControlURL)
	}
	resp, err := http.Get(r.ControlURL + "requests")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %srequests: %d", r.ControlURL, resp.StatusCode)
	}
}
