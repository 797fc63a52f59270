package oidc

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The explain* functions turn a failure into the likely cause and the fix, in plain language,
// for the event stream (the TUI inspector and scenario reports show them). They never include
// tokens, codes, cookies or secrets, and they name no vendor: the gateway knows an issuer, and
// whoever wires it adds a vendor's console steps by the event's reason.

func explainNoCredentials() string {
	return "The request had no session cookie and no bearer token, and config.auth_methods does not include authorization_code, so the plugin cannot start a login. Send an access token (Authorization: Bearer …) or add authorization_code to auth_methods."
}

func explainUnexpected(c *call, err error) string {
	var mismatch *IssuerMismatchError
	switch {
	case errors.As(err, &mismatch):
		return fmt.Sprintf("The discovery document at %s says the issuer is %s, but config.issuer is %s. Use exactly the issuer of the authorization server the application uses at the identity provider (providers with several servers give each its own issuer).",
			c.p.disc.url, mismatch.Discovered, mismatch.Configured)
	case errors.Is(err, ErrDiscovery):
		// "Within the timeout" only when it timed out: a refused connection or a failed DNS
		// lookup fails at once, and blaming the timeout would send the user the wrong way.
		within := ""
		if errors.Is(err, ErrTimeout) {
			within = fmt.Sprintf(" within config.timeout (%s)", c.p.cfg.Timeout)
		}
		return fmt.Sprintf("The gateway could not read the provider's discovery document at %s%s: check config.issuer (it must be the issuer URL, with or without /.well-known/openid-configuration) and that the identity provider is running and reachable from the gateway.",
			c.p.disc.url, within)
	case errors.Is(err, errNoAuthorizationEndpoint):
		return "The discovery document has no authorization_endpoint and none is configured: set config.authorization_endpoint or fix config.issuer."
	}
	return "An internal step failed; the error message says which."
}

// explainLoginStart warns, when the login starts, about what will make the browser drop the
// authorization cookie on the way back: the top cause of login loops.
func explainLoginStart(c *call, st *authState, spec cookieSpec) string {
	var warn []string
	ru, err := url.Parse(st.RedirectURI)
	if err == nil && ru.Host != "" {
		here := c.hostURL()
		there := ru.Scheme + "://" + ru.Host
		if !strings.EqualFold(hostOnly(ru.Host), c.info.Host) {
			warn = append(warn, fmt.Sprintf("the browser will not send the authorization cookie on the callback: you started on %s but the redirect_uri is %s. Open the app on %s (or set redirect_uri to this host and register it at the identity provider).",
				hostOnly(c.info.Host), hostOnly(ru.Host), there))
		} else if !strings.EqualFold(ru.Scheme, c.info.Scheme) && !isLoopbackHost(ru.Hostname()) {
			warn = append(warn, fmt.Sprintf("you started on %s but the redirect_uri is %s: a Secure cookie set over one scheme may not come back over the other.", here, there))
		}
		if !strings.HasPrefix(ru.Path, spec.Path) && spec.Path != "/" {
			warn = append(warn, fmt.Sprintf("authorization_cookie_path %s does not cover the redirect_uri path %s, so the cookie will not be sent on the callback.", spec.Path, ru.Path))
		}
	}
	if spec.secure && !c.origin.trustworthy() {
		warn = append(warn, "the authorization cookie is Secure but this page is plain http on "+c.info.Host+": browsers drop Secure cookies set by such origins. Use https (the tunnel) or localhost, or leave authorization_cookie_secure unset.")
	}
	if c.p.cfg.ResponseMode == "form_post" && spec.sameSite != http.SameSiteNoneMode {
		warn = append(warn, "the callback is a cross-site form_post but the authorization cookie cannot be SameSite=None here (plain http on a host that is not loopback): the gateway will answer the callback with a same-origin re-POST page. Use https (the tunnel) or localhost.")
	}
	if spec.sameSite == http.SameSiteLaxMode || spec.sameSite == http.SameSiteStrictMode {
		if c.p.cfg.ResponseMode == "form_post" {
			warn = append(warn, "authorization_cookie_same_site is "+sameSiteName(spec.sameSite)+": browsers do not send it on the identity provider's cross-site form_post; leave it at Default.")
		}
	}
	return strings.Join(warn, " ")
}

