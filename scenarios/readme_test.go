package scenarios_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/scenarios"
)

// README's full example scenario parses and passes: the documentation cannot drift from the
// format.
func TestREADMEExampleScenario(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```yaml\nname: my-login\n")
	if !ok {
		t.Fatal("README has no example scenario starting with name: my-login")
	}
	text, _, _ := strings.Cut(rest, "```")
	s, err := scenarios.Parse(strings.NewReader("name: my-login\n"+text), "README example")
	if err != nil {
		t.Fatal(err)
	}
	rep := scenarios.Run(context.Background(), []*scenarios.Scenario{s}, scenarios.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if r := rep.Scenarios[0]; !r.Passed {
		t.Errorf("README's example fails: %s", r.Error)
	}
}
