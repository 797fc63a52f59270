// Package admin is Kong's Admin API (DB-less flavour) over an oidclab gateway: read services,
// routes and plugins; create, patch and delete plugins; replace the whole configuration with
// POST /config. Answers have Kong 3.x's shapes, status codes and error bodies, so tools written
// against Kong read them unchanged; secret plugin config fields are shown as deck.Redacted.
package admin

import (
	"bytes"
	"cmp"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/deck"
)

// adminMaxBody caps admin request bodies; POST /config gets the decK loader's own limit.
const adminMaxBody = 1 << 20

// msgUnexpected is Kong's body text for a 500.
const msgUnexpected = "An unexpected error occurred"

// Options configure the admin API. The zero value works: logs discarded.
type Options struct {
	Logger *slog.Logger
}

type api struct {
	gw      *gateway.Gateway
	log     *slog.Logger
	plugins gateway.Plugins
}

// New returns the admin API of gw. Every change is applied with gw.Apply's guarantees (all
// problems reported at once, the running configuration untouched on error, requests in flight
// unaffected). Serve it on loopback only: it can change what the gateway does. Requests a web
// page makes (cross-site forms, DNS rebinding) are refused with 403.
func New(gw *gateway.Gateway, opts Options) http.Handler {
	a := &api{gw: gw, log: opts.Logger, plugins: gw.Plugins()}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.root)
	mux.HandleFunc("GET /status", a.status)

	mux.HandleFunc("GET /services", a.listServices)
	mux.HandleFunc("GET /services/{service}", a.getService)
	mux.HandleFunc("GET /services/{service}/routes", a.listRoutes)
	mux.HandleFunc("GET /services/{service}/plugins", a.listPlugins)
	mux.HandleFunc("POST /services/{service}/plugins", withBody(a.createPlugin))

	mux.HandleFunc("GET /routes", a.listRoutes)
	mux.HandleFunc("GET /routes/{route}", a.getRoute)
	mux.HandleFunc("GET /routes/{route}/plugins", a.listPlugins)
	mux.HandleFunc("POST /routes/{route}/plugins", withBody(a.createPlugin))

	mux.HandleFunc("GET /plugins", a.listPlugins)
	mux.HandleFunc("POST /plugins", withBody(a.createPlugin))
	mux.HandleFunc("GET /plugins/enabled", a.enabledPlugins)
	mux.HandleFunc("GET /plugins/{id}", a.getPlugin)
	mux.HandleFunc("PATCH /plugins/{id}", withBody(a.patchPlugin))
	mux.HandleFunc("DELETE /plugins/{id}", a.deletePlugin)

	mux.HandleFunc("POST /config", a.postConfig)
	a.registerWrites(mux)

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if why := browserForgery(r); why != "" {
			writeJSON(w, http.StatusForbidden, map[string]string{"message": why})
			return
		}
		if _, pattern := mux.Handler(r); pattern == "" {
			// ServeMux's own 404/405 are plain text; Kong answers JSON.
			if allowed := allowedMethods(mux, r); len(allowed) > 0 {
				w.Header().Set("Allow", strings.Join(allowed, ", "))
				writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "Method not allowed"})
				return
			}
			writeNotFound(w)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// browserForgery says why a request looks sent by a web page rather than an admin client, or
// "". The user browses while oidclab runs (it opens the browser), and any site can make the
// browser POST a form to 127.0.0.1:8001 without a CORS preflight, replacing the whole
// configuration; a host name of the site's that resolves to 127.0.0.1 (DNS rebinding) even
// makes it same-origin. Admin clients (curl, decK, Kong's tools) send no Origin and no
// Sec-Fetch-Site, and reach a loopback listener by an IP address or localhost.
func browserForgery(r *http.Request) string {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return "admin API: refusing a request a web page made (Sec-Fetch-Site: " + site + ")"
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
			return "admin API: refusing a request from the web page at " + truncate(origin, 100)
		}
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if ap, err := netip.ParseAddrPort(a.String()); err == nil && ap.Addr().IsLoopback() {
			host := hostOf(r.Host)
			if _, err := netip.ParseAddr(host); err != nil && host != "localhost" && host != "" {
				return "admin API: refusing Host " + strconv.Quote(truncate(r.Host, 100)) +
					" on a loopback listener (a name that resolves to this machine can be a web page's); use an IP address or localhost"
			}
		}
	}
	return ""
}

