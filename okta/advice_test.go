package okta

import (
	"strings"
	"testing"
)

func TestAdvice(t *testing.T) {
	tests := []struct {
		reason string
		want   string // the console path or fact the advice must name
	}{
		{"user_not_assigned", "Applications → Applications → (your app) → Assignments"},
		{"no_matching_policy", "Security → API → Authorization Servers → (the server of config.issuer) → Access Policies"},
		{"scope_not_allowed", "https://ORG.okta.com/oauth2/default"},
		{"redirect_uri_not_registered", "Sign-in redirect URIs"},
		{"client_auth_failed", "General → Client Credentials"},
		{"issuer_mismatch", "Security → API → Authorization Servers"},
		{"discovery_failed", "/.well-known/openid-configuration"},
		{"grant_not_allowed", "Grant type"},
		{"access_denied", "Assignments"},
		{"audience_mismatch", "Client ID"},
		{"clock_skew", "NTP"},
		{"requirement_not_met", "scp"},
		{"token_expired", "offline_access"},
		{"refresh_failed", "Refresh Token"},
		{"id_token_missing", "openid"},
		{"state_cookie_missing", ""}, // a browser matter: nothing to change in Okta
		{"upstream_unreachable", ""},
		{"no_such_reason", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got := Advice(tt.reason)
		if tt.want == "" {
			if got != "" {
				t.Errorf("%q: advice %q, want none", tt.reason, got)
			}
			continue
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("%q: advice %q does not mention %q", tt.reason, got, tt.want)
		}
	}
	// Every reason with advice is in the table above, so none goes unchecked.
	listed := map[string]bool{}
	for _, tt := range tests {
		listed[tt.reason] = tt.want != ""
	}
	for _, r := range AdviceReasons() {
		if !listed[r] {
			t.Errorf("advice for %q is not checked by this test", r)
		}
	}
}
