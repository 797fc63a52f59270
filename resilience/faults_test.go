package resilience_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc"
	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/labtest"
	"github.com/oidclab/oidclab/lab/tutorial"
	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/tunnel"
	"github.com/oidclab/oidclab/tunnel/tunneltest"
)

// switchedIdP is an emulator behind a switch: while down, every connection is accepted and
// closed unanswered, as a crashed or restarting IdP behind a load balancer looks.
type switchedIdP struct {
	*emulator.Server
	down     atomic.Bool
	refused  atomic.Int64
	issuer   string
	shutdown func()
}

var idpKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func startSwitchedIdP(t *testing.T) *switchedIdP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := emulator.Default()
	cfg.Clients = nil // the tutorial client is added once the gateway's address is known
	emu, err := emulator.New(cfg, emulator.Options{BaseURL: base, SigningKey: idpKey()})
	if err != nil {
		t.Fatal(err)
	}
	s := &switchedIdP{Server: emu, issuer: emu.Issuer()}
	h := emu.Handler()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.down.Load() {
			s.refused.Add(1)
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		h.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// TestIdPDownAtStart: the gateway starts while its IdP is down, answers every login with an
// explained 500 (discovery_failed), and recovers by itself once the IdP is back: no restart,
// no configuration change, only the plugin's own retry (one second of its clock later).
func TestIdPDownAtStart(t *testing.T) {
	attempts := size(3, 20)
	idp := startSwitchedIdP(t)
	idp.down.Store(true)
	l := startLab(t, lab.Config{IdP: lab.IdPExternal, External: lab.External{
		Issuer: idp.issuer, ClientID: emulator.DemoClientID, ClientSecret: clientSecret,
	}})
	client := tutorial.Client(l.URL)
	client.Secret = clientSecret
	if err := idp.AddClient(client); err != nil {
		t.Fatal(err)
	}

	hc := noRedirects(30 * time.Second)
	for i := range attempts {
		if i > 0 {
			l.AdvanceClock(2 * time.Second) // past the plugin's retry gate: each request asks the IdP
		}
		resp, err := hc.Get(l.URL + tutorial.Path)
		if err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
		var body struct{ Message string }
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusInternalServerError || body.Message == "" {
			t.Fatalf("attempt %d with the IdP down: %d %q, want Kong's 500 with a message", i, resp.StatusCode, body.Message)
		}
	}
	var explained int
	for _, e := range l.Of(gateway.EventError) {
		if e.Reason == oidc.ReasonDiscoveryFailed && e.Explain != "" {
			explained++
		}
	}
	if explained != attempts {
		t.Errorf("%d explained discovery_failed events, want %d", explained, attempts)
	}
	if idp.refused.Load() == 0 {
		t.Fatal("the gateway never reached the switched-off IdP")
	}

	idp.down.Store(false)
	l.AdvanceClock(2 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := freshLogin(ctx, l.URL); err != nil {
		t.Fatalf("no recovery once the IdP is back: %v", err)
	}
	t.Logf("idp down at start: %d logins answered with an explained 500 (%d connections refused), then recovered by itself: 1 login, 0 errors",
		attempts, idp.refused.Load())
}

// TestIdPSlow: a token endpoint slower than the plugin's timeout ends each login with an
// explained idp_timeout, within the timeout (not the IdP's delay), and leaves no goroutine
// behind; the next login, once the IdP is fast again, works.
func TestIdPSlow(t *testing.T) {
	logins := size(3, 10)
	// 3 s: generous for a fast token call under -race on a loaded machine, short next to the
	// IdP's 30 s delay, which is what a missing bound would wait for.
	l := startLab(t, lab.Config{Deck: labtest.Tutorial("      timeout: 3000\n")})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := freshLogin(ctx, l.URL); err != nil { // discovery and keys loaded: the baseline
		t.Fatal(err)
	}
	baseline := settleGoroutines(0, 500*time.Millisecond)

	if err := l.Emulator().SetFault(emulator.EndpointToken, emulator.Fault{Delay: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var succeeded, hung atomic.Int64
	for range logins {
		wg.Go(func() {
			// Less than the IdP's delay: a login that waits for the slow IdP counts as hung.
			ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
			defer cancel()
			err := freshLogin(ctx, l.URL)
			switch {
			case err == nil:
				succeeded.Add(1)
			case ctx.Err() != nil:
				hung.Add(1)
			}
		})
	}
	wg.Wait()
	if succeeded.Load() != 0 || hung.Load() != 0 {
		t.Fatalf("with the token endpoint slower than the timeout: %d logins succeeded, %d hung", succeeded.Load(), hung.Load())
	}
	var timeouts int
	for _, e := range l.Of(oidc.EventAuthFailed) {
		if e.Reason == oidc.ReasonIdPTimeout && e.Explain != "" {
			timeouts++
		}
	}
	if timeouts != logins {
		t.Errorf("%d explained idp_timeout failures, want %d", timeouts, logins)
	}

	l.Emulator().ClearFaults()
	if err := freshLogin(ctx, l.URL); err != nil {
		t.Fatalf("no recovery once the IdP is fast again: %v", err)
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	margin := 10 // keep-alive connections of the lab's own clients come and go
	left := settleGoroutines(baseline+margin, 10*time.Second)
	if left > baseline+margin {
		t.Errorf("goroutines: %d before the slow logins, %d after (margin %d): a leak", baseline, left, margin)
	}
	t.Logf("idp slow: %d logins bounded by the 3 s timeout (idp_timeout, explained), %d hung, goroutines %d→%d, then 1 login, 0 errors",
		logins, hung.Load(), baseline, left)
}

// TestKeyRotatedMidRun: the IdP switches signing keys while session clients keep requesting
// and new users keep logging in: no request and no login fails.
func TestKeyRotatedMidRun(t *testing.T) {
	rotations := size(2, 10)
	l := startLab(t, lab.Config{Deck: sessionDeck()})
	cookies := loginCookies(t, l)
	var ty tally
	stop := make(chan struct{})
	wait := hammer(l.URL, cookies, size(5, 20), stop, &ty)
	logins := 0
	login := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		logins++
		if err := freshLogin(ctx, l.URL); err != nil {
			ty.fail("login %d: %v", logins, err)
		}
	}
	for range rotations {
		login()
		if err := l.Emulator().RotateKeys(); err != nil {
			t.Fatal(err)
		}
		login() // signed with the new key: the plugin refetches the JWKS
		// Past the plugin's refetch gate (rediscovery_lifetime, 30 s): Kong's own limit on how
		// often an unknown key id may make it refetch, which a second rotation within it hits.
		l.AdvanceClock(31 * time.Second)
	}
	close(stop)
	wait()
	t.Logf("key rotation: %d rotations survived under %d session requests and %d logins, %d errors",
		rotations, ty.ok.Load()+ty.failed.Load(), logins, ty.failed.Load())
	if ty.failed.Load() != 0 {
		t.Errorf("%d failures: %s", ty.failed.Load(), &ty)
	}
}

// TestUpstreamDown: with the service's upstream refusing connections, session requests get
// Kong's 502 and its message, with the reason in the event; once the upstream is back (a new
// configuration), the same session works again.
func TestUpstreamDown(t *testing.T) {
	requests := size(5, 50)
	deck := sessionDeck()
	l := startLab(t, lab.Config{Deck: deck})
	cookies := loginCookies(t, l)
	down := strings.Replace(string(deck), "url: http://httpbin.konghq.com/anything", "url: http://"+reservePort(t)+"/anything", 1)
	if err := l.Apply([]byte(down), "kong.yaml"); err != nil {
		t.Fatal(err)
	}
	hc := noRedirects(30 * time.Second)
	get := func() (int, string) {
		req, _ := http.NewRequest(http.MethodGet, l.URL+tutorial.Path, nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for i := range requests {
		if status, body := get(); status != http.StatusBadGateway || !strings.Contains(body, "An invalid response was received from the upstream server") {
			t.Fatalf("request %d with the upstream down: %d %.200s, want Kong's 502", i, status, body)
		}
	}
	var unreachable int
	for _, e := range l.Of(gateway.EventRequestFinished) {
		if e.Reason == gateway.ReasonUpstreamUnreachable {
			unreachable++
		}
	}
	if unreachable != requests {
		t.Errorf("%d requests finished with upstream_unreachable, want %d", unreachable, requests)
	}
	if err := l.Apply(deck, "kong.yaml"); err != nil {
		t.Fatal(err)
	}
	if status, body := get(); status != http.StatusOK || !strings.Contains(body, `"Bearer `) {
		t.Fatalf("upstream back: %d %.200s", status, body)
	}
	t.Logf("upstream down: %d requests answered with Kong's 502 (upstream_unreachable), then the session served again, 0 errors", requests)
}

// TestConfigReplacedUnderLoad: the whole configuration is replaced through the admin API,
// again and again, while session clients keep requesting: no request in flight fails.
func TestConfigReplacedUnderLoad(t *testing.T) {
	replacements := size(6, 60)
	pause := size(100*time.Millisecond, 500*time.Millisecond)
	l := startLab(t, lab.Config{Deck: sessionDeck(), AdminListen: "127.0.0.1:0"})
	cookies := loginCookies(t, l)
	// The admin API renders no templates (as Kong's /config): the file is sent rendered. The two
	// versions differ in the plugin's config, so every replacement builds a new plugin.
	info := l.IdP()
	rendered := strings.NewReplacer(
		`${{ env "DECK_ISSUER_URL" }}`, info.Issuer,
		`${{ env "DECK_OKTA_CLIENT_ID" }}`, info.ClientID,
		`${{ env "DECK_OKTA_CLIENT_SECRET" }}`, clientSecret,
		`${{ env "DECK_NGROK_HOST" }}`, info.RedirectURI,
	).Replace(string(sessionDeck()))
	versions := []string{rendered + "      timeout: 9000\n", rendered + "      timeout: 10000\n"}

	var ty tally
	stop := make(chan struct{})
	wait := hammer(l.URL, cookies, size(10, 100), stop, &ty)
	admin := &http.Client{Timeout: 30 * time.Second}
	var applied int
	for i := range replacements {
		time.Sleep(pause)
		resp, err := admin.Post(l.AdminURL()+"/config", "application/yaml", strings.NewReader(versions[i%2]))
		if err != nil {
			t.Errorf("POST /config %d: %v", i, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Errorf("POST /config %d: %d %.300s", i, resp.StatusCode, b)
			continue
		}
		applied++
	}
	time.Sleep(pause) // requests on the last configuration too
	close(stop)
	wait()
	t.Logf("config replaced under load: %d replacements through the admin API under %d requests, %d errors",
		applied, ty.ok.Load()+ty.failed.Load(), ty.failed.Load())
	if ty.failed.Load() != 0 {
		t.Errorf("%d requests failed: %s", ty.failed.Load(), &ty)
	}
	if applied != replacements {
		t.Errorf("%d of %d replacements applied", applied, replacements)
	}
}

// TestTunnelProviderFailing: a tunnel that cannot open fails the lab's start with a typed error
// carrying the provider's code and advice, and leaves nothing listening; a tunnel that breaks
// while the lab runs is reported in the stream, and the gateway keeps serving on loopback.
func TestTunnelProviderFailing(t *testing.T) {
	starts := size(3, 20)
	refusal := &tunnel.Error{Provider: "ngrok", Code: "ERR_NGROK_107", Message: "authentication failed", Advice: tunnel.AdviceFor("ERR_NGROK_107")}
	baseline := settleGoroutines(0, 500*time.Millisecond)
	for i := range starts {
		p := &tunneltest.Provider{Err: refusal}
		addrs := []string{reservePort(t), reservePort(t), reservePort(t)}
		_, err := labtest.TryStart(t, lab.Config{Listen: addrs[0], AdminListen: addrs[1], IdPListen: addrs[2], Expose: lab.Tunnel(p, tunnel.Config{})})
		var ee *lab.ExposeError
		var te *tunnel.Error
		if !errors.As(err, &ee) || !errors.As(err, &te) || te.Code != "ERR_NGROK_107" || te.Advice == "" {
			t.Fatalf("start %d: %v (%T), want a *lab.ExposeError wrapping the provider's *tunnel.Error", i, err, err)
		}
		for _, addr := range addrs {
			// Free again: the lab closed what it had opened before the tunnel failed.
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				t.Fatalf("start %d: %s still taken after the failed start: %v", i, addr, err)
			}
			ln.Close()
		}
	}
	if left := settleGoroutines(baseline+5, 10*time.Second); left > baseline+5 {
		t.Errorf("goroutines: %d before the failed starts, %d after", baseline, left)
	}

	// A tunnel that breaks mid-run.
	p := &tunneltest.Provider{}
	l := startLab(t, lab.Config{Expose: lab.Tunnel(p, tunnel.Config{})})
	tn := p.Opened()[0]
	tn.Send(tunnel.Event{Time: time.Now(), Kind: tunnel.EventReconnecting, Err: errors.New("session closed")})
	tn.Send(tunnel.Event{Time: time.Now(), Kind: tunnel.EventReconnected})
	tn.Send(tunnel.Event{Time: time.Now(), Kind: tunnel.EventDisconnected, Err: &tunnel.Error{Provider: "ngrok", Code: "ERR_NGROK_334", Advice: tunnel.AdviceFor("ERR_NGROK_334")}})
	resp, err := noRedirects(30 * time.Second).Get(l.ProxyURL() + tutorial.Path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("the loopback proxy after the tunnel broke: %d, want the login's 302", resp.StatusCode)
	}
	want := map[gateway.Reason]bool{lab.ReasonTunnelReconnecting: false, lab.ReasonTunnelDisconnected: false}
	for _, e := range l.Events() {
		if _, ok := want[e.Reason]; ok && e.Explain != "" {
			want[e.Reason] = true
		}
	}
	for r, seen := range want {
		if !seen {
			t.Errorf("no explained %s event", r)
		}
	}
	t.Logf("tunnel failing: %d starts refused with a typed error and nothing left listening, 1 broken tunnel reported while the gateway served, 0 errors", starts)
}
