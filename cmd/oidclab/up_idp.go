package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"syscall"

	"github.com/oidclab/oidclab/okta/emulator"
)

// The decK variables of Kong's Okta tutorial; with --idp local the embedded IdP provides them.
const (
	envIssuer       = "DECK_ISSUER_URL"
	envClientID     = "DECK_OKTA_CLIENT_ID"
	envClientSecret = "DECK_OKTA_CLIENT_SECRET"
	envRedirect     = "DECK_NGROK_HOST"
)

// tutorialPath is the tutorial route the walkthrough logs in on.
const tutorialPath = "/anything"

// localIdP is the embedded Okta-compatible authorization server run beside the gateway.
type localIdP struct {
	srv         *emulator.Server
	clientID    string
	secret      string
	redirectURI string
	// vars are the tutorial's DECK_* values it provides.
	vars map[string]string
}

// startLocalIdP starts the emulator with the tutorial's client, registered for the redirect URI
// on the gateway's real address (which differs from the tutorial's :8000 when --listen says so).
func startLocalIdP(ctx context.Context, addr, proxyURL string, logger *slog.Logger) (*localIdP, error) {
	cfg := emulator.Default()
	redirect := proxyURL + tutorialPath
	client := &cfg.Clients[0]
	for _, uri := range alternateLoopbackURIs(redirect) {
		if !slices.Contains(client.RedirectURIs, uri) {
			client.RedirectURIs = append(client.RedirectURIs, uri)
		}
	}
	for _, uri := range alternateLoopbackURIs(proxyURL + "/") {
		if !slices.Contains(client.PostLogoutRedirectURIs, uri) {
			client.PostLogoutRedirectURIs = append(client.PostLogoutRedirectURIs, uri)
		}
	}
	srv, err := emulator.Start(ctx, addr, cfg, emulator.Options{Logger: logger.With("component", "idp")})
	if err != nil {
		hint := ""
		if errors.Is(err, syscall.EADDRINUSE) {
			hint = " (is `oidclab idp` already running? stop it or choose another address with --idp-listen)"
		}
		return nil, usageErrorf("embedded IdP: %v%s", err, hint)
	}
	l := &localIdP{srv: srv, clientID: client.ID, secret: client.Secret, redirectURI: redirect}
	l.vars = map[string]string{
		envIssuer:       srv.Issuer(),
		envClientID:     client.ID,
		envClientSecret: client.Secret,
		envRedirect:     redirect,
	}
	return l, nil
}

// alternateLoopbackURIs returns uri and, for a loopback URL, the same URL on the other loopback
// name (localhost <-> 127.0.0.1), because users type either.
func alternateLoopbackURIs(uri string) []string {
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
	if other != "" {
		v := *u
		v.Host = other
		if p := u.Port(); p != "" {
			v.Host = other + ":" + p
		}
		out = append(out, v.String())
	}
	return out
}

// lookupEnv resolves decK variables: the embedded IdP's tutorial values win over the
// environment (with --idp local the user asked for that IdP), everything else comes from the
// environment. overridden lists the variables whose environment value was set aside.
func (l *localIdP) lookupEnv() (lookup func(string) (string, bool), overridden []string) {
	for _, name := range []string{envIssuer, envClientID, envClientSecret, envRedirect} {
		if v, ok := os.LookupEnv(name); ok && v != l.vars[name] {
			overridden = append(overridden, name)
		}
	}
	return func(name string) (string, bool) {
		if v, ok := l.vars[name]; ok {
			return v, true
		}
		return os.LookupEnv(name)
	}, overridden
}

// describe is the startup text about the IdP: what to open and how to log in. The client
// secret is never printed; the demo password is a published demo credential.
func (l *localIdP) describe() string {
	return fmt.Sprintf("  issuer     %s  (embedded Okta-compatible IdP)\n"+
		"  client     %s  (secret generated, not shown)\n"+
		"  log in as  %s / %s\n",
		l.srv.Issuer(), l.clientID, emulator.DemoUserLogin, emulator.DemoUserPassword)
}

// ready is what --json says about the IdP.
func (l *localIdP) ready() *upReadyIdP {
	return &upReadyIdP{
		Issuer: l.srv.Issuer(), ClientID: l.clientID, RedirectURI: l.redirectURI,
		Login: emulator.DemoUserLogin, Password: emulator.DemoUserPassword,
	}
}

func (l *localIdP) Close() error { return l.srv.Close() }
