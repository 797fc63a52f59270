package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/labtest"
	"github.com/oidclab/oidclab/lab/tutorial"
	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/scenarios/browser"
	"github.com/oidclab/oidclab/tui"
)

// The walkthrough's "create it for me" against the embedded IdP creates an app the demo user
// logs in to through the gateway, and its cleanup removes it.
func TestWalkSetupEmbedded(t *testing.T) {
	l := labtest.Start(t, lab.Config{})
	setup := walkSetup(func() *lab.Lab { return l.Lab }, func(string) string { return "" })
	res, err := setup(context.Background(), tui.SetupRequest{Embedded: true, RedirectURI: l.URL + tutorial.Path})
	if err != nil {
		t.Fatal(err)
	}
	if res.ClientID == "" || res.ClientID == emulator.DemoClientID || res.ClientSecret == "" || !strings.Contains(res.Issuer, "/oauth2/") || res.Cleanup == nil {
		t.Fatalf("setup result: client %q issuer %q", res.ClientID, res.Issuer)
	}
	vars := map[string]string{tutorial.EnvIssuer: res.Issuer, tutorial.EnvClientID: res.ClientID, tutorial.EnvClientSecret: res.ClientSecret}
	if err := l.ApplyWith(tutorial.Deck, tutorial.DeckName, vars); err != nil {
		t.Fatal(err)
	}
	d, err := browser.NewHTTP(browser.HTTPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	page, err := d.Login(context.Background(), l.URL+tutorial.Path, browser.Credentials{Username: emulator.DemoUserLogin, Password: emulator.DemoUserPassword})
	if err != nil || page.Status != http.StatusOK || !strings.Contains(page.Body, "Bearer ") {
		t.Fatalf("login with the created app: %v", err)
	}
	if err := res.Cleanup(context.Background()); err != nil {
		t.Fatalf("cleanup: %v", err)
	}
	if _, ok := l.Emulator().Client(res.ClientID); ok {
		t.Error("the created app survived cleanup")
	}
}

// Against a real org the user to assign must be named; the message says how.
func TestWalkSetupOrgNeedsAUser(t *testing.T) {
	setup := walkSetup(func() *lab.Lab { return nil }, func(string) string { return "" })
	_, err := setup(context.Background(), tui.SetupRequest{OrgURL: "https://example.okta.com", APIToken: "t", RedirectURI: "https://x.ngrok.app/anything"})
	if err == nil || !strings.Contains(err.Error(), "OKTA_TEST_USER") {
		t.Fatalf("err = %v", err)
	}
}
