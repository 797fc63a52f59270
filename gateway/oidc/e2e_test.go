package oidc_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/gatewaytest"
	"github.com/oidclab/oidclab/gateway/oidc"
	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/okta/emulator/emulatortest"
	"github.com/oidclab/oidclab/scenarios/browser"
)

// tutorialYAML is Kong's tutorial decK file (shared/fixtures/tutorial-kong.yaml), unchanged
// but for the extra lines a test appends to the plugin config.
const tutorialYAML = `_format_version: "3.0"
services:
  - name: example-service
    url: http://httpbin.konghq.com/anything
routes:
  - name: example-route
    paths:
      - /anything
    service:
      name: example-service
plugins:
  - name: openid-connect
    service: example-service
    config:
      issuer: ${{ env "DECK_ISSUER_URL" }}
      client_id:
        - ${{ env "DECK_OKTA_CLIENT_ID" }}
      client_secret:
        - ${{ env "DECK_OKTA_CLIENT_SECRET" }}
      redirect_uri:
        - ${{ env "DECK_NGROK_HOST" }}
      scopes:
        - openid
        - email
        - profile
      auth_methods:
        - authorization_code
      token_endpoint_auth_method: client_secret_basic
      response_mode: form_post
`

const (
	e2eClientID     = "0oae2eclient000000001"
	e2eClientSecret = "e2e-secret-with:odd/chars+"
)

// lab is the gateway (with the plugin) in front of the echo upstream, and the Okta emulator.
type lab struct {
	gwURL  string
	emu    *emulator.Server
	ch     <-chan gateway.Event
	mu     sync.Mutex
	events []gateway.Event
}

// of returns the events of kind published so far. The plugin publishes before it answers, so
// once a response is read its events are already in the channel: draining it without waiting
// is exact.
func (l *lab) of(kind gateway.EventKind) []gateway.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	for drained := false; !drained; {
		select {
		case e, ok := <-l.ch:
			if !ok {
				drained = true
				break
			}
			l.events = append(l.events, e)
		default:
			drained = true
		}
	}
	var out []gateway.Event
	for _, e := range l.events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// startLab serves yaml (with extra plugin config lines) through gateway.New on a loopback
// listener whose address is known before the config is rendered, so DECK_NGROK_HOST can name it.
func startLab(t testing.TB, emuCfg emulator.Config, extra string, edit func(yaml string, emu *emulator.Server) string) *lab {
	t.Helper()
	return startLabOn(t, "127.0.0.1", emuCfg, extra, edit)
}

