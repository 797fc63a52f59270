package oidc

import (
	"fmt"
	"net/http"
	"time"

	"github.com/oidclab/oidclab/gateway"
)

// sessionState is the content of the encrypted session cookie: what Kong keeps (client index,
// the token response, the access token's expiry) plus lua-resty-session's three clocks.
// It is sealed in a compact binary form (session_binary.go).
type sessionState struct {
	Client  int
	Tokens  Tokens
	Expires int64  // access token expiry (unix seconds)
	Subject string // sub, for events
	Created int64  // absolute timeout starts here
	Rolled  int64  // rolling timeout starts here; reset when the cookie is re-issued
	Used    int64  // idling timeout starts here; touched at most once a minute
}

// touchEvery is how often the idle clock is written back (lua-resty-session: once a minute).
const touchEvery = time.Minute

// readSession opens the session cookie; an expired or invalid one counts as none (and says why
// in c.sessionProblem for later explanations).
func (c *call) readSession() *sessionState {
	name := c.p.cfg.SessionCookie.Name
	value := readChunked(c.r, name)
	if value == "" {
		return nil
	}
	var s sessionState
	if err := c.p.sessCodec.Open(name, value, &s); err != nil {
		c.sessionProblem = "the session cookie could not be decrypted (another session_secret, a restart without session_secret, a chunk lost on the way, or a cookie another openid-connect plugin issued)"
		return nil
	}
	cfg := c.p.cfg
	now := c.p.now()
	switch {
	case cfg.SessionAbsoluteTimeout > 0 && now.Sub(time.Unix(s.Created, 0)) > cfg.SessionAbsoluteTimeout:
		c.sessionProblem = fmt.Sprintf("the session reached session_absolute_timeout (%s)", cfg.SessionAbsoluteTimeout)
	case cfg.SessionRollingTimeout > 0 && now.Sub(time.Unix(s.Rolled, 0)) > cfg.SessionRollingTimeout:
		c.sessionProblem = fmt.Sprintf("the session reached session_rolling_timeout (%s) without being renewed", cfg.SessionRollingTimeout)
	case cfg.SessionIdlingTimeout > 0 && now.Sub(time.Unix(s.Used, 0)) > cfg.SessionIdlingTimeout:
		c.sessionProblem = fmt.Sprintf("the session was idle longer than session_idling_timeout (%s)", cfg.SessionIdlingTimeout)
	default:
		c.sess = &s
		return &s
	}
	// Expired: forget it so the browser stops sending it.
	sessionCookieSpec(cfg.SessionCookie, c.origin).clear(c.w, c.r)
	return nil
}

// issueSession writes a new session after a login.
func (c *call) issueSession(t *Tokens, accessClaims, idClaims map[string]any) {
	now := c.p.now()
	sub, _ := idClaims["sub"].(string)
	s := &sessionState{
		Client: c.client.Index, Tokens: *t, Expires: expiresAt(t, accessClaims, now).Unix(), Subject: sub,
		Created: now.Unix(), Rolled: now.Unix(), Used: now.Unix(),
	}
	if chunks, ok := c.writeSession(s); ok {
		c.event(EventSessionIssued, 0, "session cookie issued", explainChunks(c, chunks), map[string]any{
			"sub": sub, "cookies": chunks, "expires": time.Unix(s.Expires, 0).UTC().Format(time.RFC3339),
		})
	}
}

// writeSession seals s into the session cookie(s). A session that does not fit nine cookies is
// not written; the login still goes through and an event explains it.
func (c *call) writeSession(s *sessionState) (int, bool) {
	name := c.p.cfg.SessionCookie.Name
	value, err := c.p.sessCodec.Seal(name, s)
	if err != nil {
		c.failEvent(gateway.EventError, 0, gateway.ReasonInternalError, "session not written: "+err.Error(), "", nil)
		return 0, false
	}
	spec := sessionCookieSpec(c.p.cfg.SessionCookie, c.origin)
	chunks, ok := spec.set(c.w, c.r, value)
	if !ok {
		c.failEvent(gateway.EventError, 0, ReasonSessionTooLarge, fmt.Sprintf("session not written: %d bytes need more than %d cookies", len(value), maxChunks),
			"The token response is too large to keep in cookies (more than nine 4 KB cookies): ask the identity provider for fewer claims or scopes (groups claims are the usual cause).", nil)
	}
	return chunks, ok
}

