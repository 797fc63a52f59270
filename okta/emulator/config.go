package emulator

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Config describes an Okta org as the emulator serves it: people, applications (clients) and
// custom authorization servers. The zero value of every optional field means Okta's default.
type Config struct {
	Users       []User       `yaml:"users" json:"users"`
	Clients     []Client     `yaml:"clients" json:"clients"`
	AuthServers []AuthServer `yaml:"authorization_servers" json:"authorization_servers"`
	// Tokens holds org-wide token lifetimes; a policy rule may override the access token's.
	Tokens Lifetimes `yaml:"tokens" json:"tokens"`
	// TrustedOrigins may call the JSON endpoints from a browser (CORS), like Okta's Trusted
	// Origins. The origins of spa clients' redirect URIs are trusted too, as Okta's SPA app
	// wizard does.
	TrustedOrigins []string `yaml:"trusted_origins" json:"trusted_origins,omitempty"`
	// APIToken is the Management API's SSWS token (Okta: Security → API → Tokens); empty
	// generates one, which Server.APIToken returns.
	APIToken string `yaml:"api_token" json:"-"`
}

// User is an Okta user. Login is what the user types; ID ("00u…") is the ID token's sub.
type User struct {
	ID       string   `yaml:"id" json:"id"`
	Login    string   `yaml:"login" json:"login"`
	Password string   `yaml:"password" json:"-"`
	Profile  Profile  `yaml:"profile" json:"profile"`
	Groups   []string `yaml:"groups" json:"groups"`
}

// Profile holds the standard claims released by the profile, email and phone scopes.
type Profile struct {
	Name              string `yaml:"name" json:"name,omitempty"`
	GivenName         string `yaml:"given_name" json:"given_name,omitempty"`
	FamilyName        string `yaml:"family_name" json:"family_name,omitempty"`
	Nickname          string `yaml:"nickname" json:"nickname,omitempty"`
	Email             string `yaml:"email" json:"email,omitempty"`
	EmailVerified     *bool  `yaml:"email_verified" json:"email_verified,omitempty"`
	Locale            string `yaml:"locale" json:"locale,omitempty"`
	Zoneinfo          string `yaml:"zoneinfo" json:"zoneinfo,omitempty"`
	PhoneNumber       string `yaml:"phone_number" json:"phone_number,omitempty"`
	PreferredUsername string `yaml:"preferred_username" json:"preferred_username,omitempty"`
}

// Client types, as Okta's application_type: web apps are confidential; spa ("browser") and
// native apps are public and must use PKCE; service apps only do client_credentials.
const (
	ClientWeb     = "web"
	ClientSPA     = "spa"
	ClientNative  = "native"
	ClientService = "service"
)

// Grant types the emulator implements.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
)

// Client is an Okta OIDC application.
type Client struct {
	ID                     string   `yaml:"id" json:"id"`
	Secret                 string   `yaml:"secret" json:"-"`
	Name                   string   `yaml:"name" json:"name,omitempty"`
	Type                   string   `yaml:"type" json:"type"`
	RedirectURIs           []string `yaml:"redirect_uris" json:"redirect_uris"`
	PostLogoutRedirectURIs []string `yaml:"post_logout_redirect_uris" json:"post_logout_redirect_uris,omitempty"`
	// GrantTypes defaults by type: web [authorization_code, refresh_token], spa/native
	// [authorization_code], service [client_credentials].
	GrantTypes []string `yaml:"grant_types" json:"grant_types"`
	// Okta refuses users who are not assigned to the app. AssignAll stands for assigning the
	// Everyone group; AssignedUsers holds logins, AssignedGroups group names.
	AssignAll      bool     `yaml:"assign_all" json:"assign_all"`
	AssignedUsers  []string `yaml:"assigned_users" json:"assigned_users,omitempty"`
	AssignedGroups []string `yaml:"assigned_groups" json:"assigned_groups,omitempty"`
	PKCERequired   bool     `yaml:"pkce_required" json:"pkce_required"`
	// StaticRefreshToken keeps the same refresh token across refreshes (Okta's STATIC rotation);
	// by default every refresh rotates it.
	StaticRefreshToken bool `yaml:"static_refresh_token" json:"static_refresh_token,omitempty"`
	// RefreshTokenLeeway is how long a rotated-out refresh token still works, for a client
	// that lost the answer and retries (Okta's rotation leeway: 0 to 60 s, default 30 s). Used
	// later than that, it is taken as stolen and the whole login's tokens are revoked.
	RefreshTokenLeeway *time.Duration `yaml:"refresh_token_leeway" json:"refresh_token_leeway,omitempty"`
	// Inactive is a deactivated app: Okta treats its client_id as unknown until reactivated.
	Inactive bool `yaml:"inactive" json:"inactive,omitempty"`
}

