package oidc

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Auth methods oidclab implements. Kong's other methods (password, client_credentials,
// userinfo, kong_oauth2) are accepted only as part of Kong's default list.
const (
	MethodAuthorizationCode = "authorization_code"
	MethodSession           = "session"
	MethodBearer            = "bearer"
	MethodIntrospection     = "introspection"
	MethodRefreshToken      = "refresh_token"
)

// CookieConfig is one of the plugin's two cookies (authorization, session).
type CookieConfig struct {
	Name     string
	Path     string
	Domain   string
	SameSite string // Default, Lax, None, Strict
	HTTPOnly bool
	Secure   *bool // nil: decided per request (see secureFor)
}

// Config is the plugin configuration with Kong's defaults applied. Field comments name the Kong
// field; durations are converted from Kong's seconds (or milliseconds for Timeout).
type Config struct {
	Issuer string // issuer

	// Instance names this plugin in the gateway (the decK plugin id, else its service and
	// route); it is not a Kong field. Cookies are bound to it with the issuer and client ids, so
	// two plugins sharing a secret cannot read each other's cookies.
	Instance string

	// Endpoint overrides; empty means "from discovery".
	AuthorizationEndpoint string
	TokenEndpoint         string
	UserinfoEndpoint      string
	IntrospectionEndpoint string
	RevocationEndpoint    string
	EndSessionEndpoint    string

	ClientID                        []string
	ClientSecret                    []string
	ClientArg                       string // client_arg, default "client_id"
	TokenEndpointAuthMethod         string // "" = choose as Kong does
	IntrospectionEndpointAuthMethod string
	RevocationEndpointAuthMethod    string

	RedirectURI                 []string
	Scopes                      []string
	ResponseMode                string
	Audience                    []string // sent as audience= on the authorize request
	AuthorizationQueryArgsNames []string
	AuthorizationQueryArgsValue []string
	AuthMethods                 map[string]bool
	RequirePKCE                 *bool // require_proof_key_for_code_exchange; nil = when discovery advertises it
	MaxAge                      *time.Duration

	LoginAction       string
	LoginTokens       []string // nil when set to null: no tokens in the redirect or response
	LoginRedirectURI  []string
	LoginRedirectMode string
	PreserveQueryArgs bool

	SessionSecret               string
	SessionCookie               CookieConfig
	SessionRollingTimeout       time.Duration
	SessionIdlingTimeout        time.Duration
	SessionAbsoluteTimeout      time.Duration
	AuthorizationCookie         CookieConfig
	AuthorizationRollingTimeout time.Duration

	LogoutMethods            []string
	LogoutURISuffix          string
	LogoutQueryArg           string
	LogoutPostArg            string
	LogoutRedirectURI        []string
	LogoutRevoke             bool
	LogoutRevokeAccessToken  bool
	LogoutRevokeRefreshToken bool

	UpstreamAccessTokenHeader string
	UpstreamIDTokenHeader     string
	UpstreamUserInfoHeader    string
	UpstreamHeadersClaims     []string
	UpstreamHeadersNames      []string

	ScopesRequired   []string
	ScopesClaim      []string
	AudienceRequired []string
	AudienceClaim    []string
	GroupsRequired   []string
	GroupsClaim      []string

	BearerTokenParamType []string

	Leeway              time.Duration
	VerifyNonce         bool
	VerifySignature     bool
	VerifyClaims        bool
	EnableHSSignatures  bool
	Timeout             time.Duration
	RediscoveryLifetime time.Duration

	UnauthorizedRedirectURI    []string
	ForbiddenRedirectURI       []string
	UnexpectedRedirectURI      []string
	UnauthorizedErrorMessage   string
	ForbiddenErrorMessage      string
	UnauthorizedDestroySession bool
	ForbiddenDestroySession    bool
	DisplayErrors              bool
	ExposeErrorCode            bool
	RunOnPreflight             bool
	RefreshTokens              bool
}

// kongDefaultAuthMethods is Kong's default auth_methods: all nine.
var kongDefaultAuthMethods = []string{
	"authorization_code", "bearer", "client_credentials", "introspection", "kong_oauth2",
	"password", "refresh_token", "session", "userinfo",
}

var authMethodsSupported = []string{
	MethodAuthorizationCode, MethodBearer, MethodIntrospection, MethodRefreshToken, MethodSession,
}

var clientAuthMethods = []string{"client_secret_basic", "client_secret_post", "none"}

var clientAuthMethodsKong = []string{
	"client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt",
	"tls_client_auth", "self_signed_tls_client_auth", "none",
}

