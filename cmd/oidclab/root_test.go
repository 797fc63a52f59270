package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// commandPaths lists every command of the tree as the words that name it ("" for the root).
func commandPaths(t *testing.T) [][]string {
	t.Helper()
	io, _, _, _ := testIOStreams()
	var paths [][]string
	walkCommands(newRootCmd(io), func(c *cobra.Command) {
		words := strings.Fields(c.CommandPath())[1:]
		paths = append(paths, words)
	})
	if len(paths) < 5 { // root, up, idp, version, completion and its shells
		t.Fatalf("the tree has only %v", paths)
	}
	return paths
}

// TestEveryCommandRefusesStrayArguments: a word no command takes is a usage error (exit 2)
// on every command, with and without --help, and nothing reaches stdout. A command that takes
// arguments (run: scenario names or files) judges the word when it runs, so only the plain
// form is an error there; with --help it shows its help.
func TestEveryCommandRefusesStrayArguments(t *testing.T) {
	io, _, _, _ := testIOStreams()
	root := newRootCmd(io)
	for _, path := range commandPaths(t) {
		extras := [][]string{{"stray"}, {"stray", "--help"}, {"--help", "stray"}}
		if c, _, err := root.Find(path); err == nil && len(path) > 0 && c.ValidateArgs([]string{"stray"}) == nil {
			extras = extras[:1]
		}
		for _, extra := range extras {
			args := append(append([]string{}, path...), extra...)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				io, _, out, errOut := testIOStreams()
				if code := run(args, io); code != int(exitUsage) {
					t.Errorf("exit %d, want %d; stderr: %s", code, exitUsage, errOut)
				}
				if !strings.HasPrefix(errOut.String(), "oidclab: ") || !strings.Contains(errOut.String(), `"stray"`) {
					t.Errorf("stderr does not name the stray word:\n%s", errOut)
				}
				if out.Len() != 0 {
					t.Errorf("stdout not empty:\n%s", out)
				}
			})
		}
	}
}

func TestEveryCommandChecksItsArguments(t *testing.T) {
	io, _, _, _ := testIOStreams()
	walkCommands(newRootCmd(io), func(c *cobra.Command) {
		if c.Args == nil {
			t.Errorf("%s has no Args: cobra would take any word as an argument", c.CommandPath())
			return
		}
		var ue *usageError
		if err := c.Args(c, []string{"stray", "words", "and", "more", "of", "them"}); err != nil && !errors.As(err, &ue) {
			t.Errorf("%s: argument error %T is not a *usageError: %v", c.CommandPath(), err, err)
		}
	})
}

func TestUnknownCommands(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"mesh", "apply", "--help"}, []string{`unknown command "mesh" for "oidclab"`, "Run 'oidclab --help' for usage."}},
		{[]string{"nosuch"}, []string{`unknown command "nosuch" for "oidclab"`}},
		{[]string{"--json", "nosuch"}, []string{`unknown command "nosuch" for "oidclab"`}},
		{[]string{"upp"}, []string{`unknown command "upp" for "oidclab"`, "Did you mean this?\n", "\tup\n"}},
		{[]string{"help", "mesh"}, []string{`unknown command "mesh" for "oidclab"`, "Run 'oidclab --help' for usage."}},
		{[]string{"help", "up", "nosuch"}, []string{`unexpected argument "nosuch": 'oidclab up' takes no arguments`}},
		{[]string{"completion", "nosuch", "-h"}, []string{`unknown command "nosuch" for "oidclab completion"`}},
		{[]string{"up", "--nope"}, []string{"unknown flag: --nope", "Run 'oidclab up --help' for usage."}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			io, _, out, errOut := testIOStreams()
			if code := run(tt.args, io); code != int(exitUsage) {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			for _, want := range tt.want {
				if !strings.Contains(errOut.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut)
				}
			}
			if out.Len() != 0 {
				t.Errorf("stdout not empty (the root's help?):\n%s", out)
			}
		})
	}
}

