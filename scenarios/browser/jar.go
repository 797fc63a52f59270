package browser

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/publicsuffix"
)

// Limits Chromium applies to cookies, kept so the HTTP driver fails where Chromium does.
const (
	maxCookieNameValue = 4096                 // name+value bytes
	maxCookieAge       = 400 * 24 * time.Hour // RFC 6265bis caps Expires/Max-Age at 400 days
	// laxAllowUnsafeMaxAge is Chrome's "Lax-allowing-unsafe" window: a cookie without a
	// SameSite attribute, younger than this, is still sent on a cross-site top-level POST.
	laxAllowUnsafeMaxAge = 2 * time.Minute
	maxJarCookies        = 3000
)

// Navigation describes the request a cookie lookup is for: Chrome decides SameSite from the
// method, whether the request is a top-level navigation, and the site that initiated it.
type Navigation struct {
	Method string
	// Initiator is the page that caused the request (the page whose form was submitted, or the
	// original initiator of a redirect chain). Nil means the user typed the URL: same-site.
	Initiator *url.URL
	// TopLevel is true for a navigation of the main frame (always, for the HTTP driver).
	TopLevel bool
}

func (n Navigation) sameSite(target *url.URL) bool {
	return n.Initiator == nil || siteOf(n.Initiator) == siteOf(target)
}

// Jar stores cookies the way Chromium does, where it matters for an OIDC login:
//   - loopback http origins are trustworthy, so Secure cookies are stored and sent there;
//   - SameSite=None without Secure is rejected, as are Secure cookies from untrustworthy origins
//     and __Secure-/__Host- prefixed cookies that break their rules;
//   - a cookie without SameSite is Lax by default, but is still sent on a cross-site top-level
//     POST within two minutes of its creation (Chrome's Lax-allowing-unsafe exception);
//   - Strict cookies are sent on same-site requests only, Lax ones also on cross-site top-level
//     GET navigations.
//
// Ports are ignored, as in browsers. Jar is safe for concurrent use. Its zero value is not
// usable; call NewJar.
type Jar struct {
	now func() time.Time

	mu      sync.Mutex
	cookies map[cookieKey]*storedCookie
	seq     uint64
}

type cookieKey struct{ domain, path, name string }

type storedCookie struct {
	name, value, domain, path  string
	hostOnly, secure, httpOnly bool
	sameSite                   http.SameSite // 0: attribute absent or invalid
	expires                    time.Time     // zero: session cookie
	created                    time.Time
	seq                        uint64 // creation order, to sort ties like browsers do
}

// NewJar returns an empty jar. now is the clock (nil: time.Now); tests inject one to cover
// the two-minute rule.
func NewJar(now func() time.Time) *Jar {
	if now == nil {
		now = time.Now
	}
	return &Jar{now: now, cookies: map[cookieKey]*storedCookie{}}
}

// Reasons a Set-Cookie header is refused.
var (
	errCookieSyntax          = errors.New("unparsable Set-Cookie")
	errCookieTooLarge        = errors.New("name and value exceed 4096 bytes")
	errCookieSecureInsecure  = errors.New("the Secure attribute was set by an origin that is not trustworthy (not https or loopback)")
	errCookieNoneNeedsSecure = errors.New("the SameSite=None attribute requires Secure")
	errCookieDomain          = errors.New("the Domain attribute does not match the host")
	errCookiePrefix          = errors.New("__Secure-/__Host- prefix rules not met")
	errCookieOverwriteSecure = errors.New("would overwrite a Secure cookie from an insecure origin")
)

// RejectedCookie says why a Set-Cookie header was refused, naming the cookie, never its value.
type RejectedCookie struct {
	Name   string
	Reason error
}

func (r RejectedCookie) String() string { return r.Name + ": " + r.Reason.Error() }

// SetCookieHeaders stores the Set-Cookie header lines of a response to u. It returns the
// names of the cookies stored (or deleted) and those refused with the reason.
func (j *Jar) SetCookieHeaders(u *url.URL, lines []string) (set []string, rejected []RejectedCookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, line := range lines {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			rejected = append(rejected, RejectedCookie{Name: setCookieName(line), Reason: errCookieSyntax})
			continue
		}
		if err := j.set(u, c); err != nil {
			rejected = append(rejected, RejectedCookie{Name: c.Name, Reason: err})
			continue
		}
		set = append(set, c.Name)
	}
	return set, rejected
}

// setCookieName is the name a Set-Cookie line gives its cookie, for reports. A line whose
// name-value pair has no '=' is a nameless cookie (RFC 6265bis 5.6): all of it is the value, so
// the name is "" rather than the text before some later '='.
func setCookieName(line string) string {
	pair, _, _ := strings.Cut(line, ";")
	name, _, found := strings.Cut(pair, "=")
	if !found {
		return ""
	}
	return strings.TrimSpace(name)
}

// SetCookies implements http.CookieJar.
func (j *Jar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, c := range cookies {
		_ = j.set(u, c)
	}
}

