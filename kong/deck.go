package kong

import (
	"cmp"

	"github.com/oidclab/oidclab/gateway/deck"
)

// Deck is what the server holds as a decK configuration, for an export: routes and plugins
// refer to their parent by name (by id when it has none). Plugins on consumers are left out
// (oidclab has no consumers) and counted in skipped. Secrets are as the server showed them:
// oidclab's admin API shows deck.Redacted.
func (st State) Deck() (cfg *deck.Config, skipped int) {
	cfg = &deck.Config{FormatVersion: deck.FormatVersion, Source: "admin API"}
	svcRef, rtRef := map[string]string{}, map[string]string{}
	for _, s := range st.Services {
		svcRef[s.ID] = cmp.Or(s.Name, s.ID)
		ds := deck.Service{ID: s.ID, Name: s.Name, Protocol: s.Protocol, Host: s.Host, Port: s.Port,
			ConnectTimeout: s.ConnectTimeout, ReadTimeout: s.ReadTimeout, WriteTimeout: s.WriteTimeout,
			Retries: s.Retries, Enabled: s.Enabled == nil || *s.Enabled, Tags: s.Tags}
		if s.Path != nil {
			ds.Path = *s.Path
		}
		cfg.Services = append(cfg.Services, ds)
	}
	ref := func(names map[string]string, r *Ref) string {
		if r == nil {
			return ""
		}
		return cmp.Or(names[r.ID], r.Name, r.ID)
	}
	for _, r := range st.Routes {
		rtRef[r.ID] = cmp.Or(r.Name, r.ID)
		cfg.Routes = append(cfg.Routes, deck.Route{ID: r.ID, Name: r.Name, Service: ref(svcRef, r.Service),
			Paths: r.Paths, Methods: r.Methods, Hosts: r.Hosts, Headers: r.Headers, Protocols: r.Protocols,
			StripPath: r.StripPath, PreserveHost: r.PreserveHost, RegexPriority: r.RegexPriority,
			PathHandling: cmp.Or(r.PathHandling, "v0"), Tags: r.Tags})
	}
	for _, p := range st.Plugins {
		if p.Consumer != nil {
			skipped++
			continue
		}
		cfg.Plugins = append(cfg.Plugins, deck.Plugin{ID: p.ID, Name: p.Name, Service: ref(svcRef, p.Service),
			Route: ref(rtRef, p.Route), Config: configOf(p.Config), Enabled: p.Enabled, Protocols: p.Protocols, Tags: p.Tags})
	}
	return cfg, skipped
}

// wholeNumbers turns the float64 JSON gives every number into an int when it is whole, as the
// decK loader reads 5000 from YAML: an export must not write 5000.0 where Kong wants an integer.
func wholeNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = wholeNumbers(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = wholeNumbers(e)
		}
		return out
	case float64:
		if x == float64(int64(x)) && x < 1<<53 && x > -(1<<53) {
			return int(x)
		}
	case nil:
		return nil
	}
	return v
}

func configOf(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return wholeNumbers(m).(map[string]any)
}
