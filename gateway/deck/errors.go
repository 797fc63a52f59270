package deck

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with a config, located by entity path and file line.
type Problem struct {
	Path    string // e.g. "services.0.routes.1.paths.0" or "plugins.0.config.issuer"
	Line    int    // 1-based; 0 when unknown
	Message string
	// Err is the problem as a typed error when callers may act on its kind (an
	// *UnsetVariableError); nil otherwise. Message says the same for people.
	Err error
}

func (p Problem) String() string {
	var b strings.Builder
	switch {
	case p.Path != "" && p.Line > 0:
		fmt.Fprintf(&b, "%s (line %d)", p.Path, p.Line)
	case p.Path != "":
		b.WriteString(p.Path)
	case p.Line > 0:
		fmt.Fprintf(&b, "line %d", p.Line)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Errors reports every problem found in one config at once.
type Errors struct {
	Source   string // file name, "-" for stdin
	Problems []Problem
}

func (e *Errors) Error() string {
	var b strings.Builder
	src := sourceName(e.Source)
	if len(e.Problems) == 1 {
		fmt.Fprintf(&b, "%s: %s", src, e.Problems[0])
		return b.String()
	}
	fmt.Fprintf(&b, "%s: %d problems:", src, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap exposes the problems' typed errors to errors.Is and errors.As, e.g.
//
//	var unset *deck.UnsetVariableError
//	if errors.As(err, &unset) { ... unset.Name ... }
//
// finds the first unset variable; UnsetVariables lists them all.
func (e *Errors) Unwrap() []error {
	var errs []error
	for _, p := range e.Problems {
		if p.Err != nil {
			errs = append(errs, p.Err)
		}
	}
	return errs
}

// UnsetVariableError is an ${{ env "DECK_X" }} in a state file whose variable is not set.
// Its text is decK's own.
type UnsetVariableError struct {
	Name string // DECK_X
}

func (e *UnsetVariableError) Error() string {
	return fmt.Sprintf("environment variable '%s' present in state file but not set", e.Name)
}

// UnsetVariables names every unset variable err reports, in the order of the file; none when
// err is not a *Errors.
func UnsetVariables(err error) []string {
	var de *Errors
	if !errors.As(err, &de) {
		return nil
	}
	var names []string
	for _, p := range de.Problems {
		var u *UnsetVariableError
		if errors.As(p.Err, &u) && !slices.Contains(names, u.Name) {
			names = append(names, u.Name)
		}
	}
	return names
}

// Add records a problem.
func (e *Errors) Add(path string, line int, format string, args ...any) {
	e.Problems = append(e.Problems, Problem{Path: path, Line: line, Message: fmt.Sprintf(format, args...)})
}

// SortByLine orders the problems by line, keeping the discovery order among equals; problems
// without a line come first (they concern the whole file).
func (e *Errors) SortByLine() {
	slices.SortStableFunc(e.Problems, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
}

// Err returns e when it holds problems, else nil.
func (e *Errors) Err() error {
	if e == nil || len(e.Problems) == 0 {
		return nil
	}
	return e
}
