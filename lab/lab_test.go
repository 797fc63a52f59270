package lab_test

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/deck"
	"github.com/oidclab/oidclab/gateway/oidc"
	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/labtest"
	"github.com/oidclab/oidclab/lab/tutorial"
	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/scenarios/browser"
)

var demo = browser.Credentials{Username: emulator.DemoUserLogin, Password: emulator.DemoUserPassword}

func newDriver(t testing.TB) *browser.HTTP {
	d, err := browser.NewHTTP(browser.HTTPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// step is what the test expects of one event of the stream: its kind and, for the IdP's
// requests, the endpoint.
type step struct {
	kind     gateway.EventKind
	endpoint string
}

func (s step) String() string {
	if s.endpoint != "" {
		return string(s.kind) + ":" + s.endpoint
	}
	return string(s.kind)
}

func stepOf(e gateway.Event) step {
	s := step{kind: e.Kind}
	if e.Kind == lab.EventIdPRequest {
		s.endpoint, _ = e.Attrs["endpoint"].(string)
	}
	return s
}

// The tutorial's login through the lab yields one ordered stream with the IdP's side in it:
// a subscriber sees the whole login without polling.
func TestTutorialLoginStream(t *testing.T) {
	l := labtest.Start(t, lab.Config{})
	res, err := newDriver(t).Login(t.Context(), l.URL+tutorial.Path, demo)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if res.Status != http.StatusOK || !strings.Contains(res.Body, "Bearer ") {
		t.Fatalf("the login did not reach the upstream with a token: %d", res.Status)
	}
	var got []string
	for _, e := range l.Events() {
		got = append(got, stepOf(e).String())
		if e.Status != 0 && e.AnsweredBy == "" {
			t.Errorf("%s %s %d says nobody answered", e.Kind, e.Path, e.Status)
		}
		if e.Reason != "" {
			t.Errorf("a clean login published a failure: %+v", e)
		}
	}
	want := []string{
		"idp.request:discovery",                  // the plugin discovers the issuer on first use
		"oidc.login_started", "request.finished", // GET /anything: 302 to the IdP
		"idp.request:authorize",                                       // to the sign-in page
		"idp.request:login", "idp.request:login", "idp.request:login", // page, identifier, password
		"oidc.callback_received", // the form_post back
		"idp.request:token", "oidc.token_exchanged",
		"idp.request:keys", "oidc.id_token_verified",
		"request.finished", // the callback POST reached the upstream
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("stream:\n got %v\nwant %v", got, want)
	}
	// The IdP's request log redacts with the project's one marker.
	for _, rec := range l.Emulator().Requests() {
		if rec.Endpoint == emulator.EndpointToken && rec.Params["code"] != deck.Redacted {
			t.Errorf("the token request's code is logged as %q, want %q", rec.Params["code"], deck.Redacted)
		}
	}
}

func TestStartErrorsAreTyped(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	t.Run("proxy port in use", func(t *testing.T) {
		_, err := labtest.TryStart(t, lab.Config{Listen: busy.Addr().String()})
		var le *lab.ListenError
		if !errors.As(err, &le) || le.Role != "proxy" || !le.InUse() {
			t.Fatalf("err = %v, want a proxy ListenError in use", err)
		}
	})
	t.Run("idp port in use", func(t *testing.T) {
		_, err := labtest.TryStart(t, lab.Config{IdPListen: busy.Addr().String()})
		var le *lab.ListenError
		if !errors.As(err, &le) || le.Role != "idp" || !le.InUse() {
			t.Fatalf("err = %v, want an idp ListenError in use", err)
		}
	})
	t.Run("every deck problem with lines", func(t *testing.T) {
		src := []byte("_format_version: \"3.0\"\nservices:\n  - name: a\n    url: ftp://x\n  - name: a\n    url: http://y\n")
		_, err := labtest.TryStart(t, lab.Config{Deck: src, DeckName: "bad.yaml", IdP: lab.IdPNone})
		var de *lab.DeckError
		var problems *deck.Errors
		if !errors.As(err, &de) || !errors.As(err, &problems) || len(problems.Problems) < 2 {
			t.Fatalf("err = %v, want a DeckError with every problem", err)
		}
		if !strings.Contains(err.Error(), "(line 5)") {
			t.Errorf("no line: %v", err)
		}
	})
	t.Run("tutorial variables unset", func(t *testing.T) {
		_, err := labtest.TryStart(t, lab.Config{Deck: tutorial.Deck, DeckName: "kong.yaml", IdP: lab.IdPNone})
		var de *lab.DeckError
		if !errors.As(err, &de) || len(de.MissingTutorialEnv) != 4 {
			t.Fatalf("err = %v, want the four tutorial variables missing", err)
		}
	})
	t.Run("invalid config", func(t *testing.T) {
		_, err := labtest.TryStart(t, lab.Config{IdP: "okta-ish", Listen: "nope"})
		var ce *lab.InvalidConfigError
		if !errors.As(err, &ce) || len(ce.Problems) != 2 {
			t.Fatalf("err = %v, want both problems", err)
		}
	})
}

// Apply swaps the configuration live; a bad one leaves the running one in place.
func TestApply(t *testing.T) {
	l := labtest.Start(t, lab.Config{})
	noPlugin := []byte("_format_version: \"3.0\"\nservices:\n  - name: s\n    url: http://httpbin.konghq.com/anything\n    routes:\n      - name: r\n        paths: [/open]\n")
	if err := l.Apply(noPlugin, "open.yaml"); err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(l.URL + "/open")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("after Apply: %d", res.StatusCode)
	}
	var de *lab.DeckError
	if err := l.Apply([]byte("_format_version: \"9\"\n"), "bad.yaml"); !errors.As(err, &de) {
		t.Fatalf("bad config: %v", err)
	}
	if got := l.Gateway().Config().Source; got != "open.yaml" {
		t.Errorf("serving %q after a refused Apply", got)
	}
}

// The IdP's description never carries the client secret.
func TestIdPInfoHasNoSecret(t *testing.T) {
	cfg := emulator.Default()
	cfg.Clients[0].Secret = "a-very-recognisable-secret-0001"
	l := labtest.Start(t, lab.Config{IdPConfig: &cfg})
	info := l.IdP()
	if !info.Embedded || info.ClientID != emulator.DemoClientID || info.RedirectURI != l.URL+tutorial.Path {
		t.Errorf("IdP info: %+v", info)
	}
	if strings.Contains(strings.Join([]string{info.Issuer, info.ClientID, info.RedirectURI, info.Login, info.Password}, " "), cfg.Clients[0].Secret) {
		t.Error("the client secret is in the IdP info")
	}
	// The configured secret is the one the decK file got: the login works.
	if _, err := newDriver(t).Login(t.Context(), l.URL+tutorial.Path, demo); err != nil {
		t.Fatalf("login with a configured tutorial client: %v", err)
	}
	for _, e := range l.Of(oidc.EventTokenExchanged) {
		if strings.Contains(strings.Join(strings.Fields(e.Message), ""), cfg.Clients[0].Secret) {
			t.Error("secret in an event")
		}
	}
}
