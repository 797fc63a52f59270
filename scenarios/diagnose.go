package scenarios

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/oidclab/oidclab/scenarios/browser"
)

// Size limits a login's cookies run into: browsers keep at most 4096 bytes of name and value
// per cookie, and common servers and proxies refuse request headers over 8 KiB.
const (
	cookieLimit = 4096
	headerLimit = 8192
)

// stateCookie and sessionCookie are Kong's cookie names (the plugin's defaults).
const (
	stateCookie   = "authorization"
	sessionCookie = "session"
)

// diagnose reads a browser trace the way a person debugging a login loop would: where the
// state cookie was set and whether the callback carried it, where a session cookie stopped
// being sent, how often the browser went back to the IdP, and what is near a size limit.
func diagnose(trace []TraceHop) []string {
	var out []string
	setAt := map[string]int{}    // cookie name -> index of the hop that last set it
	reported := map[string]int{} // cookie name -> the setAt already explained (a re-POST repeats the loss)
	authorizes := map[int]int{}
	for i, h := range trace {
		u, _ := url.Parse(h.URL)
		if u != nil && strings.HasSuffix(u.Path, "/v1/authorize") {
			authorizes[h.Step]++
		}
		if isCallback(h.Hop) && !slices.Contains(h.CookiesSent, stateCookie) {
			if j, ok := setAt[stateCookie]; !ok || reported[stateCookie] != j+1 {
				out = append(out, lostCookie(trace, setAt, i, stateCookie, "the callback"))
				reported[stateCookie] = setAt[stateCookie] + 1
			}
		} else if j, ok := setAt[sessionCookie]; ok && sameHost(trace[j].URL, h.URL) && withheld(h.Hop, sessionCookie) != "" {
			out = append(out, lostCookie(trace, setAt, i, sessionCookie, "a request to the gateway"))
		}
		for _, name := range h.CookiesSet {
			setAt[name] = i
		}
		for _, rej := range h.CookiesRejected {
			out = append(out, fmt.Sprintf("hop %d (%s %s): the browser refused a cookie: %s", i+1, h.Method, h.URL, rej))
		}
	}
	for step, n := range authorizes {
		if n > 2 {
			out = append(out, fmt.Sprintf("step %d sent the browser to the identity provider %d times: a login loop (the state or session cookie does not survive the round trip)", step, n))
		}
	}
	return out
}

// sizes warns about cookies and cookie headers near the limits, from the cookies the browser
// holds after the run.
func sizes(cookies []browser.CookieInfo) []string {
	var out []string
	perHost := map[string]int{}
	for _, c := range cookies {
		perHost[c.Domain] += c.Size + 2 // "; " between cookies
		if c.Size > cookieLimit*9/10 {
			out = append(out, fmt.Sprintf("cookie %s on %s is %d bytes, near the %d-byte limit browsers keep per cookie", c.Name, c.Domain, c.Size, cookieLimit))
		}
	}
	for host, n := range perHost {
		if n > headerLimit*3/4 {
			out = append(out, fmt.Sprintf("the cookies for %s add up to %d bytes in one Cookie header; servers and proxies commonly refuse headers over %d bytes", host, n, headerLimit))
		}
	}
	slices.Sort(out)
	return out
}

// isCallback reports whether a hop brought an authorization response back (state with a code
// or an error) to the relying party.
func isCallback(h browser.Hop) bool {
	if h.Method == "POST" && slices.Contains(h.FormFields, "state") && (slices.Contains(h.FormFields, "code") || slices.Contains(h.FormFields, "error")) {
		return true
	}
	u, err := url.Parse(h.URL)
	if err != nil {
		return false
	}
	q := u.Query()
	return q.Has("state") && (q.Has("code") || q.Has("error")) && !strings.HasSuffix(u.Path, "/v1/authorize")
}

// lostCookie explains why hop i did not carry the named cookie.
func lostCookie(trace []TraceHop, setAt map[string]int, i int, name, what string) string {
	h := trace[i]
	where := fmt.Sprintf("hop %d (%s %s)", i+1, h.Method, h.URL)
	j, ok := setAt[name]
	switch {
	case !ok:
		return fmt.Sprintf("%s is %s without the %s cookie, and no earlier hop set it", where, what, name)
	case !sameHost(trace[j].URL, h.URL):
		return fmt.Sprintf("%s is %s without the %s cookie: hop %d set it on %s, but this request went to %s, and cookies are per host; open the app on the redirect URI's host",
			where, what, name, j+1, hostOf(trace[j].URL), hostOf(h.URL))
	}
	if why := withheld(h.Hop, name); why != "" {
		return fmt.Sprintf("%s is %s without the %s cookie set at hop %d: the browser withheld it (%s)", where, what, name, j+1, why)
	}
	return fmt.Sprintf("%s is %s without the %s cookie set at hop %d (expired, or its path does not cover this URL)", where, what, name, j+1)
}

// withheld returns the browser's reason for not sending the named cookie on h, if it said.
func withheld(h browser.Hop, name string) string {
	for _, n := range h.CookiesNotSent {
		if cname, why, ok := strings.Cut(n, ": "); ok && cname == name {
			return why
		}
	}
	return ""
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Host
}

func sameHost(a, b string) bool { return strings.EqualFold(hostOf(a), hostOf(b)) }
