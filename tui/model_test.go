package tui

import (
	"context"
	"strings"
	"sync"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc"
	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/tutorial"
)

// fakeEngine is a lab as far as the walkthrough can tell, with events the test sends.
type fakeEngine struct {
	mu      sync.Mutex
	applied []map[string]string
	events  chan gateway.Event
	down    bool
}

func newFakeEngine() *fakeEngine { return &fakeEngine{events: make(chan gateway.Event, 64)} }

func (f *fakeEngine) ProxyURL() string  { return "http://127.0.0.1:8000" }
func (f *fakeEngine) AdminURL() string  { return "http://127.0.0.1:8001" }
func (f *fakeEngine) PublicURL() string { return "http://127.0.0.1:8000" }
func (f *fakeEngine) IdP() lab.IdPInfo {
	return lab.IdPInfo{Embedded: true, Issuer: "http://127.0.0.1:9000/oauth2/default", ClientID: "0oaoidclabtutorial01",
		RedirectURI: "http://127.0.0.1:8000/anything", Login: "demo@example.com", Password: "oidclab-demo"}
}
func (f *fakeEngine) Subscribe(int) (<-chan gateway.Event, func()) { return f.events, func() {} }
func (f *fakeEngine) ApplyWith(_ []byte, _ string, vars map[string]string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = append(f.applied, vars)
	return nil
}
func (f *fakeEngine) Shutdown(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = true
	return nil
}

func testOptions(t *testing.T) Options {
	t.Helper()
	return Options{ProfilePath: t.TempDir() + "/profile.json", NoColor: true}
}

func send(t *testing.T, m Model, msgs ...tea.Msg) (Model, tea.Cmd) {
	t.Helper()
	var cmd tea.Cmd
	for _, msg := range msgs {
		var next tea.Model
		next, cmd = m.Update(msg)
		m = next.(Model)
	}
	return m, cmd
}

func keyMsg(s string) tea.Msg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case "ctrl+r":
		return tea.KeyMsg{Type: tea.KeyCtrlR}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

func keys(ss ...string) []tea.Msg {
	var out []tea.Msg
	for _, s := range ss {
		out = append(out, keyMsg(s))
	}
	return out
}

// toApp walks an embedded-IdP model to the application step on a fake engine.
func toApp(t *testing.T) (Model, *fakeEngine) {
	t.Helper()
	eng := newFakeEngine()
	m := New(context.Background(), testOptions(t))
	m, cmd := send(t, m, keyMsg("enter"))
	if m.step != stepGateway || m.states[stepGateway] != stateRunning || cmd == nil {
		t.Fatalf("after enter on Welcome: step %v state %v", m.step, m.states[stepGateway])
	}
	m, _ = send(t, m, labStartedMsg{eng: eng})
	if m.states[stepGateway] != stateDone || m.proxyURL == "" {
		t.Fatalf("lab started: state %v", m.states[stepGateway])
	}
	m, _ = send(t, m, keys("enter", "enter")...)
	if m.step != stepApp {
		t.Fatalf("step = %v, want App", m.step)
	}
	return m, eng
}

func TestWelcomeChoices(t *testing.T) {
	m := New(context.Background(), testOptions(t))
	m, _ = send(t, m, keys("right")...)
	if !m.okta {
		t.Fatal("right on the IdP row should choose Okta")
	}
	m, _ = send(t, m, keys("down", "right")...)
	if m.ngrok {
		t.Fatal("ngrok chosen without NGROK_AUTHTOKEN")
	}
	o := testOptions(t)
	o.Getenv = func(k string) string {
		if k == EnvNgrokToken {
			return "tok"
		}
		return ""
	}
	m = New(context.Background(), o)
	m, _ = send(t, m, keys("down", "right")...)
	if !m.ngrok {
		t.Fatal("ngrok not chosen with NGROK_AUTHTOKEN set")
	}
	if cfg := m.labConfig(); cfg.Expose != nil {
		t.Fatal("no Exposer in this build: the lab must start without a tunnel")
	}
	m, _ = send(t, m, keyMsg("enter"), labStartedMsg{eng: newFakeEngine()}, keyMsg("enter"))
	if v := m.View(); !strings.Contains(v, "ngrok support is not in this build yet") {
		t.Fatalf("tunnel screen does not say ngrok is missing:\n%s", v)
	}
}

