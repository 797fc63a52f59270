package scenarios_test

import (
	"context"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/scenarios"
)

// Every built-in scenario passes against the embedded IdP with the HTTP driver.
func TestLibraryPasses(t *testing.T) {
	list, err := scenarios.Library()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			rep := scenarios.Run(context.Background(), []*scenarios.Scenario{s}, scenarios.Options{
				LookupEnv: func(string) (string, bool) { return "", false },
			})
			r := rep.Scenarios[0]
			if !r.Passed {
				var b strings.Builder
				for _, h := range r.Hops {
					b.WriteString(h.Text())
				}
				t.Errorf("%s failed: %s\nhops:\n%s\ndiagnosis: %q", s.Name, r.Error, b.String(), r.Diagnosis)
			}
		})
	}
}
