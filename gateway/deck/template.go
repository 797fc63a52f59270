package deck

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
)

// envPrefix is the prefix decK requires on every variable a state file reads.
const envPrefix = "DECK_"

// templateName is the name text/template puts in its error locations ("template: state:3:16: ...").
const templateName = "state"

// The renderer instruments the parsed template with two private functions so it learns which
// source line produced each piece of output: markFunc is appended to every printing action and
// textFunc replaces every text node. Rendered lines can then be mapped back to the file the
// user wrote, even after a multi-line value or an if that drops lines.
const (
	markFunc = "oidclabLineMark"
	textFunc = "oidclabLineText"
)

// envError is returned by the env template function; its text is decK's own.
type envError struct{ msg string }

func (e *envError) Error() string { return e.msg }

func errPrefix(name string) error {
	return &envError{fmt.Sprintf("environment variables in the state file must be prefixed with '%s', found: '%s'", envPrefix, name)}
}

func errUnset(name string) error { return &UnsetVariableError{Name: name} }

// envProblem is the Problem for an error of the env function, with decK's text and, for an
// unset variable, the typed error callers look for.
func envProblem(line int, err error) Problem {
	p := Problem{Line: line, Message: err.Error()}
	var unset *UnsetVariableError
	if errors.As(err, &unset) {
		p.Err = unset
	}
	return p
}

// lookupEnv resolves a variable the way decK's env function does: DECK_ prefix required, unset is
// an error (an empty value is fine).
func lookupEnv(lookup func(string) (string, bool), name string) (string, error) {
	if !strings.HasPrefix(name, envPrefix) {
		return "", errPrefix(name)
	}
	v, ok := lookup(name)
	if !ok {
		return "", errUnset(name)
	}
	return v, nil
}

// The conversion functions parse like decK's (strconv), but their errors do not echo the value:
// it came from the environment and may be a secret.
func toBool(s string) (bool, error) {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, errors.New("toBool: the value is not a boolean (true, false, 1, 0, t, f)")
	}
	return b, nil
}

func toInt(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errors.New("toInt: the value is not an integer")
	}
	return n, nil
}

func toFloat(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, errors.New("toFloat: the value is not a number")
	}
	return f, nil
}

// maxIndent bounds indent's padding: real files indent by a few spaces, and a huge count
// times many lines would be a memory bomb.
const maxIndent = 1024

// indent pads every line but the first with n spaces, for multi-line values in block scalars.
func indent(n int, s string) (string, error) {
	if n > maxIndent {
		return "", fmt.Errorf("indent: %d spaces is more than the %d allowed", n, maxIndent)
	}
	if n < 0 {
		n = 0
	}
	return strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", n)), nil
}

// bigWidth finds a printf width or precision of five digits or more.
var bigWidth = regexp.MustCompile(`%[-+# 0]*(\d{5,}|\d*\.\d{5,})`)

// printf is text/template's printf with a bound on widths, which would otherwise let a small
// file allocate gigabytes ("%01000000000d").
func printf(format string, args ...any) (string, error) {
	if bigWidth.MatchString(format) {
		return "", errors.New("printf: width or precision too large")
	}
	return fmt.Sprintf(format, args...), nil
}

// limitWriter fails once more than n bytes are written, ending template execution.
type limitWriter struct {
	buf bytes.Buffer
	n   int
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if w.buf.Len()+len(p) > w.n {
		return 0, fmt.Errorf("the rendered file is larger than %d MiB", w.n>>20)
	}
	return w.buf.Write(p)
}

// lineMap maps a line of the rendered document (index line-1) to the line of the source file.
// nil means identity.
type lineMap []int

func (m lineMap) source(line int) int {
	if line <= 0 || m == nil {
		return line
	}
	if line > len(m) {
		// Past the last mapped line (should not happen): keep the offset from the last one.
		return m[len(m)-1] + line - len(m)
	}
	return m[line-1]
}

// render runs a state file through decK's templating: text/template with ${{ }} delimiters and
// the functions env, toBool, toInt, toFloat and indent. Every problem carries a source line.
func render(src string, lookup func(string) (string, bool)) (string, lineMap, []Problem) {
	out, lines, problems, _ := renderTemplate(src, lookup)
	if len(problems) > 0 {
		return "", nil, problems
	}
	return out, lines, nil
}

