package tui

import (
	"context"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc"
	"github.com/oidclab/oidclab/lab"
)

func TestMain(m *testing.M) {
	// Golden screens are plain text whatever the terminal running the tests supports.
	lipgloss.SetColorProfile(termenv.Ascii)
	flag.Parse()
	os.Exit(m.Run())
}

// goldenRun drives the real program with teatest at 80×24 and compares the last screen with
// testdata/<name>.golden (go test ./tui -update rewrites it).

func TestGoldenWelcome(t *testing.T) {
	o := testOptions(t)
	tm := teatest.NewTestModel(t, New(context.Background(), o), teatest.WithInitialTermSize(80, 24))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "start the gateway") },
		teatest.WithDuration(10*time.Second))
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	golden.RequireEqual(t, []byte(tm.FinalModel(t).(Model).View()))
}

func TestGoldenValidateFailure(t *testing.T) {
	eng := newFakeEngine()
	o := testOptions(t)
	o.StartLab = func(context.Context, lab.Config) (Engine, error) { return eng, nil }
	tm := teatest.NewTestModel(t, New(context.Background(), o), teatest.WithInitialTermSize(80, 24))
	waitFor := func(s string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), s) },
			teatest.WithDuration(10*time.Second))
	}
	tm.Send(keyMsg("enter"))
	waitFor("running")
	tm.Send(keyMsg("enter"))
	tm.Send(keyMsg("enter"))
	waitFor("type a client ID")
	tm.Send(keyMsg("e"))
	tm.Send(keyMsg("enter"))
	waitFor("issuer")
	iss := eng.IdP().Issuer
	// The discovery check is the lab's network code; the golden screen is about the walk.
	tm.Send(issuerCheckedMsg{issuer: iss, d: lab.Discovery{Issuer: iss, Authorize: iss + "/v1/authorize", PKCE: true}})
	waitFor("PKCE")
	tm.Send(keyMsg("enter"))
	waitFor("Press a")
	tm.Send(keyMsg("a"))
	waitFor("applied")
	tm.Send(keyMsg("enter"))
	waitFor("Validate")
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, e := range []gateway.Event{
		{Kind: oidc.EventLoginStarted, RequestID: "r1", Method: "GET", Path: "/anything", Status: 302, AnsweredBy: gateway.AnsweredByPlugin},
		{Kind: lab.EventIdPRequest, Method: "GET", Path: "/oauth2/default/v1/authorize", Status: 302, AnsweredBy: gateway.AnsweredByIdP, Attrs: map[string]any{"endpoint": "authorize"}},
		{Kind: lab.EventIdPRequest, Method: "POST", Path: "/login", Status: 200, AnsweredBy: gateway.AnsweredByIdP, Attrs: map[string]any{"endpoint": "login"}},
		{Kind: oidc.EventCallbackReceived, RequestID: "r2", Method: "POST", Path: "/anything"},
		{Kind: lab.EventIdPRequest, Method: "POST", Path: "/oauth2/default/v1/token", Status: 401, AnsweredBy: gateway.AnsweredByIdP, Reason: oidc.ReasonIdPError, Attrs: map[string]any{"endpoint": "token"}},
		{Kind: oidc.EventAuthFailed, RequestID: "r2", Method: "POST", Path: "/anything", Status: 401, AnsweredBy: gateway.AnsweredByPlugin, Reason: oidc.ReasonClientAuthFailed,
			Message: "the token endpoint refused the client", Explain: "Copy client_id and client_secret again."},
	} {
		e.Time = at
		eng.events <- e
	}
	waitFor("back to")
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	golden.RequireEqual(t, []byte(tm.FinalModel(t).(Model).View()))
}
