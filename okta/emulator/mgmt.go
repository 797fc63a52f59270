package emulator

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The Management API subset `oidclab okta` drives (Okta's /api/v1, SSWS token). It reads and
// writes the same users, clients and authorization servers the OAuth endpoints serve, so an app
// created here is a client a user can log in to, and a policy rule deleted here fails the next
// login with Okta's text:
//
//	GET    /api/v1/users?search=profile.login eq "LOGIN" (or filter=, or neither: all users)
//	GET    /api/v1/users/{idOrLogin}
//	GET    /api/v1/apps                         POST /api/v1/apps?activate=true|false
//	GET    /api/v1/apps/{appId}                 PUT  /api/v1/apps/{appId}   DELETE (inactive only)
//	POST   /api/v1/apps/{appId}/lifecycle/activate|deactivate
//	GET    /api/v1/apps/{appId}/users           POST /api/v1/apps/{appId}/users
//	GET    /api/v1/apps/{appId}/users/{userId}  DELETE
//	GET    /api/v1/authorizationServers         POST
//	GET    /api/v1/authorizationServers/{asId}  DELETE
//	POST   /api/v1/authorizationServers/{asId}/lifecycle/activate|deactivate
//	GET    /api/v1/authorizationServers/{asId}/policies              POST
//	GET    /api/v1/authorizationServers/{asId}/policies/{policyId}   DELETE
//	POST   /api/v1/authorizationServers/{asId}/policies/{policyId}/lifecycle/activate|deactivate
//	GET    /api/v1/authorizationServers/{asId}/policies/{policyId}/rules            POST
//	GET    /api/v1/authorizationServers/{asId}/policies/{policyId}/rules/{ruleId}   DELETE
//	POST   /api/v1/authorizationServers/{asId}/policies/{policyId}/rules/{ruleId}/lifecycle/activate|deactivate
//
// Lists page with limit (1-200, default 200) and after, and say where the next page is in a
// Link header (rel="next"), as Okta does.

// EndpointManagement names the Management API for SetFault and RequestRecord.Endpoint.
const EndpointManagement = "management"

// Default rate limit of the Management API: Okta's per-minute buckets are of this order.
const (
	defaultAPIRateLimit  = 600
	defaultAPIRateWindow = time.Minute
	maxPageLimit         = 200
)

// mgmtState is the Management API's own state: its token, its rate limiter, and what Okta
// reports about objects that the login model does not need (creation times).
type mgmtState struct {
	token string

	mu      sync.Mutex
	limit   int
	window  time.Duration
	start   time.Time
	count   int
	created map[string]time.Time
	boot    time.Time
}

func newMgmtState(token string, now time.Time) mgmtState {
	if token == "" {
		// Okta's tokens are 42 characters starting with 00; the shape tells users what it is.
		token = "00" + randomToken(30)
	}
	return mgmtState{token: token, limit: defaultAPIRateLimit, window: defaultAPIRateWindow, created: map[string]time.Time{}, boot: now}
}

// SetAPIRateLimit sets how many Management API calls each window allows (Okta's per-minute
// buckets); limit 0 restores the default. Tests use a small window to see a 429 and its reset.
func (s *Server) SetAPIRateLimit(limit int, window time.Duration) {
	s.mgmt.mu.Lock()
	defer s.mgmt.mu.Unlock()
	if limit <= 0 || window <= 0 {
		limit, window = defaultAPIRateLimit, defaultAPIRateWindow
	}
	s.mgmt.limit, s.mgmt.window, s.mgmt.count, s.mgmt.start = limit, window, 0, time.Time{}
}

// take counts one call and returns the headers' values; ok is false once the window is spent.
func (m *mgmtState) take(now time.Time) (limit, remaining int, reset time.Time, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.start.IsZero() || !now.Before(m.start.Add(m.window)) {
		m.start, m.count = now, 0
	}
	reset = m.start.Add(m.window)
	if m.count >= m.limit {
		return m.limit, 0, reset, false
	}
	m.count++
	return m.limit, m.limit - m.count, reset, true
}

func (m *mgmtState) createdAt(id string) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t, ok := m.created[id]; ok {
		return t
	}
	return m.boot
}

func (m *mgmtState) noteCreated(id string, t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.created[id] = t
}

// mgmtRoutes adds the Management API to mux.
func (s *Server) mgmtRoutes(mux *http.ServeMux) {
	h := func(pattern string, fn func(w http.ResponseWriter, r *http.Request)) {
		mux.Handle(pattern, s.endpoint(EndpointManagement, false, func(w http.ResponseWriter, r *http.Request, _ *AuthServer) {
			if !s.mgmtAuthorize(w, r) {
				return
			}
			fn(w, r)
		}))
	}
	h("GET /api/v1/users", s.apiListUsers)
	h("GET /api/v1/users/{id}", s.apiGetUser)
	h("GET /api/v1/apps", s.apiListApps)
	h("POST /api/v1/apps", withBody(s.apiCreateApp))
	h("GET /api/v1/apps/{app}", s.apiGetApp)
	h("PUT /api/v1/apps/{app}", s.apiUpdateApp)
	h("DELETE /api/v1/apps/{app}", s.apiDeleteApp)
	h("POST /api/v1/apps/{app}/lifecycle/{op}", s.apiAppLifecycle)
	h("GET /api/v1/apps/{app}/users", s.apiListAppUsers)
	h("POST /api/v1/apps/{app}/users", s.apiAssignUser)
	h("GET /api/v1/apps/{app}/users/{user}", s.apiGetAppUser)
	h("DELETE /api/v1/apps/{app}/users/{user}", s.apiUnassignUser)
	h("GET /api/v1/authorizationServers", s.apiListServers)
	h("POST /api/v1/authorizationServers", withBody(s.apiCreateServer))
	h("GET /api/v1/authorizationServers/{as}", s.apiGetServer)
	h("DELETE /api/v1/authorizationServers/{as}", s.apiDeleteServer)
	h("POST /api/v1/authorizationServers/{as}/lifecycle/{op}", s.apiLifecycle)
	h("GET /api/v1/authorizationServers/{as}/policies", s.apiListPolicies)
	h("POST /api/v1/authorizationServers/{as}/policies", withBody(s.apiCreatePolicy))
	h("GET /api/v1/authorizationServers/{as}/policies/{pol}", s.apiGetPolicy)
	h("DELETE /api/v1/authorizationServers/{as}/policies/{pol}", s.apiDeletePolicy)
	h("POST /api/v1/authorizationServers/{as}/policies/{pol}/lifecycle/{op}", s.apiLifecycle)
	h("GET /api/v1/authorizationServers/{as}/policies/{pol}/rules", s.apiListRules)
	h("POST /api/v1/authorizationServers/{as}/policies/{pol}/rules", withBody(s.apiCreateRule))
	h("GET /api/v1/authorizationServers/{as}/policies/{pol}/rules/{rule}", s.apiGetRule)
	h("DELETE /api/v1/authorizationServers/{as}/policies/{pol}/rules/{rule}", s.apiDeleteRule)
	h("POST /api/v1/authorizationServers/{as}/policies/{pol}/rules/{rule}/lifecycle/{op}", s.apiLifecycle)
	h("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeOktaError(w, r, http.StatusNotFound, "E0000022", "The endpoint does not support the provided HTTP method")
	})
}