// renderTemplate is render, except that when the only problems are bad or unset variables it
// also returns the file rendered with those variables empty (partial is true), so the rest of
// the file can still be checked and every problem reported at once.
func renderTemplate(src string, lookup func(string) (string, bool)) (out string, lines lineMap, problems []Problem, partial bool) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	tr := &tracker{}
	funcs := template.FuncMap{
		"env":     func(name string) (string, error) { return lookupEnv(lookup, name) },
		"toBool":  toBool,
		"toInt":   toInt,
		"toFloat": toFloat,
		"indent":  indent,
		"printf":  printf,
		markFunc:  tr.action,
		textFunc:  tr.text,
	}
	t, err := template.New(templateName).Funcs(funcs).Delims("${{", "}}").Parse(src)
	if err != nil {
		return "", nil, []Problem{templateProblem(err)}, false
	}
	if t.Tree == nil || t.Tree.Root == nil {
		// Only ${{ define }} blocks: the document is empty.
		return "", nil, nil, false
	}
	if p := unsupportedAction(t.Tree); p != nil {
		return "", nil, []Problem{*p}, false
	}
	// Check every env "NAME" call at the root level before running anything, so all bad or
	// unset variables are reported at once, each with its line (execution stops at the first).
	envProblems := checkEnvCalls(t.Tree, lookup)
	if len(envProblems) > 0 {
		t.Funcs(template.FuncMap{"env": func(name string) string {
			v, _ := lookupEnv(lookup, name)
			return v
		}})
	}
	tr.instrument(t.Tree, src)
	w := &limitWriter{n: 2 * MaxFileSize}
	if err := t.Execute(w, nil); err != nil {
		if len(envProblems) > 0 {
			return "", nil, envProblems, false // an empty variable broke a conversion
		}
		return "", nil, []Problem{templateProblem(err)}, false
	}
	return w.buf.String(), tr.lineMap(), envProblems, len(envProblems) > 0
}

// tracker records, in execution order, each piece of output and the source line it came from.
type tracker struct {
	lines  []int // by node id: the source line of the node's first byte
	chunks []chunk
}

type chunk struct {
	id   int
	text bool // a text node: its lines advance; an action's output all belongs to its line
	out  string
}

func (tr *tracker) action(id string, v any) string {
	s := fmt.Sprint(v)
	if n, err := strconv.Atoi(id); err == nil {
		tr.chunks = append(tr.chunks, chunk{id: n, out: s})
	}
	return s
}

func (tr *tracker) text(id, s string) string {
	if n, err := strconv.Atoi(id); err == nil {
		tr.chunks = append(tr.chunks, chunk{id: n, text: true, out: s})
	}
	return s
}

// instrument rewrites the tree: every text node becomes `${{ oidclabLineText "ID" "TEXT" }}`
// and every printing action gets `| oidclabLineMark "ID"` appended. Output is unchanged.
func (tr *tracker) instrument(tree *parse.Tree, src string) {
	var newlines []int
	for i := range len(src) {
		if src[i] == '\n' {
			newlines = append(newlines, i)
		}
	}
	lineOf := func(pos parse.Pos) int {
		n, _ := slices.BinarySearch(newlines, int(pos))
		return n + 1
	}
	call := func(pos parse.Pos, fn string, args ...string) *parse.CommandNode {
		cmd := &parse.CommandNode{NodeType: parse.NodeCommand, Pos: pos}
		cmd.Args = append(cmd.Args, parse.NewIdentifier(fn).SetTree(tree).SetPos(pos))
		for _, a := range args {
			cmd.Args = append(cmd.Args, &parse.StringNode{NodeType: parse.NodeString, Pos: pos, Quoted: strconv.Quote(a), Text: a})
		}
		return cmd
	}
	var walk func(l *parse.ListNode)
	walk = func(l *parse.ListNode) {
		if l == nil {
			return
		}
		for i, n := range l.Nodes {
			switch n := n.(type) {
			case *parse.TextNode:
				id := strconv.Itoa(len(tr.lines))
				tr.lines = append(tr.lines, lineOf(n.Pos))
				l.Nodes[i] = &parse.ActionNode{NodeType: parse.NodeAction, Pos: n.Pos, Line: lineOf(n.Pos),
					Pipe: &parse.PipeNode{NodeType: parse.NodePipe, Pos: n.Pos, Line: lineOf(n.Pos),
						Cmds: []*parse.CommandNode{call(n.Pos, textFunc, id, string(n.Text))}}}
			case *parse.ActionNode:
				if n.Pipe == nil || len(n.Pipe.Decl) > 0 || n.Pipe.IsAssign {
					continue // prints nothing
				}
				id := strconv.Itoa(len(tr.lines))
				tr.lines = append(tr.lines, lineOf(n.Pos))
				n.Pipe.Cmds = append(n.Pipe.Cmds, call(n.Pipe.Pos, markFunc, id))
			case *parse.IfNode:
				walk(n.List)
				walk(n.ElseList)
			case *parse.WithNode:
				walk(n.List)
				walk(n.ElseList)
			}
		}
	}
	walk(tree.Root)
}