// Cookies implements http.CookieJar for a same-site top-level GET (a typed URL).
func (j *Jar) Cookies(u *url.URL) []*http.Cookie {
	return j.CookiesFor(u, Navigation{Method: http.MethodGet, TopLevel: true})
}

func (j *Jar) set(u *url.URL, c *http.Cookie) error {
	now := j.now()
	host := canonicalHost(u)
	secureOrigin := trustworthy(u)

	if len(c.Name)+len(c.Value) > maxCookieNameValue {
		return errCookieTooLarge
	}
	if c.Secure && !secureOrigin {
		return errCookieSecureInsecure
	}
	if c.SameSite == http.SameSiteNoneMode && !c.Secure {
		return errCookieNoneNeedsSecure
	}

	domain, hostOnly, err := cookieDomain(host, c.Domain)
	if err != nil {
		return err
	}
	path := c.Path
	if path == "" || path[0] != '/' {
		path = defaultPath(u.Path)
	}
	switch {
	case strings.HasPrefix(c.Name, "__Secure-") && !(c.Secure && secureOrigin):
		return errCookiePrefix
	case strings.HasPrefix(c.Name, "__Host-") && !(c.Secure && secureOrigin && hostOnly && path == "/"):
		return errCookiePrefix
	}

	// "Leave Secure Cookies Alone": an insecure origin may not shadow a Secure cookie.
	if !secureOrigin && !c.Secure {
		for _, old := range j.cookies {
			if old.secure && old.name == c.Name && (domainMatch(old.domain, domain) || domainMatch(domain, old.domain)) && pathMatch(path, old.path) {
				return errCookieOverwriteSecure
			}
		}
	}

	var expires time.Time
	switch {
	case c.MaxAge < 0:
		expires = now.Add(-time.Second) // Max-Age=0 or negative: delete
	case c.MaxAge > 0:
		expires = now.Add(time.Duration(c.MaxAge) * time.Second)
	case !c.Expires.IsZero():
		expires = c.Expires
	}
	if !expires.IsZero() && expires.After(now.Add(maxCookieAge)) {
		expires = now.Add(maxCookieAge)
	}

	key := cookieKey{domain, path, c.Name}
	old := j.cookies[key]
	if !expires.IsZero() && !expires.After(now) {
		delete(j.cookies, key)
		return nil
	}
	sc := &storedCookie{
		name: c.Name, value: c.Value, domain: domain, path: path,
		hostOnly: hostOnly, secure: c.Secure, httpOnly: c.HttpOnly,
		sameSite: c.SameSite, expires: expires, created: now,
	}
	if sc.sameSite == http.SameSiteDefaultMode { // "SameSite=bogus": Chrome treats it as absent
		sc.sameSite = 0
	}
	// Chrome keeps the creation time when a cookie is overwritten with the same value, which
	// matters for the two-minute rule.
	if old != nil && old.value == c.Value {
		sc.created, sc.seq = old.created, old.seq
	} else {
		j.seq++
		sc.seq = j.seq
	}
	if old == nil && len(j.cookies) >= maxJarCookies {
		j.evictOldest()
	}
	j.cookies[key] = sc
	return nil
}

func (j *Jar) evictOldest() {
	var oldest *storedCookie
	for _, c := range j.cookies {
		if oldest == nil || c.seq < oldest.seq {
			oldest = c
		}
	}
	if oldest != nil {
		delete(j.cookies, cookieKey{oldest.domain, oldest.path, oldest.name})
	}
}

// cookieDomain applies RFC 6265bis 5.6 steps 8–10 to the Domain attribute.
func cookieDomain(host, attr string) (domain string, hostOnly bool, err error) {
	attr = strings.TrimSuffix(strings.ToLower(strings.TrimPrefix(attr, ".")), ".")
	if attr == "" {
		return host, true, nil
	}
	if net.ParseIP(host) != nil {
		if attr != host {
			return "", false, fmt.Errorf("%w: an IP host accepts only its own address", errCookieDomain)
		}
		return host, true, nil
	}
	if net.ParseIP(attr) != nil {
		return "", false, fmt.Errorf("%w: %q is an IP address, not a domain of %q", errCookieDomain, attr, host)
	}
	// A public suffix (including "localhost" by the default rule) cannot be a cookie domain,
	// except for the host itself, where the cookie becomes host-only.
	if ps, _ := publicsuffix.PublicSuffix(attr); ps == attr {
		if attr == host {
			return host, true, nil
		}
		return "", false, fmt.Errorf("%w: %q is a public suffix", errCookieDomain, attr)
	}
	if !domainMatch(host, attr) {
		return "", false, fmt.Errorf("%w: %q is not a suffix of %q", errCookieDomain, attr, host)
	}
	return attr, false, nil
}

// domainMatch is RFC 6265 5.1.3: host equals domain or ends with "."+domain (names only).
func domainMatch(host, domain string) bool {
	if host == domain {
		return true
	}
	return net.ParseIP(host) == nil && strings.HasSuffix(host, "."+domain)
}

