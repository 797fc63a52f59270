package browser

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func names(cs []*http.Cookie) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func TestJarStoring(t *testing.T) {
	tests := []struct {
		name    string
		setURL  string
		line    string
		getURL  string
		want    []string // names sent to getURL on a same-site GET
		reject  string   // substring of the rejection reason, "" if stored
		withold string   // substring of the withheld reason on getURL, if any
	}{
		{"host-only", "http://example.com/a/b", "c=1", "http://example.com/a/x", []string{"c"}, "", ""},
		{"host-only not for subdomain", "http://example.com/", "c=1", "http://www.example.com/", []string{}, "", ""},
		{"default path is the directory", "http://example.com/a/b", "c=1", "http://example.com/z", []string{}, "", ""},
		{"explicit path", "http://example.com/a/b", "c=1; Path=/", "http://example.com/z", []string{"c"}, "", ""},
		{"path boundary", "http://example.com/", "c=1; Path=/ab", "http://example.com/abc", []string{}, "", ""},
		{"domain cookie reaches subdomains", "http://www.example.com/", "c=1; Domain=example.com; Path=/", "http://api.example.com/", []string{"c"}, "", ""},
		{"domain must match", "http://example.com/", "c=1; Domain=other.com", "", nil, "does not match", ""},
		{"public suffix domain", "http://example.co.uk/", "c=1; Domain=co.uk", "", nil, "public suffix", ""},
		{"IP host takes no other domain", "http://127.0.0.1/", "c=1; Domain=localhost", "", nil, "IP host", ""},
		{"named host takes no IP domain", "http://www.example.com/", "c=1; Domain=127.0.0.1", "", nil, "is an IP address", ""},
		{"IP host with its own domain", "http://127.0.0.1:8000/", "c=1; Domain=127.0.0.1; Path=/", "http://127.0.0.1:9000/", []string{"c"}, "", ""},
		{"ports are ignored", "http://localhost:8000/", "c=1; Path=/", "http://localhost:9000/", []string{"c"}, "", ""},
		{"localhost is its own host", "http://localhost/", "c=1; Path=/", "http://127.0.0.1/", []string{}, "", ""},
		{"Secure on https", "https://example.com/", "c=1; Secure; Path=/", "https://example.com/", []string{"c"}, "", ""},
		{"Secure not sent over http", "https://example.com/", "c=1; Secure; Path=/", "http://example.com/", []string{}, "", "not trustworthy"},
		{"Secure from http is refused", "http://example.com/", "c=1; Secure", "", nil, "not trustworthy", ""},
		{"Secure on http://localhost", "http://localhost:8000/", "c=1; Secure; Path=/", "http://localhost:8000/", []string{"c"}, "", ""},
		{"Secure on http://127.0.0.1", "http://127.0.0.1:8000/", "c=1; Secure; Path=/", "http://127.0.0.1:8000/", []string{"c"}, "", ""},
		{"Secure on http://[::1]", "http://[::1]:8000/", "c=1; Secure; Path=/", "http://[::1]:8000/", []string{"c"}, "", ""},
		{"Secure on http://app.localhost", "http://app.localhost/", "c=1; Secure; Path=/", "http://app.localhost/", []string{"c"}, "", ""},
		{"None needs Secure", "https://example.com/", "c=1; SameSite=None", "", nil, "requires Secure", ""},
		{"__Secure- needs Secure", "https://example.com/", "__Secure-c=1", "", nil, "prefix", ""},
		{"__Host- needs Path=/", "https://example.com/", "__Host-c=1; Secure; Path=/a", "", nil, "prefix", ""},
		{"__Host- refuses Domain", "https://www.example.com/", "__Host-c=1; Secure; Path=/; Domain=example.com", "", nil, "prefix", ""},
		{"__Host- ok", "https://example.com/", "__Host-c=1; Secure; Path=/", "https://example.com/", []string{"__Host-c"}, "", ""},
		{"too large", "http://example.com/", "c=" + strings.Repeat("x", 4096), "", nil, "4096", ""},
		{"Max-Age=0 stores nothing", "http://example.com/", "c=1; Max-Age=0", "http://example.com/", []string{}, "", ""},
		{"Expires in the past stores nothing", "http://example.com/", "c=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "http://example.com/", []string{}, "", ""},
		{"unparsable", "http://example.com/", "=1", "", nil, "unparsable", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := NewJar(nil)
			set, rejected := j.SetCookieHeaders(mustURL(t, tt.setURL), []string{tt.line})
			if tt.reject != "" {
				if len(rejected) != 1 || !strings.Contains(rejected[0].String(), tt.reject) {
					t.Fatalf("rejected = %v, want a reason with %q", rejected, tt.reject)
				}
				if len(set) != 0 || len(j.Infos()) != 0 {
					t.Fatalf("refused cookie was stored: %v", j.Infos())
				}
				return
			}
			if len(rejected) != 0 {
				t.Fatalf("rejected: %v", rejected)
			}
			sent, withheld := j.Lookup(mustURL(t, tt.getURL), Navigation{Method: "GET", TopLevel: true})
			if got := names(sent); !slices.Equal(got, tt.want) {
				t.Errorf("sent %q, want %q", got, tt.want)
			}
			if tt.withold != "" && (len(withheld) != 1 || !strings.Contains(withheld[0].String(), tt.withold)) {
				t.Errorf("withheld = %v, want a reason with %q", withheld, tt.withold)
			}
		})
	}
}

