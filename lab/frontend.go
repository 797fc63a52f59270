package lab

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/oidclab/oidclab/gateway/oidc"
	"github.com/oidclab/oidclab/okta"
)

// Discovery is what an issuer's discovery document says, as far as a person setting up a
// login needs to know.
type Discovery struct {
	// Issuer is the issuer as typed, normalised: no well-known suffix, no trailing slash.
	Issuer        string
	URL           string // the discovery document's URL
	Discovered    string // the document's issuer
	Authorize     string
	PKCE          bool // S256 advertised
	ResponseModes []string
}

// NormalizeIssuer turns what a person pastes (an issuer, or its discovery URL, with or without
// a trailing slash) into the issuer, exactly as the openid-connect plugin reads config.issuer.
func NormalizeIssuer(s string) string {
	_, issuer := oidc.NormalizeIssuer(strings.TrimSpace(s))
	return issuer
}

// CheckIssuer reads issuer's discovery document as the gateway will, so a wrong issuer is
// found while the person is still on the screen that sets it, not at the first login. It
// follows no redirects (the plugin does not either) and reads at most 1 MiB.
func CheckIssuer(ctx context.Context, issuer string) (Discovery, error) {
	d := Discovery{Issuer: NormalizeIssuer(issuer)}
	d.URL, _ = oidc.NormalizeIssuer(d.Issuer)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	doc, err := okta.Discover(ctx, nil, d.Issuer)
	d.Discovered, d.Authorize, d.ResponseModes = Clean(doc.Issuer), Clean(doc.AuthorizationEndpoint), doc.ResponseModes
	d.PKCE = slices.Contains(doc.CodeChallengeMethods, "S256")
	return d, err
}
