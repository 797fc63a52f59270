package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/deck"
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
	IdP              string
	IdPListen        string
	Open             bool
	ShutdownTimeout  time.Duration
	LogLevel         string

	// Plugins is the registry to run (plugins() in production, fakes in tests).
	Plugins gateway.Plugins
	// ready, when set, is told the URLs once everything listens (tests use it).
	ready func(upReady)
}

// upReady is the JSON line --json prints when the gateway is ready.
type upReady struct {
	ProxyURL  string  `json:"proxy_url"`
	AdminURL  *string `json:"admin_url"` // null when --admin-listen off
	PublicURL string  `json:"public_url"`
	// With --idp local: where the embedded IdP is and who can log in (the published demo
	// credential; the client secret is never printed).
	IdP *upReadyIdP `json:"idp,omitempty"`
}

type upReadyIdP struct {
	Issuer      string `json:"issuer"`
	ClientID    string `json:"client_id"`
	RedirectURI string `json:"redirect_uri"`
	Login       string `json:"login"`
	Password    string `json:"password"`
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

Serves until interrupted (Ctrl-C or SIGTERM), then lets in-flight requests finish.`,
		Example: `  # The tutorial's login against the embedded IdP (log in as demo@example.com / oidclab-demo)
  oidclab up --open

  # Kong's OIDC tutorial file, minus the plugin
  oidclab up -c kong.yaml
  curl -i localhost:8000/anything

  # From standard input, machine-readable readiness on stdout
  cat kong.yaml | oidclab up -c - --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Plugins = plugins()
			return upRun(cmd.Context(), opts)
		},
	}
	addUpFlags(cmd.Flags(), opts)
	return cmd
}

