package scenarios

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/scenarios/browser"
)

// expect checks the last action's outcome and reports every mismatch at once.
func (r *run) expect(x *Expect) error {
	o := r.last
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	res := o.result
	needPage := x.Status != 0 || x.BodyContains != "" || len(x.Header) > 0 || x.Upstream != nil || len(x.Cookies) > 0
	if needPage && res == nil {
		return fmt.Errorf("the %s step got no page to check (%v)", o.kind, o.err)
	}
	if x.Status != 0 && res.Status != x.Status {
		fail("status %d, want %d", res.Status, x.Status)
	}
	if x.BodyContains != "" && !strings.Contains(res.Body, x.BodyContains) {
		fail("the page does not contain %q", x.BodyContains)
	}
	for name, want := range x.Header {
		if got := res.Header.Get(name); !strings.Contains(got, want) {
			fail("header %s is %q, want it to contain %q", name, got, want)
		}
	}
	if x.Upstream != nil {
		r.expectUpstream(x.Upstream, res, fail)
	}
	for name, want := range x.Cookies {
		c, ok := res.Cookie(name)
		switch {
		case want.Present != nil && ok != *want.Present:
			fail("cookie %s present: %v, want %v", name, ok, *want.Present)
		case !ok && (want.Secure != nil || want.HTTPOnly != nil || want.SameSite != ""):
			fail("cookie %s is not set", name)
		case !ok:
		default:
			if want.Secure != nil && c.Secure != *want.Secure {
				fail("cookie %s Secure: %v, want %v", name, c.Secure, *want.Secure)
			}
			if want.HTTPOnly != nil && c.HTTPOnly != *want.HTTPOnly {
				fail("cookie %s HttpOnly: %v, want %v", name, c.HTTPOnly, *want.HTTPOnly)
			}
			if want.SameSite != "" && !strings.EqualFold(c.SameSite, want.SameSite) {
				fail("cookie %s SameSite=%q, want %q", name, c.SameSite, want.SameSite)
			}
		}
	}
	kinds, reasons := map[string]bool{}, map[string]bool{}
	idp := map[string]int{}
	for _, e := range o.events {
		if lab.BrowserNoise(e) {
			continue
		}
		kinds[string(e.Kind)] = true
		if e.Reason != "" {
			reasons[string(e.Reason)] = true
		}
		if e.Kind == lab.EventIdPRequest {
			if ep, ok := e.Attrs["endpoint"].(string); ok {
				idp[ep]++
			}
		}
	}
	for _, k := range x.Events {
		if !kinds[k] {
			fail("no %s event (saw %s)", k, strings.Join(sortedKeys(kinds), ", "))
		}
	}
	for _, k := range x.NoEvents {
		if kinds[k] {
			fail("a %s event happened", k)
		}
	}
	for _, want := range x.Reasons {
		if !reasons[want] {
			fail("no failure with reason %s (reasons seen: %s)", want, orNone(sortedKeys(reasons)))
		}
	}
	if x.NoReasons && len(reasons) > 0 {
		fail("failures happened: %s", strings.Join(sortedKeys(reasons), ", "))
	}
	for ep, want := range x.IdPRequests {
		if idp[ep] != want {
			fail("the IdP's %s endpoint was called %d times, want %d", ep, idp[ep], want)
		}
	}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "; "))
	}
	return nil
}

// expectUpstream checks what the echo upstream received, from the page it answered.
func (r *run) expectUpstream(x *UpstreamExpect, res *browser.Result, fail func(string, ...any)) {
	e, ok := parseEcho(res)
	if !ok {
		fail("the page is not the echo upstream's answer (status %d, %s): the request did not reach the upstream", res.Status, orNone([]string{res.ContentType}))
		return
	}
	if x.Method != "" && !strings.EqualFold(e.Method, x.Method) {
		fail("the upstream saw %s, want %s", e.Method, x.Method)
	}
	token, hasBearer := strings.CutPrefix(e.Header("Authorization"), "Bearer ")
	if x.Bearer != nil && hasBearer != *x.Bearer {
		fail("the upstream got a bearer token: %v, want %v", hasBearer, *x.Bearer)
	}
	for name, want := range x.Headers {
		if got := e.Header(name); !strings.Contains(got, want) {
			fail("the upstream's %s header does not contain %q", name, want)
		}
	}
	for _, name := range x.NoHeaders {
		if e.Header(name) != "" {
			fail("the upstream received a %s header", name)
		}
	}
	if len(x.Claims) == 0 {
		return
	}
	claims, err := jwtClaims(token)
	if !hasBearer || err != nil {
		fail("the upstream got no readable access token to check claims in")
		return
	}
	for name, want := range x.Claims {
		if got := fmt.Sprint(claims[name]); claims[name] == nil || got != want {
			fail("the access token's %s claim is %q, want %q", name, got, want)
		}
	}
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// jwtClaims decodes a JWT's payload as the upstream would read it (no verification: the
// gateway verified it; the scenario checks what was passed on).
func jwtClaims(token string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if err := json.Unmarshal(b, &claims); err != nil {
		return nil, err
	}
	return claims, nil
}
