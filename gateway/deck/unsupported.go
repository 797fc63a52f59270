package deck

import (
	"gopkg.in/yaml.v3"
)

// Kong fields oidclab does not implement. A file may still carry them at Kong's default (decK
// dumps write every field), so they are accepted when absent, null, empty or at that default,
// and are a clear "not supported by oidclab" problem otherwise — never silently ignored.

type unsupported struct {
	isDefault func(*yaml.Node) bool
	def       string // Kong's default, for the message
}

func emptyValue(n *yaml.Node) bool {
	n = deref(n)
	if isNull(n) {
		return true
	}
	switch n.Kind {
	case yaml.SequenceNode, yaml.MappingNode:
		return len(n.Content) == 0
	case yaml.ScalarNode:
		return n.ShortTag() == "!!str" && n.Value == ""
	}
	return false
}

func intDefault(v int) func(*yaml.Node) bool {
	return func(n *yaml.Node) bool {
		if emptyValue(n) {
			return true
		}
		got, ok := scalarInt(deref(n))
		return ok && got == v
	}
}

func boolDefault(v bool) func(*yaml.Node) bool {
	return func(n *yaml.Node) bool {
		if emptyValue(n) {
			return true
		}
		n = deref(n)
		var b bool
		return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" && n.Decode(&b) == nil && b == v
	}
}

var empty = unsupported{emptyValue, "empty"}

var unsupportedService = map[string]unsupported{
	"client_certificate": empty,
	"tls_verify":         empty,
	"tls_verify_depth":   empty,
	"ca_certificates":    empty,
	"filter_chains":      empty,
}

var unsupportedRoute = map[string]unsupported{
	"snis":                       empty,
	"sources":                    empty,
	"destinations":               empty,
	"https_redirect_status_code": {intDefault(426), "426"},
	"request_buffering":          {boolDefault(true), "true"},
	"response_buffering":         {boolDefault(true), "true"},
	"expression":                 empty,
	"priority":                   {intDefault(0), "0"},
	"filter_chains":              empty,
}

var unsupportedPlugin = map[string]unsupported{
	"consumer":       empty,
	"consumer_group": empty,
	"instance_name":  empty,
	"ordering":       empty,
	"_config":        empty,
}

// unsupportedTop are top-level decK sections for entities oidclab has no use for.
var unsupportedTop = map[string]unsupported{
	"consumers":        empty,
	"consumer_groups":  empty,
	"upstreams":        empty,
	"certificates":     empty,
	"ca_certificates":  empty,
	"snis":             empty,
	"vaults":           empty,
	"partials":         empty,
	"keys":             empty,
	"key_sets":         empty,
	"filter_chains":    empty,
	"licenses":         empty,
	"rbac_roles":       empty,
	"custom_entities":  empty,
	"degraphql_routes": empty,
	"workspaces":       empty,
	"_plugin_configs":  empty,
}

// readOnly are fields Kong sets itself; a dump may carry them and they mean nothing on load.
var readOnly = map[string]bool{"created_at": true, "updated_at": true}

// checkUnsupported reports f when it is a Kong field oidclab does not implement set to a
// non-default value. It returns whether f was such a field (handled either way).
func (d *decoder) checkUnsupported(f field, table map[string]unsupported, what string) bool {
	u, ok := table[f.key]
	if !ok {
		return false
	}
	if !u.isDefault(f.val) {
		if u.def == "empty" {
			d.problem(f.path, f.kn, "%s %q is not supported by oidclab (leave it out or empty)", what, f.key)
		} else {
			d.problem(f.path, f.kn, "%s %q is not supported by oidclab (leave it out or at Kong's default, %s)", what, f.key, u.def)
		}
	}
	return true
}

func keysOf(m map[string]unsupported, more ...string) []string {
	out := append([]string(nil), more...)
	for k := range m {
		out = append(out, k)
	}
	return out
}
