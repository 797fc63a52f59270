package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The real binary, built once for every process test of the package.
var (
	builtOnce sync.Once
	builtDir  string
	builtBin  string
	builtErr  error
	builtOut  []byte
)

// oidclabBinary builds ./cmd/oidclab once and returns its path.
func oidclabBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	builtOnce.Do(func() {
		// Not t.TempDir: the binary outlives the first test; TestMain removes the directory.
		dir, err := os.MkdirTemp("", "oidclab-bin-")
		if err != nil {
			builtErr = err
			return
		}
		builtDir, builtBin = dir, filepath.Join(dir, "oidclab")
		builtOut, builtErr = exec.Command("go", "build", "-buildvcs=false", "-o", builtBin, ".").CombinedOutput() // no git needed
	})
	if builtErr != nil {
		t.Fatalf("go build: %v\n%s", builtErr, builtOut)
	}
	return builtBin
}

// startJSONProcess runs the binary with args and returns it with the first line it printed on
// stdout (the --json readiness line) and its stderr; t's cleanup kills it if still running.
func startJSONProcess(t *testing.T, args ...string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(oidclabBinary(t), args...)
	stderr := &bytes.Buffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no JSON line from %v: %v\nstderr: %s", args, err, stderr)
	}
	return cmd, line, stderr
}

func TestMain(m *testing.M) {
	// A developer's token must not make tests dial ngrok (--tunnel auto would).
	os.Unsetenv(envNgrokAuthtoken)
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}
