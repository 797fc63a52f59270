package lab

import (
	"errors"
	"strings"

	"github.com/oidclab/oidclab/gateway/deck"
	"github.com/oidclab/oidclab/lab/tutorial"
)

// missingTutorialEnv lists the tutorial's variables a decK load failed on for being unset.
func missingTutorialEnv(err error) []string {
	var de *deck.Errors
	if !errors.As(err, &de) {
		return nil
	}
	var out []string
	for _, name := range tutorial.Env {
		for _, p := range de.Problems {
			if strings.Contains(p.Message, "'"+name+"' present in state file but not set") {
				out = append(out, name)
				break
			}
		}
	}
	return out
}
