package emulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/okta/emulator/emulatortest"
)

const apiToken = "00emulator-test-token-abcdefghijklmnopqrstu"

type apiAnswer struct {
	Status int
	Header http.Header
	Body   string
	Err    struct {
		ErrorCode    string `json:"errorCode"`
		ErrorSummary string `json:"errorSummary"`
		ErrorCauses  []struct {
			ErrorSummary string `json:"errorSummary"`
		} `json:"errorCauses"`
	}
}

func callAPI(t *testing.T, s *emulator.Server, method, path, auth, body string) apiAnswer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, s.URL()+path, rd)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := apiAnswer{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
	_ = json.Unmarshal(b, &a.Err)
	return a
}

const webAppBody = `{"name":"oidc_client","label":"Lab","signOnMode":"OPENID_CONNECT",
 "credentials":{"oauthClient":{"token_endpoint_auth_method":"client_secret_basic"}},
 "settings":{"oauthClient":{"application_type":"web","redirect_uris":["http://127.0.0.1:8000/cb"],
   "grant_types":["authorization_code"],"response_types":["code"]}}}`

func mgmtServer(t *testing.T) *emulator.Server {
	cfg := testConfig()
	cfg.APIToken = apiToken
	return emulatortest.Start(t, cfg)
}

// TestManagementAPIRefusals: Okta's documented refusals, with its error format.
func TestManagementAPIRefusals(t *testing.T) {
	s := mgmtServer(t)
	ssws := "SSWS " + apiToken
	created := callAPI(t, s, http.MethodPost, "/api/v1/apps", ssws, webAppBody)
	var app struct{ ID string }
	_ = json.Unmarshal([]byte(created.Body), &app)
	tests := []struct {
		name, method, path, auth, body string
		status                         int
		code                           string
		causes                         bool
	}{
		{"no token", "GET", "/api/v1/apps", "", "", 401, "E0000011", false},
		{"wrong token", "GET", "/api/v1/apps", "SSWS 00nope", "", 401, "E0000011", false},
		{"bearer instead of SSWS", "GET", "/api/v1/apps", "Bearer " + apiToken, "", 401, "E0000011", false},
		{"malformed body", "POST", "/api/v1/apps", ssws, `{"name":`, 400, "E0000003", true},
		{"wrong type", "POST", "/api/v1/apps", ssws, `{"name":7}`, 400, "E0000003", true},
		{"missing label", "POST", "/api/v1/apps", ssws, strings.Replace(webAppBody, `"Lab"`, `""`, 1), 400, "E0000001", true},
		{"fragment in redirect", "POST", "/api/v1/apps", ssws, strings.Replace(webAppBody, `/cb"`, `/cb#x"`, 1), 400, "E0000001", true},
		{"code grant without code response", "POST", "/api/v1/apps", ssws, strings.Replace(webAppBody, `["code"]`, `["token"]`, 1), 400, "E0000001", true},
		{"delete active app", "DELETE", "/api/v1/apps/" + app.ID, ssws, "", 403, "E0000056", true},
		{"unknown app", "GET", "/api/v1/apps/0oanope", ssws, "", 404, "E0000007", false},
		{"unknown user", "GET", "/api/v1/users/00unope", ssws, "", 404, "E0000007", false},
		{"unknown server", "GET", "/api/v1/authorizationServers/ausnope/policies", ssws, "", 404, "E0000007", false},
		{"assign unknown user", "POST", "/api/v1/apps/" + app.ID + "/users", ssws, `{"id":"00unope","scope":"USER"}`, 404, "E0000007", false},
		{"policy for unknown client", "POST", "/api/v1/authorizationServers/default/policies", ssws,
			`{"type":"OAUTH_AUTHORIZATION_POLICY","name":"x","conditions":{"clients":{"include":["0oanope"]}}}`, 400, "E0000001", true},
		{"rule without grant types", "POST", "/api/v1/authorizationServers/default/policies/x/rules", ssws, `{"type":"RESOURCE_ACCESS","name":"r"}`, 404, "E0000007", false},
		{"unsupported search", "GET", "/api/v1/users?search=profile.email+sw+%22a%22", ssws, "", 400, "E0000031", true},
		{"bad limit", "GET", "/api/v1/users?limit=0", ssws, "", 400, "E0000001", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := callAPI(t, s, tt.method, tt.path, tt.auth, tt.body)
			if a.Status != tt.status || a.Err.ErrorCode != tt.code || a.Err.ErrorSummary == "" {
				t.Fatalf("%d %s, want %d %s", a.Status, a.Body, tt.status, tt.code)
			}
			if tt.causes && (len(a.Err.ErrorCauses) == 0 || a.Err.ErrorCauses[0].ErrorSummary == "") {
				t.Errorf("no errorCauses: %s", a.Body)
			}
			if strings.Contains(a.Body, apiToken) {
				t.Error("the token is in the answer")
			}
		})
	}
	// The API created exactly what the OAuth side serves, and deactivate-then-delete works.
	if c, ok := s.Client(app.ID); !ok || c.Secret == "" || c.Type != emulator.ClientWeb {
		t.Fatalf("client %+v", c)
	}
	if a := callAPI(t, s, "POST", "/api/v1/apps/"+app.ID+"/lifecycle/deactivate", ssws, ""); a.Status != 200 {
		t.Fatalf("deactivate: %d %s", a.Status, a.Body)
	}
	if a := callAPI(t, s, "DELETE", "/api/v1/apps/"+app.ID, ssws, ""); a.Status != 204 {
		t.Fatalf("delete: %d %s", a.Status, a.Body)
	}
	if _, ok := s.Client(app.ID); ok {
		t.Error("deleted app still a client")
	}
}

