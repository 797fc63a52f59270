package okta_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/okta"
	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/okta/emulator/emulatortest"
)

func TestNewClientRefuses(t *testing.T) {
	tests := []struct {
		name, org, tok string
		want           error
		text           string
	}{
		{"no token", "https://dev-1.okta.com", "", okta.ErrNoToken, ""},
		{"http off loopback", "http://dev-1.okta.com", token, okta.ErrInvalidOrgURL, "loopback"},
		{"issuer instead of org", "https://dev-1.okta.com/oauth2/default", token, okta.ErrInvalidOrgURL, "https://dev-1.okta.com"},
		{"admin console", "https://dev-1-admin.okta.com", token, okta.ErrInvalidOrgURL, "https://dev-1.okta.com"},
		{"not a URL", "dev-1.okta.com", token, okta.ErrInvalidOrgURL, ""},
		{"token with SSWS prefix", "https://dev-1.okta.com", "SSWS abc", nil, "without the SSWS prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := okta.NewClient(tt.org, tt.tok, okta.ClientOptions{})
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("err %v, want %v containing %q", err, tt.want, tt.text)
			}
		})
	}
	for _, ok := range []string{"https://dev-1.okta.com/", "http://127.0.0.1:9000", "http://localhost:9000", "http://[::1]:9000"} {
		if _, err := okta.NewClient(ok, token, okta.ClientOptions{}); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// TestClientErrorPaths: every way a call can fail comes back typed, with a fix, and never with
// the token in it.
func TestClientErrorPaths(t *testing.T) {
	srv := emulatortest.Start(t, orgConfig())
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + dead.Addr().String()
	dead.Close()
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hang.Close()
	tests := []struct {
		name  string
		org   string
		tok   string
		want  error
		code  string
		fixes string
	}{
		{"bad token", srv.URL(), "00wrong-token", okta.ErrUnauthorized, "E0000011", "OKTA_API_TOKEN"},
		{"org unreachable", deadURL, token, okta.ErrUnreachable, "", "--org-url"},
		{"org hangs", hang.URL, token, okta.ErrUnreachable, "", "--org-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := okta.NewClient(tt.org, tt.tok, okta.ClientOptions{Timeout: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.FindUserByLogin(context.Background(), alice)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			var ae *okta.APIError
			if tt.code != "" && (!errors.As(err, &ae) || ae.Code != tt.code || ae.Status != 401) {
				t.Errorf("API error %+v", ae)
			}
			if fix := okta.FixFor(err); !strings.Contains(fix, tt.fixes) {
				t.Errorf("fix %q lacks %q", fix, tt.fixes)
			}
			if strings.Contains(err.Error(), tt.tok) {
				t.Errorf("the token is in the error: %v", err)
			}
		})
	}
}

func TestClientWaitsForRateLimitReset(t *testing.T) {
	srv := emulatortest.Start(t, orgConfig())
	srv.SetAPIRateLimit(1, time.Second)
	c := newClient(t, srv.URL())
	ctx := context.Background()
	if _, err := c.FindUserByLogin(ctx, alice); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := c.FindUserByLogin(ctx, alice); err != nil {
		t.Fatalf("second call should wait for the reset and succeed: %v", err)
	}
	if time.Since(start) < 100*time.Millisecond {
		t.Errorf("it did not wait")
	}

	// No retries allowed: the 429 comes back typed, with Okta's code and the wait asked for.
	noRetry, _ := okta.NewClient(srv.URL(), token, okta.ClientOptions{MaxRetries: -1})
	_, err := noRetry.FindUserByLogin(ctx, alice)
	_, err = noRetry.FindUserByLogin(ctx, alice)
	var ae *okta.APIError
	if !errors.Is(err, okta.ErrRateLimited) || !errors.As(err, &ae) || ae.Code != "E0000047" || ae.RetryAfter <= 0 || ae.RetryAfter > 3*time.Second {
		t.Fatalf("err %v (%+v)", err, ae)
	}
	if !strings.Contains(okta.FixFor(err), "Wait") {
		t.Errorf("fix: %q", okta.FixFor(err))
	}

	// Okta asking for a longer wait than allowed ends the call at once.
	srv.SetAPIRateLimit(1, time.Hour)
	impatient, _ := okta.NewClient(srv.URL(), token, okta.ClientOptions{MaxWait: time.Second})
	_, _ = impatient.FindUserByLogin(ctx, alice)
	start = time.Now()
	_, err = impatient.FindUserByLogin(ctx, alice)
	if !errors.Is(err, okta.ErrRateLimited) || !strings.Contains(err.Error(), "longer than 1s") || time.Since(start) > time.Second {
		t.Fatalf("err %v after %s", err, time.Since(start))
	}

	// A cancelled context ends the wait.
	srv.SetAPIRateLimit(1, 10*time.Second)
	_, _ = c.FindUserByLogin(ctx, alice)
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err = c.FindUserByLogin(cctx, alice); !errors.Is(err, okta.ErrRateLimited) || !strings.Contains(err.Error(), "gave up waiting") {
		t.Fatalf("err %v", err)
	}
}

func TestClientFollowsNextLinks(t *testing.T) {
	cfg := orgConfig()
	for i := range 7 {
		cfg.Users = append(cfg.Users, emulator.User{Login: fmt.Sprintf("user%d@example.com", i), Password: "pw"})
	}
	srv := emulatortest.Start(t, cfg)
	c, _ := okta.NewClient(srv.URL(), token, okta.ClientOptions{PageSize: 1})
	st := setup(t, srv, c).State
	// Five more policies before setup's own in page order or after it: either way doctor must
	// page through all of them to find the one covering the app.
	for i := range 5 {
		body := fmt.Sprintf(`{"type":"OAUTH_AUTHORIZATION_POLICY","name":"p%d","conditions":{"clients":{"include":["ALL_CLIENTS"]}}}`, i)
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/api/v1/authorizationServers/"+st.AuthServerID+"/policies", strings.NewReader(body))
		req.Header.Set("Authorization", "SSWS "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("create policy: %v %v", err, resp.Status)
		}
		resp.Body.Close()
	}
	pols, err := c.ListPolicies(context.Background(), st.AuthServerID)
	if err != nil || len(pols) != 6 {
		t.Fatalf("policies: %d %v", len(pols), err)
	}
	srv.ResetRequests()
	if _, err := c.FindUserByLogin(context.Background(), "user6@example.com"); err != nil {
		t.Fatal(err)
	}
}

func TestClientRefusesNextLinkOffOrg(t *testing.T) {
	var hits int
	org := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Header().Set("Link", `<https://evil.example.com/api/v1/users?after=x>; rel="next"`)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `[]`)
	}))
	defer org.Close()
	c, _ := okta.NewClient(org.URL, token, okta.ClientOptions{})
	_, err := c.FindUserByLogin(context.Background(), alice)
	if err == nil || !strings.Contains(err.Error(), "leaves the org") || hits != 1 {
		t.Fatalf("err %v after %d requests", err, hits)
	}
}

func TestClientOnANonOktaServer(t *testing.T) {
	org := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://login.example.com/", http.StatusFound)
	}))
	defer org.Close()
	c, _ := okta.NewClient(org.URL, token, okta.ClientOptions{})
	_, err := c.GetApp(context.Background(), "0oa1")
	var ae *okta.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusFound || !strings.Contains(err.Error(), "is this the org URL") {
		t.Fatalf("err %v", err)
	}
}
