package emulator

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// handleToken is /v1/token: authorization_code, refresh_token and client_credentials.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request, as *AuthServer) {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		writeOAuthError(w, r, errf(http.StatusBadRequest, "invalid_request", "The token request must be sent as application/x-www-form-urlencoded."))
		return
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			writeOAuthError(w, r, errf(http.StatusBadRequest, "invalid_request", "The '"+truncate(k, 64)+"' parameter must not be repeated."))
			return
		}
	}
	client, aerr := s.authenticateClient(r)
	if aerr != nil {
		aerr.write(w, r)
		return
	}
	grantType := r.PostForm.Get("grant_type")
	var resp tokenResponse
	var oerr *oauthError
	switch grantType {
	case "":
		oerr = errf(http.StatusBadRequest, "invalid_request", "The 'grant_type' parameter is required.")
	case GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials:
		if !slices.Contains(client.GrantTypes, grantType) {
			oerr = errf(http.StatusBadRequest, "unauthorized_client", grantNotAllowed(client))
			break
		}
		switch grantType {
		case GrantAuthorizationCode:
			resp, oerr = s.codeGrant(r, as, client)
		case GrantRefreshToken:
			resp, oerr = s.refreshGrant(r, as, client)
		default:
			resp, oerr = s.clientCredentialsGrant(r, as, client)
		}
	default:
		oerr = errf(http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server. Configured grant types: ["+
			strings.Join(client.GrantTypes, ", ")+"].")
	}
	if oerr != nil {
		writeOAuthError(w, r, oerr)
		return
	}
	s.log.Info("emulator issued tokens", "grant_type", grantType, "client_id", client.ID, "scope", resp.Scope,
		"id_token", resp.IDToken != "", "refresh_token", resp.RefreshToken != "")
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) codeGrant(r *http.Request, as *AuthServer, client *Client) (tokenResponse, *oauthError) {
	f := r.PostForm
	rec := recordFrom(r)
	verifier := f.Get("code_verifier")
	if verifier != "" {
		rec.PKCEMethod = "S256"
	}
	code := f.Get("code")
	if code == "" {
		return tokenResponse{}, errf(http.StatusBadRequest, "invalid_request", "The 'code' parameter is required.")
	}
	ac, ok := s.store.takeCode(code)
	now := s.now()
	if !ok || now.After(ac.Expires) || ac.Req.ClientID != client.ID || ac.Req.AuthServer != as.ID {
		return tokenResponse{}, errf(http.StatusBadRequest, "invalid_grant", descCodeInvalid)
	}
	if f.Get("redirect_uri") != ac.Req.RedirectURI {
		return tokenResponse{}, errf(http.StatusBadRequest, "invalid_grant", descRedirectMismatch)
	}
	if ac.Req.Challenge == "" {
		if r.Header.Get("Origin") != "" {
			return tokenResponse{}, errf(http.StatusUnauthorized, "invalid_client", descBrowserNeedsPKCE)
		}
		if verifier != "" {
			return tokenResponse{}, errf(http.StatusBadRequest, "invalid_grant", descPKCEFailed)
		}
	} else if !pkceVerify(ac.Req.Challenge, verifier) {
		return tokenResponse{}, errf(http.StatusBadRequest, "invalid_grant", descPKCEFailed)
	}
	s.mu.RLock()
	u, ok := s.byID[ac.UserID]
	s.mu.RUnlock()
	if !ok {
		return tokenResponse{}, errf(http.StatusBadRequest, "invalid_grant", descCodeInvalid)
	}
	rule, ok := evaluatePolicy(as, client.ID, GrantAuthorizationCode, ac.Req.Scopes, u)
	if !ok {
		return tokenResponse{}, errf(http.StatusBadRequest, "access_denied", descPolicyFailed)
	}
	g := grant{as: as, client: client, user: u, scopes: ac.Req.Scopes, nonce: ac.Req.Nonce, authTime: ac.AuthTime, rule: rule,
		refresh: slices.Contains(ac.Req.Scopes, "offline_access") && slices.Contains(client.GrantTypes, GrantRefreshToken) &&
			ruleAllowsGrant(rule, GrantRefreshToken)}
	resp, err := s.mint(s.baseFor(r), g)
	if err != nil {
		return tokenResponse{}, errf(http.StatusServiceUnavailable, "temporarily_unavailable", "The tokens could not be issued: "+err.Error())
	}
	return resp, nil
}

