// Package lab is the engine every front end drives: it listens, starts the embedded IdP with
// the gateway's real address as redirect URI, hands the decK file its variables, starts the
// gateway and its admin API, merges the gateway's and the IdP's events into one ordered
// stream, narrates them as hops, and shuts everything down.
package lab

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/admin"
	"github.com/oidclab/oidclab/gateway/deck"
	"github.com/oidclab/oidclab/gateway/oidc"
	"github.com/oidclab/oidclab/lab/tutorial"
	"github.com/oidclab/oidclab/okta"
	"github.com/oidclab/oidclab/okta/emulator"
)

var errAddrInUse = syscall.EADDRINUSE

// Defaults of a zero Config.
const (
	DefaultListen    = "127.0.0.1:8000"
	DefaultIdPListen = "127.0.0.1:9000"
)

// Lab is a running gateway (and IdP). Its methods are safe for concurrent use.
type Lab struct {
	cfg    Config
	log    *slog.Logger
	bus    *gateway.Bus
	gw     *gateway.Gateway
	idp    *emulator.Server
	idpInf IdPInfo
	lookup func(string) (string, bool)
	// oktaIdP: the IdP is Okta or the embedded Okta-compatible one, so failures get Okta's
	// console steps.
	oktaIdP atomic.Bool
	// clock is how far AdvanceClock moved the lab's time (gateway and embedded IdP together).
	clock atomic.Int64

	proxyURL, adminURL, publicURL string
	public                        Exposure

	servers   []*http.Server
	listeners []net.Listener
	serveErr  chan error
	closeOnce sync.Once
	closeErr  error
}

// IdPInfo is what a front end may show about the lab's IdP: never the client secret.
type IdPInfo struct {
	Embedded    bool   // the lab runs it (IdPLocal)
	Issuer      string // "" with IdPNone
	ClientID    string
	RedirectURI string
	// Login and Password are the embedded IdP's published demo credential.
	Login, Password string
}

// Start listens on every address first (a busy port is the whole story, before anything
// starts), then starts the IdP, loads the decK file with the IdP's variables, and serves.
// Shutdown stops everything; so does an error here.
func Start(ctx context.Context, cfg Config) (_ *Lab, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	l := &Lab{cfg: cfg, log: cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)), serveErr: make(chan error, 3)}
	if l.cfg.Plugins == nil {
		l.cfg.Plugins = Plugins()
	}
	l.bus = gateway.NewAnnotatingBus(l.annotate)
	defer func() {
		if err != nil {
			l.Shutdown(context.Background())
		}
	}()

	proxyLn, err := listen(ctx, "proxy", cmp.Or(cfg.Listen, DefaultListen))
	if err != nil {
		return nil, err
	}
	l.listeners = append(l.listeners, proxyLn)
	l.proxyURL = listenerURL(cmp.Or(cfg.Listen, DefaultListen), proxyLn)
	l.publicURL = l.proxyURL
	var adminLn net.Listener
	if cfg.AdminListen != "" && cfg.AdminListen != "off" {
		if adminLn, err = listen(ctx, "admin", cfg.AdminListen); err != nil {
			return nil, err
		}
		l.listeners = append(l.listeners, adminLn)
		l.adminURL = listenerURL(cfg.AdminListen, adminLn)
	}
	var public Exposure
	if cfg.Expose != nil {
		if public, err = cfg.Expose(ctx); err != nil {
			return nil, &ExposeError{Err: err}
		}
		l.listeners = append(l.listeners, public)
		l.public = public
		l.publicURL = strings.TrimSuffix(public.URL(), "/")
		l.watchTunnel(public)
	}

	vars, err := l.startIdP(ctx)
	if err != nil {
		return nil, err
	}
	vars = l.tunnelVars(vars)
	l.lookup = lookupWith(vars, l.env())

	dc, err := l.load(cfg.Deck, cfg.DeckName, nil)
	if err != nil {
		return nil, err
	}
	l.noteIdP(dc)
	l.gw, err = gateway.New(dc, gateway.Options{
		Logger:        l.log,
		Bus:           l.bus,
		Plugins:       l.cfg.Plugins,
		TrustedIPs:    cfg.TrustedIPs,
		RealUpstreams: cfg.RealUpstreams,
		Now:           l.now,
	})
	if err != nil {
		return nil, &DeckError{Source: dc.Source, Err: err}
	}

	l.serve(l.gw, proxyLn)
	if adminLn != nil {
		l.serve(admin.New(l.gw, admin.Options{Logger: l.log}), adminLn)
	}
	if public != nil {
		l.serve(gateway.WithListenerScheme(l.gw, exposureScheme(public)), public)
	}
	return l, nil
}

