package lab_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc"
	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/labtest"
)

func narrate(withRequests bool, events ...gateway.Event) string {
	n := lab.Narrator{Requests: withRequests}
	var b strings.Builder
	for _, e := range events {
		if hop, ok := n.Narrate(e); ok {
			b.WriteString(hop.Text())
		}
	}
	return b.String()
}

func TestHopText(t *testing.T) {
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
		{"refusal names its reason", gateway.Event{Time: at, Kind: oidc.EventAuthFailed, Method: "GET", Path: "/anything", Status: 401,
			Reason: "nonce_mismatch", Message: "nonce mismatch"},
			"05:10:08 ✗ GET /anything 401  nonce mismatch [nonce_mismatch]\n"},
		{"proxied", gateway.Event{Time: at, Kind: gateway.EventRequestFinished, Method: "GET", Path: "/anything", Status: 200,
			AnsweredBy: gateway.AnsweredByUpstream, Service: "example-service", Latency: 1234567 * time.Nanosecond},
			"05:10:08 ✓ GET /anything 200  answered via example-service in 1.23ms\n"},
		{"no route", gateway.Event{Time: at, Kind: gateway.EventRequestFinished, Method: "GET", Path: "/x", Status: 404, AnsweredBy: gateway.AnsweredByGateway},
			"05:10:08 ✗ GET /x 404  no route matched\n"},
		{"upstream down", gateway.Event{Time: at, Kind: gateway.EventRequestFinished, Method: "GET", Path: "/x", Status: 502, Route: "r",
			AnsweredBy: gateway.AnsweredByGateway, Reason: gateway.ReasonUpstreamUnreachable, Explain: "connection refused", Latency: time.Millisecond},
			"05:10:08 ✗ GET /x 502  answered by the gateway in 1ms [upstream_unreachable]\n           connection refused\n"},
		{"idp", gateway.Event{Time: at, Kind: lab.EventIdPRequest, Method: "POST", Path: "/oauth2/default/v1/token", Status: 200,
			AnsweredBy: gateway.AnsweredByIdP, Message: "identity provider: tokens issued"},
			"05:10:08 → POST /oauth2/default/v1/token 200  identity provider: tokens issued\n"},
		{"config", gateway.Event{Time: at, Kind: gateway.EventConfigApplied}, "05:10:08 →  config.applied\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := narrate(true, tt.e); got != tt.want {
				t.Errorf("hop:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// Requests that finished with nothing to say are left to the access log unless asked for;
// failures and the login's hops always show; the browser's tab icon never does.
func TestNarratorRequests(t *testing.T) {
	events := []gateway.Event{
		{Kind: gateway.EventRequestFinished, Status: 404, Method: "GET", Path: "/favicon.ico", AnsweredBy: gateway.AnsweredByGateway},
		{Kind: oidc.EventLogout, Message: "logged out"},
		{Kind: gateway.EventRequestFinished, Status: 200, Service: "svc", AnsweredBy: gateway.AnsweredByUpstream},
		{Kind: oidc.EventSessionIssued, Message: "session cookie issued"},
		{Kind: gateway.EventRequestFinished, Status: 502, Route: "r", Reason: gateway.ReasonUpstreamUnreachable, AnsweredBy: gateway.AnsweredByGateway},
	}
	quiet := narrate(false, events...)
	if strings.Contains(quiet, "svc") || strings.Contains(quiet, "favicon") {
		t.Errorf("a plain request was narrated although the access log has it: %q", quiet)
	}
	for _, want := range []string{"→  logged out", "✓  session cookie issued", "[upstream_unreachable]"} {
		if !strings.Contains(quiet, want) {
			t.Errorf("missing %q: %q", want, quiet)
		}
	}
	all := narrate(true, events...)
	if strings.Contains(all, "favicon") || !strings.Contains(all, "answered via svc") {
		t.Errorf("with requests: %q", all)
	}
}

// A refused login: the 401 is credited to the plugin at the time the request ended.
func TestNarratorCreditsThePlugin(t *testing.T) {
	at := time.Date(2026, 11, 28, 5, 10, 8, 0, time.UTC)
	out := narrate(true,
		gateway.Event{Time: at, RequestID: "r1", Kind: oidc.EventIDTokenRejected, Method: "POST", Path: "/anything", Status: 401,
			AnsweredBy: gateway.AnsweredByPlugin, Reason: "id_token_expired", Message: "the token expired", Explain: "The id token has expired."},
		gateway.Event{Time: at, RequestID: "r1", Kind: gateway.EventRequestFinished, Method: "POST", Path: "/anything", Status: 401,
			AnsweredBy: gateway.AnsweredByPlugin, Service: "example-service", Latency: 10 * time.Second},
		gateway.Event{Time: at, RequestID: "r2", Kind: gateway.EventRequestFinished, Method: "GET", Path: "/anything", Status: 200,
			AnsweredBy: gateway.AnsweredByUpstream, Service: "example-service", Latency: time.Millisecond},
	)
	if n := strings.Count(out, "The id token has expired."); n != 1 {
		t.Errorf("explanation printed %d times:\n%s", n, out)
	}
	if !strings.Contains(out, "05:10:18 ✗ POST /anything 401  answered by the gateway's plugin in 10s") {
		t.Errorf("the 401 is not attributed to the plugin at the request's end:\n%s", out)
	}
	if !strings.Contains(out, "05:10:08 ✓ GET /anything 200  answered via example-service in 1ms") {
		t.Errorf("an upstream answer lost its service:\n%s", out)
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/anything", "/anything"},
		{"/\x1b]0;pwned\x07", `/\x1b]0;pwned\x07`},
		{"a\nb\rc\td", "a\\x0ab\\x0dc\td"},
		{"\u009b31m", `\x9b31m`},
		{"user\u202egnp.exe", `user\u202egnp.exe`},
		{"raw \x9b byte", "raw \ufffd byte"},
		{"café ✓", "café ✓"},
	}
	for _, tt := range tests {
		if got := lab.Clean(tt.in); got != tt.want {
			t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A request to /%1b]0;x%07 (an escape sequence that retitles a terminal) reaches the narration
// as visible text, never as the escape itself.
func TestTerminalEscapePathIsHarmless(t *testing.T) {
	l := labtest.Start(t, lab.Config{})
	res, err := http.Get(l.URL + "/%1b]0;x%07")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	n := lab.Narrator{Requests: true}
	var out strings.Builder
	for _, e := range l.Events() {
		if hop, ok := n.Narrate(e); ok {
			out.WriteString(hop.Text())
			if strings.ContainsAny(hop.Path+hop.Message+hop.Explain, "\x1b\x07") {
				t.Errorf("a control character survived in %+v", hop)
			}
		}
	}
	if !strings.Contains(out.String(), `GET /\x1b]0;x\x07 404`) {
		t.Errorf("the request is not narrated visibly:\n%s", out.String())
	}
}
