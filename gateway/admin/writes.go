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
	mux.HandleFunc("POST /services", a.createService)
	mux.HandleFunc("PUT /services/{service}", a.putService)
	mux.HandleFunc("PATCH /services/{service}", a.patchService)
	mux.HandleFunc("DELETE /services/{service}", a.deleteService)

	mux.HandleFunc("POST /routes", a.createRoute)
	mux.HandleFunc("POST /services/{service}/routes", a.createRoute)
	mux.HandleFunc("PUT /routes/{route}", a.putRoute)
	mux.HandleFunc("PATCH /routes/{route}", a.patchRoute)
	mux.HandleFunc("DELETE /routes/{route}", a.deleteRoute)

	mux.HandleFunc("PUT /plugins/{id}", a.putPlugin)
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

// defaultService is a service with Kong's defaults, before the request's fields.
func defaultService() deck.Service {
	return deck.Service{Protocol: "http", Port: 80, ConnectTimeout: 60000, ReadTimeout: 60000,
		WriteTimeout: 60000, Retries: 5, Enabled: true}
}

// defaultRoute is a route with Kong's defaults, before the request's fields.
func defaultRoute() deck.Route {
	return deck.Route{Protocols: []string{"http", "https"}, StripPath: true, PathHandling: "v0"}
}

// serviceIndex finds a service by name or id, as findService does.
func serviceIndex(cfg *deck.Config, ref string) int {
	return slices.IndexFunc(cfg.Services, func(s deck.Service) bool { return ref != "" && (s.ID == ref || s.Name == ref) })
}

func routeIndex(cfg *deck.Config, ref string) int {
	return slices.IndexFunc(cfg.Routes, func(r deck.Route) bool { return ref != "" && (r.ID == ref || r.Name == ref) })
}

// checkServiceName refuses a name another service (not index self) has, with Kong's 409.
func checkServiceName(cfg *deck.Config, name string, self int) error {
	for i, s := range cfg.Services {
		if i != self && name != "" && s.Name == name {
			return &conflictError{"name", name}
		}
	}
	return nil
}

func checkRouteName(cfg *deck.Config, name string, self int) error {
	for i, r := range cfg.Routes {
		if i != self && name != "" && r.Name == name {
			return &conflictError{"name", name}
		}
	}
	return nil
}

// renameService keeps routes and plugins attached when a service's name changes: the decK
// config refers to a parent by name (by id when it has none).
func renameService(cfg *deck.Config, old, updated deck.Service) {
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
}

func renameRoute(cfg *deck.Config, old, updated deck.Route) {
	from, to := cmp.Or(old.Name, old.ID), cmp.Or(updated.Name, updated.ID)
	if from == to {
		return
	}
	for i := range cfg.Plugins {
		if cfg.Plugins[i].Route == from {
			cfg.Plugins[i].Route = to
		}
	}
}

