package oidc

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/oidclab/oidclab/gateway"
)

// failure is why the plugin refuses a request: message is Kong's internal message (shown with
// display_errors), reason the stable code, explain the plain-language cause and fix for the
// event. kind names the hop that failed, so a refusal is one event of that hop's kind
// (EventAuthFailed when empty).
type failure struct {
	message     string
	reason      gateway.Reason
	kind        gateway.EventKind
	explain     string
	tokenError  bool   // a presented token was bad: error="invalid_token"
	description string // RFC 6750 error_description, e.g. "The access token expired"
	attrs       map[string]any
}

// event publishes one hop. It never carries tokens, codes, cookies or secrets: callers pass
// claims and explanations only.
func (c *call) event(kind gateway.EventKind, status int, message, explain string, attrs map[string]any) {
	c.failEvent(kind, status, "", message, explain, attrs)
}

// failEvent publishes a hop with the reason it failed (or "" when it did not). Whatever has a
// status is the plugin's own answer to the browser.
func (c *call) failEvent(kind gateway.EventKind, status int, reason gateway.Reason, message, explain string, attrs map[string]any) {
	var by gateway.Answerer
	if status != 0 {
		by = gateway.AnsweredByPlugin
	}
	c.p.publish(gateway.Event{
		Time:       c.p.now(),
		Kind:       kind,
		RequestID:  c.info.RequestID,
		Route:      c.info.Route,
		Service:    c.info.Service,
		Method:     c.r.Method,
		Path:       c.info.Path,
		Status:     status,
		AnsweredBy: by,
		Reason:     reason,
		Latency:    c.p.now().Sub(c.start),
		Message:    message,
		Explain:    explain,
		Attrs:      attrs,
	})
}

// unauthorized answers as Kong: 401 {"message":"Unauthorized"} with WWW-Authenticate, or a
// 302 to unauthorized_redirect_uri; the session is destroyed.
func (c *call) unauthorized(f failure) {
	c.refuse(http.StatusUnauthorized, f)
}

// forbidden answers 403 (required scopes, audience or groups missing).
func (c *call) forbidden(f failure) {
	c.refuse(http.StatusForbidden, f)
}

func (c *call) refuse(status int, f failure) {
	cfg := c.p.cfg
	message, redirects, destroy, code := cfg.UnauthorizedErrorMessage, cfg.UnauthorizedRedirectURI, cfg.UnauthorizedDestroySession, "invalid_token"
	if status == http.StatusForbidden {
		message, redirects, destroy, code = cfg.ForbiddenErrorMessage, cfg.ForbiddenRedirectURI, cfg.ForbiddenDestroySession, "insufficient_scope"
	}
	kind := f.kind
	if kind == "" {
		kind = EventAuthFailed
	}
	c.failEvent(kind, status, f.reason, f.message, f.explain, f.attrs)
	c.p.log.Info("openid-connect: request refused", "status", status, "reason", string(f.reason),
		"message", f.message, "request_id", c.info.RequestID, "path", c.info.Path)

	h := c.w.Header()
	h.Set("Cache-Control", "no-store")
	if destroy && c.sess != nil {
		sessionCookieSpec(cfg.SessionCookie, c.origin).clear(c.w, c.r)
	}
	if target := pick(redirects, c.client.Index); target != "" {
		h.Set("Location", target)
		c.w.WriteHeader(http.StatusFound)
		return
	}
	var auth strings.Builder
	auth.WriteString(`Bearer realm="` + c.p.realm + `"`)
	if cfg.ExposeErrorCode && (f.tokenError || status == http.StatusForbidden) {
		auth.WriteString(`, error="` + code + `"`)
		if f.description != "" {
			auth.WriteString(`, error_description="` + strings.ReplaceAll(f.description, `"`, `'`) + `"`)
		}
	}
	h.Set("WWW-Authenticate", auth.String())
	if cfg.DisplayErrors && f.message != "" {
		message += " (" + f.message + ")"
	}
	writeJSON(c.w, status, map[string]string{"message": message})
}

// realmOf is the issuer's host, as Kong puts it in WWW-Authenticate.
func realmOf(iss string) string {
	if u, err := url.Parse(iss); err == nil && u.Host != "" {
		return u.Host
	}
	return "kong"
}

// unexpected answers Kong's 500 for failures that are not the user's (discovery down, a cookie
// that cannot be written), or redirects to unexpected_redirect_uri.
func (c *call) unexpected(err error) {
	explain := explainUnexpected(c, err)
	c.failEvent(gateway.EventError, http.StatusInternalServerError, unexpectedReason(err), err.Error(), explain, nil)
	c.p.log.Error("openid-connect: unexpected error", "err", err, "request_id", c.info.RequestID)
	c.w.Header().Set("Cache-Control", "no-store")
	if target := pick(c.p.cfg.UnexpectedRedirectURI, c.client.Index); target != "" {
		c.w.Header().Set("Location", target)
		c.w.WriteHeader(http.StatusFound)
		return
	}
	message := "An unexpected error occurred"
	if c.p.cfg.DisplayErrors {
		message += " (" + err.Error() + ")"
	}
	writeJSON(c.w, http.StatusInternalServerError, map[string]string{"message": message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// redirect answers 302 with an empty body and no-store.
func redirect(w http.ResponseWriter, location string) {
	w.Header().Set("Location", location)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusFound)
}