func hostOnly(hostport string) string {
	if h, _, ok := strings.Cut(hostport, ":"); ok && !strings.Contains(hostport, "]") {
		return h
	}
	return strings.Trim(hostport, "[]")
}

func explainStateMismatch() string {
	return "The state in the request is not the one of the login this browser started: the page was opened in another tab, a callback was replayed, or someone tried login CSRF. The plugin sends the browser to the identity provider again with its own pending state."
}

// explainMissingStateCookie says why a callback came without the authorization cookie.
func explainMissingStateCookie(c *call, p callbackParams, problem string) string {
	if problem != "" {
		return "The callback came with an authorization cookie that could not be used: " + problem + ". A new login is started."
	}
	if started, ok := c.p.pending.lookup(p.State); ok {
		if here := c.hostURL(); !strings.EqualFold(started, here) {
			return fmt.Sprintf("The browser did not send the authorization cookie on the callback: you started on %s but the redirect_uri is %s, and cookies are per host. Open the app on %s, or set redirect_uri to %s/… and register it at the identity provider.",
				hostOnly(strings.TrimPrefix(strings.TrimPrefix(started, "https://"), "http://")), hostOnly(c.info.Host), here, started)
		}
		return "The browser did not send the authorization cookie on the callback although the login started on this host: the cookie was blocked (SameSite on a cross-site form_post over plain http, Secure over http, or a cookie path/domain that does not cover the redirect_uri), or a privacy setting dropped it."
	}
	return "The callback came without the authorization cookie and this gateway did not start that login (or restarted since, without session_secret): the login was started elsewhere, the cookie expired, or the redirect_uri's host differs from the host the app was opened on. A new login is started; with single sign-on at the identity provider this can loop."
}

// explainIdPError explains the error= of an authorization response.
func explainIdPError(code, desc string) string {
	d := strings.ToLower(desc)
	switch {
	case strings.Contains(d, "policy evaluation failed"):
		return "The identity provider refused to issue tokens: its authorization server has no access policy rule that lets this client use this grant and these scopes. At the identity provider, add an access policy for this application with a rule allowing the Authorization Code grant and the requested scopes."
	case strings.Contains(d, "not assigned"):
		return "The user is not assigned to this application at the identity provider: assign the user (or a group they are in) to the application there."
	case strings.Contains(d, "custom scopes are not allowed"):
		return "The identity provider's authorization server does not allow custom scopes (an org-level server): point config.issuer at an authorization server that defines them, or request only openid, profile, email."
	case strings.Contains(d, "redirect_uri"):
		return "The identity provider rejected the redirect_uri: it must match a registered sign-in redirect URI exactly (scheme, host, port, path, trailing slash). Register config.redirect_uri at the identity provider or fix it."
	}
	switch code {
	case "access_denied":
		return "The user or the identity provider denied the request (" + desc + "). If the user did not cancel, check that they are assigned to the application and that an access policy allows this client."
	case "invalid_scope":
		return "The identity provider does not accept one of config.scopes (" + desc + "): remove it or enable it on the authorization server."
	case "unauthorized_client":
		return "This client may not use the authorization code flow: enable the Authorization Code grant type for the application at the identity provider."
	case "login_required", "interaction_required", "consent_required":
		return "The identity provider needs the user to interact (" + code + ") but the request did not allow it (prompt=none?)."
	case "temporarily_unavailable", "server_error":
		return "The identity provider had an internal problem (" + code + "): try again; if it persists, check its status."
	}
	return "The identity provider ended the login with error " + code + describeIfAny(desc) + "."
}

