package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func writeScenario(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunCommand(t *testing.T) {
	failing := writeScenario(t, "name: wants-a-403\nsteps:\n  - login: {}\n  - expect: {status: 403}\n")
	bad := writeScenario(t, "name: bad\nsteps:\n  - visit: /\n  - expect: {statuz: 200}\n")
	junit := filepath.Join(t.TempDir(), "report.xml")
	tests := []struct {
		name       string
		args       []string
		code       exitCode
		out, errs  []string
		notOut     []string
		junitCases int
	}{
		{name: "no name runs the tutorial", args: []string{"run"}, code: exitOK,
			out: []string{"✓ tutorial", "1 passed, 0 failed"}, notOut: []string{"browser trace:"}, errs: []string{"passed tutorial"}},
		{name: "trace on request", args: []string{"run", "tutorial", "--trace"}, code: exitOK,
			out: []string{"browser trace:", "gateway and IdP:", "id token verified"}},
		{name: "a failing scenario", args: []string{"run", failing, "session", "--junit", junit}, code: exitFailure,
			out: []string{"✗ wants-a-403", "step 2 (expect, line 4): status 200, want 403", "browser trace:", "✓ session", "1 passed, 1 failed"}, junitCases: 2},
		{name: "a bad scenario file", args: []string{"run", bad}, code: exitUsage,
			errs: []string{"line 4: step 2 (expect): unknown field statuz"}},
		{name: "an unknown name", args: []string{"run", "tutorialz"}, code: exitUsage,
			errs: []string{`"tutorialz" is neither a built-in scenario`}},
		{name: "bad flags", args: []string{"run", "--browser", "firefox"}, code: exitUsage, errs: []string{`--browser "firefox"`}},
		{name: "all with names", args: []string{"run", "--all", "tutorial"}, code: exitUsage, errs: []string{"--all"}},
		{name: "list", args: []string{"run", "--list"}, code: exitOK,
			out: []string{"tutorial ", "user-not-assigned ", "state-cookie-lost "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, _, out, errOut := testIOStreams()
			if code := runContext(context.Background(), tt.args, io); code != int(tt.code) {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			for _, w := range tt.out {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout does not say %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notOut {
				if strings.Contains(out.String(), w) {
					t.Errorf("stdout says %q:\n%s", w, out)
				}
			}
			for _, w := range tt.errs {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr does not say %q:\n%s", w, errOut)
				}
			}
			if tt.junitCases > 0 {
				b, err := os.ReadFile(junit)
				if err != nil {
					t.Fatal(err)
				}
				var doc struct {
					Suites []struct {
						Cases []struct{} `xml:"testcase"`
					} `xml:"testsuite"`
				}
				if err := xml.Unmarshal(b, &doc); err != nil || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != tt.junitCases {
					t.Errorf("junit file: %v\n%s", err, b)
				}
			}
		})
	}
}

func TestRunJSON(t *testing.T) {
	io, _, out, _ := testIOStreams()
	if code := runContext(context.Background(), []string{"run", "--json", "--parallel", "2", "tutorial", "wrong-client-secret"}, io); code != int(exitOK) {
		t.Fatalf("exit %d", code)
	}
	var rep struct {
		Passed    int `json:"passed"`
		Scenarios []struct {
			Name    string   `json:"name"`
			Reasons []string `json:"reasons"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, out)
	}
	if rep.Passed != 2 || len(rep.Scenarios) != 2 || rep.Scenarios[1].Reasons[0] != "client_auth_failed" {
		t.Errorf("report: %+v", rep)
	}
}

// The main command without a terminal (CI, `go run ./cmd/oidclab </dev/null`) validates the
// tutorial's login once and exits 0, instead of serving forever.
func TestMainCommandWithoutATerminal(t *testing.T) {
	cmd := exec.Command(oidclabBinary(t))
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	cmd.Stdin = devnull
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oidclab </dev/null: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "✓ tutorial") || !strings.Contains(string(out), "1 passed, 0 failed") {
		t.Errorf("report:\n%s", out)
	}
}

// Errors quote files and servers; none reaches the terminal with its control characters.
func TestErrorsAreTerminalSafe(t *testing.T) {
	io, _, _, errOut := testIOStreams()
	runContext(context.Background(), []string{"up", "-c", "no-such-\x1b]0;title\x07.yaml"}, io)
	if strings.ContainsAny(errOut.String(), "\x1b\x07") || !strings.Contains(errOut.String(), `no-such-\x1b]0;title\x07.yaml`) {
		t.Errorf("stderr: %q", errOut.String())
	}
}
