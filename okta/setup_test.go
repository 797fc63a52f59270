package okta_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oidclab/oidclab/okta"
	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/okta/emulator/emulatortest"
)

const (
	token    = "00test-api-token-0123456789abcdefghijklmn"
	alice    = "alice@example.com"
	password = "correct horse"
	redirect = "http://127.0.0.1:8000/anything"
)

func orgConfig() emulator.Config {
	return emulator.Config{
		APIToken: token,
		Users: []emulator.User{
			{Login: alice, Password: password, Groups: []string{"Everyone"}},
			{Login: "bob@example.com", Password: password, Groups: []string{"Everyone"}},
		},
	}
}

func newClient(t *testing.T, orgURL string) *okta.Client {
	t.Helper()
	c, err := okta.NewClient(orgURL, token, okta.ClientOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func setup(t *testing.T, srv *emulator.Server, c *okta.Client) okta.SetupResult {
	t.Helper()
	res, err := okta.Setup(context.Background(), c, okta.SetupRequest{UserLogin: alice, RedirectURIs: []string{redirect}})
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	return res
}

// login runs the authorization request of the tutorial's plugin against what setup made.
func login(t *testing.T, st okta.State, user string) (*emulatortest.Callback, error) {
	t.Helper()
	q := "client_id=" + st.ClientID + "&redirect_uri=" + redirect + "&response_type=code&scope=openid+profile+email&state=s1&nonce=n1"
	return emulatortest.NewBrowser().Login(context.Background(), st.Issuer+"/v1/authorize?"+q, user, password)
}

func TestSetupCreatesALoginThatWorks(t *testing.T) {
	srv := emulatortest.Start(t, orgConfig())
	c := newClient(t, srv.URL())
	res := setup(t, srv, c)
	st := res.State
	if st.ClientID == "" || st.AppID != st.ClientID || st.AuthServerID == "" || st.PolicyID == "" || st.RuleID == "" || st.UserID == "" {
		t.Fatalf("state: %+v", st)
	}
	if st.Issuer != srv.IssuerFor(st.AuthServerID) {
		t.Errorf("issuer %s, want %s", st.Issuer, srv.IssuerFor(st.AuthServerID))
	}
	cl, ok := srv.Client(st.ClientID)
	if !ok || cl.Secret != res.ClientSecret || cl.Type != emulator.ClientWeb {
		t.Fatalf("the emulator's client: %+v", cl)
	}
	if got := cl.PostLogoutRedirectURIs; len(got) != 1 || got[0] != "http://127.0.0.1:8000/" {
		t.Errorf("sign-out URIs %v", got)
	}
	cb, err := login(t, st, alice)
	if err != nil || cb.Params.Get("code") == "" {
		t.Fatalf("login: %v %+v", err, cb)
	}
	// bob exists but was not assigned: Okta's refusal.
	cb, err = login(t, st, "bob@example.com")
	if err != nil || cb.Params.Get("error_description") != "User is not assigned to the client application." {
		t.Fatalf("bob: %v %+v", err, cb)
	}
	for _, ch := range okta.Doctor(context.Background(), c, okta.DoctorRequest{State: st}) {
		if !ch.OK {
			t.Errorf("doctor after setup: %+v", ch)
		}
	}
}

func TestSetupRefusesBadRequests(t *testing.T) {
	srv := emulatortest.Start(t, orgConfig())
	c := newClient(t, srv.URL())
	tests := []struct {
		name string
		req  okta.SetupRequest
		want string
	}{
		{"no user", okta.SetupRequest{RedirectURIs: []string{redirect}}, "--user"},
		{"no redirect", okta.SetupRequest{UserLogin: alice}, "--redirect-uri"},
		{"http off loopback", okta.SetupRequest{UserLogin: alice, RedirectURIs: []string{"http://example.com/cb"}}, "use https"},
		{"unknown user", okta.SetupRequest{UserLogin: "nobody@example.com", RedirectURIs: []string{redirect}}, "no Okta user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := okta.Setup(context.Background(), c, tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
	if n := countApps(t, srv); n != 0 {
		t.Errorf("%d apps left", n)
	}
}

func countApps(t *testing.T, srv *emulator.Server) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL()+"/api/v1/apps", nil)
	req.Header.Set("Authorization", "SSWS "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.Count(string(b), `"signOnMode"`)
}

func TestSyncReplacesRedirectURIs(t *testing.T) {
	srv := emulatortest.Start(t, orgConfig())
	c := newClient(t, srv.URL())
	st := setup(t, srv, c).State
	newURI := "https://demo.ngrok-free.dev/anything"
	st2, err := okta.Sync(context.Background(), c, st, []string{newURI}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cl, _ := srv.Client(st.ClientID)
	if len(cl.RedirectURIs) != 1 || cl.RedirectURIs[0] != newURI || cl.PostLogoutRedirectURIs[0] != "https://demo.ngrok-free.dev/" {
		t.Fatalf("client after sync: %+v", cl)
	}
	if len(st2.RedirectURIs) != 1 || st2.RedirectURIs[0] != newURI {
		t.Errorf("state after sync: %+v", st2)
	}
	if cl.Secret == "" || len(cl.AssignedUsers) != 1 {
		t.Errorf("sync lost the secret or the assignment: %+v", cl)
	}
}

// TestDoctorFindsEachBreak breaks what setup made, one thing at a time, and checks that the
// login really fails the way Okta does and that doctor names that check with a fix.
func TestDoctorFindsEachBreak(t *testing.T) {
	tests := []struct {
		name  string
		check string
		brk   func(t *testing.T, srv *emulator.Server, st okta.State)
		// loginErr is what the login then gets (error_description, or the error page's text).
		loginErr string
		req      func(st okta.State) okta.State
	}{
		{"app inactive", okta.CheckAppActive, func(t *testing.T, srv *emulator.Server, st okta.State) {
			api(t, srv, http.MethodPost, "/api/v1/apps/"+st.AppID+"/lifecycle/deactivate", http.StatusOK)
		}, "Invalid value for 'client_id' parameter.", nil},
		{"redirect uri missing", okta.CheckRedirectURI, nil, "",
			func(st okta.State) okta.State {
				st.RedirectURIs = []string{"https://other.example.com/anything"}
				return st
			}},
		{"user not assigned", okta.CheckAssignment, func(t *testing.T, srv *emulator.Server, st okta.State) {
			api(t, srv, http.MethodDelete, "/api/v1/apps/"+st.AppID+"/users/"+st.UserID, http.StatusNoContent)
		}, "User is not assigned to the client application.", nil},
		{"no policy", okta.CheckPolicy, func(t *testing.T, srv *emulator.Server, st okta.State) {
			api(t, srv, http.MethodDelete, "/api/v1/authorizationServers/"+st.AuthServerID+"/policies/"+st.PolicyID, http.StatusNoContent)
		}, "Policy evaluation failed for this request, please check the policy configurations.", nil},
		{"no rule", okta.CheckRule, func(t *testing.T, srv *emulator.Server, st okta.State) {
			api(t, srv, http.MethodDelete, "/api/v1/authorizationServers/"+st.AuthServerID+"/policies/"+st.PolicyID+"/rules/"+st.RuleID, http.StatusNoContent)
		}, "Policy evaluation failed for this request, please check the policy configurations.", nil},
		{"server inactive", okta.CheckAuthServer, func(t *testing.T, srv *emulator.Server, st okta.State) {
			api(t, srv, http.MethodPost, "/api/v1/authorizationServers/"+st.AuthServerID+"/lifecycle/deactivate", http.StatusNoContent)
		}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := emulatortest.Start(t, orgConfig())
			c := newClient(t, srv.URL())
			st := setup(t, srv, c).State
			if tt.brk != nil {
				tt.brk(t, srv, st)
			}
			if tt.loginErr != "" {
				cb, err := login(t, st, alice)
				got := ""
				var page *emulatortest.ErrPage
				switch {
				case errors.As(err, &page):
					got = page.Message
				case err == nil:
					got = cb.Params.Get("error_description")
				}
				if !strings.HasSuffix(got, tt.loginErr) {
					t.Errorf("login: got %q (%v), want %q", got, err, tt.loginErr)
				}
			}
			if tt.req != nil {
				st = tt.req(st)
			}
			checks := okta.Doctor(context.Background(), c, okta.DoctorRequest{State: st})
			if !okta.Failed(checks) {
				t.Fatalf("doctor passed: %+v", checks)
			}
			var failed []okta.Check
			for _, ch := range checks {
				if !ch.OK {
					failed = append(failed, ch)
				}
			}
			if failed[0].Name != tt.check || failed[0].Fix == "" {
				t.Errorf("first failure %+v, want check %q with a fix; all: %+v", failed[0], tt.check, checks)
			}
		})
	}
}

// TestDoctorByHand checks a setup made by hand from the issuer and client id alone, here the
// embedded IdP's default server and tutorial client.
func TestDoctorByHand(t *testing.T) {
	cfg := emulator.Default()
	cfg.APIToken = token
	srv := emulatortest.Start(t, cfg)
	c := newClient(t, srv.URL())
	checks := okta.Doctor(context.Background(), c, okta.DoctorRequest{State: okta.State{
		Issuer: srv.Issuer(), ClientID: emulator.DemoClientID, UserLogin: emulator.DemoUserLogin, RedirectURIs: emulator.TutorialRedirectURIs,
	}})
	if okta.Failed(checks) {
		t.Fatalf("doctor: %+v", checks)
	}
	names := map[string]bool{}
	for _, ch := range checks {
		names[ch.Name] = true
	}
	for _, want := range []string{okta.CheckApp, okta.CheckAssignment, okta.CheckPolicy, okta.CheckRule, okta.CheckDiscovery} {
		if !names[want] {
			t.Errorf("check %q not run: %+v", want, checks)
		}
	}
}

func TestCleanupRemovesEverything(t *testing.T) {
	srv := emulatortest.Start(t, orgConfig())
	c := newClient(t, srv.URL())
	st := setup(t, srv, c).State
	if err := okta.Cleanup(context.Background(), c, st); err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.Client(st.ClientID); ok {
		t.Error("app still there")
	}
	if _, err := c.GetAuthServer(context.Background(), st.AuthServerID); !errors.Is(err, okta.ErrNotFound) {
		t.Errorf("server: %v", err)
	}
	// A second cleanup finds nothing and is not an error.
	if err := okta.Cleanup(context.Background(), c, st); err != nil {
		t.Errorf("second cleanup: %v", err)
	}
}

// refuseNth answers the nth POST with a 500 in Okta's format, the way an org fails half-way.
func refuseNth(h http.Handler, n int32) http.Handler {
	var posts atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && !strings.Contains(r.URL.Path, "/lifecycle/") && posts.Add(1) == n {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"errorCode":"E0000009","errorSummary":"Internal Server Error","errorCauses":[]}`)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func TestSetupRollsBackHalfWay(t *testing.T) {
	steps := []string{"creating the app", "assigning", "creating the authorization server", "creating the access policy", "creating the policy rule"}
	for i, step := range steps {
		t.Run(step, func(t *testing.T) {
			srv, err := emulator.New(orgConfig(), emulator.Options{})
			if err != nil {
				t.Fatal(err)
			}
			hs := httptest.NewServer(refuseNth(srv.Handler(), int32(i+1)))
			defer hs.Close()
			c := newClient(t, hs.URL)
			_, err = okta.Setup(context.Background(), c, okta.SetupRequest{UserLogin: alice, RedirectURIs: []string{redirect}})
			var se *okta.SetupError
			if !errors.As(err, &se) || !strings.Contains(se.Step, step) || se.RollbackErr != nil {
				t.Fatalf("err %v, want a rolled-back failure at %q", err, step)
			}
			if !strings.Contains(err.Error(), "nothing was left") {
				t.Errorf("message: %v", err)
			}
			apps, _ := listJSON(t, hs.URL, "/api/v1/apps")
			servers, _ := listJSON(t, hs.URL, "/api/v1/authorizationServers")
			if strings.Contains(apps, "0oa") || strings.Count(servers, `"issuer"`) != 1 {
				t.Errorf("left over:\napps %s\nservers %s", apps, servers)
			}
		})
	}
}

func listJSON(t *testing.T, base, path string) (string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Header.Set("Authorization", "SSWS "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.Header
}

func api(t *testing.T, srv *emulator.Server, method, path string, want int) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL()+path, nil)
	req.Header.Set("Authorization", "SSWS "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
}