// addUpFlags declares up's flags; the root command shares them (bare `oidclab` is `up` with the
// embedded defaults).
func addUpFlags(f *pflag.FlagSet, opts *upOptions) {
	f.VarP(&onceString{dst: &opts.ConfigFile}, "config", "c", "decK state file (YAML or JSON); - reads standard input")
	f.StringVar(&opts.Listen, "listen", "127.0.0.1:8000", "proxy address (HOST:PORT; port 0 picks a free one)")
	f.StringVar(&opts.AdminListen, "admin-listen", "127.0.0.1:8001", "admin API address, or off")
	f.BoolVar(&opts.AdminAllowRemote, "admin-allow-remote", false, "allow --admin-listen on a non-loopback address (anyone who reaches it can reconfigure the gateway)")
	f.StringSliceVar(&opts.TrustedIPs, "trusted-ips", nil, "CIDRs or IPs of proxies whose X-Forwarded-* and X-Real-IP headers are trusted (default none)")
	f.BoolVar(&opts.RealUpstreams, "real-upstreams", false, "send httpbin.konghq.com and httpbin.org services to the network instead of the built-in echo")
	f.BoolVar(&opts.JSON, "json", false, "print one JSON line with proxy_url, admin_url and public_url on stdout when ready; logs as JSON on stderr")
	f.StringVar(&opts.Tunnel, "tunnel", "none", "public tunnel: none (ngrok and auto are not available yet)")
	f.StringVar(&opts.NgrokDomain, "ngrok-domain", "", "reserved ngrok domain (needs --tunnel ngrok; not available yet)")
	f.StringVar(&opts.IdP, "idp", "auto", "identity provider to run alongside: local (the embedded Okta-compatible IdP, which provides the tutorial's DECK_* variables), none, or auto (local without -c, none with it)")
	f.StringVar(&opts.IdPListen, "idp-listen", "127.0.0.1:9000", "address of the embedded IdP (--idp local)")
	f.BoolVar(&opts.Open, "open", false, "open the first route in your browser once ready")
	f.DurationVar(&opts.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long to let in-flight requests finish on shutdown")
	f.StringVar(&opts.LogLevel, "log-level", "info", "stderr log level: debug, info (one access-log line per request), warn or error")
}

// upRun validates the options, starts the gateway and serves until ctx is done.
func upRun(ctx context.Context, opts *upOptions) error {
	if err := validateUpOptions(opts); err != nil {
		return err
	}
	trusted, err := parseTrustedIPs(opts.TrustedIPs)
	if err != nil {
		return err
	}
	// The logger, the hop printer and the announcement share stderr from several goroutines.
	stderr := newAsyncWriter(&lockedWriter{w: opts.IO.ErrOut})
	defer stderr.Close()
	logger, err := upLogger(opts, stderr)
	if err != nil {
		return err
	}

	// Listen first: the embedded IdP registers the gateway's real address as redirect URI.
	proxyLn, err := listen("--listen", opts.Listen)
	if err != nil {
		return err
	}
	defer proxyLn.Close()
	ready := upReady{ProxyURL: listenerURL(proxyLn)}
	ready.PublicURL = ready.ProxyURL
	// The admin port too, before anything is started or logged: a busy port is the whole story.
	var adminLn net.Listener
	if opts.AdminListen != "off" {
		if adminLn, err = listen("--admin-listen", opts.AdminListen); err != nil {
			return err
		}
		defer adminLn.Close()
		u := listenerURL(adminLn)
		ready.AdminURL = &u
	}

	lookup := os.LookupEnv
	var idp *localIdP
	if opts.IdP == "local" {
		idp, err = startLocalIdP(ctx, opts.IdPListen, ready.ProxyURL, logger)
		if err != nil {
			return err
		}
		ready.IdP = idp.ready()
		defer idp.Close()
		var overridden []string
		lookup, overridden = idp.lookupEnv()
		if len(overridden) > 0 {
			logger.Warn("--idp local provides these decK variables; the environment's values are not used", "variables", strings.Join(overridden, ","))
		}
	}

	cfg, err := loadUpConfig(opts, lookup)
	if err != nil {
		return err
	}
	gw, err := gateway.New(cfg, gateway.Options{
		Logger:        logger,
		Plugins:       opts.Plugins,
		TrustedIPs:    trusted,
		RealUpstreams: opts.RealUpstreams,
	})
	if err != nil {
		return asUsage(err)
	}

	servers := []*http.Server{newServer(gw, logger)}
	listeners := []net.Listener{proxyLn}
	if adminLn != nil {
		servers = append(servers, newServer(gw.Admin(), logger))
		listeners = append(listeners, adminLn)
	}
	{
		// Every hop of a login, explained, as it happens: as text for a person, as log records
		// with --json.
		events, unsubscribe := gw.Bus().Subscribe(256)
		printed := make(chan struct{})
		// With the access log on, each request already has its line; the hops add the login's.
		withRequests := !logger.Enabled(ctx, slog.LevelInfo)
		go func() {
			defer close(printed)
			if opts.JSON {
				logHops(logger, events)
				return
			}
			printHops(stderr, events, withRequests)
		}()
		defer func() { unsubscribe(); <-printed }()
	}

	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() { errc <- srv.Serve(listeners[i]) }()
	}
	announce(opts, stderr, gw, ready, idp, logger)
	if opts.Open {
		openBrowser(opts.IO, ready.ProxyURL+firstRoutePath(cfg), logger)
	}
	if opts.ready != nil {
		opts.ready(ready)
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	logger.Info("shutting down", "drain_timeout", opts.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), opts.ShutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	var shutdownErr error
	var mu sync.Mutex
	for _, srv := range servers {
		wg.Go(func() {
			if err := srv.Shutdown(shutdownCtx); err != nil {
				mu.Lock()
				shutdownErr = errors.Join(shutdownErr, err)
				mu.Unlock()
				_ = srv.Close()
			}
		})
	}
	wg.Wait()
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", serveErr)
	}
	if shutdownErr != nil {
		return fmt.Errorf("in-flight requests did not finish within %s; closed them", opts.ShutdownTimeout)
	}
	return nil
}

