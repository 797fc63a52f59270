package emulator

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Options tune a Server; the zero value is ready to use.
type Options struct {
	// Logger receives one line per request and per notable event; never secrets. Default: discard.
	Logger *slog.Logger
	// Now is the clock (default time.Now); SetClockOffset shifts it further.
	Now func() time.Time
	// SigningKey is the first RS256 key; nil generates one in the background (requests that
	// need it, such as token and JWKS requests, wait for it; tests share one to start faster).
	SigningKey *rsa.PrivateKey
	// BaseURL is the externally visible origin (e.g. a tunnel URL). Start sets it from the bound
	// address when empty; Handler without it derives it from each request's Host.
	BaseURL string
	// OnRequest, when set, is called with each request's record (secrets redacted) as the
	// request ends, on the serving goroutine: it must not block. The lab merges these into its
	// event stream so a subscriber sees the IdP's side of a login without polling.
	OnRequest func(RequestRecord)
	// DisableControl turns off the /_emulator/ HTTP control endpoint (it is otherwise served to
	// loopback peers only).
	DisableControl bool
}

// Server is the emulated Okta org. All methods are safe for concurrent use.
type Server struct {
	opts Options
	log  *slog.Logger
	keys keySet

	strangerOnce sync.Once
	stranger     *keySet // signs UnknownKeyID mutations

	mu      sync.RWMutex
	baseURL string
	users   map[string]*User // by lower-cased login
	byID    map[string]*User
	clients map[string]*Client
	servers map[string]*AuthServer
	first   string   // the first configured server, Issuer()'s
	trusted []string // lower-cased trusted origins
	tokens  Lifetimes
	mgmt    mgmtState

	store   store
	control control

	handler   http.Handler
	httpSrv   *http.Server
	listenURL string // http://{bound address}, set by Start
	done      chan struct{}
}

// New builds a Server from a validated copy of cfg. An empty cfg.AuthServers gets the
// "default" server, so Config{Users: …, Clients: …} is enough.
func New(cfg Config, opts Options) (*Server, error) {
	if len(cfg.AuthServers) == 0 {
		cfg.AuthServers = []AuthServer{{ID: DefaultAuthServerID, Name: "default", Audiences: []string{"api://default"}}}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler) // disabled: no record is formatted
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:    opts,
		log:     opts.Logger,
		baseURL: strings.TrimRight(opts.BaseURL, "/"),
		users:   map[string]*User{},
		byID:    map[string]*User{},
		clients: map[string]*Client{},
		servers: map[string]*AuthServer{},
		tokens:  withDefaultLifetimes(cfg.Tokens),
		store:   newStore(),
		mgmt:    newMgmtState(cfg.APIToken, opts.Now()),
	}
	for _, o := range cfg.TrustedOrigins {
		s.trusted = append(s.trusted, strings.ToLower(strings.TrimRight(o, "/")))
	}
	if opts.SigningKey == nil {
		s.keys.generateFirst()
	} else if err := s.keys.rotate(opts.SigningKey); err != nil {
		return nil, err
	}
	for _, u := range cfg.Users {
		s.putUser(u)
	}
	for _, c := range cfg.Clients {
		s.putClient(c)
	}
	for i := range cfg.AuthServers {
		as := cloneAuthServer(cfg.AuthServers[i])
		if as.ID == DefaultAuthServerID && as.Policies == nil {
			as.Policies = []Policy{defaultPolicy()}
		}
		for j := range as.Policies {
			if as.Policies[j].ID == "" {
				as.Policies[j].ID = oktaID("00p")
			}
			for k := range as.Policies[j].Rules {
				if as.Policies[j].Rules[k].ID == "" {
					as.Policies[j].Rules[k].ID = oktaID("0pr")
				}
			}
		}
		s.servers[as.ID] = &as
		if i == 0 {
			s.first = as.ID
		}
	}
	s.handler = s.routes()
	return s, nil
}