// startLabOn names the gateway by host ("localhost" puts it on another site than the
// emulator's 127.0.0.1, so the form_post callback is cross-site).
func startLabOn(t testing.TB, host string, emuCfg emulator.Config, extra string, edit func(yaml string, emu *emulator.Server) string) *lab {
	t.Helper()
	emu := emulatortest.Start(t, emuCfg)
	srv := httptest.NewUnstartedServer(nil)
	gwURL := "http://" + strings.Replace(srv.Listener.Addr().String(), "127.0.0.1", host, 1)
	if err := emu.AddClient(emulator.Client{
		ID: e2eClientID, Secret: e2eClientSecret, Type: emulator.ClientWeb,
		RedirectURIs:           []string{gwURL + "/anything"},
		PostLogoutRedirectURIs: []string{gwURL + "/"},
		AssignAll:              true,
	}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DECK_ISSUER_URL", emu.Issuer())
	t.Setenv("DECK_OKTA_CLIENT_ID", e2eClientID)
	t.Setenv("DECK_OKTA_CLIENT_SECRET", e2eClientSecret)
	t.Setenv("DECK_NGROK_HOST", gwURL+"/anything")
	yaml := tutorialYAML + extra
	if edit != nil {
		yaml = edit(yaml, emu)
	}
	plugins := gateway.Plugins{oidc.Name: oidc.New}
	cfg := gatewaytest.Load(t, yaml, plugins)
	bus := gateway.NewBus()
	events, unsubscribe := bus.Subscribe(4096)
	l := &lab{gwURL: gwURL, emu: emu, ch: events}
	t.Cleanup(unsubscribe)
	gw, err := gateway.New(cfg, gateway.Options{Bus: bus, Plugins: plugins, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = gw
	srv.Start()
	t.Cleanup(srv.Close)
	return l
}

func newDriver(t testing.TB) *browser.HTTP {
	d, err := browser.NewHTTP(browser.HTTPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

var demo = browser.Credentials{Username: emulator.DemoUserLogin, Password: emulator.DemoUserPassword}

// httpbinEcho is the part of the echo upstream's answer the tests read.
type httpbinEcho struct {
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers"`
	Form    map[string]any    `json:"form"`
	URL     string            `json:"url"`
}

func readEcho(t *testing.T, res *browser.Result) httpbinEcho {
	t.Helper()
	var e httpbinEcho
	if res.Status != http.StatusOK || json.Unmarshal([]byte(res.Body), &e) != nil {
		t.Fatalf("not the echo upstream: %d %.200s", res.Status, res.Body)
	}
	return e
}

// Done means: the tutorial's decK file, pointed at the emulator, logs the demo user in
// (form_post, PKCE, client_secret_basic) and every new page load goes back through the IdP.
func TestE2ETutorial(t *testing.T) {
	l := startLab(t, emulator.Default(), "", nil)
	d := newDriver(t)
	res, err := d.Login(t.Context(), l.gwURL+"/anything", demo)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	e := readEcho(t, res)
	if e.Method != http.MethodPost {
		t.Errorf("upstream saw %s, want the callback POST", e.Method)
	}
	if !strings.HasPrefix(e.Headers["Authorization"], "Bearer ") {
		t.Errorf("no access token upstream: %v", e.Headers["Authorization"])
	}
	if _, ok := e.Form["code"]; ok {
		t.Error("code reached the upstream")
	}
	if len(l.of(oidc.EventIDTokenVerified)) != 1 {
		t.Fatalf("id token not verified once")
	}
	// No session: the next page load goes through the IdP again (silently, thanks to its SSO).
	res, err = d.Get(t.Context(), l.gwURL+"/anything")
	if err != nil {
		t.Fatal(err)
	}
	readEcho(t, res)
	if n := len(l.of(oidc.EventLoginStarted)); n != 2 {
		t.Errorf("%d logins started, want 2 (no session)", n)
	}
	if _, ok := res.Cookie("session"); ok {
		t.Error("a session cookie was issued without session in auth_methods")
	}
}

func TestE2ESessionAndLogout(t *testing.T) {
	extra := `      logout_uri_suffix: /logout
      logout_methods: [GET, POST]
      logout_redirect_uri: ["${{ env "DECK_NGROK_HOST" }}/../"]
      scopes_required: ["openid email"]
      scopes_claim: [scp]
      session_secret: e2e-session-secret
`
	l := startLab(t, emulator.Default(), extra, func(y string, _ *emulator.Server) string {
		return strings.Replace(y, "        - authorization_code\n", "        - authorization_code\n        - session\n", 1)
	})
	d := newDriver(t)
	if _, err := d.Login(t.Context(), l.gwURL+"/anything", demo); err != nil {
		t.Fatalf("login: %v", err)
	}
	res, err := d.Get(t.Context(), l.gwURL+"/anything/again")
	if err != nil {
		t.Fatal(err)
	}
	e := readEcho(t, res)
	if e.Method != http.MethodGet || !strings.HasPrefix(e.Headers["Authorization"], "Bearer ") {
		t.Errorf("session request: %s %q", e.Method, e.Headers["Authorization"])
	}
	if strings.Contains(e.Headers["Cookie"], "session=") {
		t.Error("the session cookie reached the upstream")
	}
	if n := len(l.of(oidc.EventLoginStarted)); n != 1 {
		t.Errorf("%d logins, want 1: the session should keep the user logged in", n)
	}
	res, _ = d.Get(t.Context(), l.gwURL+"/anything/logout")
	if len(l.of(oidc.EventLogout)) != 1 {
		t.Fatalf("no logout event (hops %+v)", res.Hops)
	}
	if _, ok := res.Cookie("session"); ok {
		t.Error("session cookie survived logout")
	}
}

func TestE2EForbiddenScopes(t *testing.T) {
	l := startLab(t, emulator.Default(), "      scopes_required: [admin]\n      scopes_claim: [scp]\n", nil)
	d := newDriver(t)
	res, _ := d.Login(t.Context(), l.gwURL+"/anything", demo)
	if res == nil || res.Status != http.StatusForbidden || !strings.Contains(res.Body, "Forbidden") {
		t.Fatalf("want 403, got %+v", res)
	}
	if ev := l.of(oidc.EventAuthFailed); len(ev) == 0 || !strings.Contains(ev[len(ev)-1].Explain, "scopes_required") {
		t.Errorf("not explained: %+v", ev)
	}
}

func TestE2EPolicyEvaluationFailed(t *testing.T) {
	cfg := emulator.Default()
	// A custom authorization server with no access policy, as a new Okta server.
	cfg.AuthServers = append(cfg.AuthServers, emulator.AuthServer{ID: "aus0e2enopolicy00001", Name: "no policy", Audiences: []string{"api://x"}})
	l := startLab(t, cfg, "", func(y string, emu *emulator.Server) string {
		return strings.Replace(y, `${{ env "DECK_ISSUER_URL" }}`, emu.IssuerFor("aus0e2enopolicy00001"), 1)
	})
	d := newDriver(t)
	res, _ := d.Login(t.Context(), l.gwURL+"/anything", demo)
	if res == nil || res.Status != http.StatusUnauthorized {
		t.Fatalf("want 401, got %+v", res)
	}
	ev := l.of(oidc.EventCallbackReceived)
	if len(ev) == 0 || !strings.Contains(ev[len(ev)-1].Explain, "access policy") || ev[len(ev)-1].Reason != oidc.ReasonNoMatchingPolicy {
		t.Errorf("explanation: %+v", ev)
	}
}

// Starting on localhost while redirect_uri is 127.0.0.1: the browser keeps the state cookie on
// localhost, the callback comes without it, and the event says exactly that.
func TestE2EHostMismatchExplained(t *testing.T) {
	l := startLab(t, emulator.Default(), "", nil)
	d := newDriver(t)
	start := strings.Replace(l.gwURL, "127.0.0.1", "localhost", 1) + "/anything"
	_, err := d.Login(t.Context(), start, demo)
	if err == nil {
		t.Fatal("login succeeded although the state cookie cannot reach the callback host")
	}
	var found bool
	for _, e := range l.of(oidc.EventLoginStarted) {
		if strings.Contains(e.Explain, "you started on localhost but the redirect_uri is 127.0.0.1") {
			found = true
		}
	}
	for _, e := range l.of(oidc.EventCallbackReceived) {
		if strings.Contains(e.Explain, "started on localhost") {
			found = true
		}
	}
	if !found {
		t.Errorf("the host mismatch was not explained")
	}
	var le *browser.LoginError
	if !errors.As(err, &le) {
		t.Errorf("login error %v is not a *browser.LoginError", err)
	}
}

func TestE2EMutatedTokensRejected(t *testing.T) {
	for _, m := range []emulator.Mutation{
		{WrongIssuer: true}, {WrongAudience: true}, {WrongNonce: true}, {Expired: true},
		{BadSignature: true}, {WrongAtHash: true}, {UnknownKeyID: true}, {IssuedInFuture: true},
	} {
		l := startLab(t, emulator.Default(), "", nil)
		l.emu.SetTokenMutation(m)
		d := newDriver(t)
		res, _ := d.Login(t.Context(), l.gwURL+"/anything", demo)
		if res == nil || res.Status != http.StatusUnauthorized {
			t.Errorf("%+v: want 401, got %+v", m, res)
			continue
		}
		if len(l.of(oidc.EventIDTokenRejected)) != 1 {
			t.Errorf("%+v: no id_token_rejected event: %+v", m, l.of(oidc.EventAuthFailed))
		}
		// One refusal, one event: the rejection is not repeated as auth_failed.
		if ev := l.of(oidc.EventAuthFailed); len(ev) != 0 {
			t.Errorf("%+v: the rejection was also published as auth_failed: %+v", m, ev)
		}
		if ev := l.of(oidc.EventIDTokenRejected); len(ev) == 1 && (ev[0].Reason == "" || ev[0].AnsweredBy != gateway.AnsweredByPlugin) {
			t.Errorf("%+v: rejection without a reason or answerer: %+v", m, ev[0])
		}
	}
}
