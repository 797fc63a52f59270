package browser_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	oidclab "github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/labtest"
	"github.com/oidclab/oidclab/lab/tutorial"
	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/scenarios/browser"
)

// The "Done means": Kong's tutorial decK file, unchanged, with DECK_* pointing at the
// embedded Okta emulator, logs the demo user in through a real browser (form_post, PKCE) and,
// with session added to auth_methods, keeps them logged in.
//
// The emulator is reached as "localhost" and the gateway as "127.0.0.1": two sites, so the
// form_post back to the gateway is a cross-site POST, as it is with Okta in the cloud.

// e2e is a lab serving the tutorial's decK file with the IdP on localhost.
type e2e struct {
	*labtest.Lab
	idp        *emulator.Server
	gatewayURL string // http://127.0.0.1:PORT
}

// startE2E serves the tutorial's decK file; edit may change its text (add session).
func startE2E(t testing.TB, edit func(string) string) *e2e {
	t.Helper()
	src := string(tutorial.Deck)
	if edit != nil {
		src = edit(src)
	}
	cfg := emulator.Default()
	cfg.Clients[0].Secret = "e2e-" + token()
	l := labtest.Start(t, oidclab.Config{Deck: []byte(src), DeckName: "tutorial-kong.yaml", IdPConfig: &cfg, IdPListen: "localhost:0"})
	return &e2e{Lab: l, idp: l.Emulator(), gatewayURL: l.URL}
}

// requests counts the emulator's requests to an endpoint ("authorize", "token", ...).
func (e *e2e) requests(endpoint string) []emulator.RequestRecord {
	var out []emulator.RequestRecord
	for _, r := range e.idp.Requests() {
		if r.Endpoint == endpoint {
			out = append(out, r)
		}
	}
	return out
}

// echoed is the part of the echo upstream's answer the test reads.
type echoed struct {
	Method  string         `json:"method"`
	Headers map[string]any `json:"headers"`
	URL     string         `json:"url"`
}

func echo(t testing.TB, res *browser.Result) echoed {
	t.Helper()
	var e echoed
	if err := json.Unmarshal([]byte(strings.TrimSpace(res.Body)), &e); err != nil {
		t.Fatalf("final page %s (status %d) is not the echo JSON: %v\n%.300s\nhops: %s", res.URL, res.Status, err, res.Body, hopsString(res))
	}
	return e
}

func (e echoed) header(name string) string {
	for k, v := range e.Headers {
		if strings.EqualFold(k, name) {
			switch v := v.(type) {
			case string:
				return v
			case []any:
				if len(v) > 0 {
					s, _ := v[0].(string)
					return s
				}
			}
		}
	}
	return ""
}

var demoUserCreds = browser.Credentials{Username: emulator.DemoUserLogin, Password: emulator.DemoUserPassword}

func TestTutorialLoginEndToEnd(t *testing.T) {
	drivers(t, func(t *testing.T, d browser.Driver) {
		e := startE2E(t, nil)
		ctx := testContext(t)
		start := e.gatewayURL + "/anything"

		res, err := d.Login(ctx, start, demoUserCreds)
		if err != nil {
			t.Fatalf("Login: %v\nhops: %s", err, hopsString(res))
		}
		got := echo(t, res)
		// login_action defaults to upstream: the form_post callback itself is proxied.
		if got.Method != "POST" {
			t.Errorf("upstream saw %s, want the form_post callback (POST)", got.Method)
		}
		if auth := got.header("Authorization"); !strings.HasPrefix(auth, "Bearer ") || len(auth) < len("Bearer ")+20 {
			t.Errorf("upstream Authorization header = %q, want a bearer access token", redactToken(auth))
		}
		assertTutorialHops(t, res, e)

		authz := e.requests("authorize")
		if len(authz) != 1 {
			t.Fatalf("emulator saw %d authorize requests, want 1", len(authz))
		}
		p := authz[0].Params
		if p["response_mode"] != "form_post" || p["code_challenge_method"] != "S256" || authz[0].PKCEMethod != "S256" {
			t.Errorf("authorize request params %v (pkce %q): want form_post and S256 PKCE", p, authz[0].PKCEMethod)
		}
		tok := e.requests("token")
		if len(tok) != 1 || tok[0].Status != http.StatusOK || tok[0].ClientAuth != "client_secret_basic" || tok[0].PKCEMethod != "S256" {
			t.Errorf("token requests = %+v, want one client_secret_basic exchange with a verifier", tok)
		}

		// The tutorial's own config has no session: a new page load goes back through the
		// IdP, which answers at once from its own session (no login form) with a new code.
		again, err := d.Get(ctx, start)
		if err != nil {
			t.Fatalf("second Get: %v\nhops: %s", err, hopsString(again))
		}
		if echo(t, again).Method != "POST" || len(e.requests("authorize")) != 2 || len(e.requests("token")) != 2 {
			t.Errorf("second page load: method %s, %d authorize, %d token requests; want a new form_post round trip",
				echo(t, again).Method, len(e.requests("authorize")), len(e.requests("token")))
		}
		for _, h := range again.Hops {
			if h.Note == "login form" {
				t.Errorf("second page load showed the login form again: %s", hopsString(again))
			}
		}
	})
}

