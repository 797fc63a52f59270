package oidc

import (
	"errors"
	"net/http"
	"strings"

	"github.com/oidclab/oidclab/gateway"
)

// The plugin's failure reasons. They are a contract: front ends, scenario files and vendor
// advice key on these strings, so a name never changes meaning once shipped.
const (
	// The callback and its authorization cookie.

	// ReasonStateCookieMissing: a callback arrived without the authorization (state) cookie.
	ReasonStateCookieMissing gateway.Reason = "state_cookie_missing"
	// ReasonStateCookieInvalid: the authorization cookie could not be decrypted (another secret, altered).
	ReasonStateCookieInvalid gateway.Reason = "state_cookie_invalid"
	// ReasonLoginTimeout: the login took longer than authorization_rolling_timeout.
	ReasonLoginTimeout gateway.Reason = "login_timeout"
	// ReasonStateMismatch: the callback's state is not the one of the pending login.
	ReasonStateMismatch gateway.Reason = "state_mismatch"
	// ReasonStateMissing: the callback has a code but no state.
	ReasonStateMissing gateway.Reason = "state_missing"
	// ReasonStateReused: the state (and code) were already redeemed once.
	ReasonStateReused gateway.Reason = "state_reused"
	// ReasonCodeMissing: the request carried the pending login's cookie but no code.
	ReasonCodeMissing gateway.Reason = "code_missing"
	// ReasonIssMissing: the provider advertises RFC 9207 but the callback has no iss.
	ReasonIssMissing gateway.Reason = "iss_missing"
	// ReasonIssuerMismatch: a callback, a token or the discovery document names another issuer.
	ReasonIssuerMismatch gateway.Reason = "issuer_mismatch"
	// ReasonClientMismatch: the callback names another client_id.
	ReasonClientMismatch gateway.Reason = "client_mismatch"

	// What the identity provider answered (on the callback or the token endpoint).

	// ReasonUserNotAssigned: the user is not assigned to the application at the provider.
	ReasonUserNotAssigned gateway.Reason = "user_not_assigned"
	// ReasonNoMatchingPolicy: no access policy rule of the authorization server allows this request.
	ReasonNoMatchingPolicy gateway.Reason = "no_matching_policy"
	// ReasonScopeNotAllowed: the provider refused a requested scope.
	ReasonScopeNotAllowed gateway.Reason = "scope_not_allowed"
	// ReasonRedirectURINotRegistered: the provider refused the redirect_uri.
	ReasonRedirectURINotRegistered gateway.Reason = "redirect_uri_not_registered"
	// ReasonAccessDenied: the user or the provider denied the request, for no more specific reason.
	ReasonAccessDenied gateway.Reason = "access_denied"
	// ReasonGrantNotAllowed: the client may not use this grant type (unauthorized_client).
	ReasonGrantNotAllowed gateway.Reason = "grant_not_allowed"
	// ReasonInteractionRequired: the provider needs the user to interact but was told not to.
	ReasonInteractionRequired gateway.Reason = "interaction_required"
	// ReasonIdPError: any other error the provider returned.
	ReasonIdPError gateway.Reason = "idp_error"
	// ReasonClientAuthFailed: the token endpoint did not accept the client's credentials.
	ReasonClientAuthFailed gateway.Reason = "client_auth_failed"
	// ReasonCodeInvalid: the authorization code was refused (expired, used, another client's).
	ReasonCodeInvalid gateway.Reason = "code_invalid"
	// ReasonPKCEMismatch: the code_verifier does not match the code_challenge.
	ReasonPKCEMismatch gateway.Reason = "pkce_mismatch"
	// ReasonTokenRequestFailed: the token endpoint could not be reached or gave an unusable answer.
	ReasonTokenRequestFailed gateway.Reason = "token_request_failed"
	// ReasonIDTokenMissing: the token response has no id_token (openid not requested).
	ReasonIDTokenMissing gateway.Reason = "id_token_missing"
	// ReasonRefreshFailed: the refresh_token grant failed.
	ReasonRefreshFailed gateway.Reason = "refresh_failed"

	// Token verification (ID token on login, JWT access token on bearer requests).

	// ReasonNonceMismatch: the ID token's nonce is missing or not this login's.
	ReasonNonceMismatch gateway.Reason = "nonce_mismatch"
	// ReasonIDTokenExpired: the ID token's exp has passed (or it has none).
	ReasonIDTokenExpired gateway.Reason = "id_token_expired"
	// ReasonClockSkew: a token is dated in the future (iat or nbf): the clocks disagree.
	ReasonClockSkew gateway.Reason = "clock_skew"
	// ReasonTokenTooOld: the ID token was issued before this login could have started (replay).
	ReasonTokenTooOld gateway.Reason = "token_too_old"
	// ReasonAudienceMismatch: the token's aud does not name this client.
	ReasonAudienceMismatch gateway.Reason = "audience_mismatch"
	// ReasonAzpMismatch: the token names another authorized party, or several audiences without azp.
	ReasonAzpMismatch gateway.Reason = "azp_mismatch"
	// ReasonSignatureInvalid: the signature does not verify with the provider's keys.
	ReasonSignatureInvalid gateway.Reason = "signature_invalid"
	// ReasonSigningKeyUnknown: no key in the provider's JWKS has the token's key id.
	ReasonSigningKeyUnknown gateway.Reason = "signing_key_unknown"
	// ReasonAlgNotAllowed: the token is signed with an algorithm the gateway does not accept.
	ReasonAlgNotAllowed gateway.Reason = "alg_not_allowed"
	// ReasonAtHashMismatch: the ID token's at_hash does not match the access token.
	ReasonAtHashMismatch gateway.Reason = "at_hash_mismatch"
	// ReasonSubMissing: the token has no sub claim (or no iat), which OpenID Connect requires.
	ReasonSubMissing gateway.Reason = "sub_missing"
	// ReasonSubjectChanged: a refreshed ID token names another user than the session's.
	ReasonSubjectChanged gateway.Reason = "subject_changed"
	// ReasonAuthTooOld: the user's authentication is older than max_age, or auth_time is missing.
	ReasonAuthTooOld gateway.Reason = "auth_too_old"
	// ReasonTokenMalformed: the token is not a well-formed signed JWT.
	ReasonTokenMalformed gateway.Reason = "token_malformed"
	// ReasonClaimMissing: a required claim (iat) is missing from the ID token.
	ReasonClaimMissing gateway.Reason = "claim_missing"

	// API requests, sessions and authorization.

	// ReasonNoCredentials: no session, no bearer token, and logins are not enabled.
	ReasonNoCredentials gateway.Reason = "no_credentials"
	// ReasonTokenExpired: the access token expired and cannot be refreshed.
	ReasonTokenExpired gateway.Reason = "token_expired"
	// ReasonTokenInactive: the introspection endpoint says the token is not active.
	ReasonTokenInactive gateway.Reason = "token_inactive"
	// ReasonTokenOpaque: an opaque bearer token, and introspection is not enabled.
	ReasonTokenOpaque gateway.Reason = "token_opaque"
	// ReasonIntrospectionFailed: the introspection endpoint refused or gave an unusable answer.
	ReasonIntrospectionFailed gateway.Reason = "introspection_failed"
	// ReasonIntrospectionLimited: more tokens needed introspection this second than the plugin allows.
	ReasonIntrospectionLimited gateway.Reason = "introspection_limited"
	// ReasonRequirementNotMet: scopes_required, audience_required or groups_required not satisfied.
	ReasonRequirementNotMet gateway.Reason = "requirement_not_met"
	// ReasonClaimsUnavailable: required claims cannot be checked (opaque token, no introspection).
	ReasonClaimsUnavailable gateway.Reason = "claims_unavailable"
	// ReasonIDTokenAsBearer: a bearer token is an ID token for one of our clients, not an access token.
	ReasonIDTokenAsBearer gateway.Reason = "id_token_as_bearer"
	// ReasonClientIDMissing: the plugin has no client_id, so it cannot start a login.
	ReasonClientIDMissing gateway.Reason = "client_id_missing"

	// The provider's back channel and the plugin itself.

	// ReasonDiscoveryFailed: the discovery document could not be read.
	ReasonDiscoveryFailed gateway.Reason = "discovery_failed"
	// ReasonAuthorizationEndpointMissing: no authorization_endpoint, discovered or configured.
	ReasonAuthorizationEndpointMissing gateway.Reason = "authorization_endpoint_missing"
	// ReasonEndpointInsecure: discovery names a back-channel endpoint that is not https (issuer not on loopback).
	ReasonEndpointInsecure gateway.Reason = "endpoint_insecure"
	// ReasonJWKSFailed: the provider's signing keys could not be downloaded.
	ReasonJWKSFailed gateway.Reason = "jwks_failed"
	// ReasonIdPTimeout: a back-channel call to the provider timed out (takes precedence).
	ReasonIdPTimeout gateway.Reason = "idp_timeout"
	// ReasonUserinfoFailed: user info could not be fetched (the login goes on without it).
	ReasonUserinfoFailed gateway.Reason = "userinfo_failed"
	// ReasonRevocationFailed: logout could not revoke a token (the session ends anyway).
	ReasonRevocationFailed gateway.Reason = "revocation_failed"
	// ReasonSessionTooLarge: the session does not fit the cookies allowed, so it was not written.
	ReasonSessionTooLarge gateway.Reason = "session_too_large"
)

