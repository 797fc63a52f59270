package kong

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/oidclab/oidclab/gateway/deck"
)

// State is what an Admin API holds.
type State struct {
	Services []Service
	Routes   []Route
	Plugins  []Plugin
}

// State reads every service, route and plugin.
func (c *Client) State(ctx context.Context) (State, error) {
	var st State
	var err error
	if st.Services, err = c.Services(ctx); err != nil {
		return State{}, err
	}
	if st.Routes, err = c.Routes(ctx); err != nil {
		return State{}, err
	}
	if st.Plugins, err = c.Plugins(ctx); err != nil {
		return State{}, err
	}
	return st, nil
}

// Action is what applying a plan does to one entity.
type Action string

const (
	Create    Action = "create"
	Update    Action = "update"
	Unchanged Action = "unchanged"
	// NotInFile is an entity on the server the file does not have: left alone. kong apply
	// never deletes (deck gateway sync does, for a file that is the whole truth).
	NotInFile Action = "not_in_file"
)

// FieldChange is one field an update changes. Secret plugin config values are deck.Redacted.
type FieldChange struct {
	Field string `json:"field"`
	Old   any    `json:"old"`
	New   any    `json:"new"`
}

// Change is one entity of a plan.
type Change struct {
	Kind   string        `json:"kind"` // service, route or plugin
	Name   string        `json:"name"` // its name; for a plugin, "NAME on service S" etc.
	Action Action        `json:"action"`
	ID     string        `json:"id,omitempty"` // the id it has (or will have) on the server
	Fields []FieldChange `json:"fields,omitempty"`

	key     string // name, or id for an unnamed entity: the PUT URL's
	service *Service
	route   *Route
	svcRef  string // the route's or plugin's service (name, or id when unnamed)
	plugin  *Plugin
	rtRef   string
}

// Plan is the changes that make a server hold a decK configuration: services, then routes,
// then plugins (the order they are applied in), then what the server has beyond the file.
type Plan struct {
	Changes []Change `json:"changes"`
	// SecretsUnknown is set when the server showed redacted secrets (oidclab's admin API does):
	// such values cannot be compared and are taken as unchanged.
	SecretsUnknown bool `json:"secrets_unknown,omitempty"`
}

// Count returns how many changes have the action.
func (p *Plan) Count(a Action) int {
	n := 0
	for _, c := range p.Changes {
		if c.Action == a {
			n++
		}
	}
	return n
}

// Empty reports whether applying p would change nothing.
func (p *Plan) Empty() bool { return p.Count(Create)+p.Count(Update) == 0 }

// Diff plans the changes that make cur hold desired. Services and routes are matched by name
// (by id when unnamed), plugins by name and scope (service, route), as Kong makes them unique.
// Fields the file does not set are not compared: Kong fills plugin configs with their schema's
// defaults, and a PUT leaves those to Kong.
func Diff(desired *deck.Config, cur State) *Plan {
	p := &Plan{}
	svcName := map[string]string{} // server id -> name (or id)
	for _, s := range cur.Services {
		svcName[s.ID] = cmp.Or(s.Name, s.ID)
	}
	rtName := map[string]string{}
	for _, r := range cur.Routes {
		rtName[r.ID] = cmp.Or(r.Name, r.ID)
	}
	refName := func(names map[string]string, r *Ref) string {
		if r == nil {
			return ""
		}
		return cmp.Or(names[r.ID], r.Name, r.ID)
	}

	usedSvc := map[int]bool{}
	for _, ds := range desired.Services {
		want := serviceFromDeck(ds)
		key := cmp.Or(ds.Name, ds.ID)
		ch := Change{Kind: "service", Name: key, key: key, service: &want}
		i := slices.IndexFunc(cur.Services, func(s Service) bool { return matches(ds.Name, ds.ID, s.Name, s.ID) })
		if i < 0 {
			ch.Action, ch.ID = Create, ds.ID
		} else {
			usedSvc[i] = true
			have := cur.Services[i]
			ch.ID = have.ID
			ch.Fields = diffFields(toRecord(want), toRecord(have), serviceFields)
			ch.Action = actionOf(ch.Fields)
		}
		p.Changes = append(p.Changes, ch)
	}

	usedRt := map[int]bool{}
	for _, dr := range desired.Routes {
		want := routeFromDeck(dr)
		key := cmp.Or(dr.Name, dr.ID)
		ch := Change{Kind: "route", Name: key, key: key, route: &want, svcRef: dr.Service}
		i := slices.IndexFunc(cur.Routes, func(r Route) bool { return matches(dr.Name, dr.ID, r.Name, r.ID) })
		if i < 0 {
			ch.Action, ch.ID = Create, dr.ID
		} else {
			usedRt[i] = true
			have := cur.Routes[i]
			ch.ID = have.ID
			wr, hr := toRecord(want), toRecord(have)
			wr["service"], hr["service"] = nilIfEmpty(dr.Service), nilIfEmpty(refName(svcName, have.Service))
			ch.Fields = diffFields(wr, hr, routeFields)
			ch.Action = actionOf(ch.Fields)
		}
		p.Changes = append(p.Changes, ch)
	}

	usedPl := map[int]bool{}
	for _, dp := range desired.Plugins {
		want := pluginFromDeck(dp)
		ch := Change{Kind: "plugin", Name: pluginLabel(dp.Name, dp.Service, dp.Route), plugin: &want,
			svcRef: dp.Service, rtRef: dp.Route}
		i := slices.IndexFunc(cur.Plugins, func(cp Plugin) bool {
			return cp.Consumer == nil && cp.Name == dp.Name &&
				refName(svcName, cp.Service) == dp.Service && refName(rtName, cp.Route) == dp.Route
		})
		if i < 0 {
			ch.Action, ch.ID = Create, cmp.Or(dp.ID, deck.NewID())
		} else {
			usedPl[i] = true
			have := cur.Plugins[i]
			ch.ID = have.ID
			ch.Fields = diffFields(toRecord(want), toRecord(have), pluginFields)
			var unknown bool
			diffConfig("config", want.Config, have.Config, false, &ch.Fields, &unknown)
			p.SecretsUnknown = p.SecretsUnknown || unknown
			ch.Action = actionOf(ch.Fields)
		}
		ch.key = ch.ID
		p.Changes = append(p.Changes, ch)
	}

	for i, s := range cur.Services {
		if !usedSvc[i] {
			p.Changes = append(p.Changes, Change{Kind: "service", Name: cmp.Or(s.Name, s.ID), Action: NotInFile, ID: s.ID})
		}
	}
	for i, r := range cur.Routes {
		if !usedRt[i] {
			p.Changes = append(p.Changes, Change{Kind: "route", Name: cmp.Or(r.Name, r.ID), Action: NotInFile, ID: r.ID})
		}
	}
	for i, cp := range cur.Plugins {
		if !usedPl[i] {
			label := pluginLabel(cp.Name, refName(svcName, cp.Service), refName(rtName, cp.Route))
			if cp.Consumer != nil {
				label += " (consumer " + cp.Consumer.ID + ")"
			}
			p.Changes = append(p.Changes, Change{Kind: "plugin", Name: label, Action: NotInFile, ID: cp.ID})
		}
	}
	return p
}