func TestTutorialWithSessionStaysLoggedIn(t *testing.T) {
	withSession := func(yaml string) string {
		out := strings.Replace(yaml, "        - authorization_code\n", "        - authorization_code\n        - session\n", 1)
		if out == yaml {
			t.Fatal("could not add session to auth_methods")
		}
		return out
	}
	drivers(t, func(t *testing.T, d browser.Driver) {
		e := startE2E(t, withSession)
		ctx := testContext(t)
		start := e.gatewayURL + "/anything"

		res, err := d.Login(ctx, start, demoUserCreds)
		if err != nil {
			t.Fatalf("Login: %v\nhops: %s", err, hopsString(res))
		}
		if got := echo(t, res); got.Method != "POST" || !strings.HasPrefix(got.header("Authorization"), "Bearer ") {
			t.Fatalf("login reached the upstream with %s and Authorization %q", got.Method, redactToken(got.header("Authorization")))
		}
		sess, ok := res.Cookie("session")
		if !ok || !sess.HTTPOnly || sess.SameSite != "Lax" {
			t.Fatalf("session cookie = %+v (%v), want an HttpOnly Lax cookie\ncookies: %+v", sess, ok, res.Cookies)
		}
		before := len(e.idp.Requests())

		for _, path := range []string{"/anything", "/anything/again?x=1"} {
			next, err := d.Get(ctx, e.gatewayURL+path)
			if err != nil {
				t.Fatalf("Get %s: %v\nhops: %s", path, err, hopsString(next))
			}
			got := echo(t, next)
			if got.Method != "GET" || !strings.HasPrefix(got.header("Authorization"), "Bearer ") {
				t.Errorf("Get %s reached the upstream with %s, Authorization %q", path, got.Method, redactToken(got.header("Authorization")))
			}
			if len(next.Hops) != 1 || next.Hops[0].Status != http.StatusOK || !slices.Contains(next.Hops[0].CookiesSent, "session") {
				t.Errorf("Get %s: hops %s, want one request carrying the session cookie", path, hopsString(next))
			}
			if got.header("Cookie") != "" && strings.Contains(got.header("Cookie"), "session=") {
				t.Errorf("the session cookie reached the upstream")
			}
		}
		if after := e.idp.Requests(); len(after) != before {
			t.Errorf("the emulator saw %d more requests while the session held: %+v", len(after)-before, after[before:])
		}
	})
}

