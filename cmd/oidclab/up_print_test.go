package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc"
	"github.com/oidclab/oidclab/lab"
)

// TestLogHopKeepsExplanationsInJSON: with --json each hop is one log record, failures at warn
// with their reason and explanation.
func TestLogHopKeepsExplanationsInJSON(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var n lab.Narrator
	for _, e := range []gateway.Event{
		{RequestID: "r1", Kind: oidc.EventLoginStarted, Status: 302, Message: "login started"},
		{RequestID: "r1", Kind: oidc.EventAuthFailed, Method: "POST", Path: "/anything", Status: 401, AnsweredBy: gateway.AnsweredByPlugin,
			Reason: "nonce_mismatch", Message: "nonce mismatch", Explain: "the IdP echoed another nonce", Attrs: map[string]any{"sub": "00u1"}},
		{RequestID: "r1", Kind: gateway.EventRequestFinished, Status: 401},
	} {
		if hop, ok := n.Narrate(e); ok {
			logHop(logger, hop)
		}
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want only the failure at warn, got:\n%s", buf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["level"] != "WARN" || rec["msg"] != "nonce mismatch" || rec["explain"] != "the IdP echoed another nonce" ||
		rec["kind"] != "oidc.auth_failed" || rec["status"] != float64(401) || rec["request_id"] != "r1" ||
		rec["reason"] != "nonce_mismatch" || rec["answered_by"] != "plugin" {
		t.Errorf("record: %v", rec)
	}
	if attrs, _ := rec["attrs"].(map[string]any); attrs["sub"] != "00u1" {
		t.Errorf("claims lost: %v", rec)
	}
}
