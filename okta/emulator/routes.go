package emulator

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"sort"
	"strings"
	"time"
)

// maxBodyBytes bounds every request body; OAuth requests are small.
const maxBodyBytes = 64 << 10

// maxParamLen bounds a single recorded parameter value.
const maxRecordedParamLen = 256

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	preflight := map[string]struct{}{}
	as := func(pattern, endpoint string, h func(http.ResponseWriter, *http.Request, *AuthServer)) {
		var handler http.Handler = s.endpoint(endpoint, true, h)
		switch endpoint {
		case EndpointAuthorize, EndpointLogout: // browser navigations, not fetches
		default:
			handler = s.cors(handler)
			method, path, _ := strings.Cut(pattern, " ")
			if method == http.MethodGet || method == http.MethodPost {
				// One preflight route per path (GET and POST routes share it).
				if _, seen := preflight[path]; !seen {
					preflight[path] = struct{}{}
					mux.Handle("OPTIONS "+path, s.cors(http.NotFoundHandler()))
				}
			}
		}
		mux.Handle(pattern, handler)
	}
	as("GET /oauth2/{as}/.well-known/openid-configuration", EndpointDiscovery, s.handleOIDCDiscovery)
	as("GET /oauth2/{as}/.well-known/oauth-authorization-server", EndpointDiscovery, s.handleOAuthDiscovery)
	as("GET /.well-known/oauth-authorization-server/oauth2/{as}", EndpointDiscovery, s.handleOAuthDiscovery)
	as("GET /oauth2/{as}/v1/authorize", EndpointAuthorize, s.handleAuthorize)
	as("POST /oauth2/{as}/v1/authorize", EndpointAuthorize, s.handleAuthorize)
	as("POST /oauth2/{as}/v1/token", EndpointToken, s.handleToken)
	as("GET /oauth2/{as}/v1/keys", EndpointKeys, s.handleKeys)
	as("GET /oauth2/{as}/v1/userinfo", EndpointUserinfo, s.handleUserinfo)
	as("POST /oauth2/{as}/v1/userinfo", EndpointUserinfo, s.handleUserinfo)
	as("POST /oauth2/{as}/v1/introspect", EndpointIntrospect, s.handleIntrospect)
	as("POST /oauth2/{as}/v1/revoke", EndpointRevoke, s.handleRevoke)
	as("GET /oauth2/{as}/v1/logout", EndpointLogout, s.handleLogout)
	as("POST /oauth2/{as}/v1/logout", EndpointLogout, s.handleLogout)
	mux.Handle("GET /login", s.endpoint(EndpointLogin, false, s.handleLoginPage))
	mux.Handle("POST /login", s.endpoint(EndpointLogin, false, s.handleLoginSubmit))
	s.mgmtRoutes(mux)
	if !s.opts.DisableControl {
		mux.Handle("/_emulator/", loopbackOnly(s.controlHandler()))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeOktaError(w, r, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+r.URL.Path)
	})
	return mux
}

type recordKey struct{}

