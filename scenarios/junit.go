package scenarios

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// The JUnit XML shape CI systems read (Jenkins, GitLab, GitHub's test reporters): one
// testsuite, a testcase per scenario, a failure with the first error, the detail in
// system-out.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML, with each scenario's trace in system-out.
func WriteJUnit(w io.Writer, rep *Report) error {
	suite := junitSuite{Name: "oidclab", Tests: len(rep.Scenarios), Failures: rep.Failed, Time: seconds(rep.Duration.Seconds())}
	for _, r := range rep.Scenarios {
		var detail strings.Builder
		writeDetail(&detail, r)
		c := junitCase{Name: r.Name, ClassName: "oidclab.scenarios", Time: seconds(r.Duration.Seconds()), SystemOut: detail.String()}
		if !r.Passed {
			c.Failure = &junitFailure{Message: r.Error, Type: "ScenarioFailed", Text: r.Error}
		}
		suite.Cases = append(suite.Cases, c)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(junitSuites{Suites: []junitSuite{suite}}); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func seconds(s float64) string { return fmt.Sprintf("%.3f", s) }

// WriteJSON writes the report as one JSON document (schema: scenarios/report.schema.json).
func WriteJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