// pkceVerify checks an RFC 7636 verifier (43–128 unreserved characters) against an S256 challenge.
func pkceVerify(challenge, verifier string) bool {
	if len(verifier) < 43 || len(verifier) > 128 || !pkceCharsOK(verifier) {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

func (s *Server) refreshGrant(r *http.Request, as *AuthServer, client *Client) (tokenResponse, *oauthError) {
	token := r.PostForm.Get("refresh_token")
	if token == "" {
		return tokenResponse{}, errf(http.StatusBadRequest, "invalid_request", "The 'refresh_token' parameter is required.")
	}
	now := s.now()
	rg, ok := s.store.refreshGrant(token)
	if !ok || now.After(rg.Expires) || rg.ClientID != client.ID || rg.AuthServer != as.ID {
		return tokenResponse{}, errf(http.StatusBadRequest, "invalid_grant", descRefreshInvalid)
	}
	if !rg.Rotated.IsZero() && now.After(rg.Rotated.Add(client.refreshLeeway())) {
		s.store.spendRefresh(token, now, client.refreshLeeway()) // revokes the family
		s.log.Warn("emulator detected refresh token reuse; revoked the login's tokens", "client_id", client.ID)
		return tokenResponse{}, errf(http.StatusBadRequest, "invalid_grant", descRefreshInvalid)
	}
	scopes := rg.Scopes
	if sc := r.PostForm.Get("scope"); sc != "" {
		scopes = dedupe(strings.Fields(sc))
		for _, x := range scopes {
			if !slices.Contains(rg.Scopes, x) {
				return tokenResponse{}, errf(http.StatusBadRequest, "invalid_scope", "The requested scopes must be a subset of the scopes of the original grant.")
			}
		}
	}
	s.mu.RLock()
	u, ok := s.byID[rg.UserID]
	s.mu.RUnlock()
	if !ok {
		return tokenResponse{}, errf(http.StatusBadRequest, "invalid_grant", descRefreshInvalid)
	}
	rule, ok := evaluatePolicy(as, client.ID, GrantRefreshToken, scopes, u)
	if !ok {
		return tokenResponse{}, errf(http.StatusBadRequest, "access_denied", descPolicyFailed)
	}
	g := grant{as: as, client: client, user: u, scopes: scopes, authTime: rg.AuthTime, rule: rule, refresh: true, family: rg.Family}
	if client.StaticRefreshToken {
		g.reuseRT = token
	} else {
		// Rotation: the presented token is rotated out; a concurrent request may have revoked
		// its family or rotated it out long ago between the lookup and now.
		switch s.store.spendRefresh(token, now, client.refreshLeeway()) {
		case refreshReused, refreshGone:
			return tokenResponse{}, errf(http.StatusBadRequest, "invalid_grant", descRefreshInvalid)
		}
	}
	resp, err := s.mint(s.baseFor(r), g)
	if err != nil {
		return tokenResponse{}, errf(http.StatusServiceUnavailable, "temporarily_unavailable", "The tokens could not be issued: "+err.Error())
	}
	return resp, nil
}

func (s *Server) clientCredentialsGrant(r *http.Request, as *AuthServer, client *Client) (tokenResponse, *oauthError) {
	scopes := dedupe(strings.Fields(r.PostForm.Get("scope")))
	if len(scopes) == 0 {
		for _, sc := range as.Scopes {
			if sc.Default {
				scopes = append(scopes, sc.Name)
			}
		}
		if len(scopes) == 0 {
			return tokenResponse{}, errf(http.StatusBadRequest, "invalid_scope", descNoDefaultScopes)
		}
	}
	if len(scopes) > maxScopes {
		return tokenResponse{}, errf(http.StatusBadRequest, "invalid_scope", descUnknownScope)
	}
	for _, sc := range scopes {
		if oidcScopes[sc] {
			return tokenResponse{}, errf(http.StatusBadRequest, "invalid_scope", "Cannot request '"+sc+"' scopes using client credentials.")
		}
	}
	for _, sc := range scopes {
		if !scopeExists(as, sc) {
			return tokenResponse{}, errf(http.StatusBadRequest, "invalid_scope", descUnknownScope)
		}
	}
	rule, ok := evaluatePolicy(as, client.ID, GrantClientCredentials, scopes, nil)
	if !ok {
		return tokenResponse{}, errf(http.StatusBadRequest, "access_denied", descPolicyFailed)
	}
	resp, err := s.mint(s.baseFor(r), grant{as: as, client: client, scopes: scopes, rule: rule})
	if err != nil {
		return tokenResponse{}, errf(http.StatusServiceUnavailable, "temporarily_unavailable", "The tokens could not be issued: "+err.Error())
	}
	return resp, nil
}
