package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/oidclab/oidclab/lab/tutorial"
	"github.com/oidclab/oidclab/tunnel"
)

// tunnelOptions are the flags of `oidclab tunnel`.
type tunnelOptions struct {
	IO *ioStreams
	tunnelFlags

	To              string
	JSON            bool
	ShutdownTimeout time.Duration

	// ready, when set, is told the public URL once the tunnel serves (tests use it).
	ready func(tunnelReady)
}

// tunnelReady is the JSON line --json prints once the tunnel serves.
type tunnelReady struct {
	PublicURL     string `json:"public_url"`
	To            string `json:"to"`
	DeckNgrokHost string `json:"deck_ngrok_host"`
}

func newTunnelCmd(io *ioStreams) *cobra.Command {
	opts := &tunnelOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "tunnel --to HOST:PORT",
		Short: "Expose a gateway you run yourself (Kong) on an ngrok URL",
		Long: `Open an ngrok tunnel (NGROK_AUTHTOKEN) to a gateway already running on this machine, such as
Kong on 127.0.0.1:8000, so that Okta can send the browser back to it, and print the
DECK_NGROK_HOST line for the tutorial's decK file. Serves until interrupted.

Requests reach the gateway with the public Host and X-Forwarded-Proto: https,
X-Forwarded-Host and X-Forwarded-Port: 443 (whatever forwarding headers a visitor sent are
dropped). Kong believes those headers only from its trusted_ips: start Kong with
KONG_TRUSTED_IPS=127.0.0.1 (or the address it sees this machine as, e.g. from Docker) so the
openid-connect plugin builds https redirect URIs and Secure cookies.`,
		Example: `  # Kong on :8000, the tutorial's decK file
  export NGROK_AUTHTOKEN=...
  oidclab tunnel --to 127.0.0.1:8000 --ngrok-domain example.ngrok-free.dev
  # in another terminal: paste the printed export DECK_NGROK_HOST=... line, then
  deck gateway sync kong.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return tunnelRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.To, "to", "", "the local gateway: HOST:PORT (127.0.0.1:8000) or an http URL (required)")
	addTunnelDomainFlags(f, &opts.tunnelFlags)
	f.BoolVar(&opts.JSON, "json", false, "print one JSON line with public_url, to and deck_ngrok_host on stdout when ready; logs as JSON on stderr")
	f.DurationVar(&opts.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long to let in-flight requests finish on shutdown")
	return cmd
}

// tunnelRun opens the tunnel, forwards it to the local gateway and serves until ctx is done
// or the tunnel ends.
func tunnelRun(ctx context.Context, opts *tunnelOptions) error {
	if opts.To == "" {
		return usageErrorf("--to is required: the address of your gateway, e.g. --to 127.0.0.1:8000")
	}
	target, err := tunnel.ForwardTarget(opts.To)
	if err != nil {
		return asUsage(err)
	}
	if opts.Tunnel == "" {
		opts.Tunnel = "ngrok"
	}
	if err := opts.tunnelFlags.resolve(); err != nil {
		return err
	}
	if opts.ShutdownTimeout <= 0 {
		return usageErrorf("--shutdown-timeout must be positive")
	}
	stderr := newAsyncWriter(&lockedWriter{w: opts.IO.ErrOut})
	defer stderr.Close()
	logger, err := upLogger(&upOptions{JSON: opts.JSON, LogLevel: "info"}, stderr)
	if err != nil {
		return err
	}
	if c, err := (&net.Dialer{Timeout: 2 * time.Second}).DialContext(ctx, "tcp", target.Host); err != nil {
		logger.Warn("nothing answers at --to yet; requests through the tunnel fail until the gateway runs", "to", target.Host, "err", err)
	} else {
		c.Close()
	}

	p, err := opts.provider()
	if err != nil {
		return asUsage(err)
	}
	t, err := p.Open(ctx, opts.config(logger))
	if err != nil {
		if terr, ok := tunnelError(err); ok {
			return terr
		}
		if ctx.Err() != nil {
			return nil // interrupted while connecting
		}
		return fmt.Errorf("cannot open the tunnel: %w", err)
	}
	h, err := tunnel.Forwarder(target.String(), t.URL(), logger)
	if err != nil {
		_ = t.Close()
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(t) }()
	go logTunnelEvents(t, logger)

	ready := tunnelReady{PublicURL: t.URL(), To: target.String(), DeckNgrokHost: tutorial.RedirectURI(t.URL())}
	if remove, err := noteTunnel(tunnelStateFile, ready.PublicURL, ready.DeckNgrokHost); err == nil {
		defer remove()
	}
	if opts.JSON {
		b, _ := json.Marshal(ready)
		fmt.Fprintln(opts.IO.Out, string(b))
	} else {
		fmt.Fprintf(stderr, "oidclab tunnel ready: %s -> %s\n", ready.PublicURL, ready.To)
		fmt.Fprintf(stderr, "  requests arrive with Host %s and X-Forwarded-Proto https; Kong believes them only\n"+
			"  from its trusted_ips (KONG_TRUSTED_IPS=127.0.0.1)\n", hostOf(ready.PublicURL))
		fmt.Fprintf(stderr, "  register %s as a sign-in redirect URI in Okta, and for the tutorial's decK file:\n", ready.DeckNgrokHost)
		tunnelNotes(stderr, ready.PublicURL, p.Name())
		fmt.Fprintln(stderr, "Press Ctrl-C to stop.")
		// The one line on stdout: copy it, or capture it from a script.
		fmt.Fprintf(opts.IO.Out, "export %s=%s\n", tutorial.EnvRedirectURI, ready.DeckNgrokHost)
	}
	if opts.ready != nil {
		opts.ready(ready)
	}

	var runErr error
	select {
	case <-ctx.Done():
	case <-t.Done():
		runErr = errors.New("the tunnel ended; the public URL is offline")
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			runErr = fmt.Errorf("the tunnel ended: %w", err)
		}
	}
	logger.Info("shutting down", "drain_timeout", opts.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), opts.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
	}
	_ = t.Close()
	select {
	case <-t.Done():
	case <-shutdownCtx.Done():
	}
	return runErr
}

// logTunnelEvents reports reconnects and disconnects with what to do, until the tunnel ends.
func logTunnelEvents(t tunnel.Tunnel, logger *slog.Logger) {
	for e := range t.Events() {
		level, attrs := slog.LevelWarn, []any{"event", string(e.Kind)}
		if e.Kind == tunnel.EventReconnected {
			level = slog.LevelInfo
		}
		if e.Err != nil {
			attrs = append(attrs, "err", e.Err.Error())
		}
		if a := e.Advice(); a != "" {
			attrs = append(attrs, "advice", a)
		}
		logger.Log(context.Background(), level, "tunnel "+string(e.Kind), attrs...)
	}
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}