// defaultRefreshTokenLeeway is Okta's default rotation leeway.
const defaultRefreshTokenLeeway = 30 * time.Second

// refreshLeeway is the client's rotation leeway, Okta's default when unset.
func (c Client) refreshLeeway() time.Duration {
	if c.RefreshTokenLeeway == nil {
		return defaultRefreshTokenLeeway
	}
	return *c.RefreshTokenLeeway
}

// Public reports whether the client authenticates with "none" (spa, native).
func (c Client) Public() bool { return c.Type == ClientSPA || c.Type == ClientNative }

// AuthServer is an Okta custom authorization server.
type AuthServer struct {
	ID        string   `yaml:"id" json:"id"`
	Name      string   `yaml:"name" json:"name,omitempty"`
	Audiences []string `yaml:"audiences" json:"audiences"`
	// Scopes are the custom scopes (the OIDC scopes always exist).
	Scopes []Scope `yaml:"scopes" json:"scopes,omitempty"`
	// Policies are its access policies. For the server with id "default", nil means Okta's
	// shipped "Default Policy" (all clients, all grants, all scopes, everyone); for any other
	// server nil means none, so every request fails policy evaluation, as on a new Okta server.
	Policies []Policy `yaml:"policies" json:"policies,omitempty"`
	// Inactive is a deactivated server: its endpoints answer 404 until reactivated.
	Inactive    bool   `yaml:"inactive" json:"inactive,omitempty"`
	Description string `yaml:"description" json:"description,omitempty"`
}

// Scope is a custom scope. The scope "groups" releases the user's groups claim.
type Scope struct {
	Name    string `yaml:"name" json:"name"`
	Default bool   `yaml:"default" json:"default,omitempty"`
	// Publish lists it in the discovery documents (Okta's metadataPublish ALL_CLIENTS); Okta's
	// default, NO_CLIENTS, keeps it out.
	Publish bool `yaml:"publish" json:"publish,omitempty"`
}

// Policy is an access policy: which clients it covers, and its rules.
type Policy struct {
	// ID ("00p…") is what the Management API names it by; empty gets a fresh one.
	ID       string   `yaml:"id" json:"id,omitempty"`
	Name     string   `yaml:"name" json:"name"`
	Inactive bool     `yaml:"inactive" json:"inactive,omitempty"`
	Priority int      `yaml:"priority" json:"priority,omitempty"`
	Clients  []string `yaml:"clients" json:"clients"` // client ids or ALL_CLIENTS
	Rules    []Rule   `yaml:"rules" json:"rules"`
}

// Rule is an access policy rule. Empty GrantTypes, Scopes, Users and Groups match anything.
type Rule struct {
	// ID ("0pr…") is what the Management API names it by; empty gets a fresh one.
	ID         string   `yaml:"id" json:"id,omitempty"`
	Name       string   `yaml:"name" json:"name"`
	Inactive   bool     `yaml:"inactive" json:"inactive,omitempty"`
	Priority   int      `yaml:"priority" json:"priority,omitempty"`
	GrantTypes []string `yaml:"grant_types" json:"grant_types,omitempty"`
	Scopes     []string `yaml:"scopes" json:"scopes,omitempty"` // "*" = any
	Users      []string `yaml:"users" json:"users,omitempty"`   // logins
	Groups     []string `yaml:"groups" json:"groups,omitempty"` // "EVERYONE" = all
	// AccessTokenLifetime overrides Config.Tokens.AccessToken (Okta: 5 minutes to 1 day).
	AccessTokenLifetime time.Duration `yaml:"access_token_lifetime" json:"access_token_lifetime,omitempty"`
}

// Lifetimes are token and session lifetimes; zero means Okta's default.
type Lifetimes struct {
	AccessToken  time.Duration `yaml:"access_token" json:"access_token,omitempty"`   // 1h
	IDToken      time.Duration `yaml:"id_token" json:"id_token,omitempty"`           // 1h
	RefreshToken time.Duration `yaml:"refresh_token" json:"refresh_token,omitempty"` // 7 days idle window
	Session      time.Duration `yaml:"session" json:"session,omitempty"`             // 2h
}

