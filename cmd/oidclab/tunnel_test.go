package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/lab/tutorial"
	"github.com/oidclab/oidclab/tunnel"
	"github.com/oidclab/oidclab/tunnel/tunneltest"
)

const testToken = "2testTOKENabcdefghijklmnopqrstuvwxyz_0123456789"

func tokenEnv(name string) (string, bool) {
	if name == envNgrokAuthtoken {
		return testToken, true
	}
	return "", false
}

func fakeTunnels(p *tunneltest.Provider) func(string) (tunnel.Provider, error) {
	return func(name string) (tunnel.Provider, error) {
		if name != "ngrok" {
			return nil, errors.New("want ngrok, got " + name)
		}
		return p, nil
	}
}

// With NGROK_AUTHTOKEN set, `up` (--tunnel auto) serves the tutorial on the tunnel: --json says
// its public URL, the redirect URI is on it, and the token is handed to the tunnel only.
func TestUpWithTunnel(t *testing.T) {
	t.Chdir(t.TempDir()) // the tunnel note (.oidclab/tunnel.json) goes to the working directory
	fake := &tunneltest.Provider{}
	io, out, errOut := testIO("")
	readyc := make(chan upReady, 1)
	opts := &upOptions{
		IO: io, Listen: "127.0.0.1:0", AdminListen: "off", IdP: "auto", IdPListen: "127.0.0.1:0",
		Tunnel: "auto", NgrokDomain: "example.ngrok-free.dev", TunnelTimeout: 3 * time.Second,
		JSON: true, ShutdownTimeout: 5 * time.Second,
		lookupEnv: tokenEnv, tunnels: fakeTunnels(fake),
		ready: func(r upReady) { readyc <- r },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- upRun(ctx, opts) }()
	select {
	case <-readyc:
	case err := <-done:
		t.Fatalf("upRun: %v\n%s", err, errOut)
	}
	// While it runs, okta setup in another terminal finds the tunnel's redirect URI (its own
	// streams: up is still writing to its stderr).
	other, _, _ := testIO("")
	if uris, ok := redirectFromTunnel(other); !ok || len(uris) != 1 || uris[0] != tunneltest.DefaultURL+tutorial.Path {
		t.Errorf("the running tunnel is not noted: %v %v", uris, ok)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("upRun: %v", err)
	}
	if _, ok := redirectFromTunnel(other); ok {
		t.Error("the tunnel note outlived the tunnel")
	}
	var ready upReady
	if err := json.Unmarshal(out.Bytes(), &ready); err != nil {
		t.Fatalf("--json %q: %v", out, err)
	}
	if ready.PublicURL != tunneltest.DefaultURL || ready.Tunnel != "ngrok" || ready.IdP == nil || ready.IdP.RedirectURI != tunneltest.DefaultURL+tutorial.Path {
		t.Errorf("ready line: %s", out)
	}
	cfgs := fake.Configs()
	if len(cfgs) != 1 || cfgs[0].Authtoken != testToken || cfgs[0].Domain != "example.ngrok-free.dev" || cfgs[0].ConnectTimeout != 3*time.Second {
		t.Errorf("tunnel configs: %+v", cfgs)
	}
	if !fake.Opened()[0].Closed() {
		t.Error("the tunnel is still open after up returned")
	}
	if strings.Contains(out.String()+errOut.String(), testToken) {
		t.Error("the token was printed")
	}
}

