package deck

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
)

var tokenRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

var labelRE = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$`)

// hostProblem checks a hostname or IP. Route hosts may carry a port and one wildcard label at
// either end ("*.example.com", "example.*"), as in Kong.
func hostProblem(h string, route bool) string {
	host := h
	if route {
		var port string
		switch {
		case strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]"):
			host = h[1 : len(h)-1]
		case strings.HasPrefix(h, "[") || strings.Count(h, ":") == 1:
			var err error
			if host, port, err = net.SplitHostPort(h); err != nil {
				return fmt.Sprintf("invalid host %q", h)
			}
		}
		if port != "" {
			if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
				return fmt.Sprintf("invalid host %q: bad port", h)
			}
		}
	}
	if net.ParseIP(host) != nil {
		return ""
	}
	if n := strings.Count(host, "*"); n > 0 {
		if !route {
			return fmt.Sprintf("invalid host %q: wildcards are only allowed in route hosts", h)
		}
		if n > 1 {
			return fmt.Sprintf("invalid wildcard %q: must have at most one wildcard", h)
		}
		switch {
		case strings.HasPrefix(host, "*.") && len(host) > 2:
			host = "x" + host[1:]
		case strings.HasSuffix(host, ".*") && len(host) > 2:
			host = host[:len(host)-1] + "x"
		default:
			return fmt.Sprintf("invalid wildcard %q: must be placed at leftmost or rightmost label", h)
		}
	}
	if host == "" || len(host) > 253 {
		return fmt.Sprintf("invalid host %q", h)
	}
	for _, label := range strings.Split(strings.TrimSuffix(host, "."), ".") {
		if !labelRE.MatchString(label) {
			return fmt.Sprintf("invalid host %q: %q is not a valid DNS label", h, label)
		}
	}
	return ""
}

// routePathProblem checks a route path: a plain prefix starting with "/", or a Kong 3 regex
// path "~/..." which must compile with Go's regexp (RE2).
func routePathProblem(p string) string {
	if re, ok := strings.CutPrefix(p, "~"); ok {
		if !strings.HasPrefix(re, "/") {
			return fmt.Sprintf("invalid path %q: should start with: / (fixed path) or ~/ (regex path)", p)
		}
		if _, err := regexp.Compile(re); err != nil {
			return regexMessage("regex path", p, re, err)
		}
		return ""
	}
	if !strings.HasPrefix(p, "/") {
		return fmt.Sprintf("invalid path %q: should start with: / (fixed path) or ~/ (regex path)", p)
	}
	return plainPathProblem(p)
}

func plainPathProblem(p string) string {
	if !strings.HasPrefix(p, "/") {
		return fmt.Sprintf("invalid path %q: should start with /", p)
	}
	if strings.ContainsAny(p, "?#") {
		return fmt.Sprintf("invalid path %q: must not contain '?' or '#'", p)
	}
	for i := 0; i < len(p); i++ {
		if p[i] == '%' {
			if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
				return fmt.Sprintf("invalid path %q: bad percent-encoding", p)
			}
		}
		if p[i] < 0x20 || p[i] == 0x7f || p[i] == ' ' {
			return fmt.Sprintf("invalid path %q: must not contain spaces or control characters", p)
		}
	}
	return ""
}

func isHex(b byte) bool {
	return '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F'
}

// pcreOnly names constructs Kong's PCRE accepts and Go's RE2 does not (no backtracking).
var pcreOnly = []struct {
	re   *regexp.Regexp
	what string
}{
	{regexp.MustCompile(`\(\?<?[=!]`), "lookaround ((?=...), (?!...), (?<=...), (?<!...))"},
	{regexp.MustCompile(`\(\?>`), "an atomic group ((?>...))"},
	{regexp.MustCompile(`\\[1-9]|\\g\{?-?\d|\\k[<{']`), "a backreference"},
	{regexp.MustCompile(`[*+?}]\+`), "a possessive quantifier (*+, ++, ?+)"},
	{regexp.MustCompile(`\(\?\(|\(\?R\)|\(\?\d+\)|\(\?\|`), "a conditional, recursion or branch-reset group"},
}

func regexMessage(what, full, re string, err error) string {
	for _, p := range pcreOnly {
		if p.re.MatchString(re) {
			return fmt.Sprintf("%s %q uses %s: Kong's PCRE accepts it but oidclab matches with Go's RE2, which does not; rewrite the regex without it", what, full, p.what)
		}
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "error parsing regexp: ")
	return fmt.Sprintf("%s %q does not compile: %s", what, full, msg)
}
