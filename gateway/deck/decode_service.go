package deck

import (
	"strconv"

	"gopkg.in/yaml.v3"
)

var serviceKeys = []string{"id", "name", "url", "protocol", "host", "port", "path", "connect_timeout",
	"read_timeout", "write_timeout", "retries", "enabled", "tags", "routes", "plugins"}

// service decodes one service at path, then its nested routes and plugins. A url is split
// like Kong's shorthand; without one, Kong's schema defaults apply.
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
