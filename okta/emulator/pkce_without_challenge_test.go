package emulator_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/oidclab/oidclab/okta/emulator/emulatortest"
)

// A code issued without a code_challenge must not be redeemed with a code_verifier (Okta:
// invalid_grant, PKCE verification failed): the client believes it uses PKCE and does not.
func TestVerifierForCodeWithoutChallenge(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	cb := login(t, emulatortest.NewBrowser(), authorizeURL(s, map[string]string{"code_challenge": "", "code_challenge_method": ""}), alice, password)
	if cb.Params.Get("code") == "" {
		t.Fatalf("no code: %v", cb.Params)
	}
	status, out := tokenCall(t, s, webID, webSecret, url.Values{"grant_type": {"authorization_code"}, "code": {cb.Params.Get("code")},
		"redirect_uri": {webRedirect}, "code_verifier": {"a-verifier-that-matches-nothing-at-all-0123456789"}}, nil)
	if status != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Errorf("status %d %v, want 400 invalid_grant", status, out)
	}
}
