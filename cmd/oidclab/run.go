package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/oidclab/oidclab/scenarios"
)

// runOptions are the flags of `oidclab run`.
type runOptions struct {
	IO *ioStreams

	Names    []string
	All      bool
	List     bool
	IdP      string
	Browser  string
	JSON     bool
	JUnit    string
	Trace    bool
	Parallel int
	Timeout  time.Duration
}

func newRunCmd(io *ioStreams) *cobra.Command {
	opts := &runOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "run [NAME|FILE ...]",
		Short: "Run scripted login scenarios and report (for CI)",
		Long: `Run one-shot login scenarios: each starts its own lab (the embedded gateway and, by
default, the embedded Okta-compatible IdP on free ports), drives a browser through the login,
checks what happened at every hop and reports.

Arguments are built-in scenario names (see --list) or scenario files (YAML). Without any, it
runs the tutorial scenario. The exit status is 0 only when every scenario passed, 1 when one
failed, 2 for a bad scenario file or flag.`,
		Example: `  # The tutorial's login, headless, against the embedded IdP
  oidclab run

  # The whole built-in library, two at a time, with a JUnit report for CI
  oidclab run --all --parallel 2 --junit report.xml

  # Your own scenario, in a real Chromium, with the hop trace even when it passes
  oidclab run my-login.yaml --browser chromium --trace

  # The tutorial against your Okta org (DECK_ISSUER_URL, DECK_OKTA_CLIENT_ID,
  # DECK_OKTA_CLIENT_SECRET, OKTA_TEST_USER, OKTA_TEST_PASSWORD)
  oidclab run --idp okta --browser chromium tutorial`,
		Args: usageArgs(cobra.ArbitraryArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
			return runRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.All, "all", false, "run every built-in scenario")
	f.BoolVar(&opts.List, "list", false, "list the built-in scenarios, one line each, and exit")
	f.StringVar(&opts.IdP, "idp", "", "run every scenario against this IdP: local (the embedded one) or okta (a real org, from DECK_* and OKTA_TEST_* variables); default: each scenario's own")
	f.StringVar(&opts.Browser, "browser", "http", "browser driver: http (built in, no browser needed) or chromium (a real headless Chromium)")
	f.BoolVar(&opts.JSON, "json", false, "print the report as one JSON document on stdout (schema: scenarios/report.schema.json)")
	f.StringVar(&opts.JUnit, "junit", "", "also write a JUnit XML report to FILE")
	f.BoolVar(&opts.Trace, "trace", false, "print the hop trace of passing scenarios too (failures always have it)")
	f.IntVar(&opts.Parallel, "parallel", 1, "run up to N scenarios at once, each in its own lab")
	f.DurationVar(&opts.Timeout, "timeout", 0, "bound each scenario (default: the scenario's timeout, else 60s)")
	return cmd
}

func runRun(ctx context.Context, opts *runOptions) error {
	if err := validateRunOptions(opts); err != nil {
		return err
	}
	if opts.List {
		return listScenarios(opts)
	}
	list, err := selectScenarios(opts)
	if err != nil {
		return err
	}
	progress := newProgress(opts.IO, len(list))
	rep := scenarios.Run(ctx, list, scenarios.Options{
		LookupEnv:    os.LookupEnv,
		Browser:      opts.Browser,
		ForceBrowser: opts.Browser == "chromium",
		IdP:          opts.IdP,
		Parallel:     opts.Parallel,
		Timeout:      opts.Timeout,
		Started:      progress.started,
		Finished:     progress.finished,
	})
	progress.done()
	if opts.JUnit != "" {
		if err := writeFileAtomic(opts.JUnit, func(w io.Writer) error { return scenarios.WriteJUnit(w, rep) }); err != nil {
			return fmt.Errorf("--junit: %w", err)
		}
	}
	if opts.JSON {
		err = scenarios.WriteJSON(opts.IO.Out, rep)
	} else {
		err = scenarios.WriteText(opts.IO.Out, rep, scenarios.TextOptions{Trace: opts.Trace})
	}
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
	if !rep.OK() {
		return errSilent // the report says which scenario failed and why
	}
	return nil
}