// Reasons lists every reason the plugin publishes, with its meaning. The gateway core's own
// reasons (upstream_unreachable, internal_error, ...) are in package gateway.
var Reasons = []gateway.ReasonInfo{
	{Reason: ReasonStateCookieMissing, Meaning: "a callback arrived without the authorization (state) cookie", Fix: "Open the app on the redirect URI's host (127.0.0.1 vs localhost are two sites); use https, the tunnel or loopback so the cookie can be SameSite=None; do not block cookies."},
	{Reason: ReasonStateCookieInvalid, Meaning: "the authorization cookie could not be decrypted", Fix: "Set session_secret (a restart without it makes pending logins unreadable) and log in again."},
	{Reason: ReasonLoginTimeout, Meaning: "the login took longer than authorization_rolling_timeout", Fix: "Log in again, faster, or raise authorization_rolling_timeout."},
	{Reason: ReasonStateMismatch, Meaning: "the callback's state is not the pending login's", Fix: "None needed: the plugin restarts the login with the pending state. If it repeats, one login per browser at a time (no parallel tabs)."},
	{Reason: ReasonStateMissing, Meaning: "the callback has a code but no state", Fix: "Check that the identity provider echoes state (every compliant one does) and that nothing strips it from the callback."},
	{Reason: ReasonStateReused, Meaning: "the state and code were already redeemed", Fix: "Load the page again: a callback is single use (a replayed or double-submitted form_post is refused)."},
	{Reason: ReasonCodeMissing, Meaning: "the pending login's cookie came without a code", Fix: "Check the identity provider's response_mode: form_post fields or query parameters must carry code and state."},
	{Reason: ReasonIssMissing, Meaning: "the callback has no iss although the provider advertises RFC 9207", Fix: "A proxy in between strips iss, or the provider is misconfigured: the callback must carry the iss it advertises (RFC 9207)."},
	{Reason: ReasonIssuerMismatch, Meaning: "a callback, token or discovery document names another issuer", Fix: "Make config.issuer exactly the issuer of the authorization server the app uses (a custom server's is …/oauth2/default, the org server's has no /oauth2)."},
	{Reason: ReasonClientMismatch, Meaning: "the callback names another client_id", Fix: "Check config.client_id against the application's client id at the identity provider."},
	{Reason: ReasonUserNotAssigned, Meaning: "the user is not assigned to the application", Fix: "Assign the user (or a group they are in) to the application at the identity provider."},
	{Reason: ReasonNoMatchingPolicy, Meaning: "no access policy rule allows this client, grant and scopes", Fix: "Add an access policy and a rule on the authorization server that allow this client, the Authorization Code grant and these scopes."},
	{Reason: ReasonScopeNotAllowed, Meaning: "the provider refused a requested scope", Fix: "Request only scopes the authorization server has (or add the scope to it); Okta's org server allows no custom scopes."},
	{Reason: ReasonRedirectURINotRegistered, Meaning: "the provider refused the redirect_uri", Fix: "Register config.redirect_uri exactly (scheme, host, port, path) as a sign-in redirect URI of the application."},
	{Reason: ReasonAccessDenied, Meaning: "the user or the provider denied the request", Fix: "If the user did not cancel: check the user's assignment and the access policy."},
	{Reason: ReasonGrantNotAllowed, Meaning: "the client may not use this grant type", Fix: "Enable the Authorization Code (and Refresh Token) grant for the application."},
	{Reason: ReasonInteractionRequired, Meaning: "the provider needs the user to interact", Fix: "Allow the provider to prompt (do not send prompt=none), or sign in at the provider first."},
	{Reason: ReasonIdPError, Meaning: "the provider returned another error", Fix: "Read the provider's error and description in the event; its documentation names the fix."},
	{Reason: ReasonClientAuthFailed, Meaning: "the token endpoint did not accept the client credentials", Fix: "Copy client_id and client_secret again, and match token_endpoint_auth_method to the application's client authentication setting."},
	{Reason: ReasonCodeInvalid, Meaning: "the authorization code was refused", Fix: "Log in again: codes expire in a minute and are single use; check that only one party redeems them."},
	{Reason: ReasonPKCEMismatch, Meaning: "the PKCE code_verifier does not match the code_challenge", Fix: "Log in again in one tab; make sure nothing alters the flow between the authorization request and the callback."},
	{Reason: ReasonTokenRequestFailed, Meaning: "the token endpoint could not be reached or answered unusably", Fix: "Check that the gateway reaches the token endpoint (network, proxy, TLS) and that it answers JSON."},
	{Reason: ReasonIDTokenMissing, Meaning: "the token response has no id_token", Fix: "Request the openid scope and make sure the authorization server grants it."},
	{Reason: ReasonRefreshFailed, Meaning: "the refresh_token grant failed", Fix: "Allow the Refresh Token grant (and offline_access) for the application; otherwise the user logs in again."},
	{Reason: ReasonNonceMismatch, Meaning: "the ID token's nonce is not this login's", Fix: "Log in again; if it keeps failing the provider does not echo nonce (verify_nonce: false only if you accept that)."},
	{Reason: ReasonIDTokenExpired, Meaning: "the ID token has expired", Fix: "Check this machine's clock (NTP); raise config.leeway for small skews."},
	{Reason: ReasonClockSkew, Meaning: "a token is dated in the future: the clocks disagree", Fix: "Fix this machine's clock (NTP) or tolerate the skew with config.leeway."},
	{Reason: ReasonTokenTooOld, Meaning: "the ID token was issued before the login started", Fix: "Log in again; if it repeats, the provider's clock is far behind or a token is being replayed."},
	{Reason: ReasonAudienceMismatch, Meaning: "the token is not meant for this client", Fix: "Set config.client_id to the client id the token was issued for (audience_required for access tokens)."},
	{Reason: ReasonAzpMismatch, Meaning: "the token was issued to another authorized party", Fix: "Set config.client_id to the client that requested the token."},
	{Reason: ReasonSignatureInvalid, Meaning: "the token's signature does not verify", Fix: "The token was altered or comes from another server: check config.issuer; never accept it."},
	{Reason: ReasonSigningKeyUnknown, Meaning: "no key in the provider's JWKS matches the token's kid", Fix: "Check config.issuer (the token comes from another server), or log in again after a key rotation."},
	{Reason: ReasonAlgNotAllowed, Meaning: "the token's signing algorithm is not accepted", Fix: "Sign with an algorithm the provider advertises (RS256); HS* needs enable_hs_signatures."},
	{Reason: ReasonAtHashMismatch, Meaning: "the ID token's at_hash does not match the access token", Fix: "The tokens do not belong together (substitution): check the provider and anything between it and the gateway."},
	{Reason: ReasonSubMissing, Meaning: "the token has no sub claim", Fix: "The provider is not compliant: every token must carry sub."},
	{Reason: ReasonSubjectChanged, Meaning: "a refreshed ID token names another user", Fix: "Log in again: a refresh must not switch users."},
	{Reason: ReasonAuthTooOld, Meaning: "the authentication is older than max_age, or auth_time is missing", Fix: "Log in again (the provider should prompt when max_age is exceeded) or raise config.max_age."},
	{Reason: ReasonTokenMalformed, Meaning: "the token is not a well-formed signed JWT", Fix: "Send a complete signed JWT (three base64url parts, RS256/ES256)."},
	{Reason: ReasonClaimMissing, Meaning: "the ID token lacks a claim OpenID Connect requires (iat)", Fix: "The provider is not compliant: an ID token must carry iat."},
	{Reason: ReasonNoCredentials, Meaning: "no session, no bearer token, and logins are not enabled", Fix: "Send Authorization: Bearer <access token>, or add authorization_code (and session) to auth_methods."},
	{Reason: ReasonTokenExpired, Meaning: "the access token expired and cannot be refreshed", Fix: "Get a new token; for sessions, allow refresh (Refresh Token grant, offline_access scope)."},
	{Reason: ReasonTokenInactive, Meaning: "introspection says the token is not active", Fix: "Get a new token: it expired, was revoked or comes from another server."},
	{Reason: ReasonTokenOpaque, Meaning: "an opaque bearer token, and introspection is not enabled", Fix: "Send a JWT access token, or enable introspection in auth_methods."},
	{Reason: ReasonIntrospectionFailed, Meaning: "the introspection endpoint refused or answered unusably", Fix: "Let the client introspect tokens at the provider and check its credentials."},
	{Reason: ReasonIntrospectionLimited, Meaning: "more unknown tokens needed introspection this second than the plugin allows", Fix: "Retry in a second; if real clients need more, use JWT access tokens (verified locally) or reuse tokens (active answers are cached). Unknown tokens from other web pages cannot spend the provider's rate limit."},
	{Reason: ReasonRequirementNotMet, Meaning: "a *_required check (scopes, audience, groups) is not satisfied", Fix: "Grant the missing scope, audience or group at the provider, or relax the *_required setting (Okta: scopes_claim: [scp])."},
	{Reason: ReasonClaimsUnavailable, Meaning: "required claims cannot be checked", Fix: "Use JWT access tokens or enable introspection so the required claims can be read."},
	{Reason: ReasonIDTokenAsBearer, Meaning: "an ID token was sent as a bearer access token", Fix: "Send the access token (Authorization: Bearer <access_token>), not the ID token: an ID token proves a login to this client, it does not authorize API calls (Kong accepts it, oidclab does not)."},
	{Reason: ReasonClientIDMissing, Meaning: "the plugin has no client_id", Fix: "Set config.client_id."},
	{Reason: ReasonDiscoveryFailed, Meaning: "the discovery document could not be read", Fix: "Check config.issuer (the issuer URL, with or without /.well-known/openid-configuration) and that the provider is up and reachable from the gateway."},
	{Reason: ReasonAuthorizationEndpointMissing, Meaning: "no authorization_endpoint, discovered or configured", Fix: "Fix config.issuer or set config.authorization_endpoint."},
	{Reason: ReasonEndpointInsecure, Meaning: "the discovery document names a token, user info, introspection, revocation or JWKS endpoint that is not https", Fix: "Serve the provider's endpoints over https (plain http is accepted only when the issuer is on loopback), or set the endpoint in config if the document is wrong."},
	{Reason: ReasonJWKSFailed, Meaning: "the provider's signing keys could not be downloaded", Fix: "Check that the provider's jwks_uri answers from the gateway's network."},
	{Reason: ReasonIdPTimeout, Meaning: "a call to the identity provider timed out", Fix: "Check that the provider is reachable from the gateway, or raise config.timeout."},
	{Reason: ReasonUserinfoFailed, Meaning: "user info could not be fetched", Fix: "Check the userinfo endpoint and the openid scope; the login goes on without user info."},
	{Reason: ReasonRevocationFailed, Meaning: "logout could not revoke a token", Fix: "Check the revocation endpoint and the client's credentials; the session ends anyway."},
	{Reason: ReasonSessionTooLarge, Meaning: "the session is too large for the cookies allowed", Fix: "Request fewer scopes or claims, or raise session cookie limits; the tokens must fit the cookies."},
}

