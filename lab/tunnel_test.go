package lab_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/labtest"
	"github.com/oidclab/oidclab/lab/tutorial"
	"github.com/oidclab/oidclab/scenarios/browser"
	"github.com/oidclab/oidclab/tunnel"
	"github.com/oidclab/oidclab/tunnel/tunneltest"
)

// The none provider through the lab's public-listener hook: its loopback URL is the public URL,
// the IdP registers it, a login through it works, and Shutdown ends it.
func TestNoneTunnelEndToEnd(t *testing.T) {
	var opened tunnel.Tunnel
	expose := func(ctx context.Context) (lab.Exposure, error) {
		tn, err := tunnel.None{}.Open(ctx, tunnel.Config{})
		opened = tn
		return tn, err
	}
	l := labtest.Start(t, lab.Config{Expose: expose})
	if l.PublicURL() != opened.URL() || l.PublicURL() == l.ProxyURL() {
		t.Fatalf("public URL %q, tunnel %q, proxy %q", l.PublicURL(), opened.URL(), l.ProxyURL())
	}
	if got := l.IdP().RedirectURI; got != opened.URL()+tutorial.Path {
		t.Errorf("redirect URI %q, want the tunnel's", got)
	}
	res, err := newDriver(t).Login(t.Context(), l.PublicURL()+tutorial.Path, demo)
	if err != nil || res.Status != http.StatusOK || !strings.Contains(res.Body, "Bearer ") {
		t.Fatalf("login through the tunnel: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-opened.Done():
	default:
		t.Error("Shutdown returned with the tunnel still open")
	}
}

// tunnelTransport is the network between a browser and a fake tunnel: requests for the public
// https URL arrive, as plain http, at the tunnel's listener (ngrok terminates TLS the same way).
type tunnelTransport struct {
	public *url.URL
	addr   string
}

func (tt tunnelTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != tt.public.Host {
		return http.DefaultTransport.RoundTrip(r)
	}
	out := r.Clone(r.Context())
	out.URL.Scheme, out.URL.Host, out.Host = "http", tt.addr, tt.public.Host
	return http.DefaultTransport.RoundTrip(out)
}

// Requests through an exposure are https to the gateway, from the listener and not from any
// header: https redirect URI, Secure cookies.
func TestRequestsThroughATunnelAreHTTPS(t *testing.T) {
	fake := &tunneltest.Provider{}
	// With sessions on, so the session cookie shows the scheme the gateway saw.
	withSession := labtest.TutorialWith("        - authorization_code\n", "        - authorization_code\n        - session\n")
	l := labtest.Start(t, lab.Config{Deck: withSession, DeckName: "kong.yaml", Expose: lab.Tunnel(fake, tunnel.Config{})})
	tn := fake.Opened()[0]
	if l.PublicURL() != tunneltest.DefaultURL || l.IdP().RedirectURI != tunneltest.DefaultURL+tutorial.Path {
		t.Fatalf("public URL %q, redirect URI %q", l.PublicURL(), l.IdP().RedirectURI)
	}
	public, _ := url.Parse(tunneltest.DefaultURL)
	d, err := browser.NewHTTP(browser.HTTPOptions{Transport: tunnelTransport{public, tn.Addr().String()}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	res, err := d.Login(t.Context(), tunneltest.DefaultURL+tutorial.Path, demo)
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("login through the fake tunnel: %v", err)
	}
	if !strings.Contains(res.Body, "Ngrok-Skip-Browser-Warning") {
		t.Error("the scripted browser does not skip ngrok's warning page")
	}
	if len(res.Hops) < 2 || !strings.Contains(res.Hops[1].URL, "redirect_uri="+url.QueryEscape(tunneltest.DefaultURL+tutorial.Path)) {
		t.Errorf("the authorization request does not carry the https redirect URI: %+v", res.Hops)
	}
	var sawSession bool
	for _, c := range res.Cookies {
		if c.Domain == public.Hostname() {
			sawSession = sawSession || strings.HasPrefix(c.Name, "session")
			if !c.Secure {
				t.Errorf("cookie %s is not Secure over the tunnel", c.Name)
			}
		}
	}
	if !sawSession {
		t.Errorf("no session cookie for the tunnel's host: %+v", res.Cookies)
	}

	// A visitor claiming http in a forwarded header changes nothing: the listener decides.
	req, _ := http.NewRequest("GET", "http://"+tn.Addr().String()+tutorial.Path, nil)
	req.Host = public.Host
	req.Header.Set("X-Forwarded-Proto", "http")
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, url.QueryEscape("https://"+public.Host)) {
		t.Errorf("Location %q does not send the browser back over https", loc)
	}
}

// With no IdP of the lab's, an open tunnel provides DECK_NGROK_HOST unless the environment
// sets it: the tutorial's file runs unchanged.
func TestTunnelProvidesDeckNgrokHost(t *testing.T) {
	env := map[string]string{
		tutorial.EnvIssuer: "https://example.okta.com/oauth2/default", tutorial.EnvClientID: "id", tutorial.EnvClientSecret: "secret",
	}
	lookup := func(name string) (string, bool) { v, ok := env[name]; return v, ok }
	redirectOf := func(l *labtest.Lab) string {
		for _, p := range l.Gateway().Config().Plugins {
			if uris, ok := p.Config["redirect_uri"].([]any); ok && len(uris) > 0 {
				return uris[0].(string)
			}
		}
		return ""
	}
	l := labtest.Start(t, lab.Config{IdP: lab.IdPNone, Deck: tutorial.Deck, DeckName: "kong.yaml", LookupEnv: lookup, Expose: lab.Tunnel(&tunneltest.Provider{}, tunnel.Config{})})
	if got := redirectOf(l); got != tunneltest.DefaultURL+tutorial.Path {
		t.Errorf("redirect_uri %q, want the tunnel's", got)
	}
	env[tutorial.EnvRedirectURI] = "https://mine.example/anything"
	l = labtest.Start(t, lab.Config{IdP: lab.IdPNone, Deck: tutorial.Deck, DeckName: "kong.yaml", LookupEnv: lookup, Expose: lab.Tunnel(&tunneltest.Provider{}, tunnel.Config{})})
	if got := redirectOf(l); got != "https://mine.example/anything" {
		t.Errorf("redirect_uri %q, want the environment's", got)
	}
}

// The tunnel's reconnects and disconnects are in the lab's stream, with reasons and advice.
func TestTunnelEventsInTheStream(t *testing.T) {
	fake := &tunneltest.Provider{}
	l := labtest.Start(t, lab.Config{Expose: lab.Tunnel(fake, tunnel.Config{})})
	tn := fake.Opened()[0]
	tn.Send(tunnel.Event{Time: time.Now(), Kind: tunnel.EventReconnecting, Err: &tunnel.Error{Provider: "ngrok", Code: "ERR_NGROK_108", Message: "limit", Advice: tunnel.AdviceFor("ERR_NGROK_108")}})
	tn.Send(tunnel.Event{Time: time.Now(), Kind: tunnel.EventReconnected})
	tn.Send(tunnel.Event{Time: time.Now(), Kind: tunnel.EventDisconnected})
	var got []gateway.Event
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < 3 && time.Now().Before(deadline) {
		got = nil
		for _, e := range l.Events() {
			if strings.HasPrefix(string(e.Kind), "tunnel.") {
				got = append(got, e)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(got) != 3 {
		t.Fatalf("tunnel events: %+v", got)
	}
	if got[0].Kind != lab.EventTunnelReconnecting || got[0].Reason != lab.ReasonTunnelReconnecting || got[0].Explain != tunnel.AdviceFor("ERR_NGROK_108") || got[0].Attrs["code"] != "ERR_NGROK_108" {
		t.Errorf("reconnecting: %+v", got[0])
	}
	if got[1].Kind != lab.EventTunnelReconnected || got[1].Reason != "" {
		t.Errorf("reconnected: %+v", got[1])
	}
	if got[2].Kind != lab.EventTunnelDisconnected || got[2].Reason != lab.ReasonTunnelDisconnected || got[2].Explain == "" {
		t.Errorf("disconnected: %+v", got[2])
	}
	var n lab.Narrator
	if h, ok := n.Narrate(got[0]); !ok || !h.Failed() || !strings.Contains(h.Text(), "ERR_NGROK_108") {
		t.Errorf("narrated: %+v", h)
	}
}

// A tunnel that does not open stops the lab's start with the tunnel's own error.
func TestTunnelOpenErrorIsTyped(t *testing.T) {
	want := &tunnel.Error{Provider: "ngrok", Code: "ERR_NGROK_107", Advice: tunnel.AdviceFor("ERR_NGROK_107")}
	_, err := labtest.TryStart(t, lab.Config{Expose: lab.Tunnel(&tunneltest.Provider{Err: want}, tunnel.Config{})})
	var ee *lab.ExposeError
	var te *tunnel.Error
	if !errors.As(err, &ee) || !errors.As(err, &te) || te != want {
		t.Fatalf("err = %v", err)
	}
}

var _ net.Listener = (tunnel.Tunnel)(nil)
