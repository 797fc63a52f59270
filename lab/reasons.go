package lab

import (
	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc"
)

// Reasons lists every reason a lab's stream can carry, with its meaning: the gateway core's,
// the openid-connect plugin's and the lab's own (the tunnel's, the embedded IdP's). README's table is this
// list with the fixes.
func Reasons() []gateway.ReasonInfo {
	out := append([]gateway.ReasonInfo(nil), oidc.Reasons...)
	out = append(out, gateway.Reasons...)
	out = append(out, tunnelReasons...)
	return append(out, gateway.ReasonInfo{Reason: ReasonLoginFailed, Meaning: "the user's sign-in at the identity provider failed (wrong user name or password)",
		Fix: "Sign in with a valid user (the embedded IdP's demo user: demo@example.com / oidclab-demo)."})
}