func withDefaultLifetimes(l Lifetimes) Lifetimes {
	if l.AccessToken == 0 {
		l.AccessToken = defaultAccessTokenLifetime
	}
	if l.IDToken == 0 {
		l.IDToken = defaultIDTokenLifetime
	}
	if l.RefreshToken == 0 {
		l.RefreshToken = defaultRefreshTokenLifetime
	}
	if l.Session == 0 {
		l.Session = defaultSessionLifetime
	}
	return l
}

// defaultPolicy is what Okta ships on the "default" server: every client, grant, scope and person.
func defaultPolicy() Policy {
	return Policy{
		Name:    "Default Policy",
		Clients: []string{AllClients},
		Rules:   []Rule{{Name: "Default Policy Rule", Groups: []string{"EVERYONE"}, Scopes: []string{"*"}}},
	}
}

// cloneAuthServer is a deep copy: handlers keep using the server they looked up after the lock
// is released, so a change is made on a copy that then replaces it.
func cloneAuthServer(as AuthServer) AuthServer {
	out := as
	out.Audiences = append([]string(nil), as.Audiences...)
	out.Scopes = append([]Scope(nil), as.Scopes...)
	if as.Policies != nil {
		out.Policies = make([]Policy, len(as.Policies))
		for i, p := range as.Policies {
			p.Clients = append([]string(nil), p.Clients...)
			rules := make([]Rule, len(p.Rules))
			for j, r := range p.Rules {
				r.GrantTypes = append([]string(nil), r.GrantTypes...)
				r.Scopes = append([]string(nil), r.Scopes...)
				r.Users = append([]string(nil), r.Users...)
				r.Groups = append([]string(nil), r.Groups...)
				rules[j] = r
			}
			p.Rules = rules
			out.Policies[i] = p
		}
	}
	return out
}

func (s *Server) putUser(u User) {
	if u.ID == "" {
		u.ID = oktaID("00u")
	}
	u.Groups = append([]string(nil), u.Groups...)
	s.users[strings.ToLower(u.Login)] = &u
	s.byID[u.ID] = &u
}

func (s *Server) putClient(c Client) {
	if len(c.GrantTypes) == 0 {
		switch c.Type {
		case ClientService:
			c.GrantTypes = []string{GrantClientCredentials}
		case ClientWeb:
			c.GrantTypes = []string{GrantAuthorizationCode, GrantRefreshToken}
		default:
			c.GrantTypes = []string{GrantAuthorizationCode}
		}
	}
	c.RedirectURIs = append([]string(nil), c.RedirectURIs...)
	c.PostLogoutRedirectURIs = append([]string(nil), c.PostLogoutRedirectURIs...)
	s.clients[c.ID] = &c
}

// AddClient registers (or replaces) a client at runtime, e.g. once a gateway's port is known.
func (s *Server) AddClient(c Client) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	logins := make(map[string]int, len(s.users))
	for l := range s.users {
		logins[l] = 0
	}
	var p problems
	p.client("client", c, logins)
	if err := p.err(); err != nil {
		return err
	}
	s.putClient(c)
	return nil
}

// AddUser registers (or replaces, by login) a user at runtime; an empty ID gets a fresh 00u… id.
func (s *Server) AddUser(u User) error {
	var p problems
	p.user("user", u)
	if err := p.err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.users[strings.ToLower(u.Login)]; ok {
		delete(s.byID, old.ID)
		if u.ID == "" {
			u.ID = old.ID
		}
	}
	if other, ok := s.byID[u.ID]; ok && u.ID != "" && !strings.EqualFold(other.Login, u.Login) {
		return &ValidationError{Problems: []string{fmt.Sprintf("user.id: %q already used by %q", u.ID, other.Login)}}
	}
	s.putUser(u)
	return nil
}

// APIToken is the Management API's SSWS token.
func (s *Server) APIToken() string { return s.mgmt.token }

// Client returns a copy of a registered client.
func (s *Server) Client(id string) (Client, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.clients[id]
	if !ok {
		return Client{}, false
	}
	return *c, true
}

