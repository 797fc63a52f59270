package oidc

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/deck"
)

// Name is the plugin name in decK files.
const Name = "openid-connect"

// processSecret is the session secret when session_secret is unset: random, shared by every
// plugin instance of this process so a config reload keeps sessions, lost on restart (as Kong's
// per-worker secret in DB-less mode).
var processSecret = sync.OnceValue(func() []byte {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics rather than return an error on Go ≥ 1.24)
	return b
})

// minSessionSecret is the session_secret length below which the plugin warns.
const minSessionSecret = 32

// plugin is one configured openid-connect instance.
type plugin struct {
	cfg     *Config
	log     *slog.Logger
	publish func(gateway.Event)
	now     func() time.Time

	http      *http.Client
	disc      *discoverer
	keys      *jwks
	verifier  *verifier
	authCodec *Codec
	sessCodec *Codec

	// Derived from cfg once, for the per-request paths.
	requirements      []requirement // the configured *_required checks
	needsAccessClaims bool          // a required-claims check or a claim header reads the access token
	realm             string        // WWW-Authenticate realm: the issuer's host
	clientArgHeaders  []string      // where client_arg is looked for when several clients are configured

	used          *expiringSet                          // states already redeemed: a replayed callback is refused
	pending       *pendingLogins                        // where recent logins started, to explain a lost state cookie
	introspects   *boundedMap[tokenKey, map[string]any] // active introspection answers
	inactive      *boundedMap[tokenKey, error]          // inactive or expired answers, briefly
	introspecting introspections                        // calls in flight and per second
	userinfos     *boundedMap[tokenKey, map[string]any] // user info by access token
}

// New builds the plugin from its decK entry (a gateway.PluginFactory). It validates the whole
// config, reporting every problem at once as *deck.Errors, and does no network I/O: discovery
// happens on the first request.
func New(p deck.Plugin, env gateway.PluginEnv) (gateway.Plugin, error) {
	cfg, err := ParseConfig(p.Config, p.ConfigLines)
	if err != nil {
		return nil, err
	}
	cfg.Instance = instanceOf(p)
	now := env.Now
	if now == nil {
		now = time.Now
	}
	return newPlugin(cfg, env, now)
}

// instanceOf names a plugin stably across config reloads (so sessions survive them): its decK
// id when it has one, else where it is attached.
func instanceOf(p deck.Plugin) string {
	if p.ID != "" {
		return "id:" + p.ID
	}
	return "service:" + p.Service + "\x00route:" + p.Route
}

// cookieBinding is what a cookie is bound to besides the secret: this plugin, its issuer and
// its clients (the session stores a client by index into this list).
func cookieBinding(cfg *Config, issuer string) string {
	return strings.Join(append([]string{cfg.Instance, issuer}, cfg.ClientID...), "\x00")
}

