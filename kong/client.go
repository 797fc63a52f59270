// Package kong is a small client for Kong Gateway's Admin API (services, routes and plugins,
// Kong 3.x entity shapes) and the plan that moves a decK configuration onto a running Kong:
// fetch what is there, diff, then upsert by name in dependency order. Kong's own Go client is
// not used: this covers the few documented endpoints oidclab needs and nothing else.
//
// The package never logs and never prints; secrets in plugin configs are redacted in every
// Change it reports. It imports gateway/deck for the configuration types only.
package kong

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds each Admin API request when Options.HTTPClient is nil.
const DefaultTimeout = 15 * time.Second

// maxResponse caps an Admin API answer: a page of plugins with their configs is well under it.
const maxResponse = 16 << 20

// Options configure a Client. The zero value works.
type Options struct {
	// Token is sent as Kong-Admin-Token (Kong Enterprise RBAC); empty sends none.
	Token string
	// HTTPClient defaults to one with DefaultTimeout that follows no redirects.
	HTTPClient *http.Client
	// PageSize is the size asked for when listing (Kong's default is 100).
	PageSize int
}

// Client talks to one Kong Admin API.
type Client struct {
	base  *url.URL
	http  *http.Client
	token string
	size  int
}

// New returns a client for the Admin API at baseURL (http://localhost:8001, or a path prefix
// such as https://host/admin-api).
func New(baseURL string, opts Options) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("kong: admin URL %q: want http://HOST:PORT or https://HOST:PORT", baseURL)
	}
	if u.User != nil {
		return nil, errors.New("kong: admin URL must not carry credentials; use a token")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{
			Timeout: DefaultTimeout,
			// A redirect would resend the token to wherever it points.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	size := opts.PageSize
	if size <= 0 {
		size = 100
	}
	return &Client{base: u, http: hc, token: opts.Token, size: size}, nil
}

// URL is the Admin API's base URL.
func (c *Client) URL() string { return c.base.String() }

// APIError is an answer of Kong's Admin API other than 2xx, with Kong's error body.
type APIError struct {
	Method, Path string
	Status       int
	// Code and Name are Kong's error code and name ("schema violation"), when given.
	Code    int
	Name    string
	Message string
	// Fields holds Kong's per-field problems, nested as in the body.
	Fields map[string]any
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	s := fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, msg)
	return s
}

