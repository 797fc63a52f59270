package browser_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/scenarios/browser"
	"github.com/oidclab/oidclab/scenarios/browser/browsertest"
)

// driverTimeout bounds one Login or Get in tests: long enough for a loaded CI machine, short
// enough that the "IdP does not answer" case ends. It is a guard, not a timing assertion.
const driverTimeout = 20 * time.Second

// drivers runs fn once with each driver, each in a fresh session.
func drivers(t *testing.T, fn func(t *testing.T, d browser.Driver)) {
	t.Run("http", func(t *testing.T) {
		fn(t, browsertest.HTTP(t, browser.HTTPOptions{Transport: testTransport(), Timeout: driverTimeout}))
	})
	t.Run("chromium", func(t *testing.T) {
		fn(t, browsertest.Chromium(t, browser.ChromiumOptions{
			HostResolverRules: testResolverRules,
			AutoSubmitWait:    2 * time.Second,
			FormWait:          time.Second,
			Timeout:           driverTimeout,
		}))
	})
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestLoginFormPostAcrossSites(t *testing.T) {
	drivers(t, func(t *testing.T, d browser.Driver) {
		l := newLab(t)
		ctx := testContext(t)
		start := l.startURL("127.0.0.1", "localhost", "SameSite=None; Secure", nil)
		res, err := d.Login(ctx, start, demoCreds)
		if err != nil {
			t.Fatalf("Login: %v\nhops: %s", err, hopsString(res))
		}
		rep := report(t, res)
		if rep.Method != "POST" || !rep.StateCookie || !rep.StateMatch || !rep.CodeOK || !rep.LoggedIn {
			t.Fatalf("callback saw %+v, want a POST with the state cookie and a good code\nhops: %s", rep, hopsString(res))
		}
		wantHops := []string{
			"GET /start 302 start",
			"GET /authorize 200 redirect",
			"POST /login 200 login form",
			"POST /callback 200 auto-submitted form",
		}
		if got := hopSummary(res); !slices.Equal(got, wantHops) {
			t.Errorf("hops:\n got %q\nwant %q", got, wantHops)
		}
		if !strings.HasPrefix(res.URL, l.rpURL("127.0.0.1", "/callback")) {
			t.Errorf("final URL %s, want the RP callback", res.URL)
		}
		if c, ok := res.Cookie("rp_session"); !ok || c.Domain != "127.0.0.1" || c.SameSite != "Lax" || !c.HTTPOnly {
			t.Errorf("rp_session cookie = %+v, %v", c, ok)
		}
		assertNoSecrets(t, res, l)

		// The same session is logged in at the RP...
		home, err := d.Get(ctx, l.rpURL("127.0.0.1", "/home"))
		if err != nil {
			t.Fatalf("Get /home: %v", err)
		}
		if !report(t, home).LoggedIn || len(home.Hops) != 1 {
			t.Errorf("Get /home: %s, hops %s: want logged in with one request", home.Body, hopsString(home))
		}
		// ...and at the IdP: a new login is answered without the form (SSO).
		before := len(l.idpRequests())
		again, err := d.Login(ctx, l.startURL("127.0.0.1", "localhost", "SameSite=None; Secure", nil), demoCreds)
		if err != nil {
			t.Fatalf("second Login: %v\nhops: %s", err, hopsString(again))
		}
		if !report(t, again).LoggedIn {
			t.Errorf("second login: %s", again.Body)
		}
		if got := l.idpRequests()[before:]; !slices.Equal(got, []string{"GET /authorize"}) {
			t.Errorf("IdP requests during the SSO login = %q, want only the authorize request", got)
		}
	})
}

func TestLoginTwoStepAndQueryResponse(t *testing.T) {
	drivers(t, func(t *testing.T, d browser.Driver) {
		l := newLab(t)
		start := l.startURL("127.0.0.1", "localhost", "SameSite=Lax", url.Values{"two_step": {"1"}, "response_mode": {"query"}})
		res, err := d.Login(testContext(t), start, demoCreds)
		if err != nil {
			t.Fatalf("Login: %v\nhops: %s", err, hopsString(res))
		}
		// A redirect back is a top-level GET: a Lax state cookie goes with it.
		if rep := report(t, res); rep.Method != "GET" || !rep.LoggedIn {
			t.Errorf("callback saw %+v", rep)
		}
		wantHops := []string{
			"GET /start 302 start",
			"GET /authorize 200 redirect",
			"POST /identify 200 login form",
			"POST /login 302 login form",
			"GET /callback 200 redirect",
		}
		if got := hopSummary(res); !slices.Equal(got, wantHops) {
			t.Errorf("hops:\n got %q\nwant %q", got, wantHops)
		}
		if f := res.Hops[3].FormFields; !slices.Contains(f, "credentials.passcode") || !slices.Contains(f, "identifier") {
			t.Errorf("password step sent fields %q", f)
		}
		if u := res.Hops[4].URL; !strings.Contains(u, "code=<redacted>") || !strings.Contains(u, "state=<redacted>") {
			t.Errorf("callback hop %s: code and state not redacted", u)
		}
		assertNoSecrets(t, res, l)
	})
}

func TestLoginFailures(t *testing.T) {
	drivers(t, func(t *testing.T, d browser.Driver) {
		l := newLab(t)
		tests := []struct {
			name    string
			start   string
			creds   browser.Credentials
			reason  error
			message string
			// wait bounds the caller's context (the driver's own timeout is longer).
			wait time.Duration
		}{
			{"wrong password", l.startURL("127.0.0.1", "localhost", "", nil),
				browser.Credentials{Username: demoUser, Password: "nope"}, browser.ErrCredentialsRejected, "Wrong username or password", 0},
			{"unknown user, two-step", l.startURL("127.0.0.1", "localhost", "", url.Values{"two_step": {"1"}}),
				browser.Credentials{Username: "nobody", Password: "x"}, browser.ErrCredentialsRejected, "Unknown user", 0},
			{"IdP error status", l.startURL("127.0.0.1", "localhost", "", url.Values{"idp_path": {"/bad"}}),
				demoCreds, browser.ErrHTTPStatus, "400", 0},
			{"IdP page without a form", l.startURL("127.0.0.1", "localhost", "", url.Values{"idp_path": {"/broken"}}),
				demoCreds, browser.ErrNotReturned, "Something went wrong", 0},
			{"redirect loop", l.startURL("127.0.0.1", "localhost", "", url.Values{"idp_path": {"/loop"}}),
				demoCreds, browser.ErrTooManyHops, "requests", 0},
			{"IdP does not answer", l.startURL("127.0.0.1", "localhost", "", url.Values{"idp_path": {"/hang"}}),
				demoCreds, browser.ErrNavigation, "deadline exceeded", 2 * time.Second},
			{"nothing listening", "http://127.0.0.1:1/anything", demoCreds, browser.ErrNavigation, "", 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := testContext(t)
				if tt.wait > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.wait)
					defer cancel()
				}
				res, err := d.Login(ctx, tt.start, tt.creds)
				var le *browser.LoginError
				if !errors.As(err, &le) || !errors.Is(err, tt.reason) {
					t.Fatalf("Login error = %v, want a *LoginError for %v\nhops: %s", err, tt.reason, hopsString(res))
				}
				if le.Result == nil || le.Result != res || len(res.Hops) == 0 {
					t.Errorf("the error carries no result with hops: %+v", le.Result)
				}
				if !strings.Contains(err.Error(), tt.message) {
					t.Errorf("error %q does not mention %q", err, tt.message)
				}
				if strings.Contains(err.Error(), "nope") {
					t.Errorf("error %q shows the password", err)
				}
			})
		}
	})
}

