package browser_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oidclab/oidclab/scenarios/browser"
)

// The lab is a tiny identity provider and relying party on two loopback servers. Tests reach
// them under different host names so that they are different sites, as the IdP and the gateway
// are in real life: the IdP as "localhost" and the RP as "127.0.0.1" (or the other way round,
// or as *.test names mapped onto loopback).
//
// IdP:  GET /authorize?redirect_uri&state[&two_step=1][&response_mode=query][&prompt=login][&script=1]
//       login form, or straight back with a code when the IdP session cookie is there
//       POST /identify, POST /login                                            checks demo/s3cret
//       POST /check (the script page's fetch)                                   204 or 401
//       GET /broken                                                            200 page, no form
//       GET /bad                                                               400
//       GET /loop                                                              302 to itself
//       GET /hang                                                              never answers
// RP:   GET /start?idp=BASE[&cookie=NAME][&attrs=Set-Cookie attributes of the state cookie]
//                 [&idp_path=...][&two_step=1][&response_mode=query][&prompt=login][&script=1]
//       GET|POST /callback?cookie=NAME  JSON: method, state_cookie, state_match, code_ok
//       GET /home           JSON: logged_in

const (
	demoUser     = "demo"
	demoPassword = "s3cret"
)

var demoCreds = browser.Credentials{Username: demoUser, Password: demoPassword}

type lab struct {
	t        testing.TB
	idp, rp  *httptest.Server
	mu       sync.Mutex
	codes    map[string]bool
	sessions map[string]bool // RP sessions
	idpSess  map[string]bool
	idpLog   []string // "METHOD /path" of every IdP request
	stop     chan struct{}
	// onPassword runs when the IdP accepts a password, before it answers (to move a clock).
	onPassword func()
}

func newLab(t testing.TB) *lab {
	l := &lab{t: t, codes: map[string]bool{}, sessions: map[string]bool{}, idpSess: map[string]bool{}, stop: make(chan struct{})}
	l.idp = httptest.NewServer(http.HandlerFunc(l.serveIdP))
	l.rp = httptest.NewServer(http.HandlerFunc(l.serveRP))
	t.Cleanup(l.idp.Close)
	t.Cleanup(l.rp.Close)
	t.Cleanup(func() { close(l.stop) }) // runs first: releases /hang before the servers close
	return l
}

func port(s *httptest.Server) string {
	_, p, _ := net.SplitHostPort(s.Listener.Addr().String())
	return p
}

// idpURL and rpURL name the servers under host, e.g. "localhost" or "127.0.0.1".
func (l *lab) idpURL(host, path string) string { return "http://" + host + ":" + port(l.idp) + path }
func (l *lab) rpURL(host, path string) string  { return "http://" + host + ":" + port(l.rp) + path }

// startURL is where a login starts: the RP on rpHost, sending the user to the IdP on idpHost,
// with the state cookie carrying attrs.
func (l *lab) startURL(rpHost, idpHost, attrs string, extra url.Values) string {
	q := url.Values{"idp": {l.idpURL(idpHost, "")}, "attrs": {attrs}}
	for k, v := range extra {
		q[k] = v
	}
	return l.rpURL(rpHost, "/start?"+q.Encode())
}

func (l *lab) idpRequests() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.idpLog...)
}

func token() string { return rand.Text() }

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html><head><title>Sign in</title></head><body>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
  <input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
  <input type="hidden" name="state" value="{{.State}}">
  <input type="hidden" name="response_mode" value="{{.ResponseMode}}">
  {{if .Identifier}}<input type="hidden" name="identifier" value="{{.Identifier}}">{{end}}
  {{if eq .Step "identifier"}}<label>Username <input type="text" name="identifier" autocomplete="username"></label>{{end}}
  {{if eq .Step "passcode"}}<label>Password <input type="password" name="credentials.passcode"></label>{{end}}
  {{if eq .Step "both"}}<label>Username <input type="text" name="username"></label>
  <label>Password <input type="password" name="password"></label>{{end}}
  <button type="submit" name="action" value="signin">Sign in</button>
</form></body></html>`))

// scriptPage is a login page drawn by script after load, which checks the password with a
// fetch and shows a wrong one in place, without navigating, as Okta's sign-in widget does.
// Without script it shows nothing.
var scriptPage = template.Must(template.New("script").Parse(`<!doctype html>
<html><head><title>Sign in</title></head><body>
<template id="tpl"><p id="msg"></p>
<form method="post" action="/login">
  <input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
  <input type="hidden" name="state" value="{{.State}}">
  <input type="hidden" name="response_mode" value="{{.ResponseMode}}">
  <input type="text" name="username"><input type="password" name="password">
  <button type="submit">Sign in</button>
