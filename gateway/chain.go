package gateway

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/oidclab/oidclab/gateway/deck"
)

// builtPlugin is one enabled plugin instance and where it applies.
type builtPlugin struct {
	name    string
	service *compiledService // nil: not on a service
	route   *compiledRoute   // nil: not on a route
	plugin  Plugin
}

// chains knows every enabled plugin and wraps route handlers with the ones that apply.
type chains struct {
	plugins []builtPlugin
}

// wrap returns final wrapped by the plugins of route cr. Kong runs each plugin name once per
// request: a plugin on the route wins over the same plugin on the service, which wins over a
// global one. Those that remain run global first, then service, then route, each group in
// configuration order.
func (c *chains) wrap(cr *compiledRoute, final http.Handler) http.Handler {
	const (
		global = iota
		onService
		onRoute
	)
	scopeOf := func(p builtPlugin) (int, bool) {
		switch {
		case p.route != nil:
			return onRoute, p.route == cr
		case p.service != nil:
			return onService, p.service == cr.service
		default:
			return global, true
		}
	}
	winner := map[string]int{} // plugin name -> most specific scope that has it
	for _, p := range c.plugins {
		if s, ok := scopeOf(p); ok {
			if w, seen := winner[p.name]; !seen || s > w {
				winner[p.name] = s
			}
		}
	}
	var apply []Plugin // outermost first
	for _, scope := range []int{global, onService, onRoute} {
		for _, p := range c.plugins {
			if s, ok := scopeOf(p); ok && s == scope && winner[p.name] == scope {
				apply = append(apply, p.plugin)
			}
		}
	}
	h := final
	for _, p := range slices.Backward(apply) {
		h = p.Handler(h)
	}
	return h
}

// buildPlugins validates every plugin entry and builds the enabled ones with their factories.
func (g *Gateway) buildPlugins(cfg *deck.Config, services map[string]*compiledService, routes map[string]*compiledRoute, errs *deck.Errors) *chains {
	c := &chains{}
	seen := map[string]string{} // name|service|route -> path of first
	for i := range cfg.Plugins {
		p := &cfg.Plugins[i]
		if p.Pos.Path == "" {
			p.Pos.Path = fmt.Sprintf("plugins.%d", i)
		}
		path, line := p.Pos.Path, p.Pos.Line
		factory, known := g.plugins[p.Name]
		if !known {
			errs.Add(path+".name", line, "plugin '%s' not enabled; supported plugins: %s", p.Name, g.pluginNames())
			continue
		}
		bp := builtPlugin{name: p.Name}
		ok := true
		if p.Service != "" {
			if bp.service = services[p.Service]; bp.service == nil {
				errs.Add(path+".service", line, "service %q not found", p.Service)
				ok = false
			}
		}
		if p.Route != "" {
			if bp.route = routes[p.Route]; bp.route == nil {
				errs.Add(path+".route", line, "route %q not found", p.Route)
				ok = false
			}
		}
		if !ok {
			continue
		}
		key := p.Name + "|" + scopeKey(bp)
		if first, dup := seen[key]; dup {
			errs.Add(path, line, "UNIQUE violation: plugin '%s' is already configured on the same scope at %s", p.Name, first)
			continue
		}
		seen[key] = path

		env := PluginEnv{Logger: g.log.With("plugin", p.Name, "plugin_id", p.ID), Publish: g.bus.Publish, Now: g.now}
		built, err := factory(*p, env)
		if err != nil {
			errs.Problems = append(errs.Problems, deck.PluginProblems(*p, err)...)
			continue
		}
		if built == nil {
			errs.Add(path, line, "plugin '%s' could not be built", p.Name)
			continue
		}
		if p.Enabled && runsOnHTTP(p.Protocols) {
			bp.plugin = built
			c.plugins = append(c.plugins, bp)
		}
	}
	return c
}

// runsOnHTTP reports whether a plugin with these protocols runs on the gateway's requests. Kong
// checks a plugin's protocols against the subsystem, not the request's scheme: one listing any
// of http, https, grpc or grpcs runs on every HTTP request, one listing only stream protocols
// (tcp, tls, udp) never does. No protocols (a plugin built in code) means Kong's default.
func runsOnHTTP(protocols []string) bool {
	if len(protocols) == 0 {
		return true
	}
	for _, p := range protocols {
		switch p {
		case "http", "https", "grpc", "grpcs":
			return true
		}
	}
	return false
}

func scopeKey(bp builtPlugin) string {
	var s, r string
	if bp.service != nil {
		s = bp.service.cfg.ID
	}
	if bp.route != nil {
		r = bp.route.cfg.ID
	}
	return s + "|" + r
}

func (g *Gateway) pluginNames() string {
	if len(g.plugins) == 0 {
		return "(none)"
	}
	return strings.Join(g.plugins.Names(), ", ")
}
