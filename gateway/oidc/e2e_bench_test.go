package oidc_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/labtest"
)

// BenchmarkGatewaySessionProxy measures, in one run, requests through the whole gateway (router,
// openid-connect plugin with a valid session cookie, reverse proxy) against a plain
// httputil.ReverseProxy to the same upstream. Reported: both latencies, their p99s and the
// throughput ratio gateway/plain (target ≥ 0.8); no-plugin-ratio is the same gateway on a route
// without the plugin, which separates the gateway's cost from the plugin's.
func BenchmarkGatewaySessionProxy(b *testing.B) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	b.Cleanup(upstream.Close)
	target, _ := url.Parse(upstream.URL)
	plain := httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
	b.Cleanup(plain.Close)

	y := string(withSession(labtest.Tutorial("      session_secret: bench-secret\n")))
	y = strings.Replace(y, "url: http://httpbin.konghq.com/anything", "url: "+upstream.URL, 1)
	// A second service without the plugin: the gateway's own cost, for comparison.
	y = strings.Replace(y, "services:\n", "services:\n  - name: bare\n    url: "+upstream.URL+"\n    routes:\n      - name: bare-route\n        paths: [/bare]\n", 1)
	// Logs discarded: formatting them into b.Log would be measured as the gateway's cost.
	l := labtest.Start(b, lab.Config{Deck: []byte(y), DeckName: "kong.yaml", IdPConfig: e2eIdP(), Logger: slog.New(slog.DiscardHandler)})
	d := newDriver(b)
	if _, err := d.Login(b.Context(), l.URL+"/anything", demo); err != nil {
		b.Fatalf("login: %v", err)
	}
	gw, _ := url.Parse(l.URL + "/anything")
	var cookies []*http.Cookie
	for _, c := range d.Jar().Cookies(gw) {
		if strings.HasPrefix(c.Name, "session") {
			cookies = append(cookies, c)
		}
	}
	if len(cookies) == 0 {
		b.Fatal("no session cookie after login")
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	do := func(u string, withSession bool) time.Duration {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if withSession {
			for _, c := range cookies {
				req.AddCookie(c)
			}
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s: status %d", u, resp.StatusCode)
		}
		return time.Since(start)
	}
	do(l.URL+"/anything", true)
	do(plain.URL+"/anything", true)
	do(l.URL+"/bare", false)
	var plainD, bareD, gwD []time.Duration
	b.ResetTimer()
	for b.Loop() {
		plainD = append(plainD, do(plain.URL+"/anything", true))
		bareD = append(bareD, do(l.URL+"/bare", true))
		gwD = append(gwD, do(l.URL+"/anything", true))
	}
	b.StopTimer()
	total := func(ds []time.Duration) (t time.Duration) {
		for _, d := range ds {
			t += d
		}
		return t
	}
	p99 := func(ds []time.Duration) time.Duration {
		s := slices.Clone(ds)
		slices.Sort(s)
		return s[len(s)*99/100]
	}
	n := float64(len(gwD))
	b.ReportMetric(float64(total(plainD).Nanoseconds())/n, "plain-ns/req")
	b.ReportMetric(float64(total(gwD).Nanoseconds())/n, "gateway-ns/req")
	b.ReportMetric(float64(p99(plainD).Microseconds()), "plain-p99-µs")
	b.ReportMetric(float64(p99(gwD).Microseconds()), "gateway-p99-µs")
	b.ReportMetric(1e9*n/float64(total(plainD).Nanoseconds()), "plain-req/s")
	b.ReportMetric(1e9*n/float64(total(gwD).Nanoseconds()), "gateway-req/s")
	b.ReportMetric(float64(total(plainD))/float64(total(gwD)), "throughput-ratio")
	b.ReportMetric(float64(total(plainD))/float64(total(bareD)), "no-plugin-ratio")
}
