package oidc

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/gateway/oidc/oidctest"
)

func TestFirstRequestRedirects(t *testing.T) {
	h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) { cfg["response_mode"] = "form_post" })
	resp, ck, q := h.startLogin("/anything/page?x=1")

	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}
	want := map[string]string{
		"response_type": "code", "scope": "openid email profile", "redirect_uri": h.srv.URL + "/anything",
		"client_id": testClientID, "code_challenge_method": "S256", "response_mode": "form_post",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if len(q.Get("state")) != 24 || len(q.Get("nonce")) != 24 || len(q.Get("code_challenge")) != 43 {
		t.Errorf("state/nonce/code_challenge have unexpected lengths: %v", q)
	}
	// Loopback is a trustworthy origin: the state cookie must survive the cross-site form_post.
	if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteNoneMode || ck.MaxAge != 600 || ck.Path != "/" {
		t.Errorf("authorization cookie attributes: %+v", ck)
	}
	var st authState
	if err := h.p.authCodec.Open("authorization", ck.Value, &st); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(st.Verifier))
	if st.State != q.Get("state") || st.Nonce != q.Get("nonce") ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != q.Get("code_challenge") ||
		st.URI != h.srv.URL+"/anything/page" || st.Client != 0 {
		t.Errorf("cookie content does not match the request: %+v", st)
	}
	e := h.events.last(t, EventLoginStarted)
	if e.Status != http.StatusFound || e.Attrs["pkce"] != true {
		t.Errorf("login event: %+v", e)
	}
}

func TestSameSiteByOrigin(t *testing.T) {
	def := CookieConfig{Name: "authorization", Path: "/", SameSite: "Default", HTTPOnly: true}
	f := false
	tests := []struct {
		name     string
		cfg      CookieConfig
		o        origin
		sameSite http.SameSite
		secure   bool
	}{
		{"https", def, origin{"https", "abc.ngrok.app"}, http.SameSiteNoneMode, true},
		{"loopback http", def, origin{"http", "127.0.0.1"}, http.SameSiteNoneMode, true},
		{"localhost http", def, origin{"http", "localhost"}, http.SameSiteNoneMode, true},
		{"lan http", def, origin{"http", "gateway.lan"}, http.SameSiteDefaultMode, false},
		{"secure forced off", CookieConfig{Name: "a", Path: "/", SameSite: "Default", Secure: &f}, origin{"https", "x"}, http.SameSiteDefaultMode, false},
		{"explicit lax", CookieConfig{Name: "a", Path: "/", SameSite: "Lax"}, origin{"https", "x"}, http.SameSiteLaxMode, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := authorizationCookieSpec(tt.cfg, tt.o)
			if s.sameSite != tt.sameSite || s.secure != tt.secure {
				t.Errorf("got SameSite %v Secure %v, want %v %v", s.sameSite, s.secure, tt.sameSite, tt.secure)
			}
		})
	}
	// The session cookie is Lax and Secure only over https (curl on loopback http must keep it).
	sess := CookieConfig{Name: "session", Path: "/", SameSite: "Lax", HTTPOnly: true}
	if s := sessionCookieSpec(sess, origin{"http", "127.0.0.1"}); s.secure || s.sameSite != http.SameSiteLaxMode {
		t.Errorf("session on loopback http: %+v", s)
	}
	if s := sessionCookieSpec(sess, origin{"https", "x.ngrok.app"}); !s.secure {
		t.Errorf("session over https is not Secure")
	}
}

// The tutorial's configuration: form_post, client_secret_basic, no session. The callback POST is
// proxied; every new page load goes through the IdP again.
func TestTutorialFormPostNoSession(t *testing.T) {
	h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
		cfg["auth_methods"] = []any{"authorization_code"}
		cfg["response_mode"] = "form_post"
		cfg["token_endpoint_auth_method"] = "client_secret_basic"
	})
	d := h.browser()
	e := decodeEcho(t, h.get(d, "/anything"))
	if e.Method != http.MethodPost || e.Path != "/anything" {
		t.Errorf("upstream got %s %s, want the callback POST /anything", e.Method, e.Path)
	}
	if !strings.HasPrefix(e.Authorization, "Bearer eyJ") {
		t.Errorf("upstream Authorization = %q", e.Authorization)
	}
	if strings.Contains(e.Body, "code=") || strings.Contains(e.Body, "state=") || e.Body != "" {
		t.Errorf("callback parameters reached the upstream: %q", e.Body)
	}
	if strings.Contains(e.Cookie, "authorization=") {
		t.Errorf("authorization cookie reached the upstream")
	}
	trs := h.op.TokenRequests()
	if len(trs) != 1 {
		t.Fatalf("%d token requests", len(trs))
	}
	tr := trs[0]
	if !strings.HasPrefix(tr.Authorization, "Basic ") || tr.Form.Has("client_secret") || tr.Form.Get("code_verifier") == "" ||
		tr.Form.Get("redirect_uri") != h.srv.URL+"/anything" || tr.Form.Get("grant_type") != "authorization_code" {
		t.Errorf("token request: auth %q form %v", strings.SplitN(tr.Authorization, " ", 2)[0], keys(tr.Form))
	}
	if res := h.get(d, "/anything"); res.Status != http.StatusOK {
		t.Fatalf("second load: %d", res.Status)
	}
	if n := len(h.op.TokenRequests()); n != 2 {
		t.Errorf("second page load made %d token requests in total, want 2 (no session: back through the IdP)", n)
	}
	for _, c := range d.Jar().Infos() {
		if c.Name == "session" {
			t.Errorf("a session cookie was issued without session in auth_methods")
		}
	}
}