func validateUpOptions(opts *upOptions) error {
	if opts.Tunnel != "none" {
		return usageErrorf("--tunnel %s is not available yet; only --tunnel none is", opts.Tunnel)
	}
	if opts.NgrokDomain != "" {
		return usageErrorf("--ngrok-domain needs --tunnel ngrok, which is not available yet")
	}
	switch opts.IdP {
	case "auto":
		opts.IdP = "none"
		if opts.ConfigFile == "" {
			opts.IdP = "local"
		}
	case "local", "none":
	default:
		return usageErrorf("--idp %q: want local, none or auto", opts.IdP)
	}
	if opts.ConfigFile == "" && opts.IdP == "none" {
		return usageErrorf("no configuration: pass a decK state file with -c FILE (or -c - for standard input), or leave out --idp none to run the tutorial against the embedded IdP")
	}
	if opts.IdP == "local" {
		if _, _, err := net.SplitHostPort(opts.IdPListen); err != nil {
			return usageErrorf("--idp-listen %q: want HOST:PORT", opts.IdPListen)
		}
	}
	if opts.ShutdownTimeout <= 0 {
		return usageErrorf("--shutdown-timeout must be positive")
	}
	if opts.AdminListen != "off" {
		if _, _, err := net.SplitHostPort(opts.AdminListen); err != nil {
			return usageErrorf("--admin-listen %q: want HOST:PORT or off", opts.AdminListen)
		}
		if !opts.AdminAllowRemote && !isLoopbackAddr(opts.AdminListen) {
			return usageErrorf("--admin-listen %s is not a loopback address: anyone who reaches the admin API can reconfigure the gateway; add --admin-allow-remote if that is intended", opts.AdminListen)
		}
	}
	if _, _, err := net.SplitHostPort(opts.Listen); err != nil {
		return usageErrorf("--listen %q: want HOST:PORT", opts.Listen)
	}
	return nil
}

// isLoopbackAddr reports whether HOST:PORT names only this machine; an empty host (all
// interfaces) does not.
func isLoopbackAddr(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	return err == nil && isLoopbackHost(host)
}

// isLoopbackHost reports whether a host name or IP names only this machine.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func parseTrustedIPs(values []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range values {
		v = strings.TrimSpace(v)
		if p, err := netip.ParsePrefix(v); err == nil {
			out = append(out, p.Masked())
			continue
		}
		if ip, err := netip.ParseAddr(v); err == nil {
			out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
			continue
		}
		return nil, usageErrorf("--trusted-ips: %q is neither a CIDR (10.0.0.0/8) nor an IP address", v)
	}
	return out, nil
}

// loadUpConfig reads the decK file named by -c, or without -c the tutorial's own decK file.
func loadUpConfig(opts *upOptions, lookup func(string) (string, bool)) (*deck.Config, error) {
	dopts := opts.Plugins.LoadOptions()
	dopts.LookupEnv = lookup
	if opts.ConfigFile == "" {
		cfg, err := deck.Load(bytes.NewReader(tutorialKong), "tutorial kong.yaml (built in)", dopts)
		if err != nil {
			return nil, fmt.Errorf("the built-in tutorial configuration: %w", err)
		}
		return cfg, nil
	}
	cfg, err := deck.LoadFile(opts.ConfigFile, opts.IO.In, dopts)
	if err != nil {
		if opts.IdP != "local" && missesTutorialVariables(err) {
			err = fmt.Errorf("%w\n(the tutorial's variables: export them for your IdP, or add --idp local to let the embedded Okta-compatible IdP provide them)", err)
		}
		return nil, asUsage(err)
	}
	return cfg, nil
}

// missesTutorialVariables reports whether loading failed on an unset variable that --idp local
// would provide.
func missesTutorialVariables(err error) bool {
	var de *deck.Errors
	if !errors.As(err, &de) {
		return false
	}
	for _, p := range de.Problems {
		for _, name := range []string{envIssuer, envClientID, envClientSecret, envRedirect} {
			if strings.Contains(p.Message, "'"+name+"' present in state file but not set") {
				return true
			}
		}
	}
	return false
}

