package deck

import (
	"cmp"
	"slices"
)

// canonicalOrder sorts routes and plugins into one order however the file nested them: routes
// by their service (in service order, service-less routes last); plugins on a route, then on a
// service, by that route's or service's place, then the rest (global, or on a service and a
// route together) in file order. Nested and top-level forms of the same file, and a file
// written by Marshal, so load to equal Configs. Pos keeps where each entity was written.
func canonicalOrder(cfg *Config) {
	svcIndex := refIndex(cfg.Services, serviceNameID)
	n := len(cfg.Services)
	svcOf := func(ref string) int {
		if i, ok := svcIndex[ref]; ok && ref != "" {
			return i
		}
		return n
	}
	slices.SortStableFunc(cfg.Routes, func(a, b Route) int {
		return cmp.Compare(svcOf(a.Service), svcOf(b.Service))
	})
	routeIndex := refIndex(cfg.Routes, routeNameID)
	type key struct{ group, kind, index int }
	keyOf := func(p Plugin) key {
		if p.Route != "" && p.Service == "" {
			if ri, ok := routeIndex[p.Route]; ok {
				return key{svcOf(cfg.Routes[ri].Service), 0, ri}
			}
		}
		if p.Service != "" && p.Route == "" {
			if si, ok := svcIndex[p.Service]; ok {
				return key{si, 1, 0}
			}
		}
		return key{n + 1, 0, 0}
	}
	slices.SortStableFunc(cfg.Plugins, func(a, b Plugin) int {
		ka, kb := keyOf(a), keyOf(b)
		return cmp.Or(cmp.Compare(ka.group, kb.group), cmp.Compare(ka.kind, kb.kind), cmp.Compare(ka.index, kb.index))
	})
}
