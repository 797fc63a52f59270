package oidc

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	// maxChunks is lua-resty-session's limit: session, session2 … session9.
	maxChunks = 9
	// chunkLimit keeps name=value of one cookie under the 4096 bytes every browser stores.
	chunkLimit = 4000
)

// origin is what the plugin knows about where the browser is: the forwarded scheme and host.
type origin struct {
	Scheme string
	Host   string // without port
}

// trustworthy reports whether browsers treat the origin as potentially trustworthy, which is
// where they accept Secure (and so SameSite=None) cookies: https, or http on loopback.
func (o origin) trustworthy() bool {
	return o.Scheme == "https" || isLoopbackHost(o.Host)
}

// cookieSpec is a cookie's attributes once the per-request decisions are made.
type cookieSpec struct {
	CookieConfig
	sameSite http.SameSite
	secure   bool
}

// authorizationCookieSpec decides the state cookie's attributes. With Kong's SameSite "Default"
// the state cookie must survive the IdP's cross-site form_post at any age, so it is
// SameSite=None; Secure wherever the browser accepts that (see DESIGN.md's table); elsewhere it
// gets no SameSite attribute and the re-POST page covers the form_post case.
func authorizationCookieSpec(c CookieConfig, o origin) cookieSpec {
	s := cookieSpec{CookieConfig: c}
	switch c.SameSite {
	case "Default":
		if o.trustworthy() && (c.Secure == nil || *c.Secure) {
			s.sameSite, s.secure = http.SameSiteNoneMode, true
			return s
		}
		s.sameSite = http.SameSiteDefaultMode
	default:
		s.sameSite = parseSameSite(c.SameSite)
	}
	s.secure = secureFor(c, o)
	return s
}

// sessionCookieSpec: Lax by default, Secure when the request came over https (or the tunnel).
// On plain-http loopback Secure would hide the session from curl and other non-browser clients.
func sessionCookieSpec(c CookieConfig, o origin) cookieSpec {
	return cookieSpec{CookieConfig: c, sameSite: parseSameSite(c.SameSite), secure: secureFor(c, o)}
}

func secureFor(c CookieConfig, o origin) bool {
	if c.Secure != nil {
		return *c.Secure
	}
	if c.SameSite == "None" {
		// Browsers drop SameSite=None cookies without Secure.
		return true
	}
	return o.Scheme == "https"
}

func parseSameSite(s string) http.SameSite {
	switch s {
	case "Lax":
		return http.SameSiteLaxMode
	case "Strict":
		return http.SameSiteStrictMode
	case "None":
		return http.SameSiteNoneMode
	}
	return http.SameSiteDefaultMode
}

func chunkName(base string, i int) string {
	if i == 0 {
		return base
	}
	return base + strconv.Itoa(i+1)
}

func (s cookieSpec) cookie(name, value string) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: s.Path, Domain: s.Domain,
		HttpOnly: s.HTTPOnly, Secure: s.secure, SameSite: s.sameSite,
	}
}

// set writes value as one cookie or, above chunkLimit, as name, name2 … and expires chunks
// the request carried that are no longer needed. It reports how many cookies it used, or
// ok=false when even nine chunks cannot hold the value.
func (s cookieSpec) set(w http.ResponseWriter, r *http.Request, value string) (chunks int, ok bool) {
	per := chunkLimit - len(s.Name) - 1
	chunks = (len(value) + per - 1) / per
	if chunks > maxChunks {
		return chunks, false
	}
	if chunks == 0 {
		chunks = 1
	}
	for i := 0; i < chunks; i++ {
		end := min((i+1)*per, len(value))
		http.SetCookie(w, s.cookie(chunkName(s.Name, i), value[i*per:end]))
	}
	for i := chunks; i < maxChunks; i++ {
		if _, err := r.Cookie(chunkName(s.Name, i)); err == nil {
			http.SetCookie(w, s.expired(chunkName(s.Name, i)))
		}
	}
	return chunks, true
}

// clear expires the cookie and every chunk the request carried.
func (s cookieSpec) clear(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, s.expired(s.Name))
	for i := 1; i < maxChunks; i++ {
		if _, err := r.Cookie(chunkName(s.Name, i)); err == nil {
			http.SetCookie(w, s.expired(chunkName(s.Name, i)))
		}
	}
}

func (s cookieSpec) expired(name string) *http.Cookie {
	c := s.cookie(name, "")
	c.Expires = time.Unix(1, 0).UTC()
	c.MaxAge = -1
	return c
}

// readChunked joins name, name2 … as long as they are present.
func readChunked(r *http.Request, name string) string {
	first, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	if len(first.Value) < chunkLimit-len(name)-1 {
		return first.Value
	}
	var b strings.Builder
	b.WriteString(first.Value)
	for i := 1; i < maxChunks; i++ {
		c, err := r.Cookie(chunkName(name, i))
		if err != nil {
			break
		}
		b.WriteString(c.Value)
	}
	return b.String()
}

// stripCookies removes the named cookies (and their chunks) from the request's Cookie headers,
// leaving every other cookie byte for byte as the browser sent it.
func stripCookies(h http.Header, bases ...string) {
	lines := h.Values("Cookie")
	if len(lines) == 0 {
		return
	}
	var kept []string
	for _, line := range lines {
		for part := range strings.SplitSeq(line, ";") {
			p := strings.TrimSpace(part)
			if p == "" {
				continue
			}
			name, _, _ := strings.Cut(p, "=")
			if isChunkOf(name, bases) {
				continue
			}
			kept = append(kept, p)
		}
	}
	h.Del("Cookie")
	if len(kept) > 0 {
		h.Set("Cookie", strings.Join(kept, "; "))
	}
}

func isChunkOf(name string, bases []string) bool {
	for _, b := range bases {
		if name == b {
			return true
		}
		if rest, ok := strings.CutPrefix(name, b); ok && len(rest) == 1 && rest[0] >= '2' && rest[0] <= '9' {
			return true
		}
	}
	return false
}
