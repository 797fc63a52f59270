package oidc

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway/oidc/oidctest"
)

func TestSessionExpiry(t *testing.T) {
	t.Run("expired access token is refreshed", func(t *testing.T) {
		h := newHarness(t, nil)
		h.op.Configure(false, true, 60)
		d := h.browser()
		decodeEcho(t, h.get(d, "/anything"))
		h.clock.Advance(2 * time.Minute)
		h.op.SetClock(h.clock.Now)
		e := decodeEcho(t, h.get(d, "/anything"))
		trs := h.op.TokenRequests()
		if len(trs) != 2 || trs[1].Form.Get("grant_type") != "refresh_token" {
			t.Fatalf("token requests: %d", len(trs))
		}
		if !strings.HasPrefix(e.Authorization, "Bearer ") {
			t.Error("no access token upstream after refresh")
		}
		h.events.last(t, EventSessionRefreshed)
		// The refreshed session is used without another token call.
		decodeEcho(t, h.get(d, "/anything"))
		if n := len(h.op.TokenRequests()); n != 2 {
			t.Errorf("%d token requests after refresh, want 2", n)
		}
	})
	t.Run("a refresh that names another user ends the session", func(t *testing.T) {
		h := newHarness(t, nil)
		h.op.Configure(false, true, 60)
		d := h.browser()
		decodeEcho(t, h.get(d, "/anything"))
		h.op.SetForge(oidctest.Forge{Claims: func(c map[string]any) { c["sub"] = "00u2other" }})
		h.clock.Advance(2 * time.Minute)
		h.op.SetClock(h.clock.Now)
		res := h.get(d, "/anything")
		if res.Status != http.StatusUnauthorized {
			t.Fatalf("refresh with another sub: %d, want 401", res.Status)
		}
		if trs := h.op.TokenRequests(); len(trs) != 2 || trs[1].Form.Get("grant_type") != "refresh_token" {
			t.Fatalf("no refresh happened: %d token requests", len(trs))
		}
		if e := h.events.last(t, EventAuthFailed); !strings.Contains(e.Message, "another user") {
			t.Errorf("reason: %q", e.Message)
		}
		if len(h.events.of(EventSessionRefreshed)) != 0 {
			t.Error("the session was refreshed with another user's tokens")
		}
	})
	t.Run("no refresh token: one 401, then a new login", func(t *testing.T) {
		h := newHarness(t, nil)
		h.op.Configure(false, false, 60)
		d := h.browser()
		decodeEcho(t, h.get(d, "/anything"))
		h.clock.Advance(2 * time.Minute)
		res := h.get(d, "/anything")
		if res.Status != http.StatusUnauthorized {
			t.Fatalf("expired session: %d, want 401", res.Status)
		}
		e := h.events.last(t, EventAuthFailed)
		if !strings.Contains(e.Explain, "offline_access") {
			t.Errorf("explanation: %q", e.Explain)
		}
		if _, ok := findCookie(d, "session"); ok {
			t.Error("the session was not destroyed")
		}
		h.op.SetClock(h.clock.Now)
		decodeEcho(t, h.get(d, "/anything"))
		if n := len(h.op.TokenRequests()); n != 2 {
			t.Errorf("the next request should log in again: %d token requests", n)
		}
	})
	t.Run("idle timeout", func(t *testing.T) {
		h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) { cfg["session_idling_timeout"] = 60 })
		d := h.browser()
		decodeEcho(t, h.get(d, "/anything"))
		h.clock.Advance(90 * time.Second)
		h.op.SetClock(h.clock.Now)
		decodeEcho(t, h.get(d, "/anything"))
		if n := len(h.op.TokenRequests()); n != 2 {
			t.Errorf("an idle session was accepted: %d token requests", n)
		}
	})
	t.Run("activity keeps an idle session alive", func(t *testing.T) {
		h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) { cfg["session_idling_timeout"] = 90 })
		d := h.browser()
		decodeEcho(t, h.get(d, "/anything"))
		for range 3 {
			h.clock.Advance(70 * time.Second)
			decodeEcho(t, h.get(d, "/anything"))
		}
		if n := len(h.op.TokenRequests()); n != 1 {
			t.Errorf("touching did not extend the idle timeout: %d token requests", n)
		}
	})
	t.Run("absolute timeout", func(t *testing.T) {
		h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
			cfg["session_absolute_timeout"] = 120
			cfg["session_idling_timeout"] = 0
		})
		d := h.browser()
		decodeEcho(t, h.get(d, "/anything"))
		h.clock.Advance(130 * time.Second)
		h.op.SetClock(h.clock.Now)
		decodeEcho(t, h.get(d, "/anything"))
		if n := len(h.op.TokenRequests()); n != 2 {
			t.Errorf("session past its absolute timeout was accepted: %d token requests", n)
		}
	})
}