// startIdP starts the embedded IdP (IdPLocal) and returns the decK variables the lab's IdP
// provides.
func (l *Lab) startIdP(ctx context.Context) (map[string]string, error) {
	redirect := tutorial.RedirectURI(l.publicURL)
	switch l.cfg.IdP {
	case IdPExternal:
		ext := l.cfg.External
		l.idpInf = IdPInfo{Issuer: ext.Issuer, ClientID: ext.ClientID, RedirectURI: cmp.Or(ext.RedirectURI, redirect)}
		return map[string]string{
			tutorial.EnvIssuer:       ext.Issuer,
			tutorial.EnvClientID:     ext.ClientID,
			tutorial.EnvClientSecret: ext.ClientSecret,
			tutorial.EnvRedirectURI:  l.idpInf.RedirectURI,
		}, nil
	case IdPLocal:
	default:
		return nil, nil
	}
	ecfg := emulator.Default()
	if l.cfg.IdPConfig != nil {
		ecfg = *l.cfg.IdPConfig
	}
	client := tutorial.Client(l.publicURL)
	if i := clientIndex(ecfg.Clients, client.ID); i >= 0 {
		// A configured tutorial client keeps its settings and gains the gateway's address.
		c := &ecfg.Clients[i]
		for _, uri := range client.RedirectURIs {
			if !contains(c.RedirectURIs, uri) {
				c.RedirectURIs = append(c.RedirectURIs, uri)
			}
		}
		for _, uri := range client.PostLogoutRedirectURIs {
			if !contains(c.PostLogoutRedirectURIs, uri) {
				c.PostLogoutRedirectURIs = append(c.PostLogoutRedirectURIs, uri)
			}
		}
		client = *c
	} else {
		ecfg.Clients = append(ecfg.Clients, client)
	}
	addr := cmp.Or(l.cfg.IdPListen, DefaultIdPListen)
	// Not ctx: the IdP stops in Shutdown, after the gateway, so logins in flight finish.
	srv, err := emulator.Start(context.WithoutCancel(ctx), addr, ecfg, emulator.Options{
		Logger:     l.log.With("component", "idp"),
		SigningKey: l.cfg.IdPSigningKey,
		Now:        l.now,
		OnRequest:  l.publishIdP,
	})
	if err != nil {
		if errors.Is(err, errAddrInUse) {
			return nil, &ListenError{Role: "idp", Addr: addr, Err: err}
		}
		return nil, &IdPError{Err: err}
	}
	if host, _, _ := net.SplitHostPort(addr); strings.EqualFold(host, "localhost") {
		// The name asked for, as for the proxy: cookies and sites go by host name.
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL(), "http://"))
		srv.SetBaseURL("http://localhost:" + port)
	}
	l.idp = srv
	l.idpInf = IdPInfo{
		Embedded: true, Issuer: srv.Issuer(), ClientID: client.ID, RedirectURI: redirect,
		Login: emulator.DemoUserLogin, Password: emulator.DemoUserPassword,
	}
	return map[string]string{
		tutorial.EnvIssuer:       srv.Issuer(),
		tutorial.EnvClientID:     client.ID,
		tutorial.EnvClientSecret: client.Secret,
		tutorial.EnvRedirectURI:  redirect,
	}, nil
}

func clientIndex(cs []emulator.Client, id string) int {
	for i, c := range cs {
		if c.ID == id {
			return i
		}
	}
	return -1
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// env is the environment the front end handed in; without one, none (a library reads no
// process environment of its own).
func (l *Lab) env() func(string) (string, bool) {
	if l.cfg.LookupEnv != nil {
		return l.cfg.LookupEnv
	}
	return func(string) (string, bool) { return "", false }
}

// lookupWith resolves the IdP's variables first, then the environment's.
func lookupWith(vars map[string]string, env func(string) (string, bool)) func(string) (string, bool) {
	return func(name string) (string, bool) {
		if v, ok := vars[name]; ok {
			return v, true
		}
		return env(name)
	}
}

// OverriddenEnv lists the tutorial variables the environment sets to other values than the
// lab's IdP provides: the IdP's win, and a front end should say so.
func (l *Lab) OverriddenEnv() []string {
	env := l.env()
	var out []string
	for _, name := range tutorial.Env {
		if v, ok := env(name); ok {
			if mine, _ := l.lookup(name); v != mine {
				out = append(out, name)
			}
		}
	}
	return out
}

// load reads a decK file (nil: the built-in tutorial) with the lab's plugins and variables;
// vars, when given, are resolved before the lab's own.
func (l *Lab) load(src []byte, name string, vars map[string]string) (*deck.Config, error) {
	if src == nil {
		src, name = tutorial.Deck, tutorial.DeckName
	}
	opts := l.cfg.Plugins.LoadOptions()
	opts.LookupEnv = lookupWith(vars, l.lookup)
	cfg, err := deck.Load(bytes.NewReader(src), name, opts)
	if err != nil {
		return nil, &DeckError{Source: name, MissingTutorialEnv: missingTutorialEnv(err), Err: err}
	}
	return cfg, nil
}

// Apply loads a new decK file with the lab's variables and swaps it in atomically: requests in
// flight finish on the old configuration; on error nothing changes.
func (l *Lab) Apply(src []byte, name string) error { return l.ApplyWith(src, name, nil) }

// ApplyWith is Apply with vars resolved before the lab's own: a front end applies the values
// a person typed (a client secret that may be wrong is the point of trying) while a variable
// it leaves out, such as the embedded IdP's client secret, still comes from the lab and never
// passes through the front end.
func (l *Lab) ApplyWith(src []byte, name string, vars map[string]string) error {
	cfg, err := l.load(src, name, vars)
	if err != nil {
		return err
	}
	if err := l.gw.Apply(cfg); err != nil {
		return &DeckError{Source: name, Err: err}
	}
	l.noteIdP(cfg)
	return nil
}

// noteIdP works out whether the configuration's IdP is Okta: the embedded IdP is
// Okta-compatible; otherwise the openid-connect plugins' issuers tell.
func (l *Lab) noteIdP(cfg *deck.Config) {
	isOkta := l.idp != nil || okta.IsOrgIssuer(l.cfg.External.Issuer)
	for _, p := range cfg.Plugins {
		if iss, ok := p.Config["issuer"].(string); ok && p.Name == oidc.Name && okta.IsOrgIssuer(iss) {
			isOkta = true
		}
	}
	l.oktaIdP.Store(isOkta)
}

func (l *Lab) serve(h http.Handler, ln net.Listener) {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(l.log.Handler(), slog.LevelWarn),
	}
	l.servers = append(l.servers, srv)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			l.serveErr <- err
		}
	}()
}

