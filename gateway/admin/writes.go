package admin

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/oidclab/oidclab/gateway/deck"
)

// Kong's write endpoints for services and routes (and PUT for plugins), so that tools that
// upsert entity by entity — `oidclab kong apply`, Kong's own clients — work against oidclab as
// they do against Kong with a database. Every change goes through Gateway.Update: validated
// with the whole configuration, applied atomically or not at all.

func (a *api) registerWrites(mux *http.ServeMux) {
	services, routes := a.serviceWrites(), a.routeWrites()
	mux.HandleFunc("POST /services", withBody(services.create))
	mux.HandleFunc("PUT /services/{service}", withBody(services.put))
	mux.HandleFunc("PATCH /services/{service}", withBody(services.patch))
	mux.HandleFunc("DELETE /services/{service}", services.delete)

	mux.HandleFunc("POST /routes", withBody(routes.create))
	mux.HandleFunc("POST /services/{service}/routes", withBody(routes.create))
	mux.HandleFunc("PUT /routes/{route}", withBody(routes.put))
	mux.HandleFunc("PATCH /routes/{route}", withBody(routes.patch))
	mux.HandleFunc("DELETE /routes/{route}", routes.delete)

	mux.HandleFunc("PUT /plugins/{id}", withBody(a.putPlugin))
}

// conflictError is Kong's 409 "unique constraint violation": another entity has the name.
type conflictError struct{ field, value string }

func (e *conflictError) Error() string { return "unique constraint violation" }

// referencedError is Kong's 400 "foreign key violation" for deleting an entity others need.
type referencedError struct{ parent, child string }

func (e *referencedError) Error() string { return "foreign key violation" }

// primaryKeyError is Kong's 400 "primary key violation": an id given to a create exists.
type primaryKeyError struct{ id string }

func (e *primaryKeyError) Error() string { return "primary key violation" }

// answerWriteError adds Kong's conflict and reference errors to answerUpdateError's.
func (a *api) answerWriteError(w http.ResponseWriter, err error, entityPath string) bool {
	var ce *conflictError
	var re *referencedError
	var pe *primaryKeyError
	switch {
	case errors.As(err, &ce):
		writeJSON(w, http.StatusConflict, map[string]any{
			"code": 5, "name": "unique constraint violation",
			"message": fmt.Sprintf("UNIQUE violation detected on '{%s=%q}'", ce.field, ce.value),
			"fields":  map[string]any{ce.field: ce.value},
		})
		return true
	case errors.As(err, &re):
		writeJSON(w, http.StatusBadRequest, map[string]any{
			"code": 4, "name": "foreign key violation",
			"message": fmt.Sprintf("an existing '%s' entity references this '%s' entity", re.child, re.parent),
			"fields":  map[string]any{"@referenced_by": re.child},
		})
		return true
	case errors.As(err, &pe):
		writeJSON(w, http.StatusBadRequest, map[string]any{
			"code": 3, "name": "primary key violation",
			"message": fmt.Sprintf("primary key violation on key '{id=%q}'", pe.id),
			"fields":  map[string]any{"id": pe.id},
		})
		return true
	}
	return a.answerUpdateError(w, err, entityPath)
}

// idChangeError refuses a body that gives an existing entity another id, as Kong does.
func idChangeError() error {
	return &inputError{[]deck.Problem{{Path: "id", Message: "the id of an existing entity cannot be changed"}}}
}

// entityWrites is Kong's write flow for services or routes. The flow is the same for both; what
// an entity brings to it is in serviceWrites and routeWrites, side by side.
type entityWrites[E any] struct {
	a        *api
	section  string // "services": the config's list, and the start of an entity's path
	param    string // the path parameter that names or identifies the entity in the URL
	list     func(cfg *deck.Config) *[]E
	keys     func(e *E) (id, name *string)
	pos      func(e *E) *deck.Pos
	defaults func() E // Kong's defaults, before the request's fields
	apply    func(cfg *deck.Config, e *E, in map[string]any, create bool) []deck.Problem
	// scope, when set, lets a create take a parent from the URL before the body is read.
	scope func(r *http.Request, cfg *deck.Config, e *E, in map[string]any) error
	// renamed keeps children attached when a name changes: the decK config refers to a parent
	// by name (by id when it has none).
	renamed func(cfg *deck.Config, old, updated E)
	// unlink runs before a delete: it refuses one Kong refuses, or removes what Kong cascades.
	unlink func(cfg *deck.Config, e E) error
	view   func(v entityView, e E) any
}

