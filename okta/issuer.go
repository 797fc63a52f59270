package okta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
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

// ErrInvalidIssuer is matched (errors.Is) by every issuer NormalizeIssuer refuses.
var ErrInvalidIssuer = errors.New("invalid issuer")

// ErrInvalidOrgURL is matched (errors.Is) by every org URL NewClient refuses.
var ErrInvalidOrgURL = errors.New("invalid Okta org URL")

// The discovery suffixes people paste along with the issuer.
const (
	wellKnownOIDC  = "/.well-known/openid-configuration"
	wellKnownOAuth = "/.well-known/oauth-authorization-server"
)

// NormalizeIssuer turns what users paste as an issuer into the issuer itself: the discovery
// document's URL (either suffix, or RFC 8414's form with the suffix before the path) and a
// trailing slash are removed. Okta compares issuers exactly, so
// https://ORG.okta.com/oauth2/default/ would fail every token check. http is accepted on
// loopback hosts only.
func NormalizeIssuer(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("%w %q: want https://ORG.okta.com/oauth2/default (or /oauth2/<id>, or https://ORG.okta.com for the org server)", ErrInvalidIssuer, raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%w %q: an issuer has no query, fragment or user info", ErrInvalidIssuer, raw)
	}
	if u.Scheme == "http" && !IsLoopbackHost(u.Hostname()) {
		return "", fmt.Errorf("%w %q: http is accepted on loopback hosts only (Okta serves https)", ErrInvalidIssuer, raw)
	}
	p := strings.TrimRight(u.Path, "/")
	switch {
	case strings.HasPrefix(p, wellKnownOAuth+"/"): // RFC 8414: /.well-known/oauth-authorization-server/oauth2/x
		p = strings.TrimPrefix(p, wellKnownOAuth)
	case strings.HasSuffix(p, wellKnownOIDC):
		p = strings.TrimSuffix(p, wellKnownOIDC)
	case strings.HasSuffix(p, wellKnownOAuth):
		p = strings.TrimSuffix(p, wellKnownOAuth)
	}
	u.Path, u.RawPath = strings.TrimRight(p, "/"), ""
	u.Host = strings.ToLower(u.Host)
	return u.String(), nil
}

// IsLoopbackHost reports whether host (no port) names this machine: localhost or a loopback IP.
func IsLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// AuthServerKind tells Okta's two kinds of authorization server apart.
type AuthServerKind int

const (
	// UnknownServer is an issuer whose path is neither empty nor /oauth2/{id}.
	UnknownServer AuthServerKind = iota
	// OrgServer is the org authorization server: issuer https://ORG.okta.com.
	OrgServer
	// CustomServer is a custom authorization server: issuer https://ORG.okta.com/oauth2/{id}.
	CustomServer
)

func (k AuthServerKind) String() string {
	switch k {
	case OrgServer:
		return "org authorization server"
	case CustomServer:
		return "custom authorization server"
	}
	return "unknown authorization server"
}

// Consequences says what the kind of server means for a gateway in front of an API.
func (k AuthServerKind) Consequences() string {
	switch k {
	case OrgServer:
		return "The org authorization server signs in users but its access tokens are for Okta's own APIs: only Okta can validate them, custom scopes and claims are refused (\"Custom scopes are not allowed for this request.\"), and it has no access policies. Use a custom authorization server (/oauth2/default or /oauth2/<id>) for an API."
	case CustomServer:
		return "A custom authorization server issues access tokens your API can validate (JWKS at {issuer}/v1/keys), may define custom scopes and claims, and lets a login through only when one of its access policies covers the app and a rule allows the grant, the scopes and the user; a new one has no policy, so every login fails until one exists."
	}
	return "Okta's issuers are https://ORG.okta.com (org server) or https://ORG.okta.com/oauth2/<id> (custom server)."
}

