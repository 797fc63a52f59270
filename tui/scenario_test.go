package tui

import (
	"bytes"
	"context"
	"testing"

	"github.com/oidclab/oidclab/scenarios"
)

// The scenario the Finish screen saves is a valid `oidclab run` file, and the embedded walk's
// passes.
func TestSavedScenarioRuns(t *testing.T) {
	for _, c := range []struct{ okta, ngrok bool }{{false, false}, {true, false}, {true, true}} {
		s, err := scenarios.Parse(bytes.NewReader(scenarioYAML(c.okta, c.ngrok)), scenarioFile)
		if err != nil {
			t.Fatalf("okta=%v ngrok=%v: %v", c.okta, c.ngrok, err)
		}
		if c.okta != (s.IdP == "okta") || c.ngrok != (s.Tunnel == "ngrok") {
			t.Errorf("okta=%v ngrok=%v: parsed %s %s", c.okta, c.ngrok, s.IdP, s.Tunnel)
		}
		if c.okta {
			continue
		}
		rep := scenarios.Run(context.Background(), []*scenarios.Scenario{s}, scenarios.Options{LookupEnv: func(string) (string, bool) { return "", false }})
		if !rep.OK() {
			t.Errorf("the saved embedded walk fails: %s", rep.Scenarios[0].Error)
		}
	}
}