func TestGatewayFailureRetries(t *testing.T) {
	m := New(context.Background(), testOptions(t))
	m, _ = send(t, m, keyMsg("enter"), labStartedMsg{err: &lab.ListenError{Role: "proxy", Addr: "127.0.0.1:8000", Err: errAddrInUseForTest}})
	if m.states[stepGateway] != stateFailed || !strings.Contains(m.View(), "did not start") {
		t.Fatalf("state %v, view:\n%s", m.states[stepGateway], m.View())
	}
	m, cmd := send(t, m, keyMsg("enter"))
	if m.states[stepGateway] != stateRunning || cmd == nil {
		t.Fatalf("enter should retry: state %v", m.states[stepGateway])
	}
}

func TestAppEmbeddedClientLeavesSecretToLab(t *testing.T) {
	m, eng := toApp(t)
	m, _ = send(t, m, keys("e", "enter")...)
	if m.step != stepAuthServer || m.states[stepApp] != stateDone {
		t.Fatalf("step %v", m.step)
	}
	if got := m.issuerIn.Value(); got != eng.IdP().Issuer {
		t.Fatalf("issuer prefilled %q", got)
	}
	if _, ok := m.deckVars()[tutorial.EnvClientSecret]; ok {
		t.Fatal("the embedded client's secret must come from the lab, not the screen")
	}
}

func TestAppTypedValidation(t *testing.T) {
	m, _ := toApp(t)
	m, _ = send(t, m, keyMsg("t"))
	if m.focus != inSecret {
		t.Fatalf("focus %d, want the empty secret", m.focus)
	}
	m, _ = send(t, m, keyMsg("enter"))
	if m.step != stepApp {
		t.Fatal("continued without a secret")
	}
	m, _ = send(t, m, keyMsg("s3cret"))
	if strings.Contains(m.View(), "s3cret") {
		t.Fatal("secret on screen without ctrl+r")
	}
	m, _ = send(t, m, keyMsg("ctrl+r"))
	if !strings.Contains(m.View(), "s3cret") {
		t.Fatal("ctrl+r does not reveal the secret")
	}
	m, _ = send(t, m, keyMsg("enter"))
	if m.step != stepAuthServer {
		t.Fatalf("step %v", m.step)
	}
	if got := m.deckVars()[tutorial.EnvClientSecret]; got != "s3cret" {
		t.Fatalf("typed secret not applied: %q", got)
	}
}

func TestOktaInputsValidatedAsTyped(t *testing.T) {
	m := New(context.Background(), testOptions(t))
	m.okta = true
	m.inputs[inOrg].SetValue("http://example.okta.com")
	if e := m.inputErr(inOrg); !strings.Contains(e, "loopback") {
		t.Fatalf("http org accepted: %q", e)
	}
	for in, want := range map[string]string{
		"https://x.okta.com/oauth2/default/.well-known/openid-configuration": "",
		"http://127.0.0.1:9000/oauth2/default":                               "",
		"http://idp.example.com/oauth2/default":                              "loopback",
		"":                                                                   "paste",
	} {
		if got := issuerProblem(in); !strings.Contains(got, want) || (want == "" && got != "") {
			t.Errorf("issuerProblem(%q) = %q, want %q", in, got, want)
		}
	}
	if w := issuerWarnings("https://x.okta.com"); len(w) == 0 || !strings.Contains(w[0], "org authorization server") {
		t.Errorf("org issuer not warned: %v", w)
	}
	if w := issuerWarnings("https://x.okta.com/oauth2/aus123"); len(w) != 0 {
		t.Errorf("custom server warned: %v", w)
	}
}

