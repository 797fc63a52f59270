package deck

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Limits that keep a hostile file (alias bombs, deep nesting) from costing more than a big
// legitimate one.
const (
	maxDepth      = 64
	maxValueNodes = 200_000
)

// decoder walks yaml.v3 nodes, recording every problem with its decK path and source line, and
// every path's line so later checks on the flat Config can point at the file.
type decoder struct {
	errs  *Errors
	lines lineMap
	index map[string]int // decK path ("services.0.routes.1.paths.0") -> source line
	nodes int            // value nodes expanded so far (aliases count each time)
}

func newDecoder(lines lineMap) *decoder {
	return &decoder{errs: &Errors{}, lines: lines, index: map[string]int{}}
}

func (d *decoder) line(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return d.lines.source(n.Line)
}

func (d *decoder) problem(path string, n *yaml.Node, format string, args ...any) {
	d.errs.Add(path, d.line(n), format, args...)
}

func (d *decoder) mark(path string, n *yaml.Node) {
	if _, ok := d.index[path]; !ok {
		d.index[path] = d.line(n)
	}
}

// spend counts k more nodes against the file's budget; aliases make a small file expand to a
// huge one, so every node is counted each time it is reached. It reports once when exceeded.
func (d *decoder) spend(path string, n *yaml.Node, k int) bool {
	if d.nodes > maxValueNodes {
		return false
	}
	d.nodes += k
	if d.nodes > maxValueNodes {
		d.problem(path, n, "file too large once aliases are expanded (more than %d nodes)", maxValueNodes)
		return false
	}
	return true
}

// deref follows aliases to the anchored node.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxDepth; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// field is one key of a mapping.
type field struct {
	key  string
	kn   *yaml.Node // the key node (its line is the field's line)
	val  *yaml.Node // dereferenced value
	path string
}

// fields returns the keys of a mapping in file order. It reports a non-mapping, duplicate keys,
// non-string keys and merge keys, and skips them. what names the value in messages.
func (d *decoder) fields(n *yaml.Node, path, what string) ([]field, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		d.problem(path, n, "%s must be a mapping, got %s", what, describeNode(n))
		return nil, false
	}
	if !d.spend(path, n, len(n.Content)/2+1) {
		return nil, false
	}
	d.mark(path, n)
	seen := map[string]bool{}
	var out []field
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if kn.ShortTag() == "!!merge" {
			d.problem(path, kn, "YAML merge keys (<<) are not supported; write the fields out")
			continue
		}
		if kn.Kind != yaml.ScalarNode || kn.ShortTag() != "!!str" {
			d.problem(path, kn, "keys must be strings, got %s", describeNode(kn))
			continue
		}
		p := joinPath(path, kn.Value)
		if seen[kn.Value] {
			d.problem(p, kn, "duplicate key %q", kn.Value)
			continue
		}
		seen[kn.Value] = true
		d.mark(p, kn)
		out = append(out, field{key: kn.Value, kn: kn, val: deref(vn), path: p})
	}
	return out, true
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// items returns the elements of a sequence (nil for null). what names the value in messages.
func (d *decoder) items(f field, what string) []*yaml.Node {
	if isNull(f.val) {
		return nil
	}
	if f.val == nil || f.val.Kind != yaml.SequenceNode {
		d.problem(f.path, f.kn, "%s must be a list of %s, got %s", f.key, what, describeNode(f.val))
		return nil
	}
	if !d.spend(f.path, f.val, len(f.val.Content)) {
		return nil
	}
	out := make([]*yaml.Node, len(f.val.Content))
	for i, c := range f.val.Content {
		out[i] = deref(c)
		d.mark(f.path+"."+strconv.Itoa(i), c)
	}
	return out
}

// str reads a string field; null leaves dst unchanged.
func (d *decoder) str(f field, dst *string) bool {
	if isNull(f.val) {
		return false
	}
	if f.val == nil || f.val.Kind != yaml.ScalarNode || f.val.ShortTag() != "!!str" {
		d.problem(f.path, f.kn, "%s must be a string, got %s", f.key, describeNode(f.val))
		return false
	}
	*dst = f.val.Value
	return true
}

// strList reads a list of strings; null leaves dst nil.
func (d *decoder) strList(f field, dst *[]string) bool {
	if isNull(f.val) {
		return false
	}
	if f.val == nil || f.val.Kind != yaml.SequenceNode {
		d.problem(f.path, f.kn, "%s must be a list of strings, got %s", f.key, describeNode(f.val))
		return false
	}
	if !d.spend(f.path, f.val, len(f.val.Content)) {
		return false
	}
	out := make([]string, 0, len(f.val.Content))
	ok := true
	for i, c := range f.val.Content {
		p := f.path + "." + strconv.Itoa(i)
		d.mark(p, c)
		c = deref(c)
		if c == nil || c.Kind != yaml.ScalarNode || c.ShortTag() != "!!str" {
			d.problem(p, c, "%s must be a list of strings, got %s", f.key, describeNode(c))
			ok = false
			continue
		}
		out = append(out, c.Value)
	}
	if ok {
		*dst = out
	}
	return ok
}

// integer reads an integer field (an integral float such as 60000.0 is fine, as in Kong).
func (d *decoder) integer(f field, dst *int) bool {
	if isNull(f.val) {
		return false
	}
	if n, ok := scalarInt(f.val); ok {
		*dst = n
		return true
	}
	d.problem(f.path, f.kn, "%s must be an integer, got %s", f.key, describeNode(f.val))
	return false
}

