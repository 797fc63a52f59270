package scenarios

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/scenarios/browser"
	"github.com/oidclab/oidclab/tunnel"
)

// Options tune a run. The zero value runs each scenario as written, sequentially, with the
// HTTP driver.
type Options struct {
	// Browser is the default driver: "http" (default) or "chromium". A scenario's own browser
	// field wins unless ForceBrowser.
	Browser      string
	ForceBrowser bool
	// IdP, when set ("local" or "okta"), runs every scenario against that IdP.
	IdP string
	// Parallel runs up to N scenarios at once, each in its own lab on free ports (default 1).
	Parallel int
	// Timeout bounds one scenario (default: the scenario's, else 60s).
	Timeout time.Duration
	// LookupEnv reads DECK_*, OKTA_TEST_* and NGROK_* for idp: okta and tunnel: ngrok, and the
	// decK files' variables; nil: no environment (the CLI passes os.LookupEnv).
	LookupEnv func(string) (string, bool)
	// Logger receives the labs' logs (default: discarded).
	Logger *slog.Logger
	// Started and Finished, when set, are told about each scenario (progress output); they
	// may be called from several goroutines at once.
	Started  func(s *Scenario)
	Finished func(r Result)
	// NewDriver builds a browser session (default: browser.NewHTTP or browser.NewChromium).
	NewDriver func(ctx context.Context, kind string) (browser.Driver, error)
	// Tunnel opens tunnel: ngrok scenarios (default tunnel.Ngrok; tests use a fake).
	Tunnel tunnel.Provider
}

func (o Options) tunnelProvider() tunnel.Provider {
	if o.Tunnel != nil {
		return o.Tunnel
	}
	return tunnel.Ngrok{}
}

// ErrNotAvailable marks a scenario that asks for something this build or machine cannot do
// (a tunnel, a real Okta org without its variables). It fails the scenario, never skips it.
var ErrNotAvailable = errors.New("not available")

// Run runs the scenarios and reports on each, in the order given. It stops starting new
// scenarios when ctx ends; the ones cut short fail with the context's error.
func Run(ctx context.Context, list []*Scenario, opts Options) *Report {
	start := time.Now()
	opts.Browser = cmp.Or(opts.Browser, "http")
	results := make([]Result, len(list))
	sem := make(chan struct{}, max(1, opts.Parallel))
	var wg sync.WaitGroup
	for i, s := range list {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if opts.Started != nil {
				opts.Started(s)
			}
			results[i] = runOne(ctx, s, opts)
			if opts.Finished != nil {
				opts.Finished(results[i])
			}
		})
	}
	wg.Wait()
	rep := &Report{Scenarios: results, Duration: time.Since(start), Browser: opts.Browser}
	for _, r := range results {
		if r.Passed {
			rep.Passed++
		} else {
			rep.Failed++
		}
	}
	return rep
}

// run is one scenario in progress.
type run struct {
	s      *Scenario
	opts   Options
	dir    string
	lab    *lab.Lab
	driver browser.Driver
	events <-chan gateway.Event
	seen   []gateway.Event
	// last is the outcome of the last action step, which an expect step checks.
	last outcome
	// accessToken is the one the upstream received on the last page that reached it (kept in
	// memory for request steps; never reported).
	accessToken string
	cookies     []browser.CookieInfo // what the browser held after the last navigation
	skew        time.Duration        // how far skew_clock moved the IdP's clock
	res         *Result
}

// outcome is what an action step left for the next expect.
type outcome struct {
	step   int
	kind   string
	result *browser.Result
	err    error
	events []gateway.Event
}

