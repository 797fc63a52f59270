package lab

import (
	"strings"
	"sync"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc"
	"github.com/oidclab/oidclab/okta"
	"github.com/oidclab/oidclab/okta/emulator"
)

// EventIdPRequest is one request the embedded IdP answered, merged into the lab's stream.
const EventIdPRequest gateway.EventKind = "idp.request"

// publishIdP turns the embedded IdP's request record (secrets already redacted) into an event.
// It runs on the IdP's serving goroutine and never blocks (the bus drops rather than waits).
func (l *Lab) publishIdP(rec emulator.RequestRecord) {
	e := gateway.Event{
		Kind:       EventIdPRequest,
		Method:     rec.Method,
		Path:       rec.Path,
		Status:     rec.Status,
		AnsweredBy: gateway.AnsweredByIdP,
		Message:    idpMessage(rec),
		Attrs:      map[string]any{"endpoint": rec.Endpoint},
	}
	if rec.ClientID != "" {
		e.Attrs["client_id"] = rec.ClientID
	}
	if rec.Error != "" {
		e.Attrs["error"] = rec.Error
		e.Reason = idpReason(rec)
		e.Explain = explainReason(e.Reason)
	}
	l.bus.Publish(e)
}

// idpMessage says what the IdP did, in a few words.
func idpMessage(rec emulator.RequestRecord) string {
	if rec.Error != "" {
		msg := "the identity provider refused: " + rec.Error
		if rec.ErrorDescription != "" {
			msg += " (" + rec.ErrorDescription + ")"
		}
		return msg
	}
	switch rec.Endpoint {
	case emulator.EndpointDiscovery:
		return "identity provider: discovery document served"
	case emulator.EndpointAuthorize:
		return "identity provider: authorization request accepted"
	case emulator.EndpointLogin:
		return "identity provider: sign-in step answered"
	case emulator.EndpointToken:
		return "identity provider: tokens issued"
	case emulator.EndpointKeys:
		return "identity provider: signing keys served"
	case emulator.EndpointUserinfo:
		return "identity provider: user info served"
	case emulator.EndpointIntrospect:
		return "identity provider: token introspected"
	case emulator.EndpointRevoke:
		return "identity provider: token revoked"
	case emulator.EndpointLogout:
		return "identity provider: signed out"
	}
	return "identity provider: " + rec.Endpoint
}

// ReasonLoginFailed: the user's sign-in at the embedded IdP failed (wrong password or user).
const ReasonLoginFailed gateway.Reason = "login_failed"

// idpReason classifies an error the embedded IdP answered with, as the gateway names the same
// failure seen from its side, so both ends of a hop carry one reason: the back-channel
// endpoints by what failed, the browser's by the plugin's own IdPErrorReason.
func idpReason(rec emulator.RequestRecord) gateway.Reason {
	desc := strings.ToLower(rec.ErrorDescription)
	switch rec.Endpoint {
	case emulator.EndpointLogin:
		if rec.Error == "authentication_failed" {
			return ReasonLoginFailed
		}
	case emulator.EndpointDiscovery:
		return oidc.ReasonDiscoveryFailed
	case emulator.EndpointKeys:
		return oidc.ReasonJWKSFailed
	case emulator.EndpointUserinfo:
		return oidc.ReasonUserinfoFailed
	case emulator.EndpointIntrospect:
		return oidc.ReasonIntrospectionFailed
	case emulator.EndpointRevoke:
		return oidc.ReasonRevocationFailed
	case emulator.EndpointToken:
		switch {
		case rec.Error == "invalid_client" || rec.Status == 401:
			return oidc.ReasonClientAuthFailed
		case rec.Error == "invalid_grant" && (strings.Contains(desc, "verifier") || strings.Contains(desc, "pkce")):
			return oidc.ReasonPKCEMismatch
		case rec.Error == "invalid_grant" && strings.Contains(desc, "redirect"):
			return oidc.ReasonRedirectURINotRegistered
		case rec.Error == "invalid_grant":
			return oidc.ReasonCodeInvalid
		case rec.Status >= 500:
			return oidc.ReasonTokenRequestFailed
		}
	}
	return oidc.IdPErrorReason(rec.Error, rec.ErrorDescription)
}

// reasonInfo indexes Reasons by code.
var reasonInfo = sync.OnceValue(func() map[gateway.Reason]gateway.ReasonInfo {
	m := map[gateway.Reason]gateway.ReasonInfo{}
	for _, r := range Reasons() {
		m[r.Reason] = r
	}
	return m
})

// explainReason is the plain-language cause and fix of a reason, for hops whose publisher has
// no more specific explanation (the IdP's own refusals).
func explainReason(r gateway.Reason) string {
	info, ok := reasonInfo()[r]
	if !ok {
		return ""
	}
	return strings.ToUpper(info.Meaning[:1]) + info.Meaning[1:] + ". " + info.Fix
}

// annotate adds what the gateway cannot know to its events before any subscriber sees them:
// the Okta Admin Console steps for a failure, when the IdP is Okta or the embedded
// Okta-compatible one.
func (l *Lab) annotate(e *gateway.Event) {
	if e.Reason == "" || !l.oktaIdP.Load() {
		return
	}
	if advice := okta.Advice(string(e.Reason)); advice != "" && !strings.Contains(e.Explain, advice) {
		e.Explain = strings.TrimSpace(e.Explain + "\n" + advice)
	}
}
