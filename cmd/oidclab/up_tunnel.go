package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/tunnel"
)

// envNgrokAuthtoken holds the ngrok authtoken; it is read here and handed to the tunnel only.
const envNgrokAuthtoken = "NGROK_AUTHTOKEN"

// tunnelFlags are the flags `up` (and the bare root) and `tunnel` share.
type tunnelFlags struct {
	Tunnel        string
	NgrokDomain   string
	TunnelTimeout time.Duration

	// lookupEnv reads NGROK_AUTHTOKEN (nil: os.LookupEnv); providers replaces the --tunnel
	// providers (tests).
	lookupEnv func(string) (string, bool)
	providers func(name string) (tunnel.Provider, error)
}

func addTunnelDomainFlags(f *pflag.FlagSet, t *tunnelFlags) {
	f.StringVar(&t.NgrokDomain, "ngrok-domain", "", "static ngrok domain (example.ngrok-free.dev, from dashboard.ngrok.com/domains) for a stable public URL and redirect URI; default an assigned URL")
	f.DurationVar(&t.TunnelTimeout, "tunnel-timeout", tunnel.DefaultConnectTimeout, "how long to wait for ngrok to accept the session (a refused authtoken is retried, so this turns it into an error)")
}

func (t *tunnelFlags) authtoken() string {
	lookup := t.lookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	v, _ := lookup(envNgrokAuthtoken)
	return strings.TrimSpace(v)
}

// resolve checks the tunnel flags and settles auto: ngrok when NGROK_AUTHTOKEN is set.
func (t *tunnelFlags) resolve() error {
	switch t.Tunnel {
	case "auto", "":
		t.Tunnel = "none"
		if t.authtoken() != "" {
			t.Tunnel = "ngrok"
		}
		if t.NgrokDomain != "" && t.Tunnel == "none" {
			return usageErrorf("--ngrok-domain needs an ngrok tunnel: export %s=<your authtoken> (%s)", envNgrokAuthtoken, "https://dashboard.ngrok.com/get-started/your-authtoken")
		}
	case "ngrok":
		if t.authtoken() == "" {
			return usageErrorf("--tunnel ngrok needs %s: %s", envNgrokAuthtoken, tunnel.AdviceFor("ERR_NGROK_4018"))
		}
	case "none":
		if t.NgrokDomain != "" {
			return usageErrorf("--ngrok-domain needs --tunnel ngrok (or auto with %s set)", envNgrokAuthtoken)
		}
	default:
		return usageErrorf("--tunnel %q: want auto (ngrok when %s is set), ngrok or none", t.Tunnel, envNgrokAuthtoken)
	}
	if t.NgrokDomain != "" {
		if _, err := tunnel.NormalizeDomain(t.NgrokDomain); err != nil {
			return usageErrorf("--ngrok-domain: %v", err)
		}
	}
	if t.Tunnel != "none" && t.TunnelTimeout <= 0 {
		return usageErrorf("--tunnel-timeout must be positive")
	}
	return nil
}

func (t *tunnelFlags) provider() (tunnel.Provider, error) {
	if t.providers != nil {
		return t.providers(t.Tunnel)
	}
	return tunnel.ByName(t.Tunnel)
}

func (t *tunnelFlags) config(logger *slog.Logger) tunnel.Config {
	return tunnel.Config{
		Authtoken:      t.authtoken(),
		Domain:         t.NgrokDomain,
		ConnectTimeout: t.TunnelTimeout,
		Logger:         logger.With("component", "tunnel"),
	}
}

// expose is the lab's public-listener hook for the chosen tunnel; nil for none (the proxy's
// own address is the public URL).
func (t *tunnelFlags) expose(logger *slog.Logger) (func(context.Context) (lab.Exposure, error), error) {
	if t.Tunnel == "none" {
		return nil, nil
	}
	p, err := t.provider()
	if err != nil {
		return nil, asUsage(err)
	}
	return lab.Tunnel(p, t.config(logger)), nil
}

// tunnelError says what to do when a tunnel did not open: a refusal with an ngrok code is the
// user's to fix (exit 2); a network that did not answer is a failure (exit 1).
func tunnelError(err error) (error, bool) {
	var te *tunnel.Error
	if !errors.As(err, &te) {
		return nil, false
	}
	msg := fmt.Errorf("cannot open the tunnel: %w", te)
	if te.Code != "" || !te.Timeout {
		return asUsage(msg), true
	}
	return msg, true
}

// tunnelNotes tells a person what an open tunnel means for them: ngrok's free plan shows
// browsers a warning page once per endpoint, which would otherwise greet Okta's redirect back.
func tunnelNotes(w io.Writer, publicURL, provider string) {
	if provider != "ngrok" {
		return
	}
	fmt.Fprintf(w, "  note: ngrok's free plan shows browsers a warning page (\"You are about to visit...\") once per\n"+
		"        site: open %s once and click Visit Site before logging in, or Okta's\n"+
		"        redirect back lands on it. Scripted clients send the header ngrok-skip-browser-warning: 1.\n", publicURL)
}