func TestIssuerCheckAndPluginApply(t *testing.T) {
	m, eng := toApp(t)
	m, _ = send(t, m, keys("e", "enter")...)
	m, cmd := send(t, m, keyMsg("enter"))
	if cmd == nil || m.states[stepAuthServer] != stateRunning {
		t.Fatal("enter should check the issuer")
	}
	iss := lab.NormalizeIssuer(m.issuerIn.Value())
	m, _ = send(t, m, issuerCheckedMsg{issuer: iss, err: errString("GET …: status 404")})
	if m.states[stepAuthServer] != stateFailed || !strings.Contains(m.View(), "404") {
		t.Fatalf("failed check: state %v", m.states[stepAuthServer])
	}
	m, _ = send(t, m, issuerCheckedMsg{issuer: iss, d: lab.Discovery{Issuer: iss, PKCE: true}})
	if m.states[stepAuthServer] != stateDone {
		t.Fatal("passed check not done")
	}
	m, _ = send(t, m, keyMsg("enter"))
	if m.step != stepPlugin {
		t.Fatalf("step %v", m.step)
	}
	m, _ = send(t, m, keyMsg("enter"))
	if m.step != stepPlugin {
		t.Fatal("continued before applying")
	}
	m, cmd = send(t, m, keyMsg("a"))
	msg := cmd()
	if len(eng.applied) != 1 || eng.applied[0][tutorial.EnvIssuer] != iss {
		t.Fatalf("applied %v", eng.applied)
	}
	m, _ = send(t, m, msg, keyMsg("enter"))
	if m.step != stepValidate {
		t.Fatalf("step %v", m.step)
	}
}

func TestRenderedDeckIsRedacted(t *testing.T) {
	msg := renderDeckCmd(map[string]string{tutorial.EnvIssuer: "http://127.0.0.1:9000/oauth2/default", tutorial.EnvClientID: "id",
		tutorial.EnvRedirectURI: "http://127.0.0.1:8000/anything"})().(deckRenderedMsg)
	if msg.err != nil {
		t.Fatal(msg.err)
	}
	if !strings.Contains(msg.redacted, "<redacted>") || !strings.Contains(msg.redacted, "openid-connect") {
		t.Fatalf("not redacted:\n%s", msg.redacted)
	}
}

func validateModel(t *testing.T) Model {
	t.Helper()
	m, _ := toApp(t)
	m, _ = send(t, m, keys("t")...)
	m, _ = send(t, m, keys("wrong", "enter")...)
	iss := lab.NormalizeIssuer(m.issuerIn.Value())
	m, _ = send(t, m, keyMsg("enter"), issuerCheckedMsg{issuer: iss, d: lab.Discovery{Issuer: iss}}, keyMsg("enter"), appliedMsg{}, keyMsg("enter"))
	if m.step != stepValidate {
		t.Fatalf("step %v", m.step)
	}
	return m
}