// recordFrom returns the record of the request being served (a throwaway one outside endpoint).
func recordFrom(r *http.Request) *RequestRecord {
	if rec, ok := r.Context().Value(recordKey{}).(*RequestRecord); ok {
		return rec
	}
	return &RequestRecord{}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// endpoint wraps a handler with what every endpoint needs: a bounded body, the request record,
// the authorization server lookup, injected faults, and a recover so no input can crash the
// process.
func (s *Server) endpoint(name string, hasAS bool, h func(http.ResponseWriter, *http.Request, *AuthServer)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &RequestRecord{Time: s.now(), Endpoint: name, Method: r.Method, Path: r.URL.Path, Origin: r.Header.Get("Origin")}
		if hasAS {
			rec.AuthServer = r.PathValue("as")
		}
		r = r.WithContext(context.WithValue(r.Context(), recordKey{}, rec))
		w.Header().Set("X-Okta-Request-Id", randomToken(18)) // as Okta does, to quote in bug reports
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("emulator: panic serving request", "endpoint", name, "panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					writeOAuthError(sw, r, errf(http.StatusInternalServerError, "server_error", "An unexpected error occurred."))
				}
			}
			rec.Status = sw.status
			rec.Params = redactParams(r)
			s.control.record(*rec)
			if s.opts.OnRequest != nil {
				s.opts.OnRequest(*rec)
			}
			s.log.Debug("emulator request", "endpoint", name, "method", r.Method, "status", sw.status,
				"client_id", rec.ClientID, "error", rec.Error, "duration", time.Since(start))
		}()

		r.Body = http.MaxBytesReader(sw, r.Body, maxBodyBytes)
		if err := r.ParseForm(); err != nil {
			writeOAuthError(sw, r, errf(http.StatusBadRequest, "invalid_request", "The request could not be parsed: "+parseErrorText(err)))
			return
		}
		var as *AuthServer
		if hasAS {
			var ok bool
			if as, ok = s.authServer(rec.AuthServer); !ok {
				writeNotFoundAuthServer(sw, r, rec.AuthServer)
				return
			}
		}
		if f, ok := s.control.takeFault(name); ok {
			if !s.applyFault(sw, r, f) {
				return
			}
		}
		h(sw, r, as)
	})
}

func parseErrorText(err error) string {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return "the body is larger than 64 KiB."
	}
	return "malformed form body."
}

// applyFault delays and/or answers instead of the endpoint; it reports whether to go on.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return false
		}
	}
	switch {
	case f.Status != 0:
		code := "E0000009"
		if f.Status == http.StatusServiceUnavailable {
			code = "E0000010"
		}
		writeOktaError(w, r, f.Status, code, "Injected fault: "+http.StatusText(f.Status))
		return false
	case f.MalformedJSON:
		recordFrom(r).Error = "malformed_json"
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"issuer":"` + s.baseFor(r) + `","truncated`))
		return false
	}
	return true
}

// redactParams copies the query and form parameters for the log, hiding secrets.
func redactParams(r *http.Request) map[string]string {
	if len(r.Form) == 0 {
		return nil
	}
	out := make(map[string]string, len(r.Form))
	keys := make([]string, 0, len(r.Form))
	for k := range r.Form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i >= 64 {
			break
		}
		v := strings.Join(r.Form[k], ",")
		if secretParam(k) {
			v = redacted
		} else if len(v) > maxRecordedParamLen {
			v = v[:maxRecordedParamLen] + "…"
		}
		if len(k) > maxRecordedParamLen {
			k = k[:maxRecordedParamLen]
		}
		out[k] = v
	}
	return out
}

// loopbackOnly serves only requests made on this machine for this machine: the control API can
// rewrite tokens and register users, so it must never be reachable from the network, even when
// the emulator listens on one. Three ways in are closed besides a remote peer address:
//   - a proxy or tunnel on loopback relaying a remote request (it says so in a forwarding header);
//   - DNS rebinding: a web page whose own host name resolves to 127.0.0.1 (the Host header then
//     is not a loopback name);
//   - a web page in the local browser sending a cross-site request (browsers send Origin with every
//     POST, PUT and DELETE, and Sec-Fetch-Site with every request).
func loopbackOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !fromLoopback(r) {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// forwardingHeaders are set by proxies and tunnels that relay a request from elsewhere.
var forwardingHeaders = []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Real-Ip", "Forwarded", "Via"}

func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	if addr, err := netip.ParseAddr(host); err != nil || !addr.Unmap().IsLoopback() {
		return false
	}
	for _, h := range forwardingHeaders {
		if _, ok := r.Header[h]; ok {
			return false
		}
	}
	if !loopbackName(hostOnly(r.Host)) {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			return false
		}
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "none", "same-origin":
		return true
	}
	return false
}

// hostOnly strips the port from a Host header value ("[::1]:9000" → "::1").
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

// loopbackName reports whether a Host header names this machine: localhost or a loopback IP.
func loopbackName(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}
