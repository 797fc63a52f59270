package emulator

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits on authorization request parameters (Okta rejects oversized values too).
const (
	maxParamLen  = 2048
	maxParams    = 64
	maxScopes    = 50
	maxLoginHint = 256
)

// authorizeError is a failure of an authorization request, and how Okta delivers it: on its own
// error page when the client or redirect URI cannot be trusted, else by redirecting back.
type authorizeError struct {
	page   bool // Okta's HTML error page, no redirect
	status int  // for the page
	err    *oauthError
}

func pageError(status int, code, desc string) *authorizeError {
	return &authorizeError{page: true, status: status, err: errf(status, code, desc)}
}

func redirectError(code, desc string) *authorizeError {
	return &authorizeError{err: errf(http.StatusFound, code, desc)}
}

// parseAuthorizeRequest validates an authorization request against the server's clients and
// scopes. When the returned error is a redirect error, req carries enough (redirect URI, mode,
// state) to deliver it.
func (s *Server) parseAuthorizeRequest(q url.Values, as *AuthServer, base string) (authRequest, *authorizeError) {
	req := authRequest{AuthServer: as.ID, MaxAge: -1, ResponseMode: "query"}
	if len(q) > maxParams {
		return req, pageError(http.StatusBadRequest, "invalid_request", "The request has too many parameters.")
	}
	// Until the client and redirect URI are trusted, every problem is shown on Okta's page.
	for _, k := range []string{"client_id", "redirect_uri"} {
		if len(q[k]) > 1 {
			return req, pageError(http.StatusBadRequest, "invalid_request", "The '"+k+"' parameter must not be repeated.")
		}
	}
	clientID := q.Get("client_id")
	if clientID == "" {
		return req, pageError(http.StatusBadRequest, "invalid_request", "The 'client_id' parameter is required.")
	}
	s.mu.RLock()
	client, ok := s.clients[clientID]
	s.mu.RUnlock()
	if !ok || client.Inactive {
		return req, pageError(http.StatusBadRequest, "invalid_client", descInvalidClientID)
	}
	req.ClientID = clientID
	redirectURI := q.Get("redirect_uri")
	if redirectURI == "" {
		return req, pageError(http.StatusBadRequest, "invalid_request", "The 'redirect_uri' parameter is required.")
	}
	if !slices.Contains(client.RedirectURIs, redirectURI) {
		return req, pageError(http.StatusBadRequest, "invalid_request",
			descRedirectURINotRegistered+appSettingsURL(base, client.ID))
	}
	req.RedirectURI = redirectURI

	// From here on errors go back to the client, the way response_mode asks and with the state
	// (OIDC Core 3.1.2.6), even when another parameter is what is wrong.
	if v := q["response_mode"]; len(v) == 1 && (v[0] == "fragment" || v[0] == "form_post") {
		req.ResponseMode = v[0]
	}
	if v := q["state"]; len(v) == 1 && len(v[0]) <= maxParamLen {
		req.State = v[0]
	}
	for k, v := range q {
		if len(v) > 1 {
			return req, redirectError("invalid_request", "The '"+k+"' parameter must not be repeated.")
		}
		if len(v[0]) > maxParamLen {
			return req, redirectError("invalid_request", "The '"+k+"' parameter is too long.")
		}
	}
	switch mode := q.Get("response_mode"); mode {
	case "", "query", "fragment", "form_post":
	default:
		return req, redirectError("unsupported_response_mode", "The response mode '"+mode+"' is not supported by the authorization server.")
	}
	switch rt := q.Get("response_type"); {
	case rt == "":
		return req, redirectError("invalid_request", "The 'response_type' parameter is required.")
	case rt != "code":
		return req, redirectError("unsupported_response_type", descUnsupportedResponseType)
	}
	if !slices.Contains(client.GrantTypes, GrantAuthorizationCode) {
		return req, redirectError("unauthorized_client", grantNotAllowed(client))
	}
	if req.State == "" {
		return req, redirectError("invalid_request", descStateRequired)
	}
	if q.Has("request") || q.Has("request_uri") {
		return req, redirectError("request_not_supported", "The emulator does not support request objects.")
	}
	scope := q.Get("scope")
	if scope == "" {
		return req, redirectError("invalid_scope", "The authorization request must include the 'scope' parameter.")
	}
	scopes := strings.Fields(scope)
	if len(scopes) > maxScopes {
		return req, redirectError("invalid_scope", descUnknownScope)
	}
	for _, sc := range scopes {
		if !scopeExists(as, sc) {
			return req, redirectError("invalid_scope", descUnknownScope)
		}
	}
	req.Scopes = dedupe(scopes)

	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case challenge == "" && method != "":
		return req, redirectError("invalid_request", "The 'code_challenge' parameter is required when 'code_challenge_method' is present.")
	case challenge == "" && client.Public():
		return req, redirectError("invalid_request", descPKCERequiredPublic)
	case challenge == "" && client.PKCERequired:
		return req, redirectError("invalid_request", descPKCERequiredApp)
	case challenge != "" && method != "S256":
		return req, redirectError("invalid_request", descPKCEMethod)
	case challenge != "" && !pkceCharsOK(challenge):
		return req, redirectError("invalid_request", descPKCEIllegalChars)
	case challenge != "" && (len(challenge) < 43 || len(challenge) > 128):
		return req, redirectError("invalid_request", "PKCE code challenge must be between 43 and 128 characters.")
	}
	req.Challenge, req.ChallengeMeth = challenge, method

	prompt := strings.Fields(q.Get("prompt"))
	for _, p := range prompt {
		if p != "none" && p != "login" && p != "consent" {
			return req, redirectError("invalid_request", "The 'prompt' parameter value '"+p+"' is not supported.")
		}
	}
	if slices.Contains(prompt, "none") && len(prompt) > 1 {
		return req, redirectError("invalid_request", "The 'prompt' value 'none' cannot be combined with other values.")
	}
	switch {
	case slices.Contains(prompt, "none"):
		req.Prompt = "none"
	case slices.Contains(prompt, "login"):
		req.Prompt = "login"
	}
	if v := q.Get("max_age"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return req, redirectError("invalid_request", "The 'max_age' parameter must be a non-negative integer.")
		}
		req.MaxAge = n
	}
	req.Nonce = q.Get("nonce")
	if hint := q.Get("login_hint"); len(hint) <= maxLoginHint {
		req.LoginHint = hint
	}
	return req, nil
}

