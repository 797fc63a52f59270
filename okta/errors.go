package okta

import (
	"errors"
	"strings"
)

// Explanation is what an Okta error text means and what to do about it.
type Explanation struct {
	// Text is Okta's wording (or the start of it), as it appears in error_description,
	// errorSummary or on Okta's error page.
	Text  string `json:"text"`
	Cause string `json:"cause"`
	Fix   string `json:"fix"`
}

// errorTexts is the one table of Okta's error texts every front end explains failures from:
// the login's (reference notes B2) and the Management API's (error codes).
var errorTexts = []Explanation{
	{"The 'redirect_uri' parameter must be a Login redirect URI in the client app settings",
		"The gateway's redirect URI is not registered on the Okta app (Okta compares it exactly: scheme, host, port, path, trailing slash).",
		"Run `oidclab okta sync --redirect-uri URI` with the gateway's redirect URI, or add it in " + pathApp + " → General → LOGIN → Sign-in redirect URIs."},
	{"User is not assigned to the client application.",
		"The user signed in, but is not assigned to the app.",
		"Assign the user: " + pathApp + " → Assignments → Assign to People (oidclab okta setup does it for --user)."},
	{"Policy evaluation failed for this request, please check the policy configurations.",
		"No access policy of the custom authorization server covers this app, or no rule in it allows the grant type, the scopes or the user (a new server has no policy).",
		"Add an access policy for the app with a rule allowing the Authorization Code grant and the scopes: " + pathAuthServers + " → (your server) → Access Policies; `oidclab okta doctor` says which is missing."},
	{"One or more scopes are not configured for the authorization server resource.",
		"A requested scope does not exist on the custom authorization server (groups, for one, must be added).",
		"Request only scopes the server has, or add the scope under " + pathAuthServers + " → (your server) → Scopes."},
	{"Custom scopes are not allowed for this request.",
		"A custom scope was requested from the org authorization server, which has none.",
		"Use a custom authorization server's issuer (https://ORG.okta.com/oauth2/default or /oauth2/<id>)."},
	{"The client secret supplied for a confidential client is invalid.",
		"The client secret does not match the app's.",
		"Copy the secret again from " + pathApp + " → General → Client Credentials (DECK_OKTA_CLIENT_SECRET)."},
	{"Invalid value for 'client_id' parameter.",
		"No active app has this client id in this org (a typo, another org, or the app is deactivated).",
		"Copy the Client ID from " + pathApp + " → General, check the issuer is this org's, and that the app is active."},
	{"No client credentials found.",
		"The token request carried no client authentication.",
		"Send the client secret (token_endpoint_auth_method client_secret_basic or client_secret_post)."},
	{"The client is not authorized to use the provided grant type.",
		"The app does not allow this grant type.",
		"Enable it in " + pathApp + " → General → General Settings → Grant type (Authorization Code)."},
	{"Browser requests to the token endpoint must use Proof Key for Code Exchange.",
		"A browser called the token endpoint without PKCE.",
		"Exchange the code server-side (the gateway does) or use PKCE."},
	{"PKCE code challenge contains illegal characters.",
		"The code_challenge is not base64url.",
		"Send an S256 challenge of 43 base64url characters."},
	{"The authorization server resource does not have any configured default scopes, 'scope' must be provided.",
		"A client_credentials request named no scope and the server has no default scope.",
		"Request a scope, or mark one as default under " + pathAuthServers + " → (your server) → Scopes."},
	{"Invalid token provided",
		"The Management API token (OKTA_API_TOKEN) is wrong, revoked, expired, or of another org.",
		"Create a token under Security → API → Tokens → Create Token in the Okta Admin Console and export OKTA_API_TOKEN (for `oidclab idp`, the token it prints with --show-secrets)."},
	{"You do not have permission to perform the requested action",
		"The API token's admin lacks the role the call needs (apps and authorization servers need Super Administrator, or an Application and API Access Management administrator).",
		"Create the token as an admin with those roles: Security → Administrators."},
	{"API call exceeded rate limit due to too many requests.",
		"Okta's rate limit for this endpoint is spent until X-Rate-Limit-Reset.",
		"Wait a minute and run the command again; the client already waited for the reset as often as allowed."},
	{"Delete application forbidden.",
		"An active app cannot be deleted.",
		"Deactivate it first (`oidclab okta cleanup` does), or Applications → (the app) → Deactivate, then Delete."},
	{"Api validation failed",
		"Okta refused a field of the request; errorCauses say which.",
		"Fix the field named in the causes; for names, another app or authorization server may already use it (--name)."},
	{"Not found: Resource not found",
		"The id does not exist in this org (deleted, or created in another org).",
		"Check --org-url and the state file; `oidclab okta setup` creates the objects again."},
}

// Explain finds what an Okta error text means: the first table entry whose text occurs in msg.
func Explain(msg string) (Explanation, bool) {
	for _, e := range errorTexts {
		if strings.Contains(msg, e.Text) {
			return e, true
		}
	}
	return Explanation{}, false
}

// ErrorTexts returns the table, for documentation and front ends.
func ErrorTexts() []Explanation { return append([]Explanation(nil), errorTexts...) }

// FixFor says what to do about an error from this package: an Okta error text from the table,
// an unreachable org, a missing user. It is "" when there is nothing specific to say.
func FixFor(err error) string {
	var ae *APIError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrUnreachable):
		return "Check --org-url (https://ORG.okta.com, no -admin) and the network; for the embedded IdP, that `oidclab idp` is running at that address."
	case errors.Is(err, ErrUserNotFound):
		return "Check --user: it is the user's Okta username (Directory → People → the user → Username), often an email address."
	case errors.Is(err, ErrNoToken):
		return "Create a token under Security → API → Tokens in the Okta Admin Console and export OKTA_API_TOKEN=... (for `oidclab idp`, the token it prints with --show-secrets)."
	case errors.As(err, &ae):
		if ex, ok := Explain(ae.Summary); ok {
			return ex.Fix
		}
	}
	if ex, ok := Explain(err.Error()); ok {
		return ex.Fix
	}
	return ""
}
