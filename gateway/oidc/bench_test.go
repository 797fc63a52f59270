package oidc

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc/oidctest"
)

// BenchmarkSessionProxy compares, in one run, requests through the plugin with a valid session
// cookie against the same reverse proxy without the plugin (sent the same request, cookie included). It reports both latencies, their
// p99s and the throughput ratio (plugin/plain; the target is ≥ 0.8).
func BenchmarkSessionProxy(b *testing.B) {
	op := oidctest.Start(b)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	b.Cleanup(upstream.Close)
	target, _ := url.Parse(upstream.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	plain := httptest.NewServer(proxy)
	b.Cleanup(plain.Close)

	cfg, err := ParseConfig(map[string]any{
		"issuer": op.Issuer, "client_id": []any{"c"}, "client_secret": []any{"s"},
		"auth_methods": []any{"authorization_code", "session"}, "session_secret": "bench secret",
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	p, err := newPlugin(cfg, gateway.PluginEnv{}, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	handler := p.Handler(proxy)
	withPlugin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, port, _ := strings.Cut(r.Host, ":")
		n, _ := strconv.Atoi(port)
		info := &gateway.RequestInfo{Scheme: "http", Host: host, Port: n, Path: r.URL.Path}
		handler.ServeHTTP(w, r.WithContext(gateway.WithRequestInfo(r.Context(), info)))
	}))
	b.Cleanup(withPlugin.Close)

	now := time.Now()
	access := op.Sign(map[string]any{"iss": op.Issuer, "sub": "u", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "scp": []any{"openid"}})
	id := op.Sign(map[string]any{"iss": op.Issuer, "sub": "u", "aud": "c", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()})
	value, err := p.sessCodec.Seal("session", &sessionState{
		Tokens:  Tokens{AccessToken: access, IDToken: id, RefreshToken: "r", TokenType: "Bearer", ExpiresIn: 3600},
		Expires: now.Add(time.Hour).Unix(), Subject: "u", Created: now.Unix(), Rolled: now.Unix(), Used: now.Unix(),
	})
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	do := func(u string, cookie bool) time.Duration {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, u+"/anything", nil)
		if cookie {
			req.AddCookie(&http.Cookie{Name: "session", Value: value})
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d from %s", resp.StatusCode, u)
		}
		return d
	}
	do(withPlugin.URL, true) // discovery, warm connections
	do(plain.URL, true)

	var plainD, pluginD []time.Duration
	b.ResetTimer()
	for b.Loop() {
		plainD = append(plainD, do(plain.URL, true))
		pluginD = append(pluginD, do(withPlugin.URL, true))
	}
	b.StopTimer()
	sum := func(ds []time.Duration) (t time.Duration) {
		for _, d := range ds {
			t += d
		}
		return t
	}
	n := float64(len(plainD))
	b.ReportMetric(float64(sum(plainD).Nanoseconds())/n, "plain-ns/req")
	b.ReportMetric(float64(sum(pluginD).Nanoseconds())/n, "oidc-ns/req")
	b.ReportMetric(float64(p99(plainD).Microseconds()), "plain-p99-µs")
	b.ReportMetric(float64(p99(pluginD).Microseconds()), "oidc-p99-µs")
	b.ReportMetric(float64(sum(plainD))/float64(sum(pluginD)), "throughput-ratio")
}

func p99(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)*99/100]
}

func BenchmarkVerifyIDToken(b *testing.B) {
	op := oidctest.Start(b)
	cfg, _ := ParseConfig(map[string]any{"issuer": op.Issuer, "client_id": []any{"c"}}, nil)
	p, err := newPlugin(cfg, gateway.PluginEnv{}, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	access := "opaque-access-token"
	tok := op.Sign(map[string]any{"iss": op.Issuer, "sub": "u", "aud": "c", "exp": now.Add(time.Hour).Unix(),
		"iat": now.Unix(), "nonce": "n", "email": "demo@example.com"})
	want := idTokenWant{issuer: op.Issuer, algs: []string{"RS256"}, client: clientCreds{ID: "c"}, nonce: "n", accessToken: access}
	if _, err := p.verifier.verifyIDToken(context.Background(), tok, want); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.verifier.verifyIDToken(context.Background(), tok, want); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSessionOverhead is the plugin's own cost on a session request, without the network:
// ServeHTTP with a valid session cookie in front of a handler that does nothing.
func BenchmarkSessionOverhead(b *testing.B) {
	op := oidctest.Start(b)
	cfg, _ := ParseConfig(map[string]any{
		"issuer": op.Issuer, "client_id": []any{"c"}, "client_secret": []any{"s"},
		"auth_methods": []any{"authorization_code", "session"}, "session_secret": "bench secret",
	}, nil)
	p, err := newPlugin(cfg, gateway.PluginEnv{}, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	value, _ := p.sessCodec.Seal("session", &sessionState{
		Tokens:  Tokens{AccessToken: randomB64(700), IDToken: randomB64(700), RefreshToken: randomB64(30), TokenType: "Bearer", ExpiresIn: 3600},
		Expires: now.Add(time.Hour).Unix(), Subject: "u", Created: now.Unix(), Rolled: now.Unix(), Used: now.Unix(),
	})
	h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	info := &gateway.RequestInfo{Scheme: "http", Host: "127.0.0.1", Port: 8000, Path: "/anything"}
	ctx := gateway.WithRequestInfo(context.Background(), info)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:8000/anything", nil)
		r.Header.Set("Cookie", "other=1; session="+value)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