// tokenReason names why a token was rejected; idToken tells an expired ID token (a login
// problem) from an expired access token (a client problem).
func tokenReason(err error, idToken bool) gateway.Reason {
	if errors.Is(err, ErrTimeout) {
		return ReasonIdPTimeout
	}
	var te *TokenError
	if !errors.As(err, &te) {
		return ReasonTokenMalformed
	}
	switch te.Check {
	case "iss":
		return ReasonIssuerMismatch
	case "aud":
		return ReasonAudienceMismatch
	case "azp":
		return ReasonAzpMismatch
	case "nonce":
		return ReasonNonceMismatch
	case "exp":
		if idToken {
			return ReasonIDTokenExpired
		}
		return ReasonTokenExpired
	case "iat", "nbf":
		switch {
		case te.Skew < 0:
			return ReasonTokenTooOld
		case te.Skew > 0, te.Check == "nbf":
			// go-oidc's own nbf check reports no skew, but it only fails on a future nbf.
			return ReasonClockSkew
		}
		return ReasonClaimMissing
	case "sub":
		return ReasonSubMissing
	case "sub_changed":
		return ReasonSubjectChanged
	case "alg":
		return ReasonAlgNotAllowed
	case "kid":
		return ReasonSigningKeyUnknown
	case "jwks":
		// go-oidc flattens the key set's error to text, so the timeout is told by its words.
		if strings.Contains(te.Err.Error(), ErrTimeout.Error()) {
			return ReasonIdPTimeout
		}
		return ReasonJWKSFailed
	case "signature":
		return ReasonSignatureInvalid
	case "at_hash":
		return ReasonAtHashMismatch
	case "id_token":
		return ReasonIDTokenAsBearer
	case "auth_time":
		return ReasonAuthTooOld
	}
	return ReasonTokenMalformed
}

