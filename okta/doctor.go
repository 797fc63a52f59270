package okta

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Check is one of Doctor's findings: what was checked, whether it passed, what was seen, and
// (when it failed) what to do.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// DoctorRequest says what to check: a state file's contents, or for a setup made by hand
// Issuer and ClientID (AppID defaults to ClientID: they are the same for Okta's OIDC apps),
// and optionally UserLogin and RedirectURIs.
type DoctorRequest struct {
	State State
	// Scopes the login asks for (default openid, profile, email: the tutorial's).
	Scopes []string
	// HTTPClient fetches the discovery document (nil: a 10-second one).
	HTTPClient *http.Client
}

// Names of Doctor's checks.
const (
	CheckAPI         = "api token"
	CheckApp         = "app"
	CheckAppActive   = "app active"
	CheckGrant       = "grant type"
	CheckRedirectURI = "redirect uri"
	CheckAssignment  = "user assigned"
	CheckAuthServer  = "authorization server"
	CheckPolicy      = "access policy"
	CheckRule        = "policy rule"
	CheckDiscovery   = "discovery"
)

// Doctor checks that a login through the app can work, in the order Okta evaluates one, and
// says how to fix each failure. Checks that depend on a failed one are not run.
func Doctor(ctx context.Context, c *Client, req DoctorRequest) []Check {
	st := req.State
	if st.AppID == "" {
		st.AppID = st.ClientID
	}
	if st.ClientID == "" {
		st.ClientID = st.AppID
	}
	scopes := req.Scopes
	if len(scopes) == 0 {
		scopes = []string{"openid", "profile", "email"}
	}
	var out []Check
	pass := func(name, detail string) { out = append(out, Check{Name: name, OK: true, Detail: detail}) }
	fail := func(name, detail, fix string) { out = append(out, Check{Name: name, Detail: detail, Fix: fix}) }
	apiFail := func(name string, err error, fix string) {
		if f := FixFor(err); f != "" && (errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrUnreachable) || errors.Is(err, ErrRateLimited) || errors.Is(err, ErrForbidden)) {
			fix = f
		}
		fail(name, err.Error(), fix)
	}

	// The app.
	app, err := c.GetApp(ctx, st.AppID)
	switch {
	case errors.Is(err, ErrUnauthorized), errors.Is(err, ErrUnreachable):
		apiFail(CheckAPI, err, "")
		return out
	case errors.Is(err, ErrNotFound):
		pass(CheckAPI, "the token is accepted by "+c.OrgURL())
		fail(CheckApp, "no app "+st.AppID+" in "+c.OrgURL(), "Check the client id (for an OIDC app it is the app id), or run `oidclab okta setup` to create one.")
		return out
	case err != nil:
		apiFail(CheckApp, err, "")
		return out
	}
	pass(CheckAPI, "the token is accepted by "+c.OrgURL())
	pass(CheckApp, fmt.Sprintf("%q (%s), client id %s", app.Label, app.ID, st.ClientID))
	if app.Active() {
		pass(CheckAppActive, "status ACTIVE")
	} else {
		fail(CheckAppActive, "status "+app.Status+": Okta answers every login with \"Invalid value for 'client_id' parameter.\"",
			"Activate the app: "+pathApp+" → Activate (or POST /api/v1/apps/"+app.ID+"/lifecycle/activate).")
	}
	oc := app.Settings.OAuthClient
	if slices.Contains(oc.GrantTypes, "authorization_code") && slices.Contains(oc.ResponseTypes, "code") {
		pass(CheckGrant, "authorization_code, response type code")
	} else {
		fail(CheckGrant, fmt.Sprintf("grant types %v, response types %v", oc.GrantTypes, oc.ResponseTypes),
			"Enable Authorization Code: "+pathApp+" → General → General Settings → Grant type.")
	}
	var missing []string
	for _, u := range st.RedirectURIs {
		if !slices.Contains(oc.RedirectURIs, u) {
			missing = append(missing, u)
		}
	}
	switch {
	case len(st.RedirectURIs) == 0:
	case len(missing) > 0:
		fail(CheckRedirectURI, fmt.Sprintf("not registered exactly: %s (registered: %s)", strings.Join(missing, ", "), strings.Join(oc.RedirectURIs, ", ")),
			"Run `oidclab okta sync --redirect-uri "+missing[0]+"`, or add it in "+pathApp+" → General → LOGIN → Sign-in redirect URIs.")
	default:
		pass(CheckRedirectURI, strings.Join(st.RedirectURIs, ", ")+" registered")
	}

	// The user's assignment.
	if st.UserLogin != "" {
		userID := st.UserID
		u, err := c.FindUserByLogin(ctx, st.UserLogin)
		switch {
		case err != nil:
			apiFail(CheckAssignment, err, FixFor(err))
		default:
			userID = u.ID
			au, err := c.GetAppUser(ctx, app.ID, userID)
			switch {
			case errors.Is(err, ErrNotFound):
				fail(CheckAssignment, st.UserLogin+" is not assigned: Okta answers \"User is not assigned to the client application.\"",
					"Assign the user: "+pathApp+" → Assignments → Assign → Assign to People.")
			case err != nil:
				apiFail(CheckAssignment, err, "")
			default:
				pass(CheckAssignment, fmt.Sprintf("%s assigned (%s)", st.UserLogin, strings.ToLower(au.Scope)))
			}
		}
	}

	// The authorization server, its policy and rule.
	issuer := st.Issuer
	kind, asID := ClassifyIssuer(issuer)
	if st.AuthServerID != "" {
		kind, asID = CustomServer, st.AuthServerID
	}
	switch kind {
	case OrgServer:
		pass(CheckAuthServer, "org authorization server ("+issuer+"): no access policies apply. "+OrgServer.Consequences())
	case UnknownServer:
		if issuer != "" {
			fail(CheckAuthServer, "the issuer "+issuer+" is not an Okta issuer", UnknownServer.Consequences())
		}
	case CustomServer:
		out = append(out, checkServer(ctx, c, asID, issuer, st.ClientID, st.UserID, scopes)...)
	}

	// Discovery: what the gateway fetches first.
	if issuer != "" && kind != UnknownServer {
		if d, err := Discover(ctx, req.HTTPClient, issuer); err != nil {
			fail(CheckDiscovery, err.Error(), "Check the issuer: "+pathAuthServers+" → (your server) → Issuer URI; the server must be active.")
		} else {
			pass(CheckDiscovery, "issuer "+d.Issuer+", authorize "+d.AuthorizationEndpoint)
		}
	}
	return out
}

