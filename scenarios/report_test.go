package scenarios_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/scenarios"
)

// runNamed runs built-in scenarios with the HTTP driver and no environment.
func runNamed(t *testing.T, names ...string) *scenarios.Report {
	t.Helper()
	var list []*scenarios.Scenario
	for _, n := range names {
		s, ok := scenarios.Find(n)
		if !ok {
			t.Fatalf("no built-in scenario %q", n)
		}
		list = append(list, s)
	}
	return scenarios.Run(context.Background(), list, scenarios.Options{LookupEnv: func(string) (string, bool) { return "", false }})
}

// A scenario whose expectation is wrong fails, and its report names the step, the hop and the
// reason: the answer to "why did my login fail?".
func TestFailingScenarioReport(t *testing.T) {
	s, err := scenarios.Parse(strings.NewReader(`name: expects-a-login
steps:
  - login: {host: localhost}
  - expect: {status: 200}
`), "expects.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep := scenarios.Run(context.Background(), []*scenarios.Scenario{s}, scenarios.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if rep.OK() || rep.Failed != 1 {
		t.Fatalf("the scenario passed")
	}
	var text bytes.Buffer
	if err := scenarios.WriteText(&text, rep, scenarios.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	for _, want := range []string{
		"✗ expects-a-login", "step 1 (login, line 3)", "browser trace:", "[state_cookie_missing]",
		"without the authorization cookie: hop 1 set it on localhost:", "cookies are per host",
		"0 passed, 1 failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the text report does not say %q:\n%s", want, out)
		}
	}
}

// The JSON report matches its documented schema, and no secret reaches it.
func TestJSONReportMatchesSchema(t *testing.T) {
	rep := runNamed(t, "tutorial", "session", "wrong-client-secret")
	var buf bytes.Buffer
	if err := scenarios.WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatalf("the schema is not JSON: %v", err)
	}
	if problems := validate(schema, doc, "$"); len(problems) > 0 {
		t.Errorf("the report does not match report.schema.json:\n%s", strings.Join(problems, "\n"))
	}
	for _, secret := range []string{emulator.DemoUserPassword, "Bearer ey", "scenario-session-secret", "not-the-app-secret", "code=ey"} {
		if bytes.Contains(buf.Bytes(), []byte(secret)) {
			t.Errorf("the JSON report holds %q", secret)
		}
	}
}

// The JUnit report parses back as CI systems read it.
func TestJUnitReportParsesBack(t *testing.T) {
	rep := runNamed(t, "tutorial", "user-not-assigned")
	rep.Scenarios[1].Passed, rep.Scenarios[1].Error = false, "step 2 (expect, line 9): forced failure"
	rep.Passed, rep.Failed = 1, 1
	var buf bytes.Buffer
	if err := scenarios.WriteJUnit(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Suites []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
				SystemOut string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not XML: %v\n%s", err, buf.String())
	}
	if len(got.Suites) != 1 || got.Suites[0].Tests != 2 || got.Suites[0].Failures != 1 || len(got.Suites[0].Cases) != 2 {
		t.Fatalf("parsed %+v", got)
	}
	c0, c1 := got.Suites[0].Cases[0], got.Suites[0].Cases[1]
	if c0.Name != "tutorial" || c0.Failure != nil || c1.Failure == nil || c1.Failure.Message != "step 2 (expect, line 9): forced failure" {
		t.Errorf("cases: %+v", got.Suites[0].Cases)
	}
	if !strings.Contains(c1.SystemOut, "browser trace:") || !strings.Contains(c1.SystemOut, "user_not_assigned") {
		t.Errorf("the failure's system-out has no trace:\n%s", c1.SystemOut)
	}
}

// validate checks doc against the subset of JSON Schema report.schema.json uses: type,
// required, properties, additionalProperties false, items, enum.
func validate(schema map[string]any, doc any, at string) []string {
	var out []string
	if t, ok := schema["type"].(string); ok && !hasType(doc, t) {
		return []string{fmt.Sprintf("%s: want %s, got %T", at, t, doc)}
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.Contains(enum, doc) {
		out = append(out, fmt.Sprintf("%s: %v is not one of %v", at, doc, enum))
	}
	switch v := doc.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		for _, r := range asStrings(schema["required"]) {
			if _, ok := v[r]; !ok {
				out = append(out, fmt.Sprintf("%s: required %q missing", at, r))
			}
		}
		for k, val := range v {
			sub, ok := props[k].(map[string]any)
			if !ok {
				if schema["additionalProperties"] == false {
					out = append(out, fmt.Sprintf("%s: %q is not in the schema", at, k))
				}
				continue
			}
			out = append(out, validate(sub, val, at+"."+k)...)
		}
	case []any:
		if items, ok := schema["items"].(map[string]any); ok {
			for i, e := range v {
				out = append(out, validate(items, e, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	return out
}

func hasType(v any, t string) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	}
	return false
}

func asStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Text from a page, an IdP or a file never reaches the terminal with its control characters.
func TestTextReportIsTerminalSafe(t *testing.T) {
	rep := &scenarios.Report{Failed: 1, Browser: "http", Scenarios: []scenarios.Result{{
		Name: "x", Description: "d\x1b]0;title\x07", Error: "step 1: page said \x1b[2J",
		Steps:     []scenarios.StepResult{{Index: 1, Kind: "login", Error: "\x1b[31mred"}},
		Diagnosis: []string{"hop 1 \u202egnp.exe"},
	}}}
	var b bytes.Buffer
	if err := scenarios.WriteText(&b, rep, scenarios.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\x07\u202e") {
		t.Errorf("control characters reached the report: %q", b.String())
	}
	if !strings.Contains(b.String(), `\x1b]0;title\x07`) {
		t.Errorf("escaped text missing: %q", b.String())
	}
}
