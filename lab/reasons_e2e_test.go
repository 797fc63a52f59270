package lab_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc"
	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/labtest"
	"github.com/oidclab/oidclab/lab/tutorial"
	"github.com/oidclab/oidclab/okta"
	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/scenarios/browser"
)

// The tutorial file's lines the cases below edit.
const (
	deckIssuer   = `issuer: ${{ env "DECK_ISSUER_URL" }}`
	deckSecret   = `- ${{ env "DECK_OKTA_CLIENT_SECRET" }}`
	deckRedirect = `- ${{ env "DECK_NGROK_HOST" }}`
	deckScopes   = "        - profile\n"
	deckUpstream = "url: http://httpbin.konghq.com/anything"
)

// reasonCase provokes one failure through a real lab (embedded IdP, gateway, HTTP driver) and
// names the event of the hop that failed.
type reasonCase struct {
	name   string
	reason gateway.Reason
	kind   gateway.EventKind // the event that must carry the reason
	// endpoint narrows kind lab.EventIdPRequest to one of the IdP's endpoints.
	endpoint string
	// config returns the lab's configuration; nil is the tutorial on the embedded IdP.
	config func(t *testing.T) lab.Config
	// provoke drives the login (or whatever fails) against the running lab.
	provoke func(t *testing.T, l *labtest.Lab)
}

