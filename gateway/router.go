package gateway

import (
	"cmp"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/oidclab/oidclab/gateway/deck"
)

// The router reproduces Kong 3.x's "traditional_compatible" flavour: every route is split into
// one matcher per group of paths that share a priority (all its regex paths; its plain paths of
// one length), and matchers are tried in descending priority, as kong/router/transform.lua's
// get_priority orders them:
//
//  1. match weight: how many of methods, hosts, headers, paths (snis) the route sets;
//  2. plain hosts only (no wildcard host);
//  3. number of headers;
//  4. regex paths before plain paths;
//  5. regex_priority (regex paths only);
//  6. length of the plain path (longest prefix first);
//
// and, when all of these tie, the route that comes first in the configuration wins.

// priority is compared field by field, highest first.
type priority struct {
	weight        int
	plainHostOnly bool
	headerCount   int
	regex         bool
	regexPriority int
	pathLength    int
}

func (p priority) compare(o priority) int {
	if c := cmp.Compare(p.weight, o.weight); c != 0 {
		return c
	}
	if c := cmpBool(p.plainHostOnly, o.plainHostOnly); c != 0 {
		return c
	}
	if c := cmp.Compare(p.headerCount, o.headerCount); c != 0 {
		return c
	}
	if c := cmpBool(p.regex, o.regex); c != 0 {
		return c
	}
	if c := cmp.Compare(p.regexPriority, o.regexPriority); c != 0 {
		return c
	}
	return cmp.Compare(p.pathLength, o.pathLength)
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	default:
		return -1
	}
}

// hostMatcher is one entry of route.hosts: exact, "*.suffix" or "prefix.*", optionally with a port.
type hostMatcher struct {
	exact, suffix, prefix string
	port                  int // 0: any port
}

func (h hostMatcher) match(host string, port int) bool {
	if h.port != 0 && h.port != port {
		return false
	}
	switch {
	case h.suffix != "":
		return strings.HasSuffix(host, h.suffix) && len(host) > len(h.suffix)
	case h.prefix != "":
		return strings.HasPrefix(host, h.prefix) && len(host) > len(h.prefix)
	default:
		return host == h.exact
	}
}

// headerMatcher is one entry of route.headers: the request must carry the header with one of
// the values (compared case-insensitively) or matching one of the "~*" regexes.
type headerMatcher struct {
	name    string // canonical
	values  []string
	regexes []*regexp.Regexp
}

func (h headerMatcher) match(hdr http.Header) bool {
	for _, got := range hdr[h.name] {
		for _, want := range h.values {
			if strings.EqualFold(got, want) {
				return true
			}
		}
		if len(h.regexes) == 0 {
			continue
		}
		lower := strings.ToLower(got)
		for _, re := range h.regexes {
			if re.MatchString(lower) {
				return true
			}
		}
	}
	return false
}

// matcher is one priority group of one route.
type matcher struct {
	route    *compiledRoute
	priority priority
	order    int // position of the route in the config: the last tie-breaker

	methods  []string // nil: any
	hosts    []hostMatcher
	headers  []headerMatcher
	prefixes []string         // plain paths of one length
	regexes  []*regexp.Regexp // anchored at the start
}

// match reports whether the request matches, and which prefix of path matched ("" when the
// route has no paths).
func (m *matcher) match(method, host string, port int, path string, hdr http.Header) (string, bool) {
	if m.methods != nil && !slices.Contains(m.methods, method) {
		return "", false
	}
	if m.hosts != nil {
		ok := false
		for _, h := range m.hosts {
			if h.match(host, port) {
				ok = true
				break
			}
		}
		if !ok {
			return "", false
		}
	}
	for _, h := range m.headers {
		if !h.match(hdr) {
			return "", false
		}
	}
	switch {
	case m.regexes != nil:
		for _, re := range m.regexes {
			if loc := re.FindStringIndex(path); loc != nil && loc[0] == 0 {
				return path[:loc[1]], true
			}
		}
		return "", false
	case m.prefixes != nil:
		for _, p := range m.prefixes {
			if strings.HasPrefix(path, p) {
				return p, true
			}
		}
		return "", false
	}
	return "", true
}

// router holds matchers sorted by descending priority.
type router struct {
	matchers []*matcher
}

// routeMatch is the outcome of routing one request.
type routeMatch struct {
	route  *compiledRoute
	prefix string // the matched part of the path ("" when the route has no paths)
}

func (rt *router) find(method, host string, port int, path string, hdr http.Header) (routeMatch, bool) {
	for _, m := range rt.matchers {
		if prefix, ok := m.match(method, host, port, path, hdr); ok {
			return routeMatch{route: m.route, prefix: prefix}, true
		}
	}
	return routeMatch{}, false
}

