package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// envRequireBrowser is scenarios/browser/browsertest's rule, mirrored for the terminal: a
// missing tmux skips, unless CI asks for every real-environment test to run.
const envRequireBrowser = "OIDCLAB_REQUIRE_BROWSER"

// tmuxWalk runs the built binary in a detached 80×24 tmux session, as a person at a terminal
// would, with its own config directory and free ports.
type tmuxWalk struct {
	t       *testing.T
	session string
}

func startTmuxWalk(t *testing.T) *tmuxWalk {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv(envRequireBrowser) == "1" {
			t.Fatalf("tmux not found (%s=1: the terminal test must run)", envRequireBrowser)
		}
		t.Skipf("skipping the real-terminal test: tmux not found (set %s=1 to make this a failure)", envRequireBrowser)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "oidclab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// Its own tmux server per test: parallel tests and a developer's own tmux never meet.
	w := &tmuxWalk{t: t, session: fmt.Sprintf("oidclab-%s-%d", t.Name(), os.Getpid())}
	// CI unset: the walkthrough is for a person, and CI=true means nobody is there.
	shell := "env -u CI XDG_CONFIG_HOME=" + filepath.Join(dir, "config") + " HOME=" + dir + " TERM=xterm-256color " +
		bin + " --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --idp-listen 127.0.0.1:0; echo EXITED $?; sleep 60"
	cmd := exec.Command("tmux", "-L", w.session, "-f", "/dev/null", "new-session", "-d", "-s", w.session, "-x", "80", "-y", "24", shell)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", w.session, "kill-server").Run() })
	return w
}

func (w *tmuxWalk) tmux(args ...string) string {
	w.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", w.session}, args...)...).CombinedOutput()
	if err != nil {
		w.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (w *tmuxWalk) keys(keys ...string) {
	w.t.Helper()
	for _, k := range keys {
		w.tmux("send-keys", "-t", w.session, k)
	}
}

func (w *tmuxWalk) typeText(s string) {
	w.t.Helper()
	w.tmux("send-keys", "-t", w.session, "-l", s)
}

func (w *tmuxWalk) screen() string { return w.tmux("capture-pane", "-p", "-t", w.session) }

// waitFor polls the screen until it shows want. The bound is a guard against a hang, not a
// timing assertion.
func (w *tmuxWalk) waitFor(want string) string {
	w.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		s := w.screen()
		if strings.Contains(s, want) {
			return s
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("the screen never showed %q; it shows:\n%s", want, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// toAppStep walks the screens every walk shares: the gateway started, no tunnel, on to the
// Okta application step.
func (w *tmuxWalk) toAppStep() {
	w.t.Helper()
	w.waitFor("Press enter to start the gateway")
	w.keys("Enter")
	w.waitFor("✓ running")
	w.keys("Enter")
	w.waitFor("No tunnel")
	w.keys("Enter")
}

func TestWalkthroughInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	w := startTmuxWalk(t)
	w.toAppStep()
	w.waitFor("use the embedded client")
	w.keys("e", "Enter")
	w.waitFor("Authorization server")
	w.keys("Enter")
	w.waitFor("discovery answered")
	w.keys("Enter")
	w.waitFor("Press a to apply")
	s := w.screen()
	if !strings.Contains(s, "<redacted>") {
		t.Errorf("the decK file is not shown redacted:\n%s", s)
	}
	w.keys("a")
	w.waitFor("applied to the running gateway")
	w.keys("Enter")
	w.waitFor("H logs in headless")
	w.keys("H")
	w.waitFor("login validated")
	s = w.waitFor("Bearer <redacted>") // the headless driver's page comes after the hops
	for _, want := range []string{"browser  gateway", "/v1/keys 200", "preferred_username=demo@example.com"} {
		if !strings.Contains(s, want) {
			t.Errorf("the success screen lacks %q:\n%s", want, s)
		}
	}
	w.keys("Enter")
	w.waitFor("Repeat this run in CI")
	w.keys("q")
	w.waitFor("EXITED 0")
}

func TestWalkthroughWrongSecretInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	w := startTmuxWalk(t)
	w.toAppStep()
	w.waitFor("type a client ID")
	w.keys("t")
	w.typeText("not-the-secret")
	s := w.screen()
	if strings.Contains(s, "not-the-secret") {
		t.Fatalf("the typed secret is on screen:\n%s", s)
	}
	w.keys("Enter")
	w.waitFor("Authorization server")
	w.keys("Enter")
	w.waitFor("discovery answered")
	w.keys("Enter")
	w.waitFor("Press a to apply")
	w.keys("a")
	w.waitFor("applied to the running gateway")
	w.keys("Enter")
	w.waitFor("H logs in headless")
	w.keys("H")
	s = w.waitFor("back to Okta app")
	for _, want := range []string{"✗", "client_auth_failed", "client_secret"} {
		if !strings.Contains(s, want) {
			t.Errorf("the failure screen lacks %q:\n%s", want, s)
		}
	}
	w.keys("b")
	w.waitFor("use the embedded client")
	w.keys("e", "Enter")
	w.waitFor("Authorization server")
	w.keys("Enter")
	w.waitFor("Press a to apply")
	w.keys("a")
	w.waitFor("applied to the running gateway")
	w.keys("Enter")
	w.waitFor("H logs in headless")
	w.keys("H")
	w.waitFor("login validated")
	w.keys("C-c")
	w.waitFor("EXITED 0")
}
