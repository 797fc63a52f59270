// Package tui is oidclab's walkthrough: screen by screen from nothing to a verified login
// through the gateway, over package lab. It has no network code of its own; every I/O is a
// tea.Cmd that returns an xxxMsg, so Update and View stay pure.
package tui

import (
	"context"
	"net"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/scenarios/browser"
)

// Engine is the part of a running lab the walkthrough drives; *lab.Lab is one, and Update
// tests use a fake.
type Engine interface {
	ProxyURL() string
	AdminURL() string
	PublicURL() string
	IdP() lab.IdPInfo
	Subscribe(buffer int) (<-chan gateway.Event, func())
	ApplyWith(src []byte, name string, vars map[string]string) error
	Shutdown(ctx context.Context) error
}

// Exposer opens a public https listener for the gateway (the ngrok tunnel). It is nil until
// the tunnel package lands; the walk then says so and continues on loopback.
type Exposer func(ctx context.Context, authtoken string) (lab.Exposure, error)

// SetupRequest is what "create it for me" needs to create the Okta application and its
// authorization server policy.
type SetupRequest struct {
	OrgURL      string
	APIToken    string // never stored or shown
	RedirectURI string
	LogoutURI   string
	// Embedded is set when the walk runs against the embedded IdP, whose Management API
	// subset makes the automation work offline.
	Embedded bool
}

// SetupResult is what the automation created.
type SetupResult struct {
	Issuer       string
	ClientID     string
	ClientSecret string // handed to the decK file only
	// Created lists the objects made, for the Finish screen ("application oidclab-tutorial").
	Created []string
	// Cleanup removes them; nil when there is nothing to remove.
	Cleanup func(ctx context.Context) error
}

// Setup is the `okta setup` automation. Nil until that package lands: the App step then
// offers only the guided checklist.
type Setup func(ctx context.Context, req SetupRequest) (SetupResult, error)

// HeadlessLogin logs in without a browser window and returns the final page.
type HeadlessLogin func(ctx context.Context, url string, creds browser.Credentials) (*browser.Result, error)

// Options configure a walkthrough.
type Options struct {
	// Lab is the base configuration (listen addresses, logger); the walk sets the IdP, the
	// decK file and the tunnel.
	Lab lab.Config
	// StartLab starts the engine; nil: lab.Start.
	StartLab func(ctx context.Context, cfg lab.Config) (Engine, error)
	// Getenv reads NGROK_AUTHTOKEN, OKTA_API_TOKEN and DECK_OKTA_CLIENT_SECRET; nil: none set.
	Getenv func(string) string
	// ProfilePath is where answers are remembered; "" means DefaultProfilePath(), "-" none.
	ProfilePath string
	// SaveDir is where "save as kong.yaml" writes; "" is the working directory.
	SaveDir string

	Exposer Exposer
	Setup   Setup

	// OpenBrowser opens url in the user's browser; nil: github.com/pkg/browser.
	OpenBrowser func(url string) error
	// Headless runs the headless login; nil: the HTTP browser driver.
	Headless HeadlessLogin
	// Clipboard receives OSC 52 sequences (copy to the terminal's clipboard); nil: none.
	Clipboard func(seq string)
	// NoColor draws without colours (NO_COLOR).
	NoColor bool
}

func (o Options) getenv(name string) string {
	if o.Getenv == nil {
		return ""
	}
	return o.Getenv(name)
}

// fixer is an error that knows its fix (the tunnel's errors will).
type fixer interface{ Fix() string }

// listenerURL keeps the Exposure interface satisfied by tests' fakes.
var _ net.Listener = lab.Exposure(nil)
