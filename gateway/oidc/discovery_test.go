package oidc

import "testing"

func TestNormalizeIssuer(t *testing.T) {
	tests := []struct{ in, url, iss string }{
		{"https://o.okta.com/oauth2/default", "https://o.okta.com/oauth2/default/.well-known/openid-configuration", "https://o.okta.com/oauth2/default"},
		{"https://o.okta.com/oauth2/default/", "https://o.okta.com/oauth2/default/.well-known/openid-configuration", "https://o.okta.com/oauth2/default"},
		{"https://o.okta.com/oauth2/default/.well-known/oauth-authorization-server", "https://o.okta.com/oauth2/default/.well-known/oauth-authorization-server", "https://o.okta.com/oauth2/default"},
		{"https://o.okta.com/.well-known/openid-configuration/", "https://o.okta.com/.well-known/openid-configuration", "https://o.okta.com"},
	}
	for _, tt := range tests {
		u, iss := normalizeIssuer(tt.in)
		if u != tt.url || iss != tt.iss {
			t.Errorf("normalizeIssuer(%q) = %q, %q; want %q, %q", tt.in, u, iss, tt.url, tt.iss)
		}
	}
}
