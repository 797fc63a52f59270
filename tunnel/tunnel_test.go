package tunnel

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// The none provider is a loopback listener: served, reachable at its URL, ended by Close.
func TestNoneServesAtItsURL(t *testing.T) {
	tn, err := None{}.Open(t.Context(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tn.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL %q, want the loopback http address", tn.URL())
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") })}
	go srv.Serve(tn)
	res, err := http.Get(tn.URL() + "/x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(body) != "hi" {
		t.Fatalf("body %q", body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-tn.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after the server shut down")
	}
	if _, ok := <-tn.Events(); ok {
		t.Error("Events not closed")
	}
}

func TestNoneKeepsLocalhost(t *testing.T) {
	tn, err := None{}.Open(t.Context(), Config{Listen: "localhost:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer tn.Close()
	if !strings.HasPrefix(tn.URL(), "http://localhost:") {
		t.Errorf("URL %q, want localhost", tn.URL())
	}
}

// Close takes the URL offline at once but ends the session only after the connections already
// accepted are closed: an http.Server's Shutdown drains requests in flight through the tunnel.
func TestCloseWaitsForAcceptedConnections(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	finished := make(chan struct{})
	l := newListener(inner, "https://x.example", func() { close(finished) })
	client, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	conn, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := net.DialTimeout("tcp", inner.Addr().String(), time.Second); err == nil {
		t.Error("still accepting after Close")
	}
	select {
	case <-finished:
		t.Fatal("the session ended with a connection still open")
	case <-time.After(50 * time.Millisecond):
	}
	conn.Close()
	select {
	case <-finished:
	case <-time.After(5 * time.Second):
		t.Fatal("the session did not end after the last connection closed")
	}
	<-l.Done()
}

// An Accept failure the tunnel did not ask for (the service stopped it) is an event and ends
// the tunnel; the error says what to do.
func TestRemoteStopIsADisconnect(t *testing.T) {
	inner := &failingListener{err: errors.New("tunnel stopped: ERR_NGROK_334")}
	l := newListener(inner, "https://x.example", nil)
	l.acceptErr = func(err error) error { return ngrokError(err, "") }
	_, err := l.Accept()
	var te *Error
	if !errors.As(err, &te) || te.Code != "ERR_NGROK_334" || te.Advice == "" {
		t.Fatalf("err = %v, want ERR_NGROK_334 with advice", err)
	}
	e := <-l.Events()
	if e.Kind != EventDisconnected || e.Advice() == "" {
		t.Errorf("event %+v, want a disconnect with advice", e)
	}
	<-l.Done()
}

type failingListener struct{ err error }

func (f *failingListener) Accept() (net.Conn, error) { return nil, f.err }
func (f *failingListener) Close() error              { return nil }
func (f *failingListener) Addr() net.Addr            { return &net.TCPAddr{} }

// codedErr is what ngrok's SDK returns: an error with Code().
type codedErr struct{ code, msg string }

func (e codedErr) Error() string { return e.msg }
func (e codedErr) Code() string  { return e.code }

func TestErrorAdvice(t *testing.T) {
	const token = "2abcDEFghiJKLmnoPQRstuVWXyz_0123456789abcdefGHIJ"
	for _, code := range AdviceCodes() {
		t.Run(code, func(t *testing.T) {
			err := ngrokError(codedErr{code, "failed to connect: bad token " + token + "\n\n" + code}, token)
			if err.Code != code || err.Advice != AdviceFor(code) || err.Advice == "" {
				t.Errorf("%+v", err)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("the token is in %q", err.Error())
			}
			if !strings.Contains(err.Error(), code) || !strings.Contains(err.Error(), err.Advice) {
				t.Errorf("the message %q lacks the code or the advice", err.Error())
			}
		})
	}
	t.Run("unknown code links its page", func(t *testing.T) {
		err := ngrokError(errors.New("something ERR_NGROK_9999"), "")
		if err.Code != "ERR_NGROK_9999" || !strings.Contains(err.Advice, "https://ngrok.com/docs/errors/err_ngrok_9999") {
			t.Errorf("%+v", err)
		}
	})
	t.Run("wrapped", func(t *testing.T) {
		err := ngrokError(errWrap{codedErr{"ERR_NGROK_107", "invalid"}}, "")
		if err.Code != "ERR_NGROK_107" {
			t.Errorf("%+v", err)
		}
	})
	t.Run("timeout with a last code", func(t *testing.T) {
		err := timeoutError(2*time.Second, codedErr{"ERR_NGROK_105", "malformed " + token}, token)
		if !err.Timeout || err.Code != "ERR_NGROK_105" || err.Advice != AdviceFor("ERR_NGROK_105") || strings.Contains(err.Error(), token) {
			t.Errorf("%+v", err)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Error("a timeout is not DeadlineExceeded")
		}
	})
	t.Run("timeout without a word from ngrok", func(t *testing.T) {
		err := timeoutError(2*time.Second, nil, token)
		if !strings.Contains(err.Advice, "--tunnel-timeout") || !strings.Contains(err.Advice, "NGROK_AUTHTOKEN") || !strings.Contains(timeoutError(time.Second, errors.New("dial tcp: no such host"), token).Advice, "network") {
			t.Errorf("%+v", err)
		}
	})
}

// lockedBuffer is a log sink the SDK's goroutines may still write to after Open returned.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type errWrap struct{ err error }

func (e errWrap) Error() string { return "failed to connect: " + e.err.Error() }
func (e errWrap) Unwrap() error { return e.err }

// Whatever the SDK logs, the token does not reach the log.
func TestLoggerScrubsToken(t *testing.T) {
	const token = "2abcDEFghiJKLmnoPQRstuVWXyz_0123456789abcdefGHIJ"
	var buf bytes.Buffer
	log := sdkLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), token)
	log.With("auth", token).WithGroup("g").Error("token "+token, "t", token, "err", errors.New("x "+token), slog.Group("in", "t", token))
	if strings.Contains(buf.String(), token) || !strings.Contains(buf.String(), redacted) {
		t.Errorf("log: %s", buf.String())
	}
	// The SDK's per-retry errors are debug; its warnings stay.
	buf.Reset()
	quiet := sdkLogger(slog.New(slog.NewTextHandler(&buf, nil)), token)
	quiet.Error("failed to reconnect session")
	quiet.Warn("insecure toolchain")
	if strings.Contains(buf.String(), "reconnect") || !strings.Contains(buf.String(), "insecure toolchain") {
		t.Errorf("log: %s", buf.String())
	}
}

func TestNormalizeDomain(t *testing.T) {
	for in, want := range map[string]string{
		"example.ngrok-free.dev":          "https://example.ngrok-free.dev",
		"https://Example.ngrok-free.dev/": "https://example.ngrok-free.dev",
	} {
		if got, err := NormalizeDomain(in); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "http://x.ngrok.app", "x.ngrok.app/anything", "tcp://x"} {
		if _, err := NormalizeDomain(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Without a token nothing is dialled: the error says how to get one.
func TestNgrokWithoutToken(t *testing.T) {
	_, err := Ngrok{}.Open(t.Context(), Config{})
	var te *Error
	if !errors.As(err, &te) || te.Code != "ERR_NGROK_4018" || !strings.Contains(te.Advice, "NGROK_AUTHTOKEN") {
		t.Fatalf("err = %v", err)
	}
}

// ngrok's SDK retries a refused or unreachable session forever; the watchdog turns that into
// an error within the timeout, with advice and without the token. ngrok's service is not
// reachable from the test sandbox (no DNS, no route): whichever way the dial fails, or if it
// hangs, the watchdog must end it.
func TestNgrokWatchdogBogusToken(t *testing.T) {
	const token = "bogus_2abcDEFghiJKLmnoPQRstuVWXyz_0123456789"
	for name, p := range map[string]Ngrok{
		"ngrok's service": {},
		"refused port":    {ConnectURL: closedPort(t)},
		"silent server":   {ConnectURL: silentServer(t)},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var logs lockedBuffer
			start := time.Now()
			_, err := p.Open(t.Context(), Config{Authtoken: token, ConnectTimeout: 2 * time.Second, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			took := time.Since(start)
			if took > 5*time.Second {
				t.Errorf("took %s with a 2s watchdog", took)
			}
			var te *Error
			if !errors.As(err, &te) || te.Advice == "" {
				t.Fatalf("err = %v, want a tunnel error with advice", err)
			}
			if name != "ngrok's service" && !te.Timeout {
				t.Errorf("err = %+v, want a timeout", te)
			}
			if strings.Contains(err.Error(), token) || strings.Contains(logs.String(), token) {
				t.Error("the token was echoed")
			}
			t.Logf("after %s: %v", took.Round(time.Millisecond), err)
		})
	}
}

// A caller that gives up ends Open without waiting for the watchdog.
func TestNgrokOpenHonoursContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Ngrok{ConnectURL: silentServer(t)}.Open(ctx, Config{Authtoken: "bogus_token_0123456789", ConnectTimeout: time.Minute})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Fatalf("err = %v after %s", err, time.Since(start))
	}
}

func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// silentServer accepts connections and never answers: a TLS handshake that hangs.
func silentServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return ln.Addr().String()
}

// The forwarder hands the local gateway the public host and https, and none of the visitor's
// forwarding headers.
func TestForwarder(t *testing.T) {
	var got *http.Request
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		io.WriteString(w, "kong")
	}))
	defer upstream.Close()
	h, err := Forwarder(strings.TrimPrefix(upstream.URL, "http://"), "https://pub.ngrok.example", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "https://pub.ngrok.example/anything?x=1", nil)
	req.Header.Set("X-Forwarded-Proto", "gopher")
	req.Header.Set("X-Forwarded-Host", "evil.example")
	req.Header.Set("Forwarded", "for=1.2.3.4")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Body.String() != "kong" {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	for k, want := range map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "pub.ngrok.example", "X-Forwarded-Port": "443", "Forwarded": ""} {
		if v := got.Header.Get(k); v != want {
			t.Errorf("%s: %q, want %q", k, v, want)
		}
	}
	if got.Host != "pub.ngrok.example" || got.URL.RequestURI() != "/anything?x=1" {
		t.Errorf("host %q, uri %q", got.Host, got.URL.RequestURI())
	}

	upstream.Close()
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "https://pub.ngrok.example/", nil))
	if rec.Code != http.StatusBadGateway || !strings.Contains(rec.Body.String(), "is it running") {
		t.Errorf("gateway down: %d %s", rec.Code, rec.Body)
	}
}

func TestForwardTarget(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:8000", "localhost:8000", "http://127.0.0.1:8000", "https://kong.internal:8443/"} {
		if _, err := ForwardTarget(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"8000", "ftp://x:1", "http://x:1/path", ""} {
		if _, err := ForwardTarget(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