// serveSession authenticates with the session (readSession already dropped unusable ones):
// refresh when the access token expired, required claims, headers, proxy.
func (c *call) serveSession(s *sessionState, next http.Handler) {
	cfg := c.p.cfg
	now := c.p.now()
	expires := time.Unix(s.Expires, 0)
	renewed := false
	if !now.Before(expires.Add(-cfg.Leeway)) {
		switch {
		case !cfg.RefreshTokens:
			c.unauthorized(failure{message: "access token expired and refreshing of tokens was disabled", reason: ReasonTokenExpired, tokenError: true,
				description: "The access token expired",
				explain:     "The session's access token expired and refresh_tokens is false, so the user has to log in again. Set refresh_tokens: true and request offline_access to keep sessions alive."})
			return
		case s.Tokens.RefreshToken == "":
			c.unauthorized(failure{message: "access token expired and no refresh token is available", reason: ReasonTokenExpired, tokenError: true,
				description: "The access token expired",
				explain:     "The session's access token expired and the token response had no refresh token, so this request gets one 401 and the next one starts a new login (as Kong does). To refresh silently, add offline_access to config.scopes and allow the refresh_token grant for the client at the identity provider."})
			return
		}
		if err := c.refreshSession(s); err == nil {
			renewed = true
		} else if !now.Before(expires) {
			// Past the real expiry (not just within leeway of it): the session ends here.
			c.unauthorized(failure{message: "access token expired and refreshing failed: " + err.Error(), reason: tokenEndpointReason(err, true), tokenError: true,
				description: "The access token expired", explain: explainTokenError(c, err, "", "")})
			return
		}
	}
	// Claims are decoded only when a check or a header needs them: this is the hot path.
	var accessClaims, idClaims map[string]any
	if c.p.needsAccessClaims {
		accessClaims, _ = decodeClaims(s.Tokens.AccessToken)
	}
	if !c.authorize(accessClaims, s.Tokens.AccessToken) {
		return
	}
	if len(cfg.UpstreamHeadersClaims) > 0 {
		idClaims, _ = decodeClaims(s.Tokens.IDToken)
	}
	switch {
	case renewed:
		s.Rolled, s.Used = now.Unix(), now.Unix()
		c.writeSession(s)
	case cfg.SessionRollingTimeout > 0 && now.Sub(time.Unix(s.Rolled, 0)) > cfg.SessionRollingTimeout*3/4:
		// Re-issue once three quarters of the rolling timeout are used, as lua-resty-session.
		s.Rolled, s.Used = now.Unix(), now.Unix()
		c.writeSession(s)
	case cfg.SessionIdlingTimeout > 0 && now.Sub(time.Unix(s.Used, 0)) >= touchEvery:
		s.Used = now.Unix()
		c.writeSession(s)
	}
	c.setUpstreamHeaders(&s.Tokens, accessClaims, idClaims)
	c.proceed(next)
}

// refreshSession runs the refresh_token grant and updates s; the ID token, when a new one comes
// back, is verified again (without a nonce: OIDC Core 12.2 leaves it out on refresh) and must
// name the same user (12.2: same sub), so a refresh can never swap the session's identity.
func (c *call) refreshSession(s *sessionState) error {
	ctx := c.r.Context()
	method := authMethod(c.p.cfg.TokenEndpointAuthMethod, c.md.TokenEndpointAuthMethods, c.client)
	t, err := refreshTokens(ctx, c.p.http, c.md, c.client, method, s.Tokens.RefreshToken)
	if err != nil {
		return err
	}
	if t.IDToken != "" {
		v := *c.p.verifier
		v.nonces = false
		claims, err := v.verifyIDToken(ctx, t.IDToken, idTokenWant{
			issuer: c.md.Issuer, algs: c.md.IDTokenSigningAlgs, client: c.client, accessToken: t.AccessToken,
			issuedWithin: c.p.cfg.AuthorizationRollingTimeout,
		})
		if err != nil {
			return err
		}
		if sub, _ := claims["sub"].(string); s.Subject != "" && sub != s.Subject {
			return tokenErr("sub_changed", "the refreshed id token names another user (sub %q, the session's is %q)", sub, s.Subject)
		}
	} else {
		t.IDToken = s.Tokens.IDToken
	}
	if t.RefreshToken == "" {
		t.RefreshToken = s.Tokens.RefreshToken
	}
	accessClaims, _ := decodeClaims(t.AccessToken)
	s.Tokens = *t
	s.Expires = expiresAt(t, accessClaims, c.p.now()).Unix()
	c.event(EventSessionRefreshed, 0, "access token refreshed with the refresh token", "", map[string]any{
		"sub": s.Subject, "expires": time.Unix(s.Expires, 0).UTC().Format(time.RFC3339),
	})
	return nil
}
