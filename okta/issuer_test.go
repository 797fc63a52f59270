package okta

import (
	"errors"
	"testing"
)

func TestIsOrgIssuer(t *testing.T) {
	for issuer, want := range map[string]bool{
		"https://dev-123.okta.com/oauth2/default": true,
		"https://acme.oktapreview.com":            true,
		"https://acme.okta-emea.com/oauth2/aus1":  true,
		"http://dev-123.okta.com":                 false,
		"https://okta.com":                        false,
		"https://evil-okta.com":                   false,
		"https://login.example.com":               false,
		"::":                                      false,
	} {
		if got := IsOrgIssuer(issuer); got != want {
			t.Errorf("IsOrgIssuer(%q) = %v, want %v", issuer, got, want)
		}
	}
}

func TestNormalizeIssuer(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://dev-1.okta.com/oauth2/default", "https://dev-1.okta.com/oauth2/default"},
		{"https://dev-1.okta.com/oauth2/default/", "https://dev-1.okta.com/oauth2/default"},
		{" https://DEV-1.okta.com/oauth2/default/.well-known/openid-configuration ", "https://dev-1.okta.com/oauth2/default"},
		{"https://dev-1.okta.com/oauth2/aus1/.well-known/oauth-authorization-server", "https://dev-1.okta.com/oauth2/aus1"},
		{"https://dev-1.okta.com/.well-known/oauth-authorization-server/oauth2/aus1", "https://dev-1.okta.com/oauth2/aus1"},
		{"https://dev-1.okta.com/.well-known/openid-configuration", "https://dev-1.okta.com"},
		{"https://dev-1.okta.com/", "https://dev-1.okta.com"},
		{"http://127.0.0.1:9000/oauth2/default/", "http://127.0.0.1:9000/oauth2/default"},
	}
	for _, tt := range tests {
		got, err := NormalizeIssuer(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeIssuer(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"dev-1.okta.com", "http://dev-1.okta.com/oauth2/default", "https://dev-1.okta.com/oauth2/default?x=1", "ftp://x", ""} {
		if _, err := NormalizeIssuer(bad); !errors.Is(err, ErrInvalidIssuer) {
			t.Errorf("NormalizeIssuer(%q): %v, want ErrInvalidIssuer", bad, err)
		}
	}
}

func TestClassifyIssuer(t *testing.T) {
	tests := []struct {
		issuer string
		kind   AuthServerKind
		id     string
	}{
		{"https://dev-1.okta.com", OrgServer, ""},
		{"https://dev-1.okta.com/oauth2/default", CustomServer, "default"},
		{"https://dev-1.okta.com/oauth2/aus1x", CustomServer, "aus1x"},
		{"https://dev-1.okta.com/oauth2/v1", CustomServer, "v1"},
		{"https://dev-1.okta.com/other/path", UnknownServer, ""},
	}
	for _, tt := range tests {
		kind, id := ClassifyIssuer(tt.issuer)
		if kind != tt.kind || id != tt.id {
			t.Errorf("ClassifyIssuer(%q) = %v %q, want %v %q", tt.issuer, kind, id, tt.kind, tt.id)
		}
		if kind.Consequences() == "" {
			t.Errorf("%v has no consequences text", kind)
		}
	}
}

func TestExplainCoversOktaTexts(t *testing.T) {
	for _, text := range []string{
		"Your request resulted in an error. The 'redirect_uri' parameter must be a Login redirect URI in the client app settings: https://x",
		"User is not assigned to the client application.",
		"Policy evaluation failed for this request, please check the policy configurations.",
		"Invalid token provided",
		"API call exceeded rate limit due to too many requests.",
		"Delete application forbidden.",
	} {
		ex, ok := Explain(text)
		if !ok || ex.Cause == "" || ex.Fix == "" {
			t.Errorf("Explain(%q) = %+v, %v", text, ex, ok)
		}
	}
	if _, ok := Explain("something else"); ok {
		t.Error("explained an unknown text")
	}
}