// The announcement for a person names the public URL and ngrok's browser warning page.
func TestUpAnnouncesTunnel(t *testing.T) {
	t.Chdir(t.TempDir()) // the tunnel note (.oidclab/tunnel.json) goes to the working directory
	fake := &tunneltest.Provider{}
	io, _, errOut := testIO("")
	opts := &upOptions{
		IO: io, Listen: "127.0.0.1:0", AdminListen: "off", IdP: "auto", IdPListen: "127.0.0.1:0",
		Tunnel: "ngrok", TunnelTimeout: time.Second, ShutdownTimeout: 5 * time.Second, LogLevel: "warn",
		lookupEnv: tokenEnv, tunnels: fakeTunnels(fake),
	}
	ctx, cancel := context.WithCancel(context.Background())
	opts.ready = func(upReady) { cancel() }
	if err := upRun(ctx, opts); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"public     " + tunneltest.DefaultURL, "ngrok-skip-browser-warning", "Visit Site", "open " + tunneltest.DefaultURL + "/anything"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

// A tunnel that does not open says what to do, with the right exit code.
func TestUpTunnelErrors(t *testing.T) {
	for _, tt := range []struct {
		err  *tunnel.Error
		code exitCode
	}{
		{&tunnel.Error{Provider: "ngrok", Code: "ERR_NGROK_107", Advice: tunnel.AdviceFor("ERR_NGROK_107")}, exitUsage},
		{&tunnel.Error{Provider: "ngrok", Timeout: true, Advice: "check the network"}, exitFailure},
	} {
		io, _, _ := testIO("")
		opts := &upOptions{
			IO: io, Listen: "127.0.0.1:0", AdminListen: "off", IdP: "auto", IdPListen: "127.0.0.1:0",
			Tunnel: "ngrok", TunnelTimeout: time.Second, ShutdownTimeout: time.Second,
			lookupEnv: tokenEnv, tunnels: fakeTunnels(&tunneltest.Provider{Err: tt.err}),
		}
		err := upRun(context.Background(), opts)
		if exitCodeFor(err) != tt.code || !strings.Contains(err.Error(), tt.err.Advice) || !strings.Contains(err.Error(), "cannot open the tunnel") {
			t.Errorf("%+v: err = %v (exit %d)", tt.err, err, exitCodeFor(err))
		}
	}
}

// The real ngrok provider with a bogus token, from the binary: ngrok's service is unreachable
// from the test sandbox (and would refuse the token if it were not); either way the watchdog
// ends it within --tunnel-timeout, with advice, and the token is never echoed.
func TestUpBogusTokenProcess(t *testing.T) {
	bin := oidclabBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "up", "--tunnel", "ngrok", "--tunnel-timeout", "2s",
		"--listen", "127.0.0.1:0", "--admin-listen", "off", "--idp-listen", "127.0.0.1:0", "--log-level", "debug")
	cmd.Env = append(os.Environ(), envNgrokAuthtoken+"="+testToken)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() == 0 {
		t.Fatalf("want a failure, got %v:\n%s", err, out)
	}
	if took > 8*time.Second {
		t.Errorf("took %s with --tunnel-timeout 2s", took)
	}
	text := string(out)
	if !strings.Contains(text, "cannot open the tunnel") || !(strings.Contains(text, "--tunnel-timeout") || strings.Contains(text, "export NGROK_AUTHTOKEN")) {
		t.Errorf("no advice:\n%s", text)
	}
	if strings.Contains(text, testToken) {
		t.Errorf("the token was echoed:\n%s", text)
	}
	t.Logf("after %s:\n%s", took.Round(time.Millisecond), text)
}