// hostOf is the lower-cased host of a Host header value, without port or IPv6 brackets.
func hostOf(hostport string) string {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
	}
	return strings.ToLower(host)
}

func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var out []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := mux.Handler(probe); p != "" {
			out = append(out, m)
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"An unexpected error occurred"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Server", gateway.ServerHeader)
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func writeNotFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not found"})
}

// writeBodyError answers a body that could not be read: 413 when it is over the limit.
func writeBodyError(w http.ResponseWriter, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeJSON(w, http.StatusRequestEntityTooLarge,
			map[string]string{"message": fmt.Sprintf("request body larger than %d bytes", tooBig.Limit)})
		return
	}
	writeBadRequest(w, err.Error())
}

func writeBadRequest(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"message": msg})
}

// view renders the configuration being served, secrets redacted.
func (a *api) view() entityView {
	return entityView{gw: a.gw, cfg: deck.Redact(a.gw.Config())}
}

func (a *api) root(w http.ResponseWriter, r *http.Request) {
	host, _ := os.Hostname()
	available := map[string]any{}
	for _, n := range a.plugins.Names() {
		available[n] = map[string]any{"version": gateway.ServerHeader[len("kong/"):], "priority": nil}
	}
	var enabled []string
	for _, p := range a.gw.Config().Plugins {
		if !slices.Contains(enabled, p.Name) {
			enabled = append(enabled, p.Name)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"tagline":     "Welcome to kong",
		"version":     strings.TrimPrefix(gateway.ServerHeader, "kong/"),
		"edition":     "community",
		"hostname":    host,
		"node_id":     a.gw.NodeID(),
		"lua_version": "none (oidclab, " + runtime.Version() + ")",
		"plugins": map[string]any{
			"available_on_server": available,
			"enabled_in_cluster":  enabled,
		},
		"configuration": map[string]any{
			"database":      "off",
			"role":          "traditional",
			"router_flavor": "traditional_compatible",
			"trusted_ips":   a.trustedStrings(),
		},
	})
}

func (a *api) trustedStrings() []string {
	trusted := a.gw.TrustedIPs()
	out := make([]string, len(trusted))
	for i, p := range trusted {
		out[i] = p.String()
	}
	return out
}

// status reports what the gateway measures in Kong's /status shape. Fields oidclab cannot
// measure (nginx connection states, shared dict memory) are left out rather than invented.
func (a *api) status(w http.ResponseWriter, r *http.Request) {
	stats := a.gw.Stats()
	writeJSON(w, http.StatusOK, map[string]any{
		"database": map[string]any{"reachable": true},
		"server": map[string]any{
			"total_requests": stats.Requests,
			// Not Kong's connections_active (client connections, idle ones included): oidclab
			// counts requests being served, and says so.
			"requests_in_flight": stats.InFlight,
		},
		"configuration_hash": a.configHash(),
	})
}