func (a *api) serviceWrites() *entityWrites[deck.Service] {
	return &entityWrites[deck.Service]{
		a: a, section: "services", param: "service",
		list: func(cfg *deck.Config) *[]deck.Service { return &cfg.Services },
		keys: func(s *deck.Service) (*string, *string) { return &s.ID, &s.Name },
		pos:  func(s *deck.Service) *deck.Pos { return &s.Pos },
		defaults: func() deck.Service {
			return deck.Service{Protocol: "http", Port: 80, ConnectTimeout: 60000, ReadTimeout: 60000,
				WriteTimeout: 60000, Retries: 5, Enabled: true}
		},
		apply: func(_ *deck.Config, s *deck.Service, in map[string]any, create bool) []deck.Problem {
			return applyServiceInput(s, in, create)
		},
		renamed: func(cfg *deck.Config, old, updated deck.Service) {
			from, to := cmp.Or(old.Name, old.ID), cmp.Or(updated.Name, updated.ID)
			if from == to {
				return
			}
			for i := range cfg.Routes {
				if cfg.Routes[i].Service == from {
					cfg.Routes[i].Service = to
				}
			}
			for i := range cfg.Plugins {
				if cfg.Plugins[i].Service == from {
					cfg.Plugins[i].Service = to
				}
			}
		},
		unlink: func(cfg *deck.Config, s deck.Service) error {
			if slices.ContainsFunc(cfg.Routes, func(rt deck.Route) bool { return refersTo(rt.Service, s.Name, s.ID) }) {
				return &referencedError{parent: "services", child: "routes"}
			}
			cfg.Plugins = slices.DeleteFunc(cfg.Plugins, func(p deck.Plugin) bool { return refersTo(p.Service, s.Name, s.ID) })
			return nil
		},
		view: func(v entityView, s deck.Service) any { return v.service(s) },
	}
}

func (a *api) routeWrites() *entityWrites[deck.Route] {
	return &entityWrites[deck.Route]{
		a: a, section: "routes", param: "route",
		list: func(cfg *deck.Config) *[]deck.Route { return &cfg.Routes },
		keys: func(r *deck.Route) (*string, *string) { return &r.ID, &r.Name },
		pos:  func(r *deck.Route) *deck.Pos { return &r.Pos },
		defaults: func() deck.Route {
			return deck.Route{Protocols: []string{"http", "https"}, StripPath: true, PathHandling: "v0"}
		},
		apply: applyRouteInput,
		scope: func(r *http.Request, cfg *deck.Config, rt *deck.Route, in map[string]any) error {
			ref := r.PathValue("service")
			if ref == "" {
				return nil
			}
			s := findService(cfg, ref)
			if s == nil {
				return errNotFound
			}
			rt.Service = cmp.Or(s.Name, s.ID)
			if _, ok := in["service"]; ok {
				return &inputError{[]deck.Problem{{Path: "service", Message: "the service is given by the URL"}}}
			}
			return nil
		},
		renamed: func(cfg *deck.Config, old, updated deck.Route) {
			from, to := cmp.Or(old.Name, old.ID), cmp.Or(updated.Name, updated.ID)
			if from == to {
				return
			}
			for i := range cfg.Plugins {
				if cfg.Plugins[i].Route == from {
					cfg.Plugins[i].Route = to
				}
			}
		},
		unlink: func(cfg *deck.Config, rt deck.Route) error {
			cfg.Plugins = slices.DeleteFunc(cfg.Plugins, func(p deck.Plugin) bool { return refersTo(p.Route, rt.Name, rt.ID) })
			return nil
		},
		view: func(v entityView, rt deck.Route) any { return v.route(rt) },
	}
}

