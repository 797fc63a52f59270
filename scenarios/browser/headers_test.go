package browser_test

import (
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/oidclab/oidclab/scenarios/browser"
	"github.com/oidclab/oidclab/scenarios/browser/browsertest"
)

// TestCallbackHeadersMatchChromium compares what a server sees of the way back from the IdP
// (Origin, Referer, Sec-Fetch-*), which CSRF defences check, between the two drivers.
func TestCallbackHeadersMatchChromium(t *testing.T) {
	cases := []struct {
		name            string
		rpHost, idpHost string
		extra           url.Values
	}{
		{"form_post to a loopback RP", "127.0.0.1", "localhost", nil},
		{"form_post to a non-loopback RP", "rp.test", "localhost", nil},
		{"redirect back", "127.0.0.1", "localhost", url.Values{"response_mode": {"query"}}},
		{"form_post, same site", "rp.test", "idp.rp.test", nil},
	}
	var seen sync.Map // case -> driver -> report
	run := func(t *testing.T, driver string, d browser.Driver) {
		l := newLab(t)
		for _, c := range cases {
			extra := url.Values{"prompt": {"login"}}
			for k, v := range c.extra {
				extra[k] = v
			}
			res, err := d.Login(testContext(t), l.startURL(c.rpHost, c.idpHost, "SameSite=None; Secure", extra), demoCreds)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			rep := report(t, res)
			// Ports differ per lab; compare the headers without them.
			rep.Origin, rep.Referer = stripPorts(rep.Origin), stripPorts(rep.Referer)
			m, _ := seen.LoadOrStore(c.name, &sync.Map{})
			m.(*sync.Map).Store(driver, rep)
		}
	}
	t.Run("http", func(t *testing.T) {
		run(t, "http", browsertest.HTTP(t, browser.HTTPOptions{Transport: testTransport()}))
	})
	t.Run("chromium", func(t *testing.T) {
		run(t, "chromium", browsertest.Chromium(t, browser.ChromiumOptions{HostResolverRules: testResolverRules}))
	})
	for _, c := range cases {
		m, ok := seen.Load(c.name)
		if !ok {
			continue
		}
		h, okH := m.(*sync.Map).Load("http")
		ch, okC := m.(*sync.Map).Load("chromium")
		if !okH || !okC {
			continue
		}
		t.Logf("%s: %+v", c.name, ch)
		hr, cr := h.(callbackReport), ch.(callbackReport)
		if hr.Origin != cr.Origin || hr.Referer != cr.Referer || hr.SecFetchSite != cr.SecFetchSite ||
			hr.SecFetchMode != cr.SecFetchMode || hr.SecFetchDest != cr.SecFetchDest {
			t.Errorf("%s: headers differ\n  http:     %+v\n  chromium: %+v", c.name, hr, cr)
		}
	}
}

func stripPorts(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return s
	}
	u.Host = u.Hostname()
	if strings.Contains(u.Host, ":") {
		u.Host = "[" + u.Host + "]"
	}
	return u.String()
}