// mgmtAuthorize checks the SSWS token, then the rate limit; every answer to an authenticated
// call carries Okta's X-Rate-Limit-* headers.
func (s *Server) mgmtAuthorize(w http.ResponseWriter, r *http.Request) bool {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	want := sha256.Sum256([]byte(s.mgmt.token))
	got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	if !strings.EqualFold(scheme, "SSWS") || subtle.ConstantTimeCompare(want[:], got[:]) != 1 {
		writeOktaError(w, r, http.StatusUnauthorized, "E0000011", "Invalid token provided")
		return false
	}
	limit, remaining, reset, ok := s.mgmt.take(s.now())
	h := w.Header()
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(limit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	// Okta's reset is whole epoch seconds; rounding up keeps "wait until reset" from being early.
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt((reset.UnixNano()+int64(time.Second)-1)/int64(time.Second), 10))
	h.Set("Date", s.now().UTC().Format(http.TimeFormat))
	if !ok {
		writeOktaError(w, r, http.StatusTooManyRequests, "E0000047", "API call exceeded rate limit due to too many requests.")
		return false
	}
	return true
}

// apiCause is one entry of Okta's errorCauses.
type apiCause struct {
	ErrorSummary string `json:"errorSummary"`
}

func writeAPIError(w http.ResponseWriter, r *http.Request, status int, code, summary string, causes ...string) {
	rec := recordFrom(r)
	rec.Error, rec.ErrorDescription = code, summary
	body := oktaError{ErrorCode: code, ErrorSummary: summary, ErrorLink: code, ErrorID: oktaID("oae") + oktaID("")[:5], ErrorCauses: []apiCause{}}
	for _, c := range causes {
		body.ErrorCauses = append(body.ErrorCauses, apiCause{ErrorSummary: c})
	}
	writeJSON(w, status, body)
}

// validationFailed is Okta's 400 for a body that parsed but is not acceptable: the summary
// names the first field, each cause says what is wrong with one.
func validationFailed(w http.ResponseWriter, r *http.Request, causes []fieldProblem) {
	list := make([]string, len(causes))
	for i, c := range causes {
		list[i] = c.field + ": " + c.problem
	}
	writeAPIError(w, r, http.StatusBadRequest, "E0000001", "Api validation failed: "+causes[0].field, list...)
}

type fieldProblem struct{ field, problem string }

type fieldProblems []fieldProblem

func (p *fieldProblems) add(field, format string, args ...any) {
	*p = append(*p, fieldProblem{field, fmt.Sprintf(format, args...)})
}

func notFound(w http.ResponseWriter, r *http.Request, id, kind string) {
	writeAPIError(w, r, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+id+" ("+kind+")")
}

// decodeAPI reads a JSON body; malformed JSON is Okta's E0000003 with the parser's complaint as
// the cause.
func decodeAPI(w http.ResponseWriter, r *http.Request, v any) bool {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mb *http.MaxBytesError
		cause := "the body could not be read"
		if errors.As(err, &mb) {
			cause = "the body is larger than 64 KiB"
		}
		writeAPIError(w, r, http.StatusBadRequest, "E0000003", "The request body was not well-formed.", cause)
		return false
	}
	if err := json.Unmarshal(data, v); err != nil {
		writeAPIError(w, r, http.StatusBadRequest, "E0000003", "The request body was not well-formed.", jsonProblem(err))
		return false
	}
	return true
}

// withBody gives fn the decoded body; a body that does not parse never reaches it.
func withBody[T any](fn func(w http.ResponseWriter, r *http.Request, in T)) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		var in T
		if decodeAPI(w, r, &in) {
			fn(w, r, in)
		}
	}
}

func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s: expected %s, got %s", te.Field, te.Type.Kind(), te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at offset %d", se.Offset)
	}
	return "invalid JSON: " + err.Error()
}

// listed is a JSON view page can order: Okta pages by id, and after= names the last one seen.
type listed interface{ key() string }

func (u apiUser) key() string    { return u.ID }
func (a apiApp) key() string     { return a.ID }
func (a apiAppUser) key() string { return a.ID }
func (a apiServer) key() string  { return a.ID }
func (p apiPolicy) key() string  { return p.ID }
func (ru apiRule) key() string   { return ru.ID }

// page is one page of a list, and the Link headers that lead through it.
func page[T listed](w http.ResponseWriter, r *http.Request, base string, items []T) ([]T, bool) {
	q := r.URL.Query()
	limit := maxPageLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeAPIError(w, r, http.StatusBadRequest, "E0000001", "Api validation failed: limit", "limit: must be a number from 1 to 200")
			return nil, false
		}
		limit = min(n, maxPageLimit)
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].key() < items[j].key() })
	if after := q.Get("after"); after != "" {
		i := sort.Search(len(items), func(i int) bool { return items[i].key() > after })
		items = items[i:]
	}
	self := base + r.URL.Path
	if r.URL.RawQuery != "" {
		self += "?" + r.URL.RawQuery
	}
	w.Header().Add("Link", "<"+self+`>; rel="self"`)
	if len(items) > limit {
		items = items[:limit]
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("limit", strconv.Itoa(limit))
		next.Set("after", items[len(items)-1].key())
		w.Header().Add("Link", "<"+base+r.URL.Path+"?"+next.Encode()+`>; rel="next"`)
	}
	return items, true
}

// writeList answers a list call with one page of what build returns; build runs under the read
// lock because it reads the model's maps.
func writeList[T listed](s *Server, w http.ResponseWriter, r *http.Request, build func(base string) []T) {
	base := s.baseFor(r)
	s.mu.RLock()
	list := build(base)
	s.mu.RUnlock()
	if list, ok := page(w, r, base, list); ok {
		writeJSON(w, http.StatusOK, nonNil(list))
	}
}