const (
	defaultAccessTokenLifetime  = time.Hour
	defaultIDTokenLifetime      = time.Hour
	defaultRefreshTokenLifetime = 7 * 24 * time.Hour
	defaultSessionLifetime      = 2 * time.Hour
	codeLifetime                = 60 * time.Second // fixed by Okta
	loginTxLifetime             = 10 * time.Minute
)

// DefaultAuthServerID is the built-in custom authorization server of every Okta org.
const DefaultAuthServerID = "default"

// Demo values served when nothing is configured: the tutorial's client and a demo user.
const (
	DemoClientID     = "0oaoidclabtutorial01"
	DemoUserLogin    = "demo@example.com"
	DemoUserPassword = "oidclab-demo"
)

// TutorialRedirectURIs are the tutorial's callback URLs on the local gateway.
var TutorialRedirectURIs = []string{"http://127.0.0.1:8000/anything", "http://localhost:8000/anything"}

// Default returns the configuration served with no file: the tutorial's web client (fixed id,
// a freshly generated secret, the tutorial's redirect URIs, every user assigned), a demo user,
// and the "default" authorization server with Okta's default policy.
func Default() Config {
	verified := true
	return Config{
		Users: []User{{
			Login:    DemoUserLogin,
			Password: DemoUserPassword,
			Profile: Profile{
				Name: "Demo User", GivenName: "Demo", FamilyName: "User",
				Email: DemoUserLogin, EmailVerified: &verified, Locale: "en-US", Zoneinfo: "America/Los_Angeles",
			},
			Groups: []string{"Everyone", "oidclab-demo"},
		}},
		Clients: []Client{{
			ID:                     DemoClientID,
			Secret:                 randomToken(30),
			Name:                   "Tutorial App",
			Type:                   ClientWeb,
			RedirectURIs:           slices.Clone(TutorialRedirectURIs),
			PostLogoutRedirectURIs: []string{"http://127.0.0.1:8000/", "http://localhost:8000/"},
			GrantTypes:             []string{GrantAuthorizationCode, GrantRefreshToken},
			AssignAll:              true,
		}},
		AuthServers: []AuthServer{{ID: DefaultAuthServerID, Name: "default", Audiences: []string{"api://default"}}},
	}
}

// ValidationError lists every problem found in a Config, each prefixed by its field path.
type ValidationError struct{ Problems []string }

func (e *ValidationError) Error() string {
	return "invalid emulator configuration:\n  " + strings.Join(e.Problems, "\n  ")
}

// ErrInvalidConfig is matched by every *ValidationError (errors.Is).
var ErrInvalidConfig = errors.New("invalid emulator configuration")

func (e *ValidationError) Is(target error) bool { return target == ErrInvalidConfig }

// Size limits keep a config (or runtime AddClient/AddUser) from making every request slow.
const (
	maxIDLen      = 256
	maxSecretLen  = 512
	maxURILen     = 2048
	maxListLen    = 1000
	maxPasswordLn = 256
)

// Validate reports every problem at once, each with its field path.
func (c Config) Validate() error {
	var p problems
	logins := map[string]int{}
	ids := map[string]int{}
	for i, u := range c.Users {
		p.user(fmt.Sprintf("users[%d]", i), u)
		key := strings.ToLower(u.Login)
		if j, dup := logins[key]; dup && u.Login != "" {
			p.add("users[%d].login: %q already used by users[%d]", i, u.Login, j)
		}
		logins[key] = i
		if u.ID != "" {
			if j, dup := ids[u.ID]; dup {
				p.add("users[%d].id: %q already used by users[%d]", i, u.ID, j)
			}
			ids[u.ID] = i
		}
	}
	clients := map[string]int{}
	for i, cl := range c.Clients {
		p.client(fmt.Sprintf("clients[%d]", i), cl, logins)
		if j, dup := clients[cl.ID]; dup && cl.ID != "" {
			p.add("clients[%d].id: %q already used by clients[%d]", i, cl.ID, j)
		}
		clients[cl.ID] = i
	}
	for i, o := range c.TrustedOrigins {
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			p.add("trusted_origins[%d]: %q must be an origin like https://app.example.com", i, o)
		}
	}
	servers := map[string]int{}
	for i, as := range c.AuthServers {
		p.authServer(fmt.Sprintf("authorization_servers[%d]", i), as, clients, logins)
		if j, dup := servers[as.ID]; dup && as.ID != "" {
			p.add("authorization_servers[%d].id: %q already used by authorization_servers[%d]", i, as.ID, j)
		}
		servers[as.ID] = i
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{
		{"tokens.access_token", c.Tokens.AccessToken}, {"tokens.id_token", c.Tokens.IDToken},
		{"tokens.refresh_token", c.Tokens.RefreshToken}, {"tokens.session", c.Tokens.Session},
	} {
		if d.d < 0 {
			p.add("%s: must not be negative", d.name)
		}
	}
	if len(c.APIToken) > maxSecretLen || !printableNoSpace(c.APIToken) {
		p.add("api_token: at most %d printable characters without spaces", maxSecretLen)
	}
	if c.Tokens.AccessToken != 0 && (c.Tokens.AccessToken < 5*time.Minute || c.Tokens.AccessToken > 24*time.Hour) {
		p.add("tokens.access_token: Okta allows 5m to 24h, got %s", c.Tokens.AccessToken)
	}
	return p.err()
}

