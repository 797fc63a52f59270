package oidc

import (
	"slices"
	"strings"

	"github.com/oidclab/oidclab/gateway/deck"
)

// Validate checks a Config's invariants, reporting every problem at once with Kong's field
// paths. ParseConfig already enforces them for decK input; Validate guards configs built in
// code (tests, embedding) before newPlugin trusts them.
func (c *Config) Validate() error {
	errs := &deck.Errors{}
	add := func(field, format string, args ...any) { errs.Add("config."+field, 0, format, args...) }
	if c.Issuer == "" {
		add("issuer", "required field missing")
	} else if err := checkIssuer(c.Issuer); err != nil {
		add("issuer", "%v", err)
	}
	enum := func(field, v string, allowed ...string) {
		if !slices.Contains(allowed, v) {
			add(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
		}
	}
	enum("response_mode", c.ResponseMode, "query", "form_post")
	enum("login_action", c.LoginAction, "upstream", "response", "redirect")
	enum("login_redirect_mode", c.LoginRedirectMode, "fragment", "query")
	for field, v := range map[string]string{
		"token_endpoint_auth_method":         c.TokenEndpointAuthMethod,
		"introspection_endpoint_auth_method": c.IntrospectionEndpointAuthMethod,
		"revocation_endpoint_auth_method":    c.RevocationEndpointAuthMethod,
	} {
		if v != "" {
			enum(field, v, clientAuthMethods...)
		}
	}
	for prefix, ck := range map[string]CookieConfig{"session_cookie_": c.SessionCookie, "authorization_cookie_": c.AuthorizationCookie} {
		if ck.Name == "" || strings.ContainsAny(ck.Name, " ;,=\t\r\n\"") {
			add(prefix+"name", "%q is not a valid cookie name", ck.Name)
		}
		if !strings.HasPrefix(ck.Path, "/") {
			add(prefix+"path", "%q must start with /", ck.Path)
		}
		enum(prefix+"same_site", ck.SameSite, sameSiteValues...)
	}
	if c.AuthorizationRollingTimeout <= 0 {
		add("authorization_rolling_timeout", "must be more than 0")
	}
	if c.Timeout <= 0 {
		add("timeout", "must be more than 0")
	}
	if c.SessionRollingTimeout < 0 || c.SessionIdlingTimeout < 0 || c.SessionAbsoluteTimeout < 0 || c.Leeway < 0 || c.RediscoveryLifetime < 0 {
		add("session_rolling_timeout", "timeouts, leeway and rediscovery_lifetime must not be negative")
	}
	if len(c.UpstreamHeadersClaims) != len(c.UpstreamHeadersNames) {
		add("upstream_headers_names", "must have as many entries as upstream_headers_claims")
	}
	if len(c.AuthorizationQueryArgsNames) != len(c.AuthorizationQueryArgsValue) {
		add("authorization_query_args_values", "must have as many entries as authorization_query_args_names")
	}
	for m := range c.AuthMethods {
		if !slices.Contains(authMethodsSupported, m) {
			add("auth_methods", "%q is not supported by oidclab", m)
		}
	}
	return errs.Err()
}
