package lab

import (
	"slices"

	"github.com/oidclab/oidclab/gateway/deck"
	"github.com/oidclab/oidclab/lab/tutorial"
)

// missingTutorialEnv lists the tutorial's variables a decK load failed on for being unset.
func missingTutorialEnv(err error) []string {
	var out []string
	for _, name := range deck.UnsetVariables(err) {
		if slices.Contains(tutorial.Env, name) && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// tunnelVars adds DECK_NGROK_HOST when a tunnel is open and neither the IdP nor the
// environment names the redirect URI: the tutorial's file then runs unchanged against the
// tunnel's URL, as the tutorial's `export DECK_NGROK_HOST=<ngrok URL>/anything` would.
func (l *Lab) tunnelVars(vars map[string]string) map[string]string {
	if l.public == nil {
		return vars
	}
	if _, ok := vars[tutorial.EnvRedirectURI]; ok {
		return vars
	}
	if v, ok := l.env()(tutorial.EnvRedirectURI); ok && v != "" {
		return vars
	}
	if vars == nil {
		vars = map[string]string{}
	}
	vars[tutorial.EnvRedirectURI] = tutorial.RedirectURI(l.publicURL)
	l.log.Info("DECK_NGROK_HOST is unset: using the tunnel's URL", "DECK_NGROK_HOST", vars[tutorial.EnvRedirectURI])
	return vars
}