func checkServer(ctx context.Context, c *Client, asID, issuer, clientID, userID string, scopes []string) []Check {
	var out []Check
	pass := func(name, detail string) { out = append(out, Check{Name: name, OK: true, Detail: detail}) }
	fail := func(name, detail, fix string) { out = append(out, Check{Name: name, Detail: detail, Fix: fix}) }
	as, err := c.GetAuthServer(ctx, asID)
	switch {
	case errors.Is(err, ErrNotFound):
		fail(CheckAuthServer, "no authorization server "+asID, "Check the issuer ("+pathAuthServers+" lists each server's Issuer URI), or run `oidclab okta setup`.")
		return out
	case err != nil:
		fail(CheckAuthServer, err.Error(), FixFor(err))
		return out
	case as.Status != "ACTIVE":
		fail(CheckAuthServer, fmt.Sprintf("%s (%s) is %s: its discovery and login endpoints answer 404", as.Name, as.ID, as.Status),
			"Activate it: "+pathAuthServers+" → (the server) → Activate.")
		return out
	case issuer != "" && strings.TrimRight(as.Issuer, "/") != issuer:
		fail(CheckAuthServer, fmt.Sprintf("its issuer is %s, not %s", as.Issuer, issuer), "Set the gateway's issuer (DECK_ISSUER_URL) to "+as.Issuer+".")
		return out
	}
	pass(CheckAuthServer, fmt.Sprintf("%s (%s), issuer %s", as.Name, as.ID, as.Issuer))

	policies, err := c.ListPolicies(ctx, as.ID)
	if err != nil {
		fail(CheckPolicy, err.Error(), FixFor(err))
		return out
	}
	var covering []Policy
	for _, p := range policies {
		if p.Status == "ACTIVE" && (slices.Contains(p.Conditions.Clients.Include, clientID) || slices.Contains(p.Conditions.Clients.Include, "ALL_CLIENTS")) {
			covering = append(covering, p)
		}
	}
	if len(covering) == 0 {
		fail(CheckPolicy, fmt.Sprintf("no active access policy of %s covers client %s (%d policies): Okta answers \"Policy evaluation failed for this request, please check the policy configurations.\"", as.Name, clientID, len(policies)),
			"Add one: "+pathAuthServers+" → "+as.Name+" → Access Policies → Add New Access Policy, assigned to this app (or All clients).")
		return out
	}
	names := make([]string, len(covering))
	for i, p := range covering {
		names[i] = p.Name
	}
	pass(CheckPolicy, "covered by "+strings.Join(names, ", "))

	for _, p := range covering {
		rules, err := c.ListRules(ctx, as.ID, p.ID)
		if err != nil {
			fail(CheckRule, err.Error(), FixFor(err))
			return out
		}
		for _, r := range rules {
			if ruleAllows(r, userID, scopes) {
				pass(CheckRule, fmt.Sprintf("%q in policy %q allows authorization_code for %s", r.Name, p.Name, strings.Join(scopes, " ")))
				return out
			}
		}
	}
	fail(CheckRule, fmt.Sprintf("no active rule in %s allows the authorization_code grant with scopes %s for the user: Okta answers \"Policy evaluation failed for this request, please check the policy configurations.\"", strings.Join(names, ", "), strings.Join(scopes, " ")),
		"Add a rule: "+pathAuthServers+" → "+as.Name+" → Access Policies → "+names[0]+" → Add Rule: grant type Authorization Code, any user assigned the app, any scopes.")
	return out
}

func ruleAllows(r Rule, userID string, scopes []string) bool {
	if r.Status != "ACTIVE" || !slices.Contains(r.Conditions.GrantTypes.Include, "authorization_code") {
		return false
	}
	if !slices.Contains(r.Conditions.Scopes.Include, "*") {
		for _, s := range scopes {
			if !slices.Contains(r.Conditions.Scopes.Include, s) {
				return false
			}
		}
	}
	p := r.Conditions.People
	if p.Groups != nil && len(p.Groups.Include) > 0 {
		// Group membership is not checked here: any group rule may let the user in.
		return true
	}
	if p.Users != nil && len(p.Users.Include) > 0 {
		return userID == "" || slices.Contains(p.Users.Include, userID)
	}
	return true
}

// Failed reports whether any check failed.
func Failed(checks []Check) bool {
	return slices.ContainsFunc(checks, func(c Check) bool { return !c.OK })
}
