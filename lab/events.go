package lab

import (
	"strings"

	"github.com/oidclab/oidclab/gateway"
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
		e.Reason = idpReason(rec.Endpoint, rec.Error, rec.ErrorDescription)
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

// idpReason classifies an error the IdP answered with.
func idpReason(endpoint, code, desc string) gateway.Reason {
	d := strings.ToLower(desc)
	switch {
	case strings.Contains(d, "redirect_uri") && endpoint != emulator.EndpointToken:
		return "redirect_uri_not_registered"
	case strings.Contains(d, "not assigned"):
		return "user_not_assigned"
	case strings.Contains(d, "policy evaluation failed"):
		return "no_matching_policy"
	case code == "invalid_scope":
		return "scope_not_allowed"
	case code == "invalid_client":
		return "client_auth_failed"
	case code == "invalid_grant":
		return "code_invalid"
	case code == "authentication_failed":
		return "login_failed"
	}
	return "idp_error"
}

// annotate adds what the gateway cannot know to its events, before any subscriber sees them.
func (l *Lab) annotate(e *gateway.Event) {}