// IsNotFound reports whether err is Kong's 404.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// do sends one request; body (when not nil) is sent as JSON, and a 2xx answer is decoded into
// out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("kong: encoding %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	ref, err := url.Parse(path)
	if err != nil {
		return fmt.Errorf("kong: bad path %q: %w", path, err)
	}
	u := *c.base
	u.Path = c.base.Path + ref.Path
	u.RawQuery = ref.RawQuery
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("kong: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Kong-Admin-Token", c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// url.Error names the URL, never the token (a header).
		return fmt.Errorf("kong: cannot reach the Admin API at %s: %w", c.base.Redacted(), unwrapURLError(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return fmt.Errorf("kong: reading the answer to %s %s: %w", method, ref.Path, err)
	}
	if len(raw) > maxResponse {
		return fmt.Errorf("kong: the answer to %s %s is larger than %d MiB", method, ref.Path, maxResponse>>20)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		ae := &APIError{Method: method, Path: ref.Path, Status: resp.StatusCode}
		var kb struct {
			Code    int            `json:"code"`
			Name    string         `json:"name"`
			Message string         `json:"message"`
			Fields  map[string]any `json:"fields"`
		}
		if json.Unmarshal(raw, &kb) == nil {
			ae.Code, ae.Name, ae.Message, ae.Fields = kb.Code, kb.Name, kb.Message, kb.Fields
		}
		return ae
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("kong: the answer to %s %s is not Kong's JSON: %w", method, ref.Path, err)
	}
	return nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// page is Kong's paginated list.
type page[T any] struct {
	Data []T    `json:"data"`
	Next string `json:"next"`
}

// maxPages stops a server whose next never ends.
const maxPages = 10000

// list reads every page of a collection, following next (a path with the offset, relative to
// the Admin API's root).
func list[T any](ctx context.Context, c *Client, path string) ([]T, error) {
	var out []T
	next := fmt.Sprintf("%s?size=%d", path, c.size)
	for range maxPages {
		var p page[T]
		if err := c.do(ctx, http.MethodGet, next, nil, &p); err != nil {
			return nil, err
		}
		out = append(out, p.Data...)
		if p.Next == "" {
			return out, nil
		}
		next = nextPath(c.base, p.Next)
	}
	return nil, fmt.Errorf("kong: %s: more than %d pages", path, maxPages)
}

// nextPath turns Kong's next ("/services?offset=..." or an absolute URL) into a path under the
// base URL: Kong writes it from its own root, which a proxy in front may have moved.
func nextPath(base *url.URL, next string) string {
	u, err := url.Parse(next)
	if err != nil {
		return next
	}
	p := u.Path
	if base.Path != "" {
		p = strings.TrimPrefix(p, base.Path)
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

// Info is the part of GET / that tells what is listening.
type Info struct {
	Tagline string `json:"tagline"`
	Version string `json:"version"`
	Edition string `json:"edition"`
	// Configuration.Database is "off" for a DB-less Kong, which refuses entity writes.
	Configuration struct {
		Database string `json:"database"`
	} `json:"configuration"`
}

// Info reads GET /: a quick check that the URL is a Kong Admin API and the token is accepted.
func (c *Client) Info(ctx context.Context) (Info, error) {
	var info Info
	err := c.do(ctx, http.MethodGet, "/", nil, &info)
	return info, err
}

// Services lists every service.
func (c *Client) Services(ctx context.Context) ([]Service, error) {
	return list[Service](ctx, c, "/services")
}

// Routes lists every route.
func (c *Client) Routes(ctx context.Context) ([]Route, error) { return list[Route](ctx, c, "/routes") }

// Plugins lists every plugin.
func (c *Client) Plugins(ctx context.Context) ([]Plugin, error) {
	return list[Plugin](ctx, c, "/plugins")
}

func entityPath(kind, nameOrID string) string { return "/" + kind + "/" + url.PathEscape(nameOrID) }

// GetService reads one service by name or id.
func (c *Client) GetService(ctx context.Context, nameOrID string) (Service, error) {
	var s Service
	err := c.do(ctx, http.MethodGet, entityPath("services", nameOrID), nil, &s)
	return s, err
}

// PutService creates or replaces the service with that name (or id).
func (c *Client) PutService(ctx context.Context, nameOrID string, s Service) (Service, error) {
	var out Service
	err := c.do(ctx, http.MethodPut, entityPath("services", nameOrID), s, &out)
	return out, err
}

// PatchService changes the fields given in fields.
func (c *Client) PatchService(ctx context.Context, nameOrID string, fields map[string]any) (Service, error) {
	var out Service
	err := c.do(ctx, http.MethodPatch, entityPath("services", nameOrID), fields, &out)
	return out, err
}

// DeleteService deletes a service; Kong refuses while routes use it.
func (c *Client) DeleteService(ctx context.Context, nameOrID string) error {
	return c.do(ctx, http.MethodDelete, entityPath("services", nameOrID), nil, nil)
}

// GetRoute reads one route by name or id.
func (c *Client) GetRoute(ctx context.Context, nameOrID string) (Route, error) {
	var r Route
	err := c.do(ctx, http.MethodGet, entityPath("routes", nameOrID), nil, &r)
	return r, err
}

// PutRoute creates or replaces the route with that name (or id).
func (c *Client) PutRoute(ctx context.Context, nameOrID string, r Route) (Route, error) {
	var out Route
	err := c.do(ctx, http.MethodPut, entityPath("routes", nameOrID), r, &out)
	return out, err
}

// PatchRoute changes the fields given in fields.
func (c *Client) PatchRoute(ctx context.Context, nameOrID string, fields map[string]any) (Route, error) {
	var out Route
	err := c.do(ctx, http.MethodPatch, entityPath("routes", nameOrID), fields, &out)
	return out, err
}

// DeleteRoute deletes a route (and, in Kong, its plugins).
func (c *Client) DeleteRoute(ctx context.Context, nameOrID string) error {
	return c.do(ctx, http.MethodDelete, entityPath("routes", nameOrID), nil, nil)
}

// GetPlugin reads one plugin by id.
func (c *Client) GetPlugin(ctx context.Context, id string) (Plugin, error) {
	var p Plugin
	err := c.do(ctx, http.MethodGet, entityPath("plugins", id), nil, &p)
	return p, err
}

// PutPlugin creates or replaces the plugin with that id.
func (c *Client) PutPlugin(ctx context.Context, id string, p Plugin) (Plugin, error) {
	var out Plugin
	err := c.do(ctx, http.MethodPut, entityPath("plugins", id), p, &out)
	return out, err
}

// PatchPlugin changes the fields given in fields (config records merge, as in Kong).
func (c *Client) PatchPlugin(ctx context.Context, id string, fields map[string]any) (Plugin, error) {
	var out Plugin
	err := c.do(ctx, http.MethodPatch, entityPath("plugins", id), fields, &out)
	return out, err
}

// DeletePlugin deletes a plugin.
func (c *Client) DeletePlugin(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, entityPath("plugins", id), nil, nil)
}