func TestJarSameSite(t *testing.T) {
	rp := "http://127.0.0.1:8000/callback"
	idpPage := mustURL(t, "http://localhost:9000/login")
	rpPage := mustURL(t, "http://127.0.0.1:8000/other")
	tests := []struct {
		attrs string
		nav   Navigation
		age   time.Duration
		sent  bool
	}{
		// Typed URL (no initiator): same-site for everything.
		{"SameSite=Strict", Navigation{Method: "GET", TopLevel: true}, 0, true},
		// Same-site initiator, even on another port.
		{"SameSite=Strict", Navigation{Method: "POST", TopLevel: true, Initiator: rpPage}, 0, true},
		{"SameSite=Strict", Navigation{Method: "POST", TopLevel: true, Initiator: mustURL(t, "http://127.0.0.1:1/")}, 0, true},
		// Cross-site.
		{"SameSite=Strict", Navigation{Method: "GET", TopLevel: true, Initiator: idpPage}, 0, false},
		{"SameSite=Lax", Navigation{Method: "GET", TopLevel: true, Initiator: idpPage}, 0, true},
		{"SameSite=Lax", Navigation{Method: "HEAD", TopLevel: true, Initiator: idpPage}, 0, true},
		{"SameSite=Lax", Navigation{Method: "POST", TopLevel: true, Initiator: idpPage}, 0, false},
		{"SameSite=Lax", Navigation{Method: "GET", TopLevel: false, Initiator: idpPage}, 0, false},
		{"SameSite=None; Secure", Navigation{Method: "POST", TopLevel: true, Initiator: idpPage}, 24 * time.Hour, true},
		{"SameSite=None; Secure", Navigation{Method: "GET", TopLevel: false, Initiator: idpPage}, 0, true},
		{"", Navigation{Method: "GET", TopLevel: true, Initiator: idpPage}, time.Hour, true},
		{"", Navigation{Method: "POST", TopLevel: true, Initiator: idpPage}, 2 * time.Minute, true},
		{"", Navigation{Method: "POST", TopLevel: true, Initiator: idpPage}, 2*time.Minute + time.Second, false},
		{"", Navigation{Method: "POST", TopLevel: false, Initiator: idpPage}, 0, false},
		{"SameSite=bogus", Navigation{Method: "POST", TopLevel: true, Initiator: idpPage}, time.Minute, true},
		// Schemeful same-site: http and https of one host are different sites.
		{"SameSite=Strict", Navigation{Method: "GET", TopLevel: true, Initiator: mustURL(t, "https://127.0.0.1/")}, 0, false},
	}
	for _, tt := range tests {
		init := "typed"
		if tt.nav.Initiator != nil {
			init = tt.nav.Initiator.String()
		}
		t.Run(tt.attrs+" "+tt.nav.Method+" from "+init, func(t *testing.T) {
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			j := NewJar(func() time.Time { return now })
			line := "c=1; Path=/"
			if tt.attrs != "" {
				line += "; " + tt.attrs
			}
			if _, rej := j.SetCookieHeaders(mustURL(t, rp), []string{line}); len(rej) > 0 {
				t.Fatal(rej)
			}
			now = now.Add(tt.age)
			sent, withheld := j.Lookup(mustURL(t, rp), tt.nav)
			if got := len(sent) == 1; got != tt.sent {
				t.Fatalf("sent = %v, want %v (withheld: %v)", got, tt.sent, withheld)
			}
			if !tt.sent && len(withheld) != 1 {
				t.Errorf("withheld = %v, want one reason", withheld)
			}
		})
	}
}

