package emulator

import (
	"encoding/json"
	"net/http"
)

// Okta's error texts, kept in one place so tests and docs quote the same strings.
const (
	descRedirectURINotRegistered = "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings: "
	descLogoutURINotRegistered   = "The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the client app settings: "
	descInvalidClientID          = "Invalid value for 'client_id' parameter."
	descUserNotAssigned          = "User is not assigned to the client application."
	descPolicyFailed             = "Policy evaluation failed for this request, please check the policy configurations."
	descUnknownScope             = "One or more scopes are not configured for the authorization server resource."
	descNoDefaultScopes          = "The authorization server resource does not have any configured default scopes, 'scope' must be provided."
	descBadClientSecret          = "The client secret supplied for a confidential client is invalid."
	descNoClientCredentials      = "No client credentials found."
	descClientAuthFailed         = "Client authentication failed. Either the client or the client credentials are invalid."
	descMultipleCredentials      = "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body."
	descPKCEFailed               = "PKCE verification failed."
	descPKCEIllegalChars         = "PKCE code challenge contains illegal characters."
	descPKCERequiredPublic       = "PKCE code challenge is required when the token endpoint authentication method is 'NONE'."
	descPKCERequiredApp          = "PKCE code challenge is required by the client application."
	descPKCEMethod               = "Only 'S256' is supported as the code_challenge_method."
	descBrowserNeedsPKCE         = "Browser requests to the token endpoint must use Proof Key for Code Exchange."
	descCodeInvalid              = "The authorization code is invalid or has expired."
	descRedirectMismatch         = "The 'redirect_uri' does not match the redirection URI used in the authorization request."
	descRefreshInvalid           = "The refresh token is invalid or expired."
	descLoginRequired            = "The client specified not to prompt, but the user is not logged in."
	descStateRequired            = "The authentication request has an invalid 'state' parameter."
	descUnsupportedResponseType  = "The response type is not supported by the authorization server. Configured response types: [code]."
	descAccessTokenInvalid       = "The access token is invalid"
	descInsufficientScope        = "The access token must provide access to at least one of these scopes - profile, email, address or phone"
)

// oauthError is an OAuth 2.0 error: a code, Okta's description, and the HTTP status for JSON.
type oauthError struct {
	Code        string
	Description string
	Status      int
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

func errf(status int, code, desc string) *oauthError {
	return &oauthError{Code: code, Description: desc, Status: status}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache, no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeOAuthError answers with OAuth's JSON error shape and records the code.
func writeOAuthError(w http.ResponseWriter, r *http.Request, e *oauthError) {
	rec := recordFrom(r)
	rec.Error, rec.ErrorDescription = e.Code, e.Description
	challengeBasic(w, r, e.Status)
	writeJSON(w, e.Status, map[string]string{"error": e.Code, "error_description": e.Description})
}

// oktaError is the Management-API style error body Okta also uses for some OAuth failures.
type oktaError struct {
	ErrorCode    string     `json:"errorCode"`
	ErrorSummary string     `json:"errorSummary"`
	ErrorLink    string     `json:"errorLink"`
	ErrorID      string     `json:"errorId"`
	ErrorCauses  []apiCause `json:"errorCauses"`
}

// challengeBasic adds the challenge RFC 6749 5.2 requires on a 401 to a client that tried the
// Authorization header.
func challengeBasic(w http.ResponseWriter, r *http.Request, status int) {
	if status == http.StatusUnauthorized && r.Header.Get("Authorization") != "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="oauth2"`)
	}
}

func writeOktaError(w http.ResponseWriter, r *http.Request, status int, code, summary string) {
	rec := recordFrom(r)
	rec.Error, rec.ErrorDescription = code, summary
	writeJSON(w, status, oktaError{ErrorCode: code, ErrorSummary: summary, ErrorLink: code, ErrorID: oktaID("oae") + oktaID("")[:5], ErrorCauses: []apiCause{}})
}

// writeNotFoundAuthServer is Okta's answer for an unknown authorization server id.
func writeNotFoundAuthServer(w http.ResponseWriter, r *http.Request, id string) {
	writeOktaError(w, r, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+id+" (AuthorizationServer)")
}