type problems struct{ list []string }

func (p *problems) add(format string, args ...any) {
	p.list = append(p.list, fmt.Sprintf(format, args...))
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &ValidationError{Problems: p.list}
}

func (p *problems) user(path string, u User) {
	switch {
	case u.Login == "":
		p.add("%s.login: required", path)
	case len(u.Login) > maxIDLen || strings.ContainsAny(u.Login, " \t\r\n:"):
		p.add("%s.login: %q must be at most %d characters without spaces or ':'", path, u.Login, maxIDLen)
	}
	if u.Password == "" {
		p.add("%s.password: required", path)
	} else if len(u.Password) > maxPasswordLn {
		p.add("%s.password: at most %d characters", path, maxPasswordLn)
	}
	if u.ID != "" && !validOktaID(u.ID, "00u") {
		p.add("%s.id: %q must look like an Okta user id (00u followed by 17 letters or digits)", path, u.ID)
	}
	if len(u.Groups) > maxListLen {
		p.add("%s.groups: at most %d", path, maxListLen)
	}
}

func (p *problems) client(path string, c Client, logins map[string]int) {
	if c.ID == "" {
		p.add("%s.id: required", path)
	} else if len(c.ID) > maxIDLen || !printableNoSpace(c.ID) {
		p.add("%s.id: %q must be at most %d printable characters without spaces", path, c.ID, maxIDLen)
	}
	switch c.Type {
	case ClientWeb, ClientService:
		if c.Secret == "" {
			p.add("%s.secret: required for a %s client", path, c.Type)
		}
	case ClientSPA, ClientNative:
		if c.Secret != "" {
			p.add("%s.secret: a %s client is public and has no secret", path, c.Type)
		}
	case "":
		p.add("%s.type: required (web, spa, native or service)", path)
	default:
		p.add("%s.type: %q is not one of web, spa, native, service", path, c.Type)
	}
	if l := c.RefreshTokenLeeway; l != nil && (*l < 0 || *l > time.Minute) {
		p.add("%s.refresh_token_leeway: Okta allows 0s to 60s, got %s", path, *l)
	}
	if len(c.Secret) > maxSecretLen {
		p.add("%s.secret: at most %d characters", path, maxSecretLen)
	}
	for i, g := range c.GrantTypes {
		switch g {
		case GrantAuthorizationCode, GrantRefreshToken:
			if c.Type == ClientService {
				p.add("%s.grant_types[%d]: a service client only uses client_credentials", path, i)
			}
		case GrantClientCredentials:
			if c.Public() {
				p.add("%s.grant_types[%d]: a public client cannot use client_credentials", path, i)
			}
		default:
			p.add("%s.grant_types[%d]: %q is not one of authorization_code, refresh_token, client_credentials", path, i, g)
		}
	}
	needsRedirect := c.Type != ClientService && (len(c.GrantTypes) == 0 || slices.Contains(c.GrantTypes, GrantAuthorizationCode))
	if needsRedirect && len(c.RedirectURIs) == 0 {
		p.add("%s.redirect_uris: at least one is required for the authorization code flow", path)
	}
	for i, u := range c.RedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			p.add("%s.redirect_uris[%d]: %v", path, i, err)
		}
	}
	for i, u := range c.PostLogoutRedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			p.add("%s.post_logout_redirect_uris[%d]: %v", path, i, err)
		}
	}
	for i, l := range c.AssignedUsers {
		if _, ok := logins[strings.ToLower(l)]; !ok && logins != nil {
			p.add("%s.assigned_users[%d]: no user with login %q", path, i, l)
		}
	}
	if len(c.RedirectURIs)+len(c.PostLogoutRedirectURIs)+len(c.AssignedUsers)+len(c.AssignedGroups) > 4*maxListLen {
		p.add("%s: too many entries", path)
	}
}