// `oidclab tunnel` forwards the tunnel to a gateway running elsewhere, as https, and prints
// the DECK_NGROK_HOST line.
func TestTunnelCommandForwards(t *testing.T) {
	t.Chdir(t.TempDir()) // the tunnel note (.oidclab/tunnel.json) goes to the working directory
	got := make(chan *http.Request, 1)
	kong := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Clone(context.Background())
		io.WriteString(w, "kong says hi")
	}))
	defer kong.Close()
	fake := &tunneltest.Provider{}
	ios, out, errOut := testIO("")
	readyc := make(chan tunnelReady, 1)
	opts := &tunnelOptions{IO: ios, To: strings.TrimPrefix(kong.URL, "http://"), ShutdownTimeout: 5 * time.Second,
		ready: func(r tunnelReady) { readyc <- r }}
	opts.TunnelTimeout, opts.lookupEnv, opts.providers = time.Second, tokenEnv, fakeTunnels(fake)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tunnelRun(ctx, opts) }()
	var ready tunnelReady
	select {
	case ready = <-readyc:
	case err := <-done:
		t.Fatalf("tunnelRun: %v\n%s", err, errOut)
	}
	if ready.PublicURL != tunneltest.DefaultURL || ready.DeckNgrokHost != tunneltest.DefaultURL+"/anything" {
		t.Errorf("ready: %+v", ready)
	}
	req, _ := http.NewRequest("GET", "http://"+fake.Opened()[0].Addr().String()+"/anything", nil)
	req.Host = strings.TrimPrefix(tunneltest.DefaultURL, "https://")
	req.Header.Set("X-Forwarded-Proto", "http")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(body) != "kong says hi" {
		t.Errorf("through the tunnel: %d %s", res.StatusCode, body)
	}
	r := <-got
	if r.Header.Get("X-Forwarded-Proto") != "https" || r.Host != req.Host {
		t.Errorf("the gateway saw Host %q, X-Forwarded-Proto %q", r.Host, r.Header.Get("X-Forwarded-Proto"))
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("tunnelRun: %v", err)
	}
	if want := "export DECK_NGROK_HOST=" + tunneltest.DefaultURL + "/anything\n"; out.String() != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
	if !fake.Opened()[0].Closed() || strings.Contains(out.String()+errOut.String(), testToken) {
		t.Errorf("closed %v; stderr:\n%s", fake.Opened()[0].Closed(), errOut)
	}
}

func TestTunnelCommandUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"tunnel"}, "--to is required"},
		{[]string{"tunnel", "--to", "8000"}, "want HOST:PORT"},
		{[]string{"tunnel", "--to", "127.0.0.1:8000"}, "needs NGROK_AUTHTOKEN"},
		{[]string{"tunnel", "--to", "127.0.0.1:8000", "stray"}, "stray"},
	} {
		io, out, errOut := testIO("")
		if code := run(tt.args, io); code != int(exitUsage) || !strings.Contains(errOut.String(), tt.want) || out.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q, want %q", tt.args, code, errOut, tt.want)
		}
	}
}

// A note left by a process that is gone is not taken for a running tunnel.
func TestStaleTunnelNote(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.MkdirAll(".oidclab", 0o700); err != nil {
		t.Fatal(err)
	}
	// The largest pid Linux allows is 2^22; this one cannot exist.
	if err := os.WriteFile(tunnelStateFile, []byte(`{"public_url":"https://x.ngrok.app","redirect_uri":"https://x.ngrok.app/anything","pid":8388607}`), 0o600); err != nil {
		t.Fatal(err)
	}
	io, _, _ := testIO("")
	if uris, ok := redirectFromTunnel(io); ok {
		t.Errorf("a stale note was used: %v", uris)
	}
}

// okta setup and sync take the running tunnel's redirect URI when --redirect-uri is left out.
func TestOktaTakesTheRunningTunnel(t *testing.T) {
	t.Chdir(t.TempDir())
	remove, err := noteTunnel(tunnelStateFile, "https://x.ngrok.app", "https://x.ngrok.app/anything")
	if err != nil {
		t.Fatal(err)
	}
	defer remove()
	io, _, errOut := testIO("")
	err = oktaSetupRun(context.Background(), &oktaSetupOptions{
		oktaOptions: oktaOptions{IO: io, StateFile: filepath.Join(t.TempDir(), "s.json"), lookupEnv: func(string) (string, bool) { return "", false }},
		OrgURL:      "https://example.okta.com", User: "a@example.com"})
	if !strings.Contains(errOut.String(), "using the running tunnel's redirect URI https://x.ngrok.app/anything") {
		t.Errorf("stderr: %s", errOut)
	}
	if err != nil && strings.Contains(err.Error(), "--redirect-uri") {
		t.Errorf("still asks for --redirect-uri: %v", err)
	}
}