</form></template>
<div id="app"></div>
<script>
setTimeout(() => {
  const app = document.getElementById("app");
  app.appendChild(document.getElementById("tpl").content.cloneNode(true));
  const f = app.querySelector("form");
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await fetch("/check", {method: "POST", body: new URLSearchParams(new FormData(f))});
    if (r.ok) {
      HTMLFormElement.prototype.submit.call(f);
    } else {
      const m = document.getElementById("msg");
      m.setAttribute("role", "alert");
      m.textContent = "Wrong username or password";
    }
  });
}, 200);
</script></body></html>`))

var formPostPage = template.Must(template.New("form_post").Parse(`<!doctype html>
<html><head><title>Submit this form</title></head>
<body onload="document.forms[0].submit()">
<form method="post" action="{{.RedirectURI}}">
  <input type="hidden" name="code" value="{{.Code}}">
  <input type="hidden" name="state" value="{{.State}}">
  <noscript><button type="submit">Continue</button></noscript>
</form></body></html>`))

type loginData struct {
	Action, RedirectURI, State, ResponseMode, Step, Identifier, Error string
}

func (l *lab) serveIdP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/favicon.ico" {
		// Chromium asks for it on its own schedule; it is not part of the flow.
		http.NotFound(w, r)
		return
	}
	l.mu.Lock()
	l.idpLog = append(l.idpLog, r.Method+" "+r.URL.Path)
	l.mu.Unlock()
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	d := loginData{RedirectURI: r.Form.Get("redirect_uri"), State: r.Form.Get("state"), ResponseMode: r.Form.Get("response_mode")}
	w.Header().Set("Cache-Control", "no-store")
	switch r.URL.Path {
	case "/authorize":
		if d.RedirectURI == "" {
			http.Error(w, "invalid_request: redirect_uri is required", http.StatusBadRequest)
			return
		}
		if c, err := r.Cookie("idp_sid"); err == nil && l.hasIdPSession(c.Value) && r.Form.Get("prompt") != "login" {
			l.respond(w, r, d)
			return
		}
		if r.Form.Get("script") == "1" {
			l.render(w, scriptPage, d, http.StatusOK)
			return
		}
		d.Action, d.Step = "/login", "both"
		if r.Form.Get("two_step") == "1" {
			d.Action, d.Step = "/identify", "identifier"
		}
		l.render(w, loginPage, d, http.StatusOK)
	case "/identify":
		d.Action, d.Step, d.Identifier = "/login", "passcode", r.PostForm.Get("identifier")
		if d.Identifier != demoUser {
			d.Action, d.Step, d.Identifier, d.Error = "/identify", "identifier", "", "Unknown user"
		}
		l.render(w, loginPage, d, http.StatusOK)
	case "/login":
		user := r.PostForm.Get("username") + r.PostForm.Get("identifier")
		pass := r.PostForm.Get("password") + r.PostForm.Get("credentials.passcode")
		if r.Method != http.MethodPost || user != demoUser || pass != demoPassword {
			d.Action, d.Step, d.Error = "/login", "both", "Wrong username or password"
			l.render(w, loginPage, d, http.StatusOK)
			return
		}
		if l.onPassword != nil {
			l.onPassword()
		}
		sid := token()
		l.mu.Lock()
		l.idpSess[sid] = true
		l.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "idp_sid", Value: sid, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		l.respond(w, r, d)
	case "/check":
		if r.PostForm.Get("username") != demoUser || r.PostForm.Get("password") != demoPassword {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case "/broken":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>Oops</title><p class="error">Something went wrong</p>`)
	case "/bad":
		http.Error(w, "bad request", http.StatusBadRequest)
	case "/loop":
		http.Redirect(w, r, "/loop", http.StatusFound)
	case "/hang":
		// Hold the request until the client gives up (or the server closes).
		select {
		case <-r.Context().Done():
		case <-l.stop:
		}
	default:
		http.NotFound(w, r)
	}
}

func (l *lab) hasIdPSession(sid string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.idpSess[sid]
}

