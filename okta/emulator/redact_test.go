package emulator

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestRequestLogRedactsSecrets(t *testing.T) {
	secrets := []string{"client_secret", "Client_Secret", "code", "code_verifier", "refresh_token", "token",
		"access_token", "id_token", "id_token_hint", "password", "Password", "credentials.passcode", "csrf",
		"client_assertion", "sessionToken", "stateToken", "tx", "subject_token", "actor_token", "device_code", "otp"}
	kept := []string{"client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge", "code_challenge_method",
		"grant_type", "token_type_hint", "response_type", "username", "identifier"}
	form := url.Values{}
	for _, k := range append(append([]string{}, secrets...), kept...) {
		form.Set(k, "value-of-"+k)
	}
	r := httptest.NewRequest("POST", "/oauth2/default/v1/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := r.ParseForm(); err != nil {
		t.Fatal(err)
	}
	got := redactParams(r)
	for _, k := range secrets {
		if got[k] != redacted {
			t.Errorf("%s logged as %q", k, got[k])
		}
	}
	for _, k := range kept {
		if got[k] != "value-of-"+k {
			t.Errorf("%s logged as %q, want its value", k, got[k])
		}
	}
}
