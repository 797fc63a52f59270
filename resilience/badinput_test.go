package resilience_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/labtest"
	"github.com/oidclab/oidclab/lab/tutorial"
)

// Limits the bad inputs sit on, over and under.
const (
	// goHeaderLimit is what net/http reads of a request's line and headers before answering 431:
	// http.DefaultMaxHeaderBytes (the lab's servers set no MaxHeaderBytes) plus the 4096 bytes
	// of bufio slack the server allows on top.
	goHeaderLimit = http.DefaultMaxHeaderBytes + 4096
	// formLimit is how much of a urlencoded body the plugin parses (and the echo upstream reads).
	formLimit = 1 << 20
	// repostLimit is the largest form_post the plugin echoes in its re-POST page.
	repostLimit = 16 << 10
	// cookieLimit is what browsers store of one cookie's name and value.
	cookieLimit = 4096
)

// badEnv is what the cases are built from: a lab with sessions and bearer tokens on, a valid
// session, and fresh pending logins on demand.
type badEnv struct {
	t       *testing.T
	l       *labtest.Lab
	host    string // the proxy's HOST:PORT
	session []*http.Cookie
}

// pending starts a login and returns its authorization cookie and state, as a browser holds
// them on the way back from the IdP.
func (e *badEnv) pending() (*http.Cookie, string) {
	e.t.Helper()
	resp, err := noRedirects(30 * time.Second).Get(e.l.URL + tutorial.Path)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		e.t.Fatalf("no login started: %d %v", resp.StatusCode, err)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "authorization" {
			return &http.Cookie{Name: c.Name, Value: c.Value}, loc.Query().Get("state")
		}
	}
	e.t.Fatal("no authorization cookie")
	return nil, ""
}

// badCase is one bad input: an HTTP request, or raw bytes for what net/http refuses to send.
type badCase struct {
	name string
	req  func(e *badEnv) *http.Request
	raw  func(e *badEnv) []byte
	// want is the status the gateway must answer; 0 accepts any status below 500.
	want int
}

func post(e *badEnv, body string, cookies ...*http.Cookie) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, e.l.URL+tutorial.Path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return r
}

func get(e *badEnv, path string, cookies ...*http.Cookie) *http.Request {
	r, _ := http.NewRequest(http.MethodGet, e.l.URL+path, nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return r
}

// padded is a form of code and state grown with a padding field to exactly n bytes.
func padded(state string, n int) string {
	s := "code=abc&state=" + url.QueryEscape(state) + "&pad="
	return s + strings.Repeat("x", max(0, n-len(s)))
}

// cookieOf is a cookie whose name and value together are n bytes (what browsers count).
func cookieOf(name string, n int) *http.Cookie {
	return &http.Cookie{Name: name, Value: strings.Repeat("A", max(1, n-len(name)))}
}

// headerOf is a raw GET whose request line and headers are exactly n bytes.
func headerOf(e *badEnv, n int, cookies ...*http.Cookie) []byte {
	var b strings.Builder
	b.WriteString("GET " + tutorial.Path + " HTTP/1.1\r\nHost: " + e.host + "\r\nConnection: close\r\n")
	for _, c := range cookies {
		b.WriteString("Cookie: " + c.String() + "\r\n")
	}
	b.WriteString("X-Pad: ")
	pad := n - b.Len() - len("\r\n\r\n")
	b.WriteString(strings.Repeat("p", max(0, pad)))
	b.WriteString("\r\n\r\n")
	return []byte(b.String())
}

func cookieHeader(cs []*http.Cookie) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Name + "=" + c.Value
	}
	return strings.Join(parts, "; ")
}

func flip(s string) string {
	if s == "" {
		return "x"
	}
	b := []byte(s)
	b[len(b)/2] ^= 1
	return string(b)
}

