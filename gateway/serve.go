package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"time"
)

// reqState is what the gateway tracks about one request between routing and the access log.
// It travels in the request context so it survives plugins replacing the request.
type reqState struct {
	start   time.Time
	info    RequestInfo
	match   routeMatch
	path    string // normalized request path, no query
	peer    netip.Addr
	trusted bool
	proxyAt time.Time // when the request left the plugin chain for the upstream
	proxied bool      // the proxy handler ran: the plugins let the request through
	// answeredBy is set where the gateway answers itself; left empty, finish works it out from
	// proxied (upstream, else a plugin answered).
	answeredBy Answerer
	reason     Reason
	explain    string // why the gateway answered itself, for the event
	// body is the client's request body as the proxy reads it, so a failed upstream call can
	// be told from a client that sent a broken body (nil for body-less requests).
	body *clientBody
}

type stateKey struct{}

func stateFrom(ctx context.Context) *reqState {
	st, _ := ctx.Value(stateKey{}).(*reqState)
	return st
}

// ServeHTTP routes the request by the current configuration, runs the route's plugins and
// proxies it to the route's service.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.requests.Add(1)
	g.inflight.Add(1)
	defer g.inflight.Add(-1)
	snap := g.current.Load()
	st := &reqState{start: time.Now(), path: normalizePath(r.URL.Path)}
	st.info.RequestID = newRequestID()
	w.Header().Set("X-Kong-Request-Id", st.info.RequestID)
	rec := &statusWriter{ResponseWriter: w}

	host, port := splitHostPort(r.Host)
	g.resolveClient(r, st, host, port)
	if port == 0 {
		port = st.info.Port
	}
	m, ok := snap.router.find(r.Method, host, port, st.path, r.Header)
	if !ok {
		st.answeredBy, st.reason = AnsweredByGateway, ReasonNoRoute
		writeKongError(rec, http.StatusNotFound, msgNoRoute, st)
		g.finish(rec, r, st)
		return
	}
	st.match = m
	st.info.Route = m.route.name
	if m.route.service != nil {
		st.info.Service = m.route.service.name
	}
	if m.route.httpsOnly && st.info.Scheme != "https" {
		rec.Header().Set("Connection", "Upgrade")
		rec.Header().Set("Upgrade", "TLS/1.2, HTTP/1.1")
		st.answeredBy, st.reason = AnsweredByGateway, ReasonHTTPSRequired
		writeKongError(rec, http.StatusUpgradeRequired, msgUseHTTPS, st)
		g.finish(rec, r, st)
		return
	}
	ctx := context.WithValue(WithRequestInfo(r.Context(), &st.info), stateKey{}, st)
	g.serveRoute(rec, r.WithContext(ctx), st)
	g.finish(rec, r, st)
}

// serveRoute runs the route's plugins and proxy. A panic in a plugin is a bug, but the client
// still gets Kong's 500 and the user an explained error event rather than a dropped connection.
func (g *Gateway) serveRoute(w *statusWriter, r *http.Request, st *reqState) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if p == http.ErrAbortHandler {
			panic(p)
		}
		g.log.Error("panic while serving a request", "route", st.info.Route, "request_id", st.info.RequestID,
			"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		st.answeredBy, st.reason = AnsweredByGateway, ReasonInternalError
		st.explain = fmt.Sprintf("internal error while serving route %q (a bug: please report it): %v", st.info.Route, p)
		if w.status == 0 {
			writeKongError(w, http.StatusInternalServerError, msgUnexpected, st)
		}
	}()
	st.match.route.handler.ServeHTTP(w, r)
}

// resolveClient works out the client address and the forwarded scheme, host, port and path
// the way Kong does: X-Real-IP and X-Forwarded-* are believed only from TrustedIPs. host and
// hostPort are r.Host split (hostPort 0 when it names no port).
func (g *Gateway) resolveClient(r *http.Request, st *reqState, host string, hostPort int) {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		st.peer = ap.Addr().Unmap()
	} else if a, err := netip.ParseAddr(r.RemoteAddr); err == nil {
		st.peer = a.Unmap()
	}
	st.trusted = g.isTrusted(st.peer)
	st.info.ClientIP = st.peer

	scheme := listenerScheme(r)
	port := localPort(r, scheme, hostPort)
	st.info.Scheme, st.info.Host, st.info.Port = scheme, host, port
	st.info.Path = r.URL.EscapedPath()
	if !st.trusted {
		return
	}
	if ip, err := netip.ParseAddr(r.Header.Get("X-Real-IP")); err == nil {
		st.info.ClientIP = ip.Unmap()
	}
	if v := r.Header.Get("X-Forwarded-Proto"); v != "" {
		st.info.Scheme = v
	}
	if v := r.Header.Get("X-Forwarded-Host"); v != "" {
		st.info.Host = v
	}
	if v := r.Header.Get("X-Forwarded-Port"); v != "" {
		if p, err := strconv.Atoi(v); err == nil {
			st.info.Port = p
		}
	}
	if v := r.Header.Get("X-Forwarded-Path"); v != "" {
		st.info.Path = v
	}
}

func (g *Gateway) isTrusted(ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	for _, p := range g.trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// localPort is the port the request came in on (Kong's $server_port); without a listener
// address, the port of the Host header (hostPort), else the scheme's default.
func localPort(r *http.Request, scheme string, hostPort int) int {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if tcp, ok := a.(*net.TCPAddr); ok {
			return tcp.Port
		}
		if ap, err := netip.ParseAddrPort(a.String()); err == nil {
			return int(ap.Port())
		}
	}
	if hostPort != 0 {
		return hostPort
	}
	if scheme == "https" {
		return 443
	}
	return 80
}

type schemeKey struct{}

// WithListenerScheme marks every request h serves as having arrived over scheme ("https" for a
// TLS-terminating tunnel), which becomes X-Forwarded-Proto and RequestInfo.Scheme. Serve the
// gateway through it on such listeners: gateway.WithListenerScheme(gw, "https").
func WithListenerScheme(h http.Handler, scheme string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), schemeKey{}, scheme)))
	})
}

func listenerScheme(r *http.Request) string {
	if s, ok := r.Context().Value(schemeKey{}).(string); ok {
		return s
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// newRequestID returns 32 hex characters, the form of Kong's X-Kong-Request-Id.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusWriter remembers the status for the access log. Unwrap lets http.ResponseController
// (used by httputil.ReverseProxy to flush) reach the real writer.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
