package deck

import (
	"strconv"

	"gopkg.in/yaml.v3"
)

// ref is a child's link to its parent as written in the file: nested (parent index), or
// top-level by name or id.
type ref struct {
	set    bool
	parent int // index of the parent in Config.Services/Routes when nested, else -1
	name   string
	id     string
	path   string // where the reference is written (for messages)
}

// decoded is a Config before its references are resolved and its ids assigned.
type decoded struct {
	cfg         *Config
	formatSeen  bool
	routeSvc    []ref // parallel to cfg.Routes
	pluginSvc   []ref // parallel to cfg.Plugins
	pluginRoute []ref
	selectTags  []string
}

var metaKeys = []string{"_format_version", "_info", "_transform", "_konnect", "_workspace"}

// document decodes the root mapping of a state file.
func (d *decoder) document(root *yaml.Node) *decoded {
	out := &decoded{cfg: &Config{}}
	fields, ok := d.fields(root, "", "a decK state file")
	if !ok {
		return out
	}
	// Metadata first: _info.select_tags applies to every entity wherever it is written.
	for _, f := range fields {
		switch f.key {
		case "_format_version":
			out.formatSeen = true
			d.formatVersion(f, out.cfg)
		case "_info":
			out.selectTags = d.info(f)
		case "_transform":
			var b bool
			d.boolean(f, &b)
		case "_konnect":
			if !isNull(f.val) {
				d.fields(f.val, f.path, "_konnect")
			}
		case "_workspace":
			var s string
			d.str(f, &s)
		}
	}
	for _, f := range fields {
		switch f.key {
		case "_format_version", "_info", "_transform", "_konnect", "_workspace":
		case "services":
			for i, n := range d.items(f, "services") {
				d.service(out, n, f.path+"."+strconv.Itoa(i))
			}
		case "routes":
			for i, n := range d.items(f, "routes") {
				d.route(out, n, f.path+"."+strconv.Itoa(i), -1)
			}
		case "plugins":
			for i, n := range d.items(f, "plugins") {
				d.plugin(out, n, f.path+"."+strconv.Itoa(i), -1, -1)
			}
		default:
			if d.checkUnsupported(f, unsupportedTop, "top-level") {
				continue
			}
			d.unknown(f, keysOf(unsupportedTop, append([]string{"services", "routes", "plugins"}, metaKeys...)...))
		}
	}
	return out
}

func (d *decoder) formatVersion(f field, cfg *Config) {
	n := f.val
	if n == nil || n.Kind != yaml.ScalarNode || isNull(n) {
		d.problem(f.path, f.kn, "_format_version must be a string such as \"3.0\", got %s", describeNode(n))
		return
	}
	// "3.0" written unquoted reads as a float; the text is what matters.
	cfg.FormatVersion = n.Value
	if n.Value != FormatVersion {
		d.problem(f.path, f.kn, "%s", formatMessage(n.Value))
	}
}

// info reads _info: select_tags are added to every entity (as decK tags what it syncs);
// defaults and default_lookup_tags change how decK fills entities, which oidclab does not do.
func (d *decoder) info(f field) []string {
	if isNull(f.val) {
		return nil
	}
	fields, ok := d.fields(f.val, f.path, "_info")
	if !ok {
		return nil
	}
	var tags []string
	for _, g := range fields {
		switch g.key {
		case "select_tags":
			d.strList(g, &tags)
		case "defaults", "default_lookup_tags":
			if !emptyValue(g.val) {
				d.problem(g.path, g.kn, "_info %q is not supported by oidclab (leave it out or empty)", g.key)
			}
		default:
			d.unknown(g, []string{"select_tags", "defaults", "default_lookup_tags"})
		}
	}
	return tags
}

// addTags appends the select tags an entity does not already carry.
func addTags(tags, extra []string) []string {
	for _, t := range extra {
		found := false
		for _, have := range tags {
			if have == t {
				found = true
				break
			}
		}
		if !found {
			tags = append(tags, t)
		}
	}
	return tags
}

func joinList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	s := ""
	for i, it := range items {
		switch {
		case i == 0:
		case i == len(items)-1:
			s += " and "
		default:
			s += ", "
		}
		s += it
	}
	return s
}