// matches pairs a file's entity with a server's: by name when the file names it, else by id.
func matches(name, id, curName, curID string) bool {
	if name != "" {
		return name == curName
	}
	return id != "" && id == curID
}

func pluginLabel(name, service, route string) string {
	switch {
	case service != "" && route != "":
		return fmt.Sprintf("%s on service %s, route %s", name, service, route)
	case service != "":
		return fmt.Sprintf("%s on service %s", name, service)
	case route != "":
		return fmt.Sprintf("%s on route %s", name, route)
	}
	return name + " (global)"
}

func actionOf(fields []FieldChange) Action {
	if len(fields) == 0 {
		return Unchanged
	}
	return Update
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// The fields compared, in the order a diff lists them.
var (
	serviceFields = []string{"protocol", "host", "port", "path", "retries", "connect_timeout", "read_timeout", "write_timeout", "enabled", "tags"}
	routeFields   = []string{"service", "protocols", "methods", "hosts", "paths", "headers", "strip_path", "preserve_host", "regex_priority", "path_handling", "tags"}
	pluginFields  = []string{"enabled", "protocols", "tags"}
)

// toRecord is v as JSON decodes it, so that both sides compare as the same types.
func toRecord(v any) map[string]any {
	b, _ := json.Marshal(v) // entity structs always marshal
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

func normalize(v any) any {
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			return nil
		}
	case map[string]any:
		if len(x) == 0 {
			return nil
		}
	}
	return v
}

func diffFields(want, have map[string]any, fields []string) []FieldChange {
	var out []FieldChange
	for _, f := range fields {
		w, h := normalize(want[f]), normalize(have[f])
		if f == "enabled" && h == nil {
			h = true
		}
		if !reflect.DeepEqual(w, h) {
			out = append(out, FieldChange{Field: f, Old: h, New: w})
		}
	}
	return out
}

// diffConfig compares the keys want sets with have, recursing into records; keys only have
// holds (Kong's defaults) are not compared. Secret values are reported redacted; a server
// that shows a secret redacted cannot be compared, and unknown is set.
func diffConfig(prefix string, want, have map[string]any, secret bool, out *[]FieldChange, unknown *bool) {
	for _, k := range slices.Sorted(maps.Keys(want)) {
		path := prefix + "." + k
		isSecret := secret || deck.IsSecretField(k)
		w := jsonValue(want[k])
		h, present := have[k]
		wm, wok := w.(map[string]any)
		hm, hok := h.(map[string]any)
		if wok && hok {
			diffConfig(path, wm, hm, isSecret, out, unknown)
			continue
		}
		if !present && w == nil {
			continue
		}
		if reflect.DeepEqual(normalizeDeep(w), normalizeDeep(h)) {
			continue
		}
		if isSecret && redactedDeep(h) {
			*unknown = true
			continue
		}
		if isSecret {
			w, h = redactAny(w), redactAny(h)
		}
		*out = append(*out, FieldChange{Field: path, Old: h, New: w})
	}
}