// respond ends the authorization request with a code, by form_post unless query was asked.
func (l *lab) respond(w http.ResponseWriter, r *http.Request, d loginData) {
	code := token()
	l.mu.Lock()
	l.codes[code] = true
	l.mu.Unlock()
	if d.ResponseMode == "query" {
		u, err := url.Parse(d.RedirectURI)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		q := u.Query()
		q.Set("code", code)
		q.Set("state", d.State)
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
		return
	}
	l.render(w, formPostPage, struct{ RedirectURI, Code, State string }{d.RedirectURI, code, d.State}, http.StatusOK)
}

func (l *lab) render(w http.ResponseWriter, t *template.Template, data any, status int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := t.Execute(w, data); err != nil {
		l.t.Errorf("template %s: %v", t.Name(), err)
	}
}

type callbackReport struct {
	Method      string `json:"method"`
	StateCookie bool   `json:"state_cookie"`
	StateMatch  bool   `json:"state_match"`
	CodeOK      bool   `json:"code_ok"`
	LoggedIn    bool   `json:"logged_in"`
	// Request headers a server can check against CSRF, as the callback saw them.
	Origin       string `json:"origin,omitempty"`
	Referer      string `json:"referer,omitempty"`
	SecFetchSite string `json:"sec_fetch_site,omitempty"`
	SecFetchMode string `json:"sec_fetch_mode,omitempty"`
	SecFetchDest string `json:"sec_fetch_dest,omitempty"`
}

func (l *lab) serveRP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	switch r.URL.Path {
	case "/start":
		q := r.URL.Query()
		state := token()
		name := cmpOr(q.Get("cookie"), "rp_state")
		line := name + "=" + state + "; Path=/; HttpOnly"
		if a := q.Get("attrs"); a != "" {
			line += "; " + a
		}
		w.Header().Add("Set-Cookie", line)
		authz := url.Values{"redirect_uri": {"http://" + r.Host + "/callback?cookie=" + name}, "state": {state}}
		for _, k := range []string{"two_step", "response_mode", "prompt", "script"} {
			if v := q.Get(k); v != "" {
				authz.Set(k, v)
			}
		}
		path := "/authorize"
		if p := q.Get("idp_path"); p != "" {
			path = p
		}
		http.Redirect(w, r, q.Get("idp")+path+"?"+authz.Encode(), http.StatusFound)
	case "/callback":
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rep := callbackReport{
			Method: r.Method, Origin: r.Header.Get("Origin"), Referer: r.Header.Get("Referer"),
			SecFetchSite: r.Header.Get("Sec-Fetch-Site"), SecFetchMode: r.Header.Get("Sec-Fetch-Mode"),
			SecFetchDest: r.Header.Get("Sec-Fetch-Dest"),
		}
		if c, err := r.Cookie(cmpOr(r.URL.Query().Get("cookie"), "rp_state")); err == nil {
			rep.StateCookie = true
			rep.StateMatch = c.Value == r.Form.Get("state")
		}
		l.mu.Lock()
		rep.CodeOK = l.codes[r.Form.Get("code")]
		delete(l.codes, r.Form.Get("code"))
		l.mu.Unlock()
		if rep.StateMatch && rep.CodeOK {
			sid := token()
			l.mu.Lock()
			l.sessions[sid] = true
			l.mu.Unlock()
			http.SetCookie(w, &http.Cookie{Name: "rp_session", Value: sid, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
			rep.LoggedIn = true
		}
		writeJSON(w, rep)
	case "/home":
		rep := callbackReport{Method: r.Method}
		if c, err := r.Cookie("rp_session"); err == nil {
			l.mu.Lock()
			rep.LoggedIn = l.sessions[c.Value]
			l.mu.Unlock()
		}
		writeJSON(w, rep)
	default:
		http.NotFound(w, r)
	}
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func report(t testing.TB, res *browser.Result) callbackReport {
	t.Helper()
	var rep callbackReport
	if err := json.Unmarshal([]byte(strings.TrimSpace(res.Body)), &rep); err != nil {
		t.Fatalf("final page %s (status %d) is not the RP's JSON: %v\n%.300s", res.URL, res.Status, err, res.Body)
	}
	return rep
}

// testResolverRules maps *.test names onto loopback, for Chromium and the HTTP driver alike.
const testResolverRules = "MAP *.test 127.0.0.1"

// testTransport dials *.test names on 127.0.0.1, like testResolverRules.
func testTransport() *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, p, err := net.SplitHostPort(addr)
		if err == nil && strings.HasSuffix(host, ".test") {
			addr = net.JoinHostPort("127.0.0.1", p)
		}
		return d.DialContext(ctx, network, addr)
	}
	return t
}
