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

var serviceKeys = []string{"id", "name", "url", "protocol", "host", "port", "path", "connect_timeout",
	"read_timeout", "write_timeout", "retries", "enabled", "tags", "routes", "plugins"}

func (d *decoder) service(out *decoded, n *yaml.Node, path string) {
	fields, ok := d.fields(n, path, "a service")
	if !ok {
		return
	}
	s := Service{
		ConnectTimeout: 60000, ReadTimeout: 60000, WriteTimeout: 60000,
		Retries: 5, Enabled: true,
		Pos: Pos{Line: d.line(n), Path: path},
	}
	if len(fields) > 0 {
		s.Pos.Line = d.line(fields[0].kn)
	}
	idx := len(out.cfg.Services)
	out.cfg.Services = append(out.cfg.Services, s) // placeholder keeps children's parent index valid
	var (
		urlField *field
		parts    []string
		portSet  bool
		children []func()
	)
	for _, f := range fields {
		switch f.key {
		case "id":
			d.str(f, &s.ID)
		case "name":
			d.str(f, &s.Name)
		case "url":
			if d.str(f, new(string)) {
				urlField = &f
			}
		case "protocol":
			if d.str(f, &s.Protocol) {
				parts = append(parts, f.key)
			}
		case "host":
			if d.str(f, &s.Host) {
				parts = append(parts, f.key)
			}
		case "port":
			if d.integer(f, &s.Port) {
				parts = append(parts, f.key)
				portSet = true
			}
		case "path":
			if d.str(f, &s.Path) {
				parts = append(parts, f.key)
			}
		case "connect_timeout":
			d.integer(f, &s.ConnectTimeout)
		case "read_timeout":
			d.integer(f, &s.ReadTimeout)
		case "write_timeout":
			d.integer(f, &s.WriteTimeout)
		case "retries":
			d.integer(f, &s.Retries)
		case "enabled":
			d.boolean(f, &s.Enabled)
		case "tags":
			d.strList(f, &s.Tags)
		case "routes":
			// Children are decoded after the service so routes follow their service in order
			// regardless of where the key is written.
			children = append(children, func() {
				for i, c := range d.items(f, "routes") {
					d.route(out, c, f.path+"."+strconv.Itoa(i), idx)
				}
			})
		case "plugins":
			children = append(children, func() {
				for i, c := range d.items(f, "plugins") {
					d.plugin(out, c, f.path+"."+strconv.Itoa(i), idx, -1)
				}
			})
		default:
			if readOnly[f.key] || d.checkUnsupported(f, unsupportedService, "service field") {
				continue
			}
			d.unknown(f, keysOf(unsupportedService, serviceKeys...))
		}
	}
	if urlField != nil {
		if len(parts) > 0 {
			d.problem(urlField.path, urlField.kn, "url cannot be combined with %s: give either url or protocol/host/port/path", joinList(parts))
		}
		su, err := SplitServiceURL(urlField.val.Value)
		if err != nil {
			d.problem(urlField.path, urlField.kn, "%s", err.Error())
		} else {
			s.Protocol, s.Host, s.Port, s.Path = su.Protocol, su.Host, su.Port, su.Path
		}
	} else {
		// Kong's schema defaults (note: port 80 even for https when only protocol is given).
		if s.Protocol == "" {
			s.Protocol = "http"
		}
		if !portSet {
			s.Port = 80
		}
	}
	s.Tags = addTags(s.Tags, out.selectTags)
	out.cfg.Services[idx] = s
	for _, c := range children {
		c()
	}
}

var routeKeys = []string{"id", "name", "paths", "methods", "hosts", "headers", "protocols", "strip_path",
	"preserve_host", "regex_priority", "path_handling", "tags", "service", "plugins"}

func (d *decoder) route(out *decoded, n *yaml.Node, path string, svc int) {
	fields, ok := d.fields(n, path, "a route")
	if !ok {
		return
	}
	r := Route{
		Protocols: []string{"http", "https"}, StripPath: true, PathHandling: "v0",
		Pos: Pos{Line: d.line(n), Path: path},
	}
	if len(fields) > 0 {
		r.Pos.Line = d.line(fields[0].kn)
	}
	sref := ref{parent: svc, set: svc >= 0}
	idx := len(out.cfg.Routes)
	out.cfg.Routes = append(out.cfg.Routes, r)
	out.routeSvc = append(out.routeSvc, sref)
	var children []func()
	for _, f := range fields {
		switch f.key {
		case "id":
			d.str(f, &r.ID)
		case "name":
			d.str(f, &r.Name)
		case "paths":
			d.strList(f, &r.Paths)
		case "methods":
			d.strList(f, &r.Methods)
		case "hosts":
			d.strList(f, &r.Hosts)
		case "headers":
			r.Headers = d.headers(f)
		case "protocols":
			d.strList(f, &r.Protocols)
		case "strip_path":
			d.boolean(f, &r.StripPath)
		case "preserve_host":
			d.boolean(f, &r.PreserveHost)
		case "regex_priority":
			d.integer(f, &r.RegexPriority)
		case "path_handling":
			d.str(f, &r.PathHandling)
		case "tags":
			d.strList(f, &r.Tags)
		case "service":
			if isNull(f.val) {
				continue
			}
			if svc >= 0 {
				d.problem(f.path, f.kn, "a route nested in a service belongs to that service; remove \"service\"")
				continue
			}
			sref = d.reference(f, "service")
		case "plugins":
			children = append(children, func() {
				for i, c := range d.items(f, "plugins") {
					d.plugin(out, c, f.path+"."+strconv.Itoa(i), -1, idx)
				}
			})
		default:
			if readOnly[f.key] || d.checkUnsupported(f, unsupportedRoute, "route field") {
				continue
			}
			d.unknown(f, keysOf(unsupportedRoute, routeKeys...))
		}
	}
	r.Tags = addTags(r.Tags, out.selectTags)
	out.cfg.Routes[idx] = r
	out.routeSvc[idx] = sref
	for _, c := range children {
		c()
	}
}