// assertTutorialHops checks the way the login went: gateway, IdP (two-step login), form_post
// back to the gateway, and that nothing secret shows in the hops.
func assertTutorialHops(t *testing.T, res *browser.Result, e *e2e) {
	t.Helper()
	var notes []string
	for _, h := range res.Hops {
		notes = append(notes, h.Method+" "+h.Note)
	}
	first, last := res.Hops[0], res.Hops[len(res.Hops)-1]
	if first.Method != "GET" || first.Status != http.StatusFound || !strings.HasPrefix(first.URL, e.gatewayURL+"/anything") {
		t.Errorf("first hop %+v, want the gateway's 302", first)
	}
	if !slices.Contains(first.CookiesSet, "authorization") {
		t.Errorf("first hop set %q, want the authorization (state) cookie", first.CookiesSet)
	}
	if last.Method != "POST" || last.Note != "auto-submitted form" || !strings.HasPrefix(last.URL, e.gatewayURL+"/anything") {
		t.Errorf("last hop %+v, want the form_post back to the gateway", last)
	}
	if !slices.Contains(last.CookiesSent, "authorization") {
		t.Errorf("the form_post back did not carry the authorization cookie: %+v", last)
	}
	if !slices.Contains(last.FormFields, "code") || !slices.Contains(last.FormFields, "state") {
		t.Errorf("form_post fields %q", last.FormFields)
	}
	logins := 0
	for _, h := range res.Hops {
		if h.Note == "login form" {
			logins++
		}
		if strings.Contains(h.URL, "code=") && !strings.Contains(h.URL, "code=<redacted>") {
			t.Errorf("hop URL leaks a code: %s", h.URL)
		}
	}
	if logins != 2 {
		t.Errorf("hops %q: want the emulator's two login steps (identifier, passcode)", notes)
	}
	b, _ := json.Marshal(res)
	if bytes.Contains(b, []byte(emulator.DemoUserPassword)) || bytes.Contains(b, []byte("Bearer ")) {
		t.Errorf("serialised result holds the password or a token")
	}
}

func redactToken(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}

// With a Lax state cookie the browser withholds it from the cross-site form_post; the gateway
// answers once with a same-origin page that re-POSTs the fields, and that POST carries it.
func TestTutorialLaxStateCookieUsesRePost(t *testing.T) {
	lax := func(yaml string) string {
		out := strings.Replace(yaml, "      response_mode: form_post\n", "      response_mode: form_post\n      authorization_cookie_same_site: Lax\n", 1)
		if out == yaml {
			t.Fatal("could not set authorization_cookie_same_site")
		}
		return out
	}
	drivers(t, func(t *testing.T, d browser.Driver) {
		e := startE2E(t, lax)
		res, err := d.Login(testContext(t), e.gatewayURL+"/anything", demoUserCreds)
		if err != nil {
			t.Fatalf("Login: %v\nhops: %s", err, hopsString(res))
		}
		got := echo(t, res)
		if got.Method != "POST" || !strings.HasPrefix(got.header("Authorization"), "Bearer ") {
			t.Fatalf("upstream saw %s with Authorization %q", got.Method, redactToken(got.header("Authorization")))
		}
		// The re-POST page has a no-referrer policy: Chromium sends Origin: null and no
		// Referer, and so must the HTTP driver.
		if o, r, sfs := got.header("Origin"), got.header("Referer"), got.header("Sec-Fetch-Site"); o != "null" || r != "" || sfs != "same-origin" {
			t.Errorf("re-POST headers: Origin %q, Referer %q, Sec-Fetch-Site %q; want null, none, same-origin", o, r, sfs)
		}
		n := len(res.Hops)
		if n < 2 {
			t.Fatalf("hops: %s", hopsString(res))
		}
		crossSite, repost := res.Hops[n-2], res.Hops[n-1]
		if crossSite.Method != "POST" || slices.Contains(crossSite.CookiesSent, "authorization") || !mentions(crossSite.CookiesNotSent, "authorization") {
			t.Errorf("the cross-site form_post should go without the Lax authorization cookie: %+v", crossSite)
		}
		if repost.Method != "POST" || repost.URL != crossSite.URL || !slices.Contains(repost.CookiesSent, "authorization") {
			t.Errorf("the same-origin re-POST should carry the authorization cookie: %+v", repost)
		}
		if len(e.requests("token")) != 1 {
			t.Errorf("token requests: %d, want 1", len(e.requests("token")))
		}
	})
}
