package emulatortest_test

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/okta/emulator/emulatortest"
)

func TestBrowserLogin(t *testing.T) {
	cfg := emulator.Default()
	s := emulatortest.Start(t, cfg)
	q := url.Values{"client_id": {emulator.DemoClientID}, "redirect_uri": {emulator.TutorialRedirectURIs[1]}, "response_type": {"code"},
		"scope": {"openid"}, "state": {"s1"}, "response_mode": {"fragment"}}
	cb, err := emulatortest.NewBrowser().Login(context.Background(), s.Issuer()+"/v1/authorize?"+q.Encode(), emulator.DemoUserLogin, emulator.DemoUserPassword)
	if err != nil || cb.Mode != "fragment" || cb.URL != emulator.TutorialRedirectURIs[1] || cb.Params.Get("state") != "s1" || cb.Params.Get("code") == "" {
		t.Fatalf("fragment login: %v %+v", err, cb)
	}
	q.Set("client_id", "0oanope")
	_, err = emulatortest.NewBrowser().Login(context.Background(), s.Issuer()+"/v1/authorize?"+q.Encode(), emulator.DemoUserLogin, emulator.DemoUserPassword)
	var pe *emulatortest.ErrPage
	if !errors.As(err, &pe) || pe.Status != 400 || pe.Message != "Your request resulted in an error. Invalid value for 'client_id' parameter." {
		t.Errorf("unknown client: %v", err)
	}
}