// views is the JSON view of every object in m, in no particular order: page sorts.
func views[V, T any](m map[string]V, view func(V) T) []T {
	list := make([]T, 0, len(m))
	for _, v := range m {
		list = append(list, view(v))
	}
	return list
}

func apiTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func selfLink(href string) map[string]any {
	return map[string]any{"self": map[string]string{"href": href}}
}

func statusOf(inactive bool) string {
	if inactive {
		return "INACTIVE"
	}
	return "ACTIVE"
}

// ---- users ----

type apiUser struct {
	ID          string         `json:"id"`
	Status      string         `json:"status"`
	Created     string         `json:"created"`
	LastUpdated string         `json:"lastUpdated"`
	Profile     apiUserProfile `json:"profile"`
	Links       map[string]any `json:"_links"`
}

type apiUserProfile struct {
	Login       string `json:"login"`
	Email       string `json:"email,omitempty"`
	FirstName   string `json:"firstName,omitempty"`
	LastName    string `json:"lastName,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
}

func (s *Server) userJSON(base string, u *User) apiUser {
	t := apiTime(s.mgmt.createdAt(u.ID))
	return apiUser{ID: u.ID, Status: "ACTIVE", Created: t, LastUpdated: t,
		Profile: apiUserProfile{Login: u.Login, Email: u.Profile.Email, FirstName: u.Profile.GivenName, LastName: u.Profile.FamilyName, DisplayName: u.Profile.Name},
		Links:   selfLink(base + "/api/v1/users/" + u.ID)}
}

// loginExpr is the one search and filter expression the emulator understands, the one Okta's
// docs give for finding a user by login.
var loginExpr = regexp.MustCompile(`^\s*profile\.login\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$`)

func (s *Server) apiListUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Has("search") && q.Has("filter") {
		writeAPIError(w, r, http.StatusBadRequest, "E0000033", "Bad request. Can't specify a search query and filter in the same request.")
		return
	}
	expr := q.Get("search") + q.Get("filter")
	login, byLogin := "", false
	if expr != "" {
		m := loginExpr.FindStringSubmatch(expr)
		if m == nil {
			writeAPIError(w, r, http.StatusBadRequest, "E0000031", "Bad request. Invalid filter parameter.",
				"the emulator understands profile.login eq \"LOGIN\" only")
			return
		}
		login, byLogin = strings.ReplaceAll(m[1], `\"`, `"`), true
	}
	writeList(s, w, r, func(base string) (list []apiUser) {
		for _, u := range s.byID {
			if !byLogin || strings.EqualFold(u.Login, login) {
				list = append(list, s.userJSON(base, u))
			}
		}
		return list
	})
}

func (s *Server) apiGetUser(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.RLock()
	u, ok := s.byID[id]
	if !ok {
		u, ok = s.users[strings.ToLower(id)]
	}
	s.mu.RUnlock()
	if !ok {
		notFound(w, r, id, "User")
		return
	}
	writeJSON(w, http.StatusOK, s.userJSON(s.baseFor(r), u))
}

func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

// ---- apps ----

type apiApp struct {
	ID          string         `json:"id,omitempty"`
	Name        string         `json:"name"`
	Label       string         `json:"label"`
	Status      string         `json:"status,omitempty"`
	Created     string         `json:"created,omitempty"`
	LastUpdated string         `json:"lastUpdated,omitempty"`
	SignOnMode  string         `json:"signOnMode"`
	Credentials apiAppCreds    `json:"credentials"`
	Settings    apiAppSettings `json:"settings"`
	Links       map[string]any `json:"_links,omitempty"`
}

type apiAppCreds struct {
	OAuthClient apiOAuthCreds `json:"oauthClient"`
}

type apiOAuthCreds struct {
	ClientID                string `json:"client_id,omitempty"`
	ClientSecret            string `json:"client_secret,omitempty"`
	TokenEndpointAuthMethod string `json:"token_endpoint_auth_method"`
	AutoKeyRotation         *bool  `json:"autoKeyRotation,omitempty"`
	PKCERequired            *bool  `json:"pkce_required,omitempty"`
}

type apiAppSettings struct {
	OAuthClient *apiOAuthSettings `json:"oauthClient"`
}

type apiOAuthSettings struct {
	RedirectURIs           []string `json:"redirect_uris"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris,omitempty"`
	ResponseTypes          []string `json:"response_types"`
	GrantTypes             []string `json:"grant_types"`
	ApplicationType        string   `json:"application_type"`
	ConsentMethod          string   `json:"consent_method,omitempty"`
	IssuerMode             string   `json:"issuer_mode,omitempty"`
}

var appTypes = map[string]string{"web": ClientWeb, "browser": ClientSPA, "native": ClientNative, "service": ClientService}

func oktaAppType(clientType string) string {
	for k, v := range appTypes {
		if v == clientType {
			return k
		}
	}
	return clientType
}

func (s *Server) appJSON(base string, c *Client) apiApp {
	method := AuthBasic
	if c.Public() {
		method = AuthNone
	}
	t := apiTime(s.mgmt.createdAt(c.ID))
	rotate, pkce := true, c.PKCERequired
	responseTypes := []string{}
	if slices.Contains(c.GrantTypes, GrantAuthorizationCode) {
		responseTypes = []string{"code"}
	}
	return apiApp{
		ID: c.ID, Name: "oidc_client", Label: c.Name, Status: statusOf(c.Inactive), Created: t, LastUpdated: t, SignOnMode: "OPENID_CONNECT",
		Credentials: apiAppCreds{OAuthClient: apiOAuthCreds{ClientID: c.ID, ClientSecret: c.Secret, TokenEndpointAuthMethod: method, AutoKeyRotation: &rotate, PKCERequired: &pkce}},
		Settings: apiAppSettings{OAuthClient: &apiOAuthSettings{
			RedirectURIs: nonNil(slices.Clone(c.RedirectURIs)), PostLogoutRedirectURIs: slices.Clone(c.PostLogoutRedirectURIs),
			ResponseTypes: responseTypes, GrantTypes: slices.Clone(c.GrantTypes), ApplicationType: oktaAppType(c.Type),
			ConsentMethod: "TRUSTED", IssuerMode: "DYNAMIC",
		}},
		Links: map[string]any{
			"self":  map[string]string{"href": base + "/api/v1/apps/" + c.ID},
			"users": map[string]string{"href": base + "/api/v1/apps/" + c.ID + "/users"},
		},
	}
}

