package lab_test

import (
	"bytes"
	"flag"
	"fmt"
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
		if !snake.MatchString(string(r.Reason)) || r.Meaning == "" || r.Fix == "" {
			t.Errorf("%q: want a snake_case code with a meaning and a fix", r.Reason)
		}
	}
	for _, r := range okta.AdviceReasons() {
		if !seen[gateway.Reason(r)] {
			t.Errorf("okta.Advice has steps for %q, which no event carries", r)
		}
	}
}

var update = flag.Bool("update", false, "rewrite README's reasons table")

// README's table is lab.Reasons(), rendered: `go test ./lab -run README -update` rewrites it.
func TestREADMEReasonsTable(t *testing.T) {
	const path, begin, end = "../README.md", "<!-- reasons:begin -->\n", "<!-- reasons:end -->\n"
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(readme, []byte(begin)), bytes.Index(readme, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("README has no %q … %q section", begin, end)
	}
	var b strings.Builder
	b.WriteString("| reason | what happened | the fix |\n|---|---|---|\n")
	for _, r := range lab.Reasons() {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", r.Reason, r.Meaning, r.Fix)
	}
	var advised []string
	for _, r := range okta.AdviceReasons() {
		advised = append(advised, "`"+r+"`")
	}
	fmt.Fprintf(&b, "\nWith Okta (or the embedded Okta-compatible IdP) the explanation also gives the Admin Console steps for %s.\n", strings.Join(advised, ", "))
	want := b.String()
	got := string(readme[i+len(begin) : j])
	if got == want {
		return
	}
	if *update {
		out := append(append(append([]byte(nil), readme[:i+len(begin)]...), want...), readme[j:]...)
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README's reasons table is out of date: go test ./lab -run README -update")
}
