package oidc

import "github.com/oidclab/oidclab/gateway"

// The plugin's hops, in the order a login goes through them.
const (
	EventLoginStarted     gateway.EventKind = "oidc.login_started"
	EventCallbackReceived gateway.EventKind = "oidc.callback_received"
	EventTokenExchanged   gateway.EventKind = "oidc.token_exchanged"
	EventIDTokenVerified  gateway.EventKind = "oidc.id_token_verified"
	EventIDTokenRejected  gateway.EventKind = "oidc.id_token_rejected"
	EventSessionIssued    gateway.EventKind = "oidc.session_issued"
	EventSessionRefreshed gateway.EventKind = "oidc.session_refreshed"
	EventLogout           gateway.EventKind = "oidc.logout"
	EventAuthFailed       gateway.EventKind = "oidc.auth_failed" // any 401/403 the plugin answers
)
