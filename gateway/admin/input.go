package admin

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/oidclab/oidclab/gateway/deck"
)

// applyPluginInput sets the fields of a plugin from an admin request body (create: a new
// plugin; otherwise a PATCH, whose config is merged into the existing one as Kong does).
// Problems are returned with paths relative to the plugin.
func applyPluginInput(cfg *deck.Config, p *deck.Plugin, in map[string]any, create bool) []deck.Problem {
	var probs fieldProblems
	for _, k := range slices.Sorted(maps.Keys(in)) {
		v := in[k]
		switch k {
		case "name":
			s, ok := v.(string)
			if !ok || s == "" {
				probs.bad(k, "expected a string")
				continue
			}
			p.Name = s
		case "id":
			s, ok := v.(string)
			if !ok || !deck.IsUUID(s) {
				probs.bad(k, "expected a valid UUID")
				continue
			}
			if create {
				p.ID = s
			}
		case "config":
			if v == nil {
				continue
			}
			m, ok := v.(map[string]any)
			if !ok {
				probs.bad(k, "expected a record")
				continue
			}
			if create || p.Config == nil {
				p.Config = m
				continue
			}
			unredact(m, p.Config)
			p.Config = mergeConfig(p.Config, m)
		case "enabled":
			probs.bool(k, v, &p.Enabled)
		case "tags":
			probs.strings(k, v, &p.Tags)
		case "service":
			probs.foreign(cfg, k, v, &p.Service)
		case "route":
			probs.foreign(cfg, k, v, &p.Route)
		case "consumer":
			if v != nil {
				probs.bad(k, "consumers are not supported by oidclab's gateway")
			}
		case "protocols":
			var ps []string
			if !probs.strings(k, v, &ps) {
				continue
			}
			known := deck.DefaultPluginProtocols()
			good := len(ps) > 0
			if !good {
				probs.bad(k, "must not be empty")
			}
			for i, proto := range ps {
				if !slices.Contains(known, proto) {
					probs.bad(k+"."+strconv.Itoa(i), "expected one of: %s", strings.Join(known, ", "))
					good = false
				}
			}
			if good {
				p.Protocols = ps
			}
		case "instance_name", "ordering", "created_at", "updated_at":
			// Accepted for compatibility with Kong clients; oidclab does not use them.
		default:
			probs.bad(k, "unknown field")
		}
	}
	if create && p.Name == "" {
		probs.bad("name", "required field missing")
	}
	return probs
}

// resolveForeign reads {"id": ...}, {"name": ...} or a bare id/name, and returns the name the
// decK config refers to the entity by ("" for null).
func resolveForeign(cfg *deck.Config, kind string, v any) (string, bool) {
	var key string
	switch v := v.(type) {
	case nil:
		return "", true
	case string:
		key = v
	case map[string]any:
		if id, ok := v["id"].(string); ok {
			key = id
		} else if name, ok := v["name"].(string); ok {
			key = name
		}
	}
	if kind == "service" {
		if s := findService(cfg, key); s != nil {
			return cmp.Or(s.Name, s.ID), true
		}
		return "", false
	}
	if r := findRoute(cfg, key); r != nil {
		return cmp.Or(r.Name, r.ID), true
	}
	return "", false
}

func foreignText(v any) string {
	if m, ok := v.(map[string]any); ok {
		for _, k := range []string{"id", "name"} {
			if s, ok := m[k]; ok {
				return fmt.Sprintf("{%s=%q}", k, fmt.Sprint(s))
			}
		}
	}
	return fmt.Sprint(v)
}

// mergeConfig merges patch into base recursively: records merge, everything else (arrays
// included) is replaced, as Kong's PATCH does.
func mergeConfig(base, patch map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(patch))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range patch {
		bm, bok := out[k].(map[string]any)
		pm, pok := v.(map[string]any)
		if bok && pok {
			out[k] = mergeConfig(bm, pm)
			continue
		}
		out[k] = v
	}
	return out
}

func asBool(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		b, err := strconv.ParseBool(v)
		return b, err == nil
	}
	return false, false
}

func asStrings(v any) ([]string, bool) {
	switch v := v.(type) {
	case string:
		return []string{v}, true
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	case nil:
		return nil, true
	}
	return nil, false
}

// coerceFormConfig gives form-encoded config values the types the plugin wants. A form carries
// only strings, and Kong converts them by the plugin's schema (config.timeout=5000 is stored as
// the number 5000). The gateway knows no plugin's schema, so it asks the plugin: each string
// the form sent is tried as an integer, a number, a boolean, and (when empty) null, as Kong
// reads an empty form value, and the first the plugin accepts there without any new problem is
// kept. A string only a string fits (a numeric client id) stays a string.
func (a *api) coerceFormConfig(p *deck.Plugin, form map[string]any) {
	sent, _ := form["config"].(map[string]any)
	if len(sent) == 0 || p.Config == nil {
		return
	}
	problems := func() map[string]bool {
		at := map[string]bool{}
		if de, ok := errors.AsType[*deck.Errors](a.plugins.Check(*p)); ok {
			for _, prob := range de.Problems {
				at[prob.Path] = true
			}
		}
		return at
	}
	before := problems()
	for _, key := range stringLeaves(sent, "") {
		s, ok := valueAt(p.Config, key).(string)
		if !ok {
			continue
		}
		path := "config." + key
		for _, typed := range formCandidates(s) {
			setValueAt(p.Config, key, typed)
			after := problems()
			if !after[path] && noNewProblems(before, after) {
				before = after
				break
			}
			setValueAt(p.Config, key, s)
		}
	}
}