func TestManagementAPIRateLimit(t *testing.T) {
	s := mgmtServer(t)
	s.SetAPIRateLimit(2, time.Minute)
	ssws := "SSWS " + apiToken
	for i := range 2 {
		a := callAPI(t, s, "GET", "/api/v1/users", ssws, "")
		if a.Status != 200 || a.Header.Get("X-Rate-Limit-Limit") != "2" || a.Header.Get("X-Rate-Limit-Remaining") != strconv.Itoa(1-i) {
			t.Fatalf("call %d: %d %v", i, a.Status, a.Header)
		}
	}
	a := callAPI(t, s, "GET", "/api/v1/users", ssws, "")
	reset, err := strconv.ParseInt(a.Header.Get("X-Rate-Limit-Reset"), 10, 64)
	if a.Status != 429 || a.Err.ErrorCode != "E0000047" || err != nil || reset < time.Now().Unix() || a.Header.Get("X-Rate-Limit-Remaining") != "0" {
		t.Fatalf("third call: %d %s %v", a.Status, a.Body, a.Header)
	}
}

func TestManagementAPIPagination(t *testing.T) {
	s := mgmtServer(t) // alice and bob
	ssws := "SSWS " + apiToken
	a := callAPI(t, s, "GET", "/api/v1/users?limit=1", ssws, "")
	var page []struct{ ID string }
	_ = json.Unmarshal([]byte(a.Body), &page)
	links := strings.Join(a.Header.Values("Link"), ",")
	if a.Status != 200 || len(page) != 1 || !strings.Contains(links, `rel="self"`) || !strings.Contains(links, `rel="next"`) {
		t.Fatalf("first page: %s %s", a.Body, links)
	}
	next := ""
	for _, l := range a.Header.Values("Link") {
		if strings.HasSuffix(l, `rel="next"`) {
			next = strings.TrimPrefix(strings.Split(l, ">")[0], "<")
		}
	}
	if !strings.Contains(next, "after="+page[0].ID) {
		t.Fatalf("next %s", next)
	}
	a = callAPI(t, s, "GET", strings.TrimPrefix(next, s.URL()), ssws, "")
	var page2 []struct{ ID string }
	_ = json.Unmarshal([]byte(a.Body), &page2)
	if len(page2) != 1 || page2[0].ID == page[0].ID || strings.Contains(strings.Join(a.Header.Values("Link"), ","), `rel="next"`) {
		t.Fatalf("second page: %s %v", a.Body, a.Header.Values("Link"))
	}
	// Search by login.
	a = callAPI(t, s, "GET", "/api/v1/users?search=profile.login+eq+%22ALICE@example.com%22", ssws, "")
	if !strings.Contains(a.Body, `"login":"alice@example.com"`) || strings.Contains(a.Body, "bob@") {
		t.Fatalf("search: %s", a.Body)
	}
}

// TestManagementAPIChangesLogins: a policy rule removed through the API fails the next login
// with Okta's text; assigning through the API lets a user in.
func TestManagementAPIChangesLogins(t *testing.T) {
	s := mgmtServer(t)
	ssws := "SSWS " + apiToken
	bobID := ""
	if u, ok := s.User(bob); ok {
		bobID = u.ID
	}
	cb := loginAs(t, s, bob)
	if cb.Params.Get("error_description") != "User is not assigned to the client application." {
		t.Fatalf("bob before assignment: %v", cb.Params)
	}
	if a := callAPI(t, s, "POST", "/api/v1/apps/"+webID+"/users", ssws, `{"id":"`+bobID+`","scope":"USER"}`); a.Status != 200 || !strings.Contains(a.Body, `"scope":"USER"`) {
		t.Fatalf("assign: %d %s", a.Status, a.Body)
	}
	if cb := loginAs(t, s, bob); cb.Params.Get("code") == "" {
		t.Fatalf("bob after assignment: %v", cb.Params)
	}
	a := callAPI(t, s, "GET", "/api/v1/authorizationServers/default/policies", ssws, "")
	var pols []struct{ ID string }
	_ = json.Unmarshal([]byte(a.Body), &pols)
	if len(pols) != 1 {
		t.Fatalf("policies: %s", a.Body)
	}
	if a := callAPI(t, s, "POST", "/api/v1/authorizationServers/default/policies/"+pols[0].ID+"/lifecycle/deactivate", ssws, ""); a.Status != 204 {
		t.Fatalf("deactivate policy: %d %s", a.Status, a.Body)
	}
	if cb := loginAs(t, s, alice); cb.Params.Get("error_description") != "Policy evaluation failed for this request, please check the policy configurations." {
		t.Fatalf("alice without policy: %v", cb.Params)
	}
}

func loginAs(t *testing.T, s *emulator.Server, login string) *emulatortest.Callback {
	t.Helper()
	cb, err := emulatortest.NewBrowser().Login(t.Context(), authorizeURL(s, nil), login, password)
	if err != nil {
		t.Fatal(err)
	}
	return cb
}
