package oidc

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oidclab/oidclab/gateway"
)

// authState is the content of the encrypted authorization cookie: everything the callback needs
// and nothing the browser may see.
type authState struct {
	State       string `json:"s"`
	Nonce       string `json:"n"`
	Verifier    string `json:"v,omitempty"`
	Client      int    `json:"c"`
	URI         string `json:"u"`           // original URL without the query
	Args        string `json:"a,omitempty"` // original query, only with preserve_query_args
	RedirectURI string `json:"r"`
	Created     int64  `json:"t"`
}

// randomToken is n random bytes, base64url; 18 give Kong's 24-character state and nonce.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (c *call) redirectURI() string {
	if u := pick(c.p.cfg.RedirectURI, c.client.Index); u != "" {
		return u
	}
	return c.currentURL()
}

// usePKCE: forced by require_proof_key_for_code_exchange, else on when the provider advertises
// code_challenge_methods_supported.
func (c *call) usePKCE() bool {
	if c.p.cfg.RequirePKCE != nil {
		return *c.p.cfg.RequirePKCE
	}
	return len(c.md.CodeChallengeMethods) > 0
}

// startLogin answers 302 to the authorization endpoint and sets the authorization cookie. With
// prev (a pending login seen from another tab or a stray request) it reuses its state, nonce and
// verifier, as Kong does, so the login already under way can still finish.
func (c *call) startLogin(prev *authState, why string) {
	c.startLoginBecause(prev, "", why)
}

// startLoginBecause is startLogin for a restart caused by a failure: the login-started event
// carries its reason.
func (c *call) startLoginBecause(prev *authState, reason gateway.Reason, why string) {
	if c.md.AuthorizationEndpoint == "" {
		c.unexpected(errNoAuthorizationEndpoint)
		return
	}
	if c.client.ID == "" {
		c.unauthorized(failure{message: "no client_id configured", reason: ReasonClientIDMissing, explain: "The plugin has no client_id, so it cannot start a login: set config.client_id to the client (application) id registered at the identity provider."})
		return
	}
	st := prev
	if st == nil {
		st = &authState{State: randomToken(18), Nonce: randomToken(18), Client: c.client.Index, Created: c.p.now().Unix()}
		if c.usePKCE() {
			st.Verifier = randomToken(32)
		}
	}
	st.URI = c.currentURL()
	st.Args = ""
	if c.p.cfg.PreserveQueryArgs {
		st.Args = c.r.URL.RawQuery
	}
	st.RedirectURI = c.redirectURI()

	value, err := c.p.authCodec.Seal(c.p.cfg.AuthorizationCookie.Name, st)
	if err != nil {
		c.unexpected(err)
		return
	}
	spec := authorizationCookieSpec(c.p.cfg.AuthorizationCookie, c.origin)
	ck := spec.cookie(spec.Name, value)
	ck.MaxAge = int(c.p.cfg.AuthorizationRollingTimeout / time.Second)
	http.SetCookie(c.w, ck)

	c.p.pending.add(st.State, c.hostURL(), c.p.now().Add(c.p.cfg.AuthorizationRollingTimeout))
	target := c.authorizeURL(st)
	attrs := map[string]any{
		"client_id": c.client.ID, "redirect_uri": st.RedirectURI, "response_mode": c.p.cfg.ResponseMode,
		"scopes": strings.Join(c.p.cfg.Scopes, " "), "pkce": st.Verifier != "", "authorization_endpoint": c.md.AuthorizationEndpoint,
		"cookie_same_site": sameSiteName(spec.sameSite), "cookie_secure": spec.secure,
	}
	if prev != nil {
		attrs["restarted"] = true
	}
	message := "login started: redirecting to the identity provider"
	if why != "" {
		message += " (" + why + ")"
	}
	explain := explainLoginStart(c, st, spec)
	if reason == ReasonStateMismatch {
		// A restart for a foreign state is a failure: every failure says what happened.
		explain = strings.TrimSpace(explainStateMismatch() + " " + explain)
	}
	c.failEvent(EventLoginStarted, http.StatusFound, reason, message, explain, attrs)
	redirect(c.w, target)
}

func (c *call) authorizeURL(st *authState) string {
	cfg := c.p.cfg
	q := url.Values{
		"response_type": {"code"},
		"scope":         {strings.Join(cfg.Scopes, " ")},
		"redirect_uri":  {st.RedirectURI},
		"client_id":     {c.client.ID},
		"state":         {st.State},
		"nonce":         {st.Nonce},
	}
	if st.Verifier != "" {
		sum := sha256.Sum256([]byte(st.Verifier))
		q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
		q.Set("code_challenge_method", "S256")
	}
	if cfg.ResponseMode != "query" {
		q.Set("response_mode", cfg.ResponseMode)
	}
	if len(cfg.Audience) > 0 {
		q.Set("audience", strings.Join(cfg.Audience, " "))
	}
	if cfg.MaxAge != nil {
		q.Set("max_age", strconv.FormatInt(int64(*cfg.MaxAge/time.Second), 10))
	}
	for i, name := range cfg.AuthorizationQueryArgsNames {
		if !slices.Contains(reservedAuthorizeArgs, name) {
			q.Set(name, cfg.AuthorizationQueryArgsValue[i])
		}
	}
	sep := "?"
	if strings.Contains(c.md.AuthorizationEndpoint, "?") {
		sep = "&"
	}
	return c.md.AuthorizationEndpoint + sep + q.Encode()
}

// reservedAuthorizeArgs cannot be overridden by authorization_query_args_names: they carry the
// protections (state, nonce, PKCE) of the flow.
var reservedAuthorizeArgs = []string{"state", "nonce", "code_challenge", "code_challenge_method", "client_id", "redirect_uri", "response_type"}

func sameSiteName(s http.SameSite) string {
	switch s {
	case http.SameSiteLaxMode:
		return "Lax"
	case http.SameSiteStrictMode:
		return "Strict"
	case http.SameSiteNoneMode:
		return "None"
	}
	return "unset"
}

// stateProblem says why an authorization cookie that was sent could not be used; zero when
// none was sent.
type stateProblem struct {
	text   string
	reason gateway.Reason
}

// readAuthState opens the authorization cookie. st is nil when there is none or it is not
// valid; problem then says why a cookie that was sent could not be used.
func (c *call) readAuthState() (st *authState, problem stateProblem) {
	name := c.p.cfg.AuthorizationCookie.Name
	ck, err := c.r.Cookie(name)
	if err != nil {
		return nil, stateProblem{}
	}
	var s authState
	if err := c.p.authCodec.Open(name, ck.Value, &s); err != nil || s.State == "" {
		return nil, stateProblem{"the authorization cookie could not be decrypted (written under another session_secret, e.g. before a restart without session_secret, by another openid-connect plugin, or altered)", ReasonStateCookieInvalid}
	}
	if age := c.p.now().Sub(time.Unix(s.Created, 0)); age > c.p.cfg.AuthorizationRollingTimeout {
		return nil, stateProblem{"the login took " + age.Round(time.Second).String() + ", longer than authorization_rolling_timeout (" + c.p.cfg.AuthorizationRollingTimeout.String() + ")", ReasonLoginTimeout}
	}
	return &s, stateProblem{}
}

func (c *call) clearAuthCookie() {
	authorizationCookieSpec(c.p.cfg.AuthorizationCookie, c.origin).clear(c.w, c.r)
}
