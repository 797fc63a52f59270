package main

import (
	"context"
	"encoding/json"
	"github.com/oidclab/oidclab/lab/tutorial"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/scenarios/browser"
)

// TestMainJobLogsInThroughEmbeddedIdP is what `go run ./cmd/oidclab` does for a new user: the
// tutorial's decK file, unchanged, against the embedded IdP; the demo user logs in and the
// callback POST reaches the echo upstream with the access token.
func TestMainJobLogsInThroughEmbeddedIdP(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	io, _, errOut := testIO("")
	readyc := make(chan upReady, 1)
	opts := &upOptions{
		IO: io, Listen: "127.0.0.1:0", AdminListen: "off", IdP: "auto", IdPListen: "127.0.0.1:0",
		Tunnel: "none", ShutdownTimeout: 5 * time.Second,
		ready: func(r upReady) { readyc <- r },
	}
	// The tutorial's variables come from the embedded IdP even when the shell has others.
	t.Setenv(tutorial.EnvIssuer, "https://example.okta.com/oauth2/default")
	done := make(chan struct{})
	var runErr error
	go func() { runErr = upRun(ctx, opts); close(done) }()
	var ready upReady
	select {
	case ready = <-readyc:
	case <-done:
		t.Fatalf("upRun ended early: %v\n%s", runErr, errOut)
	case <-time.After(30 * time.Second):
		cancel()
		<-done
		t.Fatalf("gateway not ready after 30s\n%s", errOut)
	}

	if ready.IdP == nil || !strings.HasPrefix(ready.IdP.Issuer, "http://127.0.0.1:") || ready.IdP.RedirectURI != ready.ProxyURL+"/anything" {
		t.Fatalf("readiness says nothing usable about the embedded IdP: %+v", ready.IdP)
	}
	if b, _ := json.Marshal(ready); strings.Contains(string(b), "secret") {
		t.Errorf("readiness line mentions a secret: %s", b)
	}

	drv, err := browser.NewHTTP(browser.HTTPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer drv.Close()
	res, err := drv.Login(ctx, ready.ProxyURL+"/anything", browser.Credentials{
		Username: ready.IdP.Login, Password: ready.IdP.Password,
	})
	cancel()
	<-done // stderr is read once upRun and its writers have finished
	if runErr != nil {
		t.Errorf("upRun: %v", runErr)
	}
	if err != nil {
		t.Fatalf("login: %v\n%s", err, errOut)
	}
	for _, h := range res.Hops {
		t.Logf("%s %s %d %s", h.Method, h.URL, h.Status, h.Note)
	}
	var echo struct {
		Method  string            `json:"method"`
		Headers map[string]string `json:"headers"`
		Form    map[string]any    `json:"form"`
	}
	if err := json.Unmarshal([]byte(res.Body), &echo); err != nil {
		t.Fatalf("final page is not the echo JSON (%d %s): %v", res.Status, res.URL, err)
	}
	if echo.Method != "POST" {
		t.Errorf("upstream saw %s; the tutorial's form_post callback is proxied as a POST", echo.Method)
	}
	if !strings.HasPrefix(echo.Headers["Authorization"], "Bearer ey") {
		t.Errorf("upstream Authorization = %q, want the access token", echo.Headers["Authorization"])
	}
	for _, k := range []string{"code", "state"} {
		if _, ok := echo.Form[k]; ok {
			t.Errorf("upstream form still has %q", k)
		}
	}

	logs := errOut.String()
	for _, want := range []string{
		"DECK_ISSUER_URL",                      // the environment's value was set aside, and we said so
		"log in as  " + emulator.DemoUserLogin, // the announcement tells the user how to log in
		"login started",                        // hops are explained as they happen
		"id token verified",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "example.okta.com") {
		t.Errorf("the environment's issuer was used:\n%s", logs)
	}
	if strings.Contains(logs, "Bearer ey") || strings.Contains(logs, "access_token") {
		t.Errorf("a token reached stderr:\n%s", logs)
	}
}
