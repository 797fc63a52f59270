package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/tunnel"
)

// upOptions are the flags of `oidclab up`.
type upOptions struct {
	IO *ioStreams

	ConfigFile       string
	Listen           string
	AdminListen      string
	AdminAllowRemote bool
	TrustedIPs       []string
	RealUpstreams    bool
	JSON             bool
	Tunnel           string
	NgrokDomain      string
	TunnelTimeout    time.Duration
	IdP              string
	IdPListen        string
	Open             bool
	ShutdownTimeout  time.Duration
	LogLevel         string

	// Plugins is the registry to run (nil: lab.Plugins(); fakes in tests).
	Plugins gateway.Plugins
	// ready, when set, is told the URLs once everything listens (tests use it).
	ready func(upReady)
	// lookupEnv reads NGROK_AUTHTOKEN (nil: os.LookupEnv); tunnels replaces the --tunnel
	// providers (tests).
	lookupEnv func(string) (string, bool)
	tunnels   func(name string) (tunnel.Provider, error)
}

// tunnelFlags is the tunnel part of the options; resolve's result is copied back.
func (opts *upOptions) tunnelFlags() *tunnelFlags {
	return &tunnelFlags{Tunnel: opts.Tunnel, NgrokDomain: opts.NgrokDomain, TunnelTimeout: opts.TunnelTimeout, lookupEnv: opts.lookupEnv, providers: opts.tunnels}
}

func newUpCmd(io *ioStreams) *cobra.Command {
	opts := &upOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "up [-c FILE]",
		Short: "Run the embedded gateway on a decK file",
		Long: `Run oidclab's embedded Kong-compatible gateway with the services, routes and plugins of a
decK state file (the file you would give Kong: _format_version "3.0", ${{ env "DECK_X" }}
templating). Requests to services whose host is httpbin.konghq.com or httpbin.org are answered
by a built-in httpbin-compatible echo upstream, so Kong's tutorials run offline.

Without -c it serves Kong's Okta tutorial file with the embedded Okta-compatible IdP
(--idp local), which provides the file's DECK_* variables.

With NGROK_AUTHTOKEN set (or --tunnel ngrok) the gateway is also served on an ngrok tunnel,
in-process: its https URL is the public URL and the redirect URI's base, and, when
DECK_NGROK_HOST is unset, DECK_NGROK_HOST is that URL + /anything, so the tutorial's decK file
runs unchanged against Okta. --ngrok-domain keeps the URL (and the redirect URI registered in
Okta) the same from run to run.

Serves until interrupted (Ctrl-C or SIGTERM), then lets in-flight requests finish.`,
		Example: `  # The tutorial's login against the embedded IdP (log in as demo@example.com / oidclab-demo)
  oidclab up --open

  # Kong's OIDC tutorial file, minus the plugin
  oidclab up -c kong.yaml
  curl -i localhost:8000/anything

  # From standard input, machine-readable readiness on stdout
  cat kong.yaml | oidclab up -c - --json

  # The tutorial against Okta, reachable through your static ngrok domain
  export NGROK_AUTHTOKEN=...  DECK_ISSUER_URL=https://ORG.okta.com/oauth2/default
  export DECK_OKTA_CLIENT_ID=...  DECK_OKTA_CLIENT_SECRET=...
  oidclab up -c kong.yaml --ngrok-domain example.ngrok-free.dev`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return upRun(cmd.Context(), opts)
		},
	}
	addUpFlags(cmd.Flags(), opts)
	return cmd
}

// upRun starts a lab from the flags, narrates it on stderr and serves until ctx is done.
func upRun(ctx context.Context, opts *upOptions) error {
	cfg, err := opts.labConfig()
	if err != nil {
		return err
	}
	// The logger, the hop printer and the announcement share stderr from several goroutines.
	stderr := newAsyncWriter(&lockedWriter{w: opts.IO.ErrOut})
	defer stderr.Close()
	if cfg.Logger, err = upLogger(opts, stderr); err != nil {
		return err
	}
	if cfg.Expose, err = opts.tunnelFlags().expose(cfg.Logger); err != nil {
		return err
	}
	l, err := lab.Start(ctx, cfg)
	if err != nil {
		return upStartError(err, opts)
	}
	if names := l.OverriddenEnv(); len(names) > 0 {
		cfg.Logger.Warn("--idp local provides these decK variables; the environment's values are not used", "variables", names)
	}
	defer noteLabTunnel(l)()
	stopHops := startHops(ctx, opts, l, stderr, cfg.Logger)
	ready := readyOf(l, opts.Tunnel)
	announce(opts, stderr, l, ready, cfg.Logger)
	if opts.Open {
		if p := firstRoutePath(l.Gateway().Config()); p != "" {
			openBrowser(opts.IO, l.PublicURL()+p, cfg.Logger)
		}
	}
	if opts.ready != nil {
		opts.ready(ready)
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-l.Failed():
	}
	cfg.Logger.Info("shutting down", "drain_timeout", opts.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), opts.ShutdownTimeout)
	defer cancel()
	shutdownErr := l.Shutdown(shutdownCtx)
	stopHops()
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", serveErr)
	}
	if shutdownErr != nil {
		return fmt.Errorf("in-flight requests did not finish within %s; closed them", opts.ShutdownTimeout)
	}
	return nil
}
