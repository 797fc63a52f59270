package emulator

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
)

// Client authentication styles, as recorded in RequestRecord.ClientAuth.
const (
	AuthBasic = "client_secret_basic"
	AuthPost  = "client_secret_post"
	AuthNone  = "none"
)

// clientAuthError is an authentication failure; unknownClient selects Okta's non-RFC body.
type clientAuthError struct {
	err           *oauthError
	unknownClient bool
}

func (e *clientAuthError) write(w http.ResponseWriter, r *http.Request) {
	if e.unknownClient {
		// Okta answers an unknown client_id with its Management-style body, not OAuth's.
		challengeBasic(w, r, http.StatusUnauthorized)
		writeOktaError(w, r, http.StatusUnauthorized, "invalid_client", descInvalidClientID)
		return
	}
	writeOAuthError(w, r, e.err)
}

func authFail(status int, code, desc string) *clientAuthError {
	return &clientAuthError{err: errf(status, code, desc)}
}

// secretsEqual compares digests, which have the same length whatever the secrets, so the time
// taken tells nothing about the expected secret, not even its length.
func secretsEqual(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// authenticateClient applies RFC 6749 2.3.1 and Okta's rules to a token, introspection or
// revocation request. The Basic credentials are form-encoded before base64 (RFC 6749 2.3.1), so
// they are form-decoded here: a secret containing '+' or '%' arrives intact only that way.
func (s *Server) authenticateClient(r *http.Request) (*Client, *clientAuthError) {
	rec := recordFrom(r)
	form := r.PostForm
	var id, secret, style string
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, cred, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Basic") {
			return nil, authFail(http.StatusUnauthorized, "invalid_client", "The Authorization header must use the Basic scheme for client authentication.")
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		rawID, rawSecret, found := strings.Cut(string(raw), ":")
		if err != nil || !found {
			return nil, authFail(http.StatusUnauthorized, "invalid_client", "The Authorization header is not valid Basic client authentication.")
		}
		if id, err = url.QueryUnescape(rawID); err != nil {
			return nil, authFail(http.StatusUnauthorized, "invalid_client", "The client_id in the Authorization header is not form-encoded correctly.")
		}
		if secret, err = url.QueryUnescape(rawSecret); err != nil {
			return nil, authFail(http.StatusUnauthorized, "invalid_client", "The client_secret in the Authorization header is not form-encoded correctly.")
		}
		if form.Has("client_secret") || form.Has("client_assertion") {
			return nil, authFail(http.StatusBadRequest, "invalid_request", descMultipleCredentials)
		}
		if bid := form.Get("client_id"); bid != "" && bid != id {
			return nil, authFail(http.StatusBadRequest, "invalid_request", "The 'client_id' parameter does not match the client in the Authorization header.")
		}
		style = AuthBasic
	} else {
		switch {
		case form.Has("client_assertion"):
			if form.Has("client_secret") {
				return nil, authFail(http.StatusBadRequest, "invalid_request", descMultipleCredentials)
			}
			return nil, authFail(http.StatusUnauthorized, "invalid_client", "The emulator does not support client_secret_jwt or private_key_jwt client authentication.")
		case form.Has("client_secret"):
			style = AuthPost
		case form.Get("client_id") != "":
			style = AuthNone
		default:
			return nil, authFail(http.StatusUnauthorized, "invalid_client", descNoClientCredentials)
		}
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	rec.ClientID, rec.ClientAuth = truncate(id, maxIDLen), style
	s.mu.RLock()
	c, ok := s.clients[id]
	s.mu.RUnlock()
	if !ok || c.Inactive {
		return nil, &clientAuthError{unknownClient: true}
	}
	if c.Public() {
		if style != AuthNone {
			return nil, authFail(http.StatusUnauthorized, "invalid_client", "Client authentication is not allowed for this client: its token endpoint authentication method is 'none'.")
		}
		return c, nil
	}
	if style == AuthNone {
		// What Okta says when a web app's client_id is used like a SPA's (PKCE, no secret).
		return nil, authFail(http.StatusUnauthorized, "invalid_client", descClientAuthFailed)
	}
	if !secretsEqual(secret, c.Secret) {
		return nil, authFail(http.StatusUnauthorized, "invalid_client", descBadClientSecret)
	}
	return c, nil
}
