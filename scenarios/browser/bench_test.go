package browser_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/oidclab/oidclab/scenarios/browser"
	"github.com/oidclab/oidclab/scenarios/browser/browsertest"
)

// BenchmarkLogin measures one full login (RP -> IdP form -> form_post back) per driver, each
// iteration in the same session with prompt=login so the form is always filled.
func BenchmarkLogin(b *testing.B) {
	bench := func(b *testing.B, d browser.Driver) {
		l := newLab(b)
		start := l.startURL("127.0.0.1", "localhost", "SameSite=None; Secure", map[string][]string{"prompt": {"login"}})
		ctx := context.Background()
		for b.Loop() {
			res, err := d.Login(ctx, start, demoCreds)
			if err != nil {
				b.Fatalf("Login: %v", err)
			}
			if !report(b, res).LoggedIn {
				b.Fatalf("not logged in: %s", res.Body)
			}
		}
	}
	b.Run("http", func(b *testing.B) { bench(b, browsertest.HTTP(b, browser.HTTPOptions{})) })
	b.Run("chromium", func(b *testing.B) { bench(b, browsertest.Chromium(b, browser.ChromiumOptions{})) })
}

// BenchmarkTutorialLogin measures the end-to-end login: gateway (tutorial decK file,
// openid-connect plugin) -> emulator two-step login -> form_post -> token exchange -> echo.
// The emulator's login page is shown each time (prompt=login is not available through the
// gateway), so each iteration uses a fresh driver session for the HTTP driver; Chromium keeps
// its session and the emulator answers from its SSO session after the first login.
func BenchmarkTutorialLogin(b *testing.B) {
	b.Run("http", func(b *testing.B) {
		e := startE2E(b, nil)
		ctx := context.Background()
		for b.Loop() {
			d, err := browser.NewHTTP(browser.HTTPOptions{})
			if err != nil {
				b.Fatal(err)
			}
			res, err := d.Login(ctx, e.gatewayURL+"/anything", demoUserCreds)
			_ = d.Close()
			if err != nil || echo(b, res).Method != "POST" {
				b.Fatalf("Login: %v", err)
			}
		}
	})
	b.Run("chromium-sso", func(b *testing.B) {
		e := startE2E(b, nil)
		d := browsertest.Chromium(b, browser.ChromiumOptions{})
		ctx := context.Background()
		for b.Loop() {
			res, err := d.Login(ctx, e.gatewayURL+"/anything", demoUserCreds)
			if err != nil || echo(b, res).Method != "POST" {
				b.Fatalf("Login: %v", err)
			}
		}
	})
}

// BenchmarkJarLookup measures the cookie lookup the HTTP driver makes per request, with a jar
// holding a realistic number of cookies over a few sites.
func BenchmarkJarLookup(b *testing.B) {
	j := browser.NewJar(nil)
	for _, host := range []string{"http://127.0.0.1:8000/", "http://localhost:9000/", "https://example.okta.com/"} {
		u := mustParse(b, host)
		for i := range 20 {
			j.SetCookieHeaders(u, []string{"c" + string(rune('a'+i)) + "=v; Path=/; SameSite=Lax"})
		}
	}
	u := mustParse(b, "http://127.0.0.1:8000/anything")
	nav := browser.Navigation{Method: "POST", TopLevel: true, Initiator: mustParse(b, "http://localhost:9000/login")}
	for b.Loop() {
		j.Lookup(u, nav)
	}
}

func mustParse(tb testing.TB, s string) *url.URL {
	tb.Helper()
	u, err := url.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}
