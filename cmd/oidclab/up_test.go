package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/oidclab/oidclab/lab/tutorial"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway"
)

func testIO(stdin string) (*ioStreams, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &ioStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}, &out, &errOut
}

// TestUpUsageErrors: every bad input exits 2 with a message that says what to change.
func TestUpUsageErrors(t *testing.T) {
	for _, name := range tutorial.Env {
		t.Setenv(name, "") // restored after the test
		os.Unsetenv(name)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	dir := t.TempDir()
	badConfig := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badConfig, []byte("_format_version: \"1.1\"\nservices: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join("testdata", "tutorial-noplugin.yaml")
	free := []string{"--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no config, no idp", append([]string{"up", "--idp", "none"}, free...), "-c FILE"},
		{"idp port in use", []string{"up", "--listen", "127.0.0.1:0", "--admin-listen", "off", "--idp-listen", busy.Addr().String()}, "embedded IdP"},
		{"bad idp listen", append([]string{"up", "--idp-listen", "9000"}, free...), "--idp-listen"},
		{"tunnel without token", append([]string{"up", "-c", good, "--tunnel", "ngrok"}, free...), "--tunnel ngrok needs NGROK_AUTHTOKEN: ngrok needs an authtoken"},
		{"unknown tunnel", append([]string{"up", "-c", good, "--tunnel", "cloudflare"}, free...), `--tunnel "cloudflare": want auto`},
		{"ngrok domain without ngrok", append([]string{"up", "-c", good, "--tunnel", "none", "--ngrok-domain", "x.ngrok.app"}, free...), "--ngrok-domain needs --tunnel ngrok"},
		{"idp on every interface with the demo user", append([]string{"up", "--idp-listen", "0.0.0.0:0"}, free...), "--idp-listen 0.0.0.0:0 is reachable from the network"},
		{"idp on a LAN address with the demo user", append([]string{"up", "--idp-listen", "192.0.2.10:9000"}, free...), "published demo user"},
		{"idp", append([]string{"up", "-c", good, "--idp", "okta"}, free...), `--idp "okta": want local, none or auto`},
		{"ngrok domain without token", append([]string{"up", "-c", good, "--ngrok-domain", "x.ngrok.app"}, free...), "--ngrok-domain needs an ngrok tunnel: export NGROK_AUTHTOKEN"},
		{"remote admin", []string{"up", "-c", good, "--listen", "127.0.0.1:0", "--admin-listen", "0.0.0.0:0"}, "--admin-allow-remote"},
		{"bad admin address", []string{"up", "-c", good, "--listen", "127.0.0.1:0", "--admin-listen", "8001"}, "want HOST:PORT or off"},
		{"bad trusted ip", append([]string{"up", "-c", good, "--trusted-ips", "10.0.0.0/33"}, free...), "--trusted-ips"},
		{"missing file", append([]string{"up", "-c", filepath.Join(dir, "nope.yaml")}, free...), "no such file"},
		{"old format", append([]string{"up", "-c", badConfig}, free...), "_format_version"},
		{"port in use", []string{"up", "-c", good, "--listen", busy.Addr().String(), "--admin-listen", "off"}, "cannot listen on " + busy.Addr().String()},
		{"admin port in use", []string{"up", "-c", good, "--listen", "127.0.0.1:0", "--admin-listen", busy.Addr().String()}, "--admin-listen"},
		{"unknown flag", []string{"up", "--nope"}, "unknown flag"},
		{"two config files", append([]string{"up", "-c", good, "-c", good}, free...), "given twice"},
		{"tutorial variables unset", append([]string{"up", "-c", "../../lab/tutorial/kong.yaml", "--idp", "none"}, free...), "add --idp local"},
		{"bad log level", append([]string{"up", "-c", good, "--log-level", "loud"}, free...), `--log-level "loud"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, out, errOut := testIO("")
			if code := run(tt.args, io); code != int(exitUsage) {
				t.Errorf("exit %d, want %d; stderr: %s", code, exitUsage, errOut)
			}
			if !strings.Contains(errOut.String(), tt.want) {
				t.Errorf("stderr does not say %q:\n%s", tt.want, errOut)
			}
			if out.Len() != 0 {
				t.Errorf("stdout not empty: %s", out)
			}
		})
	}
}

// TestUpBusyAdminPortStartsNothing: a busy --admin-listen is found before the configuration is
// applied or the IdP started, so the error is the only thing said.
func TestUpBusyAdminPortStartsNothing(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	io, _, errOut := testIO("")
	args := []string{"up", "--listen", "127.0.0.1:0", "--idp-listen", "127.0.0.1:0", "--admin-listen", busy.Addr().String()}
	if code := run(args, io); code != int(exitUsage) {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	if got := strings.TrimSpace(errOut.String()); strings.Count(got, "\n") != 0 || !strings.Contains(got, "--admin-listen") {
		t.Errorf("want only the busy-port error on stderr, got:\n%s", got)
	}
}

// TestUpReportsEveryProblemAtOnce: the file's own problems and the plugin's config problems
// come in one error, so one edit fixes everything.
func TestUpReportsEveryProblemAtOnce(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kong.yaml")
	yaml := `_format_version: "3.0"
services:
  - name: example-service
    url: http://httpbin.konghq.com/anything
    retriez: 3
plugins:
  - name: openid-connect
    service: example-service
    config:
      issuer: not a url
`
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	io, _, errOut := testIO("")
	if code := run([]string{"up", "-c", file, "--listen", "127.0.0.1:0", "--admin-listen", "off"}, io); code != int(exitUsage) {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	for _, want := range []string{"services.0.retriez (line 5)", "plugins.0.config.issuer (line 10)"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr does not report %q:\n%s", want, errOut)
		}
	}
}

// TestUpServesFromStdin runs upRun in-process on a config read from stdin, talks to both
// listeners and stops it by cancelling its context (what SIGINT does).
func TestUpServesFromStdin(t *testing.T) {
	cfg, err := os.ReadFile(filepath.Join("testdata", "tutorial-noplugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	io, out, errOut := testIO(string(cfg))
	readyc := make(chan upReady, 1)
	opts := &upOptions{
		IO: io, ConfigFile: "-", Listen: "127.0.0.1:0", AdminListen: "127.0.0.1:0",
		Tunnel: "none", IdP: "none", JSON: true, ShutdownTimeout: 5 * time.Second,
		Plugins: gateway.Plugins{}, ready: func(r upReady) { readyc <- r },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- upRun(ctx, opts) }()
	var ready upReady
	select {
	case ready = <-readyc:
	case err := <-done:
		t.Fatalf("upRun returned early: %v\n%s", err, errOut)
	}

	resp, err := http.Get(ready.ProxyURL + "/anything?x=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := readAll(resp)
	if resp.StatusCode != 200 || !strings.Contains(body, `"url": "http://httpbin.konghq.com/anything?x=1"`) {
		t.Errorf("proxy: %d %s", resp.StatusCode, body)
	}
	resp, err = http.Get(*ready.AdminURL + "/routes/example-route")
	if err != nil {
		t.Fatal(err)
	}
	if body, _ := readAll(resp); resp.StatusCode != 200 || !strings.Contains(body, `"/anything"`) {
		t.Errorf("admin: %d %s", resp.StatusCode, body)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("upRun: %v", err)
	}
	var line upReady
	if err := json.Unmarshal(out.Bytes(), &line); err != nil || line.ProxyURL != ready.ProxyURL || line.PublicURL != ready.ProxyURL {
		t.Errorf("--json stdout %q: %v", out, err)
	}
	if strings.Count(out.String(), "\n") != 1 {
		t.Errorf("stdout must be exactly one line: %q", out)
	}
	if !strings.Contains(errOut.String(), "example-service") {
		t.Errorf("stderr does not say which services the echo answers:\n%s", errOut)
	}
}

func readAll(resp *http.Response) (string, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// TestUpProcess builds oidclab and runs `oidclab up` as a user would: JSON readiness line,
// a request through the echo upstream, SIGTERM, exit 0; then a second instance on the same
// port exits 2.
func TestUpProcess(t *testing.T) {
	cmd, line, stderr := startJSONProcess(t, "up", "-c", "testdata/tutorial-noplugin.yaml",
		"--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--json")
	var ready upReady
	if err := json.Unmarshal([]byte(line), &ready); err != nil || ready.ProxyURL == "" || ready.AdminURL == nil {
		t.Fatalf("readiness line %q: %v", line, err)
	}

	resp, err := http.Get(ready.ProxyURL + "/anything")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := readAll(resp)
	var echo struct {
		Method  string            `json:"method"`
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
	}
	if err := json.Unmarshal([]byte(body), &echo); err != nil || echo.Method != "GET" ||
		echo.URL != "http://httpbin.konghq.com/anything" || echo.Headers["Host"] != "httpbin.konghq.com" {
		t.Errorf("echo through oidclab up: %d %s (%v)", resp.StatusCode, body, err)
	}

	// A second instance on the same proxy port: a clear error and exit 2.
	addr := strings.TrimPrefix(ready.ProxyURL, "http://")
	second := exec.Command(oidclabBinary(t), "up", "-c", "testdata/tutorial-noplugin.yaml", "--listen", addr, "--admin-listen", "off")
	out, err := second.CombinedOutput()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 2 || !strings.Contains(string(out), "cannot listen on "+addr) {
		t.Errorf("second instance on a busy port: %v\n%s", err, out)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM: %v\nstderr: %s", err, stderr.String())
	}
	if strings.Contains(stderr.String(), `"level":"ERROR"`) || !strings.Contains(stderr.String(), "shutting down") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

// blockingWriter holds every write until release is closed, like a terminal that stopped reading.
type blockingWriter struct {
	release chan struct{}
	mu      sync.Mutex
	got     bytes.Buffer
}

func (b *blockingWriter) Write(p []byte) (int, error) {
	<-b.release
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.got.Write(p)
}

// TestAsyncWriterNeverHoldsTheWriter: lines written while stderr is stuck return at once (the
// proxy goes on), past the buffer they are counted rather than waited for, and Close writes
// out every buffered line, in order, before returning.
func TestAsyncWriterNeverHoldsTheWriter(t *testing.T) {
	under := &blockingWriter{release: make(chan struct{})}
	a := newAsyncWriter(under)
	line := strings.Repeat("x", 1023) + "\n"
	fit := maxAsyncPending / len(line)
	total := 2 * fit
	for range total {
		if n, err := a.Write([]byte(line)); n != len(line) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	close(under.release)
	a.Close()
	_, _ = a.Write([]byte("after close\n"))
	// Every line is either written or counted in a note where it was dropped; how many are
	// written depends on when the writer goroutine took its first batch.
	rest, ok := strings.CutSuffix(under.got.String(), "after close\n")
	if !ok {
		t.Fatal("the line written after Close is missing or out of order")
	}
	kept, dropped, notes := 0, 0, 0
	for _, l := range strings.SplitAfter(rest, "\n") {
		var n int
		_, err := fmt.Sscanf(l, "oidclab: %d log lines dropped: standard error was not being read\n", &n)
		switch {
		case l == "":
		case l == line:
			kept++
		case err == nil && n > 0:
			dropped += n
			notes++
		default:
			t.Fatalf("unexpected output %q", l)
		}
	}
	if kept < fit || kept+dropped != total || notes == 0 {
		t.Errorf("%d lines written and %d counted as dropped in %d notes; want at least %d written, %d in all",
			kept, dropped, notes, fit, total)
	}
}

// TestUpNamesStandardInput: the ready line says where the configuration came from in words.
func TestUpNamesStandardInput(t *testing.T) {
	cfg, err := os.ReadFile(filepath.Join("testdata", "tutorial-noplugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	io, _, errOut := testIO(string(cfg))
	ctx, cancel := context.WithCancel(context.Background())
	opts := &upOptions{
		IO: io, ConfigFile: "-", Listen: "127.0.0.1:0", AdminListen: "off",
		Tunnel: "none", IdP: "none", ShutdownTimeout: 5 * time.Second,
		Plugins: gateway.Plugins{}, ready: func(upReady) { cancel() },
	}
	if err := upRun(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "0 plugins from standard input\n") {
		t.Errorf("ready line does not name standard input:\n%s", errOut)
	}
}
