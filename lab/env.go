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
