package oidc

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/oidclab/oidclab/gateway"
)

var errNoAuthorizationEndpoint = errors.New("oidc: authorization endpoint was not specified (not in discovery, not configured)")

// callbackParams are the authorization response parameters (RFC 6749 4.1.2 / 4.1.2.1, RFC 9207).
type callbackParams struct {
	Code             string
	State            string
	Iss              string
	ClientID         string
	Error            string
	ErrorDescription string
	Reposted         bool // the re-POST page sent it
	FromBody         bool // read from a form_post body
}

// repostMarker is the field the re-POST page adds, so a second miss starts a new login instead of
// looping on the page.
const repostMarker = "oidclab_reposted"

// callbackArgs are stripped before proxying (Kong strips code, state, session_state).
var callbackArgs = []string{"code", "state", "session_state", "iss", repostMarker}

// callbackParams reads the parameters as Kong does: a POST's urlencoded body first, then the
// query for anything the body did not have.
func (c *call) callbackParams() callbackParams {
	form := c.postForm()
	query := c.r.URL.Query()
	get := func(name string) string {
		if v := form.Get(name); v != "" {
			return v
		}
		return query.Get(name)
	}
	p := callbackParams{
		Code:             get("code"),
		State:            get("state"),
		Iss:              get("iss"),
		ClientID:         get("client_id"),
		Error:            clip(get("error"), 100),
		ErrorDescription: clip(get("error_description"), 300),
		Reposted:         get(repostMarker) != "",
		FromBody:         form.Get("state") != "",
	}
	return p
}

// reposted reports whether the request came from the re-POST page (the marker is in the body or
// the query: a legitimate request never carries it at all).
func (c *call) reposted() bool {
	if c.postForm().Has(repostMarker) {
		return true
	}
	// Every request asks this; parsing the query only when the name is in it saves the session
	// hot path an allocation.
	return strings.Contains(c.r.URL.RawQuery, repostMarker) && c.r.URL.Query().Has(repostMarker)
}

func (p callbackParams) looksLikeCallback() bool {
	return p.State != "" && (p.Code != "" || p.Error != "")
}

// serveAuthorizationCode handles a request when no session or bearer token authenticated it:
// a callback when the authorization cookie is there, else the start of a login.
func (c *call) serveAuthorizationCode(next http.Handler) {
	st, problem := c.readAuthState()
	params := c.callbackParams()
	if st == nil {
		c.noStateCookie(params, problem)
		return
	}
	c.client = c.p.clientAt(st.Client)
	if f, sameState := c.checkCallback(st, params); f != nil {
		if !sameState {
			// Another tab, or any other request while a login is pending: send the browser
			// to the IdP again with the same state, so whichever callback comes back works.
			// A callback with a foreign state is still worth a reason: login CSRF looks so.
			var reason gateway.Reason
			if params.looksLikeCallback() {
				reason = ReasonStateMismatch
			}
			c.startLoginBecause(st, reason, "a login was already pending; it continues with the same state")
			return
		}
		c.clearAuthCookie()
		f.kind = EventCallbackReceived
		c.unauthorized(*f)
		return
	}
	if !c.p.used.add(st.State, time.Unix(st.Created, 0).Add(c.p.cfg.AuthorizationRollingTimeout)) {
		c.clearAuthCookie()
		c.unauthorized(failure{
			kind:    EventCallbackReceived,
			reason:  ReasonStateReused,
			message: "the authorization state was already used",
			explain: "This callback (state and code) was already redeemed once: the state cookie is single use. A replayed or double-submitted callback is refused; load the page again to start a new login.",
		})
		return
	}
	c.p.pending.remove(st.State)
	c.event(EventCallbackReceived, 0, "callback received with a valid state", "", map[string]any{
		"form_post": params.FromBody, "iss_present": params.Iss != "", "reposted": params.Reposted,
	})
	c.redeem(st, params, next)
}

