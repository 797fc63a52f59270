package browser_test

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oidclab/oidclab/scenarios/browser"
	"github.com/oidclab/oidclab/scenarios/browser/browsertest"
)

// What happens to the login's state cookie on the way back from the IdP.
type outcome string

const (
	sent     outcome = "sent"     // stored, and carried by the callback request
	withheld outcome = "withheld" // stored, but not carried by the callback request
	rejected outcome = "rejected" // refused when set
)

type sameSiteRow struct {
	name            string
	rpHost, idpHost string
	attrs           string // Set-Cookie attributes of the state cookie
	responseMode    string // "" (form_post: a cross-site POST back) or "query" (a GET back)
	// sso: the IdP already has a session and answers without its form (earlier rows logged in).
	sso  bool
	want outcome
}

// sameSiteTable is DESIGN.md's table, row by row, plus the GET-back cases. The IdP and the RP
// are always on different sites. Rows that need a cookie older than two minutes cannot run in
// a real browser in a test; TestLaxByDefaultTwoMinuteRule covers them on the HTTP driver with
// an injected clock.
var sameSiteTable = []sameSiteRow{
	{"no SameSite, younger than 2 minutes", "127.0.0.1", "localhost", "", "", false, sent},
	{"SameSite=Lax", "127.0.0.1", "localhost", "SameSite=Lax", "", false, withheld},
	{"SameSite=Strict", "127.0.0.1", "localhost", "SameSite=Strict", "", false, withheld},
	{"SameSite=None without Secure", "127.0.0.1", "localhost", "SameSite=None", "", false, rejected},
	{"SameSite=None; Secure on http://127.0.0.1", "127.0.0.1", "localhost", "SameSite=None; Secure", "", false, sent},
	{"SameSite=None; Secure on http://localhost", "localhost", "127.0.0.1", "SameSite=None; Secure", "", false, sent},
	{"SameSite=None; Secure on http://rp.test", "rp.test", "localhost", "SameSite=None; Secure", "", false, rejected},
	{"Secure, no SameSite, on http://rp.test", "rp.test", "localhost", "Secure", "", false, rejected},
	{"no SameSite on http://rp.test", "rp.test", "localhost", "", "", false, sent},
	{"SameSite=Lax on http://rp.test", "rp.test", "localhost", "SameSite=Lax", "", false, withheld},
	{"SameSite=Lax, redirect back (GET)", "127.0.0.1", "localhost", "SameSite=Lax", "query", false, sent},
	{"SameSite=Strict, redirect back (GET)", "127.0.0.1", "localhost", "SameSite=Strict", "query", false, withheld},
	{"SameSite=Strict, IdP session, redirect back (GET)", "127.0.0.1", "localhost", "SameSite=Strict", "query", true, sent},
	{"SameSite=Lax, IdP session, form_post", "127.0.0.1", "localhost", "SameSite=Lax", "", true, withheld},
	{"SameSite=Lax, IdP and RP same site", "rp.test", "idp.rp.test", "SameSite=Lax", "", false, sent},
}

// measured collects the table as each driver measured it, for the log. callbackCookies holds,
// per row and driver, the names of every cookie the callback request carried or withheld: the
// drivers must agree on all of them, not only on the state cookie.
var measured, callbackCookies sync.Map // row name -> map[driver]outcome / string