func badCases() []badCase {
	var cs []badCase
	add := func(name string, want int, req func(e *badEnv) *http.Request) {
		cs = append(cs, badCase{name: name, want: want, req: req})
	}
	addRaw := func(name string, want int, raw func(e *badEnv) []byte) {
		cs = append(cs, badCase{name: name, want: want, raw: raw})
	}

	// Callbacks: form_post bodies and query strings, with and without a pending login.
	add("callback: empty form_post", 0, func(e *badEnv) *http.Request { return post(e, "") })
	add("callback: code and state, no cookie", 0, func(e *badEnv) *http.Request { return post(e, "code=abc&state=xyz") })
	for _, n := range []int{repostLimit, repostLimit + 1} {
		add(fmt.Sprintf("callback: %d-byte form_post, no cookie", n), 0, func(e *badEnv) *http.Request { return post(e, padded("xyz", n)) })
	}
	for _, n := range []int{formLimit, formLimit + 1} {
		add(fmt.Sprintf("callback: %d-byte form_post, wrong state", n), 0, func(e *badEnv) *http.Request {
			c, _ := e.pending()
			return post(e, padded("not-the-state", n), c)
		})
		add(fmt.Sprintf("callback: %d-byte form_post, right state, bad code", n), 0, func(e *badEnv) *http.Request {
			c, state := e.pending()
			return post(e, padded(state, n), c)
		})
	}
	add("callback: 17 fields, no cookie", 0, func(e *badEnv) *http.Request {
		return post(e, "code=a&state=b"+strings.Repeat("&f=1", 15))
	})
	add("callback: malformed percent-encoding", 0, func(e *badEnv) *http.Request {
		c, _ := e.pending()
		return post(e, "code=%zz&state=%&iss=%G0", c)
	})
	add("callback: duplicate state and code", 0, func(e *badEnv) *http.Request {
		c, state := e.pending()
		return post(e, "state=other&state="+url.QueryEscape(state)+"&code=a&code=b", c)
	})
	add("callback: right state, bad code", http.StatusUnauthorized, func(e *badEnv) *http.Request {
		c, state := e.pending()
		return post(e, "code=not-a-code&state="+url.QueryEscape(state), c)
	})
	add("callback: right state, no code", http.StatusUnauthorized, func(e *badEnv) *http.Request {
		c, state := e.pending()
		return post(e, "state="+url.QueryEscape(state), c)
	})
	add("callback: another issuer", http.StatusUnauthorized, func(e *badEnv) *http.Request {
		c, state := e.pending()
		return post(e, "code=a&iss=https%3A%2F%2Fevil.example&state="+url.QueryEscape(state), c)
	})
	add("callback: 1 MiB error_description", 0, func(e *badEnv) *http.Request {
		c, state := e.pending()
		return post(e, "error=access_denied&state="+url.QueryEscape(state)+"&error_description="+strings.Repeat("d", formLimit-100), c)
	})
	add("callback: control characters in error", http.StatusUnauthorized, func(e *badEnv) *http.Request {
		c, state := e.pending()
		return post(e, "error=%1b%5B31m%00x&error_description=%0d%0aSet-Cookie:%20x=y&state="+url.QueryEscape(state), c)
	})
	add("callback: multipart form_post", 0, func(e *badEnv) *http.Request {
		c, state := e.pending()
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		w.WriteField("code", "abc")
		w.WriteField("state", state)
		w.Close()
		r := post(e, body.String(), c)
		r.Header.Set("Content-Type", w.FormDataContentType())
		return r
	})
	add("callback: broken content type", 0, func(e *badEnv) *http.Request {
		c, state := e.pending()
		r := post(e, "code=a&state="+url.QueryEscape(state), c)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; ;;charset==")
		return r
	})
	add("callback: query, no cookie", 0, func(e *badEnv) *http.Request { return get(e, tutorial.Path+"?code=a&state=b") })
	add("callback: query with bad escapes", 0, func(e *badEnv) *http.Request {
		c, _ := e.pending()
		r := get(e, tutorial.Path, c)
		r.URL.RawQuery = "code=%zz&state=%&&=&%00"
		return r
	})
	add("callback: query of 64 KiB", 0, func(e *badEnv) *http.Request {
		c, state := e.pending()
		return get(e, tutorial.Path+"?state="+url.QueryEscape(state)+"&code="+strings.Repeat("c", 64<<10), c)
	})
	addRaw("callback: body shorter than its Content-Length", 0, func(e *badEnv) []byte {
		return []byte("POST " + tutorial.Path + " HTTP/1.1\r\nHost: " + e.host + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ncode=a&sta")
	})
	addRaw("callback: malformed chunked body", 0, func(e *badEnv) []byte {
		return []byte("POST " + tutorial.Path + " HTTP/1.1\r\nHost: " + e.host + "\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\ncode=a\r\n")
	})
	addRaw("session request: body shorter than its Content-Length", http.StatusBadRequest, func(e *badEnv) []byte {
		return []byte("POST " + tutorial.Path + " HTTP/1.1\r\nHost: " + e.host + "\r\nCookie: " + cookieHeader(e.session) +
			"\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nshort")
	})
	addRaw("session request: malformed chunked body", http.StatusBadRequest, func(e *badEnv) []byte {
		return []byte("POST " + tutorial.Path + " HTTP/1.1\r\nHost: " + e.host + "\r\nCookie: " + cookieHeader(e.session) +
			"\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n")
	})
	addRaw("session form_post: body shorter than its Content-Length", http.StatusBadRequest, func(e *badEnv) []byte {
		return []byte("POST " + tutorial.Path + " HTTP/1.1\r\nHost: " + e.host + "\r\nCookie: " + cookieHeader(e.session) +
			"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\na=b")
	})
	// The same through a real loopback upstream (/real, no plugin): the proxy reads the body.
	addRaw("real upstream: body shorter than its Content-Length", http.StatusBadRequest, func(e *badEnv) []byte {
		return []byte("POST /real HTTP/1.1\r\nHost: " + e.host + "\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nshort")
	})
	addRaw("real upstream: malformed chunked body", http.StatusBadRequest, func(e *badEnv) []byte {
		return []byte("POST /real HTTP/1.1\r\nHost: " + e.host + "\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n")
	})
	add("session request: form_post over the echo's 1 MiB", http.StatusRequestEntityTooLarge, func(e *badEnv) *http.Request {
		return post(e, padded("x", formLimit+1), e.session...)
	})

	// Cookies: the authorization (state) cookie and the session cookie, broken and at sizes.
	for _, name := range []string{"authorization", "session"} {
		withReal := func(e *badEnv) *http.Cookie {
			if name == "session" {
				return e.session[0]
			}
			c, _ := e.pending()
			return c
		}
		add(name+" cookie: garbage", 0, func(e *badEnv) *http.Request {
			return get(e, tutorial.Path, &http.Cookie{Name: name, Value: "!!garbage!!"})
		})
		add(name+" cookie: empty", 0, func(e *badEnv) *http.Request { return get(e, tutorial.Path, &http.Cookie{Name: name, Value: ""}) })
		add(name+" cookie: valid base64, not a cookie", 0, func(e *badEnv) *http.Request {
			return get(e, tutorial.Path, &http.Cookie{Name: name, Value: base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0}, 200))})
		})
		add(name+" cookie: truncated", 0, func(e *badEnv) *http.Request {
			c := withReal(e)
			return get(e, tutorial.Path, &http.Cookie{Name: name, Value: c.Value[:len(c.Value)/2]})
		})
		add(name+" cookie: one bit flipped", 0, func(e *badEnv) *http.Request {
			c := withReal(e)
			return get(e, tutorial.Path, &http.Cookie{Name: name, Value: flip(c.Value)})
		})
		for _, n := range []int{cookieLimit - 1, cookieLimit, cookieLimit + 1, 64 << 10} {
			add(fmt.Sprintf("%s cookie: %d bytes", name, n), 0, func(e *badEnv) *http.Request { return get(e, tutorial.Path, cookieOf(name, n)) })
		}
		add(name+" cookie: twice, garbage first", 0, func(e *badEnv) *http.Request {
			return get(e, tutorial.Path, &http.Cookie{Name: name, Value: "garbage"}, withReal(e))
		})
	}
	add("session cookie: nine garbage chunks", 0, func(e *badEnv) *http.Request {
		cs := []*http.Cookie{cookieOf("session", cookieLimit)}
		for i := 2; i <= 9; i++ {
			cs = append(cs, cookieOf("session"+strconv.Itoa(i), cookieLimit))
		}
		return get(e, tutorial.Path, cs...)
	})
	add("session cookie: a tenth chunk", 0, func(e *badEnv) *http.Request {
		return get(e, tutorial.Path, append(e.session, cookieOf("session10", 100))...)
	})
	add("session cookie: chunk 2 without the first", 0, func(e *badEnv) *http.Request { return get(e, tutorial.Path, cookieOf("session2", 500)) })
	add("cookies: 5000 of them", 0, func(e *badEnv) *http.Request {
		r := get(e, tutorial.Path)
		var b strings.Builder
		for i := range 5000 {
			fmt.Fprintf(&b, "c%d=v; ", i)
		}
		r.Header.Set("Cookie", b.String())
		return r
	})

	// Headers: at and over net/http's limit (the lab sets no MaxHeaderBytes), and bad values.
	addRaw("headers: exactly at the limit", 0, func(e *badEnv) []byte { return headerOf(e, goHeaderLimit) })
	addRaw("headers: one byte over the limit", http.StatusRequestHeaderFieldsTooLarge, func(e *badEnv) []byte { return headerOf(e, goHeaderLimit+1) })
	addRaw("headers: at the limit with a session", 0, func(e *badEnv) []byte { return headerOf(e, goHeaderLimit, e.session...) })
	addRaw("headers: one byte over with a session", http.StatusRequestHeaderFieldsTooLarge, func(e *badEnv) []byte {
		return headerOf(e, goHeaderLimit+1, e.session...)
	})
	add("headers: 10 000 small ones", 0, func(e *badEnv) *http.Request {
		r := get(e, tutorial.Path, e.session...)
		for i := range 10000 {
			r.Header.Add("X-H"+strconv.Itoa(i), "v")
		}
		return r
	})
	add("path: 64 KiB", 0, func(e *badEnv) *http.Request {
		return get(e, tutorial.Path+"/"+strings.Repeat("a", 64<<10), e.session...)
	})
	for _, v := range []string{"Bearer garbage", "Bearer a.b.c", "Bearer " + jwtNone(), "Bearer ", "Basic !!!", "Bearer " + strings.Repeat("t", 512<<10)} {
		add("authorization header: "+clipName(v), 0, func(e *badEnv) *http.Request {
			r := get(e, tutorial.Path)
			r.Header.Set("Authorization", v)
			return r
		})
	}
	add("forwarded headers: nonsense", 0, func(e *badEnv) *http.Request {
		r := get(e, tutorial.Path)
		r.Header.Set("X-Forwarded-Proto", "gopher")
		r.Header.Set("X-Forwarded-Port", "99999999")
		r.Header.Set("X-Forwarded-Host", "a b\tc")
		r.Header.Set("X-Forwarded-Prefix", "/../../x")
		return r
	})
	rawLine := func(name string, want int, reqText string) {
		addRaw(name, want, func(e *badEnv) []byte {
			return []byte(strings.ReplaceAll(reqText, "HOST", e.host))
		})
	}
	rawLine("raw: not HTTP", http.StatusBadRequest, "GARBAGE\r\n\r\n")
	rawLine("raw: header name with a space", http.StatusBadRequest, "GET /anything HTTP/1.1\r\nHost: HOST\r\nBad Header: x\r\n\r\n")
	rawLine("raw: NUL in a header value", http.StatusBadRequest, "GET /anything HTTP/1.1\r\nHost: HOST\r\nX-A: a\x00b\r\n\r\n")
	rawLine("raw: no Host", http.StatusBadRequest, "GET /anything HTTP/1.1\r\n\r\n")
	rawLine("raw: two Hosts", http.StatusBadRequest, "GET /anything HTTP/1.1\r\nHost: HOST\r\nHost: other\r\n\r\n")
	rawLine("raw: Host with a control character", http.StatusBadRequest, "GET /anything HTTP/1.1\r\nHost: a\x7fb\r\n\r\n")
	rawLine("raw: negative Content-Length", http.StatusBadRequest, "POST /anything HTTP/1.1\r\nHost: HOST\r\nContent-Length: -1\r\n\r\n")
	rawLine("raw: two Content-Lengths", http.StatusBadRequest, "POST /anything HTTP/1.1\r\nHost: HOST\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
	rawLine("raw: path not starting with /", 0, "GET anything HTTP/1.1\r\nHost: HOST\r\n\r\n")
	rawLine("raw: non-UTF-8 path", 0, "GET /anything/\xff\xfe HTTP/1.1\r\nHost: HOST\r\n\r\n")
	rawLine("raw: HTTP/1.0 without Host", 0, "GET /anything HTTP/1.0\r\n\r\n")
	return cs
}

