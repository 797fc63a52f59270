package scenarios

import (
	"time"

	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/scenarios/browser"
)

// Report is the outcome of a run. It holds no secret, token or cookie value: hop URLs are
// redacted, cookies are names and attributes, events carry claims and explanations.
type Report struct {
	Scenarios []Result      `json:"scenarios"`
	Passed    int           `json:"passed"`
	Failed    int           `json:"failed"`
	Duration  time.Duration `json:"duration_ns"`
	Browser   string        `json:"browser"`
}

// OK reports whether every scenario passed (and there was at least one).
func (r *Report) OK() bool { return r.Failed == 0 && r.Passed > 0 }

// Result is one scenario's outcome.
type Result struct {
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	Source      string        `json:"source"`
	Passed      bool          `json:"passed"`
	Error       string        `json:"error,omitempty"` // the first failure, in a sentence
	Duration    time.Duration `json:"duration_ns"`
	IdP         string        `json:"idp"`
	Browser     string        `json:"browser"`
	Steps       []StepResult  `json:"steps"`
	// Trace is every request the browser made, in order, with the step that made it.
	Trace []TraceHop `json:"trace"`
	// Cookies are the cookies the browser held at the end: names, attributes and sizes.
	Cookies []browser.CookieInfo `json:"cookies"`
	// Hops are the lab's narrated events: the gateway's and the IdP's side of each request.
	Hops []lab.Hop `json:"hops"`
	// Reasons are the failure reasons the lab reported, in order, once each.
	Reasons []string `json:"reasons"`
	// Diagnosis says, for a login that went wrong, where the state or session was lost and
	// which cookies or headers are near a size limit.
	Diagnosis []string `json:"diagnosis,omitempty"`
}

// StepResult is one step's outcome.
type StepResult struct {
	Index       int           `json:"index"` // from 1
	Kind        string        `json:"kind"`
	Line        int           `json:"line"`
	Description string        `json:"description,omitempty"`
	Passed      bool          `json:"passed"`
	Skipped     bool          `json:"skipped,omitempty"` // after an earlier failure
	Error       string        `json:"error,omitempty"`
	Duration    time.Duration `json:"duration_ns"`
	Status      int           `json:"status,omitempty"` // the final page's, for navigations
}

// TraceHop is one browser request and the step that made it.
type TraceHop struct {
	Step int `json:"step"`
	browser.Hop
}