func upLogger(opts *upOptions, w io.Writer) (*slog.Logger, error) {
	var level slog.Level // "" is info, for callers that build upOptions in code
	if err := level.UnmarshalText([]byte(cmp.Or(opts.LogLevel, "info"))); err != nil {
		return nil, usageErrorf("--log-level %q: want debug, info, warn or error", opts.LogLevel)
	}
	ho := &slog.HandlerOptions{Level: level}
	if opts.JSON {
		return slog.New(slog.NewJSONHandler(w, ho)), nil
	}
	return slog.New(slog.NewTextHandler(w, ho)), nil
}

func listen(flag, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		hint := ""
		if errors.Is(err, syscall.EADDRINUSE) {
			hint = " (another oidclab, Kong or other server is using it; stop it or choose another address with " + flag + ")"
		}
		return nil, usageErrorf("cannot listen on %s: %v%s", addr, err, hint)
	}
	return ln, nil
}

// listenerURL is the http URL clients use to reach ln; an all-interfaces listener is reached on
// loopback.
func listenerURL(ln net.Listener) string {
	ap, err := netip.ParseAddrPort(ln.Addr().String())
	if err != nil {
		return "http://" + ln.Addr().String()
	}
	ip := ap.Addr()
	if ip.IsUnspecified() {
		ip = netip.MustParseAddr("127.0.0.1")
	}
	return "http://" + netip.AddrPortFrom(ip, ap.Port()).String()
}

func newServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// announce tells the user (stderr) or the calling program (--json, stdout) that the gateway is
// ready and where.
func announce(opts *upOptions, w io.Writer, gw *gateway.Gateway, ready upReady, idp *localIdP, logger *slog.Logger) {
	echo := gw.EchoServices()
	if len(echo) > 0 {
		logger.Info("built-in echo upstream answers these services (--real-upstreams turns it off)", "services", strings.Join(echo, ","))
	}
	if opts.JSON {
		b, _ := json.Marshal(ready)
		fmt.Fprintln(opts.IO.Out, string(b))
		return
	}
	cfg := gw.Config()
	source := cfg.Source
	if source == "-" {
		source = "standard input"
	}
	fmt.Fprintf(w, "oidclab gateway ready: %d services, %d routes, %d plugins from %s\n",
		len(cfg.Services), len(cfg.Routes), len(cfg.Plugins), source)
	fmt.Fprintf(w, "  proxy      %s\n", ready.ProxyURL)
	if ready.AdminURL != nil {
		fmt.Fprintf(w, "  admin API  %s\n", *ready.AdminURL)
	}
	for _, name := range echo {
		fmt.Fprintf(w, "  service %q is answered by the built-in echo upstream\n", name)
	}
	if idp != nil {
		fmt.Fprint(w, idp.describe())
	}
	if p := firstRoutePath(cfg); p != "" {
		if idp != nil {
			verb := "open"
			if opts.Open {
				verb = "opening" // the browser is being launched; the URL is for another one
			}
			fmt.Fprintf(w, "  %s %s%s in a browser to log in (use this host name: the redirect URI is %s)\n", verb, ready.ProxyURL, p, idp.redirectURI)
		} else {
			fmt.Fprintf(w, "  try: curl -i %s%s\n", ready.ProxyURL, p)
		}
	}
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}

// firstRoutePath is the first plain path of the first route, the page to open or curl.
func firstRoutePath(cfg *deck.Config) string {
	if len(cfg.Routes) > 0 && len(cfg.Routes[0].Paths) > 0 && !strings.HasPrefix(cfg.Routes[0].Paths[0], "~") {
		return cfg.Routes[0].Paths[0]
	}
	return ""
}

// onceString is a string flag that refuses to be given twice: decK merges several state files,
// oidclab reads one, and silently keeping the last would serve a different config than asked.
type onceString struct {
	dst *string
	set bool
}

func (o *onceString) String() string {
	if o.dst == nil {
		return ""
	}
	return *o.dst
}

func (o *onceString) Set(v string) error {
	if o.set {
		return errors.New("given twice: oidclab reads one decK file (merging several, as decK does, is not supported)")
	}
	o.set = true
	*o.dst = v
	return nil
}

func (o *onceString) Type() string { return "file" }