// TestReasonsEndToEnd provokes each reason a user of the tutorial can meet through the same
// engine the CLI and the TUI run, and checks that the lab's stream names it on the hop that
// failed, explains it, and adds Okta's console steps where Okta has a fix.
func TestReasonsEndToEnd(t *testing.T) {
	cases := []reasonCase{
		{
			// The user opens localhost while the redirect URI is 127.0.0.1: the browser keeps the
			// state cookie on localhost and the form_post callback arrives without it.
			name: "started on the other loopback name", reason: oidc.ReasonStateCookieMissing, kind: oidc.EventCallbackReceived,
			provoke: func(t *testing.T, l *labtest.Lab) {
				start := strings.Replace(l.URL, "127.0.0.1", "localhost", 1) + tutorial.Path
				login(t, newDriver(t), start, demo)
			},
		},
		{
			// A callback whose state is not the pending login's (another tab, login CSRF): the
			// plugin sends the browser back to the IdP with the pending state and says why.
			name: "callback with another state", reason: oidc.ReasonStateMismatch, kind: oidc.EventLoginStarted,
			provoke: func(t *testing.T, l *labtest.Lab) {
				d := interceptingDriver(t, l, func(r *http.Request) *http.Request {
					return withFormField(t, r, "state", "not-the-pending-state")
				})
				login(t, d, l.URL+tutorial.Path, demo)
			},
		},
		mutation("ID token with another nonce", emulator.Mutation{WrongNonce: true}, oidc.ReasonNonceMismatch),
		mutation("expired ID token", emulator.Mutation{Expired: true}, oidc.ReasonIDTokenExpired),
		mutation("ID token issued in the future", emulator.Mutation{IssuedInFuture: true}, oidc.ReasonClockSkew),
		{
			// The IdP's clock runs an hour ahead of the gateway's: every token it issues is
			// dated in the gateway's future.
			name: "IdP clock ahead", reason: oidc.ReasonClockSkew, kind: oidc.EventIDTokenRejected,
			provoke: func(t *testing.T, l *labtest.Lab) {
				l.Emulator().SetClockOffset(time.Hour)
				login(t, newDriver(t), l.URL+tutorial.Path, demo)
			},
		},
		{
			// The decK file carries a secret the IdP does not know (a stale copy from the console).
			name: "wrong client secret", reason: oidc.ReasonClientAuthFailed, kind: oidc.EventAuthFailed,
			config: func(*testing.T) lab.Config {
				return lab.Config{Deck: labtest.TutorialWith(deckSecret, "- not-the-client-secret"), DeckName: "kong.yaml"}
			},
			provoke: loginDemo,
		},
		{
			// The code outlives its 60 seconds between the IdP and the token endpoint: the IdP's
			// clock jumps two minutes just as the browser posts the callback.
			name: "expired authorization code", reason: oidc.ReasonCodeInvalid, kind: oidc.EventAuthFailed,
			provoke: func(t *testing.T, l *labtest.Lab) {
				d := interceptingDriver(t, l, func(r *http.Request) *http.Request {
					l.Emulator().SetClockOffset(2 * time.Minute)
					return r
				})
				login(t, d, l.URL+tutorial.Path, demo)
			},
		},
		{
			// The plugin sends a redirect URI the app does not list: the IdP refuses at /authorize
			// with its own error page, so the failed hop is the IdP's.
			name: "redirect URI not registered", reason: oidc.ReasonRedirectURINotRegistered,
			kind: lab.EventIdPRequest, endpoint: emulator.EndpointAuthorize,
			config: func(*testing.T) lab.Config {
				return lab.Config{Deck: labtest.TutorialWith(deckRedirect, deckRedirect+"/not-registered"), DeckName: "kong.yaml"}
			},
			provoke: loginDemo,
		},
		{
			// The app has no assignment (Okta's default for a new app without Everyone).
			name: "user not assigned", reason: oidc.ReasonUserNotAssigned, kind: oidc.EventCallbackReceived,
			config: func(*testing.T) lab.Config {
				cfg := emulator.Default()
				cfg.Clients[0].AssignAll = false
				return lab.Config{IdPConfig: &cfg}
			},
			provoke: loginDemo,
		},
		{
			// A new custom authorization server has no access policy until one is added.
			name: "authorization server without a policy", reason: oidc.ReasonNoMatchingPolicy, kind: oidc.EventCallbackReceived,
			config: func(*testing.T) lab.Config {
				cfg := emulator.Default()
				cfg.AuthServers = append(cfg.AuthServers, emulator.AuthServer{ID: noPolicyServer, Name: "no policy", Audiences: []string{"api://x"}})
				return lab.Config{IdPConfig: &cfg}
			},
			provoke: func(t *testing.T, l *labtest.Lab) {
				// The server's issuer has the IdP's port, known only once the lab runs.
				deck := labtest.TutorialWith(deckIssuer, "issuer: "+l.Emulator().IssuerFor(noPolicyServer))
				if err := l.Apply(deck, "kong.yaml"); err != nil {
					t.Fatal(err)
				}
				login(t, newDriver(t), l.URL+tutorial.Path, demo)
			},
		},
		{
			// A scope the authorization server does not define.
			name: "scope the server does not have", reason: oidc.ReasonScopeNotAllowed, kind: oidc.EventCallbackReceived,
			config: func(*testing.T) lab.Config {
				return lab.Config{Deck: labtest.TutorialWith(deckScopes, deckScopes+"        - payroll:read\n"), DeckName: "kong.yaml"}
			},
			provoke: loginDemo,
		},
		{
			name: "discovery answers 500", reason: oidc.ReasonDiscoveryFailed, kind: gateway.EventError,
			provoke: func(t *testing.T, l *labtest.Lab) {
				setFault(t, l, emulator.EndpointDiscovery, emulator.Fault{Status: http.StatusInternalServerError})
				login(t, newDriver(t), l.URL+tutorial.Path, demo)
			},
		},
		{
			name: "signing keys answer 500", reason: oidc.ReasonJWKSFailed, kind: oidc.EventIDTokenRejected,
			provoke: func(t *testing.T, l *labtest.Lab) {
				setFault(t, l, emulator.EndpointKeys, emulator.Fault{Status: http.StatusInternalServerError})
				login(t, newDriver(t), l.URL+tutorial.Path, demo)
			},
		},
		{
			// The token endpoint answers after the plugin's timeout (milliseconds); the IdP stops
			// waiting when the plugin hangs up, so the case lasts about the timeout.
			name: "token endpoint slower than the timeout", reason: oidc.ReasonIdPTimeout, kind: oidc.EventAuthFailed,
			config: func(*testing.T) lab.Config {
				return lab.Config{Deck: labtest.Tutorial("      timeout: 1000\n"), DeckName: "kong.yaml"}
			},
			provoke: func(t *testing.T, l *labtest.Lab) {
				setFault(t, l, emulator.EndpointToken, emulator.Fault{Delay: 10 * time.Second})
				login(t, newDriver(t), l.URL+tutorial.Path, demo)
			},
		},
		{
			// The service's url names a port nobody listens on: the login works, the upstream
			// does not answer the callback's proxied request.
			name: "upstream down", reason: gateway.ReasonUpstreamUnreachable, kind: gateway.EventRequestFinished,
			config: func(t *testing.T) lab.Config {
				return lab.Config{Deck: labtest.TutorialWith(deckUpstream, "url: http://"+closedPort(t)+"/anything"), DeckName: "kong.yaml"}
			},
			provoke: loginDemo,
		},
		{
			name: "wrong password", reason: lab.ReasonLoginFailed, kind: lab.EventIdPRequest, endpoint: emulator.EndpointLogin,
			provoke: func(t *testing.T, l *labtest.Lab) {
				login(t, newDriver(t), l.URL+tutorial.Path, browser.Credentials{Username: emulator.DemoUserLogin, Password: "not-the-password"})
			},
		},
	}
	// The reasons a tutorial user meets most: each must keep a case here.
	covered := map[gateway.Reason]bool{}
	for _, tc := range cases {
		covered[tc.reason] = true
	}
	for _, r := range []gateway.Reason{
		oidc.ReasonStateCookieMissing, oidc.ReasonStateMismatch, oidc.ReasonNonceMismatch, oidc.ReasonIDTokenExpired,
		oidc.ReasonClockSkew, oidc.ReasonClientAuthFailed, oidc.ReasonCodeInvalid, oidc.ReasonRedirectURINotRegistered,
		oidc.ReasonUserNotAssigned, oidc.ReasonNoMatchingPolicy, oidc.ReasonScopeNotAllowed, oidc.ReasonDiscoveryFailed,
		oidc.ReasonJWKSFailed, oidc.ReasonIdPTimeout, gateway.ReasonUpstreamUnreachable, lab.ReasonLoginFailed,
	} {
		if !covered[r] {
			t.Errorf("no case provokes %s", r)
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var cfg lab.Config
			if tc.config != nil {
				cfg = tc.config(t)
			}
			l := labtest.Start(t, cfg)
			tc.provoke(t, l)
			checkReason(t, l.Events(), tc)
		})
	}
}