// buildMatchers compiles route r (at position order in the config) into its priority groups.
// Problems are added to errs under path.
func buildMatchers(cr *compiledRoute, order int, errs *deck.Errors) []*matcher {
	r := cr.cfg
	path, line := r.Pos.Path, r.Pos.Line
	base := matcher{route: cr, order: order}

	if len(r.Methods) > 0 {
		base.methods = make([]string, len(r.Methods))
		for i, m := range r.Methods {
			base.methods[i] = strings.ToUpper(m)
		}
		base.priority.weight++
	}
	if len(r.Hosts) > 0 {
		base.priority.weight++
		base.priority.plainHostOnly = true
		for i, h := range r.Hosts {
			hm, err := parseHost(h)
			if err != nil {
				errs.Add(fmt.Sprintf("%s.hosts.%d", path, i), line, "%v", err)
				continue
			}
			if hm.exact == "" {
				base.priority.plainHostOnly = false
			}
			base.hosts = append(base.hosts, hm)
		}
	}
	if len(r.Headers) > 0 {
		base.priority.weight++
		base.priority.headerCount = min(len(r.Headers), 255)
		names := make([]string, 0, len(r.Headers))
		for name := range r.Headers {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			if strings.EqualFold(name, "host") {
				errs.Add(path+".headers", line, "cannot contain 'host' header, which must be specified in the 'hosts' attribute")
				continue
			}
			hm := headerMatcher{name: http.CanonicalHeaderKey(name)}
			for i, v := range r.Headers[name] {
				if rest, ok := strings.CutPrefix(v, "~*"); ok {
					re, err := regexp.Compile(rest)
					if err != nil {
						errs.Add(fmt.Sprintf("%s.headers.%s.%d", path, name, i), line, "invalid regex %q: %v", rest, err)
						continue
					}
					hm.regexes = append(hm.regexes, re)
					continue
				}
				hm.values = append(hm.values, v)
			}
			base.headers = append(base.headers, hm)
		}
	}
	if len(r.Paths) == 0 {
		m := base
		return []*matcher{&m}
	}

	base.priority.weight++
	var out []*matcher
	var regexes []*regexp.Regexp
	byLen := map[int][]string{}
	for i, p := range r.Paths {
		if expr, ok := strings.CutPrefix(p, "~"); ok {
			re, err := regexp.Compile("^(?:" + expr + ")")
			if err != nil {
				errs.Add(fmt.Sprintf("%s.paths.%d", path, i), line, "invalid regex %q: %v", expr, err)
				continue
			}
			regexes = append(regexes, re)
			continue
		}
		if !strings.HasPrefix(p, "/") {
			errs.Add(fmt.Sprintf("%s.paths.%d", path, i), line, "should start with: / (fixed path) or ~/ (regex path)")
			continue
		}
		byLen[len(p)] = append(byLen[len(p)], p)
	}
	if regexes != nil {
		m := base
		m.priority.regex = true
		m.priority.regexPriority = r.RegexPriority
		m.regexes = regexes
		out = append(out, &m)
	}
	for n, prefixes := range byLen {
		m := base
		m.priority.pathLength = n
		m.prefixes = prefixes
		out = append(out, &m)
	}
	return out
}

// newRouter sorts matchers by Kong's priority, then configuration order.
func newRouter(ms []*matcher) *router {
	slices.SortStableFunc(ms, func(a, b *matcher) int {
		if c := b.priority.compare(a.priority); c != 0 {
			return c
		}
		return cmp.Compare(a.order, b.order)
	})
	return &router{matchers: ms}
}

// parseHost reads one route.hosts entry as Kong does: lower-cased, one leading or trailing
// wildcard label, an optional port.
func parseHost(h string) (hostMatcher, error) {
	host, port := strings.ToLower(h), 0
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i+1:], "]") {
		p, err := strconv.Atoi(host[i+1:])
		if err != nil || p < 1 || p > 65535 {
			return hostMatcher{}, fmt.Errorf("invalid port in host %q", h)
		}
		host, port = host[:i], p
	}
	if host == "" {
		return hostMatcher{}, fmt.Errorf("empty host")
	}
	switch n := strings.Count(host, "*"); {
	case n == 0:
		return hostMatcher{exact: host, port: port}, nil
	case n > 1:
		return hostMatcher{}, fmt.Errorf("invalid wildcard: must have at most one wildcard in %q", h)
	case strings.HasPrefix(host, "*."):
		return hostMatcher{suffix: host[1:], port: port}, nil
	case strings.HasSuffix(host, ".*"):
		return hostMatcher{prefix: host[:len(host)-1], port: port}, nil
	default:
		return hostMatcher{}, fmt.Errorf("invalid wildcard: must be placed at leftmost or rightmost label in %q", h)
	}
}

// splitHostPort splits a Host header value into a lower-cased host and a port (0 when absent).
func splitHostPort(hostport string) (string, int) {
	host, portStr, err := net.SplitHostPort(hostport)
	if err != nil {
		return strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")), 0
	}
	port, _ := strconv.Atoi(portStr)
	return strings.ToLower(host), port
}