func validateRunOptions(opts *runOptions) error {
	switch opts.IdP {
	case "", "local", "okta":
	default:
		return usageErrorf("--idp %q: want local or okta", opts.IdP)
	}
	switch opts.Browser {
	case "http", "chromium":
	default:
		return usageErrorf("--browser %q: want http or chromium", opts.Browser)
	}
	if opts.Parallel < 1 {
		return usageErrorf("--parallel must be at least 1")
	}
	if opts.Timeout < 0 {
		return usageErrorf("--timeout must be positive")
	}
	if opts.All && len(opts.Names) > 0 {
		return usageErrorf("--all runs every built-in scenario: give no names with it")
	}
	return nil
}

// selectScenarios resolves the arguments: built-in names, then files; none is the tutorial.
// Every bad file is reported, not just the first.
func selectScenarios(opts *runOptions) ([]*scenarios.Scenario, error) {
	if opts.All {
		list, err := scenarios.Library()
		return list, err
	}
	names := opts.Names
	if len(names) == 0 {
		names = []string{scenarios.TutorialName}
	}
	var list []*scenarios.Scenario
	var problems []error
	for _, arg := range names {
		if s, ok := scenarios.Find(arg); ok {
			list = append(list, s)
			continue
		}
		f, err := os.Open(arg)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && !strings.ContainsAny(arg, "./") {
				problems = append(problems, fmt.Errorf("%q is neither a built-in scenario (see oidclab run --list) nor a file", arg))
			} else {
				problems = append(problems, err)
			}
			continue
		}
		s, err := scenarios.Parse(f, arg)
		f.Close()
		if err != nil {
			problems = append(problems, err)
			continue
		}
		list = append(list, s)
	}
	if len(problems) > 0 {
		return nil, asUsage(errors.Join(problems...))
	}
	return list, nil
}

func listScenarios(opts *runOptions) error {
	list, err := scenarios.Library()
	if err != nil {
		return err
	}
	if opts.JSON {
		type entry struct {
			Name        string `json:"name"`
			Description string `json:"description"`
		}
		out := make([]entry, 0, len(list))
		for _, s := range list {
			out = append(out, entry{s.Name, s.Description})
		}
		return json.NewEncoder(opts.IO.Out).Encode(out)
	}
	width := 0
	for _, s := range list {
		width = max(width, len(s.Name))
	}
	for _, s := range list {
		fmt.Fprintf(opts.IO.Out, "%-*s  %s\n", width, s.Name, s.Description)
	}
	return nil
}

// progress reports on stderr as scenarios start and end: one line rewritten in place on a
// terminal, plain lines otherwise (CI logs).
type progress struct {
	mu        sync.Mutex
	w         io.Writer
	tty       bool
	total     int
	completed int
	running   []string
}

func newProgress(io *ioStreams, total int) *progress {
	return &progress{w: io.ErrOut, tty: io.IsStderrTTY(), total: total}
}

func (p *progress) started(s *scenarios.Scenario) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running = append(p.running, s.Name)
	if p.tty {
		p.redraw()
		return
	}
	fmt.Fprintf(p.w, "running %s\n", s.Name)
}

func (p *progress) finished(r scenarios.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.completed++
	for i, n := range p.running {
		if n == r.Name {
			p.running = append(p.running[:i], p.running[i+1:]...)
			break
		}
	}
	mark := "passed"
	if !r.Passed {
		mark = "FAILED"
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s %s (%s)\n", mark, r.Name, r.Duration.Round(time.Millisecond))
		p.redraw()
		return
	}
	fmt.Fprintf(p.w, "%s %s (%s)\n", mark, r.Name, r.Duration.Round(time.Millisecond))
}

func (p *progress) redraw() {
	if len(p.running) == 0 {
		fmt.Fprint(p.w, "\r\033[K")
		return
	}
	fmt.Fprintf(p.w, "\r\033[K[%d/%d] running %s …", p.completed, p.total, strings.Join(p.running, ", "))
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// writeFileAtomic writes a report next to path and renames it into place, so a reader never
// sees half a file.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".oidclab-report-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
