package okta

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// SetupRequest says what Setup creates.
type SetupRequest struct {
	// UserLogin is the Okta username to assign to the app.
	UserLogin string
	// RedirectURIs are the app's sign-in redirect URIs (at least one).
	RedirectURIs []string
	// PostLogoutRedirectURIs are its sign-out redirect URIs; nil: each redirect URI's origin + "/".
	PostLogoutRedirectURIs []string
	// Name labels the app and names the authorization server (default "oidclab").
	Name string
	// Now is the clock for State.CreatedAt (default time.Now).
	Now func() time.Time
}

// SetupResult is what Setup created. The secret is kept out of State so that the state file
// can never leak it.
type SetupResult struct {
	State        State
	ClientSecret string
}

// SetupError is a setup that failed at Step. What it had created was rolled back; when that
// failed too, RollbackErr says why and Leftover lists what is still in the org.
type SetupError struct {
	Step        string
	Err         error
	RollbackErr error
	Leftover    State
}

func (e *SetupError) Error() string {
	msg := "okta setup: " + e.Step + ": " + e.Err.Error()
	if e.RollbackErr != nil {
		msg += "; rolling back what was created also failed (" + e.RollbackErr.Error() + ")"
	} else {
		msg += "; nothing was left in the org"
	}
	return msg
}
func (e *SetupError) Unwrap() error { return e.Err }

// DefaultName labels what setup creates.
const DefaultName = "oidclab"

// Validate reports every problem of the request at once.
func (r SetupRequest) Validate() error {
	var problems []string
	if strings.TrimSpace(r.UserLogin) == "" {
		problems = append(problems, "the user's login is required (--user)")
	}
	if len(r.RedirectURIs) == 0 {
		problems = append(problems, "at least one redirect URI is required (--redirect-uri)")
	}
	for _, u := range append(slices.Clone(r.RedirectURIs), r.PostLogoutRedirectURIs...) {
		if err := checkRedirect(u); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(problems, "; "))
}

// checkRedirect applies Okta's rule for web apps: absolute http(s) without a fragment; http
// only for loopback hosts, as Okta refuses it elsewhere for web apps.
func checkRedirect(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("redirect URI %q: want an absolute https URL", raw)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("redirect URI %q: must not have a fragment", raw)
	}
	if u.Scheme == "http" && !IsLoopbackHost(u.Hostname()) {
		return fmt.Errorf("redirect URI %q: Okta accepts http only for localhost; use https (the tunnel's URL)", raw)
	}
	return nil
}

