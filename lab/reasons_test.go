package lab_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/okta"
)

// The reasons are a contract: unique, snake_case, each advised one real, each in README's table.
func TestReasonsTable(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	seen := map[gateway.Reason]bool{}
	for _, r := range lab.Reasons() {
		if seen[r.Reason] {
			t.Errorf("%s listed twice", r.Reason)
		}
		seen[r.Reason] = true
		if !snake.MatchString(string(r.Reason)) || r.Meaning == "" {
			t.Errorf("%q: want a snake_case code with a meaning", r.Reason)
		}
	}
	for _, r := range okta.AdviceReasons() {
		if !seen[gateway.Reason(r)] {
			t.Errorf("okta.Advice has steps for %q, which no event carries", r)
		}
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for r := range seen {
		if !strings.Contains(string(readme), "| `"+string(r)+"` |") {
			t.Errorf("README's reasons table has no row for %s", r)
		}
	}
}
