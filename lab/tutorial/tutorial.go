// Package tutorial holds Kong's "OpenID Connect with the authorization code flow and Okta"
// tutorial as oidclab runs it: its decK file (the one copy in the project), the decK variables
// it reads, the route a login starts on, and the identity-provider client it needs.
package tutorial

import (
	_ "embed"
	"net/url"
	"slices"

	"github.com/oidclab/oidclab/okta/emulator"
)

// Deck is the tutorial's decK state file, byte for byte as the tutorial gives it.
//
//go:embed kong.yaml
var Deck []byte

// DeckName names the built-in file in errors and the startup banner.
const DeckName = "tutorial kong.yaml (built in)"

// The decK variables the tutorial's file reads; an embedded IdP provides all four.
const (
	EnvIssuer       = "DECK_ISSUER_URL"
	EnvClientID     = "DECK_OKTA_CLIENT_ID"
	EnvClientSecret = "DECK_OKTA_CLIENT_SECRET"
	EnvRedirectURI  = "DECK_NGROK_HOST"
)

// Env lists the variables in the order the file uses them.
var Env = []string{EnvIssuer, EnvClientID, EnvClientSecret, EnvRedirectURI}

// Path is the tutorial's route: where a login starts and where the IdP sends the browser back
// (the tutorial's redirect URI is the route itself).
const Path = "/anything"

// RedirectURI is the redirect URI for a gateway reached at base (scheme://host[:port]).
func RedirectURI(base string) string { return base + Path }

// Client is the emulator client the tutorial's file logs in with, registered for the gateway
// at base: its redirect URI and logout landing page on that address, and on the other loopback
// name (localhost <-> 127.0.0.1), because users type either. The secret is fresh.
func Client(base string) emulator.Client {
	c := emulator.Default().Clients[0]
	c.RedirectURIs = AlternateLoopbackURIs(RedirectURI(base))
	c.PostLogoutRedirectURIs = AlternateLoopbackURIs(base + "/")
	return c
}

// AlternateLoopbackURIs returns uri and, for a loopback URL, the same URL on the other loopback
// name.
func AlternateLoopbackURIs(uri string) []string {
	out := []string{uri}
	u, err := url.Parse(uri)
	if err != nil {
		return out
	}
	other := ""
	switch u.Hostname() {
	case "127.0.0.1":
		other = "localhost"
	case "localhost":
		other = "127.0.0.1"
	}
	if other == "" {
		return out
	}
	v := *u
	v.Host = other
	if p := u.Port(); p != "" {
		v.Host = other + ":" + p
	}
	if alt := v.String(); !slices.Contains(out, alt) {
		out = append(out, alt)
	}
	return out
}
