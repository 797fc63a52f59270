package browser

import (
	"net/url"
	"strings"

	"github.com/oidclab/oidclab/gateway/deck"
)

// Redacted replaces a secret value in URLs and notes: the project's one marker.
const Redacted = deck.Redacted

// sensitiveParams are the query/fragment parameters whose values are credentials or are bound
// to one (state and nonce protect the flow; codes and tokens grant access). Lower case.
var sensitiveParams = map[string]bool{
	"code": true, "state": true, "nonce": true, "session_state": true,
	"id_token": true, "access_token": true, "refresh_token": true, "token": true,
	"id_token_hint": true, "logout_token": true, "code_verifier": true,
	"client_secret": true, "client_assertion": true, "assertion": true,
	"password": true, "passcode": true, "credentials.passcode": true, "sessiontoken": true, "statetoken": true, "otp": true,
	"subject_token": true, "actor_token": true, "device_code": true, "interaction_code": true,
	"interaction_handle": true,
	// The embedded IdP's sign-in transaction (/login?tx=…): whoever holds it can open that
	// sign-in form.
	"tx": true,
}

// RedactURL returns raw with the values of secret-bearing query and fragment parameters
// replaced by Redacted, and any userinfo password removed. The order and spelling of everything
// else is kept, so a redacted URL still reads like the original. Unparsable input is redacted
// whole.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return Redacted
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), Redacted)
		}
	}
	u.RawQuery = redactQuery(u.RawQuery)
	// A fragment carries tokens after an implicit flow or Kong's login_action=redirect.
	if u.Fragment != "" {
		frag := u.EscapedFragment()
		u.Fragment, u.RawFragment = "", ""
		s := u.String()
		return s + "#" + redactQuery(frag)
	}
	return u.String()
}

// redactQuery redacts an application/x-www-form-urlencoded string without reordering it.
func redactQuery(q string) string {
	if q == "" {
		return q
	}
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, _, hasValue := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if hasValue && sensitiveParams[strings.ToLower(name)] {
			parts[i] = k + "=" + Redacted
		}
	}
	return strings.Join(parts, "&")
}
