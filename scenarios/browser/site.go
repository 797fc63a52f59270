package browser

import (
	"net"
	"net/url"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// canonicalHost is the lower-cased host of u without port, brackets or trailing dot.
func canonicalHost(u *url.URL) string {
	return strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
}

// isLoopbackHost reports whether host names this machine the way browsers trust it:
// localhost, *.localhost, 127.0.0.0/8 and ::1.
func isLoopbackHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// trustworthy reports whether u is a "potentially trustworthy" origin (W3C Secure Contexts):
// https, or plain http on a loopback host. Browsers store and send Secure cookies there, which
// Go's cookiejar does not do for http://localhost.
func trustworthy(u *url.URL) bool {
	switch strings.ToLower(u.Scheme) {
	case "https", "wss":
		return true
	case "http", "ws":
		return isLoopbackHost(canonicalHost(u))
	}
	return false
}

// siteOf is u's "schemeful site" as Chrome computes it for SameSite: the scheme and the
// registrable domain (eTLD+1). An IP address, or a host that is itself a public suffix (such
// as "localhost"), is its own site. So http://localhost and http://127.0.0.1 are different
// sites, and so are http://example.com and https://example.com.
func siteOf(u *url.URL) string {
	host := canonicalHost(u)
	if net.ParseIP(host) == nil {
		if etld1, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
			host = etld1
		}
	}
	return strings.ToLower(u.Scheme) + "://" + host
}

// sameOrigin compares scheme, host and port (default ports made explicit).
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && canonicalHost(a) == canonicalHost(b) && port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// origin is scheme://host[:port] as browsers send it in the Origin header.
func origin(u *url.URL) string {
	return strings.ToLower(u.Scheme) + "://" + u.Host
}