// configHash is Kong's DB-less configuration_hash: 32 hex characters identifying the config.
// It covers the redacted configuration: /status needs no credentials, and a hash over the
// secrets would let anyone test guesses of a short secret offline.
func (a *api) configHash() string {
	b, _ := json.Marshal(deck.Redact(a.gw.Config()))
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

func (a *api) listServices(w http.ResponseWriter, r *http.Request) {
	v := a.view()
	out := list[serviceJSON]{Data: []serviceJSON{}}
	for _, s := range v.cfg.Services {
		out.Data = append(out.Data, v.service(s))
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *api) getService(w http.ResponseWriter, r *http.Request) {
	v := a.view()
	s := findService(v.cfg, r.PathValue("service"))
	if s == nil {
		writeNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, v.service(*s))
}

// pathScope resolves the {service} and {route} of a nested collection URL; a name or id that
// matches nothing is answered with 404 and ok is false.
func pathScope(w http.ResponseWriter, r *http.Request, cfg *deck.Config) (svc *deck.Service, rt *deck.Route, ok bool) {
	if ref := r.PathValue("service"); ref != "" {
		if svc = findService(cfg, ref); svc == nil {
			writeNotFound(w)
			return nil, nil, false
		}
	}
	if ref := r.PathValue("route"); ref != "" {
		if rt = findRoute(cfg, ref); rt == nil {
			writeNotFound(w)
			return nil, nil, false
		}
	}
	return svc, rt, true
}

// refersTo reports whether ref (a name, or an id for an unnamed entity) names the entity; an
// empty ref (no service, no route) names none, unnamed ones included.
func refersTo(ref, name, id string) bool { return ref != "" && (ref == name || ref == id) }

func (a *api) listRoutes(w http.ResponseWriter, r *http.Request) {
	v := a.view()
	svc, _, ok := pathScope(w, r, v.cfg)
	if !ok {
		return
	}
	out := list[routeJSON]{Data: []routeJSON{}}
	for _, rt := range v.cfg.Routes {
		if svc != nil && !refersTo(rt.Service, svc.Name, svc.ID) {
			continue
		}
		out.Data = append(out.Data, v.route(rt))
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *api) getRoute(w http.ResponseWriter, r *http.Request) {
	v := a.view()
	rt := findRoute(v.cfg, r.PathValue("route"))
	if rt == nil {
		writeNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, v.route(*rt))
}

func (a *api) listPlugins(w http.ResponseWriter, r *http.Request) {
	v := a.view()
	svc, rt, ok := pathScope(w, r, v.cfg)
	if !ok {
		return
	}
	out := list[pluginJSON]{Data: []pluginJSON{}}
	for _, p := range v.cfg.Plugins {
		if svc != nil && !refersTo(p.Service, svc.Name, svc.ID) {
			continue
		}
		if rt != nil && !refersTo(p.Route, rt.Name, rt.ID) {
			continue
		}
		out.Data = append(out.Data, v.plugin(p))
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *api) enabledPlugins(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"enabled_plugins": a.plugins.Names()})
}

func (a *api) getPlugin(w http.ResponseWriter, r *http.Request) {
	v := a.view()
	i := findPlugin(v.cfg, r.PathValue("id"))
	if i < 0 {
		writeNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, v.plugin(v.cfg.Plugins[i]))
}

// errNotFound tells an Update edit's caller to answer 404.
var errNotFound = errors.New("not found")

// inputError is a problem with the request itself, answered as a schema violation.
type inputError struct{ problems []deck.Problem }

func (e *inputError) Error() string { return fmt.Sprintf("%d problems", len(e.problems)) }

func (a *api) createPlugin(w http.ResponseWriter, r *http.Request, in entityBody) {
	a.change(w, http.StatusCreated, func(cfg *deck.Config) (string, string, error) {
		p := deck.Plugin{Enabled: true, Protocols: deck.DefaultPluginProtocols()}
		if ref := r.PathValue("service"); ref != "" {
			s := findService(cfg, ref)
			if s == nil {
				return "", "", errNotFound
			}
			p.Service = cmp.Or(s.Name, s.ID)
		}
		if ref := r.PathValue("route"); ref != "" {
			rt := findRoute(cfg, ref)
			if rt == nil {
				return "", "", errNotFound
			}
			p.Route = cmp.Or(rt.Name, rt.ID)
		}
		if probs := applyPluginInput(cfg, &p, in.fields, true); len(probs) > 0 {
			return "", "", &inputError{probs}
		}
		if in.form {
			a.coerceFormConfig(&p, in.fields)
		}
		if p.ID == "" {
			p.ID = deck.NewID()
		}
		if findPlugin(cfg, p.ID) >= 0 {
			return "", "", &inputError{[]deck.Problem{{Path: "id", Message: "already exists with value '" + p.ID + "'"}}}
		}
		p.Pos.Path = fmt.Sprintf("plugins.%d", len(cfg.Plugins))
		cfg.Plugins = append(cfg.Plugins, p)
		return p.ID, p.Pos.Path, nil
	}, answerPlugin)
}

func (a *api) patchPlugin(w http.ResponseWriter, r *http.Request, in entityBody) {
	id := r.PathValue("id")
	a.change(w, http.StatusOK, func(cfg *deck.Config) (string, string, error) {
		i := findPlugin(cfg, id)
		if i < 0 {
			return "", "", errNotFound
		}
		path := cfg.Plugins[i].Pos.Path
		if probs := applyPluginInput(cfg, &cfg.Plugins[i], in.fields, false); len(probs) > 0 {
			return "", path, &inputError{probs}
		}
		if in.form {
			a.coerceFormConfig(&cfg.Plugins[i], in.fields)
		}
		cfg.Plugins[i].ID = id // the id is not patchable
		return id, path, nil
	}, answerPlugin)
}

// deletePlugin answers 404 for an id that does not exist, where Kong answers 204: a 404 makes
// a mistyped id visible.
func (a *api) deletePlugin(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	a.change(w, http.StatusNoContent, func(cfg *deck.Config) (string, string, error) {
		i := findPlugin(cfg, id)
		if i < 0 {
			return "", "", errNotFound
		}
		cfg.Plugins = slices.Delete(cfg.Plugins, i, i+1)
		return "", "", nil
	}, nil)
}

func answerPlugin(v entityView, id string) any {
	return v.plugin(v.cfg.Plugins[findPlugin(v.cfg, id)])
}

// withBody reads the entity body before h runs, answering Kong's 400 for one it cannot read.
func withBody(h func(w http.ResponseWriter, r *http.Request, in entityBody)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		in, err := readEntityBody(w, r)
		if err != nil {
			writeBodyError(w, err)
			return
		}
		h(w, r, in)
	}
}

// change runs edit through the gateway's Update, so that the configuration is validated whole
// and replaced all or nothing, and answers as Kong does: the error, or status with what answer
// makes of the entity edit names (no body when answer is nil). edit says where the entity
// stands so that the configuration's problems with it are shown relative to it.
func (a *api) change(w http.ResponseWriter, status int, edit func(cfg *deck.Config) (id, path string, err error), answer func(v entityView, id string) any) {
	var id, path string
	err := a.gw.Update(func(cfg *deck.Config) error {
		var err error
		id, path, err = edit(cfg)
		return err
	})
	if a.answerWriteError(w, err, path) {
		return
	}
	if answer == nil {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, answer(a.view(), id))
}

// answerUpdateError writes the answer for a failed Update and reports whether it did. Problems
// under entityPath are shown relative to the entity, as Kong's field errors are.
func (a *api) answerUpdateError(w http.ResponseWriter, err error, entityPath string) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, errNotFound) {
		writeNotFound(w)
		return true
	}
	var ie *inputError
	if errors.As(err, &ie) {
		writeJSON(w, http.StatusBadRequest, schemaViolation(ie.problems, ""))
		return true
	}
	if de, ok := errors.AsType[*deck.Errors](err); ok {
		writeJSON(w, http.StatusBadRequest, schemaViolation(de.Problems, entityPath))
		return true
	}
	a.log.Error("admin API: configuration change failed", "error", err)
	writeJSON(w, http.StatusInternalServerError, map[string]string{"message": msgUnexpected})
	return true
}