// User returns a copy of a registered user, by login (case-insensitive) — e.g. to learn its 00u id.
func (s *Server) User(login string) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[strings.ToLower(login)]
	if !ok {
		return User{}, false
	}
	return *u, true
}

// Handler serves the whole org at "/".
func (s *Server) Handler() http.Handler { return s.handler }

// SetBaseURL sets the externally visible origin, e.g. "http://127.0.0.1:9000" or a tunnel URL.
func (s *Server) SetBaseURL(u string) {
	s.mu.Lock()
	s.baseURL = strings.TrimRight(u, "/")
	s.mu.Unlock()
}

// URL is the org's base URL ("" before Start or SetBaseURL when mounted by hand).
func (s *Server) URL() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.baseURL
}

// ControlURL is where the HTTP control API answers: the bound loopback address, not BaseURL, which
// may be a tunnel the control API refuses. It is "" when the control API is off or the server was
// not started with Start.
func (s *Server) ControlURL() string {
	if s.opts.DisableControl || s.listenURL == "" {
		return ""
	}
	return s.listenURL + "/_emulator/"
}

// Issuer is the first configured authorization server's issuer (normally …/oauth2/default).
func (s *Server) Issuer() string { return s.IssuerFor(s.first) }

// IssuerFor is the issuer of the given authorization server id.
func (s *Server) IssuerFor(authServerID string) string { return s.URL() + "/oauth2/" + authServerID }

// Start binds addr (e.g. "127.0.0.1:0"), serves in the background until ctx ends or Close,
// and sets the base URL from the bound address unless opts.BaseURL is set.
func Start(ctx context.Context, addr string, cfg Config, opts Options) (*Server, error) {
	s, err := New(cfg, opts)
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("emulator: listen on %s: %w", addr, err)
	}
	s.listenURL = "http://" + hostPortForURL(addr, ln.Addr().(*net.TCPAddr))
	if s.URL() == "" {
		s.SetBaseURL(s.listenURL)
	}
	s.done = make(chan struct{})
	s.httpSrv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second, // covers a fault's delay
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	go func() {
		defer close(s.done)
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("emulator stopped serving", "err", err)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			_ = s.Close()
		case <-s.done:
		}
	}()
	s.log.Debug("emulator listening", "url", s.URL(), "issuer", s.Issuer())
	return s, nil
}

// hostPortForURL keeps an unspecified listen address usable in URLs: the loopback address of the
// family the user asked for (0.0.0.0 or "" → 127.0.0.1, [::] → [::1]). The bound address cannot
// tell: Go serves 0.0.0.0 on a dual-stack socket that reports itself as [::].
func hostPortForURL(requested string, a *net.TCPAddr) string {
	ip := a.IP
	if ip == nil || ip.IsUnspecified() {
		host, _, _ := net.SplitHostPort(requested)
		if h, err := netip.ParseAddr(host); err == nil && h.Is6() && !h.Is4In6() {
			return net.JoinHostPort("::1", fmt.Sprint(a.Port))
		}
		return net.JoinHostPort("127.0.0.1", fmt.Sprint(a.Port))
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(a.Port))
}

// Close stops a server started with Start, waiting briefly for requests in flight.
func (s *Server) Close() error {
	if s.httpSrv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.httpSrv.Shutdown(ctx)
	<-s.done
	return err
}

// now is the emulator's clock, shifted by SetClockOffset.
func (s *Server) now() time.Time {
	return s.opts.Now().Add(s.control.clockOffset())
}

// authServer returns the server with the given id.
func (s *Server) authServer(id string) (*AuthServer, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	as, ok := s.servers[id]
	if ok && as.Inactive {
		return nil, false
	}
	return as, ok
}

// baseFor is the origin for URLs in responses: the configured one, else the request's Host.
func (s *Server) baseFor(r *http.Request) string {
	if u := s.URL(); u != "" {
		return u
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