func runOne(ctx context.Context, s *Scenario, opts Options) (res Result) {
	begin := time.Now()
	res = Result{Name: s.Name, Description: s.Description, Source: s.Source, IdP: cmp.Or(opts.IdP, s.IdP),
		// Empty lists, not nulls, in --json.
		Steps: []StepResult{}, Trace: []TraceHop{}, Cookies: []browser.CookieInfo{}, Hops: []lab.Hop{}, Reasons: []string{}}
	res.Browser = opts.Browser
	if s.Browser != "" && !opts.ForceBrowser {
		res.Browser = s.Browser
	}
	timeout := cmp.Or(opts.Timeout, s.Timeout, 60*time.Second)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	r := &run{s: s, opts: opts, res: &res}
	if s.Source != "" && s.Source != builtinSource {
		r.dir = filepath.Dir(s.Source)
	}
	defer func() { res.Duration = time.Since(begin) }()
	defer r.stop()
	if err := r.start(ctx); err != nil {
		res.Error = err.Error()
		for i, st := range s.Steps {
			res.Steps = append(res.Steps, StepResult{Index: i + 1, Kind: st.Kind, Line: st.Line, Description: st.Description, Skipped: true})
		}
		return res
	}

	failed := false
	for i, st := range s.Steps {
		sr := StepResult{Index: i + 1, Kind: st.Kind, Line: st.Line, Description: st.Description}
		if failed {
			sr.Skipped = true
			res.Steps = append(res.Steps, sr)
			continue
		}
		t0 := time.Now()
		err := r.step(ctx, i+1, st)
		if err == nil && ctx.Err() != nil {
			err = ctx.Err()
		}
		sr.Duration = time.Since(t0)
		if r.last.step == i+1 && r.last.result != nil {
			sr.Status = r.last.result.Status
		}
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				err = fmt.Errorf("%w (the scenario's timeout is %s)", err, timeout)
			}
			sr.Error = err.Error()
			failed = true
			res.Error = fmt.Sprintf("step %d (%s, line %d): %s", i+1, st.Kind, st.Line, err)
		} else {
			sr.Passed = true
		}
		res.Steps = append(res.Steps, sr)
	}
	r.collect()
	res.Passed = !failed
	if r.cookies != nil {
		res.Cookies = r.cookies
	}
	res.Diagnosis = append(diagnose(res.Trace), sizes(r.cookies)...)
	return res
}

// start opens the lab and the browser.
func (r *run) start(ctx context.Context) error {
	cfg := lab.Config{
		Listen:      "127.0.0.1:0",
		AdminListen: "off",
		IdPListen:   "127.0.0.1:0",
		Logger:      r.opts.Logger,
		LookupEnv:   r.opts.LookupEnv,
	}
	if r.s.Tunnel == "ngrok" {
		token := r.env("NGROK_AUTHTOKEN")
		if token == "" {
			return fmt.Errorf("tunnel: ngrok is %w: set NGROK_AUTHTOKEN (and NGROK_DOMAIN for a static domain), or run the scenario with tunnel: none", ErrNotAvailable)
		}
		cfg.Expose = lab.Tunnel(r.opts.tunnelProvider(), tunnel.Config{Authtoken: token, Domain: r.env("NGROK_DOMAIN"), Logger: r.opts.Logger})
	}
	switch r.res.IdP {
	case "okta":
		ext, err := r.oktaFromEnv()
		if err != nil {
			return err
		}
		cfg.IdP, cfg.External = lab.IdPExternal, ext
	default:
		cfg.IdP = lab.IdPLocal
		if r.s.Emulator != nil {
			ecfg := overlay(emulator.Default(), *r.s.Emulator)
			cfg.IdPConfig = &ecfg
		}
	}
	src, name, err := r.s.Gateway.deckSource(r.dir)
	if err != nil {
		return err
	}
	if r.s.Gateway.Deck != "" || r.s.Gateway.File != "" || len(r.s.Gateway.PluginConfig) > 0 {
		cfg.Deck, cfg.DeckName = src, name
	}
	l, err := lab.Start(ctx, cfg)
	if err != nil {
		return fmt.Errorf("starting the lab: %w", err)
	}
	r.lab = l
	r.events, _ = l.Subscribe(1 << 14)
	newDriver := r.opts.NewDriver
	if newDriver == nil {
		newDriver = defaultDriver
	}
	if r.driver, err = newDriver(ctx, r.res.Browser); err != nil {
		return fmt.Errorf("starting the %s browser: %w", r.res.Browser, err)
	}
	return nil
}