var sameSiteValues = []string{"Default", "Lax", "None", "Strict"}

// defaultConfig returns Kong's defaults.
func defaultConfig() Config {
	return Config{
		ClientArg:         "client_id",
		Scopes:            []string{"openid"},
		ResponseMode:      "query",
		LoginAction:       "upstream",
		LoginTokens:       []string{"id_token"},
		LoginRedirectMode: "fragment",
		SessionCookie: CookieConfig{
			Name: "session", Path: "/", SameSite: "Lax", HTTPOnly: true,
		},
		SessionRollingTimeout:  3600 * time.Second,
		SessionIdlingTimeout:   900 * time.Second,
		SessionAbsoluteTimeout: 86400 * time.Second,
		AuthorizationCookie: CookieConfig{
			Name: "authorization", Path: "/", SameSite: "Default", HTTPOnly: true,
		},
		AuthorizationRollingTimeout: 600 * time.Second,
		LogoutMethods:               []string{"POST", "DELETE"},
		LogoutRevokeAccessToken:     true,
		LogoutRevokeRefreshToken:    true,
		UpstreamAccessTokenHeader:   "authorization:bearer",
		ScopesClaim:                 []string{"scope"},
		AudienceClaim:               []string{"aud"},
		GroupsClaim:                 []string{"groups"},
		BearerTokenParamType:        []string{"header", "query", "body"},
		VerifyNonce:                 true,
		VerifySignature:             true,
		VerifyClaims:                true,
		Timeout:                     10 * time.Second,
		RediscoveryLifetime:         30 * time.Second,
		UnauthorizedErrorMessage:    "Unauthorized",
		ForbiddenErrorMessage:       "Forbidden",
		UnauthorizedDestroySession:  true,
		ForbiddenDestroySession:     true,
		ExposeErrorCode:             true,
		RunOnPreflight:              true,
		RefreshTokens:               true,
	}
}

