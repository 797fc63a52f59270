package deck

import (
	"maps"
	"slices"
)

// Clone returns a deep copy of c, so the admin API can edit a config copy-on-write while the
// gateway keeps serving the original.
func (c *Config) Clone() *Config {
	if c == nil {
		return nil
	}
	out := *c
	out.Services = cloneSlice(c.Services, func(s Service) Service {
		s.Tags = slices.Clone(s.Tags)
		return s
	})
	out.Routes = cloneSlice(c.Routes, func(r Route) Route {
		r.Paths = slices.Clone(r.Paths)
		r.Methods = slices.Clone(r.Methods)
		r.Hosts = slices.Clone(r.Hosts)
		r.Protocols = slices.Clone(r.Protocols)
		r.Tags = slices.Clone(r.Tags)
		if r.Headers != nil {
			h := make(map[string][]string, len(r.Headers))
			for k, v := range r.Headers {
				h[k] = slices.Clone(v)
			}
			r.Headers = h
		}
		return r
	})
	out.Plugins = cloneSlice(c.Plugins, func(p Plugin) Plugin {
		p.Tags = slices.Clone(p.Tags)
		p.Protocols = slices.Clone(p.Protocols)
		p.ConfigLines = maps.Clone(p.ConfigLines)
		if p.Config != nil {
			p.Config = cloneValue(p.Config).(map[string]any)
		}
		return p
	})
	return &out
}

func cloneSlice[T any](in []T, f func(T) T) []T {
	if in == nil {
		return nil
	}
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// cloneValue deep-copies a JSON-compatible value; other types are copied as they are.
func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = cloneValue(e)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = cloneValue(e)
		}
		return s
	case []string:
		return slices.Clone(v)
	}
	return v
}