func defaultDriver(ctx context.Context, kind string) (browser.Driver, error) {
	if kind == "chromium" {
		return browser.NewChromium(ctx, browser.ChromiumOptions{})
	}
	return browser.NewHTTP(browser.HTTPOptions{})
}

// oktaEnv are the variables a scenario against a real Okta org reads.
var oktaEnv = []string{"DECK_ISSUER_URL", "DECK_OKTA_CLIENT_ID", "DECK_OKTA_CLIENT_SECRET", "OKTA_TEST_USER", "OKTA_TEST_PASSWORD"}

func (r *run) env(name string) string {
	if r.opts.LookupEnv == nil {
		return "" // no environment handed in
	}
	v, _ := r.opts.LookupEnv(name)
	return v
}

func (r *run) oktaFromEnv() (lab.External, error) {
	var missing []string
	for _, name := range oktaEnv {
		if r.env(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return lab.External{}, fmt.Errorf("idp: okta is %w: set %v (the org's issuer, the app's client id and secret, a test user assigned to the app)", ErrNotAvailable, missing)
	}
	return lab.External{
		Issuer:       r.env("DECK_ISSUER_URL"),
		ClientID:     r.env("DECK_OKTA_CLIENT_ID"),
		ClientSecret: r.env("DECK_OKTA_CLIENT_SECRET"),
		RedirectURI:  r.env("DECK_NGROK_HOST"),
	}, nil
}

func (r *run) stop() {
	if r.driver != nil {
		_ = r.driver.Close()
	}
	if r.lab != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = r.lab.Shutdown(ctx)
	}
}

// drain takes the events published so far, after the gateway finished what it was serving.
func (r *run) drain(ctx context.Context) []gateway.Event {
	settle, cancel := context.WithTimeout(ctx, 5*time.Second)
	_ = r.lab.Settle(settle)
	cancel()
	var out []gateway.Event
	for {
		select {
		case e := <-r.events:
			out = append(out, e)
			continue
		default:
		}
		r.seen = append(r.seen, out...)
		return out
	}
}

// collect narrates everything the lab published into the result.
func (r *run) collect() {
	r.drain(context.Background())
	n := lab.Narrator{Requests: true}
	for _, e := range r.seen {
		if h, ok := n.Narrate(e); ok {
			r.res.Hops = append(r.res.Hops, h)
		}
		if e.Reason != "" && !lab.BrowserNoise(e) && !slices.Contains(r.res.Reasons, string(e.Reason)) {
			r.res.Reasons = append(r.res.Reasons, string(e.Reason))
		}
	}
}

// overlay lays a scenario's emulator configuration over the default one, so a scenario names
// only what differs: users replace the default users when given; clients and authorization
// servers replace those with the same id or are added; a client given without a secret or
// type keeps the default's (the tutorial client's secret is generated).
func overlay(base, over emulator.Config) emulator.Config {
	if len(over.Users) > 0 {
		base.Users = over.Users
	}
	for _, c := range over.Clients {
		i := slices.IndexFunc(base.Clients, func(b emulator.Client) bool { return b.ID == c.ID })
		if i < 0 {
			base.Clients = append(base.Clients, c)
			continue
		}
		c.Secret = cmp.Or(c.Secret, base.Clients[i].Secret)
		c.Type = cmp.Or(c.Type, base.Clients[i].Type)
		c.Name = cmp.Or(c.Name, base.Clients[i].Name)
		base.Clients[i] = c
	}
	for _, as := range over.AuthServers {
		i := slices.IndexFunc(base.AuthServers, func(b emulator.AuthServer) bool { return b.ID == as.ID })
		if i < 0 {
			base.AuthServers = append(base.AuthServers, as)
			continue
		}
		base.AuthServers[i] = as
	}
	if over.Tokens != (emulator.Lifetimes{}) {
		base.Tokens = over.Tokens
	}
	base.TrustedOrigins = append(base.TrustedOrigins, over.TrustedOrigins...)
	return base
}
