package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Metadata is the part of the provider's discovery document the plugin uses, with the
// configured endpoint overrides applied.
type Metadata struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	IntrospectionEndpoint             string   `json:"introspection_endpoint"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	IDTokenSigningAlgs                []string `json:"id_token_signing_alg_values_supported"`
	CodeChallengeMethods              []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethods          []string `json:"token_endpoint_auth_methods_supported"`
	AuthorizationResponseIssParameter bool     `json:"authorization_response_iss_parameter_supported"`
}

const (
	wellKnownOIDC  = "/.well-known/openid-configuration"
	wellKnownOAuth = "/.well-known/oauth-authorization-server"
	// maxDocument caps every back-channel response body (discovery, JWKS, token, introspection).
	maxDocument = 1 << 20
	// retryFailedFetch bounds how often a failing discovery or first JWKS load is retried by
	// new requests.
	retryFailedFetch = time.Second
	// minRefetchGap is the least time between two refetches of discovery or the JWKS, whatever
	// rediscovery_lifetime says: with 0, every forged unknown kid would cost two IdP calls.
	minRefetchGap = 10 * time.Second
)

// refetchGap is the configured rediscovery_lifetime, never below minRefetchGap.
func refetchGap(lifetime time.Duration) time.Duration { return max(lifetime, minRefetchGap) }

// fetchLock serialises fetches. Unlike a sync.Mutex, a request waiting for another's fetch
// gives up when its own context ends (the client went away, or the gateway's deadline passed).
// The zero value is unlocked.
type fetchLock struct {
	once sync.Once
	ch   chan struct{}
}

func (l *fetchLock) sem() chan struct{} {
	l.once.Do(func() { l.ch = make(chan struct{}, 1) })
	return l.ch
}

func (l *fetchLock) lock(ctx context.Context) error {
	select {
	case l.sem() <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *fetchLock) tryLock() bool {
	select {
	case l.sem() <- struct{}{}:
		return true
	default:
		return false
	}
}

func (l *fetchLock) unlock() { <-l.sem() }

// ErrDiscovery wraps every discovery failure.
var ErrDiscovery = errors.New("oidc: discovery failed")

// NormalizeIssuer turns the configured issuer (an issuer id or a discovery URL) into the URL to
// fetch and the issuer id, as Kong does: a well-known suffix is kept for fetching and removed
// for the id; a trailing slash is tolerated.
func NormalizeIssuer(s string) (discoveryURL, issuer string) {
	trimmed := strings.TrimRight(s, "/")
	for _, suffix := range []string{wellKnownOIDC, wellKnownOAuth} {
		if base, ok := strings.CutSuffix(trimmed, suffix); ok {
			return trimmed, strings.TrimRight(base, "/")
		}
	}
	return trimmed + wellKnownOIDC, trimmed
}

// discoverer fetches the discovery document once, lazily, and again on demand at most once per
// rediscovery lifetime. Readers never wait for a refetch: the current document is an atomic
// pointer, and fetches are serialised on their own lock.
type discoverer struct {
	url       string
	issuer    string
	overrides Metadata
	client    *http.Client
	lifetime  time.Duration
	now       func() time.Time
	log       *slog.Logger // nil: no warnings

	md atomic.Pointer[Metadata]

	fetching    fetchLock // held during a fetch; guards the fields below
	fetchedAt   time.Time
	lastAttempt time.Time
	lastErr     error
}

// get returns the cached metadata, fetching it on first use. Failed first fetches are retried
// at most once per retryFailedFetch after the last failure ended, so a down or hanging IdP is
// not asked by every request, each waiting a full timeout behind the previous one.
func (d *discoverer) get(ctx context.Context) (*Metadata, error) {
	if md := d.md.Load(); md != nil {
		return md, nil
	}
	if err := d.fetching.lock(ctx); err != nil {
		return nil, err
	}
	defer d.fetching.unlock()
	if md := d.md.Load(); md != nil {
		return md, nil
	}
	if d.lastErr != nil && d.now().Sub(d.lastAttempt) < retryFailedFetch {
		return nil, d.lastErr
	}
	return d.fetchLocked(ctx)
}

// rediscover refetches when the last fetch is older than the lifetime; it returns whether the
// metadata was refreshed. A refetch already in flight is not repeated.
func (d *discoverer) rediscover(ctx context.Context) bool {
	if !d.fetching.tryLock() {
		return false
	}
	defer d.fetching.unlock()
	if d.md.Load() != nil && d.now().Sub(d.fetchedAt) < d.lifetime {
		return false
	}
	_, err := d.fetchLocked(ctx)
	return err == nil
}

func (d *discoverer) fetchLocked(ctx context.Context) (*Metadata, error) {
	md, err := d.fetch(ctx)
	d.lastAttempt = d.now()
	if err != nil {
		if ctx.Err() == nil { // a client that went away says nothing about the provider
			d.lastErr = err
		}
		if prev := d.md.Load(); prev != nil {
			// Keep serving the previous document, as Kong does.
			return prev, nil
		}
		return nil, err
	}
	d.fetchedAt, d.lastErr = d.now(), nil
	d.md.Store(md)
	return md, nil
}

func (d *discoverer) fetch(ctx context.Context) (*Metadata, error) {
	var md Metadata
	status, err := getJSON(ctx, d.client, d.url, &md)
	if err != nil {
		timedOut := isTimeout(err)
		err = redactURLError(err) // the message names the URL once, below
		if timedOut {
			err = fmt.Errorf("%w: %w", ErrTimeout, err)
		}
		return nil, fmt.Errorf("%w: GET %s: %w", ErrDiscovery, d.url, err)
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("%w: GET %s: status %d", ErrDiscovery, d.url, status)
	}
	if md.Issuer == "" {
		md.Issuer = d.issuer
	} else if strings.TrimRight(md.Issuer, "/") != d.issuer {
		// A document naming another issuer is either a misconfiguration (org vs custom
		// authorization server) or a mix-up attack; both must stop here.
		return nil, &IssuerMismatchError{Configured: d.issuer, Discovered: md.Issuer}
	}
	if err := checkDiscoveredEndpoints(&md, &d.overrides, d.issuer); err != nil {
		return nil, err
	}
	if d.overrides.TokenEndpoint == "" && d.log != nil && !sameOrigin(md.TokenEndpoint, d.issuer) {
		d.log.Warn(tokenEndpointOriginWarning, "issuer", d.issuer, "token_endpoint", md.TokenEndpoint)
	}
	override(&md.AuthorizationEndpoint, d.overrides.AuthorizationEndpoint)
	override(&md.TokenEndpoint, d.overrides.TokenEndpoint)
	override(&md.UserinfoEndpoint, d.overrides.UserinfoEndpoint)
	override(&md.IntrospectionEndpoint, d.overrides.IntrospectionEndpoint)
	override(&md.RevocationEndpoint, d.overrides.RevocationEndpoint)
	override(&md.EndSessionEndpoint, d.overrides.EndSessionEndpoint)
	return &md, nil
}

// tokenEndpointOriginWarning is logged when the token endpoint, which receives the client
// secret, is not on the issuer's origin.
const tokenEndpointOriginWarning = "openid-connect: the token endpoint is on another origin than the issuer, and it receives the client secret: check that the provider really names it (a discovery document or config.token_endpoint pointing elsewhere sends the secret there)"

// InsecureEndpointError: the discovery document names a back-channel endpoint that is not
// https while the issuer is not on loopback.
type InsecureEndpointError struct{ Field, URL string }

func (e *InsecureEndpointError) Error() string {
	return fmt.Sprintf("oidc: the discovery document's %s %q is not https: the client secret, codes and tokens would cross the network in clear text", e.Field, e.URL)
}

func (e *InsecureEndpointError) Unwrap() error { return ErrDiscovery }

// checkDiscoveredEndpoints requires https for the back-channel endpoints discovery names
// (configured ones are the operator's choice), unless the issuer itself is on loopback, where
// plain http is the lab's normal case.
func checkDiscoveredEndpoints(md, overrides *Metadata, issuer string) error {
	if u, err := url.Parse(issuer); err == nil && isLoopbackHost(u.Hostname()) {
		return nil
	}
	for _, e := range []struct{ field, value, override string }{
		{"token_endpoint", md.TokenEndpoint, overrides.TokenEndpoint},
		{"userinfo_endpoint", md.UserinfoEndpoint, overrides.UserinfoEndpoint},
		{"introspection_endpoint", md.IntrospectionEndpoint, overrides.IntrospectionEndpoint},
		{"revocation_endpoint", md.RevocationEndpoint, overrides.RevocationEndpoint},
		{"jwks_uri", md.JWKSURI, ""},
	} {
		if e.value == "" || e.override != "" {
			continue
		}
		if u, err := url.Parse(e.value); err != nil || !strings.EqualFold(u.Scheme, "https") {
			return &InsecureEndpointError{Field: e.field, URL: e.value}
		}
	}
	return nil
}

// sameOrigin reports whether a and b have the same scheme, host and port.
func sameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil {
		return false
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Hostname(), ub.Hostname()) && effectivePort(ua) == effectivePort(ub)
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// IssuerMismatchError: the discovery document names a different issuer than configured.
type IssuerMismatchError struct{ Configured, Discovered string }

func (e *IssuerMismatchError) Error() string {
	return fmt.Sprintf("oidc: discovery document names issuer %q, but the plugin is configured for %q", e.Discovered, e.Configured)
}

func (e *IssuerMismatchError) Unwrap() error { return ErrDiscovery }

func override(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

// getJSON GETs u and decodes a JSON body of at most maxDocument bytes.
func getJSON(ctx context.Context, client *http.Client, u string, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := readCapped(resp)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return resp.StatusCode, fmt.Errorf("response is not JSON: %w", err)
	}
	return resp.StatusCode, nil
}