func scalarInt(n *yaml.Node) (int, bool) {
	if n == nil || n.Kind != yaml.ScalarNode {
		return 0, false
	}
	switch n.ShortTag() {
	case "!!int":
		var v int
		if err := n.Decode(&v); err == nil {
			return v, true
		}
	case "!!float":
		var f float64
		if err := n.Decode(&f); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int(f), true
		}
	}
	return 0, false
}

var yaml11Bools = map[string]bool{"yes": true, "no": true, "on": true, "off": true, "y": true, "n": true}

func (d *decoder) boolean(f field, dst *bool) bool {
	if isNull(f.val) {
		return false
	}
	if f.val == nil || f.val.Kind != yaml.ScalarNode || f.val.ShortTag() != "!!bool" {
		hint := ""
		if f.val != nil && f.val.Kind == yaml.ScalarNode && yaml11Bools[strings.ToLower(f.val.Value)] {
			// decK's YAML 1.1 reader took yes/no/on/off as booleans; YAML 1.2 does not.
			hint = " (write true or false)"
		}
		d.problem(f.path, f.kn, "%s must be a boolean, got %s%s", f.key, describeNode(f.val), hint)
		return false
	}
	var b bool
	if err := f.val.Decode(&b); err != nil {
		d.problem(f.path, f.kn, "%s must be a boolean, got %s", f.key, describeNode(f.val))
		return false
	}
	*dst = b
	return true
}

// value converts a node to a JSON-compatible value: map[string]any, []any, string, bool, int,
// float64 or nil. lines receives each key path's line (relative to the value: "issuer",
// "client_id.0"). It reports what JSON cannot hold (non-string keys, NaN, binary data).
func (d *decoder) value(n *yaml.Node, path, rel string, depth int, lines map[string]int) (any, bool) {
	n = deref(n)
	if !d.spend(path, n, 1) {
		return nil, false
	}
	if depth > maxDepth {
		d.problem(path, n, "value nested too deeply (more than %d levels)", maxDepth)
		return nil, false
	}
	if n == nil {
		d.problem(path, nil, "alias chain too long")
		return nil, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		ok := true
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, vn := n.Content[i], n.Content[i+1]
			if kn.ShortTag() == "!!merge" {
				d.problem(path, kn, "YAML merge keys (<<) are not supported; write the fields out")
				ok = false
				continue
			}
			if kn.Kind != yaml.ScalarNode || kn.ShortTag() != "!!str" {
				d.problem(path, kn, "keys must be strings, got %s", describeNode(kn))
				ok = false
				continue
			}
			p, r := joinPath(path, kn.Value), joinPath(rel, kn.Value)
			if seen[kn.Value] {
				d.problem(p, kn, "duplicate key %q", kn.Value)
				ok = false
				continue
			}
			seen[kn.Value] = true
			d.mark(p, kn)
			if lines != nil {
				lines[r] = d.line(kn)
			}
			v, vok := d.value(vn, p, r, depth+1, lines)
			ok = ok && vok
			m[kn.Value] = v
		}
		return m, ok
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		ok := true
		for i, c := range n.Content {
			p, r := path+"."+strconv.Itoa(i), joinPath(rel, strconv.Itoa(i))
			d.mark(p, c)
			if lines != nil {
				lines[r] = d.line(c)
			}
			v, vok := d.value(c, p, r, depth+1, lines)
			ok = ok && vok
			s = append(s, v)
		}
		return s, ok
	case yaml.ScalarNode:
		return d.scalar(n, path)
	}
	d.problem(path, n, "unsupported YAML node")
	return nil, false
}

func (d *decoder) scalar(n *yaml.Node, path string) (any, bool) {
	switch n.ShortTag() {
	case "!!null":
		return nil, true
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			return b, true
		}
	case "!!int":
		var i int
		if err := n.Decode(&i); err == nil {
			return i, true
		}
		// Beyond int64: JSON numbers are floats anyway.
		var f float64
		if err := n.Decode(&f); err == nil {
			return f, true
		}
	case "!!float":
		var f float64
		if err := n.Decode(&f); err == nil {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				d.problem(path, n, "%s is not a number JSON can hold", n.Value)
				return nil, false
			}
			return f, true
		}
	case "!!str", "!!timestamp":
		// A date stays the text it was written as, as it would through JSON.
		return n.Value, true
	case "!!binary":
		d.problem(path, n, "binary values are not supported; use a string")
		return nil, false
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		d.problem(path, n, "custom YAML tag %s is not supported", n.Tag)
		return nil, false
	}
	// The value itself is not echoed: plugin config holds secrets.
	d.problem(path, n, "cannot read a value tagged %s", n.Tag)
	return nil, false
}

// describeNode names what a node is, for "must be X, got Y" messages. Strings are quoted and
// cut short; they never come from plugin config (whose values may be secrets).
func describeNode(n *yaml.Node) string {
	n = deref(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!bool":
			return "boolean " + n.Value
		case "!!int", "!!float":
			return "number " + n.Value
		case "!!str", "!!timestamp":
			v := n.Value
			if len(v) > 40 {
				v = v[:40] + "..."
			}
			return "string " + strconv.Quote(v)
		}
		return "a " + strings.TrimPrefix(n.ShortTag(), "!!")
	}
	return "an unknown node"
}

// suggest returns the known key closest to key (edit distance at most 2), or "".
func suggest(key string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if dist := editDistance(key, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func (d *decoder) unknown(f field, known []string) {
	all := append([]string(nil), known...)
	sort.Strings(all)
	if s := suggest(f.key, all); s != "" {
		d.problem(f.path, f.kn, "unknown field %q (did you mean %q?)", f.key, s)
		return
	}
	d.problem(f.path, f.kn, "unknown field %q", f.key)
}
