package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc"
)

func TestFormatHop(t *testing.T) {
	at := time.Date(2026, 11, 28, 5, 10, 8, 0, time.UTC)
	tests := []struct {
		name string
		e    gateway.Event
		want string
	}{
		{"login started", gateway.Event{Time: at, Kind: oidc.EventLoginStarted, Method: "GET", Path: "/anything", Status: 302,
			Message: "login started", Explain: "you started on localhost\nbut the redirect_uri is 127.0.0.1"},
			"05:10:08 → GET /anything 302  login started\n           you started on localhost\n           but the redirect_uri is 127.0.0.1\n"},
		{"verified names the user", gateway.Event{Time: at, Kind: oidc.EventIDTokenVerified, Method: "POST", Path: "/anything",
			Message: "id token verified", Attrs: map[string]any{"sub": "00u1", "email": "a@example.com", "name": "A"}},
			"05:10:08 ✓ POST /anything  id token verified (sub=00u1 email=a@example.com)\n"},
		{"refusal", gateway.Event{Time: at, Kind: oidc.EventAuthFailed, Method: "GET", Path: "/anything", Status: 401, Message: "nonce mismatch"},
			"05:10:08 ✗ GET /anything 401  nonce mismatch\n"},
		{"proxied", gateway.Event{Time: at, Kind: gateway.EventRequestFinished, Method: "GET", Path: "/anything", Status: 200,
			Service: "example-service", Latency: 1234567 * time.Nanosecond},
			"05:10:08 ✓ GET /anything 200  answered via example-service in 1.23ms\n"},
		{"no route", gateway.Event{Time: at, Kind: gateway.EventRequestFinished, Method: "GET", Path: "/x", Status: 404},
			"05:10:08 ✗ GET /x 404  no route matched\n"},
		{"config", gateway.Event{Time: at, Kind: gateway.EventConfigApplied}, "05:10:08 →  config.applied\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatHop(tt.e); got != tt.want {
				t.Errorf("formatHop:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestPrintHopsDrains: the printer writes every event and returns when the channel closes.
func TestPrintHopsDrains(t *testing.T) {
	ch := make(chan gateway.Event, 5)
	ch <- gateway.Event{Kind: gateway.EventRequestFinished, Status: 404, Method: "GET", Path: "/favicon.ico"}
	ch <- gateway.Event{Kind: oidc.EventLogout, Message: "logged out"}
	ch <- gateway.Event{Kind: gateway.EventRequestFinished, Status: 200, Service: "svc"}
	ch <- gateway.Event{Kind: oidc.EventSessionIssued, Message: "session cookie issued"}
	close(ch)
	var b strings.Builder
	printHops(&b, ch, false)
	var all strings.Builder
	ch2 := make(chan gateway.Event, 2)
	ch2 <- gateway.Event{Kind: gateway.EventRequestFinished, Status: 404, Method: "GET", Path: "/favicon.ico"}
	ch2 <- gateway.Event{Kind: gateway.EventRequestFinished, Status: 404, Method: "GET", Path: "/nope"}
	close(ch2)
	printHops(&all, ch2, true)
	if strings.Contains(all.String(), "favicon") || !strings.Contains(all.String(), "GET /nope 404  no route matched") {
		t.Errorf("with requests shown: %q", all.String())
	}
	if strings.Contains(b.String(), "svc") {
		t.Errorf("a proxied request was printed although the access log has it: %q", b.String())
	}
	if !strings.Contains(b.String(), "→  logged out") {
		t.Errorf("missing logout line: %q", b.String())
	}
	if !strings.Contains(b.String(), "✓  session cookie issued") {
		t.Errorf("missing session line: %q", b.String())
	}
}

// TestHopsOfARefusedLogin: the plugin reports a refusal twice (the rejected token, then the
// 401); the explanation is printed once, and the final line says the plugin answered, not the
// upstream, at the time the request ended.
func TestHopsOfARefusedLogin(t *testing.T) {
	at := time.Date(2026, 11, 28, 5, 10, 8, 0, time.UTC)
	why := "The id token has expired."
	ch := make(chan gateway.Event, 4)
	ch <- gateway.Event{Time: at, RequestID: "r1", Kind: oidc.EventIDTokenRejected, Method: "POST", Path: "/anything", Status: 401, Message: "the token expired", Explain: why}
	ch <- gateway.Event{Time: at, RequestID: "r1", Kind: oidc.EventAuthFailed, Method: "POST", Path: "/anything", Status: 401, Message: "invalid id token: the token expired", Explain: why}
	ch <- gateway.Event{Time: at, RequestID: "r1", Kind: gateway.EventRequestFinished, Method: "POST", Path: "/anything", Status: 401, Service: "example-service", Latency: 10 * time.Second}
	ch <- gateway.Event{Time: at, RequestID: "r2", Kind: gateway.EventRequestFinished, Method: "GET", Path: "/anything", Status: 200, Service: "example-service", Latency: time.Millisecond}
	close(ch)
	var b strings.Builder
	printHops(&b, ch, true)
	out := b.String()
	if n := strings.Count(out, why); n != 1 {
		t.Errorf("explanation printed %d times:\n%s", n, out)
	}
	if !strings.Contains(out, "05:10:18 ✗ POST /anything 401  answered by the gateway's plugin in 10s") {
		t.Errorf("the 401 is not attributed to the plugin at the request's end:\n%s", out)
	}
	if !strings.Contains(out, "05:10:08 ✓ GET /anything 200  answered via example-service in 1ms") {
		t.Errorf("an upstream answer lost its service:\n%s", out)
	}
}

// TestLogHopsKeepsExplanationsInJSON: with --json the walkthrough's explanations are log
// records, failures at warn; proxied requests stay the access log's.
func TestLogHopsKeepsExplanationsInJSON(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ch := make(chan gateway.Event, 3)
	ch <- gateway.Event{RequestID: "r1", Kind: oidc.EventLoginStarted, Status: 302, Message: "login started"}
	ch <- gateway.Event{RequestID: "r1", Kind: oidc.EventAuthFailed, Method: "POST", Path: "/anything", Status: 401,
		Message: "nonce mismatch", Explain: "the IdP echoed another nonce", Attrs: map[string]any{"sub": "00u1"}}
	ch <- gateway.Event{RequestID: "r1", Kind: gateway.EventRequestFinished, Status: 401}
	close(ch)
	logHops(logger, ch)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want only the failure at warn, got:\n%s", buf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["level"] != "WARN" || rec["msg"] != "nonce mismatch" || rec["explain"] != "the IdP echoed another nonce" ||
		rec["kind"] != "oidc.auth_failed" || rec["status"] != float64(401) || rec["request_id"] != "r1" {
		t.Errorf("record: %v", rec)
	}
	if attrs, _ := rec["attrs"].(map[string]any); attrs["sub"] != "00u1" {
		t.Errorf("claims lost: %v", rec)
	}
}