const noPolicyServer = "aus0e2enopolicy00001"

// checkReason: the stream carries tc.reason and no other; the event of the failed hop carries
// it with an explanation, and Okta's console steps when Okta has a fix for it.
func checkReason(t *testing.T, events []gateway.Event, tc reasonCase) {
	t.Helper()
	var hop *gateway.Event
	for i, e := range events {
		if e.Reason == "" {
			continue
		}
		if e.Reason != tc.reason {
			t.Errorf("the stream carries %q on %s %s (%s), want only %q", e.Reason, e.Kind, e.Path, e.Message, tc.reason)
			continue
		}
		if hop == nil && e.Kind == tc.kind && (tc.endpoint == "" || e.Attrs["endpoint"] == tc.endpoint) {
			hop = &events[i]
		}
	}
	if hop == nil {
		for _, e := range events {
			t.Logf("%s %v %s %d %q %s", e.Kind, e.Attrs["endpoint"], e.Path, e.Status, e.Reason, e.Message)
		}
		t.Fatalf("no %s event carries %q", tc.kind, tc.reason)
	}
	if hop.Explain == "" {
		t.Errorf("%s %q has no explanation", hop.Kind, hop.Reason)
	}
	if advice := okta.Advice(string(tc.reason)); advice != "" && !strings.Contains(hop.Explain, advice) {
		t.Errorf("%s %q: the explanation lacks Okta's steps:\n%s", hop.Kind, hop.Reason, hop.Explain)
	}
}

// mutation is a case where the IdP issues a corrupted ID token and the plugin rejects it.
func mutation(name string, m emulator.Mutation, reason gateway.Reason) reasonCase {
	return reasonCase{
		name: name, reason: reason, kind: oidc.EventIDTokenRejected,
		provoke: func(t *testing.T, l *labtest.Lab) {
			l.Emulator().SetTokenMutation(m)
			login(t, newDriver(t), l.URL+tutorial.Path, demo)
		},
	}
}

func loginDemo(t *testing.T, l *labtest.Lab) { login(t, newDriver(t), l.URL+tutorial.Path, demo) }

// login runs a login that is meant to fail somewhere: its error is the case's subject, which
// the stream reports; only a hang would be a test failure, and the context bounds it.
func login(t *testing.T, d *browser.HTTP, start string, creds browser.Credentials) {
	t.Helper()
	if _, err := d.Login(t.Context(), start, creds); err != nil {
		t.Logf("login: %v", err)
	}
}

func setFault(t *testing.T, l *labtest.Lab, endpoint string, f emulator.Fault) {
	t.Helper()
	if err := l.Emulator().SetFault(endpoint, f); err != nil {
		t.Fatal(err)
	}
}

// closedPort returns a loopback address nobody listens on (it was free a moment ago).
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// interceptingDriver is an HTTP driver that passes the first POST to the gateway's redirect URI
// (the IdP's form_post callback) through edit, as a proxy or a second tab could change it.
func interceptingDriver(t *testing.T, l *labtest.Lab, edit func(*http.Request) *http.Request) *browser.HTTP {
	t.Helper()
	u, err := url.Parse(l.URL)
	if err != nil {
		t.Fatal(err)
	}
	it := &interceptor{rt: http.DefaultTransport, host: u.Host, edit: edit}
	d, err := browser.NewHTTP(browser.HTTPOptions{Transport: it})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

type interceptor struct {
	rt   http.RoundTripper
	host string
	edit func(*http.Request) *http.Request
	once sync.Once
}

func (it *interceptor) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && r.URL.Host == it.host && r.URL.Path == tutorial.Path {
		it.once.Do(func() { r = it.edit(r) })
	}
	return it.rt.RoundTrip(r)
}

// withFormField returns r with one field of its form body replaced.
func withFormField(t *testing.T, r *http.Request, name, value string) *http.Request {
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		t.Error(err)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		t.Errorf("callback body: %v", err)
	}
	form.Set(name, value)
	enc := form.Encode()
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(strings.NewReader(enc))
	r2.ContentLength = int64(len(enc))
	r2.Header.Set("Content-Length", strconv.Itoa(len(enc)))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(enc)), nil }
	return r2
}