// clientFromApp checks an app body the way Okta's validation does and builds the client it
// stands for; old is the app being replaced (nil on create).
func clientFromApp(in apiApp, old *Client) (Client, fieldProblems) {
	var p fieldProblems
	if in.Name != "oidc_client" {
		p.add("name", "must be oidc_client for an OpenID Connect app (got %q)", in.Name)
	}
	if strings.TrimSpace(in.Label) == "" {
		p.add("label", "The field cannot be left blank")
	}
	if in.SignOnMode != "OPENID_CONNECT" {
		p.add("signOnMode", "must be OPENID_CONNECT (got %q)", in.SignOnMode)
	}
	st := in.Settings.OAuthClient
	if st == nil {
		p.add("settings.oauthClient", "The field cannot be left blank")
		return Client{}, p
	}
	typ, ok := appTypes[st.ApplicationType]
	if !ok {
		p.add("settings.oauthClient.application_type", "must be one of web, browser, native, service (got %q)", st.ApplicationType)
	}
	method := in.Credentials.OAuthClient.TokenEndpointAuthMethod
	switch {
	case method == "" && ok:
		method = AuthBasic
		if typ == ClientSPA || typ == ClientNative {
			method = AuthNone
		}
	case method == AuthBasic || method == AuthPost:
		if typ == ClientSPA || typ == ClientNative {
			p.add("credentials.oauthClient.token_endpoint_auth_method", "a %s app authenticates with none", st.ApplicationType)
		}
	case method == AuthNone:
		if typ == ClientWeb || typ == ClientService {
			p.add("credentials.oauthClient.token_endpoint_auth_method", "a %s app needs a client secret (client_secret_basic or client_secret_post)", st.ApplicationType)
		}
	case method == "client_secret_jwt" || method == "private_key_jwt":
		p.add("credentials.oauthClient.token_endpoint_auth_method", "%s is valid in Okta but not supported by the emulator", method)
	default:
		p.add("credentials.oauthClient.token_endpoint_auth_method", "%q is not one of client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt, none", method)
	}
	for _, g := range st.GrantTypes {
		switch g {
		case GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials:
		case "implicit", "password", "interaction_code":
			p.add("settings.oauthClient.grant_types", "%s is valid in Okta but not supported by the emulator", g)
		default:
			p.add("settings.oauthClient.grant_types", "%q is not a grant type Okta knows", g)
		}
	}
	if len(st.GrantTypes) == 0 {
		p.add("settings.oauthClient.grant_types", "The field cannot be left blank")
	}
	if slices.Contains(st.GrantTypes, GrantAuthorizationCode) && !slices.Contains(st.ResponseTypes, "code") {
		p.add("settings.oauthClient.response_types", "must include code for the authorization_code grant")
	}
	for _, rt := range st.ResponseTypes {
		if rt != "code" && rt != "token" && rt != "id_token" {
			p.add("settings.oauthClient.response_types", "%q is not one of code, token, id_token", rt)
		}
	}
	if st.ConsentMethod != "" && st.ConsentMethod != "TRUSTED" && st.ConsentMethod != "REQUIRED" {
		p.add("settings.oauthClient.consent_method", "must be TRUSTED or REQUIRED")
	}
	c := Client{Name: in.Label, Type: typ, RedirectURIs: st.RedirectURIs, PostLogoutRedirectURIs: st.PostLogoutRedirectURIs, GrantTypes: st.GrantTypes}
	if pk := in.Credentials.OAuthClient.PKCERequired; pk != nil {
		c.PKCERequired = *pk
	}
	if old != nil {
		c.ID, c.Secret, c.Inactive = old.ID, old.Secret, old.Inactive
		c.AssignAll, c.AssignedUsers, c.AssignedGroups = old.AssignAll, old.AssignedUsers, old.AssignedGroups
		c.StaticRefreshToken, c.RefreshTokenLeeway = old.StaticRefreshToken, old.RefreshTokenLeeway
	}
	if sec := in.Credentials.OAuthClient.ClientSecret; sec != "" && !c.Public() {
		c.Secret = sec
	}
	if c.Secret == "" && (typ == ClientWeb || typ == ClientService) {
		c.Secret = randomToken(30)
	}
	if c.Public() {
		c.Secret = ""
	}
	var cp problems
	cp.client("settings.oauthClient", withID(c), nil)
	for _, msg := range cp.list {
		field, problem, _ := strings.Cut(msg, ": ")
		p.add(field, "%s", problem)
	}
	return c, p
}

// withID gives a client being created a placeholder id for validation.
func withID(c Client) Client {
	if c.ID == "" {
		c.ID = "0oa00000000000000000"
	}
	return c
}

func (s *Server) apiListApps(w http.ResponseWriter, r *http.Request) {
	writeList(s, w, r, func(base string) []apiApp {
		return views(s.clients, func(c *Client) apiApp { return s.appJSON(base, c) })
	})
}

func (s *Server) apiCreateApp(w http.ResponseWriter, r *http.Request, in apiApp) {
	c, probs := clientFromApp(in, nil)
	activate := true
	switch v := r.URL.Query().Get("activate"); v {
	case "", "true":
	case "false":
		activate = false
	default:
		probs.add("activate", "must be true or false")
	}
	if len(probs) > 0 {
		validationFailed(w, r, probs)
		return
	}
	c.ID, c.Inactive = oktaID("0oa"), !activate
	s.mu.Lock()
	s.putClient(c)
	stored := s.clients[c.ID]
	s.mu.Unlock()
	s.mgmt.noteCreated(c.ID, s.now())
	writeJSON(w, http.StatusOK, s.appJSON(s.baseFor(r), stored))
}

func (s *Server) lookupApp(w http.ResponseWriter, r *http.Request) (*Client, bool) {
	id := r.PathValue("app")
	s.mu.RLock()
	c, ok := s.clients[id]
	s.mu.RUnlock()
	if !ok {
		notFound(w, r, id, "AppInstance")
	}
	return c, ok
}

func (s *Server) apiGetApp(w http.ResponseWriter, r *http.Request) {
	if c, ok := s.lookupApp(w, r); ok {
		writeJSON(w, http.StatusOK, s.appJSON(s.baseFor(r), c))
	}
}

