package gateway

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// timeouts are a service's connect/read/write timeouts; services sharing them share a
// connection pool, which also survives Apply.
type timeouts struct{ connect, read, write time.Duration }

type transportCache struct {
	mu sync.Mutex
	m  map[timeouts]*http.Transport
}

func (c *transportCache) get(t timeouts) *http.Transport {
	c.mu.Lock()
	defer c.mu.Unlock()
	if tr, ok := c.m[t]; ok {
		return tr
	}
	if c.m == nil {
		c.m = map[timeouts]*http.Transport{}
	}
	dialer := &net.Dialer{Timeout: t.connect, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		// Kong ignores HTTP(S)_PROXY for upstreams; so do we.
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &deadlineConn{Conn: conn, read: t.read, write: t.write}, nil
		},
		TLSHandshakeTimeout: t.connect,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     60 * time.Second,
		// HTTP/1.1 to upstreams, as Kong (nginx proxy_pass) speaks.
		TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
	c.m[t] = tr
	return tr
}

// deadlineConn gives nginx's semantics to read_timeout and write_timeout: the longest wait
// between two successive reads (or writes), not a bound on the whole response. A write also
// re-arms the read deadline so the wait for the response starts when the request was sent.
type deadlineConn struct {
	net.Conn
	read, write time.Duration
}

func (c *deadlineConn) Read(p []byte) (int, error) {
	_ = c.Conn.SetReadDeadline(time.Now().Add(c.read))
	return c.Conn.Read(p)
}

func (c *deadlineConn) Write(p []byte) (int, error) {
	now := time.Now()
	_ = c.Conn.SetWriteDeadline(now.Add(c.write))
	_ = c.Conn.SetReadDeadline(now.Add(c.read))
	return c.Conn.Write(p)
}

// transportFor picks the round tripper of a service: the in-process echo upstream, or the
// network with the service's timeouts and connect retries.
func (g *Gateway) transportFor(cs *compiledService) http.RoundTripper {
	if cs.echo {
		return &handlerTransport{h: g.echo}
	}
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	base := g.transports.get(timeouts{ms(cs.cfg.ConnectTimeout), ms(cs.cfg.ReadTimeout), ms(cs.cfg.WriteTimeout)})
	if cs.cfg.Retries == 0 {
		return base
	}
	return &retryTransport{rt: base, retries: cs.cfg.Retries}
}

// retryTransport retries a request whose connection could not be established, up to the
// service's retries, as Kong's balancer does. Only requests without a body are retried: the
// transport closes the body of a failed attempt, so it cannot be sent again. Nothing is retried
// once a connection was made (the upstream may have acted on the request).
type retryTransport struct {
	rt      http.RoundTripper
	retries int
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := t.rt.RoundTrip(req)
		if err == nil || attempt >= t.retries || !isDialError(err) || req.Context().Err() != nil ||
			(req.Body != nil && req.Body != http.NoBody) {
			return resp, err
		}
	}
}

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// handlerTransport answers requests with an in-process handler (the echo upstream) without a
// socket, buffering the response (echo responses are small and capped).
type handlerTransport struct{ h http.Handler }

func (t *handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	sreq := *req // the server's view of the same request
	sreq.RequestURI = req.URL.RequestURI()
	sreq.RemoteAddr = "127.0.0.1:0"
	if sreq.Body == nil {
		sreq.Body = http.NoBody
	}
	w := &bufferedResponse{header: http.Header{}}
	t.h.ServeHTTP(w, &sreq)
	if req.Body != nil {
		_ = req.Body.Close()
	}
	if w.code == 0 {
		w.code = http.StatusOK
	}
	if w.header.Get("Content-Type") == "" && w.buf.Len() > 0 {
		w.header.Set("Content-Type", http.DetectContentType(w.buf.Bytes()))
	}
	w.header.Set("Content-Length", strconv.Itoa(w.buf.Len()))
	return &http.Response{
		Status:        strconv.Itoa(w.code) + " " + http.StatusText(w.code),
		StatusCode:    w.code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.header,
		Body:          io.NopCloser(bytes.NewReader(w.buf.Bytes())),
		ContentLength: int64(w.buf.Len()),
		Request:       req,
	}, nil
}

type bufferedResponse struct {
	header http.Header
	code   int
	buf    bytes.Buffer
}

func (w *bufferedResponse) Header() http.Header { return w.header }

func (w *bufferedResponse) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *bufferedResponse) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.buf.Write(p)
}