// signOutURIs are the redirect URIs' origins with a trailing slash, deduplicated.
func signOutURIs(redirects []string) []string {
	var out []string
	for _, r := range redirects {
		if u, err := url.Parse(r); err == nil {
			o := u.Scheme + "://" + u.Host + "/"
			if !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	return out
}

// Setup creates what the tutorial needs in an org: an OIDC web app (authorization code,
// client_secret_basic, the redirect and sign-out URIs), the user's assignment to it, a custom
// authorization server, an access policy for the app and a rule allowing the authorization code
// grant for assigned users and any scope. A failure half-way rolls back what was created.
func Setup(ctx context.Context, c *Client, req SetupRequest) (_ SetupResult, err error) {
	if err := req.Validate(); err != nil {
		return SetupResult{}, err
	}
	name := req.Name
	if name == "" {
		name = DefaultName
	}
	now := time.Now
	if req.Now != nil {
		now = req.Now
	}
	logout := req.PostLogoutRedirectURIs
	if logout == nil {
		logout = signOutURIs(req.RedirectURIs)
	}
	st := State{Version: StateVersion, OrgURL: c.OrgURL(), Name: name, UserLogin: req.UserLogin,
		RedirectURIs: slices.Clone(req.RedirectURIs), PostLogoutRedirectURIs: logout, CreatedAt: now().UTC().Truncate(time.Second)}
	step := ""
	defer func() {
		if err == nil {
			return
		}
		se := &SetupError{Step: step, Err: err}
		if st.AppID != "" || st.AuthServerID != "" {
			// The caller's context may be what ended the setup: roll back on a fresh one.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if rerr := Cleanup(rctx, c, st); rerr != nil {
				se.RollbackErr, se.Leftover = rerr, st
			}
		}
		err = se
	}()

	// Look the user up first: a typo in --user then creates nothing.
	step = "finding user " + req.UserLogin
	user, err := c.FindUserByLogin(ctx, req.UserLogin)
	if err != nil {
		return SetupResult{}, err
	}
	st.UserID = user.ID

	step = "creating the app"
	app, err := c.CreateApp(ctx, NewWebApp(name, req.RedirectURIs, logout))
	if err != nil {
		return SetupResult{}, err
	}
	st.AppID, st.ClientID = app.ID, app.Credentials.OAuthClient.ClientID
	if st.ClientID == "" {
		st.ClientID = app.ID
	}
	secret := app.Credentials.OAuthClient.ClientSecret
	if secret == "" {
		return SetupResult{}, errors.New("Okta returned no client secret for the new app")
	}

	step = "assigning " + req.UserLogin + " to the app"
	if _, err := c.AssignUser(ctx, app.ID, user.ID); err != nil {
		return SetupResult{}, err
	}

	step = "creating the authorization server"
	as, err := c.CreateAuthServer(ctx, AuthServer{Name: name, Description: "Created by oidclab okta setup for app " + app.ID,
		Audiences: []string{"api://" + name}})
	if err != nil {
		return SetupResult{}, err
	}
	st.AuthServerID = as.ID
	if st.Issuer, err = NormalizeIssuer(as.Issuer); err != nil {
		return SetupResult{}, fmt.Errorf("the new server's issuer: %w", err)
	}

	step = "creating the access policy"
	var pol Policy
	pol.Type, pol.Status, pol.Name, pol.Priority = "OAUTH_AUTHORIZATION_POLICY", "ACTIVE", name, 1
	pol.Description = "Lets " + name + " (" + app.ID + ") use this server"
	pol.Conditions.Clients.Include = []string{st.ClientID}
	if pol, err = c.CreatePolicy(ctx, as.ID, pol); err != nil {
		return SetupResult{}, err
	}
	st.PolicyID = pol.ID
	if pol.Status != "ACTIVE" {
		// Some orgs create API-made policies inactive, and Okta skips an inactive policy silently.
		if err := c.ActivatePolicy(ctx, as.ID, pol.ID); err != nil {
			return SetupResult{}, err
		}
	}

	step = "creating the policy rule"
	rule := NewCodeRule(name)
	if rule, err = c.CreateRule(ctx, as.ID, pol.ID, rule); err != nil {
		return SetupResult{}, err
	}
	st.RuleID = rule.ID
	if rule.Status != "ACTIVE" {
		if err := c.ActivateRule(ctx, as.ID, pol.ID, rule.ID); err != nil {
			return SetupResult{}, err
		}
	}
	return SetupResult{State: st, ClientSecret: secret}, nil
}

// NewCodeRule is the rule Setup creates: the authorization code grant, any scope, for every
// user the app lets in (Okta's "Any user assigned the app" is the EVERYONE group here).
func NewCodeRule(name string) Rule {
	var r Rule
	r.Type, r.Status, r.Name, r.Priority = "RESOURCE_ACCESS", "ACTIVE", name+" authorization code", 1
	r.Conditions.People.Groups = &Include{Include: []string{"EVERYONE"}}
	r.Conditions.GrantTypes = Include{Include: []string{"authorization_code"}}
	r.Conditions.Scopes = Include{Include: []string{"*"}}
	r.Actions.Token.AccessTokenLifetimeMinutes = 60
	r.Actions.Token.RefreshTokenWindowMinutes = 10080
	return r
}

// Sync replaces the app's sign-in redirect URIs (and sign-out URIs: nil derives them) and
// returns the updated state.
func Sync(ctx context.Context, c *Client, st State, redirectURIs, postLogoutURIs []string) (State, error) {
	if st.AppID == "" {
		return st, errors.New("the state names no app: run `oidclab okta setup` first")
	}
	r := SetupRequest{UserLogin: "-", RedirectURIs: redirectURIs, PostLogoutRedirectURIs: postLogoutURIs}
	if err := r.Validate(); err != nil {
		return st, err
	}
	if postLogoutURIs == nil {
		postLogoutURIs = signOutURIs(redirectURIs)
	}
	app, err := c.SetAppURIs(ctx, st.AppID, redirectURIs, postLogoutURIs)
	if err != nil {
		return st, err
	}
	st.RedirectURIs = app.Settings.OAuthClient.RedirectURIs
	st.PostLogoutRedirectURIs = app.Settings.OAuthClient.PostLogoutRedirectURIs
	return st, nil
}

// Cleanup deactivates and deletes what the state names (the app, then the authorization
// server with its policy and rule). What is already gone is not an error.
func Cleanup(ctx context.Context, c *Client, st State) error {
	var errs []error
	gone := func(err error) bool { return err == nil || errors.Is(err, ErrNotFound) }
	if st.AppID != "" {
		if err := c.DeactivateApp(ctx, st.AppID); !gone(err) {
			errs = append(errs, fmt.Errorf("deactivating app %s: %w", st.AppID, err))
		} else if err := c.DeleteApp(ctx, st.AppID); !gone(err) {
			errs = append(errs, fmt.Errorf("deleting app %s: %w", st.AppID, err))
		}
	}
	if st.AuthServerID != "" {
		if err := c.DeactivateAuthServer(ctx, st.AuthServerID); !gone(err) {
			errs = append(errs, fmt.Errorf("deactivating authorization server %s: %w", st.AuthServerID, err))
		} else if err := c.DeleteAuthServer(ctx, st.AuthServerID); !gone(err) {
			errs = append(errs, fmt.Errorf("deleting authorization server %s: %w", st.AuthServerID, err))
		}
	}
	return errors.Join(errs...)
}