func (k *entityWrites[E]) ident(e E) (id, name string) {
	i, n := k.keys(&e)
	return *i, *n
}

// index finds an entity by name or id, as findService does.
func (k *entityWrites[E]) index(cfg *deck.Config, ref string) int {
	return slices.IndexFunc(*k.list(cfg), func(e E) bool {
		id, name := k.ident(e)
		return ref != "" && (id == ref || name == ref)
	})
}

// checkName refuses a name another entity (not index self) has, with Kong's 409.
func (k *entityWrites[E]) checkName(cfg *deck.Config, e E, self int) error {
	_, name := k.ident(e)
	for i, x := range *k.list(cfg) {
		if _, n := k.ident(x); i != self && name != "" && n == name {
			return &conflictError{"name", name}
		}
	}
	return nil
}

// checkNewID refuses an id the body gives a new entity when another entity has it.
func (k *entityWrites[E]) checkNewID(cfg *deck.Config, e E) error {
	if id, _ := k.ident(e); id != "" && k.index(cfg, id) >= 0 {
		return &primaryKeyError{id}
	}
	return nil
}

// add appends a new entity, with an id of its own unless the body gave one.
func (k *entityWrites[E]) add(cfg *deck.Config, e *E) {
	id, _ := k.keys(e)
	*id = cmp.Or(*id, deck.NewID())
	list := k.list(cfg)
	k.pos(e).Path = fmt.Sprintf("%s.%d", k.section, len(*list))
	*list = append(*list, *e)
}

func (k *entityWrites[E]) answer(v entityView, id string) any {
	return k.view(v, (*k.list(v.cfg))[k.index(v.cfg, id)])
}

func (k *entityWrites[E]) create(w http.ResponseWriter, r *http.Request, in entityBody) {
	k.a.change(w, http.StatusCreated, func(cfg *deck.Config) (string, string, error) {
		e := k.defaults()
		if k.scope != nil {
			if err := k.scope(r, cfg, &e, in.fields); err != nil {
				return "", "", err
			}
		}
		if probs := k.apply(cfg, &e, in.fields, true); len(probs) > 0 {
			return "", "", &inputError{probs}
		}
		if err := k.checkNewID(cfg, e); err != nil {
			return "", "", err
		}
		if err := k.checkName(cfg, e, -1); err != nil {
			return "", "", err
		}
		k.add(cfg, &e)
		id, _ := k.ident(e)
		return id, k.pos(&e).Path, nil
	}, k.answer)
}

// put is Kong's upsert: the entity named (or, for a UUID, identified) by the URL is replaced
// by the body on top of Kong's defaults, or created. The answer is 200 either way.
func (k *entityWrites[E]) put(w http.ResponseWriter, r *http.Request, in entityBody) {
	key := r.PathValue(k.param)
	k.a.change(w, http.StatusOK, func(cfg *deck.Config) (string, string, error) {
		e := k.defaults()
		if probs := k.apply(cfg, &e, in.fields, true); len(probs) > 0 {
			return "", "", &inputError{probs}
		}
		id, name := k.keys(&e)
		if probs := putKey(key, id, name); len(probs) > 0 {
			return "", "", &inputError{probs}
		}
		list := k.list(cfg)
		i := -1
		if deck.IsUUID(key) {
			i = k.index(cfg, key)
		} else {
			i = slices.IndexFunc(*list, func(x E) bool { _, n := k.ident(x); return n == key })
		}
		if err := k.checkName(cfg, e, i); err != nil {
			return "", "", err
		}
		if i < 0 {
			if err := k.checkNewID(cfg, e); err != nil {
				return "", "", err
			}
			k.add(cfg, &e)
		} else {
			old := (*list)[i]
			oldID, _ := k.ident(old)
			if *id != "" && *id != oldID {
				return "", "", idChangeError()
			}
			*id, *k.pos(&e) = oldID, *k.pos(&old)
			(*list)[i] = e
			k.renamed(cfg, old, e)
		}
		return *id, k.pos(&e).Path, nil
	}, k.answer)
}