// ProxyURL is where the gateway's proxy listens (http://HOST:PORT).
func (l *Lab) ProxyURL() string { return l.proxyURL }

// AdminURL is the admin API's URL, "" when it is off.
func (l *Lab) AdminURL() string { return l.adminURL }

// PublicURL is where a browser reaches the gateway: the tunnel's URL, else the proxy's.
func (l *Lab) PublicURL() string { return l.publicURL }

// IdP describes the lab's identity provider.
func (l *Lab) IdP() IdPInfo { return l.idpInf }

// Gateway is the running gateway.
func (l *Lab) Gateway() *gateway.Gateway { return l.gw }

// Emulator is the embedded IdP, nil unless IdPLocal.
func (l *Lab) Emulator() *emulator.Server { return l.idp }

// Subscribe returns the lab's ordered event stream (the gateway's hops and the IdP's
// requests) and a func that ends the subscription. A subscriber that falls behind by more
// than buffer events loses events; it never slows the proxy.
func (l *Lab) Subscribe(buffer int) (<-chan gateway.Event, func()) { return l.bus.Subscribe(buffer) }

// Failed delivers an error if a server stops serving on its own.
func (l *Lab) Failed() <-chan error { return l.serveErr }

// Shutdown lets requests in flight finish until ctx ends, then closes what is left, the
// gateway's servers first, then the tunnel's session, and the IdP last (a login in flight
// still reaches it).
func (l *Lab) Shutdown(ctx context.Context) error {
	l.closeOnce.Do(func() {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, srv := range l.servers {
			wg.Go(func() {
				if err := srv.Shutdown(ctx); err != nil {
					_ = srv.Close()
					mu.Lock()
					l.closeErr = errors.Join(l.closeErr, err)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		for _, ln := range l.listeners {
			_ = ln.Close() // those Serve never took (a failed Start)
		}
		if l.public != nil {
			// The tunnel's session ends after the servers: requests in flight through it
			// finished first.
			waitExposure(ctx, l.public)
		}
		if l.idp != nil {
			_ = l.idp.Close()
		}
	})
	return l.closeErr
}

func listen(ctx context.Context, role, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, &ListenError{Role: role, Addr: addr, Err: err}
	}
	return ln, nil
}

// listenerURL is the http URL clients use to reach ln: on localhost when that is the name asked
// for (a browser keeps cookies per host name, so the name matters), on loopback for an
// all-interfaces listener, else on the bound address.
func listenerURL(requested string, ln net.Listener) string {
	ap, err := netip.ParseAddrPort(ln.Addr().String())
	if host, _, _ := net.SplitHostPort(requested); err == nil && strings.EqualFold(host, "localhost") {
		return "http://localhost:" + strconv.Itoa(int(ap.Port()))
	}
	if err != nil {
		return "http://" + ln.Addr().String()
	}
	ip := ap.Addr()
	if ip.IsUnspecified() {
		ip = netip.MustParseAddr("127.0.0.1")
	}
	return "http://" + netip.AddrPortFrom(ip, ap.Port()).String()
}

// Settle waits until the gateway has no request in flight, so every event of the requests a
// client has seen answered is published: the gateway publishes a request's last event after
// the handler wrote its answer, which the client may read first. It returns ctx's error if the
// gateway stays busy (a client keeps requests open).
func (l *Lab) Settle(ctx context.Context) error {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for l.gw.Stats().InFlight > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// now is the lab's clock: real time moved by AdvanceClock.
func (l *Lab) now() time.Time { return time.Now().Add(time.Duration(l.clock.Load())) }

// AdvanceClock moves the lab's time forward by d for the gateway's plugins and the embedded
// IdP together, as if d had passed: tokens, codes and sessions expire, refresh tokens are used.
// (To make the two disagree, shift the IdP alone with Emulator().SetClockOffset.)
func (l *Lab) AdvanceClock(d time.Duration) { l.clock.Add(int64(d)) }
