package tui

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	pkgbrowser "github.com/pkg/browser"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/deck"
	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/tutorial"
	"github.com/oidclab/oidclab/scenarios/browser"
)

// Messages: each is the result of one tea.Cmd.
type (
	labStartedMsg struct {
		eng Engine
		err error
	}
	eventMsg         struct{ e gateway.Event }
	eventsClosedMsg  struct{}
	issuerCheckedMsg struct {
		issuer string
		d      lab.Discovery
		err    error
	}
	deckRenderedMsg struct {
		redacted string
		err      error
	}
	appliedMsg struct{ err error }
	savedMsg   struct {
		path string
		err  error
	}
	browserOpenedMsg struct {
		url string
		err error
	}
	headlessDoneMsg struct {
		res *browser.Result
		err error
	}
	setupDoneMsg struct {
		res SetupResult
		err error
	}
	copiedMsg       struct{ what string }
	cleanupDoneMsg  struct{ err error }
	profileSavedMsg struct{ err error }
	shutdownMsg     struct{}
)

// gatewayOnlyDeck is the tutorial's service and route without its plugin: what the gateway
// serves until the Plugin step applies the real file, so the proxy works from the first screen.
var gatewayOnlyDeck = []byte(`_format_version: "3.0"
services:
  - name: example-service
    url: http://httpbin.konghq.com/anything
routes:
  - name: example-route
    paths:
      - /anything
    service:
      name: example-service
`)

func startLabCmd(ctx context.Context, o Options, cfg lab.Config) tea.Cmd {
	return func() tea.Msg {
		start := o.StartLab
		if start == nil {
			start = func(ctx context.Context, cfg lab.Config) (Engine, error) {
				l, err := lab.Start(ctx, cfg)
				if err != nil {
					return nil, err
				}
				return l, nil
			}
		}
		eng, err := start(ctx, cfg)
		return labStartedMsg{eng: eng, err: err}
	}
}

// waitEventCmd is the classic "listen on a channel" command: one event per call, re-issued by
// Update after each.
func waitEventCmd(ch <-chan gateway.Event) tea.Cmd {
	return func() tea.Msg {
		e, ok := <-ch
		if !ok {
			return eventsClosedMsg{}
		}
		return eventMsg{e: e}
	}
}

func checkIssuerCmd(ctx context.Context, issuer string) tea.Cmd {
	return func() tea.Msg {
		d, err := lab.CheckIssuer(ctx, issuer)
		return issuerCheckedMsg{issuer: issuer, d: d, err: err}
	}
}

// renderDeckCmd loads the tutorial's file with the walk's values (a secret the lab fills in is
// a placeholder here) and marshals it redacted: what the gateway will run, fit to be shown.
func renderDeckCmd(vars map[string]string) tea.Cmd {
	return func() tea.Msg {
		shown := map[string]string{tutorial.EnvClientSecret: deck.Redacted}
		for k, v := range vars {
			shown[k] = v
		}
		opts := lab.Plugins().LoadOptions()
		opts.LookupEnv = func(name string) (string, bool) { v, ok := shown[name]; return v, ok }
		cfg, err := deck.Load(bytesReader(tutorial.Deck), tutorial.DeckName, opts)
		if err != nil {
			return deckRenderedMsg{err: err}
		}
		b, err := deck.Redact(cfg).Marshal()
		return deckRenderedMsg{redacted: string(b), err: err}
	}
}

func applyCmd(eng Engine, vars map[string]string) tea.Cmd {
	return func() tea.Msg {
		return appliedMsg{err: eng.ApplyWith(tutorial.Deck, tutorial.DeckName, vars)}
	}
}

// saveDeckCmd writes the tutorial's file as Kong reads it, variables and all: the secret stays
// in the environment (DECK_OKTA_CLIENT_SECRET), never on disk.
func saveDeckCmd(dir string) tea.Cmd {
	return func() tea.Msg {
		path := filepath.Join(dir, "kong.yaml")
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		err := os.WriteFile(path, tutorial.Deck, 0o644)
		return savedMsg{path: path, err: err}
	}
}

