package admin

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/oidclab/oidclab/gateway/deck"
)

// asInt reads a whole number from JSON (normalised to int) or a form (a string).
func asInt(v any) (int, bool) {
	switch v := v.(type) {
	case int:
		return v, true
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<31 {
			return int(v), true
		}
	case string:
		n, err := strconv.Atoi(v)
		return n, err == nil
	}
	return 0, false
}

// asString reads a string; null is "" when nullable.
func asString(v any, nullable bool) (string, bool) {
	if v == nil {
		return "", nullable
	}
	s, ok := v.(string)
	return s, ok
}

// kongOnly answers a Kong field oidclab does not implement: accepted at Kong's default (what a
// GET answers, so a GET-modify-PUT round trip works), refused otherwise.
func kongOnly(v any, defaults ...any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case []any:
		return len(v) == 0
	}
	for _, d := range defaults {
		if n, ok := asInt(v); ok {
			if dn, ok := d.(int); ok && n == dn {
				return true
			}
		}
		if b, ok := asBool(v); ok {
			if db, ok := d.(bool); ok && b == db {
				return true
			}
		}
	}
	return false
}

// fieldProblems collects the problems of a request body field by field: Kong lists them all
// rather than stopping at the first. Each reader sets its destination only from a value of the
// right type and reports whether it did.
type fieldProblems []deck.Problem

func (p *fieldProblems) bad(path, format string, args ...any) {
	*p = append(*p, deck.Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// id takes a UUID for a new entity; an existing one's id may be repeated but not changed.
func (p *fieldProblems) id(k string, v any, create bool, dst *string) {
	id, ok := v.(string)
	switch {
	case !ok || !deck.IsUUID(id):
		p.bad(k, "expected a valid UUID")
	case create || id == *dst:
		*dst = id
	default:
		p.bad(k, "the id of an existing entity cannot be changed")
	}
}

func (p *fieldProblems) str(k string, v any, nullable bool, dst *string) {
	if s, ok := asString(v, nullable); ok {
		*dst = s
		return
	}
	p.bad(k, "expected a string")
}

func (p *fieldProblems) int(k string, v any, dst *int) bool {
	n, ok := asInt(v)
	if !ok {
		p.bad(k, "expected an integer")
		return false
	}
	*dst = n
	return true
}

func (p *fieldProblems) bool(k string, v any, dst *bool) {
	if b, ok := asBool(v); ok {
		*dst = b
		return
	}
	p.bad(k, "expected a boolean")
}

func (p *fieldProblems) strings(k string, v any, dst *[]string) bool {
	list, ok := asStrings(v)
	if !ok {
		p.bad(k, "expected a set of strings")
		return false
	}
	*dst = list
	return true
}

// foreign reads a reference to a service or route (k names which) as the decK config's name.
func (p *fieldProblems) foreign(cfg *deck.Config, k string, v any, dst *string) {
	if name, ok := resolveForeign(cfg, k, v); ok {
		*dst = name
		return
	}
	p.bad(k, "the foreign key '%v' does not reference an existing '%ss' entity.", foreignText(v), k)
}

// kongOnly refuses a Kong field oidclab does not implement unless it is at Kong's default;
// shown is how the message names that default.
func (p *fieldProblems) kongOnly(k string, v any, shown string, defaults ...any) {
	if !kongOnly(v, defaults...) {
		p.bad(k, "not supported by oidclab's gateway (leave it out or %s)", shown)
	}
}

// applyServiceInput sets the fields of a service from an admin request body. Problems are
// returned with paths relative to the service.
func applyServiceInput(s *deck.Service, in map[string]any, create bool) []deck.Problem {
	var p fieldProblems
	// url is the shorthand for the four fields; it goes first so that they can refine it.
	if v, ok := in["url"]; ok && v != nil {
		raw, isStr := v.(string)
		if !isStr {
			p.bad("url", "expected a string")
		} else if su, err := deck.SplitServiceURL(raw); err != nil {
			p.bad("url", "%s", err.Error())
		} else {
			s.Protocol, s.Host, s.Port, s.Path = su.Protocol, su.Host, su.Port, su.Path
		}
	}
	portGiven := false
	for _, k := range slices.Sorted(maps.Keys(in)) {
		v := in[k]
		switch k {
		case "url":
		case "id":
			p.id(k, v, create, &s.ID)
		case "name":
			p.str(k, v, true, &s.Name)
		case "protocol":
			p.str(k, v, false, &s.Protocol)
		case "host":
			p.str(k, v, false, &s.Host)
		case "path":
			p.str(k, v, true, &s.Path)
		case "port":
			portGiven = p.int(k, v, &s.Port)
		case "connect_timeout":
			p.int(k, v, &s.ConnectTimeout)
		case "read_timeout":
			p.int(k, v, &s.ReadTimeout)
		case "write_timeout":
			p.int(k, v, &s.WriteTimeout)
		case "retries":
			p.int(k, v, &s.Retries)
		case "enabled":
			p.bool(k, v, &s.Enabled)
		case "tags":
			p.strings(k, v, &s.Tags)
		case "client_certificate", "tls_verify", "tls_verify_depth", "ca_certificates":
			p.kongOnly(k, v, "null")
		case "created_at", "updated_at":
			// Kong sets these itself; a client sending back what it read is not an error.
		default:
			p.bad(k, "unknown field")
		}
	}
	// Kong's default port follows the protocol when only the protocol is given.
	if create && !portGiven && in["url"] == nil && s.Protocol == "https" {
		s.Port = 443
	}
	return p
}

// applyRouteInput sets the fields of a route from an admin request body. Problems are
// returned with paths relative to the route.
func applyRouteInput(cfg *deck.Config, r *deck.Route, in map[string]any, create bool) []deck.Problem {
	var p fieldProblems
	for _, k := range slices.Sorted(maps.Keys(in)) {
		v := in[k]
		switch k {
		case "id":
			p.id(k, v, create, &r.ID)
		case "name":
			p.str(k, v, true, &r.Name)
		case "path_handling":
			p.str(k, v, false, &r.PathHandling)
		case "paths":
			p.strings(k, v, &r.Paths)
		case "methods":
			p.strings(k, v, &r.Methods)
		case "hosts":
			p.strings(k, v, &r.Hosts)
		case "protocols":
			p.strings(k, v, &r.Protocols)
		case "tags":
			p.strings(k, v, &r.Tags)
		case "headers":
			if h, ok := asHeaders(v); ok {
				r.Headers = h
			} else {
				p.bad(k, "expected a map of header names to lists of values")
			}
		case "strip_path":
			p.bool(k, v, &r.StripPath)
		case "preserve_host":
			p.bool(k, v, &r.PreserveHost)
		case "regex_priority":
			p.int(k, v, &r.RegexPriority)
		case "service":
			p.foreign(cfg, k, v, &r.Service)
		case "https_redirect_status_code":
			p.kongOnly(k, v, "426", 426)
		case "request_buffering", "response_buffering":
			p.kongOnly(k, v, "true", true)
		case "snis", "sources", "destinations":
			p.kongOnly(k, v, "empty")
		case "created_at", "updated_at":
		default:
			p.bad(k, "unknown field")
		}
	}
	return p
}

// asHeaders reads Kong's route headers: each name maps to a list of values (or one value).
func asHeaders(v any) (map[string][]string, bool) {
	if v == nil {
		return nil, true
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	out := make(map[string][]string, len(m))
	for name, vals := range m {
		list, ok := asStrings(vals)
		if !ok {
			return nil, false
		}
		out[name] = list
	}
	return out, true
}
