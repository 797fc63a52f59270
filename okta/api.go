package okta

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// The request and response shapes below follow Okta's Management API (OpenAPI spec 2024.06.1,
// as shipped in okta-sdk-golang v5.0.2). They are declared here rather than shared with
// okta/emulator so the emulator's strictness checks this client's shapes independently.

// User is an Okta user, as the Management API returns it.
type User struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Profile struct {
		Login     string `json:"login"`
		Email     string `json:"email,omitempty"`
		FirstName string `json:"firstName,omitempty"`
		LastName  string `json:"lastName,omitempty"`
	} `json:"profile"`
}

// ErrUserNotFound is returned by FindUserByLogin when no user has that login.
var ErrUserNotFound = errors.New("no Okta user with that login")

// FindUserByLogin finds a user by exact login (search=profile.login eq "LOGIN"; Okta's search
// is case-insensitive, so the match is checked again here).
func (c *Client) FindUserByLogin(ctx context.Context, login string) (User, error) {
	q := url.Values{"search": {`profile.login eq "` + strings.ReplaceAll(login, `"`, `\"`) + `"`}}
	var found *User
	err := list(ctx, c, "/api/v1/users", q, func(page []User) bool {
		for i := range page {
			if strings.EqualFold(page[i].Profile.Login, login) {
				found = &page[i]
				return false
			}
		}
		return true
	})
	if err != nil {
		return User{}, err
	}
	if found == nil {
		return User{}, fmt.Errorf("%w: %q", ErrUserNotFound, login)
	}
	return *found, nil
}

// App is an OIDC application (signOnMode OPENID_CONNECT). For these Okta's app id is the
// client id.
type App struct {
	ID          string `json:"id,omitempty"`
	Name        string `json:"name"`
	Label       string `json:"label"`
	Status      string `json:"status,omitempty"`
	SignOnMode  string `json:"signOnMode"`
	Credentials struct {
		OAuthClient struct {
			ClientID                string `json:"client_id,omitempty"`
			ClientSecret            string `json:"client_secret,omitempty"`
			TokenEndpointAuthMethod string `json:"token_endpoint_auth_method"`
		} `json:"oauthClient"`
	} `json:"credentials"`
	Settings struct {
		OAuthClient OAuthSettings `json:"oauthClient"`
	} `json:"settings"`
}

// OAuthSettings are an OIDC app's settings.oauthClient.
type OAuthSettings struct {
	RedirectURIs           []string `json:"redirect_uris"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris,omitempty"`
	ResponseTypes          []string `json:"response_types"`
	GrantTypes             []string `json:"grant_types"`
	ApplicationType        string   `json:"application_type"`
	ConsentMethod          string   `json:"consent_method,omitempty"`
}

// Active reports whether the app's status is ACTIVE.
func (a App) Active() bool { return a.Status == "ACTIVE" }

// NewWebApp is the body of an OIDC web app: authorization code grant, client_secret_basic.
func NewWebApp(label string, redirectURIs, postLogoutURIs []string) App {
	var a App
	a.Name, a.Label, a.SignOnMode = "oidc_client", label, "OPENID_CONNECT"
	a.Credentials.OAuthClient.TokenEndpointAuthMethod = "client_secret_basic"
	a.Settings.OAuthClient = OAuthSettings{
		RedirectURIs: redirectURIs, PostLogoutRedirectURIs: postLogoutURIs,
		ResponseTypes: []string{"code"}, GrantTypes: []string{"authorization_code"},
		ApplicationType: "web", ConsentMethod: "TRUSTED",
	}
	return a
}

// CreateApp creates and activates an app; the answer carries its client secret.
func (c *Client) CreateApp(ctx context.Context, app App) (App, error) {
	var out App
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/api/v1/apps", query: url.Values{"activate": {"true"}}, body: app, out: &out})
	return out, err
}

// GetApp reads an app.
func (c *Client) GetApp(ctx context.Context, appID string) (App, error) {
	var out App
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/api/v1/apps/" + url.PathEscape(appID), out: &out})
	return out, err
}

// SetAppURIs replaces an app's sign-in and sign-out redirect URIs. Okta's PUT replaces the
// whole app, so the app is read as raw JSON and written back with only those fields changed:
// settings this client does not model survive.
func (c *Client) SetAppURIs(ctx context.Context, appID string, redirectURIs, postLogoutURIs []string) (App, error) {
	path := "/api/v1/apps/" + url.PathEscape(appID)
	var raw map[string]any
	if _, err := c.do(ctx, call{method: http.MethodGet, path: path, out: &raw}); err != nil {
		return App{}, err
	}
	settings, _ := raw["settings"].(map[string]any)
	oauth, _ := settings["oauthClient"].(map[string]any)
	if oauth == nil {
		return App{}, fmt.Errorf("okta: app %s is not an OpenID Connect app (no settings.oauthClient)", appID)
	}
	oauth["redirect_uris"] = redirectURIs
	oauth["post_logout_redirect_uris"] = postLogoutURIs
	delete(raw, "_links")
	delete(raw, "_embedded")
	var out App
	_, err := c.do(ctx, call{method: http.MethodPut, path: path, body: raw, out: &out})
	return out, err
}

// ActivateApp and DeactivateApp change an app's status; DeleteApp needs it inactive.
func (c *Client) ActivateApp(ctx context.Context, appID string) error {
	return c.post(ctx, "/api/v1/apps/"+url.PathEscape(appID)+"/lifecycle/activate")
}

func (c *Client) DeactivateApp(ctx context.Context, appID string) error {
	return c.post(ctx, "/api/v1/apps/"+url.PathEscape(appID)+"/lifecycle/deactivate")
}

