package oidc

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oidclab/oidclab/gateway/deck"
)

// decoder reads one plugin's config map (as decoded from YAML or JSON) field by field, recording
// every problem with its path and line instead of stopping at the first.
type decoder struct {
	m     map[string]any
	lines map[string]int
	errs  *deck.Errors
	seen  map[string]bool
}

func newDecoder(m map[string]any, lines map[string]int) *decoder {
	// Copies: aliases are rewritten in place and the caller's maps must stay as they were.
	mc := make(map[string]any, len(m))
	for k, v := range m {
		mc[k] = v
	}
	lc := make(map[string]int, len(lines))
	for k, v := range lines {
		lc[k] = v
	}
	return &decoder{m: mc, lines: lc, errs: &deck.Errors{}, seen: map[string]bool{}}
}

func (d *decoder) problem(key, format string, args ...any) {
	d.errs.Add("config."+key, d.line(key), format, args...)
}

func (d *decoder) line(key string) int {
	if n, ok := d.lines[key]; ok {
		return n
	}
	// An element path ("client_id.0") falls back to its field's line.
	if i := strings.IndexByte(key, '.'); i > 0 {
		return d.lines[key[:i]]
	}
	return 0
}

// get returns the raw value of key and whether it is set to something other than null.
func (d *decoder) get(key string) (any, bool) {
	d.seen[key] = true
	v, ok := d.m[key]
	return v, ok && v != nil
}

// typed is get for fields that are not strings, with Kong's admin API coercion of form input in
// mind: an empty value is null (Kong's arguments.infer turns "" into null for every field).
func (d *decoder) typed(key string) (any, bool) {
	v, ok := d.get(key)
	if s, isStr := v.(string); isStr && s == "" {
		return nil, false
	}
	return v, ok
}

func (d *decoder) str(key string, dst *string) bool {
	v, ok := d.get(key)
	if !ok {
		return false
	}
	s, isStr := v.(string)
	if !isStr {
		d.problem(key, "expected a string, got %s", describe(v))
		return false
	}
	*dst = s
	return true
}

func (d *decoder) strs(key string, dst *[]string) bool {
	v, ok := d.typed(key)
	if !ok {
		return false
	}
	list, isList := v.([]any)
	if !isList {
		// Kong's schema coerces a lone string into a one-element array.
		if s, isStr := v.(string); isStr {
			*dst = []string{s}
			return true
		}
		d.problem(key, "expected an array of strings, got %s", describe(v))
		return false
	}
	out := make([]string, 0, len(list))
	good := true
	for i, e := range list {
		s, isStr := e.(string)
		if !isStr {
			d.problem(fmt.Sprintf("%s.%d", key, i), "expected a string, got %s", describe(e))
			good = false
			continue
		}
		out = append(out, s)
	}
	if good {
		*dst = out
	}
	return good
}

func (d *decoder) boolean(key string, dst *bool) bool {
	v, ok := d.typed(key)
	if !ok {
		return false
	}
	b, isBool := toBool(v)
	if !isBool {
		d.problem(key, "expected true or false, got %s", describe(v))
		return false
	}
	*dst = b
	return true
}

func (d *decoder) optBool(key string, dst **bool) {
	var b bool
	if d.boolean(key, &b) {
		*dst = &b
	}
}

func (d *decoder) number(key string, dst *float64) bool {
	v, ok := d.typed(key)
	if !ok {
		return false
	}
	f, isNum := toNumber(v)
	if !isNum || math.IsNaN(f) || math.IsInf(f, 0) {
		d.problem(key, "expected a number, got %s", describe(v))
		return false
	}
	if f < 0 {
		d.problem(key, "must be zero or more, got %v", f)
		return false
	}
	*dst = f
	return true
}

// seconds reads a Kong duration given in seconds.
func (d *decoder) seconds(key string, dst *time.Duration) bool {
	return d.duration(key, time.Second, dst)
}

// millis reads a Kong duration given in milliseconds.
func (d *decoder) millis(key string, dst *time.Duration) bool {
	return d.duration(key, time.Millisecond, dst)
}

// maxDuration bounds durations well inside time.Duration (about 292 years): a larger number
// would wrap to a negative duration instead of failing.
const maxDuration = 100 * 365 * 24 * time.Hour

func (d *decoder) duration(key string, unit time.Duration, dst *time.Duration) bool {
	var f float64
	if !d.number(key, &f) {
		return false
	}
	if f*float64(unit) > float64(maxDuration) {
		d.problem(key, "%v is too large (at most %v)", f, float64(maxDuration/unit))
		return false
	}
	*dst = time.Duration(f * float64(unit))
	return true
}

func (d *decoder) enum(key string, dst *string, allowed ...string) bool {
	var s string
	if !d.str(key, &s) {
		return false
	}
	if !slices.Contains(allowed, s) {
		d.problem(key, "%q is not one of %s", s, strings.Join(allowed, ", "))
		return false
	}
	*dst = s
	return true
}

func (d *decoder) enums(key string, dst *[]string, allowed ...string) bool {
	var list []string
	if !d.strs(key, &list) {
		return false
	}
	good := true
	for i, s := range list {
		if !slices.Contains(allowed, s) {
			d.problem(fmt.Sprintf("%s.%d", key, i), "%q is not one of %s", s, strings.Join(allowed, ", "))
			good = false
		}
	}
	if good {
		*dst = list
	}
	return good
}

// urls reads an array of absolute http(s) URLs.
func (d *decoder) urls(key string, dst *[]string) bool {
	var list []string
	if !d.strs(key, &list) {
		return false
	}
	good := true
	for i, s := range list {
		if err := checkAbsoluteURL(s); err != nil {
			d.problem(fmt.Sprintf("%s.%d", key, i), "%v", err)
			good = false
		}
	}
	if good {
		*dst = list
	}
	return good
}

func (d *decoder) url(key string, dst *string) bool {
	var s string
	if !d.str(key, &s) {
		return false
	}
	if err := checkAbsoluteURL(s); err != nil {
		d.problem(key, "%v", err)
		return false
	}
	*dst = s
	return true
}

func checkAbsoluteURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %v", s, redactURLError(err)) // without url.Parse's copy of s
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	if u.User != nil {
		// Issuer, endpoints and redirect URIs are shown in errors, events and --json; a
		// password in one would be too.
		return fmt.Errorf("%q must not contain a user name or password", u.Redacted())
	}
	return nil
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	case float32:
		return float64(n), true
	}
	return 0, false
}

// toNumber is toFloat plus the coercion Kong's admin API applies to form input for number
// fields (Lua's tonumber): "5000" is 5000. A YAML or JSON number never needs it.
func toNumber(v any) (float64, bool) {
	if s, ok := v.(string); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		return f, err == nil
	}
	return toFloat(v)
}

// toBool accepts a boolean, or the strings "true" and "false" as Kong's admin API coerces form
// input for boolean fields; nothing else ("yes", "1") is a boolean to Kong either.
func toBool(v any) (b, ok bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch x {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return "the string " + strconv.Quote(x)
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case nil:
		return "null"
	}
	if _, ok := toFloat(v); ok {
		return "a number"
	}
	return fmt.Sprintf("a %T", v)
}
