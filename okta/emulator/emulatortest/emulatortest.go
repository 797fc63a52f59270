// Package emulatortest starts the Okta emulator in tests and signs users in through its HTML
// forms the way a simple browser would.
package emulatortest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/oidclab/oidclab/okta/emulator"
)

// sharedKey saves every test an RSA key generation.
var sharedKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// Start serves cfg on a loopback port until the test ends.
func Start(t testing.TB, cfg emulator.Config) *emulator.Server {
	t.Helper()
	s, err := emulator.Start(context.Background(), "127.0.0.1:0", cfg, emulator.Options{SigningKey: sharedKey()})
	if err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Callback is what the emulator sent back to the client's redirect URI.
type Callback struct {
	URL    string     // the redirect URI (without the response parameters for query mode)
	Mode   string     // query, fragment or form_post
	Params url.Values // code, state, error, error_description…
}

// Browser is a cookie-keeping HTTP client that fills the emulator's sign-in forms.
type Browser struct {
	HTTP *http.Client
}

// NewBrowser returns a Browser with an empty cookie jar; it does not follow redirects itself.
func NewBrowser() *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{HTTP: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// ErrPage is returned when the emulator answers with a page instead of a callback.
type ErrPage struct {
	Status  int
	Message string
}

func (e *ErrPage) Error() string { return fmt.Sprintf("emulator page %d: %s", e.Status, e.Message) }

var (
	formRe   = regexp.MustCompile(`(?s)<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>`)
	inputRe  = regexp.MustCompile(`<input([^>]*)>`)
	attrRe   = regexp.MustCompile(`(\w[\w.-]*)="([^"]*)"`)
	alertRe  = regexp.MustCompile(`(?s)role="alert">(.*?)</div>`)
	errMsgRe = regexp.MustCompile(`(?s)id="error-message">(.*?)</p>`)
)

// Login opens authorizeURL and signs in with login and password when the form appears
// (through the two-step identifier/password form), until the emulator answers the client.
func (b *Browser) Login(ctx context.Context, authorizeURL, login, password string) (*Callback, error) {
	start, err := url.Parse(authorizeURL)
	if err != nil {
		return nil, err
	}
	method, target, body := http.MethodGet, authorizeURL, url.Values(nil)
	for hop := 0; hop < 12; hop++ {
		var req *http.Request
		if method == http.MethodPost {
			req, err = http.NewRequestWithContext(ctx, method, target, strings.NewReader(body.Encode()))
			if err == nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
		} else {
			req, err = http.NewRequestWithContext(ctx, method, target, nil)
		}
		if err != nil {
			return nil, err
		}
		resp, err := b.HTTP.Do(req)
		if err != nil {
			return nil, err
		}
		page, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && loc != "" {
			next, err := resp.Request.URL.Parse(loc)
			if err != nil {
				return nil, err
			}
			if next.Host != start.Host {
				return callbackFromURL(next)
			}
			method, target, body = http.MethodGet, next.String(), nil
			continue
		}
		m := formRe.FindSubmatch(page)
		if m == nil {
			return nil, pageError(resp.StatusCode, page)
		}
		action, err := resp.Request.URL.Parse(html.UnescapeString(string(m[1])))
		if err != nil {
			return nil, err
		}
		fields := url.Values{}
		for _, in := range inputRe.FindAllSubmatch(m[2], -1) {
			attrs := map[string]string{}
			for _, a := range attrRe.FindAllSubmatch(in[1], -1) {
				attrs[string(a[1])] = html.UnescapeString(string(a[2]))
			}
			if name := attrs["name"]; name != "" {
				fields.Set(name, attrs["value"])
			}
		}
		if action.Host != start.Host { // form_post back to the client
			return &Callback{URL: action.String(), Mode: "form_post", Params: fields}, nil
		}
		if resp.StatusCode >= 400 {
			return nil, pageError(resp.StatusCode, page)
		}
		switch {
		case fields.Has("credentials.passcode"):
			fields.Set("credentials.passcode", password)
		case fields.Has("identifier"):
			fields.Set("identifier", login)
		default:
			return nil, fmt.Errorf("unexpected form at %s", resp.Request.URL)
		}
		method, target, body = http.MethodPost, action.String(), fields
	}
	return nil, errors.New("too many hops without reaching the client")
}

func callbackFromURL(u *url.URL) (*Callback, error) {
	cb := &Callback{Mode: "query", Params: u.Query()}
	if u.Fragment != "" {
		v, err := url.ParseQuery(u.Fragment)
		if err != nil {
			return nil, err
		}
		cb.Mode, cb.Params = "fragment", v
	}
	u2 := *u
	u2.RawQuery, u2.Fragment = "", ""
	cb.URL = u2.String()
	return cb, nil
}

func pageError(status int, page []byte) error {
	msg := ""
	if m := alertRe.FindSubmatch(page); m != nil {
		msg = string(m[1])
	} else if m := errMsgRe.FindSubmatch(page); m != nil {
		msg = string(m[1])
	}
	return &ErrPage{Status: status, Message: html.UnescapeString(strings.TrimSpace(msg))}
}