func (s *Server) apiUpdateApp(w http.ResponseWriter, r *http.Request) {
	old, ok := s.lookupApp(w, r)
	if !ok {
		return
	}
	var in apiApp
	if !decodeAPI(w, r, &in) {
		return
	}
	c, probs := clientFromApp(in, old)
	if len(probs) > 0 {
		validationFailed(w, r, probs)
		return
	}
	s.mu.Lock()
	if _, still := s.clients[c.ID]; !still {
		s.mu.Unlock()
		notFound(w, r, c.ID, "AppInstance")
		return
	}
	s.putClient(c)
	stored := s.clients[c.ID]
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.appJSON(s.baseFor(r), stored))
}

func (s *Server) apiDeleteApp(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookupApp(w, r)
	if !ok {
		return
	}
	if !c.Inactive {
		writeAPIError(w, r, http.StatusForbidden, "E0000056", "Delete application forbidden.",
			"The application must be deactivated before it can be deleted: POST /api/v1/apps/"+c.ID+"/lifecycle/deactivate")
		return
	}
	s.mu.Lock()
	delete(s.clients, c.ID)
	// Okta removes a deleted app from the policies that named it.
	for id, as := range s.servers {
		cp := cloneAuthServer(*as)
		changed := false
		for i := range cp.Policies {
			if j := slices.Index(cp.Policies[i].Clients, c.ID); j >= 0 {
				cp.Policies[i].Clients = slices.Delete(cp.Policies[i].Clients, j, j+1)
				changed = true
			}
		}
		if changed {
			s.servers[id] = &cp
		}
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// changeApp applies fn to a copy of the app {app} and swaps it in, as change does for
// authorization servers. fn answers the request itself when it returns false.
func (s *Server) changeApp(w http.ResponseWriter, r *http.Request, fn func(c *Client) bool) bool {
	id := r.PathValue("app")
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.clients[id]
	if !ok {
		notFound(w, r, id, "AppInstance")
		return false
	}
	cp := *cur
	if !fn(&cp) {
		return false
	}
	s.clients[id] = &cp
	return true
}

// apiAppLifecycle answers 200 with an empty object where the server lifecycle answers 204: Okta
// does so.
func (s *Server) apiAppLifecycle(w http.ResponseWriter, r *http.Request) {
	if s.changeApp(w, r, func(c *Client) bool {
		// after the app: Okta's 404 for a missing app comes before the one for an unknown op
		inactive, ok := lifecycleOp(w, r)
		c.Inactive = inactive
		return ok
	}) {
		writeJSON(w, http.StatusOK, struct{}{})
	}
}

// lifecycleOp reads {op}: activate or deactivate, reporting whether the object becomes inactive.
func lifecycleOp(w http.ResponseWriter, r *http.Request) (inactive, ok bool) {
	switch r.PathValue("op") {
	case "activate":
		return false, true
	case "deactivate":
		return true, true
	}
	writeAPIError(w, r, http.StatusNotFound, "E0000022", "The endpoint does not support the provided HTTP method")
	return false, false
}

// ---- app users ----

type apiAppUser struct {
	ID          string            `json:"id"`
	Scope       string            `json:"scope"`
	Status      string            `json:"status"`
	Created     string            `json:"created"`
	LastUpdated string            `json:"lastUpdated"`
	Credentials map[string]string `json:"credentials"`
	Links       map[string]any    `json:"_links"`
}

func (s *Server) appUserJSON(base string, c *Client, u *User, scope string) apiAppUser {
	t := apiTime(s.mgmt.createdAt(c.ID + "/" + u.ID))
	return apiAppUser{ID: u.ID, Scope: scope, Status: "ACTIVE", Created: t, LastUpdated: t,
		Credentials: map[string]string{"userName": u.Login},
		Links: map[string]any{
			"app":  map[string]string{"href": base + "/api/v1/apps/" + c.ID},
			"user": map[string]string{"href": base + "/api/v1/users/" + u.ID},
		}}
}

// assignmentScope says how u is assigned to c: USER (directly), GROUP, or "" (not assigned).
func assignmentScope(c *Client, u *User) string {
	if containsFold(c.AssignedUsers, u.Login) {
		return "USER"
	}
	if assigned(c, u) {
		return "GROUP"
	}
	return ""
}

func (s *Server) apiListAppUsers(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookupApp(w, r)
	if !ok {
		return
	}
	writeList(s, w, r, func(base string) (list []apiAppUser) {
		for _, u := range s.byID {
			if scope := assignmentScope(c, u); scope != "" {
				list = append(list, s.appUserJSON(base, c, u, scope))
			}
		}
		return list
	})
}

func (s *Server) apiAssignUser(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookupApp(w, r)
	if !ok {
		return
	}
	var in struct {
		ID          string `json:"id"`
		Scope       string `json:"scope"`
		Credentials *struct {
			UserName string `json:"userName"`
		} `json:"credentials"`
	}
	if !decodeAPI(w, r, &in) {
		return
	}
	var probs fieldProblems
	if in.ID == "" {
		probs.add("id", "The field cannot be left blank")
	}
	if in.Scope != "" && in.Scope != "USER" {
		probs.add("scope", "must be USER for a direct assignment")
	}
	if len(probs) > 0 {
		validationFailed(w, r, probs)
		return
	}
	var u *User
	if s.changeApp(w, r, func(cp *Client) bool {
		found, ok := s.byID[in.ID]
		if !ok {
			notFound(w, r, in.ID, "User")
			return false
		}
		u = found
		if !containsFold(cp.AssignedUsers, u.Login) {
			cp.AssignedUsers = append(slices.Clone(cp.AssignedUsers), u.Login)
		}
		c = cp
		return true
	}) {
		s.mgmt.noteCreated(c.ID+"/"+u.ID, s.now())
		writeJSON(w, http.StatusOK, s.appUserJSON(s.baseFor(r), c, u, "USER"))
	}
}

func (s *Server) apiGetAppUser(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookupApp(w, r)
	if !ok {
		return
	}
	id := r.PathValue("user")
	s.mu.RLock()
	u, okU := s.byID[id]
	s.mu.RUnlock()
	scope := ""
	if okU {
		scope = assignmentScope(c, u)
	}
	if scope == "" {
		notFound(w, r, id, "AppUser")
		return
	}
	writeJSON(w, http.StatusOK, s.appUserJSON(s.baseFor(r), c, u, scope))
}

func (s *Server) apiUnassignUser(w http.ResponseWriter, r *http.Request) {
	if s.changeApp(w, r, func(c *Client) bool {
		id := r.PathValue("user")
		u, ok := s.byID[id]
		if !ok || !containsFold(c.AssignedUsers, u.Login) {
			notFound(w, r, id, "AppUser")
			return false
		}
		c.AssignedUsers = slices.DeleteFunc(slices.Clone(c.AssignedUsers), func(l string) bool { return strings.EqualFold(l, u.Login) })
		return true
	}) {
		w.WriteHeader(http.StatusNoContent)
	}
}

// ---- authorization servers ----

type apiServer struct {
	ID          string         `json:"id,omitempty"`
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Audiences   []string       `json:"audiences"`
	Issuer      string         `json:"issuer,omitempty"`
	IssuerMode  string         `json:"issuerMode,omitempty"`
	Status      string         `json:"status,omitempty"`
	Created     string         `json:"created,omitempty"`
	LastUpdated string         `json:"lastUpdated,omitempty"`
	Credentials map[string]any `json:"credentials,omitempty"`
	Default     bool           `json:"default,omitempty"`
	Links       map[string]any `json:"_links,omitempty"`
}

func (s *Server) serverJSON(base string, as *AuthServer) apiServer {
	t := apiTime(s.mgmt.createdAt(as.ID))
	kid := "" // a key that failed to generate has no id; token requests report that failure
	if k, err := s.keys.active(); err == nil {
		kid = k.kid
	}
	return apiServer{ID: as.ID, Name: as.Name, Description: as.Description, Audiences: nonNil(slices.Clone(as.Audiences)),
		Issuer: base + "/oauth2/" + as.ID, IssuerMode: "ORG_URL", Status: statusOf(as.Inactive), Created: t, LastUpdated: t,
		Credentials: map[string]any{"signing": map[string]string{"rotationMode": "AUTO", "kid": kid}},
		Default:     as.ID == DefaultAuthServerID,
		Links:       selfLink(base + "/api/v1/authorizationServers/" + as.ID)}
}

// target is what a path under /api/v1/authorizationServers/{as} names: the server, one of its
// policies ({pol}) or a rule of one ({rule}); pi and ri are -1 where the route stops above.
type target struct {
	as     *AuthServer
	pi, ri int
}

func (t target) policy() *Policy { return &t.as.Policies[t.pi] }
func (t target) rule() *Rule     { return &t.policy().Rules[t.ri] }

// inactive is the status flag of the object the path names, so one lifecycle handler serves all
// three levels.
func (t target) inactive() *bool {
	switch {
	case t.ri >= 0:
		return &t.rule().Inactive
	case t.pi >= 0:
		return &t.policy().Inactive
	}
	return &t.as.Inactive
}

// resolve finds {pol} and {rule} in as as far as the route names them; Okta's 404 names the
// first one missing.
func resolve(w http.ResponseWriter, r *http.Request, as *AuthServer) (target, bool) {
	t := target{as: as, pi: -1, ri: -1}
	if id := r.PathValue("pol"); id != "" {
		if t.pi = slices.IndexFunc(as.Policies, func(p Policy) bool { return p.ID == id }); t.pi < 0 {
			notFound(w, r, id, "AuthorizationServerPolicy")
			return t, false
		}
	}
	if id := r.PathValue("rule"); id != "" {
		if t.ri = slices.IndexFunc(t.policy().Rules, func(ru Rule) bool { return ru.ID == id }); t.ri < 0 {
			notFound(w, r, id, "AuthorizationServerPolicyRule")
			return t, false
		}
	}
	return t, true
}

// lookup resolves the path against the live server, for reading only.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) (target, bool) {
	id := r.PathValue("as")
	s.mu.RLock()
	as, ok := s.servers[id]
	s.mu.RUnlock()
	if !ok {
		notFound(w, r, id, "AuthorizationServer")
		return target{}, false
	}
	return resolve(w, r, as)
}

// change resolves the path against a copy of the server and swaps the copy in once fn has
// changed it, so handlers holding the old one keep a consistent view. fn answers the request
// itself when it returns false.
func (s *Server) change(w http.ResponseWriter, r *http.Request, fn func(target) bool) bool {
	id := r.PathValue("as")
	s.mu.Lock()
	defer s.mu.Unlock()
	as, ok := s.servers[id]
	if !ok {
		notFound(w, r, id, "AuthorizationServer")
		return false
	}
	cp := cloneAuthServer(*as)
	t, ok := resolve(w, r, &cp)
	if !ok || !fn(t) {
		return false
	}
	s.servers[id] = &cp
	return true
}

// createIn answers a POST that adds a policy or rule: add checks the body against the server's
// copy and, only when it finds no problem, appends the object and returns its id and view.
func (s *Server) createIn(w http.ResponseWriter, r *http.Request, add func(t target, base string) (id string, out any, probs fieldProblems)) {
	base := s.baseFor(r) // before change: it takes the lock baseFor reads under
	var id string
	var out any
	if s.change(w, r, func(t target) bool {
		var probs fieldProblems
		if id, out, probs = add(t, base); len(probs) > 0 {
			validationFailed(w, r, probs)
			return false
		}
		return true
	}) {
		s.mgmt.noteCreated(id, s.now())
		writeJSON(w, http.StatusCreated, out)
	}
}

// apiLifecycle serves the server, policy and rule lifecycles alike: the route's path says which.
func (s *Server) apiLifecycle(w http.ResponseWriter, r *http.Request) {
	inactive, ok := lifecycleOp(w, r)
	if ok && s.change(w, r, func(t target) bool { *t.inactive() = inactive; return true }) {
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) apiListServers(w http.ResponseWriter, r *http.Request) {
	writeList(s, w, r, func(base string) []apiServer {
		return views(s.servers, func(as *AuthServer) apiServer { return s.serverJSON(base, as) })
	})
}

func (s *Server) apiCreateServer(w http.ResponseWriter, r *http.Request, in apiServer) {
	var probs fieldProblems
	if strings.TrimSpace(in.Name) == "" {
		probs.add("name", "The field cannot be left blank")
	}
	if len(in.Audiences) == 0 {
		probs.add("audiences", "The field cannot be left blank")
	}
	s.mu.Lock()
	for _, as := range s.servers {
		if in.Name != "" && strings.EqualFold(as.Name, in.Name) {
			probs.add("name", "An authorization server with the name %q already exists", in.Name)
		}
	}
	if len(probs) > 0 {
		s.mu.Unlock()
		validationFailed(w, r, probs)
		return
	}
	as := AuthServer{ID: oktaID("aus"), Name: in.Name, Description: in.Description, Audiences: slices.Clone(in.Audiences), Policies: []Policy{}}
	s.servers[as.ID] = &as
	s.mu.Unlock()
	s.mgmt.noteCreated(as.ID, s.now())
	writeJSON(w, http.StatusCreated, s.serverJSON(s.baseFor(r), &as))
}

func (s *Server) apiGetServer(w http.ResponseWriter, r *http.Request) {
	if t, ok := s.lookup(w, r); ok {
		writeJSON(w, http.StatusOK, s.serverJSON(s.baseFor(r), t.as))
	}
}

func (s *Server) apiDeleteServer(w http.ResponseWriter, r *http.Request) {
	t, ok := s.lookup(w, r)
	if !ok {
		return
	}
	as := t.as
	if as.ID == DefaultAuthServerID {
		writeAPIError(w, r, http.StatusForbidden, "E0000006", "You do not have permission to perform the requested action",
			"the default authorization server cannot be deleted")
		return
	}
	s.mu.Lock()
	delete(s.servers, as.ID)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// ---- policies ----

type apiPolicy struct {
	ID          string         `json:"id,omitempty"`
	Type        string         `json:"type"`
	Status      string         `json:"status,omitempty"`
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Priority    int            `json:"priority,omitempty"`
	System      bool           `json:"system"`
	Conditions  *apiPolicyCond `json:"conditions"`
	Created     string         `json:"created,omitempty"`
	LastUpdated string         `json:"lastUpdated,omitempty"`
	Links       map[string]any `json:"_links,omitempty"`
}

type apiPolicyCond struct {
	Clients *apiInclude `json:"clients"`
}

type apiInclude struct {
	Include []string `json:"include"`
	Exclude []string `json:"exclude,omitempty"`
}

// checkHead checks the fields policies and rules share.
func checkHead(typ, wantType, name, status string) fieldProblems {
	var p fieldProblems
	if typ != wantType {
		p.add("type", "must be %s (got %q)", wantType, typ)
	}
	if strings.TrimSpace(name) == "" {
		p.add("name", "The field cannot be left blank")
	}
	if status != "" && status != "ACTIVE" && status != "INACTIVE" {
		p.add("status", "must be ACTIVE or INACTIVE")
	}
	return p
}

// priorityAt is the priority Okta reports: the stored one, or the position when none was given.
func priorityAt(priority, index int) int {
	if priority == 0 {
		return index + 1
	}
	return priority
}

func (s *Server) policyJSON(base, asID string, p Policy, index int) apiPolicy {
	t := apiTime(s.mgmt.createdAt(p.ID))
	return apiPolicy{ID: p.ID, Type: "OAUTH_AUTHORIZATION_POLICY", Status: statusOf(p.Inactive), Name: p.Name, Priority: priorityAt(p.Priority, index),
		System: p.Name == "Default Policy", Conditions: &apiPolicyCond{Clients: &apiInclude{Include: nonNil(slices.Clone(p.Clients))}},
		Created: t, LastUpdated: t,
		Links: selfLink(base + "/api/v1/authorizationServers/" + asID + "/policies/" + p.ID)}
}

func (s *Server) apiListPolicies(w http.ResponseWriter, r *http.Request) {
	t, ok := s.lookup(w, r)
	if !ok {
		return
	}
	writeList(s, w, r, func(base string) (list []apiPolicy) {
		for i, p := range t.as.Policies {
			list = append(list, s.policyJSON(base, t.as.ID, p, i))
		}
		return list
	})
}

func (s *Server) apiCreatePolicy(w http.ResponseWriter, r *http.Request, in apiPolicy) {
	probs := checkHead(in.Type, "OAUTH_AUTHORIZATION_POLICY", in.Name, in.Status)
	if in.Conditions == nil || in.Conditions.Clients == nil || len(in.Conditions.Clients.Include) == 0 {
		probs.add("conditions.clients.include", "The field cannot be left blank (client ids or ALL_CLIENTS)")
	}
	p := Policy{ID: oktaID("00p"), Name: in.Name, Inactive: in.Status == "INACTIVE", Priority: in.Priority, Rules: []Rule{}}
	s.createIn(w, r, func(t target, base string) (string, any, fieldProblems) {
		if in.Conditions != nil && in.Conditions.Clients != nil {
			for _, c := range in.Conditions.Clients.Include {
				if _, ok := s.clients[c]; !ok && c != AllClients {
					probs.add("conditions.clients.include", "no app with client id %q", c)
				}
			}
			p.Clients = slices.Clone(in.Conditions.Clients.Include)
		}
		if len(probs) > 0 {
			return "", nil, probs
		}
		t.as.Policies = append(t.as.Policies, p)
		return p.ID, s.policyJSON(base, t.as.ID, p, len(t.as.Policies)-1), nil
	})
}

func (s *Server) apiGetPolicy(w http.ResponseWriter, r *http.Request) {
	if t, ok := s.lookup(w, r); ok {
		writeJSON(w, http.StatusOK, s.policyJSON(s.baseFor(r), t.as.ID, *t.policy(), t.pi))
	}
}

func (s *Server) apiDeletePolicy(w http.ResponseWriter, r *http.Request) {
	if s.change(w, r, func(t target) bool { t.as.Policies = slices.Delete(t.as.Policies, t.pi, t.pi+1); return true }) {
		w.WriteHeader(http.StatusNoContent)
	}
}

// ---- rules ----

type apiRule struct {
	ID          string         `json:"id,omitempty"`
	Type        string         `json:"type"`
	Status      string         `json:"status,omitempty"`
	Name        string         `json:"name"`
	Priority    int            `json:"priority,omitempty"`
	System      bool           `json:"system"`
	Conditions  *apiRuleCond   `json:"conditions"`
	Actions     *apiRuleAction `json:"actions,omitempty"`
	Created     string         `json:"created,omitempty"`
	LastUpdated string         `json:"lastUpdated,omitempty"`
	Links       map[string]any `json:"_links,omitempty"`
}

type apiRuleCond struct {
	People     *apiPeople  `json:"people,omitempty"`
	GrantTypes *apiInclude `json:"grantTypes"`
	Scopes     *apiInclude `json:"scopes"`
}

type apiPeople struct {
	Users  *apiInclude `json:"users,omitempty"`
	Groups *apiInclude `json:"groups,omitempty"`
}

type apiRuleAction struct {
	Token *apiTokenAction `json:"token,omitempty"`
}

type apiTokenAction struct {
	AccessTokenLifetimeMinutes  int `json:"accessTokenLifetimeMinutes"`
	RefreshTokenLifetimeMinutes int `json:"refreshTokenLifetimeMinutes"`
	RefreshTokenWindowMinutes   int `json:"refreshTokenWindowMinutes"`
}

func (s *Server) ruleJSON(base, asID, polID string, ru Rule, index int) apiRule {
	t := apiTime(s.mgmt.createdAt(ru.ID))
	users := make([]string, 0, len(ru.Users))
	for _, l := range ru.Users {
		if u, ok := s.users[strings.ToLower(l)]; ok {
			users = append(users, u.ID)
		}
	}
	groups := nonNil(slices.Clone(ru.Groups))
	if len(users) == 0 && len(groups) == 0 {
		groups = []string{"EVERYONE"}
	}
	grants := nonNil(slices.Clone(ru.GrantTypes))
	if len(grants) == 0 {
		grants = []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials}
	}
	scopes := nonNil(slices.Clone(ru.Scopes))
	if len(scopes) == 0 {
		scopes = []string{"*"}
	}
	life := int(ru.AccessTokenLifetime / time.Minute)
	if life == 0 {
		life = int(s.tokens.AccessToken / time.Minute)
	}
	return apiRule{ID: ru.ID, Type: "RESOURCE_ACCESS", Status: statusOf(ru.Inactive), Name: ru.Name, Priority: priorityAt(ru.Priority, index),
		System: ru.Name == "Default Policy Rule",
		Conditions: &apiRuleCond{People: &apiPeople{Users: &apiInclude{Include: users}, Groups: &apiInclude{Include: groups}},
			GrantTypes: &apiInclude{Include: grants}, Scopes: &apiInclude{Include: scopes}},
		Actions: &apiRuleAction{Token: &apiTokenAction{AccessTokenLifetimeMinutes: life, RefreshTokenLifetimeMinutes: 0,
			RefreshTokenWindowMinutes: int(s.tokens.RefreshToken / time.Minute)}},
		Created: t, LastUpdated: t,
		Links: selfLink(base + "/api/v1/authorizationServers/" + asID + "/policies/" + polID + "/rules/" + ru.ID)}
}

func (s *Server) apiListRules(w http.ResponseWriter, r *http.Request) {
	t, ok := s.lookup(w, r)
	if !ok {
		return
	}
	pol := t.policy()
	writeList(s, w, r, func(base string) (list []apiRule) {
		for j, ru := range pol.Rules {
			list = append(list, s.ruleJSON(base, t.as.ID, pol.ID, ru, j))
		}
		return list
	})
}

// ruleFromAPI checks a rule body (with the server lock held: it resolves user ids and scopes).
func (s *Server) ruleFromAPI(in apiRule, as *AuthServer) (Rule, fieldProblems) {
	p := checkHead(in.Type, "RESOURCE_ACCESS", in.Name, in.Status)
	ru := Rule{ID: oktaID("0pr"), Name: in.Name, Inactive: in.Status == "INACTIVE", Priority: in.Priority}
	if in.Conditions == nil || in.Conditions.GrantTypes == nil || len(in.Conditions.GrantTypes.Include) == 0 {
		p.add("conditions.grantTypes.include", "The field cannot be left blank")
	} else {
		for _, g := range in.Conditions.GrantTypes.Include {
			switch g {
			case GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials:
				ru.GrantTypes = append(ru.GrantTypes, g)
			case "implicit", "password", "interaction_code":
				p.add("conditions.grantTypes.include", "%s is valid in Okta but not supported by the emulator", g)
			default:
				p.add("conditions.grantTypes.include", "%q is not a grant type Okta knows", g)
			}
		}
	}
	if in.Conditions == nil || in.Conditions.Scopes == nil || len(in.Conditions.Scopes.Include) == 0 {
		p.add("conditions.scopes.include", "The field cannot be left blank (scope names or *)")
	} else {
		for _, sc := range in.Conditions.Scopes.Include {
			if sc != "*" && !scopeExists(as, sc) {
				p.add("conditions.scopes.include", "%q is not a scope of this authorization server", sc)
			}
		}
		ru.Scopes = slices.Clone(in.Conditions.Scopes.Include)
	}
	if in.Conditions != nil && in.Conditions.People != nil {
		if us := in.Conditions.People.Users; us != nil {
			for _, id := range us.Include {
				u, ok := s.byID[id]
				if !ok {
					p.add("conditions.people.users.include", "no user with id %q", id)
					continue
				}
				ru.Users = append(ru.Users, u.Login)
			}
		}
		if gs := in.Conditions.People.Groups; gs != nil {
			ru.Groups = slices.Clone(gs.Include)
		}
	}
	if in.Actions != nil && in.Actions.Token != nil {
		m := in.Actions.Token.AccessTokenLifetimeMinutes
		if m != 0 && (m < 5 || m > 1440) {
			p.add("actions.token.accessTokenLifetimeMinutes", "must be from 5 to 1440 (got %d)", m)
		}
		ru.AccessTokenLifetime = time.Duration(m) * time.Minute
	}
	return ru, p
}

func (s *Server) apiCreateRule(w http.ResponseWriter, r *http.Request, in apiRule) {
	s.createIn(w, r, func(t target, base string) (string, any, fieldProblems) {
		ru, probs := s.ruleFromAPI(in, t.as)
		if len(probs) > 0 {
			return "", nil, probs
		}
		pol := t.policy()
		pol.Rules = append(pol.Rules, ru)
		return ru.ID, s.ruleJSON(base, t.as.ID, pol.ID, ru, len(pol.Rules)-1), nil
	})
}

func (s *Server) apiGetRule(w http.ResponseWriter, r *http.Request) {
	t, ok := s.lookup(w, r)
	if !ok {
		return
	}
	base := s.baseFor(r)
	s.mu.RLock()
	out := s.ruleJSON(base, t.as.ID, t.policy().ID, *t.rule(), t.ri)
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiDeleteRule(w http.ResponseWriter, r *http.Request) {
	if s.change(w, r, func(t target) bool { p := t.policy(); p.Rules = slices.Delete(p.Rules, t.ri, t.ri+1); return true }) {
		w.WriteHeader(http.StatusNoContent)
	}
}
