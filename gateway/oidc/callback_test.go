package oidc

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/gateway/oidc/oidctest"
)

func TestCallbackParams(t *testing.T) {
	tests := []struct {
		name, method, ctype, query, body string
		want                             callbackParams
	}{
		{"query", "GET", "", "code=c&state=s&iss=i", "", callbackParams{Code: "c", State: "s", Iss: "i"}},
		{"form_post", "POST", "application/x-www-form-urlencoded", "", "code=c&state=s", callbackParams{Code: "c", State: "s", FromBody: true}},
		{"body wins over query", "POST", "application/x-www-form-urlencoded; charset=utf-8", "code=q&iss=i", "code=b&state=s", callbackParams{Code: "b", State: "s", Iss: "i", FromBody: true}},
		{"json body ignored", "POST", "application/json", "", `{"code":"c"}`, callbackParams{}},
		{"error", "GET", "", "error=access_denied&error_description=nope&state=s", "", callbackParams{State: "s", Error: "access_denied", ErrorDescription: "nope"}},
		{"reposted", "POST", "application/x-www-form-urlencoded", "", "code=c&state=s&" + repostMarker + "=1", callbackParams{Code: "c", State: "s", FromBody: true, Reposted: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fuzzCall(tt.method, tt.ctype, tt.query, tt.body)
			if got := c.callbackParams(); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func fuzzCall(method, ctype, query, body string) *call {
	r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/anything", nil)
	r.Method = method
	r.URL.RawQuery = query
	r.Body = io.NopCloser(strings.NewReader(body))
	r.ContentLength = int64(len(body))
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	p := &plugin{cfg: &Config{}}
	return &call{p: p, r: r, w: httptest.NewRecorder()}
}

// FuzzCallback: parsing any callback request never panics, and stripping leaves no
// authorization response parameter for the upstream.
func FuzzCallback(f *testing.F) {
	f.Add("GET", "", "code=abc&state=xyz&iss=http%3A%2F%2Fi", "")
	f.Add("POST", "application/x-www-form-urlencoded", "a=1", "code=abc&state=xyz&session_state=q&keep=1")
	f.Add("POST", "application/x-www-form-urlencoded; charset=utf-8", "", "code=%zz&state")
	f.Add("POST", "multipart/form-data; boundary=x", "code=1", "--x--")
	f.Add("PUT", ";;;", "%", "&&&=")
	f.Fuzz(func(t *testing.T, method, ctype, query, body string) {
		if !validMethod(method) {
			return
		}
		c := fuzzCall(method, ctype, query, body)
		p := c.callbackParams()
		if len(p.Error) > 104 || len(p.ErrorDescription) > 304 {
			t.Fatalf("IdP error text not bounded: %d/%d", len(p.Error), len(p.ErrorDescription))
		}
		c.stripCallbackArgs()
		if q, err := url.ParseQuery(c.r.URL.RawQuery); err == nil && (q.Has("code") || q.Has("state")) {
			t.Fatalf("query still has callback args: %q", c.r.URL.RawQuery)
		}
		if c.form != nil {
			rest, _ := io.ReadAll(c.r.Body)
			if f, err := url.ParseQuery(string(rest)); err == nil && (f.Has("code") || f.Has("state")) {
				t.Fatalf("body still has callback args: %q", rest)
			}
		}
	})
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, r := range m {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// A form_post callback without the state cookie gets the re-POST page once; the re-POST with
// the cookie completes the login, a second miss starts a new one.
func TestRepostPage(t *testing.T) {
	h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) { cfg["response_mode"] = "form_post" })
	_, ck, q := h.startLogin("/anything")
	// The OP answers form_post with an HTML form: take its fields.
	req, _ := http.NewRequest(http.MethodGet, h.op.Issuer+"/v1/authorize?"+q.Encode(), nil)
	_, page := mustDo(t, rawClient(t), req)
	fields := hiddenFields(page)
	if fields.Get("code") == "" {
		t.Fatalf("no code in the form_post page")
	}
	resp, body := h.post("/anything", fields, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("missing cookie on form_post: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// form-action would block the 302 to the IdP that can answer the re-POST (see
	// TestE2EChromiumStartedOnOtherLoopbackName); default-src 'none' and the script hash lock it.
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'sha256-") ||
		strings.Contains(csp, "form-action") || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("re-POST page headers: CSP %q", csp)
	}
	reposted := hiddenFields(body)
	if reposted.Get("code") != fields.Get("code") || reposted.Get(repostMarker) != "1" {
		t.Fatalf("re-POST page fields: %v", keys(reposted))
	}
	if e := h.events.last(t, EventCallbackReceived); !strings.Contains(e.Message, "re-POST") {
		t.Errorf("event: %q", e.Message)
	}
	// Second miss: new login, no loop on the page.
	if resp, _ := h.post("/anything", reposted, nil); resp.StatusCode != http.StatusFound {
		t.Fatalf("second miss: %d, want a new login", resp.StatusCode)
	}
	// With the cookie (what the same-origin re-POST carries) the login completes.
	resp, body = h.post("/anything", reposted, ck)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"method":"POST"`) {
		t.Fatalf("re-POST with cookie: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(body, repostMarker) {
		t.Error("the re-POST marker reached the upstream")
	}
}

// hiddenFields pulls name/value pairs out of hidden inputs (good enough for our own pages).
func hiddenFields(page string) url.Values {
	out := url.Values{}
	for _, part := range strings.Split(page, "<input")[1:] {
		name := attrValue(part, "name")
		if name != "" {
			out.Add(name, attrValue(part, "value"))
		}
	}
	return out
}

func attrValue(s, attr string) string {
	i := strings.Index(s, attr+`="`)
	if i < 0 {
		return ""
	}
	s = s[i+len(attr)+2:]
	j := strings.IndexByte(s, '"')
	if j < 0 {
		return ""
	}
	v := strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&lt;", "<", "&gt;", ">", "&#39;", "'").Replace(s[:j])
	return v
}

// The re-POST page turns a cross-site POST into a same-site one. A site that fakes a form_post
// callback must not get, through it, a same-site request carrying the user's Lax session (CSRF
// past SameSite): a re-POST is only ever handled as a callback.
func TestRepostIsNotACSRFGadget(t *testing.T) {
	h := newHarness(t, nil)
	resp, _ := h.login()
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "session" {
			session = c
		}
	}
	if resp.StatusCode != http.StatusOK || session == nil {
		t.Fatalf("login: %d, session cookie %v", resp.StatusCode, session != nil)
	}
	forged := url.Values{"code": {"attacker-code"}, "state": {"attacker-state"}, "transfer": {"all"}}
	// The cross-site POST: the Lax session cookie is not sent.
	resp, page := h.post("/anything/account", forged, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "<form") {
		t.Fatalf("forged callback: %d, want the re-POST page (events:%s)", resp.StatusCode, h.events.summary())
	}
	// The page's same-site POST: now the browser sends the session cookie.
	resp, body := h.post("/anything/account", hiddenFields(page), session)
	if resp.StatusCode == http.StatusOK || strings.Contains(body, "transfer") {
		t.Errorf("the re-POST reached the upstream with the user's session: %d %s", resp.StatusCode, body)
	}
	if n := len(h.op.TokenRequests()); n != 1 {
		t.Errorf("the forged code reached the token endpoint")
	}
	// The session itself still works for the user's own requests.
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/anything", nil)
	req.AddCookie(session)
	if resp, _ := mustDo(t, rawClient(t), req); resp.StatusCode != http.StatusOK {
		t.Errorf("session request after the attempt: %d", resp.StatusCode)
	}
}

// The re-POST page posts back to its own URL: a request path that would read as a URL of another
// host (//evil.example/x) must not become the form's target.
func TestRepostPageStaysOnOrigin(t *testing.T) {
	h := newHarness(t, nil)
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"//evil.example/x?y=1", strings.NewReader("code=c&state=s"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, page := mustDo(t, rawClient(t), req)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "<form") {
		t.Fatalf("%d, want the re-POST page", resp.StatusCode)
	}
	form := page[strings.Index(page, "<form"):]
	form = form[:strings.IndexByte(form, '>')]
	if a := attrValue(form, "action"); a != "" && (!strings.HasPrefix(a, "/") || strings.HasPrefix(a, "//") || strings.HasPrefix(a, `/\`)) {
		t.Errorf("re-POST form action %q leaves the origin", a)
	}
}

// Stripping the authorization response leaves every other parameter as the client sent it: same
// order, same escaping, repeated names kept; bodies that are not urlencoded are not touched.
func TestStripCallbackArgsKeepsTheRest(t *testing.T) {
	tests := []struct {
		name, ctype, query, body string
		wantQuery, wantBody      string
	}{
		{"query", "", "z=1&code=c&a=x%20y&state=s&z=2&iss=http%3A%2F%2Fi&k", "", "z=1&a=x%20y&z=2&k", ""},
		{"form body", "application/x-www-form-urlencoded", "keep=1",
			"z=1&code=c&a=x%20y+w&st%61te=s&z=2&session_state=q&empty=&" + repostMarker + "=1",
			"keep=1", "z=1&a=x%20y+w&z=2&empty="},
		{"nothing to strip", "application/x-www-form-urlencoded", "", "b=2&a=1&b=3", "", "b=2&a=1&b=3"},
		{"multipart untouched", "multipart/form-data; boundary=x", "",
			"--x\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\nc\r\n--x--\r\n", "",
			"--x\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\nc\r\n--x--\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := http.MethodGet
			if tt.body != "" {
				method = http.MethodPost
			}
			c := fuzzCall(method, tt.ctype, tt.query, tt.body)
			c.callbackParams()
			c.stripCallbackArgs()
			body, _ := io.ReadAll(c.r.Body)
			if c.r.URL.RawQuery != tt.wantQuery || string(body) != tt.wantBody {
				t.Errorf("query %q body %q, want %q %q", c.r.URL.RawQuery, body, tt.wantQuery, tt.wantBody)
			}
			if c.r.ContentLength != int64(len(body)) {
				t.Errorf("Content-Length %d for a %d-byte body", c.r.ContentLength, len(body))
			}
		})
	}
}

// The re-POST page echoes the fields it gets: a POST with many fields or a large body is not a
// form_post callback and gets a new login, not a page many times its size.
func TestRepostPageBounded(t *testing.T) {
	h := newHarness(t, nil)
	post := func(body string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/anything", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, _ := mustDo(t, rawClient(t), req)
		return resp
	}
	if resp := post("code=c&state=s&iss=i"); resp.StatusCode != http.StatusOK {
		t.Fatalf("a real-sized callback: %d, want the re-POST page", resp.StatusCode)
	}
	for name, body := range map[string]string{
		"many fields": "code=c&state=s" + strings.Repeat("&a", 5000),
		"large body":  "code=c&state=s&pad=" + strings.Repeat("x", 64<<10),
	} {
		if resp := post(body); resp.StatusCode != http.StatusFound {
			t.Errorf("%s: %d, want a new login (302)", name, resp.StatusCode)
		}
	}
}

// Bodies above maxFormBody, with a known length or chunked, are not parsed for callback
// parameters and reach the upstream whole.
func TestLargeBodyPassesThrough(t *testing.T) {
	body := "code=c&state=s&pad=" + strings.Repeat("x", maxFormBody)
	for _, length := range []int64{int64(len(body)), -1} {
		c := fuzzCall(http.MethodPost, "application/x-www-form-urlencoded", "", body)
		c.r.ContentLength = length
		if p := c.callbackParams(); p.Code != "" || p.FromBody {
			t.Errorf("length %d: parsed %+v from an oversized body", length, p)
		}
		c.stripCallbackArgs()
		if got, _ := io.ReadAll(c.r.Body); string(got) != body {
			t.Errorf("length %d: upstream gets %d bytes, want %d", length, len(got), len(body))
		}
	}
}

// Field names and values echoed by the re-POST page are escaped: the page is not a reflected XSS.
func TestRepostPageEscapes(t *testing.T) {
	h := newHarness(t, nil)
	evil := `"><script>alert(1)</script><img src=x onerror=alert(2)>`
	resp, page := h.post("/anything", url.Values{"code": {"c"}, "state": {evil}, evil: {evil}}, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "<form") {
		t.Fatalf("%d, want the re-POST page", resp.StatusCode)
	}
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img") || strings.Count(page, "<script>") != 1 {
		t.Errorf("the page reflects markup:\n%s", page)
	}
	if got := hiddenFields(page); got.Get("state") != evil || got.Get(evil) != evil {
		t.Errorf("escaping lost the values: %v", got)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'sha256-") {
		t.Errorf("CSP %q", csp)
	}
}
