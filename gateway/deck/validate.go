package deck

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Validate checks a Config built in code (the admin API edits configs) with the same rules Load
// applies to files: field values, references between entities, and Kong's uniqueness rules.
// Every problem is reported at once as *Errors. Plugin names are not checked; see ValidateOptions.
func (c *Config) Validate() error {
	ch := &checker{errs: &Errors{Source: c.Source}}
	ch.config(c)
	return ch.errs.Err()
}

// ValidateOptions is Validate plus the plugin registry check of opts.Plugins.
func (c *Config) ValidateOptions(opts Options) error {
	ch := &checker{errs: &Errors{Source: c.Source}, plugins: opts.Plugins, checkPlugins: true}
	ch.config(c)
	return ch.errs.Err()
}

// checker validates a flat Config. For a loaded file, index maps decK paths to source lines so
// each problem points at the file; for a Config built in code it is nil and lines stay 0.
type checker struct {
	errs         *Errors
	index        map[string]int
	plugins      []string
	checkPlugins bool
	// reported holds paths the decoder already reported (a wrong type, a bad url), so the
	// checks on the flat Config do not pile a second, confusing problem onto the same field.
	reported map[string]bool
	// derived holds ids the loader made up: two entities with the same name (or two plugins
	// on the same scope) derive the same id, and the duplicate name is the problem to report.
	derived map[string]bool
	// unresolved holds plugins whose service or route reference failed: their scope is unknown,
	// so the one-per-scope rule cannot be judged.
	unresolved map[int]bool
}

func (c *checker) add(path, format string, args ...any) {
	if c.reported[path] {
		return
	}
	c.errs.Add(path, c.line(path), format, args...)
}

func (c *checker) anyReported(path string, fields ...string) bool {
	for _, f := range fields {
		prefix := path + "." + f
		for p := range c.reported {
			if p == prefix || strings.HasPrefix(p, prefix+".") {
				return true
			}
		}
	}
	return false
}

