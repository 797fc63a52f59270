package deck

// resolve links routes and plugins to their parents by name, as the flat Config records them:
// nested children take their parent's name; top-level ones name it (or give its id).
func (c *checker) resolve(dec *decoded) {
	cfg := dec.cfg
	svcByName, svcByID := map[string]string{}, map[string]string{}
	for _, s := range cfg.Services {
		if s.Name != "" {
			svcByName[s.Name] = s.Name
		}
		if s.ID != "" && s.Name != "" {
			svcByID[s.ID] = s.Name
		}
	}
	routeByName, routeByID := map[string]string{}, map[string]string{}
	for _, r := range cfg.Routes {
		if r.Name != "" {
			routeByName[r.Name] = r.Name
		}
		if r.ID != "" && r.Name != "" {
			routeByID[r.ID] = r.Name
		}
	}
	needName := map[string]bool{}
	parentName := func(pos Pos, name, kind, children string) string {
		if name == "" && !needName[pos.Path] {
			needName[pos.Path] = true
			c.add(pos.Path, "name is required: oidclab links %s to their %s by name", children, kind)
		}
		return name
	}
	lookup := func(r ref, kind string, byName, byID map[string]string) string {
		if r.name != "" {
			if n, ok := byName[r.name]; ok {
				return n
			}
			// decK also accepts an id written where a name goes (`service: <id>`).
			if n, ok := byID[r.name]; ok {
				return n
			}
			c.add(r.path, "%s %q not found", kind, r.name)
			return ""
		}
		if n, ok := byID[r.id]; ok {
			return n
		}
		c.add(r.path, "%s with id %q not found", kind, r.id)
		return ""
	}
	for i := range cfg.Routes {
		r, sr := &cfg.Routes[i], dec.routeSvc[i]
		switch {
		case !sr.set:
		case sr.parent >= 0:
			s := cfg.Services[sr.parent]
			r.Service = parentName(s.Pos, s.Name, "service", "routes and plugins")
		default:
			r.Service = lookup(sr, "service", svcByName, svcByID)
		}
	}
	for i := range cfg.Plugins {
		p, sr, rr := &cfg.Plugins[i], dec.pluginSvc[i], dec.pluginRoute[i]
		switch {
		case !sr.set:
		case sr.parent >= 0:
			s := cfg.Services[sr.parent]
			p.Service = parentName(s.Pos, s.Name, "service", "routes and plugins")
		default:
			p.Service = lookup(sr, "service", svcByName, svcByID)
		}
		switch {
		case !rr.set:
		case rr.parent >= 0:
			r := cfg.Routes[rr.parent]
			p.Route = parentName(r.Pos, r.Name, "route", "plugins")
		default:
			p.Route = lookup(rr, "route", routeByName, routeByID)
		}
		if (sr.set && p.Service == "") || (rr.set && p.Route == "") {
			c.unresolved[i] = true
		}
	}
}
