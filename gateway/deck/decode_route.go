package deck

import (
	"strconv"

	"gopkg.in/yaml.v3"
)

var routeKeys = []string{"id", "name", "paths", "methods", "hosts", "headers", "protocols", "strip_path",
	"preserve_host", "regex_priority", "path_handling", "tags", "service", "plugins"}

// route decodes one route at path; svc is the index of the service it is nested in, or -1.
// Nested plugins are decoded after it, so they follow their route.
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