func TestGetDoesNotLogIn(t *testing.T) {
	drivers(t, func(t *testing.T, d browser.Driver) {
		l := newLab(t)
		res, err := d.Get(testContext(t), l.startURL("127.0.0.1", "localhost", "", nil))
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if !strings.HasPrefix(res.URL, l.idpURL("localhost", "/authorize")) || res.Status != 200 {
			t.Errorf("Get ended on %s (%d), want the IdP's login page", res.URL, res.Status)
		}
		if !strings.Contains(res.Body, `name="password"`) {
			t.Errorf("final body is not the login form: %.200s", res.Body)
		}
	})
}

func TestStartURLMustBeAbsoluteHTTP(t *testing.T) {
	d := browsertest.HTTP(t, browser.HTTPOptions{})
	for _, u := range []string{"", "/relative", "ftp://x/", "http://", "javascript:alert(1)", "http://[::1"} {
		if _, err := d.Login(context.Background(), u, demoCreds); err == nil {
			t.Errorf("Login(%q): no error", u)
		}
	}
}

// hopSummary is "METHOD /path STATUS note" for each hop.
func hopSummary(res *browser.Result) []string {
	var out []string
	for _, h := range res.Hops {
		u, _ := url.Parse(h.URL)
		out = append(out, strings.Join([]string{h.Method, u.Path, itoa(h.Status), h.Note}, " "))
	}
	return out
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func hopsString(res *browser.Result) string {
	if res == nil {
		return "(no result)"
	}
	b, _ := json.MarshalIndent(res.Hops, "", "  ")
	return string(b)
}

// assertNoSecrets checks that the serialised result holds no code, state, session or cookie
// value the lab handed out.
func assertNoSecrets(t *testing.T, res *browser.Result, l *lab) {
	t.Helper()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range []map[string]bool{l.codes, l.sessions, l.idpSess} {
		for v := range m {
			if strings.Contains(s, v) {
				t.Errorf("serialised result holds a secret value %q", v)
			}
		}
	}
	if strings.Contains(s, demoPassword) {
		t.Errorf("serialised result holds the password")
	}
	for _, h := range res.Hops {
		if q, _ := url.Parse(h.URL); q != nil {
			for _, k := range []string{"code", "state"} {
				if v := q.Query().Get(k); v != "" && v != browser.Redacted {
					t.Errorf("hop %s: %s not redacted", h.URL, k)
				}
			}
		}
	}
}

// A login page drawn by script (Okta's hosted widget) needs a real browser: Chromium waits
// for the form, and reads a wrong password shown in place; the HTTP driver, which runs no
// script, says it never came back.
func TestScriptRenderedLoginPage(t *testing.T) {
	drivers(t, func(t *testing.T, d browser.Driver) {
		l := newLab(t)
		start := l.startURL("127.0.0.1", "localhost", "SameSite=None; Secure", url.Values{"script": {"1"}, "prompt": {"login"}})
		_, isHTTP := d.(*browser.HTTP)

		res, err := d.Login(testContext(t), start, browser.Credentials{Username: demoUser, Password: "nope"})
		want := browser.ErrCredentialsRejected
		if isHTTP {
			want = browser.ErrNotReturned
		}
		if !errors.Is(err, want) {
			t.Fatalf("wrong password: %v, want %v\nhops: %s", err, want, hopsString(res))
		}
		if isHTTP {
			return
		}
		if !strings.Contains(err.Error(), "Wrong username or password") {
			t.Errorf("error %q does not quote the page", err)
		}
		res, err = d.Login(testContext(t), start, demoCreds)
		if err != nil {
			t.Fatalf("Login: %v\nhops: %s", err, hopsString(res))
		}
		if !report(t, res).LoggedIn {
			t.Errorf("not logged in: %s", res.Body)
		}
	})
}

// An unparsable start URL is not quoted in the error: it may carry a code or a password.
func TestStartURLErrorDoesNotQuoteTheURL(t *testing.T) {
	d := browsertest.HTTP(t, browser.HTTPOptions{})
	_, err := d.Login(context.Background(), "http://u:SECRETVALUE@h/%zz?code=SECRETVALUE", demoCreds)
	if err == nil || strings.Contains(err.Error(), "SECRETVALUE") {
		t.Errorf("Login: err = %v, want an error that does not quote the URL", err)
	}
}