// checkCallback applies Kong's checks in Kong's order. sameState tells whether the request
// carried the pending login's state, which turns a failure into a 401 rather than a restart.
func (c *call) checkCallback(st *authState, p callbackParams) (f *failure, sameState bool) {
	sameState = p.State != "" && subtle.ConstantTimeCompare([]byte(p.State), []byte(st.State)) == 1
	// RFC 9207 2.4: an error response naming another issuer must not be taken for our
	// provider's error (a mix-up attacker's error would be explained as our IdP's).
	if p.Error != "" && p.Iss != "" && p.Iss != c.md.Issuer {
		return issuerMismatch(p.Iss, c.md.Issuer), sameState
	}
	switch {
	case p.Error != "":
		return &failure{
			message: "the identity provider returned an error: " + p.Error + describeIfAny(p.ErrorDescription),
			reason:  IdPErrorReason(p.Error, p.ErrorDescription),
			explain: explainIdPError(p.Error, p.ErrorDescription),
			attrs:   map[string]any{"error": p.Error, "error_description": p.ErrorDescription},
		}, sameState
	case p.Code == "":
		return &failure{message: "authorization code not present", reason: ReasonCodeMissing, explain: "The request carried the pending login's cookie but no code: it is not a callback from the identity provider."}, sameState
	case p.State == "":
		return &failure{message: "authorization state not present", reason: ReasonStateMissing, explain: "The callback has a code but no state: the identity provider, or something between it and the gateway, dropped the state parameter."}, sameState
	case !sameState:
		return &failure{message: "invalid authorization state", reason: ReasonStateMismatch, explain: explainStateMismatch()}, false
	case c.md.AuthorizationResponseIssParameter && p.Iss == "":
		return &failure{message: "authorization response has no iss parameter", reason: ReasonIssMissing, explain: "The provider advertises authorization_response_iss_parameter_supported (RFC 9207) but the callback has no iss: the response may come from another server (mix-up attack) or a proxy dropped the parameter."}, true
	case p.Iss != "" && p.Iss != c.md.Issuer:
		return issuerMismatch(p.Iss, c.md.Issuer), true
	case p.ClientID != "" && p.ClientID != c.client.ID:
		return &failure{message: "authorization response client_id mismatch", reason: ReasonClientMismatch, explain: "The callback names client_id " + p.ClientID + ", not this plugin's client " + c.client.ID + "."}, true
	}
	return nil, true
}

func issuerMismatch(got, want string) *failure {
	return &failure{
		message: "authorization response issuer mismatch",
		reason:  ReasonIssuerMismatch,
		explain: "The callback's iss (" + clip(got, 200) + ") is not this plugin's issuer (" + want + "): the response comes from another authorization server (RFC 9207 mix-up protection). Check that config.issuer names the server the user logs in to.",
	}
}

func describeIfAny(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// noStateCookie: no usable authorization cookie. A form_post callback gets the re-POST page
// once (its same-origin POST carries a Lax or unset-SameSite cookie); anything else starts a
// new login as Kong does, with an event explaining why the cookie went missing.
func (c *call) noStateCookie(p callbackParams, problem stateProblem) {
	if p.looksLikeCallback() {
		explain := explainMissingStateCookie(c, p, problem.text)
		reason := problem.reason
		if reason == "" {
			reason = ReasonStateCookieMissing
		}
		if p.FromBody && !p.Reposted && problem.text == "" && c.repostable() {
			c.failEvent(EventCallbackReceived, http.StatusOK, reason,
				"form_post callback arrived without the authorization cookie: answering with a same-origin re-POST page", explain, nil)
			c.repost()
			return
		}
		c.failEvent(EventCallbackReceived, http.StatusFound, reason,
			"callback arrived without a usable authorization cookie: starting a new login", explain, nil)
		c.startLogin(nil, "the callback had no usable authorization cookie")
		return
	}
	c.startLogin(nil, "")
}

// A form_post callback is a handful of short fields (code, state, iss, session_state). The
// re-POST page echoes every field it is given, so anything much larger is not a callback and
// must not be turned into a page many times the size of the request.
const (
	maxRepostFields = 16
	maxRepostBody   = 16 << 10
)

func (c *call) repostable() bool {
	n := 0
	for _, vs := range c.postForm() {
		n += len(vs)
	}
	return n <= maxRepostFields && len(c.rawForm) <= maxRepostBody
}

// stripCallbackArgs removes the authorization response from the request before it is proxied.
// Every other parameter reaches the upstream byte for byte and in its order: re-encoding would
// reorder fields, change their escaping and break anything that signs or parses the raw body.
func (c *call) stripCallbackArgs() {
	if q, changed := withoutArgs(c.r.URL.RawQuery, callbackArgs); changed {
		c.r.URL.RawQuery = q
	}
	if c.postForm() != nil {
		if body, changed := withoutArgs(c.rawForm, callbackArgs); changed {
			c.setPostBody(body)
		}
	}
}

// withoutArgs drops the pairs whose (decoded) name is in names from a query string or
// urlencoded body, keeping the rest as they are.
func withoutArgs(raw string, names []string) (string, bool) {
	if raw == "" {
		return raw, false
	}
	kept := make([]string, 0, 8)
	changed := false
	for pair := range strings.SplitSeq(raw, "&") {
		key, _, _ := strings.Cut(pair, "=")
		if name, err := url.QueryUnescape(key); err == nil && slices.Contains(names, name) {
			changed = true
			continue
		}
		kept = append(kept, pair)
	}
	return strings.Join(kept, "&"), changed
}
