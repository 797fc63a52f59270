package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/oidclab/oidclab/okta"
	"github.com/oidclab/oidclab/okta/emulator"
)

// idpOptions are the flags of `oidclab idp`.
type idpOptions struct {
	IO *ioStreams

	Listen       string
	ConfigFile   string
	BaseURL      string
	ClientID     string
	ClientSecret string
	RedirectURIs []string
	Users        []string
	ShowSecrets  bool
	JSON         bool

	// ready, when set, is told what was announced (tests use it).
	ready func(idpReady, *emulator.Server)
}

// idpReady is the JSON line --json prints once the IdP listens.
type idpReady struct {
	Issuer       string           `json:"issuer"`
	DiscoveryURL string           `json:"discovery_url"`
	ClientID     string           `json:"client_id"`
	ClientSecret string           `json:"client_secret"`
	RedirectURIs []string         `json:"redirect_uris"`
	Users        []idpReadyUser   `json:"users"`
	Clients      []idpReadyClient `json:"clients"`
	// AuthServers lists every authorization server's issuer (Issuer is the first's).
	AuthServers []idpReadyServer `json:"authorization_servers"`
	ControlURL  string           `json:"control_url"`
	// OrgURL and APIToken are for `oidclab okta` (--org-url, OKTA_API_TOKEN): the IdP serves
	// Okta's Management API too. The token is masked unless --show-secrets.
	OrgURL   string `json:"org_url"`
	APIToken string `json:"api_token"`
}

type idpReadyServer struct {
	ID     string `json:"id"`
	Issuer string `json:"issuer"`
}

type idpReadyUser struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

type idpReadyClient struct {
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret,omitempty"`
	Type         string   `json:"type"`
	RedirectURIs []string `json:"redirect_uris"`
}

// masked stands in for a secret the user did not ask to see.
const masked = "********"