// scenarioFile is where the Finish screen saves the walk as an `oidclab run` scenario.
const scenarioFile = "oidclab-scenario.yaml"

// runCommand is the `oidclab run` line that repeats the walk without a screen.
func runCommand(okta bool) string {
	if okta {
		return "oidclab run --idp okta --browser chromium " + scenarioFile
	}
	return "oidclab run " + scenarioFile
}

// scenarioYAML is the walk as a scenario: the same IdP and tunnel, the tutorial's decK file, a
// login that must reach the upstream with a token and no failure on the way.
func scenarioYAML(okta, ngrok bool) []byte {
	idp, tun := "local", "none"
	if okta {
		idp = "okta"
	}
	if ngrok {
		tun = "ngrok"
	}
	return []byte(`name: my-walk
description: The login validated in oidclab's walkthrough — the tutorial's decK file, a login that reaches the upstream
idp: ` + idp + `
tunnel: ` + tun + `
steps:
  - login: {}
  - expect:
      status: 200
      upstream: {bearer: true}
      events: [oidc.id_token_verified]
      no_reasons: true
`)
}

// saveScenarioCmd writes the walk as a scenario file (it holds no secret: a real org's come from
// the environment when it runs).
func saveScenarioCmd(dir string, okta, ngrok bool) tea.Cmd {
	return func() tea.Msg {
		path := filepath.Join(dir, scenarioFile)
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		err := os.WriteFile(path, scenarioYAML(okta, ngrok), 0o644)
		return savedMsg{path: path, err: err}
	}
}

func openBrowserCmd(o Options, url string) tea.Cmd {
	return func() tea.Msg {
		open := o.OpenBrowser
		if open == nil {
			open = func(url string) error {
				// The launcher's output would paint over the screen.
				pkgbrowser.Stdout, pkgbrowser.Stderr = discard{}, discard{}
				return pkgbrowser.OpenURL(url)
			}
		}
		return browserOpenedMsg{url: url, err: open(url)}
	}
}

func headlessCmd(ctx context.Context, o Options, url string, creds browser.Credentials) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		login := o.Headless
		if login == nil {
			login = func(ctx context.Context, url string, creds browser.Credentials) (*browser.Result, error) {
				d, err := browser.NewHTTP(browser.HTTPOptions{})
				if err != nil {
					return nil, err
				}
				defer d.Close()
				return d.Login(ctx, url, creds)
			}
		}
		res, err := login(ctx, url, creds)
		return headlessDoneMsg{res: res, err: err}
	}
}

func setupCmd(ctx context.Context, setup Setup, req SetupRequest) tea.Cmd {
	return func() tea.Msg {
		res, err := setup(ctx, req)
		return setupDoneMsg{res: res, err: err}
	}
}

// copyCmd puts text on the terminal's clipboard with OSC 52, which works over ssh and in
// terminals that allow it; elsewhere nothing happens, and the value is on screen to select.
func copyCmd(o Options, what, text string) tea.Cmd {
	return func() tea.Msg {
		if o.Clipboard != nil {
			o.Clipboard("\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(text)) + "\x07")
		}
		return copiedMsg{what: what}
	}
}

func cleanupCmd(ctx context.Context, cleanup func(context.Context) error) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return cleanupDoneMsg{err: cleanup(ctx)}
	}
}

func saveProfileCmd(path string, p Profile) tea.Cmd {
	return func() tea.Msg { return profileSavedMsg{err: SaveProfile(path, p)} }
}

// shutdownCmd stops the lab before the program quits, so Ctrl-C never leaves a port held.
func shutdownCmd(eng Engine, stop func()) tea.Cmd {
	return func() tea.Msg {
		if stop != nil {
			stop()
		}
		if eng != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = eng.Shutdown(ctx)
		}
		return shutdownMsg{}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
