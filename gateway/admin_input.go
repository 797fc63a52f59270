package gateway

import (
	"fmt"
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
	var probs []deck.Problem
	bad := func(path, format string, args ...any) {
		probs = append(probs, deck.Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := in[k]
		switch k {
		case "name":
			s, ok := v.(string)
			if !ok || s == "" {
				bad(k, "expected a string")
				continue
			}
			p.Name = s
		case "id":
			s, ok := v.(string)
			if !ok || !deck.IsUUID(s) {
				bad(k, "expected a valid UUID")
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
				bad(k, "expected a record")
				continue
			}
			if create || p.Config == nil {
				p.Config = m
				continue
			}
			unredact(m, p.Config)
			p.Config = mergeConfig(p.Config, m)
		case "enabled":
			b, ok := asBool(v)
			if !ok {
				bad(k, "expected a boolean")
				continue
			}
			p.Enabled = b
		case "tags":
			tags, ok := asStrings(v)
			if !ok {
				bad(k, "expected a set of strings")
				continue
			}
			p.Tags = tags
		case "service", "route":
			name, ok := resolveForeign(cfg, k, v)
			if !ok {
				bad(k, "the foreign key '%v' does not reference an existing '%ss' entity.", foreignText(v), k)
				continue
			}
			if k == "service" {
				p.Service = name
			} else {
				p.Route = name
			}
		case "consumer":
			if v != nil {
				bad(k, "consumers are not supported by oidclab's gateway")
			}
		case "protocols":
			ps, ok := asStrings(v)
			if !ok {
				bad(k, "expected a set of strings")
				continue
			}
			for i, proto := range ps {
				if !slices.Contains([]string{"grpc", "grpcs", "http", "https"}, proto) {
					bad(k+"."+strconv.Itoa(i), "expected one of: grpc, grpcs, http, https")
				}
			}
		case "instance_name", "ordering", "created_at", "updated_at":
			// Accepted for compatibility with Kong clients; oidclab does not use them.
		default:
			bad(k, "unknown field")
		}
	}
	if create && p.Name == "" {
		bad("name", "required field missing")
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
			return cmpOr(s.Name, s.ID), true
		}
		return "", false
	}
	if r := findRoute(cfg, key); r != nil {
		return cmpOr(r.Name, r.ID), true
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

// bracketRE matches the array markers Kong's form decoding accepts: "a[]" and "a[2]".
var bracketRE = regexp.MustCompile(`\[\d*\]`)

// decodeForm turns Kong-style form fields into a nested record: "config.issuer=x" sets
// config.issuer; a repeated key ("config.auth_methods=a&config.auth_methods=b") or one marked
// "[]" becomes an array. Values stay strings: plugins accept strings where Kong's schema
// coercion would.
func decodeForm(vals url.Values) (map[string]any, error) {
	out := map[string]any{}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, rawKey := range keys {
		values := vals[rawKey]
		isArray := len(values) > 1 || strings.Contains(rawKey, "[")
		key := bracketRE.ReplaceAllString(rawKey, "")
		if key == "" || strings.HasPrefix(key, ".") || strings.HasSuffix(key, ".") || strings.Contains(key, "..") {
			return nil, fmt.Errorf("invalid form field %q", rawKey)
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
				return nil, fmt.Errorf("form field %q conflicts with %q", rawKey, part)
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
