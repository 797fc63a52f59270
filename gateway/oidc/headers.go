package oidc

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/oidclab/oidclab/gateway"
)

// setHeader applies a Kong header spec: "authorization:bearer" and "authorization:basic" set
// Authorization with that scheme, anything else is a header name. Upstream headers replace what
// the client sent.
func setHeader(h http.Header, spec, value string) {
	switch strings.ToLower(spec) {
	case "authorization:bearer":
		h.Set("Authorization", "Bearer "+value)
	case "authorization:basic":
		h.Set("Authorization", "Basic "+value)
	default:
		h.Set(spec, value)
	}
}

// headerOf is the header a Kong header spec writes.
func headerOf(spec string) string {
	if name, _, ok := strings.Cut(spec, ":"); ok && strings.EqualFold(name, "authorization") {
		return "Authorization"
	}
	return spec
}

// setUpstreamHeaders sets the access token, id token, user info and claim headers for the
// upstream request. A user info fetch that fails is reported and the header left out. Every
// configured header is removed from the client's request first: the upstream trusts these
// names, so a value the plugin did not set must not reach it.
func (c *call) setUpstreamHeaders(t *Tokens, accessClaims, idClaims map[string]any) {
	cfg := c.p.cfg
	h := c.r.Header
	for _, spec := range [...]string{cfg.UpstreamAccessTokenHeader, cfg.UpstreamIDTokenHeader, cfg.UpstreamUserInfoHeader} {
		if spec != "" {
			h.Del(headerOf(spec))
		}
	}
	if cfg.UpstreamAccessTokenHeader != "" && t.AccessToken != "" {
		setHeader(h, cfg.UpstreamAccessTokenHeader, t.AccessToken)
	}
	if cfg.UpstreamIDTokenHeader != "" && t.IDToken != "" {
		setHeader(h, cfg.UpstreamIDTokenHeader, t.IDToken)
	}
	var userinfo map[string]any
	if cfg.UpstreamUserInfoHeader != "" {
		var err error
		userinfo, err = c.userinfoCached(t.AccessToken, accessClaims)
		if err == nil {
			err = checkUserinfoSubject(userinfo, t, idClaims)
		}
		if err != nil {
			userinfo = nil
			c.failEvent(gateway.EventError, 0, backChannelReason(err, ReasonUserinfoFailed), "user info not fetched: "+err.Error(),
				"The upstream_user_info_header is set but the userinfo endpoint did not answer with user info; the request is proxied without that header. Check that the access token has the scopes the userinfo endpoint needs (openid, profile, email).", nil)
		} else {
			b, _ := json.Marshal(userinfo)
			setHeader(h, cfg.UpstreamUserInfoHeader, base64.StdEncoding.EncodeToString(b))
		}
	}
	for i, claim := range cfg.UpstreamHeadersClaims {
		v, ok := findClaim(claim, accessClaims, idClaims, userinfo)
		if !ok {
			h.Del(cfg.UpstreamHeadersNames[i])
			continue
		}
		setHeader(h, cfg.UpstreamHeadersNames[i], headerSafe(claimHeaderValue(v)))
	}
}

// userinfoCached fetches the user info for accessToken, keeping an answer until the token's exp
// (at most an hour, Kong's cache_ttl) under the token's hash: otherwise every request of a
// session would call the userinfo endpoint. The subject check runs on every use.
func (c *call) userinfoCached(accessToken string, accessClaims map[string]any) (map[string]any, error) {
	key := sha256.Sum256([]byte(accessToken))
	now := c.p.now()
	if info, ok := c.p.userinfos.get(key, now); ok {
		return info, nil
	}
	info, err := fetchUserinfo(c.r.Context(), c.p.http, c.md.UserinfoEndpoint, accessToken)
	if err != nil {
		return nil, err
	}
	c.p.userinfos.put(key, info, cacheUntil(accessClaims, now), now)
	return info, nil
}

// checkUserinfoSubject applies OIDC Core 5.3.2: user info whose sub is not the ID token's
// belongs to someone else (a token substitution) and must not be used. Without an ID token
// (bearer requests) there is nothing to compare it with.
func checkUserinfoSubject(userinfo map[string]any, t *Tokens, idClaims map[string]any) error {
	want, _ := idClaims["sub"].(string)
	if want == "" && t.IDToken != "" {
		claims, _ := decodeClaims(t.IDToken)
		want, _ = claims["sub"].(string)
	}
	if want == "" {
		return nil
	}
	if got, _ := userinfo["sub"].(string); got != want {
		return fmt.Errorf("the userinfo response is about sub %q, not the id token's %q", got, want)
	}
	return nil
}

// findClaim looks a top-level claim up in the access token, then the id token, then user info.
func findClaim(name string, sources ...map[string]any) (any, bool) {
	for _, s := range sources {
		if v, ok := s[name]; ok && v != nil {
			return v, true
		}
	}
	return nil, false
}

// headerSafe turns control characters (CR, LF, NUL …) into spaces: a claim that carries one
// would otherwise make the proxied request invalid, and the user would get a 502 for a name.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' && r != '\t' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func claimHeaderValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, claimHeaderValue(e))
		}
		return strings.Join(parts, ",")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// fetchUserinfo GETs the userinfo endpoint with the access token.
func fetchUserinfo(ctx context.Context, hc *http.Client, endpoint, accessToken string) (map[string]any, error) {
	if endpoint == "" {
		return nil, fmt.Errorf("the provider has no userinfo endpoint")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		if isTimeout(err) {
			return nil, fmt.Errorf("%w (userinfo endpoint)", ErrTimeout)
		}
		return nil, redactURLError(err)
	}
	defer resp.Body.Close()
	body, err := readCapped(resp)
	if err != nil {
		if isTimeout(err) {
			return nil, fmt.Errorf("%w (userinfo endpoint)", ErrTimeout)
		}
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("userinfo endpoint answered %d", resp.StatusCode)
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("userinfo response is not a JSON object")
	}
	return out, nil
}
