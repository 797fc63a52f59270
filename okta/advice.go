package okta

import "slices"

// The Admin Console paths below are those of Okta's Identity Engine console as of 2025; the
// error texts that lead to them are in the reference notes (ngrok-and-okta.md, B2).
const (
	pathApp         = "Applications → Applications → (your app)"
	pathAuthServers = "Security → API → Authorization Servers"
)

// advice maps a reason code (gateway.Reason and oidc.Reason* values, as strings) to what to do
// in Okta. Only reasons Okta has a concrete fix for are here.
var advice = map[string]string{
	"user_not_assigned": "In the Okta Admin Console: " + pathApp + " → Assignments → Assign → Assign to People (or Assign to Groups, with a group the user is in).",

	"no_matching_policy": "In the Okta Admin Console: " + pathAuthServers + " → (the server of config.issuer) → Access Policies → Add New Access Policy assigned to this app (or to All clients), then Add Rule allowing the Authorization Code grant (and Refresh Token, to refresh) and the requested scopes. A new custom authorization server has no policy, so every login fails until one exists.",

	"scope_not_allowed": "Okta's org authorization server (issuer https://ORG.okta.com) does not allow custom scopes: use a custom authorization server (issuer https://ORG.okta.com/oauth2/default or /oauth2/<id>), or request only openid, profile, email, address, phone, offline_access. On a custom server, add the scope under " + pathAuthServers + " → (your server) → Scopes → Add Scope.",

	"redirect_uri_not_registered": "In the Okta Admin Console: " + pathApp + " → General → LOGIN → Edit → Sign-in redirect URIs: add config.redirect_uri exactly as the gateway sends it (scheme, host, port, path, trailing slash). With the tunnel, that is the tunnel's https URL.",

	"client_auth_failed": "In the Okta Admin Console: " + pathApp + " → General → Client Credentials: copy the Client ID and the Client secret into config.client_id and config.client_secret, and check that Client authentication is \"Client secret\" (client_secret_basic or client_secret_post, matching token_endpoint_auth_method).",

	"issuer_mismatch": "In the Okta Admin Console: " + pathAuthServers + " lists each server's Issuer URI. A custom server's issuer is https://ORG.okta.com/oauth2/default (or /oauth2/<id>); the org server's is https://ORG.okta.com, with no /oauth2. Set config.issuer to the issuer of the server the app's tokens come from.",

	"discovery_failed": "An Okta issuer is https://ORG.okta.com/oauth2/default (or /oauth2/<id>) for a custom authorization server, https://ORG.okta.com for the org server; see " + pathAuthServers + " → Issuer URI. Discovery is at {issuer}/.well-known/openid-configuration.",

	"grant_not_allowed": "In the Okta Admin Console: " + pathApp + " → General → General Settings → Edit → Grant type: check Authorization Code (and Refresh Token, to refresh sessions). The access policy rule under " + pathAuthServers + " must allow the same grants.",

	"access_denied": "In the Okta Admin Console, check that the user is assigned (" + pathApp + " → Assignments) and that an access policy rule allows this app, grant and scopes (" + pathAuthServers + " → (your server) → Access Policies).",

	"audience_mismatch": "Okta sets an ID token's aud to the app's client ID: copy it from " + pathApp + " → General → Client Credentials → Client ID into config.client_id.",

	"clock_skew": "Okta's servers keep accurate time, so this machine's clock is off: enable NTP (timedatectl set-ntp true, or the OS's automatic time setting) or tolerate the skew with config.leeway.",

	"requirement_not_met": "Okta puts an access token's scopes in the scp claim (set scopes_claim: [scp]). Groups are only in tokens when a groups claim is defined: " + pathAuthServers + " → (your server) → Claims → Add Claim (groups, filter Matches regex .*), and scopes are granted by the rule under Access Policies.",

	"token_expired": "To keep sessions alive in Okta: " + pathApp + " → General → Grant type → Refresh Token, add offline_access to config.scopes, and allow Refresh Token in the access policy rule (" + pathAuthServers + " → (your server) → Access Policies).",

	"refresh_failed": "In Okta, the refresh token must be allowed for the app (" + pathApp + " → General → Grant type → Refresh Token) and by the access policy rule (" + pathAuthServers + " → (your server) → Access Policies); its lifetime is set in that rule.",

	"id_token_missing": "Okta returns an ID token only when openid is requested and granted: add openid to config.scopes, and on a custom server check the rule under " + pathAuthServers + " → (your server) → Access Policies allows it.",
}

// Advice returns the Okta Admin Console steps that fix a failure with this reason code, or ""
// when Okta has no specific fix for it.
func Advice(reason string) string { return advice[reason] }

// AdviceReasons lists the reason codes Advice has steps for, so front ends and tests can
// enumerate them.
func AdviceReasons() []string {
	out := make([]string, 0, len(advice))
	for r := range advice {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}