// ParseConfig reads a decK plugin config map. lines maps config keys to file lines (may be nil).
// Every problem is reported at once as *deck.Errors with paths like "config.issuer".
func ParseConfig(m map[string]any, lines map[string]int) (*Config, error) {
	c := defaultConfig()
	d := newDecoder(m, lines)
	applyAliases(d)

	if !d.str("issuer", &c.Issuer) {
		if _, set := d.m["issuer"]; !set || d.m["issuer"] == nil {
			d.problem("issuer", "required field missing: the issuer URL or discovery URL of the authorization server")
		}
	} else if err := checkIssuer(c.Issuer); err != nil {
		d.problem("issuer", "%v", err)
	}

	d.url("authorization_endpoint", &c.AuthorizationEndpoint)
	d.url("token_endpoint", &c.TokenEndpoint)
	d.url("userinfo_endpoint", &c.UserinfoEndpoint)
	d.url("introspection_endpoint", &c.IntrospectionEndpoint)
	d.url("revocation_endpoint", &c.RevocationEndpoint)
	d.url("end_session_endpoint", &c.EndSessionEndpoint)

	d.strs("client_id", &c.ClientID)
	d.strs("client_secret", &c.ClientSecret)
	d.str("client_arg", &c.ClientArg)
	supportedAuthMethod(d, "token_endpoint_auth_method", &c.TokenEndpointAuthMethod)
	supportedAuthMethod(d, "introspection_endpoint_auth_method", &c.IntrospectionEndpointAuthMethod)
	supportedAuthMethod(d, "revocation_endpoint_auth_method", &c.RevocationEndpointAuthMethod)

	d.urls("redirect_uri", &c.RedirectURI)
	d.strs("scopes", &c.Scopes)
	if d.enum("response_mode", &c.ResponseMode, "query", "form_post", "fragment", "query.jwt", "form_post.jwt", "fragment.jwt", "jwt") {
		if c.ResponseMode != "query" && c.ResponseMode != "form_post" {
			d.problem("response_mode", "%q is not supported by oidclab: use query or form_post (a fragment never reaches the gateway)", c.ResponseMode)
		}
	}
	d.strs("audience", &c.Audience)
	d.strs("authorization_query_args_names", &c.AuthorizationQueryArgsNames)
	d.strs("authorization_query_args_values", &c.AuthorizationQueryArgsValue)
	if len(c.AuthorizationQueryArgsNames) != len(c.AuthorizationQueryArgsValue) {
		d.problem("authorization_query_args_values", "must have as many entries as authorization_query_args_names (%d), has %d",
			len(c.AuthorizationQueryArgsNames), len(c.AuthorizationQueryArgsValue))
	}
	parseAuthMethods(d, &c)
	d.optBool("require_proof_key_for_code_exchange", &c.RequirePKCE)
	var maxAge time.Duration
	if d.seconds("max_age", &maxAge) {
		c.MaxAge = &maxAge
	}

	d.enum("login_action", &c.LoginAction, "upstream", "response", "redirect")
	if v, set := d.m["login_tokens"]; set && (v == nil || v == "") {
		d.seen["login_tokens"] = true
		c.LoginTokens = nil
	} else {
		d.enums("login_tokens", &c.LoginTokens, "id_token", "access_token", "refresh_token", "tokens", "introspection")
		if slices.Contains(c.LoginTokens, "introspection") {
			d.problem("login_tokens", "\"introspection\" is not supported by oidclab in login_tokens")
		}
	}
	d.urls("login_redirect_uri", &c.LoginRedirectURI)
	d.enum("login_redirect_mode", &c.LoginRedirectMode, "fragment", "query")
	d.boolean("preserve_query_args", &c.PreserveQueryArgs)

	d.str("session_secret", &c.SessionSecret)
	parseCookie(d, "session_cookie_", &c.SessionCookie)
	d.seconds("session_rolling_timeout", &c.SessionRollingTimeout)
	d.seconds("session_idling_timeout", &c.SessionIdlingTimeout)
	d.seconds("session_absolute_timeout", &c.SessionAbsoluteTimeout)
	parseCookie(d, "authorization_cookie_", &c.AuthorizationCookie)
	d.seconds("authorization_rolling_timeout", &c.AuthorizationRollingTimeout)
	if c.AuthorizationRollingTimeout == 0 {
		// 0 would mean "never expires" for a state cookie, which must stay short-lived.
		d.problem("authorization_rolling_timeout", "must be more than 0: a pending login cannot last forever")
	}

	d.enums("logout_methods", &c.LogoutMethods, "GET", "POST", "DELETE")
	d.str("logout_uri_suffix", &c.LogoutURISuffix)
	d.str("logout_query_arg", &c.LogoutQueryArg)
	d.str("logout_post_arg", &c.LogoutPostArg)
	d.urls("logout_redirect_uri", &c.LogoutRedirectURI)
	d.boolean("logout_revoke", &c.LogoutRevoke)
	d.boolean("logout_revoke_access_token", &c.LogoutRevokeAccessToken)
	d.boolean("logout_revoke_refresh_token", &c.LogoutRevokeRefreshToken)

	d.str("upstream_access_token_header", &c.UpstreamAccessTokenHeader)
	if _, set := d.m["upstream_access_token_header"]; set && d.m["upstream_access_token_header"] == nil {
		c.UpstreamAccessTokenHeader = ""
	}
	d.str("upstream_id_token_header", &c.UpstreamIDTokenHeader)
	d.str("upstream_user_info_header", &c.UpstreamUserInfoHeader)
	d.strs("upstream_headers_claims", &c.UpstreamHeadersClaims)
	d.strs("upstream_headers_names", &c.UpstreamHeadersNames)
	if len(c.UpstreamHeadersClaims) != len(c.UpstreamHeadersNames) {
		d.problem("upstream_headers_names", "must have as many entries as upstream_headers_claims (%d), has %d",
			len(c.UpstreamHeadersClaims), len(c.UpstreamHeadersNames))
	}
	for _, h := range []struct{ key, v string }{
		{"upstream_access_token_header", c.UpstreamAccessTokenHeader},
		{"upstream_id_token_header", c.UpstreamIDTokenHeader},
		{"upstream_user_info_header", c.UpstreamUserInfoHeader},
	} {
		if h.v != "" && !validHeaderSpec(h.v) {
			d.problem(h.key, "%q is not a header name (or authorization:bearer / authorization:basic)", h.v)
		}
	}

	d.strs("scopes_required", &c.ScopesRequired)
	d.strs("scopes_claim", &c.ScopesClaim)
	d.strs("audience_required", &c.AudienceRequired)
	d.strs("audience_claim", &c.AudienceClaim)
	d.strs("groups_required", &c.GroupsRequired)
	d.strs("groups_claim", &c.GroupsClaim)
	for _, key := range []string{"scopes_claim", "audience_claim", "groups_claim"} {
		if v, ok := d.m[key].([]any); ok && len(v) == 0 {
			d.problem(key, "must name at least one claim")
		}
	}
	if d.enums("bearer_token_param_type", &c.BearerTokenParamType, "header", "query", "body", "cookie") &&
		slices.Contains(c.BearerTokenParamType, "cookie") {
		d.problem("bearer_token_param_type", "\"cookie\" is not supported by oidclab")
	}

	d.seconds("leeway", &c.Leeway)
	d.boolean("verify_nonce", &c.VerifyNonce)
	d.boolean("verify_signature", &c.VerifySignature)
	d.boolean("verify_claims", &c.VerifyClaims)
	d.boolean("enable_hs_signatures", &c.EnableHSSignatures)
	if d.millis("timeout", &c.Timeout) && c.Timeout == 0 {
		d.problem("timeout", "must be more than 0 milliseconds")
	}
	d.seconds("rediscovery_lifetime", &c.RediscoveryLifetime)
	// Accepted (and type-checked) for Kong compatibility; TLS to the IdP is always verified.
	var sslVerify bool
	d.boolean("ssl_verify", &sslVerify)

	d.urls("unauthorized_redirect_uri", &c.UnauthorizedRedirectURI)
	d.urls("forbidden_redirect_uri", &c.ForbiddenRedirectURI)
	d.urls("unexpected_redirect_uri", &c.UnexpectedRedirectURI)
	d.str("unauthorized_error_message", &c.UnauthorizedErrorMessage)
	d.str("forbidden_error_message", &c.ForbiddenErrorMessage)
	d.boolean("unauthorized_destroy_session", &c.UnauthorizedDestroySession)
	d.boolean("forbidden_destroy_session", &c.ForbiddenDestroySession)
	d.boolean("display_errors", &c.DisplayErrors)
	d.boolean("expose_error_code", &c.ExposeErrorCode)
	d.boolean("run_on_preflight", &c.RunOnPreflight)
	d.boolean("refresh_tokens", &c.RefreshTokens)

	checkRemaining(d)
	if err := d.errs.Err(); err != nil {
		return nil, err
	}
	return &c, nil
}

