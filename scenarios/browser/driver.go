package browser

import (
	"context"
	"net/http"
	"time"
)

// Driver is one browser session: cookies set during one call are sent by the next, so a second
// Get after a Login shows whether the gateway's session (or the IdP's SSO session) holds.
type Driver interface {
	// Login navigates to startURL, fills the identity provider's login form(s) with creds,
	// follows auto-submitting forms (form_post) and redirects, and returns the final page once
	// it is back on startURL's origin. Failures return a *LoginError carrying the last Result.
	Login(ctx context.Context, startURL string, creds Credentials) (*Result, error)
	// Get navigates to url in the same session. It follows redirects and auto-submitting forms
	// but never fills credentials: a login page is returned as the final page. HTTP error
	// statuses are results, not errors.
	Get(ctx context.Context, url string) (*Result, error)
	// Close releases the session (and the browser process, for Chromium).
	Close() error
}

// Credentials are what a user types into the IdP's login form.
type Credentials struct {
	Username string
	Password string
}

// Result is the page a navigation ended on and how it got there.
type Result struct {
	// URL of the final page, with secret-bearing query and fragment values redacted.
	URL    string `json:"url"`
	Status int    `json:"status"`
	// Body of the final page. It can hold tokens (an echo upstream shows the Authorization
	// header), so it is never serialised.
	Body string `json:"-"`
	// ContentType is the media type of the final page ("application/json"), without parameters.
	ContentType string `json:"content_type,omitempty"`
	// Header holds the final page's response headers, without Set-Cookie (whose values are
	// secrets: Cookies has names and attributes). Not serialised.
	Header http.Header `json:"-"`
	// Hops lists every top-level request in order: redirects, form posts, the final page.
	Hops []Hop `json:"hops"`
	// Cookies the browser holds after the navigation: names and attributes, never values.
	Cookies []CookieInfo `json:"cookies,omitempty"`
}

// Hop is one top-level request of a navigation.
type Hop struct {
	Method string `json:"method"`
	// URL with the values of code, state, id_token, access_token, session_state and the like
	// replaced by Redacted (see RedactURL).
	URL    string `json:"url"`
	Status int    `json:"status"`
	// Note says why the request was made ("redirect", "login form", "auto-submitted form").
	Note string `json:"note,omitempty"`
	// FormFields are the names (never the values) of the fields a form submission sent.
	FormFields []string `json:"form_fields,omitempty"`
	// CookiesSent and CookiesSet are cookie names. CookiesNotSent lists stored cookies that
	// matched the URL but were withheld, with the reason ("authorization: cross-site request
	// that is not a top-level GET, and SameSite=Lax"). CookiesRejected says which Set-Cookie headers the browser refused and
	// why ("name: the SameSite=None attribute requires Secure"). Chromium states its own reasons
	// ("SameSiteNoneInsecure", "SameSiteLax").
	CookiesSent     []string `json:"cookies_sent,omitempty"`
	CookiesNotSent  []string `json:"cookies_not_sent,omitempty"`
	CookiesSet      []string `json:"cookies_set,omitempty"`
	CookiesRejected []string `json:"cookies_rejected,omitempty"`
}

// CookieInfo describes a stored cookie without its value.
type CookieInfo struct {
	Name     string    `json:"name"`
	Domain   string    `json:"domain"`
	Path     string    `json:"path"`
	HostOnly bool      `json:"host_only,omitempty"`
	Secure   bool      `json:"secure,omitempty"`
	HTTPOnly bool      `json:"http_only,omitempty"`
	SameSite string    `json:"same_site,omitempty"` // "Strict", "Lax", "None" or "" (not set)
	Expires  time.Time `json:"expires,omitzero"`    // zero for a session cookie
	// Size is len(name)+len(value), what browsers hold to a 4096-byte limit (not the value).
	Size int `json:"size"`
}

// Cookie returns the named cookie's info, if the result lists it.
func (r *Result) Cookie(name string) (CookieInfo, bool) {
	for _, c := range r.Cookies {
		if c.Name == name {
			return c, true
		}
	}
	return CookieInfo{}, false
}
