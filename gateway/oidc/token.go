package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/oidclab/oidclab/gateway/deck"
)

// Tokens is a token endpoint response (RFC 6749 5.1) as the session keeps it.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	TokenType    string `json:"token_type,omitempty"`
	ExpiresIn    int64  `json:"expires_in,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// OAuthError is an error answer from a back-channel endpoint, or a non-200 status.
// Code and Description come from the IdP (RFC 6749 5.2); they never hold secrets.
type OAuthError struct {
	Endpoint    string // "token", "introspection", "revocation"
	Status      int
	Code        string
	Description string
}

func (e *OAuthError) Error() string {
	msg := fmt.Sprintf("invalid status code received from the %s endpoint (%d)", e.Endpoint, e.Status)
	if e.Code != "" {
		msg += ": " + e.Code
		if e.Description != "" {
			msg += ": " + e.Description
		}
	}
	return msg
}

// ErrTimeout marks a back-channel call that did not finish within the configured timeout.
var ErrTimeout = errors.New("oidc: the identity provider did not answer within the timeout")

// clientCreds is the selected client.
type clientCreds struct {
	Index  int // 0-based
	ID     string
	Secret string
}

// authMethod chooses the client authentication for an endpoint as Kong does: the configured
// method, else the first usable one the provider advertises (basic, post, none), else basic when
// there is a secret and none otherwise.
func authMethod(configured string, advertised []string, c clientCreds) string {
	if configured != "" {
		return configured
	}
	for _, m := range []string{"client_secret_basic", "client_secret_post", "none"} {
		if !slices.Contains(advertised, m) {
			continue
		}
		if m != "none" && c.Secret == "" {
			continue
		}
		return m
	}
	if c.Secret != "" {
		return "client_secret_basic"
	}
	return "none"
}

// postForm sends an authenticated back-channel POST and returns the 200 body. Any other status
// is an *OAuthError. With client_secret_basic the credentials go only in the header, form-encoded
// first as RFC 6749 2.3.1 requires; a failure is never retried with the secret in the body.
func postForm(ctx context.Context, hc *http.Client, endpointName, endpoint string, form url.Values, c clientCreds, method string) ([]byte, error) {
	if endpoint == "" {
		return nil, fmt.Errorf("oidc: the provider has no %s endpoint (neither discovered nor configured)", endpointName)
	}
	switch method {
	case "client_secret_post":
		form.Set("client_id", c.ID)
		form.Set("client_secret", c.Secret)
	case "none":
		form.Set("client_id", c.ID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("oidc: %s request: %w", endpointName, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("Accept", "application/json")
	if method == "client_secret_basic" {
		req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret))
	}
	resp, err := hc.Do(req)
	if err != nil {
		if isTimeout(err) {
			return nil, fmt.Errorf("%w (%s endpoint)", ErrTimeout, endpointName)
		}
		return nil, fmt.Errorf("oidc: %s endpoint: %w", endpointName, redactURLError(err))
	}
	defer resp.Body.Close()
	body, err := readCapped(resp)
	if err != nil {
		if isTimeout(err) {
			return nil, fmt.Errorf("%w (%s endpoint)", ErrTimeout, endpointName)
		}
		return nil, fmt.Errorf("oidc: %s endpoint: %w", endpointName, err)
	}
	if resp.StatusCode != http.StatusOK {
		oe := &OAuthError{Endpoint: endpointName, Status: resp.StatusCode}
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(body, &e) == nil {
			// Scrubbed before clipping, so a clip cannot leave half a secret behind.
			secrets := []string{c.Secret}
			if method == "client_secret_basic" {
				// An echoed Authorization header carries the secret only base64-encoded.
				_, basic, _ := strings.Cut(req.Header.Get("Authorization"), " ")
				secrets = append(secrets, basic)
			}
			for _, k := range secretFormFields {
				secrets = append(secrets, form.Get(k))
			}
			oe.Code = clip(scrub(e.Error, secrets), 100)
			oe.Description = clip(scrub(e.Description, secrets), 300)
		}
		return nil, oe
	}
	return body, nil
}

// secretFormFields are the back-channel form fields whose values must never be shown.
var secretFormFields = []string{"code", "code_verifier", "refresh_token", "token", "client_secret"}

// scrub blanks out every secret s contains, as sent or form-encoded: an IdP error text that
// echoes the code, a token or the client secret must not reach events, logs or display_errors.
func scrub(s string, secrets []string) string {
	for _, v := range secrets {
		if len(v) < 4 {
			// Too short to tell from ordinary words; blanking it would garble the message.
			continue
		}
		s = strings.ReplaceAll(s, v, deck.Redacted)
		if enc := url.QueryEscape(v); enc != v {
			s = strings.ReplaceAll(s, enc, deck.Redacted)
		}
	}
	return s
}

// exchangeCode runs the authorization_code grant.
func exchangeCode(ctx context.Context, hc *http.Client, md *Metadata, c clientCreds, method, code, redirectURI, verifier string) (*Tokens, error) {
	form := url.Values{
		"grant_type":   {"authorization_code"},
		"code":         {code},
		"redirect_uri": {redirectURI},
	}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	return tokenRequest(ctx, hc, md, c, method, form)
}

// refreshTokens runs the refresh_token grant.
func refreshTokens(ctx context.Context, hc *http.Client, md *Metadata, c clientCreds, method, refreshToken string) (*Tokens, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	return tokenRequest(ctx, hc, md, c, method, form)
}

func tokenRequest(ctx context.Context, hc *http.Client, md *Metadata, c clientCreds, method string, form url.Values) (*Tokens, error) {
	body, err := postForm(ctx, hc, "token", md.TokenEndpoint, form, c, method)
	if err != nil {
		return nil, err
	}
	var t Tokens
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, fmt.Errorf("oidc: token endpoint answered 200 with a body that is not a token response: %w", err)
	}
	if t.AccessToken == "" {
		return nil, errors.New("oidc: token endpoint answered without an access_token")
	}
	if t.TokenType != "" && !strings.EqualFold(t.TokenType, "bearer") {
		return nil, fmt.Errorf("oidc: token endpoint issued token_type %q, only Bearer is supported", clip(t.TokenType, 20))
	}
	return &t, nil
}

// revoke calls the RFC 7009 revocation endpoint.
func revoke(ctx context.Context, hc *http.Client, endpoint string, c clientCreds, method, token, hint string) error {
	form := url.Values{"token": {token}, "token_type_hint": {hint}}
	_, err := postForm(ctx, hc, "revocation", endpoint, form, c, method)
	return err
}

// introspect calls the RFC 7662 introspection endpoint and returns the response members.
func introspect(ctx context.Context, hc *http.Client, endpoint string, c clientCreds, method, token string) (map[string]any, error) {
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	body, err := postForm(ctx, hc, "introspection", endpoint, form, c, method)
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if err := json.Unmarshal(body, &claims); err != nil {
		return nil, fmt.Errorf("oidc: introspection response is not a JSON object: %w", err)
	}
	return claims, nil
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

// redactURLError drops the URL from a *url.Error: endpoints are not secret, but the error
// then reads the same whatever the endpoint.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// expiresAt is when the access token stops being usable: its JWT exp, else expires_in, else
// Kong's cache_ttl default (an hour).
func expiresAt(t *Tokens, accessClaims map[string]any, now time.Time) time.Time {
	if exp, ok := numClaim(accessClaims, "exp"); ok {
		return time.Unix(int64(exp), 0)
	}
	if t.ExpiresIn > 0 {
		return now.Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	return now.Add(time.Hour)
}