// checkRedirectURI applies Okta's rule: an absolute URI without a fragment. Okta also accepts
// custom schemes for native apps, so only http(s) hosts are checked.
func checkRedirectURI(raw string) error {
	if len(raw) > maxURILen {
		return fmt.Errorf("longer than %d characters", maxURILen)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || !u.IsAbs() {
		return fmt.Errorf("%q is not an absolute URI", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "javascript", "data", "vbscript", "file", "blob":
		return fmt.Errorf("%q: the %s scheme cannot be a redirect URI", raw, u.Scheme)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("%q must not contain a fragment", raw)
	}
	if (u.Scheme == "http" || u.Scheme == "https") && u.Host == "" {
		return fmt.Errorf("%q has no host", raw)
	}
	return nil
}

func (p *problems) authServer(path string, as AuthServer, clients, logins map[string]int) {
	if as.ID == "" {
		p.add("%s.id: required", path)
	} else if len(as.ID) > maxIDLen || strings.ContainsAny(as.ID, "/?#% \t") {
		p.add("%s.id: %q must be a path segment (no '/', '?', '#', '%%' or spaces)", path, as.ID)
	}
	if len(as.Audiences) == 0 {
		p.add("%s.audiences: at least one is required (Okta's default server uses api://default)", path)
	}
	seen := map[string]bool{}
	for i, s := range as.Scopes {
		switch {
		case s.Name == "" || strings.ContainsAny(s.Name, " \t\"\\"):
			p.add("%s.scopes[%d].name: %q must be a non-empty scope token", path, i, s.Name)
		case oidcScopes[s.Name]:
			p.add("%s.scopes[%d].name: %q is a built-in OIDC scope", path, i, s.Name)
		case seen[s.Name]:
			p.add("%s.scopes[%d].name: %q defined twice", path, i, s.Name)
		}
		seen[s.Name] = true
	}
	for i, pol := range as.Policies {
		pp := fmt.Sprintf("%s.policies[%d]", path, i)
		if pol.Name == "" {
			p.add("%s.name: required", pp)
		}
		if len(pol.Clients) == 0 {
			p.add("%s.clients: at least one client id or ALL_CLIENTS is required", pp)
		}
		for j, c := range pol.Clients {
			if _, ok := clients[c]; !ok && c != AllClients {
				p.add("%s.clients[%d]: no client with id %q (or use ALL_CLIENTS)", pp, j, c)
			}
		}
		for j, r := range pol.Rules {
			rp := fmt.Sprintf("%s.rules[%d]", pp, j)
			if r.Name == "" {
				p.add("%s.name: required", rp)
			}
			for k, g := range r.GrantTypes {
				if g != GrantAuthorizationCode && g != GrantRefreshToken && g != GrantClientCredentials {
					p.add("%s.grant_types[%d]: %q is not one of authorization_code, refresh_token, client_credentials", rp, k, g)
				}
			}
			for k, s := range r.Scopes {
				if s != "*" && !oidcScopes[s] && !seen[s] {
					p.add("%s.scopes[%d]: %q is neither an OIDC scope nor a scope of this server", rp, k, s)
				}
			}
			for k, l := range r.Users {
				if _, ok := logins[strings.ToLower(l)]; !ok {
					p.add("%s.users[%d]: no user with login %q", rp, k, l)
				}
			}
			if d := r.AccessTokenLifetime; d != 0 && (d < 5*time.Minute || d > 24*time.Hour) {
				p.add("%s.access_token_lifetime: Okta allows 5m to 24h, got %s", rp, d)
			}
		}
	}
}

// AllClients in Policy.Clients covers every client (Okta's ALL_CLIENTS).
const AllClients = "ALL_CLIENTS"

// oidcScopes are the scopes every Okta custom authorization server has.
var oidcScopes = map[string]bool{
	"openid": true, "profile": true, "email": true, "address": true, "phone": true,
	"offline_access": true, "device_sso": true,
}

func validOktaID(id, prefix string) bool {
	if len(id) != 20 || !strings.HasPrefix(id, prefix) {
		return false
	}
	for _, c := range id {
		if !strings.ContainsRune(base62, c) {
			return false
		}
	}
	return true
}

func printableNoSpace(s string) bool {
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return false
		}
	}
	return true
}
