package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway/deck"
)

// BenchmarkGatewayVsPlainProxy measures, in one run, the same workload through the gateway
// (no plugin) and through a bare httputil.ReverseProxy, both to the same loopback upstream
// over real sockets. It reports each side's time per request and the gateway's throughput
// as a fraction of the plain proxy's ("gw/plain"; the target is >= 0.85).
func BenchmarkGatewayVsPlainProxy(b *testing.B) {
	payload := []byte(`{"ok":true,"padding":"` + string(make([]byte, 0, 256)) + `"}`)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(payload)
	}))
	b.Cleanup(upstream.Close)
	u, _ := url.Parse(upstream.URL)

	gw, err := New(&deck.Config{
		Services: []deck.Service{serviceFor("bench", u, "")},
		Routes:   []deck.Route{route("bench", func(r *deck.Route) { r.Service = "bench"; r.Paths = []string{"/anything"} })},
	}, Options{RealUpstreams: true})
	if err != nil {
		b.Fatal(err)
	}
	gwSrv := httptest.NewServer(gw)
	b.Cleanup(gwSrv.Close)

	plain := httputil.NewSingleHostReverseProxy(u)
	plain.Transport = &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 256, IdleConnTimeout: 60 * time.Second}
	plainSrv := httptest.NewServer(plain)
	b.Cleanup(plainSrv.Close)

	const workers = 16
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 256}}
	load := func(target string, n int) time.Duration {
		var wg sync.WaitGroup
		start := time.Now()
		per := (n + workers - 1) / workers
		for range workers {
			wg.Go(func() {
				for range per {
					resp, err := client.Get(target)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("%s: status %d", target, resp.StatusCode)
						return
					}
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	// Warm both connection pools.
	load(gwSrv.URL+"/anything", workers*4)
	load(plainSrv.URL+"/anything", workers*4)

	b.ResetTimer()
	// Alternate short rounds (ABBA order) so drift in machine load hits both sides alike.
	const rounds = 10
	var gwTime, plainTime time.Duration
	chunk := max(b.N/(2*rounds), workers)
	for i := range rounds {
		if i%2 == 0 {
			plainTime += load(plainSrv.URL+"/anything", chunk)
			gwTime += load(gwSrv.URL+"/anything", chunk)
		} else {
			gwTime += load(gwSrv.URL+"/anything", chunk)
			plainTime += load(plainSrv.URL+"/anything", chunk)
		}
	}
	b.StopTimer()

	n := float64(rounds * chunk)
	b.ReportMetric(float64(gwTime.Nanoseconds())/n, "gw-ns/req")
	b.ReportMetric(float64(plainTime.Nanoseconds())/n, "plain-ns/req")
	b.ReportMetric(float64(plainTime)/float64(gwTime), "gw/plain")
}
