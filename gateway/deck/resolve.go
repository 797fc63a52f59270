package deck

// refIndex maps the strings that may refer to an entity — its name, and its id — to its index
// in the config. A name wins over an id that happens to look the same; the first of duplicate
// names wins (duplicates are reported elsewhere).
func refIndex[T any](items []T, nameID func(T) (string, string)) map[string]int {
	m := make(map[string]int, 2*len(items))
	for i, it := range items {
		if name, _ := nameID(it); name != "" {
			if _, dup := m[name]; !dup {
				m[name] = i
			}
		}
	}
	for i, it := range items {
		if _, id := nameID(it); id != "" {
			if _, taken := m[id]; !taken {
				m[id] = i
			}
		}
	}
	return m
}

func serviceNameID(s Service) (string, string) { return s.Name, s.ID }
func routeNameID(r Route) (string, string)     { return r.Name, r.ID }

// refName is how the flat Config records a link to an entity: by name, or by id when the
// entity has none (as the gateway and Kong's admin API look entities up).
func refName(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

// resolve links routes and plugins to their parents: nested children take their parent's name
// (or id); top-level ones name it or give its id. Ids of services and routes must be assigned.
func (c *checker) resolve(dec *decoded) {
	cfg := dec.cfg
	svcs := refIndex(cfg.Services, serviceNameID)
	routes := refIndex(cfg.Routes, routeNameID)
	lookup := func(r ref, kind string, index map[string]int, name func(int) string) string {
		if r.name != "" {
			// decK also accepts an id written where a name goes (`service: <id>`).
			if i, ok := index[r.name]; ok {
				return name(i)
			}
			c.add(r.path, "%s %q not found", kind, r.name)
			return ""
		}
		if i, ok := index[r.id]; ok {
			return name(i)
		}
		c.add(r.path, "%s with id %q not found", kind, r.id)
		return ""
	}
	svcName := func(i int) string { return refName(cfg.Services[i].Name, cfg.Services[i].ID) }
	routeName := func(i int) string { return refName(cfg.Routes[i].Name, cfg.Routes[i].ID) }
	for i := range cfg.Routes {
		r, sr := &cfg.Routes[i], dec.routeSvc[i]
		switch {
		case !sr.set:
		case sr.parent >= 0:
			r.Service = svcName(sr.parent)
		default:
			r.Service = lookup(sr, "service", svcs, svcName)
		}
	}
	for i := range cfg.Plugins {
		p, sr, rr := &cfg.Plugins[i], dec.pluginSvc[i], dec.pluginRoute[i]
		switch {
		case !sr.set:
		case sr.parent >= 0:
			p.Service = svcName(sr.parent)
		default:
			p.Service = lookup(sr, "service", svcs, svcName)
		}
		switch {
		case !rr.set:
		case rr.parent >= 0:
			p.Route = routeName(rr.parent)
		default:
			p.Route = lookup(rr, "route", routes, routeName)
		}
		if (sr.set && p.Service == "") || (rr.set && p.Route == "") {
			c.unresolved[i] = true
		}
	}
}
