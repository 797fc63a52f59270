package oidc

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/oidclab/oidclab/gateway"
)

// isLogout applies Kong's trigger: the method is one of logout_methods and the query has
// logout_query_arg, or the raw URI ends with logout_uri_suffix, or the form has logout_post_arg.
func (c *call) isLogout() bool {
	cfg := c.p.cfg
	if !slices.Contains(cfg.LogoutMethods, c.r.Method) {
		return false
	}
	switch {
	case cfg.LogoutQueryArg != "" && c.r.URL.Query().Has(cfg.LogoutQueryArg):
		return true
	case cfg.LogoutURISuffix != "" && strings.HasSuffix(c.rawRequestURI(), cfg.LogoutURISuffix):
		return true
	case cfg.LogoutPostArg != "" && c.postForm().Has(cfg.LogoutPostArg):
		return true
	}
	return false
}

// logout destroys the session (revoking its tokens when configured) and sends the browser to
// the provider's end_session_endpoint, to logout_redirect_uri, or answers 204.
func (c *call) logout(s *sessionState) {
	cfg := c.p.cfg
	var idToken string
	attrs := map[string]any{"had_session": s != nil}
	if s != nil {
		idToken = s.Tokens.IDToken
		attrs["sub"] = s.Subject
		if cfg.LogoutRevoke {
			attrs["revoked"] = c.revokeSession(s)
		}
		sessionCookieSpec(cfg.SessionCookie, c.origin).clear(c.w, c.r)
	}
	postLogout := pick(cfg.LogoutRedirectURI, c.client.Index)
	var target string
	switch {
	case c.md.EndSessionEndpoint != "":
		q := url.Values{}
		if idToken != "" {
			q.Set("id_token_hint", idToken)
		}
		if postLogout != "" {
			q.Set("post_logout_redirect_uri", postLogout)
		}
		target = c.md.EndSessionEndpoint
		if len(q) > 0 {
			sep := "?"
			if strings.Contains(target, "?") {
				sep = "&"
			}
			target += sep + q.Encode()
		}
		attrs["end_session_endpoint"] = c.md.EndSessionEndpoint
	case postLogout != "":
		target = postLogout
	}
	attrs["post_logout_redirect_uri"] = postLogout
	if target == "" {
		c.event(EventLogout, http.StatusNoContent, "logged out", "", attrs)
		c.w.Header().Set("Cache-Control", "no-store")
		c.w.WriteHeader(http.StatusNoContent)
		return
	}
	c.event(EventLogout, http.StatusFound, "logged out: redirecting", "", attrs)
	redirect(c.w, target)
}

// revokeSession revokes the session's tokens (RFC 7009); failures are reported, not fatal.
func (c *call) revokeSession(s *sessionState) []string {
	cfg := c.p.cfg
	method := authMethod(cfg.RevocationEndpointAuthMethod, c.md.TokenEndpointAuthMethods, c.client)
	var done []string
	try := func(token, hint string) {
		if token == "" {
			return
		}
		if err := revoke(c.r.Context(), c.p.http, c.md.RevocationEndpoint, c.client, method, token, hint); err != nil {
			c.failEvent(gateway.EventError, 0, backChannelReason(err, ReasonRevocationFailed), "token revocation failed: "+err.Error(),
				"logout_revoke is on but the revocation endpoint refused the "+hint+"; the session cookie is destroyed anyway. Check revocation_endpoint and the client's authentication method.", nil)
			return
		}
		done = append(done, hint)
	}
	if cfg.LogoutRevokeRefreshToken {
		try(s.Tokens.RefreshToken, "refresh_token")
	}
	if cfg.LogoutRevokeAccessToken {
		try(s.Tokens.AccessToken, "access_token")
	}
	return done
}
