package okta

import "testing"

func TestIsOrgIssuer(t *testing.T) {
	tests := []struct {
		issuer string
		want   bool
	}{
		{"https://dev-123456.okta.com/oauth2/default", true},
		{"https://dev-123456.okta.com", true},
		{"https://acme.oktapreview.com/oauth2/aus1", true},
		{"https://acme.okta-emea.com/oauth2/default", true},
		{"https://DEV-1.OKTA.COM/oauth2/default", true},
		{"https://okta.com/oauth2/default", false},
		{"https://evil-okta.com/oauth2/default", false},
		{"https://okta.com.evil.example/oauth2/default", false},
		{"http://dev-1.okta.com/oauth2/default", false},
		{"https://login.example.com/oauth2/default", false},
		{"://", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsOrgIssuer(tt.issuer); got != tt.want {
			t.Errorf("IsOrgIssuer(%q) = %v, want %v", tt.issuer, got, tt.want)
		}
	}
}