func TestSessionChunking(t *testing.T) {
	h := newHarness(t, nil)
	// Random, so deflate cannot shrink it under one cookie.
	raw := make([]byte, 4000)
	rand.Read(raw)
	big := base64.StdEncoding.EncodeToString(raw)
	h.op.SetForge(oidctest.Forge{Claims: func(c map[string]any) { c["groups"] = big }, AccessToken: func(c map[string]any) { c["blob"] = big }})
	d := h.browser()
	decodeEcho(t, h.get(d, "/anything"))
	if _, ok := findCookie(d, "session2"); !ok {
		t.Fatalf("a large session was not chunked: %+v", d.Jar().Infos())
	}
	e := decodeEcho(t, h.get(d, "/anything"))
	if strings.Contains(e.Cookie, "session") {
		t.Error("session chunks reached the upstream")
	}
	if n := len(h.op.TokenRequests()); n != 1 {
		t.Errorf("chunked session not read back: %d token requests", n)
	}
	if ev := h.events.last(t, EventSessionIssued); !strings.Contains(ev.Explain, "split into") {
		t.Errorf("chunking not explained: %q", ev.Explain)
	}
}

func TestStripCookies(t *testing.T) {
	h := http.Header{}
	h.Add("Cookie", "a=1; session=x; session2=y; sessionx=keep")
	h.Add("Cookie", "session9=z; b=2")
	stripCookies(h, "session")
	if got := h.Get("Cookie"); got != "a=1; sessionx=keep; b=2" {
		t.Errorf("Cookie = %q", got)
	}
}

func TestLogout(t *testing.T) {
	t.Run("end_session_endpoint with id_token_hint", func(t *testing.T) {
		h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
			cfg["logout_uri_suffix"] = "/logout"
			cfg["logout_methods"] = []any{"GET", "POST"}
			cfg["logout_redirect_uri"] = []any{"http://127.0.0.1/bye"}
			cfg["logout_revoke"] = true
		})
		d := h.browser()
		decodeEcho(t, h.get(d, "/anything"))
		res, err := d.Get(t.Context(), h.srv.URL+"/anything/logout")
		if err != nil {
			t.Fatal(err)
		}
		var endSession string
		for _, hop := range res.Hops {
			if strings.Contains(hop.URL, "/v1/logout") {
				endSession = hop.URL
			}
		}
		if !strings.Contains(endSession, "id_token_hint=") || !strings.Contains(endSession, "post_logout_redirect_uri=http") {
			t.Errorf("no end_session redirect with hint: %+v", res.Hops)
		}
		if _, ok := findCookie(d, "session"); ok {
			t.Error("session survived logout")
		}
		if rev := h.op.Revoked(); len(rev) != 2 {
			t.Errorf("revoked %v, want refresh and access tokens", rev)
		}
		h.events.last(t, EventLogout)
	})
	t.Run("logout_redirect_uri without end_session_endpoint", func(t *testing.T) {
		h := newHarness(t, func(cfg map[string]any, op *oidctest.Provider) {
			cfg["logout_query_arg"] = "logout"
			cfg["logout_redirect_uri"] = []any{"http://127.0.0.1/bye"}
			op.SetMetadata("end_session_endpoint", nil)
		})
		req, _ := http.NewRequest(http.MethodDelete, h.srv.URL+"/anything?logout", nil)
		resp, _ := mustDo(t, rawClient(t), req)
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "http://127.0.0.1/bye" {
			t.Errorf("%d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("204 by post arg", func(t *testing.T) {
		h := newHarness(t, func(cfg map[string]any, op *oidctest.Provider) {
			cfg["logout_post_arg"] = "op"
			op.SetMetadata("end_session_endpoint", nil)
		})
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/anything", strings.NewReader("op=logout"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if resp, _ := mustDo(t, rawClient(t), req); resp.StatusCode != http.StatusNoContent {
			t.Errorf("%d, want 204", resp.StatusCode)
		}
	})
	t.Run("the request cannot choose where logout sends the browser", func(t *testing.T) {
		h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
			cfg["logout_query_arg"] = "logout"
			cfg["logout_redirect_uri"] = []any{"http://127.0.0.1/bye"}
		})
		evil := url.Values{"post_logout_redirect_uri": {"https://evil.example/"}, "logout_redirect_uri": {"https://evil.example/"},
			"redirect_uri": {"https://evil.example/"}, "end_session_endpoint": {"https://evil.example/"}}
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/anything?logout&"+evil.Encode(), strings.NewReader(evil.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, _ := mustDo(t, rawClient(t), req)
		loc, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || err != nil || loc.Scheme+"://"+loc.Host+loc.Path != h.op.Issuer+"/v1/logout" ||
			loc.Query().Get("post_logout_redirect_uri") != "http://127.0.0.1/bye" || strings.Contains(loc.String(), "evil") {
			t.Errorf("%d Location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("method not in logout_methods is not a logout", func(t *testing.T) {
		h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) { cfg["logout_uri_suffix"] = "/logout" })
		req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/anything/logout", nil)
		if resp, _ := mustDo(t, rawClient(t), req); resp.StatusCode != http.StatusFound || strings.Contains(resp.Header.Get("Location"), "/v1/logout") {
			t.Errorf("GET with default logout_methods: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}