func (a *api) createService(w http.ResponseWriter, r *http.Request) {
	in, err := readEntityBody(w, r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	var id, path string
	err = a.gw.Update(func(cfg *deck.Config) error {
		s := defaultService()
		if probs := applyServiceInput(&s, in.fields, true); len(probs) > 0 {
			return &inputError{probs}
		}
		if s.ID != "" && findService(cfg, s.ID) != nil {
			return &primaryKeyError{s.ID}
		}
		if err := checkServiceName(cfg, s.Name, -1); err != nil {
			return err
		}
		s.ID = cmp.Or(s.ID, deck.NewID())
		id = s.ID
		s.Pos.Path = fmt.Sprintf("services.%d", len(cfg.Services))
		path = s.Pos.Path
		cfg.Services = append(cfg.Services, s)
		return nil
	})
	if a.answerWriteError(w, err, path) {
		return
	}
	v := a.view()
	writeJSON(w, http.StatusCreated, v.service(*findService(v.cfg, id)))
}

// putService is Kong's upsert: the entity named (or, for a UUID, identified) by the URL is
// replaced by the body on top of Kong's defaults, or created. The answer is 200 either way.
func (a *api) putService(w http.ResponseWriter, r *http.Request) {
	in, err := readEntityBody(w, r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	key := r.PathValue("service")
	var id, path string
	err = a.gw.Update(func(cfg *deck.Config) error {
		s := defaultService()
		if probs := applyServiceInput(&s, in.fields, true); len(probs) > 0 {
			return &inputError{probs}
		}
		if probs := putKey(key, &s.ID, &s.Name); len(probs) > 0 {
			return &inputError{probs}
		}
		i := -1
		if deck.IsUUID(key) {
			i = serviceIndex(cfg, key)
		} else {
			i = slices.IndexFunc(cfg.Services, func(x deck.Service) bool { return x.Name == key })
		}
		if err := checkServiceName(cfg, s.Name, i); err != nil {
			return err
		}
		if i < 0 {
			if s.ID != "" && findService(cfg, s.ID) != nil {
				return &primaryKeyError{s.ID}
			}
			s.ID = cmp.Or(s.ID, deck.NewID())
			s.Pos.Path = fmt.Sprintf("services.%d", len(cfg.Services))
			cfg.Services = append(cfg.Services, s)
		} else {
			old := cfg.Services[i]
			if s.ID != "" && s.ID != old.ID {
				return &inputError{[]deck.Problem{{Path: "id", Message: "the id of an existing entity cannot be changed"}}}
			}
			s.ID, s.Pos = old.ID, old.Pos
			cfg.Services[i] = s
			renameService(cfg, old, s)
		}
		id, path = s.ID, s.Pos.Path
		return nil
	})
	if a.answerWriteError(w, err, path) {
		return
	}
	v := a.view()
	writeJSON(w, http.StatusOK, v.service(*findService(v.cfg, id)))
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

func (a *api) patchService(w http.ResponseWriter, r *http.Request) {
	in, err := readEntityBody(w, r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	key := r.PathValue("service")
	var id, path string
	err = a.gw.Update(func(cfg *deck.Config) error {
		i := serviceIndex(cfg, key)
		if i < 0 {
			return errNotFound
		}
		old := cfg.Services[i]
		s := old
		s.Tags = slices.Clone(old.Tags)
		path = s.Pos.Path
		if path == "" {
			path = fmt.Sprintf("services.%d", i)
		}
		if probs := applyServiceInput(&s, in.fields, false); len(probs) > 0 {
			return &inputError{probs}
		}
		if s.ID != old.ID {
			return &inputError{[]deck.Problem{{Path: "id", Message: "the id of an existing entity cannot be changed"}}}
		}
		if err := checkServiceName(cfg, s.Name, i); err != nil {
			return err
		}
		cfg.Services[i] = s
		renameService(cfg, old, s)
		id = s.ID
		return nil
	})
	if a.answerWriteError(w, err, path) {
		return
	}
	v := a.view()
	writeJSON(w, http.StatusOK, v.service(*findService(v.cfg, id)))
}

// deleteService refuses while routes use the service, as Kong does; the service's plugins go
// with it (Kong cascades them).
func (a *api) deleteService(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("service")
	err := a.gw.Update(func(cfg *deck.Config) error {
		i := serviceIndex(cfg, key)
		if i < 0 {
			return errNotFound
		}
		s := cfg.Services[i]
		if slices.ContainsFunc(cfg.Routes, func(rt deck.Route) bool { return refersTo(rt.Service, s.Name, s.ID) }) {
			return &referencedError{parent: "services", child: "routes"}
		}
		cfg.Plugins = slices.DeleteFunc(cfg.Plugins, func(p deck.Plugin) bool { return refersTo(p.Service, s.Name, s.ID) })
		cfg.Services = slices.Delete(cfg.Services, i, i+1)
		return nil
	})
	if a.answerWriteError(w, err, "") {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) createRoute(w http.ResponseWriter, r *http.Request) {
	in, err := readEntityBody(w, r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	var id, path string
	err = a.gw.Update(func(cfg *deck.Config) error {
		rt := defaultRoute()
		if ref := r.PathValue("service"); ref != "" {
			s := findService(cfg, ref)
			if s == nil {
				return errNotFound
			}
			rt.Service = cmp.Or(s.Name, s.ID)
			if _, ok := in.fields["service"]; ok {
				return &inputError{[]deck.Problem{{Path: "service", Message: "the service is given by the URL"}}}
			}
		}
		if probs := applyRouteInput(cfg, &rt, in.fields, true); len(probs) > 0 {
			return &inputError{probs}
		}
		if rt.ID != "" && findRoute(cfg, rt.ID) != nil {
			return &primaryKeyError{rt.ID}
		}
		if err := checkRouteName(cfg, rt.Name, -1); err != nil {
			return err
		}
		rt.ID = cmp.Or(rt.ID, deck.NewID())
		id = rt.ID
		rt.Pos.Path = fmt.Sprintf("routes.%d", len(cfg.Routes))
		path = rt.Pos.Path
		cfg.Routes = append(cfg.Routes, rt)
		return nil
	})
	if a.answerWriteError(w, err, path) {
		return
	}
	v := a.view()
	writeJSON(w, http.StatusCreated, v.route(*findRoute(v.cfg, id)))
}

func (a *api) putRoute(w http.ResponseWriter, r *http.Request) {
	in, err := readEntityBody(w, r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	key := r.PathValue("route")
	var id, path string
	err = a.gw.Update(func(cfg *deck.Config) error {
		rt := defaultRoute()
		if probs := applyRouteInput(cfg, &rt, in.fields, true); len(probs) > 0 {
			return &inputError{probs}
		}
		if probs := putKey(key, &rt.ID, &rt.Name); len(probs) > 0 {
			return &inputError{probs}
		}
		i := -1
		if deck.IsUUID(key) {
			i = routeIndex(cfg, key)
		} else {
			i = slices.IndexFunc(cfg.Routes, func(x deck.Route) bool { return x.Name == key })
		}
		if err := checkRouteName(cfg, rt.Name, i); err != nil {
			return err
		}
		if i < 0 {
			if rt.ID != "" && findRoute(cfg, rt.ID) != nil {
				return &primaryKeyError{rt.ID}
			}
			rt.ID = cmp.Or(rt.ID, deck.NewID())
			rt.Pos.Path = fmt.Sprintf("routes.%d", len(cfg.Routes))
			cfg.Routes = append(cfg.Routes, rt)
		} else {
			old := cfg.Routes[i]
			if rt.ID != "" && rt.ID != old.ID {
				return &inputError{[]deck.Problem{{Path: "id", Message: "the id of an existing entity cannot be changed"}}}
			}
			rt.ID, rt.Pos = old.ID, old.Pos
			cfg.Routes[i] = rt
			renameRoute(cfg, old, rt)
		}
		id, path = rt.ID, rt.Pos.Path
		return nil
	})
	if a.answerWriteError(w, err, path) {
		return
	}
	v := a.view()
	writeJSON(w, http.StatusOK, v.route(*findRoute(v.cfg, id)))
}

func (a *api) patchRoute(w http.ResponseWriter, r *http.Request) {
	in, err := readEntityBody(w, r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	key := r.PathValue("route")
	var id, path string
	err = a.gw.Update(func(cfg *deck.Config) error {
		i := routeIndex(cfg, key)
		if i < 0 {
			return errNotFound
		}
		old := cfg.Routes[i]
		rt := cfg.Clone().Routes[i] // a deep copy: the patch must not touch old's lists
		path = rt.Pos.Path
		if path == "" {
			path = fmt.Sprintf("routes.%d", i)
		}
		if probs := applyRouteInput(cfg, &rt, in.fields, false); len(probs) > 0 {
			return &inputError{probs}
		}
		if rt.ID != old.ID {
			return &inputError{[]deck.Problem{{Path: "id", Message: "the id of an existing entity cannot be changed"}}}
		}
		if err := checkRouteName(cfg, rt.Name, i); err != nil {
			return err
		}
		cfg.Routes[i] = rt
		renameRoute(cfg, old, rt)
		id = rt.ID
		return nil
	})
	if a.answerWriteError(w, err, path) {
		return
	}
	v := a.view()
	writeJSON(w, http.StatusOK, v.route(*findRoute(v.cfg, id)))
}

// deleteRoute removes the route and its plugins (Kong cascades them).
func (a *api) deleteRoute(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("route")
	err := a.gw.Update(func(cfg *deck.Config) error {
		i := routeIndex(cfg, key)
		if i < 0 {
			return errNotFound
		}
		rt := cfg.Routes[i]
		cfg.Plugins = slices.DeleteFunc(cfg.Plugins, func(p deck.Plugin) bool { return refersTo(p.Route, rt.Name, rt.ID) })
		cfg.Routes = slices.Delete(cfg.Routes, i, i+1)
		return nil
	})
	if a.answerWriteError(w, err, "") {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// putPlugin is Kong's plugin upsert by id: the body replaces the plugin (config included, on
// top of nothing: the plugin fills its own defaults), or creates it with that id.
func (a *api) putPlugin(w http.ResponseWriter, r *http.Request) {
	in, err := readEntityBody(w, r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	id := r.PathValue("id")
	if !deck.IsUUID(id) {
		writeJSON(w, http.StatusBadRequest, schemaViolation([]deck.Problem{{Path: "id", Message: "expected a valid UUID"}}, ""))
		return
	}
	var path string
	err = a.gw.Update(func(cfg *deck.Config) error {
		p := deck.Plugin{Enabled: true, Protocols: deck.DefaultPluginProtocols()}
		if probs := applyPluginInput(cfg, &p, in.fields, true); len(probs) > 0 {
			return &inputError{probs}
		}
		if p.ID != "" && p.ID != id {
			return &inputError{[]deck.Problem{{Path: "id", Message: "the id in the URL and in the body differ"}}}
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
		path = p.Pos.Path
		return nil
	})
	if a.answerWriteError(w, err, path) {
		return
	}
	v := a.view()
	writeJSON(w, http.StatusOK, v.plugin(v.cfg.Plugins[findPlugin(v.cfg, id)]))
}