func newIdpCmd(io *ioStreams) *cobra.Command {
	opts := &idpOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "idp",
		Short: "Run the embedded Okta-compatible authorization server",
		Long: `Run oidclab's embedded OpenID Provider. It behaves like an Okta org's custom authorization
server: issuer http://HOST:PORT/oauth2/default, Okta's endpoints (/v1/authorize, /v1/token,
/v1/keys, /v1/userinfo, /v1/introspect, /v1/revoke, /v1/logout), Okta's token shapes and Okta's
error texts. Any standard OpenID Connect client can log in against it. It also serves the
subset of Okta's Management API that 'oidclab okta setup|sync|doctor|cleanup' drives, with
the API token it prints (OKTA_API_TOKEN; api_token in a --config file sets it).

With no configuration it serves the tutorial's web app (redirect URIs
http://127.0.0.1:8000/anything and http://localhost:8000/anything, a fresh client secret) and
a demo user, ` + emulator.DemoUserLogin + ` / ` + emulator.DemoUserPassword + `.

The client secret, the API token and configured passwords are masked unless --show-secrets. The demo user's
password is always shown: it is a published demo credential you need to type.

Serves until interrupted (Ctrl-C or SIGTERM).`,
		Example: `  # The tutorial's client and demo user on 127.0.0.1:9000
  oidclab idp --show-secrets

  # Your own client and user, machine-readable on stdout
  oidclab idp --listen 127.0.0.1:0 --client-id my-app --client-secret s3cret \
    --redirect-uri http://localhost:4180/oauth2/callback --user alice@example.com:pa55word --json

  # Users, apps, authorization servers and access policies from a file
  oidclab idp --config idp.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return idpRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Listen, "listen", "127.0.0.1:9000", "address (HOST:PORT; port 0 picks a free one)")
	f.StringVarP(&opts.ConfigFile, "config", "c", "", "YAML file with users, clients and authorization servers")
	f.StringVar(&opts.BaseURL, "base-url", "", "externally visible URL when it differs from the listen address (a tunnel or proxy)")
	f.StringVar(&opts.ClientID, "client-id", "", "client id (of the tutorial client, or of a client in --config, or a new one)")
	f.StringVar(&opts.ClientSecret, "client-secret", "", "client secret (default: generated)")
	f.StringArrayVar(&opts.RedirectURIs, "redirect-uri", nil, "sign-in redirect URI of the client (repeatable; replaces the defaults)")
	f.StringArrayVar(&opts.Users, "user", nil, "user as LOGIN:PASSWORD (repeatable; replaces the demo user)")
	f.BoolVar(&opts.ShowSecrets, "show-secrets", false, "print the client secret and user passwords")
	f.BoolVar(&opts.JSON, "json", false, "print one JSON line (issuer, client, users) on stdout when ready; logs as JSON on stderr")
	return cmd
}

// refuseExposedDemoUser refuses to serve the embedded IdP's published demo user (its password
// is in the README and --help) on an address other machines reach: anyone on the network could
// sign in. Both `oidclab idp` and `oidclab up` ask it; remedy says what to do instead.
func refuseExposedDemoUser(flag, listen, remedy string) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return usageErrorf("%s %q: want HOST:PORT", flag, listen)
	}
	if okta.IsLoopbackHost(host) {
		return nil
	}
	return usageErrorf("%s %s is reachable from the network, and anyone there could sign in as the published demo user: %s", flag, listen, remedy)
}

// idpRun builds the configuration, starts the emulator and serves until ctx is done.
func idpRun(ctx context.Context, opts *idpOptions) error {
	cfg, explicitUsers, err := idpConfig(opts)
	if err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(opts.Listen)
	if err != nil {
		return usageErrorf("--listen %q: want HOST:PORT", opts.Listen)
	}
	if !explicitUsers {
		if err := refuseExposedDemoUser("--listen", opts.Listen, "configure your own users with --user LOGIN:PASSWORD or --config"); err != nil {
			return err
		}
	}
	if opts.BaseURL != "" {
		u, err := url.Parse(opts.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return usageErrorf("--base-url %q: want an origin like https://idp.example.com", opts.BaseURL)
		}
		if u.Scheme == "http" && !okta.IsLoopbackHost(u.Hostname()) {
			return usageErrorf("--base-url %q: http is accepted on loopback hosts only; use https", opts.BaseURL)
		}
	}
	logger := slog.New(slog.NewTextHandler(opts.IO.ErrOut, nil))
	if opts.JSON {
		logger = slog.New(slog.NewJSONHandler(opts.IO.ErrOut, nil))
	}
	srv, err := emulator.Start(ctx, opts.Listen, cfg, emulator.Options{Logger: logger, BaseURL: opts.BaseURL})
	if err != nil {
		if errors.Is(err, emulator.ErrInvalidConfig) {
			return asUsage(err)
		}
		hint := ""
		if errors.Is(err, syscall.EADDRINUSE) {
			hint = " (another oidclab idp or server is using it; stop it or choose another address with --listen, port 0 picks a free one)"
		}
		return usageErrorf("cannot listen on %s: %v%s", opts.Listen, errors.Unwrap(err), hint)
	}
	defer srv.Close()
	if !okta.IsLoopbackHost(host) && opts.BaseURL == "" {
		logger.Warn("the issuer names a loopback address; clients on other machines need --base-url with the address they use", "issuer", srv.Issuer())
	}

	ready := idpAnnouncement(srv, cfg, opts)
	if err := idpAnnounce(opts, ready); err != nil {
		return err
	}
	if opts.ready != nil {
		opts.ready(ready, srv)
	}
	<-ctx.Done()
	logger.Info("shutting down")
	return srv.Close()
}

// idpConfig is the --config file (or the tutorial default) edited by the flags. It reports
// whether the users were configured explicitly rather than the demo user.
func idpConfig(opts *idpOptions) (emulator.Config, bool, error) {
	cfg := emulator.Default()
	explicitUsers := false
	if opts.ConfigFile != "" {
		var err error
		if cfg, err = emulator.LoadConfig(opts.ConfigFile); err != nil {
			return cfg, false, asUsage(err)
		}
		explicitUsers = len(cfg.Users) > 0
	}
	if len(opts.Users) > 0 {
		if opts.ConfigFile == "" {
			cfg.Users = nil // replace the demo user
		}
		for _, spec := range opts.Users {
			login, password, ok := strings.Cut(spec, ":")
			if !ok || login == "" || password == "" {
				return cfg, false, usageErrorf("--user %q: want LOGIN:PASSWORD", redactUserSpec(spec))
			}
			cfg.Users = slicesDeleteLogin(cfg.Users, login)
			cfg.Users = append(cfg.Users, emulator.User{Login: login, Password: password,
				Profile: emulator.Profile{Email: loginEmail(login), PreferredUsername: login}, Groups: []string{"Everyone"}})
		}
		explicitUsers = true
	}
	if err := idpClientFlags(&cfg, opts); err != nil {
		return cfg, false, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, false, asUsage(err)
	}
	return cfg, explicitUsers, nil
}

// idpClientFlags applies --client-id, --client-secret and --redirect-uri.
func idpClientFlags(cfg *emulator.Config, opts *idpOptions) error {
	if opts.ClientID == "" && opts.ClientSecret == "" && len(opts.RedirectURIs) == 0 {
		return nil
	}
	idx := -1
	switch {
	case opts.ConfigFile == "":
		idx = 0 // the tutorial client
	case opts.ClientID == "":
		return usageErrorf("--client-secret and --redirect-uri with --config need --client-id to say which client they change")
	default:
		for i, c := range cfg.Clients {
			if c.ID == opts.ClientID {
				idx = i
			}
		}
	}
	if idx < 0 { // a new web client, assigned to everyone
		if len(opts.RedirectURIs) == 0 {
			return usageErrorf("--client-id %s is not in %s: a new client needs at least one --redirect-uri", opts.ClientID, opts.ConfigFile)
		}
		cfg.Clients = append(cfg.Clients, emulator.Client{ID: opts.ClientID, Type: emulator.ClientWeb, Secret: emulator.Default().Clients[0].Secret,
			GrantTypes: []string{emulator.GrantAuthorizationCode, emulator.GrantRefreshToken}, AssignAll: true})
		idx = len(cfg.Clients) - 1
	}
	c := &cfg.Clients[idx]
	if opts.ClientID != "" {
		c.ID = opts.ClientID
	}
	if opts.ClientSecret != "" {
		c.Secret = opts.ClientSecret
	}
	if len(opts.RedirectURIs) > 0 {
		c.RedirectURIs = append([]string(nil), opts.RedirectURIs...)
	}
	return nil
}

func slicesDeleteLogin(users []emulator.User, login string) []emulator.User {
	out := users[:0]
	for _, u := range users {
		if !strings.EqualFold(u.Login, login) {
			out = append(out, u)
		}
	}
	return out
}

func loginEmail(login string) string {
	if strings.Contains(login, "@") {
		return login
	}
	return ""
}

// redactUserSpec keeps a password out of an error message.
func redactUserSpec(spec string) string {
	if login, _, ok := strings.Cut(spec, ":"); ok {
		return login + ":" + masked
	}
	return spec
}

func idpAnnouncement(srv *emulator.Server, cfg emulator.Config, opts *idpOptions) idpReady {
	secret := func(s string) string {
		if s == "" || opts.ShowSecrets {
			return s
		}
		return masked
	}
	r := idpReady{
		Issuer:       srv.Issuer(),
		DiscoveryURL: srv.Issuer() + "/.well-known/openid-configuration",
		ControlURL:   srv.ControlURL(),
		OrgURL:       srv.URL(),
		APIToken:     secret(srv.APIToken()),
		Users:        []idpReadyUser{},
		Clients:      []idpReadyClient{},
		RedirectURIs: []string{},
		AuthServers:  []idpReadyServer{},
	}
	for _, as := range cfg.AuthServers {
		r.AuthServers = append(r.AuthServers, idpReadyServer{ID: as.ID, Issuer: srv.IssuerFor(as.ID)})
	}
	if len(r.AuthServers) == 0 { // the emulator adds "default" to a file that names none
		r.AuthServers = append(r.AuthServers, idpReadyServer{ID: emulator.DefaultAuthServerID, Issuer: srv.Issuer()})
	}
	for _, u := range cfg.Users {
		pw := secret(u.Password)
		if u.Login == emulator.DemoUserLogin && u.Password == emulator.DemoUserPassword {
			pw = u.Password // the published demo credential
		}
		r.Users = append(r.Users, idpReadyUser{Login: u.Login, Password: pw})
	}
	for _, c := range cfg.Clients {
		r.Clients = append(r.Clients, idpReadyClient{ClientID: c.ID, ClientSecret: secret(c.Secret), Type: c.Type, RedirectURIs: append([]string{}, c.RedirectURIs...)})
	}
	// The primary client: the one the flags named, else the first.
	for _, c := range r.Clients {
		if opts.ClientID == "" || c.ClientID == opts.ClientID {
			r.ClientID, r.ClientSecret, r.RedirectURIs = c.ClientID, c.ClientSecret, c.RedirectURIs
			break
		}
	}
	return r
}

// idpAnnounce tells the user (stderr) or the calling program (--json, stdout) where the IdP is.
func idpAnnounce(opts *idpOptions, r idpReady) error {
	if opts.JSON {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(opts.IO.Out, string(b))
		return err
	}
	w := opts.IO.ErrOut
	fmt.Fprintf(w, "oidclab idp ready (Okta-compatible authorization server)\n")
	fmt.Fprintf(w, "  issuer         %s\n", r.Issuer)
	fmt.Fprintf(w, "  discovery      %s\n", r.DiscoveryURL)
	for _, as := range r.AuthServers[min(1, len(r.AuthServers)):] {
		fmt.Fprintf(w, "  issuer         %s (authorization server %s)\n", as.Issuer, as.ID)
	}
	for _, c := range r.Clients {
		fmt.Fprintf(w, "  client         %s (%s)\n", c.ClientID, c.Type)
		if c.ClientSecret != "" {
			hint := ""
			if c.ClientSecret == masked {
				hint = "  (--show-secrets prints it)"
			}
			fmt.Fprintf(w, "    secret       %s%s\n", c.ClientSecret, hint)
		}
		for _, u := range c.RedirectURIs {
			fmt.Fprintf(w, "    redirect URI %s\n", u)
		}
	}
	for _, u := range r.Users {
		fmt.Fprintf(w, "  user           %s / %s\n", u.Login, u.Password)
	}
	hint := ""
	if r.APIToken == masked {
		hint = "  (--show-secrets prints it)"
	}
	fmt.Fprintf(w, "  Okta API       %s/api/v1 (oidclab okta --org-url %s)\n", r.OrgURL, r.OrgURL)
	fmt.Fprintf(w, "    API token    %s%s\n", r.APIToken, hint)
	fmt.Fprintf(w, "  control API    %s (loopback only)\n", r.ControlURL)
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
	return nil
}