// kongSchemaError is Kong's validation error body.
type kongSchemaError struct {
	Code    int            `json:"code"`
	Name    string         `json:"name"`
	Message string         `json:"message"`
	Fields  map[string]any `json:"fields"`
}

// schemaViolation renders problems as Kong's code 2 "schema violation", paths made relative to
// entityPath when they are under it.
func schemaViolation(problems []deck.Problem, entityPath string) kongSchemaError {
	fields := map[string]any{}
	var parts []string
	for _, p := range problems {
		path := p.Path
		if entityPath != "" {
			if rest, ok := strings.CutPrefix(path, entityPath+"."); ok {
				path = rest
			} else if path == entityPath {
				path = "@entity"
			}
		}
		setField(fields, path, p.Message)
		parts = append(parts, path+": "+p.Message)
	}
	msg := "schema violation (" + strings.Join(parts, "; ") + ")"
	if len(parts) > 1 {
		msg = fmt.Sprintf("%d schema violations (%s)", len(parts), strings.Join(parts, "; "))
	}
	return kongSchemaError{Code: 2, Name: "schema violation", Message: msg, Fields: fields}
}

// setField nests msg into fields along the dotted path ("config.issuer" ->
// {"config":{"issuer":msg}}).
func setField(fields map[string]any, path, msg string) {
	if path == "" {
		path = "@entity"
	}
	keys := strings.Split(path, ".")
	m := fields
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	last := keys[len(keys)-1]
	if prev, ok := m[last].(string); ok {
		msg = prev + "; " + msg
	}
	m[last] = msg
}