func noNewProblems(before, after map[string]bool) bool {
	for path := range after {
		if !before[path] {
			return false
		}
	}
	return true
}

// stringLeaves lists the dotted paths of the strings in v, sorted.
func stringLeaves(v any, prefix string) []string {
	var out []string
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch c := v.(type) {
	case string:
		return []string{prefix}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(c)) {
			out = append(out, stringLeaves(c[k], join(k))...)
		}
	case []any:
		for i, e := range c {
			out = append(out, stringLeaves(e, join(strconv.Itoa(i)))...)
		}
	}
	return out
}

// formCandidates are the typed values a form string may stand for.
func formCandidates(s string) []any {
	var out []any
	if n, err := strconv.Atoi(s); err == nil {
		out = append(out, n)
	} else if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		out = append(out, f)
	}
	if strings.EqualFold(s, "true") || strings.EqualFold(s, "false") {
		out = append(out, strings.EqualFold(s, "true"))
	}
	if s == "" {
		out = append(out, nil)
	}
	return out
}

// valueAt returns the value at a dotted path of records and arrays ("a.b.0"), or nil.
func valueAt(v any, path string) any {
	for part := range strings.SplitSeq(path, ".") {
		switch c := v.(type) {
		case map[string]any:
			v = c[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

// setValueAt replaces the value at a dotted path that valueAt found.
func setValueAt(root map[string]any, path string, val any) {
	parent, last := "", path
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		parent, last = path[:i], path[i+1:]
	}
	var container any = root
	if parent != "" {
		container = valueAt(root, parent)
	}
	switch c := container.(type) {
	case map[string]any:
		c[last] = val
	case []any:
		if i, err := strconv.Atoi(last); err == nil && i >= 0 && i < len(c) {
			c[i] = val
		}
	}
}

// padIndexes writes the numbers of "[n]" markers with ten digits, so that keys sort by index.
func padIndexes(key string) string {
	return bracketRE.ReplaceAllStringFunc(key, func(m string) string {
		digits := m[1 : len(m)-1]
		if len(digits) >= 10 {
			return m
		}
		return "[" + strings.Repeat("0", 10-len(digits)) + digits + "]"
	})
}

// maxFormDepth bounds how deep a form field may nest ("config.a.b" is 3): Kong's plugin
// schemas go a few levels deep, and every later step walks the nesting.
const maxFormDepth = 32

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// bracketRE matches the array markers Kong's form decoding accepts: "a[]" and "a[2]".
var bracketRE = regexp.MustCompile(`\[\d*\]`)

// decodeForm turns Kong-style form fields into a nested record: "config.issuer=x" sets
// config.issuer; a repeated key ("config.auth_methods=a&config.auth_methods=b") or one marked
// "[]" becomes an array. Values stay strings here; coerceFormConfig types them by what the
// plugin accepts.
func decodeForm(vals url.Values) (map[string]any, error) {
	out := map[string]any{}
	// "a[2]" before "a[10]": an index is a position, not text.
	keys := slices.SortedFunc(maps.Keys(vals), func(a, b string) int {
		return strings.Compare(padIndexes(a), padIndexes(b))
	})
	for _, rawKey := range keys {
		values := vals[rawKey]
		isArray := len(values) > 1 || strings.Contains(rawKey, "[")
		key := bracketRE.ReplaceAllString(rawKey, "")
		if key == "" || strings.HasPrefix(key, ".") || strings.HasSuffix(key, ".") || strings.Contains(key, "..") {
			return nil, fmt.Errorf("invalid form field %q", truncate(rawKey, 64))
		}
		var v any = values[0]
		if isArray {
			arr := make([]any, len(values))
			for i, s := range values {
				arr[i] = s
			}
			v = arr
		}
		parts := strings.Split(key, ".")
		if len(parts) > maxFormDepth {
			return nil, fmt.Errorf("form field %q is nested more than %d levels deep", truncate(rawKey, 64), maxFormDepth)
		}
		m := out
		for _, part := range parts[:len(parts)-1] {
			next, exists := m[part]
			if !exists {
				nm := map[string]any{}
				m[part] = nm
				m = nm
				continue
			}
			nm, ok := next.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("form field %q conflicts with %q", truncate(rawKey, 64), truncate(part, 64))
			}
			m = nm
		}
		last := parts[len(parts)-1]
		if prev, exists := m[last]; exists {
			// "a[]=x" and "a=y" both given: append.
			arr, _ := prev.([]any)
			if arr == nil {
				return nil, fmt.Errorf("form field %q given twice", key)
			}
			if more, ok := v.([]any); ok {
				v = append(arr, more...)
			} else {
				v = append(arr, v)
			}
		}
		m[last] = v
	}
	return out, nil
}