// IdPErrorReason names an error= the provider returned, on the callback or in a token
// response (the lab also uses it for the errors its embedded IdP answers with). Descriptions are matched before codes: providers say the specific cause
// (not assigned, no policy) only there, under a generic access_denied.
func IdPErrorReason(code, desc string) gateway.Reason {
	d := strings.ToLower(desc)
	switch {
	case strings.Contains(d, "policy evaluation failed"):
		return ReasonNoMatchingPolicy
	case strings.Contains(d, "not assigned"):
		return ReasonUserNotAssigned
	case strings.Contains(d, "custom scopes are not allowed"):
		return ReasonScopeNotAllowed
	case strings.Contains(d, "redirect_uri"):
		return ReasonRedirectURINotRegistered
	}
	switch code {
	case "access_denied":
		return ReasonAccessDenied
	case "invalid_scope":
		return ReasonScopeNotAllowed
	case "unauthorized_client":
		return ReasonGrantNotAllowed
	case "login_required", "interaction_required", "consent_required", "account_selection_required":
		return ReasonInteractionRequired
	}
	return ReasonIdPError
}

// tokenEndpointReason names a failed token request. refresh marks the refresh_token grant,
// whose invalid_grant is about the refresh token, not a code.
func tokenEndpointReason(err error, refresh bool) gateway.Reason {
	if errors.Is(err, ErrTimeout) {
		return ReasonIdPTimeout
	}
	var te *TokenError
	if errors.As(err, &te) {
		return tokenReason(err, true)
	}
	var oe *OAuthError
	if !errors.As(err, &oe) {
		if refresh {
			return ReasonRefreshFailed
		}
		return ReasonTokenRequestFailed
	}
	switch oe.Code {
	case "invalid_client":
		return ReasonClientAuthFailed
	case "invalid_grant":
		d := strings.ToLower(oe.Description)
		switch {
		case strings.Contains(d, "redirect"):
			return ReasonRedirectURINotRegistered
		case strings.Contains(d, "verifier") || strings.Contains(d, "pkce") || strings.Contains(d, "code_challenge"):
			return ReasonPKCEMismatch
		case refresh:
			return ReasonRefreshFailed
		}
		return ReasonCodeInvalid
	case "":
	default:
		if r := IdPErrorReason(oe.Code, oe.Description); r != ReasonIdPError {
			return r
		}
	}
	if oe.Status == http.StatusUnauthorized {
		return ReasonClientAuthFailed
	}
	if refresh {
		return ReasonRefreshFailed
	}
	return ReasonIdPError
}