// appSettingsURL is where Okta's error page sends an admin to fix the app's redirect URIs.
func appSettingsURL(base, clientID string) string {
	return base + "/admin/app/oidc_client/instance/" + url.PathEscape(clientID) + "#tab-general"
}

func grantNotAllowed(c *Client) string {
	return "The client is not authorized to use the provided grant type. Configured grant types: [" +
		strings.Join(c.GrantTypes, ", ") + "]."
}

func scopeExists(as *AuthServer, name string) bool {
	if oidcScopes[name] {
		return true
	}
	return slices.ContainsFunc(as.Scopes, func(s Scope) bool { return s.Name == name })
}

func dedupe(list []string) []string {
	out := make([]string, 0, len(list))
	for _, v := range list {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// pkceCharsOK checks RFC 7636's unreserved characters.
func pkceCharsOK(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request, as *AuthServer) {
	base := s.baseFor(r)
	rec := recordFrom(r)
	rec.ClientID = truncate(r.Form.Get("client_id"), maxIDLen)
	rec.PKCEMethod = truncate(r.Form.Get("code_challenge_method"), 16)
	req, aerr := s.parseAuthorizeRequest(r.Form, as, base)
	if aerr != nil {
		s.deliverAuthorizeError(w, r, req, aerr)
		return
	}
	now := s.now()
	se, hasSession := s.sessionFrom(r, now)
	needLogin := !hasSession || req.Prompt == "login" ||
		(req.MaxAge >= 0 && now.Sub(se.AuthTime) > time.Duration(req.MaxAge)*time.Second)
	if needLogin && req.Prompt == "none" {
		s.deliverAuthorizeError(w, r, req, redirectError("login_required", descLoginRequired))
		return
	}
	if needLogin {
		s.startLogin(w, r, req, now)
		return
	}
	s.mu.RLock()
	u, ok := s.byID[se.UserID]
	s.mu.RUnlock()
	if !ok { // the user was replaced or removed since signing in
		s.startLogin(w, r, req, now)
		return
	}
	s.completeAuthorize(w, r, req, u, se.AuthTime)
}

// completeAuthorize runs the post-authentication checks (assignment, access policy) and
// answers with a code.
func (s *Server) completeAuthorize(w http.ResponseWriter, r *http.Request, req authRequest, u *User, authTime time.Time) {
	s.mu.RLock()
	client, okc := s.clients[req.ClientID]
	as, oka := s.servers[req.AuthServer]
	s.mu.RUnlock()
	if !okc || !oka || client.Inactive {
		writeErrorPage(w, r, http.StatusBadRequest, "invalid_client", descInvalidClientID)
		return
	}
	if !assigned(client, u) {
		s.deliverAuthorizeError(w, r, req, redirectError("access_denied", descUserNotAssigned))
		return
	}
	if _, ok := evaluatePolicy(as, client.ID, GrantAuthorizationCode, req.Scopes, u); !ok {
		s.deliverAuthorizeError(w, r, req, redirectError("access_denied", descPolicyFailed))
		return
	}
	code := randomToken(32)
	now := s.now()
	if err := s.store.putCode(code, &authCode{Req: req, UserID: u.ID, AuthTime: authTime, Expires: now.Add(codeLifetime)}, now); err != nil {
		s.deliverAuthorizeError(w, r, req, redirectError("temporarily_unavailable", err.Error()))
		return
	}
	s.log.Info("emulator issued authorization code", "client_id", client.ID, "user", u.Login, "auth_server", as.ID)
	fields := []formField{{"code", code}}
	if req.State != "" {
		fields = append(fields, formField{"state", req.State})
	}
	deliver(w, req, fields)
}

// deliverAuthorizeError shows Okta's page or sends the error back to the client.
func (s *Server) deliverAuthorizeError(w http.ResponseWriter, r *http.Request, req authRequest, aerr *authorizeError) {
	if aerr.page || req.RedirectURI == "" {
		writeErrorPage(w, r, aerr.status, aerr.err.Code, aerr.err.Description)
		return
	}
	rec := recordFrom(r)
	rec.Error, rec.ErrorDescription = aerr.err.Code, aerr.err.Description
	fields := []formField{{"error", aerr.err.Code}, {"error_description", aerr.err.Description}}
	if req.State != "" {
		fields = append(fields, formField{"state", req.State})
	}
	deliver(w, req, fields)
}

// deliver answers the client per response_mode: a redirect with a query or fragment, or the
// self-submitting form_post page.
func deliver(w http.ResponseWriter, req authRequest, fields []formField) {
	if req.ResponseMode == "form_post" {
		renderPage(w, http.StatusOK, formPostPage, formPostView{Action: req.RedirectURI, Fields: fields})
		return
	}
	v := url.Values{}
	for _, f := range fields {
		v.Set(f.Name, f.Value)
	}
	target := req.RedirectURI
	if req.ResponseMode == "fragment" {
		target += "#" + v.Encode()
	} else if strings.Contains(target, "?") {
		target += "&" + v.Encode()
	} else {
		target += "?" + v.Encode()
	}
	w.Header().Set("Cache-Control", "no-cache, no-store")
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusFound)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