// cookieNames is the sorted, comma-separated names of "name" or "name: reason" entries.
func cookieNames(list []string) string {
	names := make([]string, 0, len(list))
	for _, s := range list {
		name, _, _ := strings.Cut(s, ":")
		names = append(names, name)
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}

func TestSameSiteTable(t *testing.T) {
	run := func(t *testing.T, driver string, d browser.Driver) {
		l := newLab(t)
		for i, row := range sameSiteTable {
			t.Run(row.name, func(t *testing.T) {
				name := fmt.Sprintf("st%d", i)
				// prompt=login: every row goes through the IdP's form, so the way back is
				// initiated by an IdP page (with an IdP session it would be the user's own
				// navigation, which is same-site for every cookie).
				extra := url.Values{"cookie": {name}, "prompt": {"login"}}
				if row.sso {
					extra.Del("prompt")
				}
				if row.responseMode != "" {
					extra.Set("response_mode", row.responseMode)
				}
				res, err := d.Login(testContext(t), l.startURL(row.rpHost, row.idpHost, row.attrs, extra), demoCreds)
				if err != nil {
					t.Fatalf("Login: %v\nhops: %s", err, hopsString(res))
				}
				rep := report(t, res)
				_, stored := res.Cookie(name)
				got := withheld
				switch {
				case !stored:
					got = rejected
				case rep.StateMatch:
					got = sent
				}
				m, _ := measured.LoadOrStore(row.name, &sync.Map{})
				m.(*sync.Map).Store(driver, got)
				cb := res.Hops[len(res.Hops)-1]
				jars, _ := callbackCookies.LoadOrStore(row.name, &sync.Map{})
				jars.(*sync.Map).Store(driver, "sent "+cookieNames(cb.CookiesSent)+"; withheld "+cookieNames(cb.CookiesNotSent))
				if got != row.want {
					t.Fatalf("state cookie %q with %q: %s, want %s\nhops: %s", name, row.attrs, got, row.want, hopsString(res))
				}
				// Both drivers explain what they did in the hops.
				start, callback := res.Hops[0], res.Hops[len(res.Hops)-1]
				switch got {
				case rejected:
					if !mentions(start.CookiesRejected, name) {
						t.Errorf("start hop does not say %s was rejected: %+v", name, start)
					}
				case withheld:
					if !mentions(callback.CookiesNotSent, name) {
						t.Errorf("callback hop does not say %s was withheld: %+v", name, callback)
					}
				case sent:
					if !mentions(callback.CookiesSent, name) {
						t.Errorf("callback hop does not list %s as sent: %+v", name, callback)
					}
				}
			})
		}
	}
	t.Run("http", func(t *testing.T) {
		run(t, "http", browsertest.HTTP(t, browser.HTTPOptions{Transport: testTransport()}))
	})
	t.Run("chromium", func(t *testing.T) {
		run(t, "chromium", browsertest.Chromium(t, browser.ChromiumOptions{HostResolverRules: testResolverRules}))
	})
	t.Cleanup(func() {
		logMeasuredTable(t)
		for _, row := range sameSiteTable {
			jars, ok := callbackCookies.Load(row.name)
			if !ok {
				continue
			}
			h, okH := jars.(*sync.Map).Load("http")
			c, okC := jars.(*sync.Map).Load("chromium")
			if okH && okC && h != c {
				t.Errorf("%s: the callback's cookies differ\n  http:     %s\n  chromium: %s", row.name, h, c)
			}
		}
	})
}

func mentions(list []string, name string) bool {
	for _, s := range list {
		if s == name || strings.HasPrefix(s, name+":") {
			return true
		}
	}
	return false
}

var update = flag.Bool("update", false, "rewrite testdata goldens from this run")

// logMeasuredTable logs the table as measured and, when both drivers ran every row, compares it
// with testdata/samesite-table.golden.md (the README's copy); -update rewrites the golden.
func logMeasuredTable(t *testing.T) {
	var b strings.Builder
	b.WriteString("| state cookie | way back | HTTP driver | Chromium |\n|---|---|---|---|\n")
	complete := true
	for _, row := range sameSiteTable {
		back := "POST (form_post)"
		if row.responseMode == "query" {
			back = "GET (redirect)"
		}
		cell := func(d string) string {
			if m, ok := measured.Load(row.name); ok {
				if v, ok := m.(*sync.Map).Load(d); ok {
					return string(v.(outcome))
				}
			}
			complete = false
			return "not run"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", row.name, back, cell("http"), cell("chromium"))
	}
	t.Log("\n" + b.String())
	if !complete || t.Failed() {
		return
	}
	golden := filepath.Join("testdata", "samesite-table.golden.md")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestSameSiteTable -update)", err)
	}
	if string(want) != b.String() {
		t.Errorf("measured table differs from %s (-update rewrites it):\n%s", golden, b.String())
	}
}

// TestLaxByDefaultTwoMinuteRule covers the rows of the table a real browser cannot run in a
// test: a state cookie without SameSite is carried by the cross-site form_post only while it is
// younger than two minutes. The IdP moves the driver's clock while the "user" types.
func TestLaxByDefaultTwoMinuteRule(t *testing.T) {
	tests := []struct {
		attrs   string
		typing  time.Duration
		want    bool
		explain string
	}{
		{"", 119 * time.Second, true, ""},
		{"", 121 * time.Second, false, "older than 2 minutes"},
		{"SameSite=None; Secure", time.Hour, true, ""},
		{"SameSite=Lax", 0, false, "SameSite=Lax"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q after %s", tt.attrs, tt.typing), func(t *testing.T) {
			var mu sync.Mutex
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			l := newLab(t)
			l.onPassword = func() { mu.Lock(); now = now.Add(tt.typing); mu.Unlock() }
			d := browsertest.HTTP(t, browser.HTTPOptions{Now: clock})
			res, err := d.Login(testContext(t), l.startURL("127.0.0.1", "localhost", tt.attrs, nil), demoCreds)
			if err != nil {
				t.Fatalf("Login: %v", err)
			}
			if got := report(t, res).StateMatch; got != tt.want {
				t.Fatalf("state cookie carried = %v, want %v\nhops: %s", got, tt.want, hopsString(res))
			}
			if cb := res.Hops[len(res.Hops)-1]; tt.explain != "" && !strings.Contains(strings.Join(cb.CookiesNotSent, ";"), tt.explain) {
				t.Errorf("callback hop explains %q, want it to mention %q", cb.CookiesNotSent, tt.explain)
			}
		})
	}
}