// line finds the line of path, or of its closest ancestor that has one.
func (c *checker) line(path string) int {
	for p := path; p != ""; {
		if l, ok := c.index[p]; ok {
			return l
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

func entityPath(pos Pos, kind string, i int) string {
	if pos.Path != "" {
		return pos.Path
	}
	return kind + "." + strconv.Itoa(i)
}

// Protocols Kong knows; oidclab proxies http and https only.
var (
	kongServiceProtocols = []string{"grpc", "grpcs", "http", "https", "tcp", "tls", "tls_passthrough", "udp", "ws", "wss"}
	kongRouteProtocols   = kongServiceProtocols
	kongPluginProtocols  = kongServiceProtocols
	supportedProtocols   = []string{"http", "https"}
)

func (c *checker) config(cfg *Config) {
	if cfg.FormatVersion != "" && cfg.FormatVersion != FormatVersion {
		c.add("_format_version", "%s", formatMessage(cfg.FormatVersion))
	}
	names := map[string]string{} // name -> path of the first entity with it
	ids := map[string]string{}
	for i := range cfg.Services {
		s := &cfg.Services[i]
		path := entityPath(s.Pos, "services", i)
		c.service(path, s)
		c.unique(ids, "service id", s.ID, path+".id")
		c.unique(names, "service name", s.Name, path+".name")
	}
	svcs := refIndex(cfg.Services, serviceNameID)
	clear(names)
	clear(ids)
	for i := range cfg.Routes {
		r := &cfg.Routes[i]
		path := entityPath(r.Pos, "routes", i)
		c.route(path, r)
		c.unique(ids, "route id", r.ID, path+".id")
		c.unique(names, "route name", r.Name, path+".name")
		if _, ok := svcs[r.Service]; r.Service != "" && !ok {
			c.add(path+".service", "service %q not found", r.Service)
		}
	}
	routes := refIndex(cfg.Routes, routeNameID)
	clear(ids)
	// Kong allows one instance of a plugin per scope; the scope is keyed by entity index so a
	// reference by name and one by id to the same service are the same scope.
	scopes := map[[3]any]string{}
	for i := range cfg.Plugins {
		p := &cfg.Plugins[i]
		path := entityPath(p.Pos, "plugins", i)
		c.plugin(path, p)
		c.unique(ids, "plugin id", p.ID, path+".id")
		si, sok := svcs[p.Service]
		if p.Service == "" {
			si, sok = -1, true
		} else if !sok {
			c.add(path+".service", "service %q not found", p.Service)
		}
		ri, rok := routes[p.Route]
		if p.Route == "" {
			ri, rok = -1, true
		} else if !rok {
			c.add(path+".route", "route %q not found", p.Route)
		}
		if p.Name != "" && sok && rok && !c.unresolved[i] {
			key := [3]any{p.Name, si, ri}
			if first, dup := scopes[key]; dup {
				c.add(path, "plugin %q is already configured on %s (at %s); Kong allows one instance per plugin name and scope", p.Name, scopeName(p), first)
			} else {
				scopes[key] = path
			}
		}
	}
}

func scopeName(p *Plugin) string {
	switch {
	case p.Service != "" && p.Route != "":
		return fmt.Sprintf("service %q with route %q", p.Service, p.Route)
	case p.Service != "":
		return fmt.Sprintf("service %q", p.Service)
	case p.Route != "":
		return fmt.Sprintf("route %q", p.Route)
	}
	return "the global scope"
}

func (c *checker) unique(seen map[string]string, what, v, path string) {
	if v == "" || (strings.HasSuffix(what, " id") && c.derived[v]) {
		return
	}
	if first, dup := seen[v]; dup {
		c.add(path, "duplicate %s %q (also at %s)", what, v, strings.TrimSuffix(strings.TrimSuffix(first, ".id"), ".name"))
		return
	}
	seen[v] = path
}

func (c *checker) id(path, id string) {
	if id != "" && !IsUUID(id) {
		c.add(path+".id", "id %q must be a UUID", id)
	}
}

// Kong's rule for entity names (its utf8_name type).
var nameRE = regexp.MustCompile(`^(?:[\pL\pN._~-]|[^\x00-\x7f])+$`)

func (c *checker) name(path, name string) {
	if name != "" && !nameRE.MatchString(name) {
		c.add(path+".name", "invalid name %q: the only accepted ascii characters are alphanumerics or ., -, _, and ~", name)
	}
}

func (c *checker) tags(path string, tags []string) {
	for i, t := range tags {
		if t == "" || strings.ContainsAny(t, ",/") || strings.TrimSpace(t) != t {
			c.add(fmt.Sprintf("%s.tags.%d", path, i), "invalid tag %q: tags must be non-empty and contain no commas, slashes or surrounding spaces", t)
		}
	}
}

func (c *checker) protocol(path, p string, known []string) {
	switch {
	case slices.Contains(supportedProtocols, p):
	case slices.Contains(known, p):
		c.add(path, "protocol %q is not supported by oidclab (http and https are)", p)
	default:
		c.add(path, "unknown protocol %q: expected one of %s", p, strings.Join(known, ", "))
	}
}

func (c *checker) service(path string, s *Service) {
	c.id(path, s.ID)
	c.name(path, s.Name)
	if c.anyReported(path, "url") {
		// The url did not split; protocol, host and port were never filled in.
		return
	}
	c.protocol(path+".protocol", s.Protocol, kongServiceProtocols)
	if s.Host == "" {
		if c.anyReported(path, "url", "host") {
			return
		}
		c.add(path, "host is required: give url, or protocol, host, port and path")
	} else if msg := hostProblem(s.Host, false); msg != "" {
		c.add(path+".host", "%s", msg)
	}
	if s.Port < 0 || s.Port > 65535 {
		c.add(path+".port", "port %d must be between 0 and 65535", s.Port)
	}
	if s.Path != "" {
		if msg := plainPathProblem(s.Path); msg != "" {
			c.add(path+".path", "%s", msg)
		}
	}
	for _, t := range []struct {
		name string
		v    int
	}{{"connect_timeout", s.ConnectTimeout}, {"read_timeout", s.ReadTimeout}, {"write_timeout", s.WriteTimeout}} {
		if t.v < 1 || t.v > math.MaxInt32-1 {
			c.add(path+"."+t.name, "%s %d must be between 1 and %d (milliseconds)", t.name, t.v, math.MaxInt32-1)
		}
	}
	if s.Retries < 0 || s.Retries > 32767 {
		c.add(path+".retries", "retries %d must be between 0 and 32767", s.Retries)
	}
	c.tags(path, s.Tags)
}

var methodRE = regexp.MustCompile(`^[A-Z]+$`)

func (c *checker) route(path string, r *Route) {
	c.id(path, r.ID)
	c.name(path, r.Name)
	if len(r.Protocols) == 0 {
		c.add(path+".protocols", "protocols must not be empty")
	}
	for i, p := range r.Protocols {
		c.protocol(fmt.Sprintf("%s.protocols.%d", path, i), p, kongRouteProtocols)
	}
	if len(r.Paths) == 0 && len(r.Hosts) == 0 && len(r.Methods) == 0 && len(r.Headers) == 0 &&
		!c.anyReported(path, "paths", "hosts", "methods", "headers") {
		c.add(path, "must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http' or 'https'")
	}
	for i, p := range r.Paths {
		if msg := routePathProblem(p); msg != "" {
			c.add(fmt.Sprintf("%s.paths.%d", path, i), "%s", msg)
		}
	}
	for i, m := range r.Methods {
		if !methodRE.MatchString(m) {
			hint := ""
			if up := strings.ToUpper(m); methodRE.MatchString(up) {
				hint = fmt.Sprintf(" (write %q)", up)
			}
			c.add(fmt.Sprintf("%s.methods.%d", path, i), "invalid method %q: methods are uppercase letters%s", m, hint)
		}
	}
	for i, h := range r.Hosts {
		if msg := hostProblem(h, true); msg != "" {
			c.add(fmt.Sprintf("%s.hosts.%d", path, i), "%s", msg)
		}
	}
	seenHeader := map[string]string{}
	for _, name := range sortedKeys(r.Headers) {
		hp := path + ".headers." + name
		lower := strings.ToLower(name)
		switch {
		case !tokenRE.MatchString(name):
			c.add(hp, "invalid header name %q", name)
		case lower == "host":
			c.add(hp, "cannot contain 'host' header, which must be specified in the 'hosts' attribute")
		case seenHeader[lower] != "":
			c.add(hp, "header %q is given twice (header names are case-insensitive; also %q)", name, seenHeader[lower])
		}
		seenHeader[lower] = name
		vals := r.Headers[name]
		if len(vals) == 0 {
			c.add(hp, "header %q needs at least one value", name)
		}
		for i, v := range vals {
			if re, ok := strings.CutPrefix(v, "~*"); ok {
				if _, err := regexp.Compile(re); err != nil {
					c.add(fmt.Sprintf("%s.%d", hp, i), "header %q: %s", name, regexMessage("regex value", v, re, err))
				}
			}
		}
	}
	if r.PathHandling != "v0" && r.PathHandling != "v1" {
		c.add(path+".path_handling", "path_handling %q: expected one of: v0, v1", r.PathHandling)
	}
	c.tags(path, r.Tags)
}

func (c *checker) plugin(path string, p *Plugin) {
	c.id(path, p.ID)
	if p.Name == "" {
		c.add(path, "name is required")
	} else if c.checkPlugins && !slices.Contains(c.plugins, p.Name) {
		if len(c.plugins) == 0 {
			c.add(path+".name", "plugin %q is not supported by oidclab: no plugins are supported yet", p.Name)
		} else {
			sorted := slices.Sorted(slices.Values(c.plugins))
			c.add(path+".name", "plugin %q is not supported by oidclab (supported: %s)", p.Name, strings.Join(sorted, ", "))
		}
	}
	if len(p.Protocols) == 0 {
		c.add(path+".protocols", "protocols must not be empty")
	}
	for i, proto := range p.Protocols {
		if !slices.Contains(kongPluginProtocols, proto) {
			c.add(fmt.Sprintf("%s.protocols.%d", path, i), "unknown protocol %q: expected one of %s", proto, strings.Join(kongPluginProtocols, ", "))
		}
	}
	if msg := jsonProblem(p.Config, 0); msg != "" {
		c.add(path+".config", "%s", msg)
	}
	c.tags(path, p.Tags)
}

// jsonProblem reports a config value json.Marshal could not write as Kong expects.
func jsonProblem(v any, depth int) string {
	if depth > maxDepth {
		return "config nested too deeply"
	}
	switch v := v.(type) {
	case nil, string, bool, int, int64, int32, uint64:
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "config holds a number JSON cannot represent"
		}
	case map[string]any:
		for _, k := range sortedKeys(v) {
			if msg := jsonProblem(v[k], depth+1); msg != "" {
				return msg
			}
		}
	case []any:
		for _, e := range v {
			if msg := jsonProblem(e, depth+1); msg != "" {
				return msg
			}
		}
	default:
		return fmt.Sprintf("config holds a %T; only maps with string keys, lists, strings, booleans and numbers are allowed", v)
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
