package oidc_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc"
	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/labtest"
	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/scenarios/browser"
)

// e2eClientSecret is the tutorial client's secret in these tests: characters that
// client_secret_basic must form-encode (RFC 6749 2.3.1), so every login proves the encoding.
const e2eClientSecret = "e2e-secret-with:odd/chars+"

// e2eIdP is the embedded IdP's default org with the tutorial client's secret replaced; the lab
// keeps a configured tutorial client and registers the gateway's redirect URIs on it.
func e2eIdP() *emulator.Config {
	cfg := emulator.Default()
	cfg.Clients[0].Secret = e2eClientSecret
	return &cfg
}

// startLab starts a lab (the embedded IdP and the gateway on free loopback ports) serving
// deck, nil for the tutorial's file unchanged.
func startLab(t testing.TB, deck []byte) *labtest.Lab {
	t.Helper()
	return labtest.Start(t, lab.Config{Deck: deck, DeckName: "kong.yaml", IdPConfig: e2eIdP()})
}

// startLabOnLocalhost is startLab with the gateway named localhost: another site than the
// IdP's 127.0.0.1, so the form_post callback is cross-site.
func startLabOnLocalhost(t testing.TB, deck []byte) *labtest.Lab {
	t.Helper()
	return labtest.Start(t, lab.Config{Deck: deck, DeckName: "kong.yaml", IdPConfig: e2eIdP(), Listen: "localhost:0"})
}

// withSession adds session to the tutorial's auth_methods.
func withSession(deck []byte) []byte {
	return []byte(strings.Replace(string(deck), "        - authorization_code\n", "        - authorization_code\n        - session\n", 1))
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
	l := startLab(t, nil)
	d := newDriver(t)
	res, err := d.Login(t.Context(), l.URL+"/anything", demo)
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
	if len(l.Of(oidc.EventIDTokenVerified)) != 1 {
		t.Fatalf("id token not verified once")
	}
	// No session: the next page load goes through the IdP again (silently, thanks to its SSO).
	res, err = d.Get(t.Context(), l.URL+"/anything")
	if err != nil {
		t.Fatal(err)
	}
	readEcho(t, res)
	if n := len(l.Of(oidc.EventLoginStarted)); n != 2 {
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
	l := startLab(t, withSession(labtest.Tutorial(extra)))
	d := newDriver(t)
	if _, err := d.Login(t.Context(), l.URL+"/anything", demo); err != nil {
		t.Fatalf("login: %v", err)
	}
	res, err := d.Get(t.Context(), l.URL+"/anything/again")
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
	if n := len(l.Of(oidc.EventLoginStarted)); n != 1 {
		t.Errorf("%d logins, want 1: the session should keep the user logged in", n)
	}
	res, _ = d.Get(t.Context(), l.URL+"/anything/logout")
	if len(l.Of(oidc.EventLogout)) != 1 {
		t.Fatalf("no logout event (hops %+v)", res.Hops)
	}
	if _, ok := res.Cookie("session"); ok {
		t.Error("session cookie survived logout")
	}
}

func TestE2EForbiddenScopes(t *testing.T) {
	l := startLab(t, labtest.Tutorial("      scopes_required: [admin]\n      scopes_claim: [scp]\n"))
	d := newDriver(t)
	res, _ := d.Login(t.Context(), l.URL+"/anything", demo)
	if res == nil || res.Status != http.StatusForbidden || !strings.Contains(res.Body, "Forbidden") {
		t.Fatalf("want 403, got %+v", res)
	}
	if ev := l.Of(oidc.EventAuthFailed); len(ev) == 0 || !strings.Contains(ev[len(ev)-1].Explain, "scopes_required") {
		t.Errorf("not explained: %+v", ev)
	}
}

func TestE2EPolicyEvaluationFailed(t *testing.T) {
	cfg := e2eIdP()
	// A custom authorization server with no access policy, as a new Okta server.
	cfg.AuthServers = append(cfg.AuthServers, emulator.AuthServer{ID: "aus0e2enopolicy00001", Name: "no policy", Audiences: []string{"api://x"}})
	l := labtest.Start(t, lab.Config{IdPConfig: cfg})
	// The server's issuer has the IdP's port, known once the lab runs.
	deck := labtest.TutorialWith(`${{ env "DECK_ISSUER_URL" }}`, l.Emulator().IssuerFor("aus0e2enopolicy00001"))
	if err := l.Apply(deck, "kong.yaml"); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t)
	res, _ := d.Login(t.Context(), l.URL+"/anything", demo)
	if res == nil || res.Status != http.StatusUnauthorized {
		t.Fatalf("want 401, got %+v", res)
	}
	ev := l.Of(oidc.EventCallbackReceived)
	if len(ev) == 0 || !strings.Contains(ev[len(ev)-1].Explain, "access policy") || ev[len(ev)-1].Reason != oidc.ReasonNoMatchingPolicy {
		t.Errorf("explanation: %+v", ev)
	}
}

// Starting on localhost while redirect_uri is 127.0.0.1: the browser keeps the state cookie on
// localhost, the callback comes without it, and the event says exactly that.
func TestE2EHostMismatchExplained(t *testing.T) {
	l := startLab(t, nil)
	d := newDriver(t)
	start := strings.Replace(l.URL, "127.0.0.1", "localhost", 1) + "/anything"
	_, err := d.Login(t.Context(), start, demo)
	if err == nil {
		t.Fatal("login succeeded although the state cookie cannot reach the callback host")
	}
	var found bool
	for _, e := range l.Of(oidc.EventLoginStarted) {
		if strings.Contains(e.Explain, "you started on localhost but the redirect_uri is 127.0.0.1") {
			found = true
		}
	}
	for _, e := range l.Of(oidc.EventCallbackReceived) {
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
		l := startLab(t, nil)
		l.Emulator().SetTokenMutation(m)
		d := newDriver(t)
		res, _ := d.Login(t.Context(), l.URL+"/anything", demo)
		if res == nil || res.Status != http.StatusUnauthorized {
			t.Errorf("%+v: want 401, got %+v", m, res)
			continue
		}
		if len(l.Of(oidc.EventIDTokenRejected)) != 1 {
			t.Errorf("%+v: no id_token_rejected event: %+v", m, l.Of(oidc.EventAuthFailed))
		}
		// One refusal, one event: the rejection is not repeated as auth_failed.
		if ev := l.Of(oidc.EventAuthFailed); len(ev) != 0 {
			t.Errorf("%+v: the rejection was also published as auth_failed: %+v", m, ev)
		}
		if ev := l.Of(oidc.EventIDTokenRejected); len(ev) == 1 && (ev[0].Reason == "" || ev[0].AnsweredBy != gateway.AnsweredByPlugin) {
			t.Errorf("%+v: rejection without a reason or answerer: %+v", m, ev[0])
		}
	}
}
