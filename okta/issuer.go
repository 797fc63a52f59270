package okta

import (
	"net/url"
	"strings"
)

// orgDomains are the domains Okta serves orgs on (production, preview, EU, US government).
var orgDomains = []string{".okta.com", ".oktapreview.com", ".okta-emea.com", ".okta-gov.com", ".okta.mil"}

// IsOrgIssuer reports whether issuer is served by an Okta org on one of Okta's own domains.
// An org on a custom domain (login.example.com) cannot be told from its URL.
func IsOrgIssuer(issuer string) bool {
	u, err := url.Parse(issuer)
	if err != nil || u.Scheme != "https" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	for _, d := range orgDomains {
		if strings.HasSuffix(host, d) && len(host) > len(d) {
			return true
		}
	}
	return false
}
