package oidc

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// redeem exchanges the code, verifies the ID token and completes the login.
func (c *call) redeem(st *authState, params callbackParams, next http.Handler) {
	ctx := c.r.Context()
	method := authMethod(c.p.cfg.TokenEndpointAuthMethod, c.md.TokenEndpointAuthMethods, c.client)
	tokens, err := exchangeCode(ctx, c.p.http, c.md, c.client, method, params.Code, st.RedirectURI, st.Verifier)
	c.clearAuthCookie()
	if err != nil {
		c.unauthorized(failure{message: err.Error(), reason: tokenEndpointReason(err, false),
			explain: explainTokenError(c, err, method, st.RedirectURI),
			attrs:   oauthErrorAttrs(err, method)})
		return
	}
	c.event(EventTokenExchanged, 0, "authorization code exchanged for tokens", "", map[string]any{
		"client_auth": method, "token_endpoint": c.md.TokenEndpoint, "id_token": tokens.IDToken != "",
		"refresh_token": tokens.RefreshToken != "", "expires_in": tokens.ExpiresIn, "scope": tokens.Scope,
		"pkce": st.Verifier != "",
	})
	if tokens.IDToken == "" {
		c.unauthorized(failure{message: "the token endpoint returned no id_token", reason: ReasonIDTokenMissing,
			explain: "The token response has no id_token, so this is not an OpenID Connect login: add openid to config.scopes (and allow the openid scope for this client at the identity provider)."})
		return
	}
	claims, err := c.p.verifier.verifyIDToken(ctx, tokens.IDToken, idTokenWant{
		issuer: c.md.Issuer, algs: c.md.IDTokenSigningAlgs, client: c.client, nonce: st.Nonce,
		accessToken: tokens.AccessToken, maxAge: c.p.cfg.MaxAge, issuedWithin: c.p.cfg.AuthorizationRollingTimeout,
	})
	if err != nil {
		c.unauthorized(failure{kind: EventIDTokenRejected, message: "invalid id token: " + err.Error(),
			reason: tokenReason(err, true), explain: explainTokenRejected(c, err, "id token"), attrs: rejectAttrs(err)})
		return
	}
	c.event(EventIDTokenVerified, 0, "id token verified", "", publicClaims(claims))
	c.stripCallbackArgs()
	if c.p.cfg.PreserveQueryArgs && st.Args != "" {
		if c.r.URL.RawQuery == "" {
			c.r.URL.RawQuery = st.Args
		} else {
			c.r.URL.RawQuery = st.Args + "&" + c.r.URL.RawQuery
		}
	}
	c.authenticated(st, tokens, claims, next)
}

// authenticated completes a login: required claims, session, then login_action.
func (c *call) authenticated(st *authState, tokens *Tokens, idClaims map[string]any, next http.Handler) {
	accessClaims, _ := decodeClaims(tokens.AccessToken)
	if !c.authorize(accessClaims, tokens.AccessToken) {
		return
	}
	if c.p.cfg.AuthMethods[MethodSession] {
		c.issueSession(tokens, accessClaims, idClaims)
	}
	switch c.p.cfg.LoginAction {
	case "redirect":
		c.loginRedirect(st, tokens)
	case "response":
		c.loginResponse(tokens)
	default:
		c.setUpstreamHeaders(tokens, accessClaims, idClaims)
		c.proceed(next)
	}
}

// loginTokens collects login_tokens from the token response.
func (c *call) loginTokens(t *Tokens) map[string]string {
	out := map[string]string{}
	for _, name := range c.p.cfg.LoginTokens {
		switch name {
		case "id_token":
			if t.IDToken != "" {
				out["id_token"] = t.IDToken
			}
		case "access_token":
			out["access_token"] = t.AccessToken
		case "refresh_token":
			if t.RefreshToken != "" {
				out["refresh_token"] = t.RefreshToken
			}
		case "tokens":
			b, _ := json.Marshal(t)
			out["tokens"] = base64.RawURLEncoding.EncodeToString(b)
		}
	}
	return out
}

// loginRedirect: 302 to login_redirect_uri or the original URL, tokens in the fragment (or query).
func (c *call) loginRedirect(st *authState, t *Tokens) {
	target := pick(c.p.cfg.LoginRedirectURI, c.client.Index)
	if target == "" {
		target = st.URI
		if c.p.cfg.PreserveQueryArgs && st.Args != "" {
			target += "?" + st.Args
		}
	}
	if toks := c.loginTokens(t); len(toks) > 0 {
		v := url.Values{}
		for k, s := range toks {
			v.Set(k, s)
		}
		if c.p.cfg.LoginRedirectMode == "query" {
			if strings.Contains(target, "?") {
				target += "&" + v.Encode()
			} else {
				target += "?" + v.Encode()
			}
		} else {
			target += "#" + v.Encode()
		}
	}
	redirect(c.w, target)
}

// loginResponse: 200 with the login_tokens as JSON, 204 when there are none.
func (c *call) loginResponse(t *Tokens) {
	c.w.Header().Set("Cache-Control", "no-store")
	toks := c.loginTokens(t)
	if len(toks) == 0 {
		c.w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(c.w, http.StatusOK, toks)
}

// publicClaims are the claims an event may carry: everything but the values that bind the
// token to this login (nonce, hashes).
func publicClaims(claims map[string]any) map[string]any {
	out := make(map[string]any, len(claims))
	for k, v := range claims {
		switch k {
		case "nonce", "at_hash", "c_hash", "s_hash", "sid":
			continue
		}
		out[k] = v
	}
	return out
}