func (c *Client) DeleteApp(ctx context.Context, appID string) error {
	_, err := c.do(ctx, call{method: http.MethodDelete, path: "/api/v1/apps/" + url.PathEscape(appID)})
	return err
}

func (c *Client) post(ctx context.Context, path string) error {
	_, err := c.do(ctx, call{method: http.MethodPost, path: path})
	return err
}

// AppUser is a user's assignment to an app: scope USER (direct) or GROUP.
type AppUser struct {
	ID     string `json:"id"`
	Scope  string `json:"scope"`
	Status string `json:"status"`
}

// AssignUser assigns a user to an app directly.
func (c *Client) AssignUser(ctx context.Context, appID, userID string) (AppUser, error) {
	var out AppUser
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/api/v1/apps/" + url.PathEscape(appID) + "/users",
		body: map[string]string{"id": userID, "scope": "USER"}, out: &out})
	return out, err
}

// GetAppUser reads a user's assignment to an app; ErrNotFound means not assigned.
func (c *Client) GetAppUser(ctx context.Context, appID, userID string) (AppUser, error) {
	var out AppUser
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/api/v1/apps/" + url.PathEscape(appID) + "/users/" + url.PathEscape(userID), out: &out})
	return out, err
}

// AuthServer is a custom authorization server.
type AuthServer struct {
	ID          string   `json:"id,omitempty"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Audiences   []string `json:"audiences"`
	Issuer      string   `json:"issuer,omitempty"`
	Status      string   `json:"status,omitempty"`
}

// CreateAuthServer creates a custom authorization server (active, with no access policy).
func (c *Client) CreateAuthServer(ctx context.Context, as AuthServer) (AuthServer, error) {
	var out AuthServer
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/api/v1/authorizationServers", body: as, out: &out})
	return out, err
}

func (c *Client) GetAuthServer(ctx context.Context, id string) (AuthServer, error) {
	var out AuthServer
	_, err := c.do(ctx, call{method: http.MethodGet, path: asPath(id), out: &out})
	return out, err
}

func (c *Client) DeactivateAuthServer(ctx context.Context, id string) error {
	return c.post(ctx, asPath(id)+"/lifecycle/deactivate")
}

func (c *Client) DeleteAuthServer(ctx context.Context, id string) error {
	_, err := c.do(ctx, call{method: http.MethodDelete, path: asPath(id)})
	return err
}

func asPath(id string) string { return "/api/v1/authorizationServers/" + url.PathEscape(id) }

// Include is an include/exclude condition.
type Include struct {
	Include []string `json:"include"`
	Exclude []string `json:"exclude,omitempty"`
}

// Policy is an access policy of a custom authorization server.
type Policy struct {
	ID          string `json:"id,omitempty"`
	Type        string `json:"type"`
	Status      string `json:"status,omitempty"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Priority    int    `json:"priority,omitempty"`
	Conditions  struct {
		Clients Include `json:"clients"`
	} `json:"conditions"`
}

// CreatePolicy creates an access policy; some orgs create it INACTIVE, so Setup checks.
func (c *Client) CreatePolicy(ctx context.Context, asID string, p Policy) (Policy, error) {
	var out Policy
	_, err := c.do(ctx, call{method: http.MethodPost, path: asPath(asID) + "/policies", body: p, out: &out})
	return out, err
}

func (c *Client) ListPolicies(ctx context.Context, asID string) ([]Policy, error) {
	var all []Policy
	err := list(ctx, c, asPath(asID)+"/policies", nil, func(p []Policy) bool { all = append(all, p...); return true })
	return all, err
}

func (c *Client) ActivatePolicy(ctx context.Context, asID, policyID string) error {
	return c.post(ctx, asPath(asID)+"/policies/"+url.PathEscape(policyID)+"/lifecycle/activate")
}

// Rule is an access policy rule.
type Rule struct {
	ID         string `json:"id,omitempty"`
	Type       string `json:"type"`
	Status     string `json:"status,omitempty"`
	Name       string `json:"name"`
	Priority   int    `json:"priority,omitempty"`
	Conditions struct {
		People struct {
			Users  *Include `json:"users,omitempty"`
			Groups *Include `json:"groups,omitempty"`
		} `json:"people"`
		GrantTypes Include `json:"grantTypes"`
		Scopes     Include `json:"scopes"`
	} `json:"conditions"`
	Actions struct {
		Token struct {
			AccessTokenLifetimeMinutes  int `json:"accessTokenLifetimeMinutes"`
			RefreshTokenLifetimeMinutes int `json:"refreshTokenLifetimeMinutes"`
			RefreshTokenWindowMinutes   int `json:"refreshTokenWindowMinutes"`
		} `json:"token"`
	} `json:"actions"`
}

func (c *Client) CreateRule(ctx context.Context, asID, policyID string, r Rule) (Rule, error) {
	var out Rule
	_, err := c.do(ctx, call{method: http.MethodPost, path: asPath(asID) + "/policies/" + url.PathEscape(policyID) + "/rules", body: r, out: &out})
	return out, err
}

func (c *Client) ListRules(ctx context.Context, asID, policyID string) ([]Rule, error) {
	var all []Rule
	err := list(ctx, c, asPath(asID)+"/policies/"+url.PathEscape(policyID)+"/rules", nil, func(r []Rule) bool { all = append(all, r...); return true })
	return all, err
}

func (c *Client) ActivateRule(ctx context.Context, asID, policyID, ruleID string) error {
	return c.post(ctx, asPath(asID)+"/policies/"+url.PathEscape(policyID)+"/rules/"+url.PathEscape(ruleID)+"/lifecycle/activate")
}