func newPlugin(cfg *Config, env gateway.PluginEnv, now func() time.Time) (*plugin, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	publish := env.Publish
	if publish == nil {
		publish = func(gateway.Event) {}
	}
	secret := []byte(cfg.SessionSecret)
	if len(secret) == 0 {
		secret = processSecret()
		// Without sessions only a pending login (minutes) depends on it: not worth a warning.
		level := slog.LevelDebug
		if cfg.AuthMethods["session"] {
			level = slog.LevelWarn
		}
		log.Log(context.Background(), level, "openid-connect: session_secret is not set; using a random per-process secret, so sessions and pending logins end when oidclab restarts",
			"issuer", cfg.Issuer)
	} else if len(secret) < minSessionSecret {
		// Kong accepts any length, so this is not an error; but whoever can guess the secret
		// from a cookie they hold can forge sessions the gateway trusts.
		log.Warn("openid-connect: session_secret is short; a cookie holder can guess it offline and forge sessions: use at least 32 random characters",
			"length", len(secret), "issuer", cfg.Issuer)
	}
	discURL, issuer := NormalizeIssuer(cfg.Issuer)
	binding := cookieBinding(cfg, issuer)
	authCodec, err := newBoundCodec(secret, "authorization", binding)
	if err != nil {
		return nil, err
	}
	sessCodec, err := newBoundCodec(secret, "session", binding)
	if err != nil {
		return nil, err
	}
	hc := newHTTPClient(cfg.Timeout)
	reqs := configuredRequirements(cfg)
	p := &plugin{
		cfg: cfg, log: log, publish: publish, now: now, http: hc,
		authCodec: authCodec, sessCodec: sessCodec,
		requirements: reqs, needsAccessClaims: len(reqs) > 0 || len(cfg.UpstreamHeadersClaims) > 0,
		realm: realmOf(issuer), clientArgHeaders: clientArgHeaders(cfg.ClientArg),
		used:        newExpiringSet(10000),
		pending:     newPendingLogins(1000),
		introspects: newBoundedMap[tokenKey, map[string]any](10000),
		inactive:    newBoundedMap[tokenKey, error](10000),
		userinfos:   newBoundedMap[tokenKey, map[string]any](10000),
	}
	p.disc = &discoverer{
		url: discURL, issuer: issuer, client: hc, log: log, lifetime: refetchGap(cfg.RediscoveryLifetime), now: p.clock,
		overrides: Metadata{
			AuthorizationEndpoint: cfg.AuthorizationEndpoint, TokenEndpoint: cfg.TokenEndpoint,
			UserinfoEndpoint: cfg.UserinfoEndpoint, IntrospectionEndpoint: cfg.IntrospectionEndpoint,
			RevocationEndpoint: cfg.RevocationEndpoint, EndSessionEndpoint: cfg.EndSessionEndpoint,
		},
	}
	p.used.now, p.pending.now = p.clock, p.clock
	p.keys = &jwks{uri: p.jwksURI, client: hc, minGap: refetchGap(cfg.RediscoveryLifetime), now: p.clock,
		rediscover: func(ctx context.Context) { p.disc.rediscover(ctx) }}
	p.verifier = &verifier{
		keys: p.keys, leeway: cfg.Leeway, now: p.clock, enableHS: cfg.EnableHSSignatures,
		signatures: cfg.VerifySignature, claims: cfg.VerifyClaims, nonces: cfg.VerifyNonce,
	}
	if cfg.TokenEndpoint != "" && !sameOrigin(cfg.TokenEndpoint, issuer) {
		log.Warn(tokenEndpointOriginWarning, "issuer", issuer, "token_endpoint", cfg.TokenEndpoint)
	}
	if cfg.AuthMethods[MethodBearer] && len(cfg.AudienceRequired) == 0 {
		log.Warn("openid-connect: bearer is enabled without audience_required; any token the issuer signed, for any client or API, is accepted here: set audience_required to this API's audience",
			"issuer", cfg.Issuer)
	}
	if !cfg.VerifySignature {
		log.Warn("openid-connect: verify_signature is false; tokens are accepted without checking their signature")
	}
	return p, nil
}

// clock lets tests move time; p.now is fixed at construction.
func (p *plugin) clock() time.Time { return p.now() }

// Handler wraps next (the rest of the route: later plugins and the proxy).
func (p *plugin) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.serve(w, r, next)
	})
}

// serve follows Kong's access phase: preflight, client, discovery, session, logout, then the
// credentials in Kong's order (session, bearer, authorization code).
func (p *plugin) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if r.Method == http.MethodOptions && !p.cfg.RunOnPreflight {
		next.ServeHTTP(w, r)
		return
	}
	c := p.newCall(w, r)
	md, err := p.disc.get(r.Context())
	if err != nil {
		c.unexpected(err)
		return
	}
	c.md = md

	// Our re-POST page turns any cross-site POST that looks like a callback into a same-site
	// POST carrying the fields the other site chose, and the Lax session cookie. Handled as a
	// session, bearer or logout request it would be a CSRF gadget past SameSite; handled only
	// as a callback, it needs the pending login's own state to do anything.
	reposted := c.reposted()
	var sess *sessionState
	if p.cfg.AuthMethods[MethodSession] && !reposted {
		sess = c.readSession()
		if sess != nil {
			c.client = p.clientAt(sess.Client)
		}
	}
	if !reposted && c.isLogout() {
		c.logout(sess)
		return
	}
	if sess != nil {
		c.serveSession(sess, next)
		return
	}
	if !reposted && (p.cfg.AuthMethods[MethodBearer] || p.cfg.AuthMethods[MethodIntrospection]) {
		if tok := c.bearerToken(); tok != "" {
			c.serveBearer(tok, next)
			return
		}
	}
	if p.cfg.AuthMethods[MethodAuthorizationCode] {
		c.serveAuthorizationCode(next)
		return
	}
	c.unauthorized(failure{
		message: "no suitable authorization credentials were provided",
		reason:  ReasonNoCredentials,
		explain: explainNoCredentials(),
	})
}
