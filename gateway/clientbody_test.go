package gateway

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway/deck"
)

// A client whose body breaks (shorter than its Content-Length, malformed chunks) gets Kong's
// 400, with the client named as the cause: not a 502 blaming a healthy upstream. Found by the
// resilience suite.
func TestBrokenClientBodyIs400(t *testing.T) {
	up := startUpstream(t)
	cfg := &deck.Config{
		Services: []deck.Service{serviceFor("up", up, "")},
		Routes:   []deck.Route{route("to-up", func(r *deck.Route) { r.Service = "up"; r.Paths = []string{"/up"} })},
	}
	bus := NewBus()
	events, unsubscribe := bus.Subscribe(64)
	t.Cleanup(unsubscribe)
	base := serve(t, newTestGateway(t, cfg, Options{Bus: bus}))
	host := strings.TrimPrefix(base, "http://")
	for name, raw := range map[string]string{
		"short body":       "POST /up HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nshort",
		"malformed chunks": "POST /up HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
	} {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		io.WriteString(conn, raw)
		conn.(*net.TCPConn).CloseWrite() // the body ends here, short of what it announced
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var body kongError
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		conn.Close()
		if resp.StatusCode != http.StatusBadRequest || body.Message != msgBadRequest {
			t.Errorf("%s: %d %q, want 400 %q", name, resp.StatusCode, body.Message, msgBadRequest)
		}
		for e := range events {
			if e.Kind == EventRequestFinished {
				if e.Reason != ReasonRequestBodyInvalid {
					t.Errorf("%s: reason %q, want %q", name, e.Reason, ReasonRequestBodyInvalid)
				}
				break
			}
		}
	}
}
