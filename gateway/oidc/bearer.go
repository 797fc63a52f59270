package oidc

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// bearerToken finds an access token where bearer_token_param_type allows: the Authorization
// header (or Kong's access_token / x_access_token headers), the access_token query argument,
// then the access_token form field.
func (c *call) bearerToken() string {
	types := c.p.cfg.BearerTokenParamType
	if slices.Contains(types, "header") {
		if scheme, tok, ok := strings.Cut(c.r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "bearer") {
			if tok = strings.TrimSpace(tok); tok != "" {
				return tok
			}
		}
		for _, h := range []string{"access_token", "access-token", "x_access_token", "x-access-token"} {
			if v := c.r.Header.Get(h); v != "" {
				return v
			}
		}
	}
	if slices.Contains(types, "query") {
		if v := c.r.URL.Query().Get("access_token"); v != "" {
			return v
		}
	}
	if slices.Contains(types, "body") {
		if v := c.postForm().Get("access_token"); v != "" {
			return v
		}
	}
	return ""
}

// serveBearer authenticates an API request by its access token: a JWT is verified locally when
// bearer is enabled; an opaque token (or any token when only introspection is enabled) is
// introspected (RFC 7662).
func (c *call) serveBearer(tok string, next http.Handler) {
	cfg := c.p.cfg
	_, isJWT := decodeClaims(tok)
	var claims map[string]any
	var err error
	switch {
	case isJWT && cfg.AuthMethods[MethodBearer]:
		claims, err = c.p.verifier.verifyAccessJWT(c.r.Context(), tok, c.md.Issuer, c.md.IDTokenSigningAlgs, cfg.ClientID)
		if err != nil {
			explain := explainTokenRejected(c, err, "access token")
			c.unauthorized(failure{message: "invalid bearer token: " + err.Error(), reason: tokenReason(err, false),
				explain: explain, tokenError: true, attrs: rejectAttrs(err)})
			return
		}
	case cfg.AuthMethods[MethodIntrospection]:
		claims, err = c.introspectCached(tok)
		if err != nil {
			c.unauthorized(failure{message: "token introspection failed: " + err.Error(), reason: introspectionReason(err), tokenError: true,
				explain: explainIntrospection(err)})
			return
		}
	default:
		c.unauthorized(failure{message: "opaque bearer token and introspection is not enabled", reason: ReasonTokenOpaque, tokenError: true,
			explain: "The bearer token is not a JWT, so it cannot be verified locally: add introspection to config.auth_methods (with an introspection endpoint) or have the authorization server issue JWT access tokens."})
		return
	}
	if !c.authorize(claims, tok) {
		return
	}
	c.setUpstreamHeaders(&Tokens{AccessToken: tok}, claims, nil)
	c.proceed(next)
}

// cacheUntil is how long an answer about an access token may be kept: until the token's exp,
// at most an hour (Kong's cache_ttl).
func cacheUntil(claims map[string]any, now time.Time) time.Time {
	until := now.Add(time.Hour)
	if exp, ok := numClaim(claims, "exp"); ok {
		if t := unixTime(exp); t.Before(until) {
			until = t
		}
	}
	return until
}
