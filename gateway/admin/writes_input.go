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

// applyServiceInput sets the fields of a service from an admin request body. Problems are
// returned with paths relative to the service.
func applyServiceInput(s *deck.Service, in map[string]any, create bool) []deck.Problem {
	var probs []deck.Problem
	bad := func(path, format string, args ...any) {
		probs = append(probs, deck.Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	// url is the shorthand for the four fields; it goes first so that they can refine it.
	if v, ok := in["url"]; ok && v != nil {
		raw, isStr := v.(string)
		if !isStr {
			bad("url", "expected a string")
		} else if su, err := deck.SplitServiceURL(raw); err != nil {
			bad("url", "%s", err.Error())
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
			id, ok := v.(string)
			if !ok || !deck.IsUUID(id) {
				bad(k, "expected a valid UUID")
				continue
			}
			if create || id == s.ID {
				s.ID = id
				continue
			}
			bad(k, "the id of an existing entity cannot be changed")
		case "name", "protocol", "host", "path":
			str, ok := asString(v, k == "name" || k == "path")
			if !ok {
				bad(k, "expected a string")
				continue
			}
			switch k {
			case "name":
				s.Name = str
			case "protocol":
				s.Protocol = str
			case "host":
				s.Host = str
			case "path":
				s.Path = str
			}
		case "port", "connect_timeout", "read_timeout", "write_timeout", "retries":
			n, ok := asInt(v)
			if !ok {
				bad(k, "expected an integer")
				continue
			}
			switch k {
			case "port":
				s.Port, portGiven = n, true
			case "connect_timeout":
				s.ConnectTimeout = n
			case "read_timeout":
				s.ReadTimeout = n
			case "write_timeout":
				s.WriteTimeout = n
			case "retries":
				s.Retries = n
			}
		case "enabled":
			b, ok := asBool(v)
			if !ok {
				bad(k, "expected a boolean")
				continue
			}
			s.Enabled = b
		case "tags":
			tags, ok := asStrings(v)
			if !ok {
				bad(k, "expected a set of strings")
				continue
			}
			s.Tags = tags
		case "client_certificate", "tls_verify", "tls_verify_depth", "ca_certificates":
			if !kongOnly(v) {
				bad(k, "not supported by oidclab's gateway (leave it out or null)")
			}
		case "created_at", "updated_at":
			// Kong sets these itself; a client sending back what it read is not an error.
		default:
			bad(k, "unknown field")
		}
	}
	// Kong's default port follows the protocol when only the protocol is given.
	if create && !portGiven && in["url"] == nil && s.Protocol == "https" {
		s.Port = 443
	}
	return probs
}

// applyRouteInput sets the fields of a route from an admin request body. Problems are
// returned with paths relative to the route.
func applyRouteInput(cfg *deck.Config, r *deck.Route, in map[string]any, create bool) []deck.Problem {
	var probs []deck.Problem
	bad := func(path, format string, args ...any) {
		probs = append(probs, deck.Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	for _, k := range slices.Sorted(maps.Keys(in)) {
		v := in[k]
		switch k {
		case "id":
			id, ok := v.(string)
			if !ok || !deck.IsUUID(id) {
				bad(k, "expected a valid UUID")
				continue
			}
			if create || id == r.ID {
				r.ID = id
				continue
			}
			bad(k, "the id of an existing entity cannot be changed")
		case "name", "path_handling":
			str, ok := asString(v, k == "name")
			if !ok {
				bad(k, "expected a string")
				continue
			}
			if k == "name" {
				r.Name = str
			} else {
				r.PathHandling = str
			}
		case "paths", "methods", "hosts", "protocols", "tags":
			list, ok := asStrings(v)
			if !ok {
				bad(k, "expected a set of strings")
				continue
			}
			switch k {
			case "paths":
				r.Paths = list
			case "methods":
				r.Methods = list
			case "hosts":
				r.Hosts = list
			case "protocols":
				r.Protocols = list
			case "tags":
				r.Tags = list
			}
		case "headers":
			h, ok := asHeaders(v)
			if !ok {
				bad(k, "expected a map of header names to lists of values")
				continue
			}
			r.Headers = h
		case "strip_path", "preserve_host":
			b, ok := asBool(v)
			if !ok {
				bad(k, "expected a boolean")
				continue
			}
			if k == "strip_path" {
				r.StripPath = b
			} else {
				r.PreserveHost = b
			}
		case "regex_priority":
			n, ok := asInt(v)
			if !ok {
				bad(k, "expected an integer")
				continue
			}
			r.RegexPriority = n
		case "service":
			name, ok := resolveForeign(cfg, "service", v)
			if !ok {
				bad(k, "the foreign key '%v' does not reference an existing 'services' entity.", foreignText(v))
				continue
			}
			r.Service = name
		case "https_redirect_status_code":
			if !kongOnly(v, 426) {
				bad(k, "not supported by oidclab's gateway (leave it out or 426)")
			}
		case "request_buffering", "response_buffering":
			if !kongOnly(v, true) {
				bad(k, "not supported by oidclab's gateway (leave it out or true)")
			}
		case "snis", "sources", "destinations":
			if !kongOnly(v) {
				bad(k, "not supported by oidclab's gateway (leave it out or empty)")
			}
		case "created_at", "updated_at":
		default:
			bad(k, "unknown field")
		}
	}
	return probs
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
