package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// proxyHandler is the innermost handler of every route: it sends the request to the route's
// service once the plugins have let it through.
type proxyHandler struct{ route *compiledRoute }

func (h *proxyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st := stateFrom(r.Context())
	if st == nil {
		// Only reachable if a plugin builds a request from scratch without the gateway's context.
		writeKongError(w, http.StatusInternalServerError, msgUnexpected, nil)
		return
	}
	svc := h.route.service
	if svc == nil {
		st.answeredBy, st.reason = AnsweredByGateway, ReasonNoService
		writeKongError(w, http.StatusServiceUnavailable, msgNoService, st)
		return
	}
	st.proxied = true
	st.proxyAt = time.Now()
	if r.Body != nil && r.Body != http.NoBody {
		st.body = &clientBody{ReadCloser: r.Body}
		r.Body = st.body
	}
	svc.proxy.ServeHTTP(w, r)
}

// clientBody remembers why reading the client's body failed: the transport reports only that
// the upstream call failed, which would blame the upstream (502) for the client's broken body.
type clientBody struct {
	io.ReadCloser
	mu  sync.Mutex
	err error
}

func (b *clientBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		b.mu.Lock()
		if b.err == nil {
			b.err = err
		}
		b.mu.Unlock()
	}
	return n, err
}

func (b *clientBody) failed() error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

var bufferPool = &proxyBufferPool{}

// proxyBufferPool recycles the 32 KiB copy buffers of httputil.ReverseProxy.
type proxyBufferPool struct{ p sync.Pool }

func (b *proxyBufferPool) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, 32*1024)
}

func (b *proxyBufferPool) Put(buf []byte) { b.p.Put(&buf) }

func (g *Gateway) newServiceProxy(cs *compiledService) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite:        func(pr *httputil.ProxyRequest) { rewrite(cs, pr) },
		Transport:      g.transportFor(cs),
		ModifyResponse: modifyResponse,
		ErrorHandler:   g.proxyError,
		ErrorLog:       slog.NewLogLogger(g.log.Handler(), slog.LevelWarn),
		BufferPool:     bufferPool,
	}
}

// rewrite builds the upstream request as Kong does: the joined path, the Host header, and the
// X-Forwarded-*, X-Real-IP and Via headers.
func rewrite(cs *compiledService, pr *httputil.ProxyRequest) {
	in, out := pr.In, pr.Out
	st := stateFrom(in.Context())
	route := &st.match.route.cfg

	out.URL.Scheme = cs.scheme
	out.URL.Host = cs.hostPort
	out.URL.Path = upstreamPath(cs.path, st.path, st.match.prefix, route.StripPath, route.PathHandling)
	out.URL.RawPath = ""
	if route.PreserveHost {
		out.Host = in.Host
	} else {
		out.Host = cs.hostHeader
	}

	// ReverseProxy cloned the client's header map at its exact size, so the headers below
	// would make it grow (a new, larger table), and each Header.Set allocates a one-element
	// slice. A copy sized for them and one backing array for their values cost two
	// allocations instead (BenchmarkRewrite). Keys are written in canonical form, as Set would.
	// The one spare entry is the empty User-Agent ReverseProxy adds after us when the client
	// sent none (wrk, curl -A '').
	h := make(http.Header, len(out.Header)+forwardedHeaders+1)
	maps.Copy(h, out.Header)
	out.Header = h
	fw := headerSetter{h: h, vals: make([]string, 0, forwardedHeaders)}
	// Kong appends the connecting address to any X-Forwarded-For it received (trusted or not:
	// the list is the upstream's to interpret); without one it sends the client address.
	if prior := in.Header.Values("X-Forwarded-For"); len(prior) > 0 {
		fw.set("X-Forwarded-For", strings.Join(prior, ", ")+", "+st.peer.String())
	} else {
		fw.set("X-Forwarded-For", st.info.ClientIP.String())
	}
	fw.set("X-Forwarded-Proto", st.info.Scheme)
	fw.set("X-Forwarded-Host", st.info.Host)
	fw.set("X-Forwarded-Port", strconv.Itoa(st.info.Port))
	fw.set("X-Forwarded-Path", st.info.Path)
	prefix := ""
	if st.trusted {
		prefix = in.Header.Get("X-Forwarded-Prefix")
	}
	// Kong's own prefix is the part of the path it stripped: none without strip_path.
	if prefix == "" && route.StripPath && st.match.prefix != "" && st.match.prefix != "/" {
		prefix = st.match.prefix
	}
	if prefix != "" {
		fw.set("X-Forwarded-Prefix", prefix)
	} else {
		delete(h, "X-Forwarded-Prefix")
	}
	fw.set("X-Real-Ip", st.info.ClientIP.String())
	via := viaToken(in)
	if prior := in.Header.Get("Via"); prior != "" {
		via = prior + ", " + via
	}
	fw.set("Via", via)
}