func TestJarOverwriteAndOrder(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	j := NewJar(func() time.Time { return now })
	u := mustURL(t, "http://localhost/a/b")
	j.SetCookieHeaders(u, []string{"x=1; Path=/", "y=1; Path=/a", "z=1; Path=/"})
	if got := names(j.Cookies(u)); !slices.Equal(got, []string{"y", "x", "z"}) {
		t.Errorf("order %q: want longest path first, then oldest", got)
	}

	// Overwriting with the same value keeps the creation time (the two-minute clock), a new
	// value restarts it.
	post := Navigation{Method: "POST", TopLevel: true, Initiator: mustURL(t, "http://127.0.0.1/")}
	now = now.Add(90 * time.Second)
	j.SetCookieHeaders(u, []string{"x=1; Path=/", "z=2; Path=/"})
	now = now.Add(60 * time.Second)
	if got := names(j.CookiesFor(u, post)); !slices.Equal(got, []string{"z"}) {
		t.Errorf("cross-site POST after 150s sends %q, want only the rewritten z", got)
	}

	// An insecure origin cannot shadow a Secure cookie.
	j.SetCookieHeaders(mustURL(t, "https://example.com/"), []string{"s=1; Secure; Path=/"})
	if _, rej := j.SetCookieHeaders(mustURL(t, "http://example.com/"), []string{"s=2; Path=/"}); len(rej) != 1 {
		t.Errorf("http overwrite of a Secure cookie was accepted")
	}
	// Deleting works.
	j.SetCookieHeaders(u, []string{"x=; Path=/; Max-Age=0"})
	if got := names(j.Cookies(u)); slices.Contains(got, "x") {
		t.Errorf("x still sent after Max-Age=0: %q", got)
	}
	// Expiry.
	j.SetCookieHeaders(u, []string{"e=1; Path=/; Max-Age=60"})
	now = now.Add(61 * time.Second)
	if got := names(j.Cookies(u)); slices.Contains(got, "e") {
		t.Errorf("expired cookie still sent: %q", got)
	}
	for _, ci := range j.Infos() {
		if ci.Name == "e" {
			t.Errorf("expired cookie listed: %+v", ci)
		}
	}
}

func TestJarIsACookieJar(t *testing.T) {
	var _ http.CookieJar = NewJar(nil)
	j := NewJar(nil)
	u := mustURL(t, "http://localhost:1/")
	j.SetCookies(u, []*http.Cookie{{Name: "a", Value: "1", Path: "/", Secure: true}})
	if got := names(j.Cookies(u)); !slices.Equal(got, []string{"a"}) {
		t.Errorf("Cookies = %q", got)
	}
}

func TestSiteOf(t *testing.T) {
	tests := map[string]string{
		"http://localhost:8000/x":   "http://localhost",
		"http://127.0.0.1:9/":       "http://127.0.0.1",
		"http://[::1]:9/":           "http://::1",
		"https://a.b.example.com/":  "https://example.com",
		"https://www.example.co.uk": "https://example.co.uk",
		"http://app.localhost/":     "http://app.localhost",
		"HTTP://Example.COM./":      "http://example.com",
	}
	for in, want := range tests {
		if got := siteOf(mustURL(t, in)); got != want {
			t.Errorf("siteOf(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestTrustworthy(t *testing.T) {
	tests := map[string]bool{
		"https://example.com/": true, "http://example.com/": false, "http://localhost:1/": true,
		"http://127.0.0.2/": true, "http://[::1]/": true, "http://foo.localhost/": true,
		"http://localhost.example.com/": false, "http://10.0.0.1/": false, "ftp://localhost/": false,
	}
	for in, want := range tests {
		if got := trustworthy(mustURL(t, in)); got != want {
			t.Errorf("trustworthy(%s) = %v, want %v", in, got, want)
		}
	}
}

func FuzzJar(f *testing.F) {
	for _, s := range []string{"c=1", "c=1; Secure; SameSite=None; Path=/", "__Host-x=1; Secure; Path=/", "a=b; Domain=.localhost", "x=1; Max-Age=-1", "y=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT", "=;;;"} {
		f.Add("http://localhost:8000/a/b", s)
		f.Add("https://www.example.co.uk/", s)
	}
	f.Fuzz(func(t *testing.T, rawURL, line string) {
		u, err := url.Parse(rawURL)
		if err != nil {
			return
		}
		j := NewJar(nil)
		set, rejected := j.SetCookieHeaders(u, []string{line})
		if len(set)+len(rejected) != 1 {
			t.Fatalf("one line gave %d set and %d rejected", len(set), len(rejected))
		}
		for _, c := range j.Cookies(u) {
			if c.Name == "" {
				t.Fatalf("empty cookie name sent")
			}
		}
		_ = j.Infos()
	})
}

// A rejected Set-Cookie line is reported by its name only: a line without a name (no '=' before
// the first ';') is all value, so nothing of it is quoted.
func TestSetCookieHeadersRejectedNamesHoldNoValue(t *testing.T) {
	j := NewJar(nil)
	u := mustURL(t, "http://localhost:8000/")
	_, rejected := j.SetCookieHeaders(u, []string{"SECRETVALUE", "SECRETVALUE; Path=/a=b", "bad name=SECRETVALUE"})
	if len(rejected) != 3 {
		t.Fatalf("rejected = %v, want 3", rejected)
	}
	for _, rc := range rejected {
		if strings.Contains(rc.String(), "SECRETVALUE") {
			t.Errorf("rejected cookie %q quotes the value", rc.String())
		}
	}
}
