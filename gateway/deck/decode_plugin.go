package deck

import (
	"gopkg.in/yaml.v3"
)

var pluginKeys = []string{"id", "name", "config", "enabled", "tags", "protocols", "service", "route"}

// plugin decodes a plugin; svc or route is the index of the entity it is nested in (or -1).
func (d *decoder) plugin(out *decoded, n *yaml.Node, path string, svc, route int) {
	fields, ok := d.fields(n, path, "a plugin")
	if !ok {
		return
	}
	p := Plugin{
		Enabled:     true,
		Protocols:   DefaultPluginProtocols(),
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