// headers reads a route's headers: a mapping of header name to a list of values.
func (d *decoder) headers(f field) map[string][]string {
	if isNull(f.val) {
		return nil
	}
	fields, ok := d.fields(f.val, f.path, "headers")
	if !ok {
		return nil
	}
	h := make(map[string][]string, len(fields))
	for _, g := range fields {
		var vals []string
		if isNull(g.val) {
			d.problem(g.path, g.kn, "headers.%s must be a list of strings, got null", g.key)
			continue
		}
		if d.strList(field{key: "headers." + g.key, kn: g.kn, val: g.val, path: g.path}, &vals) {
			h[g.key] = vals
		}
	}
	return h
}

// reference reads `service: NAME`, `service: {name: NAME}` or `service: {id: ID}`.
func (d *decoder) reference(f field, kind string) ref {
	r := ref{set: true, parent: -1, path: f.path}
	if f.val != nil && f.val.Kind == yaml.ScalarNode {
		if d.str(f, &r.name) {
			if r.name == "" {
				d.problem(f.path, f.kn, "%s must name a %s, got an empty string", f.key, kind)
				return ref{parent: -1}
			}
			return r
		}
		return ref{parent: -1}
	}
	fields, ok := d.fields(f.val, f.path, kind)
	if !ok {
		return ref{parent: -1}
	}
	for _, g := range fields {
		switch g.key {
		case "name":
			d.str(g, &r.name)
		case "id":
			d.str(g, &r.id)
		default:
			d.unknown(g, []string{"name", "id"})
		}
	}
	if r.name == "" && r.id == "" {
		d.problem(f.path, f.kn, "%s must give the %s's name or id", f.key, kind)
		return ref{parent: -1}
	}
	return r
}

var pluginKeys = []string{"id", "name", "config", "enabled", "tags", "protocols", "service", "route"}

// plugin decodes a plugin; svc or route is the index of the entity it is nested in (or -1).
func (d *decoder) plugin(out *decoded, n *yaml.Node, path string, svc, route int) {
	fields, ok := d.fields(n, path, "a plugin")
	if !ok {
		return
	}
	p := Plugin{
		Enabled:     true,
		Protocols:   []string{"grpc", "grpcs", "http", "https"},
		Config:      map[string]any{},
		ConfigLines: map[string]int{},
		Pos:         Pos{Line: d.line(n), Path: path},
	}
	if len(fields) > 0 {
		p.Pos.Line = d.line(fields[0].kn)
	}
	sref := ref{parent: svc, set: svc >= 0}
	rref := ref{parent: route, set: route >= 0}
	nested := svc >= 0 || route >= 0
	for _, f := range fields {
		switch f.key {
		case "id":
			d.str(f, &p.ID)
		case "name":
			d.str(f, &p.Name)
		case "config":
			if isNull(f.val) {
				continue
			}
			if f.val == nil || f.val.Kind != yaml.MappingNode {
				d.problem(f.path, f.kn, "config must be a mapping, got %s", describeNode(f.val))
				continue
			}
			if v, ok := d.value(f.val, f.path, "", 0, p.ConfigLines); ok {
				p.Config = v.(map[string]any)
			}
		case "enabled":
			d.boolean(f, &p.Enabled)
		case "tags":
			d.strList(f, &p.Tags)
		case "protocols":
			d.strList(f, &p.Protocols)
		case "service", "route":
			if isNull(f.val) {
				continue
			}
			if nested {
				d.problem(f.path, f.kn, "a nested plugin belongs to the entity it is nested in; remove %q", f.key)
				continue
			}
			if f.key == "service" {
				sref = d.reference(f, "service")
			} else {
				rref = d.reference(f, "route")
			}
		default:
			if readOnly[f.key] || d.checkUnsupported(f, unsupportedPlugin, "plugin field") {
				continue
			}
			d.unknown(f, keysOf(unsupportedPlugin, pluginKeys...))
		}
	}
	p.Tags = addTags(p.Tags, out.selectTags)
	out.cfg.Plugins = append(out.cfg.Plugins, p)
	out.pluginSvc = append(out.pluginSvc, sref)
	out.pluginRoute = append(out.pluginRoute, rref)
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