// putKey takes the entity's id or name from the URL of a PUT: a UUID is the id, anything else
// the name; the body may repeat it but not contradict it (Kong refuses that too).
func putKey(key string, id, name *string) []deck.Problem {
	if deck.IsUUID(key) {
		if *id != "" && *id != key {
			return []deck.Problem{{Path: "id", Message: "the id in the URL and in the body differ"}}
		}
		*id = key
		return nil
	}
	if *name != "" && *name != key {
		return []deck.Problem{{Path: "name", Message: "the name in the URL and in the body differ"}}
	}
	*name = key
	return nil
}

func (k *entityWrites[E]) patch(w http.ResponseWriter, r *http.Request, in entityBody) {
	key := r.PathValue(k.param)
	k.a.change(w, http.StatusOK, func(cfg *deck.Config) (string, string, error) {
		i := k.index(cfg, key)
		if i < 0 {
			return "", "", errNotFound
		}
		old := (*k.list(cfg))[i]
		e := (*k.list(cfg.Clone()))[i] // a deep copy: the patch must not touch old's lists
		path := cmp.Or(k.pos(&e).Path, fmt.Sprintf("%s.%d", k.section, i))
		if probs := k.apply(cfg, &e, in.fields, false); len(probs) > 0 {
			return "", path, &inputError{probs}
		}
		id, _ := k.ident(e)
		if oldID, _ := k.ident(old); id != oldID {
			return "", path, idChangeError()
		}
		if err := k.checkName(cfg, e, i); err != nil {
			return "", path, err
		}
		(*k.list(cfg))[i] = e
		k.renamed(cfg, old, e)
		return id, path, nil
	}, k.answer)
}

func (k *entityWrites[E]) delete(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue(k.param)
	k.a.change(w, http.StatusNoContent, func(cfg *deck.Config) (string, string, error) {
		i := k.index(cfg, key)
		if i < 0 {
			return "", "", errNotFound
		}
		if err := k.unlink(cfg, (*k.list(cfg))[i]); err != nil {
			return "", "", err
		}
		list := k.list(cfg)
		*list = slices.Delete(*list, i, i+1)
		return "", "", nil
	}, nil)
}

// putPlugin is Kong's plugin upsert by id: the body replaces the plugin (config included, on
// top of nothing: the plugin fills its own defaults), or creates it with that id.
func (a *api) putPlugin(w http.ResponseWriter, r *http.Request, in entityBody) {
	id := r.PathValue("id")
	if !deck.IsUUID(id) {
		writeJSON(w, http.StatusBadRequest, schemaViolation([]deck.Problem{{Path: "id", Message: "expected a valid UUID"}}, ""))
		return
	}
	a.change(w, http.StatusOK, func(cfg *deck.Config) (string, string, error) {
		p := deck.Plugin{Enabled: true, Protocols: deck.DefaultPluginProtocols()}
		if probs := applyPluginInput(cfg, &p, in.fields, true); len(probs) > 0 {
			return "", "", &inputError{probs}
		}
		if p.ID != "" && p.ID != id {
			return "", "", &inputError{[]deck.Problem{{Path: "id", Message: "the id in the URL and in the body differ"}}}
		}
		p.ID = id
		if i := findPlugin(cfg, id); i >= 0 {
			old := cfg.Plugins[i]
			// A GET-modify-PUT sends the redacted secrets back: they mean "keep".
			unredact(p.Config, old.Config)
			p.Pos = old.Pos
			cfg.Plugins[i] = p
		} else {
			p.Pos.Path = fmt.Sprintf("plugins.%d", len(cfg.Plugins))
			cfg.Plugins = append(cfg.Plugins, p)
		}
		if in.form {
			a.coerceFormConfig(&cfg.Plugins[findPlugin(cfg, id)], in.fields)
		}
		return id, p.Pos.Path, nil
	}, answerPlugin)
}
