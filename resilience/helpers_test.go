package resilience_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/labtest"
	"github.com/oidclab/oidclab/lab/tutorial"
	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/scenarios/browser"
)

// long selects the long form: go test ./resilience -long.
var long = flag.Bool("long", false, "run the long form of the resilience suite (200 clients for 60 s, more faults)")

// size is the short form's value, or the long form's with -long.
func size[T any](short, longForm T) T {
	if *long {
		return longForm
	}
	return short
}

// clientSecret is the tutorial client's secret in these labs: known, so a configuration posted
// to the admin API (which renders no templates) can carry it. A test value, never logged.
const clientSecret = "resilience-client-secret"

// sessionSecret makes the gateway's session cookies decodable by every plugin instance a
// configuration replacement creates.
const sessionSecret = "resilience-session-secret"

var demo = browser.Credentials{Username: emulator.DemoUserLogin, Password: emulator.DemoUserPassword}

// idpConfig is the embedded IdP's default org with the tutorial client's secret fixed.
func idpConfig() *emulator.Config {
	cfg := emulator.Default()
	cfg.Clients[0].Secret = clientSecret
	return &cfg
}

// sessionDeck is the tutorial's decK file with sessions on (and extra auth methods), so one
// login gives a cookie that many plain clients can carry.
func sessionDeck(extraAuthMethods ...string) []byte {
	methods := "        - authorization_code\n        - session\n"
	for _, m := range extraAuthMethods {
		methods += "        - " + m + "\n"
	}
	deck := strings.Replace(string(labtest.Tutorial("      session_secret: "+sessionSecret+"\n")),
		"        - authorization_code\n", methods, 1)
	return []byte(deck)
}

// startLab starts a lab on loopback with logs discarded: under load, logs sent to t.Log are
// kept in memory by the testing package and would make the memory figure meaningless.
func startLab(t testing.TB, cfg lab.Config) *labtest.Lab {
	t.Helper()
	if cfg.DeckName == "" {
		cfg.DeckName = "kong.yaml"
	}
	if cfg.IdPConfig == nil && cfg.IdP == "" {
		cfg.IdPConfig = idpConfig()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return labtest.Start(t, cfg)
}

func newDriver(t testing.TB) *browser.HTTP {
	t.Helper()
	d, err := browser.NewHTTP(browser.HTTPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// loginCookies logs the demo user in with the HTTP driver and returns the gateway's session
// cookies (session, session2, ... when chunked).
func loginCookies(t testing.TB, l *labtest.Lab) []*http.Cookie {
	t.Helper()
	d := newDriver(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := d.Login(ctx, l.URL+tutorial.Path, demo)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if res.Status != http.StatusOK {
		t.Fatalf("login ended on %d", res.Status)
	}
	u, _ := url.Parse(l.URL + tutorial.Path)
	var out []*http.Cookie
	for _, c := range d.Jar().Cookies(u) {
		if strings.HasPrefix(c.Name, "session") {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		t.Fatal("no session cookie after the login")
	}
	return out
}

// freshLogin runs one whole login with a new driver; it reports whether it reached the echo
// upstream with a bearer token.
func freshLogin(ctx context.Context, base string) error {
	d, err := browser.NewHTTP(browser.HTTPOptions{})
	if err != nil {
		return err
	}
	defer d.Close()
	res, err := d.Login(ctx, base+tutorial.Path, demo)
	if err != nil {
		return err
	}
	if res.Status != http.StatusOK || !strings.Contains(res.Body, `"Bearer `) {
		return fmt.Errorf("login ended on %d without the upstream's echo", res.Status)
	}
	return nil
}

// noRedirects is a client that shows the gateway's answers as they are, bounded in time: a
// hang is a failure, not a stuck test.
func noRedirects(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// tally counts outcomes of many concurrent requests and keeps the first few failures' texts.
type tally struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	samples    []string
}

func (ty *tally) fail(format string, args ...any) {
	ty.failed.Add(1)
	ty.mu.Lock()
	defer ty.mu.Unlock()
	if len(ty.samples) < 5 {
		ty.samples = append(ty.samples, fmt.Sprintf(format, args...))
	}
}

func (ty *tally) String() string {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	return strings.Join(ty.samples, "; ")
}

// hammer runs clients goroutines, each sending session requests to the gateway until stop is
// closed, and counts them in ty: an answer other than the upstream's 200 echo with a bearer
// token is an error.
func hammer(base string, cookies []*http.Cookie, clients int, stop <-chan struct{}, ty *tally) (wait func()) {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, IdleConnTimeout: 30 * time.Second}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest(http.MethodGet, base+tutorial.Path+"/c"+strconv.Itoa(i)+"?n="+strconv.Itoa(n), nil)
				for _, c := range cookies {
					req.AddCookie(c)
				}
				resp, err := client.Do(req)
				if err != nil {
					ty.fail("client %d: %v", i, err)
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch {
				case err != nil:
					ty.fail("client %d: reading the answer: %v", i, err)
				case resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"Bearer `):
					ty.fail("client %d: %d %.120s", i, resp.StatusCode, body)
				default:
					ty.ok.Add(1)
				}
			}
		})
	}
	return func() {
		wg.Wait()
		tr.CloseIdleConnections()
	}
}

// memory is the process's live heap and resident set, measured after returning freed memory
// to the OS so two measurements compare what is held, not what the runtime kept around.
type memory struct {
	heap, rss uint64
}

func measureMemory() memory {
	debug.FreeOSMemory() // a full GC first
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memory{heap: ms.HeapAlloc, rss: rss()}
}

// rss reads the resident set from /proc/self/statm (0 where there is no /proc).
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// settleGoroutines waits (bounded) until the goroutine count is back to at most limit and
// returns the last count seen: connections and timers of finished requests take a moment to
// wind down, so the count is polled rather than read once.
func settleGoroutines(limit int, guard time.Duration) int {
	deadline := time.Now().Add(guard)
	for {
		n := runtime.NumGoroutine()
		if n <= limit || time.Now().After(deadline) {
			return n
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// reservePort returns a loopback address that was free a moment ago.
func reservePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// isTimeout reports a client-side timeout: the gateway did not answer within the guard.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
