package emulator

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

var errTokenInvalid = errors.New("token invalid")

// verifyJWT checks one of our tokens: signature with a published key, issuer of this server,
// not expired, not revoked. It returns the raw claims.
func (s *Server) verifyJWT(token, iss string, allowExpired bool) (map[string]any, error) {
	payload, err := s.keys.verify(token)
	if err != nil {
		return nil, errTokenInvalid
	}
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, errTokenInvalid
	}
	if got, _ := c["iss"].(string); got != iss {
		return nil, errTokenInvalid
	}
	exp, _ := c["exp"].(float64)
	if !allowExpired && s.now().Unix() >= int64(exp) {
		return nil, errTokenInvalid
	}
	if jti, _ := c["jti"].(string); jti == "" || s.store.isRevoked(jti) {
		return nil, errTokenInvalid
	}
	return c, nil
}

// verifyAccessToken accepts only access tokens (jti AT.…).
func (s *Server) verifyAccessToken(token, iss string) (map[string]any, error) {
	c, err := s.verifyJWT(token, iss, false)
	if err != nil {
		return nil, err
	}
	if jti, _ := c["jti"].(string); !strings.HasPrefix(jti, "AT.") {
		return nil, errTokenInvalid
	}
	return c, nil
}

func claimStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// handleUserinfo is /v1/userinfo: the user's claims per the access token's scopes.
func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request, as *AuthServer) {
	token := ""
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, v, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") {
			token = strings.TrimSpace(v)
		}
	} else if r.Method == http.MethodPost {
		token = r.PostForm.Get("access_token")
	}
	c, err := s.verifyAccessToken(token, s.issuerOf(s.baseFor(r), as))
	if err != nil {
		recordFrom(r).Error = "invalid_token"
		w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="`+s.issuerOf(s.baseFor(r), as)+`/v1/authorize", realm="`+
			s.issuerOf(s.baseFor(r), as)+`", scope="openid", error="invalid_token", error_description="`+descAccessTokenInvalid+`", resource=""`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	cid, _ := c["cid"].(string)
	recordFrom(r).ClientID = cid
	scopes := claimStrings(c["scp"])
	uid, _ := c["uid"].(string)
	s.mu.RLock()
	u, ok := s.byID[uid]
	s.mu.RUnlock()
	if !slices.Contains(scopes, "openid") || !ok {
		recordFrom(r).Error = "insufficient_scope"
		w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", error_description="`+descInsufficientScope+`"`)
		w.WriteHeader(http.StatusForbidden)
		return
	}
	writeJSON(w, http.StatusOK, userinfoClaims(u, scopes))
}

func userinfoClaims(u *User, scopes []string) map[string]any {
	out := map[string]any{"sub": u.ID}
	p := u.Profile
	put := func(k, v string) {
		if v != "" {
			out[k] = v
		}
	}
	if slices.Contains(scopes, "profile") {
		put("name", p.Name)
		put("given_name", p.GivenName)
		put("family_name", p.FamilyName)
		put("nickname", p.Nickname)
		put("locale", p.Locale)
		put("zoneinfo", p.Zoneinfo)
		out["preferred_username"] = u.Login
		if p.PreferredUsername != "" {
			out["preferred_username"] = p.PreferredUsername
		}
		out["updated_at"] = int64(1700000000)
	}
	if slices.Contains(scopes, "email") {
		out["email"] = emailOf(u)
		out["email_verified"] = p.EmailVerified == nil || *p.EmailVerified
	}
	if slices.Contains(scopes, "phone") {
		put("phone_number", p.PhoneNumber)
	}
	if slices.Contains(scopes, "groups") {
		out["groups"] = groupsClaim(u)
	}
	return out
}

// tokenRequest authenticates the client of an introspection or revocation request and returns
// the token it asks about; on failure it has answered.
func (s *Server) tokenRequest(w http.ResponseWriter, r *http.Request) (*Client, string, bool) {
	client, aerr := s.authenticateClient(r)
	if aerr != nil {
		aerr.write(w, r)
		return nil, "", false
	}
	token := r.PostForm.Get("token")
	if token == "" {
		writeOAuthError(w, r, errf(http.StatusBadRequest, "invalid_request", "The 'token' parameter is required."))
		return nil, "", false
	}
	return client, token, true
}