// explainTokenError explains a failed back-channel token call.
func explainTokenError(c *call, err error, method, redirectURI string) string {
	var oe *OAuthError
	switch {
	case errors.Is(err, ErrTimeout):
		return fmt.Sprintf("The token endpoint did not answer within config.timeout (%s): check that the identity provider is reachable from the gateway, or raise timeout.", c.p.cfg.Timeout)
	case errors.Is(err, ErrResponseTooLarge):
		return "The token endpoint answered with more than 1 MiB; the gateway refuses such responses."
	case errors.As(err, &oe):
		switch oe.Code {
		case "invalid_client":
			return fmt.Sprintf("The token endpoint did not accept the client credentials (sent with %s): check client_id and client_secret, and that token_endpoint_auth_method matches the application's Client authentication setting at the identity provider.", method)
		case "invalid_grant":
			d := strings.ToLower(oe.Description)
			switch {
			case strings.Contains(d, "redirect"):
				return "The token endpoint rejected the redirect_uri (" + redirectURI + "): it must be identical to the one sent to the authorization endpoint and registered for the client."
			case strings.Contains(d, "verifier") || strings.Contains(d, "pkce") || strings.Contains(d, "code_challenge"):
				return "The PKCE code_verifier does not match the code_challenge: the authorization cookie may belong to another login (two tabs), or a proxy altered the flow."
			}
			return "The authorization code was refused: it expired, was already used (a replayed or double-submitted callback), was issued to another client, or the redirect_uri/PKCE verifier differ from the authorization request."
		case "unauthorized_client":
			return "The client may not use this grant: enable the Authorization Code (and Refresh Token, for refreshing) grant types for the application at the identity provider."
		case "access_denied":
			return explainIdPError(oe.Code, oe.Description)
		}
		if oe.Status == http.StatusUnauthorized {
			return "The token endpoint answered 401: the client credentials or authentication method are wrong."
		}
		return fmt.Sprintf("The token endpoint answered %d%s.", oe.Status, describeIfAny(oe.Description))
	}
	return "The token endpoint could not be reached or gave an unusable answer: " + err.Error()
}

func oauthErrorAttrs(err error, method string) map[string]any {
	attrs := map[string]any{"client_auth": method}
	var oe *OAuthError
	if errors.As(err, &oe) {
		attrs["status"], attrs["error"], attrs["error_description"] = oe.Status, oe.Code, oe.Description
	}
	return attrs
}

