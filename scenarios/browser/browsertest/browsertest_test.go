package browsertest

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/oidclab/oidclab/scenarios/browser"
)

// fakeTB records how the helper ended the test. Skipf and Fatalf stop the goroutine, as
// testing.T's do, so the helper's code after them never runs.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper()                   {}
func (f *fakeTB) Cleanup(func())            {}
func (f *fakeTB) Skipf(s string, a ...any)  { f.skipped = fmt.Sprintf(s, a...); runtime.Goexit() }
func (f *fakeTB) Fatalf(s string, a ...any) { f.failed = fmt.Sprintf(s, a...); runtime.Goexit() }

func run(f *fakeTB, opts browser.ChromiumOptions) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		Chromium(f, opts)
	}()
	<-done
}

func TestMissingChromiumSkipsOrFails(t *testing.T) {
	missing := browser.ChromiumOptions{ExecPath: "/nonexistent/oidclab-chromium"}

	t.Setenv(EnvRequireBrowser, "")
	f := &fakeTB{}
	run(f, missing)
	if f.skipped == "" || f.failed != "" {
		t.Errorf("without %s: skipped %q, failed %q; want a skip", EnvRequireBrowser, f.skipped, f.failed)
	}

	t.Setenv(EnvRequireBrowser, "1")
	f = &fakeTB{}
	run(f, missing)
	if f.failed == "" || f.skipped != "" {
		t.Errorf("with %s=1: skipped %q, failed %q; want a failure", EnvRequireBrowser, f.skipped, f.failed)
	}
}