func TestValidateFailureGoesBackToApp(t *testing.T) {
	m := validateModel(t)
	m, _ = send(t, m,
		eventMsg{gateway.Event{Kind: lab.EventIdPRequest, Method: "POST", Path: "/oauth2/default/v1/token", Status: 401, Reason: oidc.ReasonIdPError, Attrs: map[string]any{"endpoint": "token"}}},
		eventMsg{gateway.Event{Kind: oidc.EventAuthFailed, RequestID: "r1", Method: "POST", Path: "/anything", Status: 401, Reason: oidc.ReasonClientAuthFailed, Message: "token endpoint refused", Explain: "check client_secret"}},
		eventMsg{gateway.Event{Kind: gateway.EventRequestFinished, RequestID: "r1", Method: "POST", Path: "/anything", Status: 401, AnsweredBy: gateway.AnsweredByPlugin}},
	)
	if m.failure == nil || m.failure.Reason != oidc.ReasonClientAuthFailed {
		t.Fatalf("failure %+v, want the plugin's client_auth_failed", m.failure)
	}
	v := m.View()
	for _, want := range []string{"✗", "client_auth_failed", "check client_secret", "back to Okta app"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	if len(m.arrows) != 2 {
		t.Errorf("arrows %d, want 2 (the plugin's answer is the auth_failed arrow)", len(m.arrows))
	}
	m, _ = send(t, m, keyMsg("b"))
	if m.step != stepApp || m.states[stepPlugin] != statePending || m.mode != appNone {
		t.Fatalf("b: step %v plugin %v mode %q", m.step, m.states[stepPlugin], m.mode)
	}
	// The fix: the embedded client; the checked issuer stays checked.
	m, _ = send(t, m, keys("e", "enter")...)
	if m.step != stepAuthServer || m.states[stepAuthServer] != stateDone {
		t.Fatalf("step %v auth %v", m.step, m.states[stepAuthServer])
	}
}

func TestValidateSuccess(t *testing.T) {
	m := validateModel(t)
	m, _ = send(t, m,
		eventMsg{gateway.Event{Kind: oidc.EventIDTokenVerified, RequestID: "r2", Method: "POST", Path: "/anything", Attrs: map[string]any{"sub": "00u1", "email": "demo@example.com"}}},
		eventMsg{gateway.Event{Kind: gateway.EventRequestFinished, RequestID: "r2", Method: "POST", Path: "/anything", Status: 200, AnsweredBy: gateway.AnsweredByUpstream, Service: "example-service"}},
	)
	if !m.success || m.states[stepValidate] != stateDone {
		t.Fatal("not validated")
	}
	if v := m.View(); !strings.Contains(v, "login validated") || !strings.Contains(v, "email=demo@example.com") {
		t.Fatalf("view:\n%s", v)
	}
	m, _ = send(t, m, keyMsg("enter"))
	if m.step != stepFinish {
		t.Fatalf("step %v", m.step)
	}
	if v := m.View(); !strings.Contains(v, "oidclab run") {
		t.Fatalf("finish:\n%s", v)
	}
}

func TestCtrlCShutsDownTheLab(t *testing.T) {
	m, eng := toApp(t)
	m, cmd := send(t, m, keyMsg("ctrl+c"))
	if !m.quitting || cmd == nil {
		t.Fatal("ctrl+c did not start a shutdown")
	}
	if _, ok := cmd().(shutdownMsg); !ok || !eng.down {
		t.Fatal("lab not shut down")
	}
}

func TestProfileRoundTripAndReplay(t *testing.T) {
	o := testOptions(t)
	if err := SaveProfile(o.ProfilePath, Profile{IdP: "embedded", Tunnel: "none", AppMode: "embedded"}); err != nil {
		t.Fatal(err)
	}
	m := New(context.Background(), o)
	if !m.hasProfile || !strings.Contains(m.View(), "repeats your last walk") {
		t.Fatal("profile not offered")
	}
	eng := newFakeEngine()
	m, _ = send(t, m, keyMsg("r"))
	m, cmd := send(t, m, labStartedMsg{eng: eng})
	if m.step != stepAuthServer || m.mode != appEmbedded || cmd == nil {
		t.Fatalf("replay stopped at %v (mode %q)", m.step, m.mode)
	}
	iss := lab.NormalizeIssuer(m.issuerIn.Value())
	m, cmd = send(t, m, issuerCheckedMsg{issuer: iss, d: lab.Discovery{Issuer: iss}})
	if m.step != stepPlugin {
		t.Fatalf("replay stopped at %v", m.step)
	}
	_ = cmd
	m, _ = send(t, m, appliedMsg{})
	if m.step != stepValidate || m.auto {
		t.Fatalf("replay should stop at Validate: %v auto %v", m.step, m.auto)
	}
}

func TestResizeAndSmallTerminal(t *testing.T) {
	m, _ := toApp(t)
	m, _ = send(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	for _, l := range strings.Split(m.View(), "\n") {
		if w := len([]rune(stripANSI(l))); w > 80 {
			t.Errorf("line wider than 80 (%d): %q", w, l)
		}
	}
	if n := strings.Count(m.View(), "\n"); n > 23 {
		t.Errorf("view has %d lines at height 24", n+1)
	}
}

type errString string

func (e errString) Error() string { return string(e) }