// explainTokenRejected explains a failed token verification.
func explainTokenRejected(c *call, err error, what string) string {
	var te *TokenError
	if !errors.As(err, &te) {
		return "The " + what + " could not be verified: " + err.Error()
	}
	skew := func() string {
		if te.Skew == 0 {
			return ""
		}
		return fmt.Sprintf(" The difference is %s: if that is more than a few seconds, this machine's clock and the identity provider's disagree; fix the clock (NTP) or set config.leeway (seconds) to tolerate the skew.", te.Skew.Abs().Round(time.Second))
	}
	switch te.Check {
	case "id_token":
		return "The bearer token is an ID token issued to this gateway's client (it is typed as one, or names the client as audience and carries nonce or at_hash), not an access token: send the access token from the token response. An ID token proves a login to the client; it does not authorize API calls (Kong accepts it, oidclab does not)."
	case "iss":
		return "The " + what + " was issued by another issuer than config.issuer: the gateway and the app use different authorization servers (e.g. an org-level server vs a custom one). Make config.issuer the issuer the application uses."
	case "aud":
		return "The " + what + " is not meant for this client (aud does not contain client_id " + c.client.ID + "): check config.client_id."
	case "azp":
		return "The " + what + " names another authorized party (azp) or several audiences without azp: it was issued to a different client. Check config.client_id."
	case "nonce":
		return "The " + what + "'s nonce is not the one this login sent: the token was replayed from another login or the identity provider ignores nonce. Log in again; if it keeps failing, the provider does not echo nonce (verify_nonce: false only if you accept that)."
	case "exp":
		return "The " + what + " has expired." + skew()
	case "iat", "nbf":
		if te.Skew < 0 {
			return "The " + what + " was issued before this login could have started (iat older than authorization_rolling_timeout): it is an old token replayed into this login, or the identity provider's clock is far behind." + skew()
		}
		return "The " + what + " is dated in the future." + skew()
	case "sub":
		return "The " + what + " has no sub claim, which OpenID Connect requires: the identity provider is not compliant."
	case "alg":
		return "The " + what + " is signed with an algorithm the gateway does not accept (" + te.Err.Error() + "). Only the algorithms the provider advertises in id_token_signing_alg_values_supported are accepted, never none, and HS* only with enable_hs_signatures."
	case "kid":
		return "No key in the provider's JWKS matches the " + what + "'s key id, even after refetching the JWKS: the token was signed by another server, or the keys rotated and the old token is no longer valid. Refetches are rate limited to one per rediscovery_lifetime."
	case "jwks":
		return "The gateway could not download the provider's signing keys (jwks_uri from discovery) to check the " + what + ": check that the identity provider is reachable from the gateway and its JWKS endpoint answers."
	case "signature":
		return "The " + what + "'s signature does not verify with the provider's keys: the token was altered or forged, or comes from another server."
	case "at_hash":
		return "The id token's at_hash does not match the access token: the two tokens do not belong together (token substitution)."
	case "auth_time":
		return "The user's authentication is older than config.max_age, or the provider sent no auth_time: log in again (the provider should prompt when max_age is exceeded)."
	}
	return "The " + what + " is malformed: " + te.Err.Error()
}

func rejectAttrs(err error) map[string]any {
	var te *TokenError
	if errors.As(err, &te) {
		attrs := map[string]any{"check": te.Check}
		if te.Skew != 0 {
			attrs["skew_seconds"] = int64(te.Skew / time.Second)
		}
		return attrs
	}
	return nil
}

func explainChunks(c *call, chunks int) string {
	if chunks <= 1 {
		return ""
	}
	return fmt.Sprintf("The session is larger than one 4 KB cookie and was split into %d cookies (%s, %s2 …). Browsers keep them, but some proxies and servers limit header size; if the login loops, reduce the claims or scopes in the tokens.",
		chunks, c.p.cfg.SessionCookie.Name, c.p.cfg.SessionCookie.Name)
}

func explainIntrospection(err error) string {
	if errors.Is(err, errInactive) {
		return "The introspection endpoint says the token is not active: it expired, was revoked, or was issued by another server."
	}
	if errors.Is(err, errIntrospectionLimited) {
		return fmt.Sprintf("More than %d tokens needed introspection at this plugin within one second, so this one was refused without asking the identity provider: any web page can make a browser send ?access_token=<anything>, and each unknown token would otherwise spend the provider's rate limit. Retry in a second; for heavy API traffic use JWT access tokens, which are verified locally.", introspectionsPerSecond)
	}
	var oe *OAuthError
	if errors.As(err, &oe) {
		return fmt.Sprintf("The introspection endpoint answered %d%s: check that the client may introspect tokens and its credentials.", oe.Status, describeIfAny(oe.Code))
	}
	if errors.Is(err, ErrTimeout) {
		return "The introspection endpoint did not answer within config.timeout."
	}
	return "The token could not be introspected: " + err.Error()
}

func explainRequirement(r requirement, have []string) string {
	claim := strings.Join(r.claim, ".")
	if len(have) == 0 {
		hint := ""
		if r.field == "scopes_required" && claim == "scope" {
			hint = " Some providers put scopes in scp: set scopes_claim: [scp]."
		}
		return fmt.Sprintf("%s is set but the access token has no %s claim.%s", r.field, claim, hint)
	}
	return fmt.Sprintf("%s needs one of %q, the access token's %s has %q: grant the missing value to the user or client at the identity provider, or relax %s.",
		r.field, r.required, claim, have, r.field)
}