// handleIntrospect is /v1/introspect (RFC 7662) with Okta's fields.
func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request, as *AuthServer) {
	client, token, ok := s.tokenRequest(w, r)
	if !ok {
		return
	}
	hint := r.PostForm.Get("token_type_hint")
	switch hint {
	case "", "access_token", "id_token", "refresh_token", "device_secret":
	default:
		writeOAuthError(w, r, errf(http.StatusBadRequest, "invalid_request", "The 'token_type_hint' parameter value is not supported."))
		return
	}
	iss := s.issuerOf(s.baseFor(r), as)
	inactive := map[string]any{"active": false}
	if rg, ok := s.store.refreshGrant(token); ok {
		if rg.ClientID != client.ID || rg.AuthServer != as.ID || s.now().After(rg.Expires) ||
			!rg.Rotated.IsZero() && s.now().After(rg.Rotated.Add(client.refreshLeeway())) {
			writeJSON(w, http.StatusOK, inactive)
			return
		}
		s.mu.RLock()
		u := s.byID[rg.UserID]
		s.mu.RUnlock()
		out := map[string]any{"active": true, "token_type": "refresh_token", "scope": strings.Join(rg.Scopes, " "),
			"client_id": rg.ClientID, "exp": rg.Expires.Unix(), "iat": rg.IssuedAt.Unix(), "iss": iss, "jti": rg.JTI, "uid": rg.UserID}
		if u != nil {
			out["username"], out["sub"] = u.Login, u.Login
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	c, err := s.verifyJWT(token, iss, false)
	if err != nil {
		writeJSON(w, http.StatusOK, inactive)
		return
	}
	jti, _ := c["jti"].(string)
	out := map[string]any{"active": true, "iat": c["iat"], "exp": c["exp"], "iss": c["iss"], "aud": c["aud"], "jti": jti}
	if strings.HasPrefix(jti, "ID.") {
		if aud, _ := c["aud"].(string); aud != client.ID {
			writeJSON(w, http.StatusOK, inactive)
			return
		}
		out["token_type"], out["sub"], out["client_id"] = "id_token", c["sub"], c["aud"]
		writeJSON(w, http.StatusOK, out)
		return
	}
	out["token_type"] = "Bearer"
	out["scope"] = strings.Join(claimStrings(c["scp"]), " ")
	out["client_id"], out["sub"] = c["cid"], c["sub"]
	if uid, ok := c["uid"]; ok {
		out["uid"], out["username"] = uid, c["sub"]
	}
	writeJSON(w, http.StatusOK, out)
}

// handleRevoke is /v1/revoke (RFC 7009): 200 whatever the token, like Okta.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request, as *AuthServer) {
	client, token, ok := s.tokenRequest(w, r)
	if !ok {
		return
	}
	if rg, ok := s.store.refreshGrant(token); ok {
		if rg.ClientID == client.ID {
			s.store.dropRefresh(token)
		}
	} else if c, err := s.verifyAccessToken(token, s.issuerOf(s.baseFor(r), as)); err == nil {
		if cid, _ := c["cid"].(string); cid == client.ID {
			jti, _ := c["jti"].(string)
			exp, _ := c["exp"].(float64)
			s.store.revoke(jti, time.Unix(int64(exp), 0), s.now())
		}
	}
	w.Header().Set("Cache-Control", "no-cache, no-store")
	w.WriteHeader(http.StatusOK)
}

// handleLogout is /v1/logout: ends the IdP session and, when asked, returns to a registered
// post-logout redirect URI with the state echoed.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, as *AuthServer) {
	base := s.baseFor(r)
	hint, target, state := r.Form.Get("id_token_hint"), r.Form.Get("post_logout_redirect_uri"), r.Form.Get("state")
	var client *Client
	if hint != "" {
		// An expired ID token is still a hint (RP-Initiated Logout 1.0 section 2): the one a
		// relying party holds has usually expired by the time its user signs out.
		c, err := s.verifyJWT(hint, s.issuerOf(base, as), true)
		jti, _ := c["jti"].(string)
		if err != nil || !strings.HasPrefix(jti, "ID.") {
			writeErrorPage(w, r, http.StatusBadRequest, "invalid_request", "The 'id_token_hint' parameter is not an ID token of this authorization server.")
			return
		}
		aud, _ := c["aud"].(string)
		s.mu.RLock()
		client = s.clients[aud]
		s.mu.RUnlock()
		recordFrom(r).ClientID = aud
	}
	if target != "" {
		switch {
		case client == nil:
			writeErrorPage(w, r, http.StatusBadRequest, "invalid_request", "The 'post_logout_redirect_uri' parameter requires an 'id_token_hint'.")
			return
		case !slices.Contains(client.PostLogoutRedirectURIs, target):
			writeErrorPage(w, r, http.StatusBadRequest, "invalid_request", descLogoutURINotRegistered+appSettingsURL(base, client.ID))
			return
		}
	}
	if ck, err := r.Cookie(sessionCookie); err == nil && len(ck.Value) <= 128 {
		s.store.dropSession(ck.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	if target == "" {
		renderPage(w, http.StatusOK, signedOutPage, struct{ Title string }{"Signed out"})
		return
	}
	if state != "" {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + url.Values{"state": {state}}.Encode()
	}
	w.Header().Set("Cache-Control", "no-cache, no-store")
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusFound)
}