// defaultPath is RFC 6265 5.1.4.
func defaultPath(p string) string {
	if p == "" || p[0] != '/' {
		return "/"
	}
	i := strings.LastIndex(p, "/")
	if i == 0 {
		return "/"
	}
	return p[:i]
}

// pathMatch is RFC 6265 5.1.4.
func pathMatch(reqPath, cookiePath string) bool {
	if reqPath == cookiePath {
		return true
	}
	if !strings.HasPrefix(reqPath, cookiePath) {
		return false
	}
	return strings.HasSuffix(cookiePath, "/") || reqPath[len(cookiePath)] == '/'
}

// CookiesFor returns the cookies a browser sends with a request to u made as nav describes,
// sorted as browsers sort them (longest path first, then oldest first).
func (j *Jar) CookiesFor(u *url.URL, nav Navigation) []*http.Cookie {
	sent, _ := j.Lookup(u, nav)
	return sent
}

// Lookup is CookiesFor that also says which matching cookies were withheld and why.
func (j *Jar) Lookup(u *url.URL, nav Navigation) (sent []*http.Cookie, withheld []RejectedCookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	host := canonicalHost(u)
	reqPath := u.EscapedPath()
	if reqPath == "" {
		reqPath = "/"
	}
	secure := trustworthy(u)
	sameSite := nav.sameSite(u)
	safe := nav.Method == "" || nav.Method == http.MethodGet || nav.Method == http.MethodHead

	var picked []*storedCookie
	for key, c := range j.cookies {
		if !c.expires.IsZero() && !c.expires.After(now) {
			delete(j.cookies, key)
			continue
		}
		if c.hostOnly && host != c.domain || !c.hostOnly && !domainMatch(host, c.domain) {
			continue
		}
		if !pathMatch(reqPath, c.path) {
			continue
		}
		if c.secure && !secure {
			withheld = append(withheld, RejectedCookie{Name: c.name, Reason: errSendSecureInsecure})
			continue
		}
		if !sameSite {
			if reason := crossSiteBlock(c, nav.TopLevel, safe, now); reason != nil {
				withheld = append(withheld, RejectedCookie{Name: c.name, Reason: reason})
				continue
			}
		}
		picked = append(picked, c)
	}
	slices.SortFunc(picked, func(a, b *storedCookie) int {
		if d := cmp.Compare(len(b.path), len(a.path)); d != 0 {
			return d
		}
		return cmp.Compare(a.seq, b.seq)
	})
	sent = make([]*http.Cookie, len(picked))
	for i, c := range picked {
		sent[i] = &http.Cookie{Name: c.name, Value: c.value}
	}
	slices.SortFunc(withheld, func(a, b RejectedCookie) int { return cmp.Compare(a.Name, b.Name) })
	return sent, withheld
}

// Reasons a stored cookie is not sent.
var (
	errSendSecureInsecure = errors.New("a Secure cookie is not sent to a URL that is not trustworthy")
	errSendStrict         = errors.New("cross-site request and SameSite=Strict")
	errSendLaxUnsafe      = errors.New("cross-site request that is not a top-level GET, and SameSite=Lax")
	errSendDefaultLax     = errors.New("cross-site request that is not a top-level GET, and no SameSite attribute (Lax by default) on a cookie older than 2 minutes")
)

// crossSiteBlock says why a cookie does not go with a cross-site request (nil: it goes).
func crossSiteBlock(c *storedCookie, topLevel, safeMethod bool, now time.Time) error {
	switch c.sameSite {
	case http.SameSiteNoneMode:
		return nil
	case http.SameSiteStrictMode:
		return errSendStrict
	case http.SameSiteLaxMode:
		if topLevel && safeMethod {
			return nil
		}
		return errSendLaxUnsafe
	default: // no attribute: Lax by default, with Chrome's POST exception for young cookies
		if topLevel && (safeMethod || now.Sub(c.created) <= laxAllowUnsafeMaxAge) {
			return nil
		}
		return errSendDefaultLax
	}
}

// Infos lists the stored, unexpired cookies without their values, sorted by domain, path and
// name.
func (j *Jar) Infos() []CookieInfo {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	var out []CookieInfo
	for _, c := range j.cookies {
		if !c.expires.IsZero() && !c.expires.After(now) {
			continue
		}
		out = append(out, CookieInfo{
			Name: c.name, Domain: c.domain, Path: c.path, HostOnly: c.hostOnly,
			Secure: c.secure, HTTPOnly: c.httpOnly, SameSite: sameSiteName(c.sameSite), Expires: c.expires,
			Size: len(c.name) + len(c.value),
		})
	}
	sortCookieInfos(out)
	return out
}

func sortCookieInfos(cs []CookieInfo) {
	slices.SortFunc(cs, func(a, b CookieInfo) int {
		return cmp.Or(cmp.Compare(a.Domain, b.Domain), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Name, b.Name))
	})
}

func sameSiteName(s http.SameSite) string {
	switch s {
	case http.SameSiteStrictMode:
		return "Strict"
	case http.SameSiteLaxMode:
		return "Lax"
	case http.SameSiteNoneMode:
		return "None"
	}
	return ""
}
