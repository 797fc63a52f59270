package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/oidclab/oidclab/gateway/deck"
	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/okta"
	"github.com/oidclab/oidclab/tunnel"
)

// addUpFlags declares up's flags; the root command shares them (bare `oidclab` is `up` with the
// embedded defaults).
func addUpFlags(f *pflag.FlagSet, opts *upOptions) {
	f.VarP(&onceString{dst: &opts.ConfigFile}, "config", "c", "decK state file (YAML or JSON); - reads standard input")
	f.StringVar(&opts.Listen, "listen", lab.DefaultListen, "proxy address (HOST:PORT; port 0 picks a free one)")
	f.StringVar(&opts.AdminListen, "admin-listen", "127.0.0.1:8001", "admin API address, or off")
	f.BoolVar(&opts.AdminAllowRemote, "admin-allow-remote", false, "allow --admin-listen on a non-loopback address (anyone who reaches it can reconfigure the gateway)")
	f.StringSliceVar(&opts.TrustedIPs, "trusted-ips", nil, "CIDRs or IPs of proxies whose X-Forwarded-* and X-Real-IP headers are trusted (default none)")
	f.BoolVar(&opts.RealUpstreams, "real-upstreams", false, "send httpbin.konghq.com and httpbin.org services to the network instead of the built-in echo")
	f.BoolVar(&opts.JSON, "json", false, "print one JSON line with proxy_url, admin_url and public_url on stdout when ready; logs and hops as JSON on stderr")
	f.StringVar(&opts.Tunnel, "tunnel", "auto", "public URL for the gateway, so an IdP on the internet (Okta) can send the browser back: ngrok, none (this machine only), or auto (ngrok when NGROK_AUTHTOKEN is set)")
	f.StringVar(&opts.NgrokDomain, "ngrok-domain", "", "static ngrok domain (example.ngrok-free.dev, from dashboard.ngrok.com/domains) for a stable public URL and redirect URI; default an assigned URL")
	f.DurationVar(&opts.TunnelTimeout, "tunnel-timeout", tunnel.DefaultConnectTimeout, "how long to wait for ngrok to accept the session (it retries a refused authtoken forever; this turns that into an error)")
	f.StringVar(&opts.IdP, "idp", "auto", "identity provider to run alongside: local (the embedded Okta-compatible IdP, which provides the tutorial's DECK_* variables), none, or auto (local without -c, none with it)")
	f.StringVar(&opts.IdPListen, "idp-listen", lab.DefaultIdPListen, "address of the embedded IdP (--idp local)")
	f.BoolVar(&opts.Open, "open", false, "open the first route in your browser once ready")
	f.DurationVar(&opts.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long to let in-flight requests finish on shutdown")
	f.StringVar(&opts.LogLevel, "log-level", "info", "stderr log level: debug, info (one access-log line per request), warn or error")
}

// labConfig translates the flags into a lab configuration, refusing what cannot work.
func (opts *upOptions) labConfig() (lab.Config, error) {
	if err := validateUpOptions(opts); err != nil {
		return lab.Config{}, err
	}
	trusted, err := parseTrustedIPs(opts.TrustedIPs)
	if err != nil {
		return lab.Config{}, err
	}
	cfg := lab.Config{
		Listen:        opts.Listen,
		AdminListen:   opts.AdminListen,
		IdP:           lab.IdPMode(opts.IdP),
		IdPListen:     opts.IdPListen,
		TrustedIPs:    trusted,
		RealUpstreams: opts.RealUpstreams,
		Plugins:       opts.Plugins,
		LookupEnv:     os.LookupEnv,
	}
	if opts.ConfigFile != "" {
		cfg.DeckName = opts.ConfigFile
		if cfg.Deck, err = readConfigFile(opts.ConfigFile, opts.IO.In); err != nil {
			return lab.Config{}, asUsage(err)
		}
		// What `oidclab okta setup` wrote: `okta setup && up -c kong.yaml` is the whole walk.
		// The environment wins, as it does for decK.
		if vars, err := readEnvFile(defaultOktaEnvFile); err == nil {
			cfg.LookupEnv = func(name string) (string, bool) {
				if v, ok := os.LookupEnv(name); ok {
					return v, true
				}
				v, ok := vars[name]
				return v, ok
			}
		}
	}
	return cfg, nil
}

// readConfigFile reads path, or standard input for "-"; the decK loader checks the size.
func readConfigFile(path string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("cannot read the state file: %w", err)
		}
		defer f.Close()
		r = f
	} else if stdin == nil {
		return nil, errors.New("no standard input to read the state file from")
	}
	data, err := io.ReadAll(io.LimitReader(r, deck.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the state file %s: %w", path, err)
	}
	if data == nil {
		data = []byte{} // nil would mean the built-in tutorial
	}
	return data, nil
}

// upStartError says what to change when the lab does not start, naming the flag.
func upStartError(err error, opts *upOptions) error {
	var le *lab.ListenError
	var de *lab.DeckError
	if terr, ok := tunnelError(err); ok {
		return terr
	}
	switch {
	case errors.As(err, &le):
		flag, hint := map[string]string{"proxy": "--listen", "admin": "--admin-listen", "idp": "--idp-listen"}[le.Role], ""
		if le.InUse() {
			who := "another oidclab, Kong or other server is using it"
			if le.Role == "idp" {
				who = "is `oidclab idp` already running?"
			}
			hint = fmt.Sprintf(" (%s; stop it or choose another address with %s)", who, flag)
		}
		if le.Role == "idp" {
			return usageErrorf("embedded IdP: %v%s", le, hint)
		}
		return usageErrorf("%v%s", le, hint)
	case errors.As(err, &de):
		if len(de.MissingTutorialEnv) > 0 && opts.IdP != string(lab.IdPLocal) {
			return usageErrorf("%w\n(the tutorial's variables: export them for your IdP, or add --idp local to let the embedded Okta-compatible IdP provide them)", err)
		}
		return asUsage(err)
	}
	return asUsage(err)
}

func validateUpOptions(opts *upOptions) error {
	tf := opts.tunnelFlags()
	if err := tf.resolve(); err != nil {
		return err
	}
	opts.Tunnel = tf.Tunnel
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
		// up always serves the demo user, so the IdP stays on loopback; a shared IdP is
		// `oidclab idp` with users of your own.
		if err := refuseExposedDemoUser("--idp-listen", opts.IdPListen, "keep --idp-listen on loopback, or run `oidclab idp --listen ADDR --user LOGIN:PASSWORD` and point the gateway at it with --idp none"); err != nil {
			return err
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
	return err == nil && okta.IsLoopbackHost(host)
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