// introspectionReason names a failed introspection.
func introspectionReason(err error) gateway.Reason {
	switch {
	case errors.Is(err, ErrTimeout):
		return ReasonIdPTimeout
	case errors.Is(err, errInactive):
		return ReasonTokenInactive
	case errors.Is(err, errIntrospectedExpired):
		return ReasonTokenExpired
	case errors.Is(err, errIntrospectionLimited):
		return ReasonIntrospectionLimited
	}
	return ReasonIntrospectionFailed
}

// unexpectedReason names a failure answered with a 500.
func unexpectedReason(err error) gateway.Reason {
	var mismatch *IssuerMismatchError
	var insecure *InsecureEndpointError
	switch {
	case errors.Is(err, ErrTimeout):
		return ReasonIdPTimeout
	case errors.As(err, &mismatch):
		return ReasonIssuerMismatch
	case errors.As(err, &insecure):
		return ReasonEndpointInsecure
	case errors.Is(err, ErrDiscovery):
		return ReasonDiscoveryFailed
	case errors.Is(err, errNoAuthorizationEndpoint):
		return ReasonAuthorizationEndpointMissing
	}
	return gateway.ReasonInternalError
}

// backChannelReason names a failed call whose failure the login survives (user info,
// revocation): a timeout, or the given reason.
func backChannelReason(err error, otherwise gateway.Reason) gateway.Reason {
	if errors.Is(err, ErrTimeout) {
		return ReasonIdPTimeout
	}
	return otherwise
}