func (a *api) postConfig(w http.ResponseWriter, r *http.Request) {
	body, err := readConfigBody(r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	opts := a.plugins.LoadOptions()
	// Kong's /config does not render templates; refuse to read this process's environment.
	opts.LookupEnv = func(string) (string, bool) { return "", false }
	cfg, err := deck.Load(bytes.NewReader(body), "admin API", opts)
	if err == nil {
		err = a.gw.Apply(cfg)
	}
	if err != nil {
		de, ok := errors.AsType[*deck.Errors](err)
		if !ok {
			writeBadRequest(w, err.Error())
			return
		}
		fields := map[string]any{}
		for _, p := range de.Problems {
			setField(fields, p.Path, p.Message)
		}
		writeJSON(w, http.StatusBadRequest, kongSchemaError{
			Code: 14, Name: "invalid declarative configuration",
			Message: "declarative config is invalid: " + de.Error(), Fields: fields,
		})
		return
	}
	v := a.view()
	services, routes, plugins := map[string]any{}, map[string]any{}, map[string]any{}
	for _, s := range v.cfg.Services {
		services[s.ID] = v.service(s)
	}
	for _, rt := range v.cfg.Routes {
		routes[rt.ID] = v.route(rt)
	}
	for _, p := range v.cfg.Plugins {
		plugins[p.ID] = v.plugin(p)
	}
	writeJSON(w, http.StatusCreated, map[string]any{"services": services, "routes": routes, "plugins": plugins})
}

// readConfigBody accepts the declarative config as the raw body (YAML or JSON) or, as Kong
// does, in a "config" form field (urlencoded or multipart).
func readConfigBody(r *http.Request) ([]byte, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	r.Body = http.MaxBytesReader(nil, r.Body, deck.MaxFileSize)
	switch ct {
	case "application/x-www-form-urlencoded", "multipart/form-data":
		// ParseMultipartForm drops ParseForm's error on a urlencoded body (a body cut at the
		// limit would read as one without a config), so each kind gets its own parser.
		parse := r.ParseForm
		if ct == "multipart/form-data" {
			parse = func() error { return r.ParseMultipartForm(deck.MaxFileSize) }
		}
		if err := parse(); err != nil {
			return nil, fmt.Errorf("cannot read form: %w", err)
		}
		if v := r.FormValue("config"); v != "" {
			return []byte(v), nil
		}
		if f, _, err := r.FormFile("config"); err == nil {
			defer f.Close()
			return io.ReadAll(f)
		}
		return nil, errors.New("expected a declarative configuration in the 'config' field")
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, fmt.Errorf("cannot read body: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, errors.New("expected a declarative configuration")
	}
	return b, nil
}

// entityBody is an admin request body decoded into a generic record.
type entityBody struct {
	fields map[string]any
	form   bool // form-encoded: every value is a string until coerceFormConfig types it
}

// readEntityBody decodes a JSON or form-encoded entity body.
func readEntityBody(w http.ResponseWriter, r *http.Request) (entityBody, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, adminMaxBody))
	if err != nil {
		return entityBody{}, fmt.Errorf("cannot read body: %w", err)
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" {
		vals, err := url.ParseQuery(string(raw))
		if err != nil {
			return entityBody{}, fmt.Errorf("cannot parse form body: %v", err)
		}
		m, err := decodeForm(vals)
		return entityBody{fields: m, form: true}, err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return entityBody{fields: map[string]any{}}, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return entityBody{}, fmt.Errorf("Cannot parse JSON body")
	}
	return entityBody{fields: normalizeNumbers(m).(map[string]any)}, nil
}

// normalizeNumbers turns whole JSON numbers into ints, as the decK loader yields them from YAML,
// so plugins see the same types whichever way their config arrived.
func normalizeNumbers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = normalizeNumbers(x)
		}
	case []any:
		for i, x := range v {
			v[i] = normalizeNumbers(x)
		}
	case float64:
		if v == float64(int(v)) && v < 1<<53 && v > -(1<<53) {
			return int(v)
		}
	}
	return v
}