func TestSessionLogin(t *testing.T) {
	h := newHarness(t, nil) // query mode, session on
	d := h.browser()
	e := decodeEcho(t, h.get(d, "/anything?keep=1"))
	if e.Method != http.MethodGet || strings.Contains(e.Query, "code") || strings.Contains(e.Query, "state") {
		t.Errorf("callback request proxied as %s ?%s", e.Method, e.Query)
	}
	e = decodeEcho(t, h.get(d, "/anything/again"))
	if e.Path != "/anything/again" || !strings.HasPrefix(e.Authorization, "Bearer ") {
		t.Errorf("session request: %+v", e)
	}
	if strings.Contains(e.Cookie, "session") {
		t.Errorf("session cookie reached the upstream: %q", e.Cookie)
	}
	if n := len(h.op.TokenRequests()); n != 1 {
		t.Errorf("%d token requests, want 1: the session should authenticate the second request", n)
	}
	ck, ok := findCookie(d, "session")
	if !ok || ck.SameSite != "Lax" || !ck.HTTPOnly || ck.Secure {
		t.Errorf("session cookie: %+v", ck)
	}
	h.events.last(t, EventSessionIssued)
	v := h.events.last(t, EventIDTokenVerified)
	if v.Attrs["sub"] != "00u1demo" || v.Attrs["nonce"] != nil {
		t.Errorf("verified event attrs: %v", v.Attrs)
	}
}

func keys(v url.Values) []string {
	var out []string
	for k := range v {
		out = append(out, k)
	}
	return out
}

func TestLoginStartWarnings(t *testing.T) {
	tr := true
	tests := []struct {
		name   string
		cfg    CookieConfig
		o      origin
		mode   string
		redir  string
		expect string
	}{
		{"host mismatch", CookieConfig{Name: "authorization", Path: "/", SameSite: "Default"}, origin{"http", "localhost"}, "form_post",
			"http://127.0.0.1:8000/anything", "you started on localhost but the redirect_uri is 127.0.0.1"},
		{"secure on plain http", CookieConfig{Name: "authorization", Path: "/", SameSite: "Default", Secure: &tr}, origin{"http", "gw.lan"}, "query",
			"http://gw.lan/anything", "browsers drop Secure cookies"},
		{"form_post off loopback over http", CookieConfig{Name: "authorization", Path: "/", SameSite: "Default"}, origin{"http", "gw.lan"}, "form_post",
			"http://gw.lan/anything", "re-POST page"},
		{"lax with form_post", CookieConfig{Name: "authorization", Path: "/", SameSite: "Lax"}, origin{"https", "x.ngrok.app"}, "form_post",
			"https://x.ngrok.app/anything", "leave it at Default"},
		{"path does not cover callback", CookieConfig{Name: "authorization", Path: "/app", SameSite: "Default"}, origin{"https", "x.ngrok.app"}, "query",
			"https://x.ngrok.app/anything", "does not cover the redirect_uri path"},
		{"all good", CookieConfig{Name: "authorization", Path: "/", SameSite: "Default"}, origin{"https", "x.ngrok.app"}, "form_post",
			"https://x.ngrok.app/anything", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &call{p: &plugin{cfg: &Config{ResponseMode: tt.mode}}, origin: tt.o}
			c.info.Scheme, c.info.Host = tt.o.Scheme, tt.o.Host
			got := explainLoginStart(c, &authState{RedirectURI: tt.redir}, authorizationCookieSpec(tt.cfg, tt.o))
			if tt.expect == "" && got != "" || !strings.Contains(got, tt.expect) {
				t.Errorf("explanation %q, want it to mention %q", got, tt.expect)
			}
		})
	}
}