// ClassifyIssuer tells which kind of Okta authorization server a (normalised) issuer names,
// with the custom server's id.
func ClassifyIssuer(issuer string) (kind AuthServerKind, authServerID string) {
	u, err := url.Parse(issuer)
	if err != nil {
		return UnknownServer, ""
	}
	p := strings.TrimRight(u.Path, "/")
	if p == "" {
		return OrgServer, ""
	}
	rest, ok := strings.CutPrefix(p, "/oauth2/")
	if !ok || rest == "" || strings.Contains(rest, "/") {
		return UnknownServer, ""
	}
	return CustomServer, rest
}

// OrgURLOf is the org (scheme://host[:port]) an issuer belongs to.
func OrgURLOf(issuer string) string {
	u, err := url.Parse(issuer)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// Discovery is what oidclab needs from an issuer's OpenID configuration.
type Discovery struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	JWKSURI               string   `json:"jwks_uri"`
	ScopesSupported       []string `json:"scopes_supported"`
	ResponseModes         []string `json:"response_modes_supported"`
	TokenAuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
	CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
}

// DiscoveryError is a discovery document that could not be fetched or does not fit the issuer.
type DiscoveryError struct {
	URL    string
	Status int // 0 when no HTTP answer came
	Err    error
}

func (e *DiscoveryError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("discovery %s: HTTP %d: %v", e.URL, e.Status, e.Err)
	}
	return fmt.Sprintf("discovery %s: %v", e.URL, e.Err)
}
func (e *DiscoveryError) Unwrap() error { return e.Err }

// maxDiscoveryBytes bounds a discovery document (Okta's are about 3 KB).
const maxDiscoveryBytes = 1 << 20

// Discover fetches {issuer}/.well-known/openid-configuration and checks it the way a relying
// party will: it must be JSON, name exactly this issuer, and list the endpoints a login uses.
// hc nil uses a client with a 10-second timeout; redirects are never followed.
func Discover(ctx context.Context, hc *http.Client, issuer string) (Discovery, error) {
	u := issuer + wellKnownOIDC
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	noRedirects := *hc
	noRedirects.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Discovery{}, &DiscoveryError{URL: u, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := noRedirects.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			err = fmt.Errorf("timed out: %w", err)
		}
		return Discovery{}, &DiscoveryError{URL: u, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscoveryBytes+1))
	if err != nil {
		return Discovery{}, &DiscoveryError{URL: u, Status: resp.StatusCode, Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		msg := "not the discovery document"
		var oe struct {
			Summary string `json:"errorSummary"`
		}
		if json.Unmarshal(body, &oe) == nil && oe.Summary != "" {
			msg = oe.Summary
		}
		return Discovery{}, &DiscoveryError{URL: u, Status: resp.StatusCode, Err: errors.New(msg)}
	}
	if len(body) > maxDiscoveryBytes {
		return Discovery{}, &DiscoveryError{URL: u, Status: resp.StatusCode, Err: errors.New("larger than 1 MiB")}
	}
	var d Discovery
	if err := json.Unmarshal(body, &d); err != nil {
		return Discovery{}, &DiscoveryError{URL: u, Status: resp.StatusCode, Err: fmt.Errorf("not JSON: %w", err)}
	}
	if d.Issuer != issuer {
		return d, &DiscoveryError{URL: u, Status: resp.StatusCode, Err: fmt.Errorf("it names issuer %q, not %q: tokens would fail the issuer check", d.Issuer, issuer)}
	}
	var missing []string
	for _, f := range [][2]string{{"authorization_endpoint", d.AuthorizationEndpoint}, {"token_endpoint", d.TokenEndpoint}, {"jwks_uri", d.JWKSURI}} {
		if f[1] == "" {
			missing = append(missing, f[0])
		}
	}
	if len(missing) > 0 {
		return d, &DiscoveryError{URL: u, Status: resp.StatusCode, Err: fmt.Errorf("it lacks %s", strings.Join(missing, ", "))}
	}
	return d, nil
}