// jsonValue is v as JSON decodes it (ints become float64, []string becomes []any).
func jsonValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return out
}

func normalizeDeep(v any) any {
	return normalize(jsonValue(v))
}

// redactedDeep reports whether v is, or holds only, deck.Redacted markers.
func redactedDeep(v any) bool {
	if deck.IsRedacted(v) {
		return true
	}
	if m, ok := v.(map[string]any); ok && len(m) > 0 {
		for _, x := range m {
			if !redactedDeep(x) {
				return false
			}
		}
		return true
	}
	return false
}

func redactAny(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]any, len(x))
		for i := range out {
			out[i] = deck.Redacted
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k := range x {
			out[k] = deck.Redacted
		}
		return out
	}
	return deck.Redacted
}

func serviceFromDeck(s deck.Service) Service {
	enabled := s.Enabled
	out := Service{Name: s.Name, Protocol: s.Protocol, Host: s.Host, Port: s.Port,
		Retries: s.Retries, ConnectTimeout: s.ConnectTimeout, ReadTimeout: s.ReadTimeout,
		WriteTimeout: s.WriteTimeout, Enabled: &enabled, Tags: s.Tags}
	if s.Path != "" {
		path := s.Path
		out.Path = &path
	}
	return out
}

func routeFromDeck(r deck.Route) Route {
	return Route{Name: r.Name, Protocols: r.Protocols, Methods: r.Methods, Hosts: r.Hosts,
		Paths: r.Paths, Headers: r.Headers, StripPath: r.StripPath, PreserveHost: r.PreserveHost,
		RegexPriority: r.RegexPriority, PathHandling: cmp.Or(r.PathHandling, "v0"), Tags: r.Tags}
}

func pluginFromDeck(p deck.Plugin) Plugin {
	cfg := p.Config
	if cfg == nil {
		cfg = map[string]any{}
	}
	protocols := p.Protocols
	if len(protocols) == 0 {
		protocols = deck.DefaultPluginProtocols()
	}
	return Plugin{Name: p.Name, Config: cfg, Enabled: p.Enabled, Protocols: protocols, Tags: p.Tags}
}

// ApplyError is a change the Admin API refused; the changes before it were made (the Admin
// API has no transactions), the ones after it were not.
type ApplyError struct {
	Change  Change
	Applied int
	Err     error
}

func (e *ApplyError) Error() string {
	return fmt.Sprintf("%s %s %s: %v (%d changes made before it)", e.Change.Action, e.Change.Kind, e.Change.Name, e.Err, e.Applied)
}

func (e *ApplyError) Unwrap() error { return e.Err }

// Apply makes the plan's creates and updates with PUT (an upsert: services and routes by name,
// or id when unnamed; plugins by id), in dependency order. It deletes nothing.
func (c *Client) Apply(ctx context.Context, p *Plan) error {
	svcIDs := map[string]string{} // file reference (name, or id) -> server id
	rtIDs := map[string]string{}
	for _, ch := range p.Changes {
		switch ch.Kind {
		case "service":
			svcIDs[ch.key] = ch.ID
		case "route":
			rtIDs[ch.key] = ch.ID
		}
	}
	ref := func(ids map[string]string, key string) *Ref {
		if key == "" {
			return nil
		}
		return &Ref{ID: cmp.Or(ids[key], key)}
	}
	applied := 0
	for _, ch := range p.Changes {
		if ch.Action != Create && ch.Action != Update {
			continue
		}
		var err error
		switch ch.Kind {
		case "service":
			body := *ch.service
			body.Name = "" // the URL names it
			var got Service
			if got, err = c.PutService(ctx, ch.key, body); err == nil {
				svcIDs[ch.key] = got.ID
			}
		case "route":
			body := *ch.route
			body.Name = ""
			body.Service = ref(svcIDs, ch.svcRef)
			var got Route
			if got, err = c.PutRoute(ctx, ch.key, body); err == nil {
				rtIDs[ch.key] = got.ID
			}
		case "plugin":
			body := *ch.plugin
			body.Service, body.Route = ref(svcIDs, ch.svcRef), ref(rtIDs, ch.rtRef)
			_, err = c.PutPlugin(ctx, ch.key, body)
		}
		if err != nil {
			return &ApplyError{Change: ch, Applied: applied, Err: err}
		}
		applied++
	}
	return nil
}

// Label is a one-line description of a change, for a diff.
func (ch Change) Label() string { return ch.Kind + " " + ch.Name }

// String shows a field change's values as JSON (secrets already redacted).
func (f FieldChange) String() string {
	show := func(v any) string {
		if v == nil {
			return "null"
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return strings.ReplaceAll(string(b), `"`+deck.Redacted+`"`, deck.Redacted)
	}
	return fmt.Sprintf("%s: %s → %s", f.Field, show(f.Old), show(f.New))
}