// jwtNone is an unsigned JWT (alg none) claiming to be anyone.
func jwtNone() string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(`{"sub":"admin","exp":9999999999}`)) + "."
}

func clipName(s string) string {
	if len(s) > 24 {
		return s[:24] + fmt.Sprintf("… (%d bytes)", len(s))
	}
	return s
}

// sendRaw writes raw bytes to the proxy and reads the answer's status, within guard.
func sendRaw(host string, raw []byte, guard time.Duration) (int, error) {
	conn, err := net.DialTimeout("tcp", host, guard)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(guard))
	// Written concurrently: the server may answer (431) before it has read it all.
	go func() {
		conn.Write(raw)
		// Half-close: a body shorter than its Content-Length ends here instead of hanging.
		conn.(*net.TCPConn).CloseWrite()
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestBadInput: malformed and oversized callbacks, cookies and headers, each at and over its
// size limit: every one is answered (no hang, no dropped connection: a panic would drop it),
// never with a 5xx, and with the named status where there is one to expect. The gateway still
// serves the session afterwards.
func TestBadInput(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "ok")
	}))
	t.Cleanup(up.Close)
	deck := strings.Replace(string(sessionDeck("bearer")), "services:\n",
		"services:\n  - name: real\n    url: "+up.URL+"\n    routes:\n      - name: real-route\n        paths: [/real]\n", 1)
	l := startLab(t, lab.Config{Deck: []byte(deck)})
	u, _ := url.Parse(l.URL)
	e := &badEnv{t: t, l: l, host: u.Host, session: loginCookies(t, l)}
	hc := noRedirects(30 * time.Second)
	classes := map[int]int{}
	var tried, errs int
	for _, tc := range badCases() {
		tried++
		var status int
		var err error
		if tc.raw != nil {
			status, err = sendRaw(e.host, tc.raw(e), 30*time.Second)
		} else {
			var resp *http.Response
			if resp, err = hc.Do(tc.req(e)); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				status = resp.StatusCode
			}
		}
		switch {
		case err != nil:
			errs++
			if isTimeout(err) {
				t.Errorf("%s: no answer within 30 s: %v", tc.name, err)
			} else {
				t.Errorf("%s: %v", tc.name, err)
			}
		case status >= 500 || (tc.want != 0 && status != tc.want):
			errs++
			t.Errorf("%s: %d, want %s", tc.name, status, wantText(tc.want))
		}
		classes[status/100]++
		t.Logf("%-55s %d", tc.name, status)
	}
	// Still serving.
	resp, err := hc.Do(get(e, tutorial.Path, e.session...))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the session after the bad inputs: %d", resp.StatusCode)
	}
	t.Logf("bad input: %d inputs tried, answered 2xx %d, 3xx %d, 4xx %d, 5xx %d; %d errors",
		tried, classes[2], classes[3], classes[4], classes[5], errs)
}

func wantText(want int) string {
	if want == 0 {
		return "any status below 500"
	}
	return strconv.Itoa(want)
}
