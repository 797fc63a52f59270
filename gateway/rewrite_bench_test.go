package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"testing"

	"github.com/oidclab/oidclab/gateway/deck"
)

// BenchmarkRewrite is the upstream request's construction as httputil.ReverseProxy does it for
// every proxied request: clone the client's request (its header map sized exactly), then the
// gateway's rewrite (path, Host, X-Forwarded-*, X-Real-IP, Via). "wrk" sends one header (as
// bench/run.sh's session requests), "browser" a browser's dozen.
func BenchmarkRewrite(b *testing.B) {
	cs := &compiledService{scheme: "http", hostPort: "127.0.0.1:8080", hostHeader: "upstream", path: "/anything"}
	route := &compiledRoute{cfg: deck.Route{StripPath: true, PathHandling: "v0"}, service: cs}
	for _, bc := range []struct {
		name    string
		headers map[string]string
	}{
		{"wrk", map[string]string{"Cookie": "session=abc"}},
		{"browser", map[string]string{
			"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)", "Accept": "text/html,application/xhtml+xml",
			"Accept-Language": "en-US,en;q=0.5", "Accept-Encoding": "gzip, deflate, br", "Cookie": "session=abc",
			"Referer": "http://127.0.0.1/", "Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate",
			"Sec-Fetch-Site": "same-origin", "Upgrade-Insecure-Requests": "1", "Priority": "u=0, i",
			"Authorization": "Bearer x",
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			in := httptest.NewRequest(http.MethodGet, "http://gw.example/anything/x", nil)
			for k, v := range bc.headers {
				in.Header.Set(k, v)
			}
			st := &reqState{match: routeMatch{route: route, prefix: "/anything"}, path: "/anything/x",
				peer: netip.MustParseAddr("127.0.0.1"),
				info: RequestInfo{ClientIP: netip.MustParseAddr("127.0.0.1"), Scheme: "http", Host: "gw.example", Port: 80, Path: "/anything/x"}}
			in = in.WithContext(context.WithValue(context.Background(), stateKey{}, st))
			b.ReportAllocs()
			for b.Loop() {
				out := in.Clone(in.Context())
				rewrite(cs, &httputil.ProxyRequest{In: in, Out: out})
			}
		})
	}
}
