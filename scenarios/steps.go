package scenarios

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oidclab/oidclab/gateway/echo"
	"github.com/oidclab/oidclab/lab/tutorial"
	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/scenarios/browser"
)

// step runs one step; an error fails the scenario.
func (r *run) step(ctx context.Context, index int, st Step) error {
	switch st.Kind {
	case "visit":
		return r.navigate(ctx, index, st.Kind, st.Visit.Host, pathOr(st.Visit.Path, tutorial.Path), nil, false)
	case "logout":
		return r.navigate(ctx, index, st.Kind, st.Visit.Host, pathOr(st.Visit.Path, tutorial.Path+"/logout"), nil, false)
	case "login":
		creds, err := r.credentials(st.Login)
		if err != nil {
			return err
		}
		return r.navigate(ctx, index, st.Kind, st.Login.Host, pathOr(st.Login.Path, tutorial.Path), &creds, st.Login.Fails)
	case "request":
		return r.request(ctx, index, st.Request)
	case "expect":
		if r.last.step == 0 {
			return errors.New("nothing to check: expect follows an action (visit, login, logout, request)")
		}
		return r.expect(st.Expect)
	case "advance_clock":
		r.lab.AdvanceClock(st.Duration)
	case "skew_clock":
		// The IdP's clock alone runs ahead: its tokens look dated in the future to the gateway.
		r.skew += st.Duration
		r.emulator().SetClockOffset(r.skew)
	case "rotate_keys":
		return r.emulator().RotateKeys()
	case "inject_fault":
		f := st.Fault
		return r.emulator().SetFault(f.Endpoint, emulator.Fault{Status: f.Status, Delay: f.Delay, Count: f.Count, MalformedJSON: f.MalformedJSON})
	case "clear_faults":
		r.emulator().ClearFaults()
	case "apply":
		src, name, err := st.Apply.deckSource(r.dir)
		if err != nil {
			return err
		}
		return r.lab.Apply(src, name)
	case "wait":
		t := time.NewTimer(st.Duration)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	default:
		return fmt.Errorf("unknown step %q", st.Kind)
	}
	return nil
}

func (r *run) emulator() *emulator.Server { return r.lab.Emulator() }

func pathOr(p, def string) string {
	if p == "" {
		return def
	}
	return p
}

// credentials are the sign-in a login step types.
func (r *run) credentials(l *Login) (browser.Credentials, error) {
	switch {
	case l.Username != "" || l.Password != "":
		return browser.Credentials{Username: l.Username, Password: l.Password}, nil
	case r.res.IdP == "okta":
		return browser.Credentials{Username: r.env("OKTA_TEST_USER"), Password: r.env("OKTA_TEST_PASSWORD")}, nil
	case l.User != "":
		u, ok := r.emulator().User(l.User)
		if !ok {
			return browser.Credentials{}, fmt.Errorf("login: the embedded IdP has no user %q (add it under emulator.users)", l.User)
		}
		return browser.Credentials{Username: u.Login, Password: u.Password}, nil
	}
	return browser.Credentials{Username: emulator.DemoUserLogin, Password: emulator.DemoUserPassword}, nil
}

// target is the URL for path on the lab's public URL, on host if given.
func (r *run) target(host, path string) (string, error) {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path, nil
	}
	u, err := url.Parse(r.lab.PublicURL())
	if err != nil {
		return "", err
	}
	if host != "" {
		u.Host = host
		if p := portOf(r.lab.PublicURL()); p != "" {
			u.Host = host + ":" + p
		}
	}
	return u.String() + path, nil
}

func portOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Port()
}

// navigate runs a browser navigation. A login that must fail passes when it does not reach the
// app; otherwise a navigation passes unless the browser could not complete it. HTTP error
// statuses are results for the next expect.
func (r *run) navigate(ctx context.Context, index int, kind, host, path string, creds *browser.Credentials, mustFail bool) error {
	u, err := r.target(host, path)
	if err != nil {
		return err
	}
	var res *browser.Result
	if creds != nil {
		res, err = r.driver.Login(ctx, u, *creds)
	} else {
		res, err = r.driver.Get(ctx, u)
	}
	var le *browser.LoginError
	if errors.As(err, &le) && res == nil {
		res = le.Result
	}
	r.record(ctx, index, kind, res, err)
	switch {
	case mustFail && err == nil && res != nil && res.Status < 400:
		return fmt.Errorf("the login reached the app (status %d), but the scenario expects it to fail", res.Status)
	case mustFail:
		return nil
	case err != nil && ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return err
	}
	return nil
}

// record keeps an action's outcome for the next expect and its hops for the trace.
func (r *run) record(ctx context.Context, index int, kind string, res *browser.Result, err error) {
	r.last = outcome{step: index, kind: kind, result: res, err: err, events: r.drain(ctx)}
	if res == nil {
		return
	}
	if res.Cookies != nil {
		r.cookies = res.Cookies
	}
	for _, h := range res.Hops {
		r.res.Trace = append(r.res.Trace, TraceHop{Step: index, Hop: h})
	}
	if e, ok := parseEcho(res); ok {
		if tok, ok := strings.CutPrefix(e.Header("Authorization"), "Bearer "); ok {
			r.accessToken = tok
		}
	}
}

// request calls the gateway as an API client: no cookies, no redirects followed.
func (r *run) request(ctx context.Context, index int, q *Request) error {
	u, err := r.target("", pathOr(q.Path, tutorial.Path))
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, strings.ToUpper(pathOr(q.Method, http.MethodGet)), u, nil)
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	if q.Bearer == "access_token" {
		if r.accessToken == "" {
			return errors.New("request: no access token yet: bearer: access_token needs a page that reached the upstream with one (a login) first")
		}
		req.Header.Set("Authorization", "Bearer "+r.accessToken)
	}
	client := &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		r.record(ctx, index, "request", nil, err)
		return fmt.Errorf("request: %w", withoutURL(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 2<<20))
	if err != nil {
		return fmt.Errorf("request: reading the answer: %w", err)
	}
	res := &browser.Result{
		URL: browser.RedactURL(u), Status: resp.StatusCode, Body: string(body),
		ContentType: strings.TrimSpace(strings.Split(resp.Header.Get("Content-Type"), ";")[0]),
		Header:      resp.Header.Clone(),
		Hops:        []browser.Hop{{Method: req.Method, URL: browser.RedactURL(u), Status: resp.StatusCode, Note: "API request"}},
	}
	res.Header.Del("Set-Cookie")
	r.record(ctx, index, "request", res, nil)
	return nil
}

func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// parseEcho reads the page as the echo upstream's answer, when it is one.
func parseEcho(res *browser.Result) (echo.Answer, bool) {
	if res == nil || res.ContentType != "application/json" {
		return echo.Answer{}, false
	}
	return echo.ParseAnswer([]byte(res.Body))
}