// lineMap lines the rendered output up with the source: a text node's lines follow the source,
// and every line an action printed belongs to the line the action was written on.
func (tr *tracker) lineMap() lineMap {
	m := lineMap{1}
	for i, c := range tr.chunks {
		if c.id < 0 || c.id >= len(tr.lines) {
			return nil
		}
		line := tr.lines[c.id]
		if i == 0 {
			m[0] = line
		}
		for range strings.Count(c.out, "\n") {
			if c.text {
				line++
			}
			m = append(m, line)
		}
	}
	return m
}

// unsupportedAction refuses ${{ range }} and ${{ template }} (so also block): a state file has
// nothing to range over but integers, and `range 10000000000`, or templates that call each
// other twice per level, would spin for hours with no output to bound. decK files use env
// substitution and, rarely, if/with.
func unsupportedAction(tree *parse.Tree) *Problem {
	if tree == nil || tree.Root == nil {
		return nil
	}
	var found *Problem
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		if found != nil || n == nil {
			return
		}
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(c)
			}
		case *parse.RangeNode:
			found = &Problem{Line: nodeLine(tree, n), Message: "template: range is not supported in state files (use env, if and with)"}
		case *parse.TemplateNode:
			found = &Problem{Line: nodeLine(tree, n), Message: "template: calling templates is not supported in state files (use env, if and with)"}
		case *parse.IfNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.List)
			walk(n.ElseList)
		}
	}
	walk(tree.Root)
	return found
}

// checkEnvCalls finds `env "NAME"` and `"NAME" | env` at the root level (not inside if/range,
// whose branches may never run) and reports the bad ones as decK would when running them.
func checkEnvCalls(tree *parse.Tree, lookup func(string) (string, bool)) []Problem {
	var problems []Problem
	for _, n := range tree.Root.Nodes {
		a, ok := n.(*parse.ActionNode)
		if !ok || a.Pipe == nil {
			continue
		}
		var walkPipe func(p *parse.PipeNode)
		walkPipe = func(p *parse.PipeNode) {
			for i, c := range p.Cmds {
				var name *parse.StringNode
				if id, ok := c.Args[0].(*parse.IdentifierNode); ok && id.Ident == "env" {
					if len(c.Args) == 2 {
						name, _ = c.Args[1].(*parse.StringNode)
					} else if len(c.Args) == 1 && i > 0 && len(p.Cmds[i-1].Args) == 1 {
						name, _ = p.Cmds[i-1].Args[0].(*parse.StringNode)
					}
				}
				if name != nil {
					if _, err := lookupEnv(lookup, name.Text); err != nil {
						problems = append(problems, envProblem(nodeLine(tree, c), err))
					}
				}
				for _, arg := range c.Args {
					if sub, ok := arg.(*parse.PipeNode); ok {
						walkPipe(sub)
					}
				}
			}
		}
		walkPipe(a.Pipe)
	}
	return problems
}

func nodeLine(tree *parse.Tree, n parse.Node) int {
	loc, _ := tree.ErrorContext(n)
	// loc is "state:LINE:COL".
	parts := strings.Split(loc, ":")
	if len(parts) >= 2 {
		if l, err := strconv.Atoi(parts[1]); err == nil {
			return l
		}
	}
	return 0
}

// templateLoc matches the location text/template puts in its errors:
// "template: state:12: ..." (parse) or "template: state:12:5: executing ..." (execution).
var templateLoc = regexp.MustCompile(`^template: ` + templateName + `:(\d+)(?::\d+)?: (.*)$`)

// instrumentation matches our own functions as text/template quotes them in error contexts.
var instrumentation = regexp.MustCompile(` \| ` + markFunc + ` "\d+"`)

// unclosedAt matches the parser's "unclosed action started at state:N".
var unclosedAt = regexp.MustCompile(`^(.*) started at ` + templateName + `:(\d+)$`)

// execContext matches the part of an execution error that repeats the template text.
var execContext = regexp.MustCompile(`^executing "` + templateName + `" at <.*?>: (?:error calling \w+: )?`)

// templateProblem turns a text/template error into a Problem with the line it happened on and the
// message a user needs (decK's own text for env errors).
func templateProblem(err error) Problem {
	msg := err.Error()
	line := 0
	if m := templateLoc.FindStringSubmatch(strings.SplitN(msg, "\n", 2)[0]); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if m := unclosedAt.FindStringSubmatch(msg); m != nil {
		// The parser reports the end of the file; the action starts earlier.
		line, _ = strconv.Atoi(m[2])
		msg = m[1]
	}
	var ee *envError
	if errors.As(err, &ee) {
		// decK's own text, unchanged.
		return envProblem(line, ee)
	}
	var unset *UnsetVariableError
	if errors.As(err, &unset) {
		return envProblem(line, unset)
	}
	msg = execContext.ReplaceAllString(msg, "")
	// Our own instrumentation must never leak into a message.
	msg = instrumentation.ReplaceAllString(msg, "")
	return Problem{Line: line, Message: "template: " + msg}
}
