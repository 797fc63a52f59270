package gateway

import (
	"cmp"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"slices"
	"strconv"
	"strings"

	"github.com/oidclab/oidclab/gateway/deck"
)

// snapshot is one applied configuration, compiled; requests load it once and use it to the end.
type snapshot struct {
	cfg      *deck.Config
	router   *router
	services []*compiledService
}

type compiledService struct {
	cfg        deck.Service
	name       string // name, or id when unnamed
	scheme     string
	hostPort   string // what the transport dials
	hostHeader string // Host sent upstream unless preserve_host: port only when not the default
	path       string
	echo       bool
	proxy      *httputil.ReverseProxy
}

type compiledRoute struct {
	cfg       deck.Route
	name      string // name, or id when unnamed
	service   *compiledService
	httpsOnly bool
	handler   http.Handler // plugins wrapped around the proxy
}

// compile validates cfg and builds everything a request needs. cfg is owned by the result.
func (g *Gateway) compile(cfg *deck.Config) (*snapshot, error) {
	errs := &deck.Errors{Source: cfg.Source}
	cfg.AssignIDs()
	snap := &snapshot{cfg: cfg}

	byRef := map[string]*compiledService{}
	for i := range cfg.Services {
		s := &cfg.Services[i]
		if s.Pos.Path == "" {
			s.Pos.Path = fmt.Sprintf("services.%d", i)
		}
		cs := g.compileService(s, errs)
		if cs == nil {
			continue
		}
		if s.Name != "" {
			if _, dup := byRef[s.Name]; dup {
				errs.Add(s.Pos.Path+".name", s.Pos.Line, "UNIQUE violation detected on '{name=%q}'", s.Name)
			}
			byRef[s.Name] = cs
		}
		byRef[s.ID] = cs
		snap.services = append(snap.services, cs)
	}

	routes := map[string]*compiledRoute{}
	var compiled []*compiledRoute
	var matchers []*matcher
	for i := range cfg.Routes {
		r := &cfg.Routes[i]
		if r.Pos.Path == "" {
			r.Pos.Path = fmt.Sprintf("routes.%d", i)
		}
		cr := g.compileRoute(r, byRef, errs)
		if cr == nil {
			continue
		}
		if r.Name != "" {
			if _, dup := routes[r.Name]; dup {
				errs.Add(r.Pos.Path+".name", r.Pos.Line, "UNIQUE violation detected on '{name=%q}'", r.Name)
			}
			routes[r.Name] = cr
		}
		routes[r.ID] = cr
		compiled = append(compiled, cr)
		// Kong leaves the routes of a disabled service out of the router.
		if cr.service != nil && !cr.service.cfg.Enabled {
			continue
		}
		matchers = append(matchers, buildMatchers(cr, i, errs)...)
	}

	chains := g.buildPlugins(cfg, byRef, routes, errs)
	for _, cr := range compiled {
		cr.handler = chains.wrap(cr, &proxyHandler{route: cr})
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	snap.router = newRouter(matchers)
	return snap, nil
}

func (g *Gateway) compileService(s *deck.Service, errs *deck.Errors) *compiledService {
	ok := true
	bad := func(field, format string, args ...any) {
		errs.Add(s.Pos.Path+"."+field, s.Pos.Line, format, args...)
		ok = false
	}
	scheme := strings.ToLower(s.Protocol)
	if scheme == "" {
		scheme = "http"
	}
	if scheme != "http" && scheme != "https" {
		bad("protocol", "expected one of: http, https (got %q)", s.Protocol)
	}
	host := strings.ToLower(s.Host)
	if host == "" || strings.ContainsAny(host, "/ ?#@") {
		bad("host", "invalid host %q", s.Host)
	}
	port := s.Port
	if port == 0 {
		port = 80
		if scheme == "https" {
			port = 443
		}
	}
	if port < 0 || port > 65535 {
		bad("port", "value should be between 0 and 65535")
	}
	if s.Path != "" && !strings.HasPrefix(s.Path, "/") {
		bad("path", "should start with: /")
	}
	for _, t := range []struct {
		field string
		v     *int
	}{{"connect_timeout", &s.ConnectTimeout}, {"read_timeout", &s.ReadTimeout}, {"write_timeout", &s.WriteTimeout}} {
		if *t.v < 0 {
			bad(t.field, "value should be between 1 and 2147483646")
		}
		if *t.v == 0 { // unset (a config built in code): Kong's default
			*t.v = 60000
		}
	}
	if s.Retries < 0 || s.Retries > 32767 {
		bad("retries", "value should be between 0 and 32767")
	}
	if !ok {
		return nil
	}
	cs := &compiledService{
		cfg:      *s,
		name:     cmp.Or(s.Name, s.ID),
		scheme:   scheme,
		hostPort: net.JoinHostPort(host, strconv.Itoa(port)),
		path:     s.Path,
		echo:     g.echoHosts[host],
	}
	cs.hostHeader = host
	if (scheme == "http" && port != 80) || (scheme == "https" && port != 443) {
		cs.hostHeader = cs.hostPort
	}
	cs.proxy = g.newServiceProxy(cs)
	return cs
}

func (g *Gateway) compileRoute(r *deck.Route, services map[string]*compiledService, errs *deck.Errors) *compiledRoute {
	cr := &compiledRoute{cfg: *r, name: cmp.Or(r.Name, r.ID)}
	ok := true
	if r.Service != "" {
		cr.service = services[r.Service]
		if cr.service == nil {
			errs.Add(r.Pos.Path+".service", r.Pos.Line, "service %q not found", r.Service)
			ok = false
		}
	}
	if len(r.Paths) == 0 && len(r.Hosts) == 0 && len(r.Methods) == 0 && len(r.Headers) == 0 {
		errs.Add(r.Pos.Path, r.Pos.Line, "must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'")
		ok = false
	}
	switch r.PathHandling {
	case "":
		cr.cfg.PathHandling = "v0"
	case "v0", "v1":
	default:
		errs.Add(r.Pos.Path+".path_handling", r.Pos.Line, "expected one of: v0, v1")
		ok = false
	}
	protocols := r.Protocols
	if len(protocols) == 0 {
		protocols = []string{"http", "https"}
		cr.cfg.Protocols = protocols
	}
	for i, p := range protocols {
		if p != "http" && p != "https" {
			errs.Add(fmt.Sprintf("%s.protocols.%d", r.Pos.Path, i), r.Pos.Line, "expected one of: http, https (got %q)", p)
			ok = false
		}
	}
	cr.httpsOnly = !slices.Contains(protocols, "http")
	if !ok {
		return nil
	}
	return cr
}