// Help that was asked for properly still goes to stdout and exits 0.
func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "oidclab up -c kong.yaml"},
		{[]string{"-h"}, "Available Commands:"},
		{[]string{"help"}, "Available Commands:"},
		{[]string{"help", "up"}, "Run oidclab's embedded Kong-compatible gateway"},
		{[]string{"up", "--help"}, "--config"},
		{[]string{"idp", "-h"}, "--client-id"},
		{[]string{"help", "completion", "bash"}, "bash"},
		{[]string{"completion"}, "Available Commands:"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			io, _, out, errOut := testIOStreams()
			if code := run(tt.args, io); code != int(exitOK) {
				t.Errorf("exit %d, want 0; stderr: %s", code, errOut)
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("stdout lacks %q:\n%s", tt.want, out)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	io, _, out, errOut := testIOStreams()
	if code := run([]string{"version", "--json"}, io); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, errOut)
	}
	var v map[string]string
	if err := json.Unmarshal(out.Bytes(), &v); err != nil || v["version"] != version || v["go"] != runtime.Version() {
		t.Errorf("version --json: %v %q", err, out)
	}

	io, _, out, _ = testIOStreams()
	if code := run([]string{"version"}, io); code != 0 || out.String() != fmt.Sprintf("oidclab %s (%s)\n", version, runtime.Version()) {
		t.Errorf("version: exit %d, %q", code, out)
	}
}

func TestExitCodeFor(t *testing.T) {
	tests := []struct {
		err  error
		want exitCode
	}{
		{nil, exitOK},
		{errors.New("login failed"), exitFailure},
		{errSilent, exitFailure},
		{usageErrorf("--listen: want HOST:PORT"), exitUsage},
		{fmt.Errorf("loading: %w", asUsage(errors.New("bad file"))), exitUsage},
		{errors.Join(errors.New("a"), asUsage(errors.New("b"))), exitUsage},
	}
	for _, tt := range tests {
		if got := exitCodeFor(tt.err); got != tt.want {
			t.Errorf("exitCodeFor(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// signalWriter is a stdout that says when the first line has been written.
type signalWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	had := bytes.Contains(w.buf.Bytes(), []byte("\n"))
	w.buf.Write(p)
	if !had && bytes.Contains(w.buf.Bytes(), []byte("\n")) {
		close(w.ready)
	}
	return len(p), nil
}

// TestCommandsStopWithTheContext: the serving commands stop, successfully, when the one
// context run hands every command ends (as it does on SIGINT or SIGTERM).
func TestCommandsStopWithTheContext(t *testing.T) {
	local := []string{"--listen", "127.0.0.1:0", "--admin-listen", "off", "--json"}
	tests := []struct {
		name string
		args []string
	}{
		{"idp", []string{"idp", "--listen", "127.0.0.1:0", "--json"}},
		{"up", append([]string{"up", "-c", filepath.Join("testdata", "tutorial-noplugin.yaml")}, local...)},
		{"bare oidclab", append([]string{"--idp-listen", "127.0.0.1:0", "--open=false"}, local...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, _, _, errOut := testIOStreams()
			out := &signalWriter{ready: make(chan struct{})}
			io.Out = out
			io.ErrOut = &lockedWriter{w: errOut}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan int, 1)
			go func() { done <- runContext(ctx, tt.args, io) }()
			select {
			case <-out.ready:
			case code := <-done:
				t.Fatalf("ended before it was ready: exit %d", code)
			case <-time.After(30 * time.Second): // a hang guard, not a timed assertion
				t.Fatal("not ready after 30s")
			}
			cancel()
			select {
			case code := <-done:
				if code != int(exitOK) {
					t.Errorf("exit %d after the context ended, want 0", code)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("still running 30s after the context ended")
			}
		})
	}
}

// TestUnknownCommandProcess: the real binary exits 2 for an unknown command asked for help,
// the way a script sees it.
func TestUnknownCommandProcess(t *testing.T) {
	cmd := exec.Command(oidclabBinary(t), "mesh", "apply", "--help")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != int(exitUsage) {
		t.Fatalf("exit: %v, want status %d\nstderr: %s", err, exitUsage, &stderr)
	}
	if stdout.Len() != 0 || !strings.Contains(stderr.String(), `unknown command "mesh" for "oidclab"`) {
		t.Errorf("stdout %q\nstderr %q", &stdout, &stderr)
	}
}