// forwardedHeaders is how many headers rewrite sets at most.
const forwardedHeaders = 8

// headerSetter replaces header values with one-element slices of a shared backing array. Each
// slice's capacity is capped at its length, so an Add to one of them (a later hook) copies it
// instead of writing over its neighbour's value.
type headerSetter struct {
	h    http.Header
	vals []string
}

// set is Header.Set for a key already in canonical form.
func (s *headerSetter) set(key, value string) {
	s.vals = append(s.vals, value)
	n := len(s.vals)
	s.h[key] = s.vals[n-1 : n : n]
}

// viaToken is this hop's Via entry for a request of r's protocol; constants, so the common
// request without a prior Via costs no allocation.
func viaToken(r *http.Request) string {
	if r.ProtoMajor == 2 {
		return "2 " + ServerHeader
	}
	return "1.1 " + ServerHeader
}

// modifyResponse adds Kong's latency, Via and Server headers to upstream responses.
func modifyResponse(resp *http.Response) error {
	st := stateFrom(resp.Request.Context())
	if st == nil {
		return nil
	}
	h := resp.Header
	h.Set("X-Kong-Upstream-Latency", strconv.FormatInt(time.Since(st.proxyAt).Milliseconds(), 10))
	h.Set("X-Kong-Proxy-Latency", strconv.FormatInt(st.proxyAt.Sub(st.start).Milliseconds(), 10))
	via := "1.1 " + ServerHeader
	if prior := h.Get("Via"); prior != "" {
		via = prior + ", " + via
	}
	h.Set("Via", via)
	if h.Get("Server") == "" {
		h.Set("Server", ServerHeader)
	}
	return nil
}

// proxyError answers a failed upstream call with Kong's status and text: 504 when the upstream
// timed out, 502 otherwise (refused, reset, unreachable, a malformed response).
func (g *Gateway) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	st := stateFrom(r.Context())
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err // never carry the upstream URL (it holds the query string) into logs
	}
	if st != nil {
		if berr := st.body.failed(); berr != nil {
			// The client's body broke (cut short, bad chunking): Kong (nginx) answers 400.
			st.answeredBy, st.reason = AnsweredByGateway, ReasonRequestBodyInvalid
			st.explain = "the client's request body could not be read (" + berr.Error() + "); the upstream was not at fault"
			writeKongError(w, http.StatusBadRequest, msgBadRequest, st)
			return
		}
	}
	if r.Context().Err() != nil && errors.Is(err, context.Canceled) {
		// The client went away; nobody reads this answer. 499 is what Kong logs.
		if st != nil {
			st.answeredBy, st.reason = AnsweredByGateway, ReasonClientClosed
			st.explain = "the client closed the connection before the upstream answered"
		}
		w.WriteHeader(499)
		return
	}
	status, msg := http.StatusBadGateway, msgBadGateway
	if isTimeout(err) {
		status, msg = http.StatusGatewayTimeout, msgTimeout
	}
	if st != nil {
		st.answeredBy, st.reason = AnsweredByGateway, ReasonUpstreamUnreachable
		st.explain = explainUpstreamError(st, err, status)
	}
	writeKongError(w, status, msg, st)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// explainUpstreamError says in plain words what went wrong with the upstream and what to check.
func explainUpstreamError(st *reqState, err error, status int) string {
	svc := st.match.route.service
	target := svc.scheme + "://" + svc.hostPort
	var op *net.OpError
	dial := errors.As(err, &op) && op.Op == "dial"
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		return fmt.Sprintf("service %q: cannot resolve host %q; check the service url, or drop --real-upstreams to use the built-in echo upstream for httpbin hosts", svc.name, dns.Name)
	case dial && status == http.StatusGatewayTimeout:
		return fmt.Sprintf("service %q: connecting to %s timed out after connect_timeout=%dms; is the host reachable?", svc.name, target, svc.cfg.ConnectTimeout)
	case dial:
		return fmt.Sprintf("service %q: cannot connect to %s (%v); is the upstream running on that host and port?", svc.name, target, op.Err)
	case status == http.StatusGatewayTimeout:
		return fmt.Sprintf("service %q: %s did not answer within read_timeout=%dms / write_timeout=%dms", svc.name, target, svc.cfg.ReadTimeout, svc.cfg.WriteTimeout)
	default:
		return fmt.Sprintf("service %q: invalid or interrupted response from %s: %v", svc.name, target, err)
	}
}