func supportedAuthMethod(d *decoder, key string, dst *string) {
	if !d.enum(key, dst, clientAuthMethodsKong...) {
		return
	}
	if !slices.Contains(clientAuthMethods, *dst) {
		d.problem(key, "%q is not supported by oidclab: use %s", *dst, strings.Join(clientAuthMethods, ", "))
		*dst = ""
	}
}

func parseAuthMethods(d *decoder, c *Config) {
	var list []string
	c.AuthMethods = map[string]bool{}
	if !d.enums("auth_methods", &list, kongDefaultAuthMethods...) {
		if _, set := d.get("auth_methods"); set {
			return
		}
		list = kongDefaultAuthMethods
	}
	isDefault := sameSet(list, kongDefaultAuthMethods)
	for i, m := range list {
		if slices.Contains(authMethodsSupported, m) {
			c.AuthMethods[m] = true
			continue
		}
		if !isDefault {
			d.problem(fmt.Sprintf("auth_methods.%d", i), "%q is not supported by oidclab: use %s",
				m, strings.Join(authMethodsSupported, ", "))
		}
	}
}

func parseCookie(d *decoder, prefix string, c *CookieConfig) {
	d.str(prefix+"name", &c.Name)
	if c.Name == "" || strings.ContainsAny(c.Name, " ;,=\t\r\n\"") {
		d.problem(prefix+"name", "%q is not a valid cookie name", c.Name)
	}
	d.str(prefix+"path", &c.Path)
	if !strings.HasPrefix(c.Path, "/") {
		d.problem(prefix+"path", "%q must start with /", c.Path)
	}
	d.str(prefix+"domain", &c.Domain)
	d.enum(prefix+"same_site", &c.SameSite, sameSiteValues...)
	d.boolean(prefix+"http_only", &c.HTTPOnly)
	d.optBool(prefix+"secure", &c.Secure)
}

// checkIssuer accepts https issuers anywhere and http issuers only on loopback hosts.
func checkIssuer(s string) error {
	if err := checkAbsoluteURL(s); err != nil {
		return err
	}
	u, _ := url.Parse(s)
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q must not have a query or fragment", s)
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return fmt.Errorf("%q uses http on a non-loopback host: an issuer must use https (http is accepted only for localhost and 127.0.0.1)", s)
	}
	return nil
}

// isLoopbackHost reports whether host is what browsers treat as a potentially trustworthy
// loopback origin: localhost, *.localhost, 127.0.0.0/8 and ::1.
func isLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func validHeaderSpec(s string) bool {
	switch strings.ToLower(s) {
	case "authorization:bearer", "authorization:basic":
		return true
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return s != ""
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}
