package okta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client calls the handful of Okta Management API operations oidclab needs, with an SSWS API
// token. It is plain net/http rather than Okta's Go SDK (v5.0.2), which drops the port of the
// org URL and so cannot reach an org emulated on 127.0.0.1:PORT. Methods are safe for
// concurrent use. The token never appears in an error or a log line.
type Client struct {
	org   *url.URL
	token string
	hc    *http.Client
	opts  ClientOptions
	log   *slog.Logger
}

// ClientOptions tune a Client; the zero value is ready to use.
type ClientOptions struct {
	// HTTPClient makes the requests (nil: a private one). Its redirect policy is replaced:
	// the client never follows redirects, so the token is only ever sent to the org.
	HTTPClient *http.Client
	// Timeout bounds each attempt of a call (default 30s), on top of the caller's context.
	Timeout time.Duration
	// MaxRetries is how often a rate-limited call (429) is retried (default 3; -1: never).
	MaxRetries int
	// MaxWait is the longest wait for a rate limit to reset (default 60s); Okta asking for a
	// longer one ends the call with the 429.
	MaxWait time.Duration
	// PageSize is the limit asked of list calls (default and Okta's maximum: 200).
	PageSize int
	// Logger receives one debug line per call (method, path, status); default discard.
	Logger *slog.Logger
	// sleep waits between retries; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

// maxResponseBytes bounds a Management API response (a page of 200 users is ~400 KB).
const maxResponseBytes = 8 << 20

// maxPages bounds how many pages one list call follows.
const maxPages = 100

// ErrNoToken is returned by NewClient without a token.
var ErrNoToken = errors.New("no Okta API token")

// NewClient returns a client for the org at orgURL (https://ORG.okta.com, or http on a
// loopback host such as the embedded IdP's http://127.0.0.1:9000).
func NewClient(orgURL, token string, opts ClientOptions) (*Client, error) {
	u, err := parseOrgURL(orgURL)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(token) == "" {
		return nil, ErrNoToken
	}
	if strings.ContainsAny(token, " \t\r\n") {
		return nil, errors.New("the Okta API token contains spaces or line breaks: copy it again, without the SSWS prefix")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 3
	} else if opts.MaxRetries < 0 {
		opts.MaxRetries = 0
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 60 * time.Second
	}
	if opts.sleep == nil {
		opts.sleep = sleepCtx
	}
	hc := &http.Client{}
	if opts.HTTPClient != nil {
		c := *opts.HTTPClient
		hc = &c
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{org: u, token: token, hc: hc, opts: opts, log: log}, nil
}

func parseOrgURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%w %q: want https://ORG.okta.com (the Admin Console's address without -admin)", ErrInvalidOrgURL, raw)
	}
	if strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		if strings.HasPrefix(u.Path, "/oauth2/") || strings.HasPrefix(u.Path, "/.well-known/") {
			return nil, fmt.Errorf("%w %q: that is an issuer; the org URL is %s", ErrInvalidOrgURL, raw, OrgURLOf(u.String()))
		}
		return nil, fmt.Errorf("%w %q: want only scheme and host, like https://ORG.okta.com", ErrInvalidOrgURL, raw)
	}
	if u.Scheme == "http" && !IsLoopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("%w %q: http is accepted on loopback hosts only; Okta orgs are https", ErrInvalidOrgURL, raw)
	}
	if strings.Contains(strings.ToLower(u.Hostname()), "-admin.") {
		return nil, fmt.Errorf("%w %q: that is the Admin Console; the org URL has no -admin (https://%s)", ErrInvalidOrgURL, raw, strings.Replace(u.Host, "-admin.", ".", 1))
	}
	u.Path, u.RawPath = "", ""
	return u, nil
}

// OrgURL is the org's base URL.
func (c *Client) OrgURL() string { return c.org.String() }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Sentinels matched (errors.Is) by *APIError and *UnreachableError.
var (
	ErrUnauthorized = errors.New("okta: invalid API token")
	ErrForbidden    = errors.New("okta: forbidden")
	ErrNotFound     = errors.New("okta: not found")
	ErrRateLimited  = errors.New("okta: rate limited")
	ErrUnreachable  = errors.New("okta: org unreachable")
)

// APIError is an error answer of the Management API, in Okta's format.
type APIError struct {
	Method string
	Path   string // without the query
	Status int
	// Code is Okta's errorCode (E0000001, ...), or the OAuth error code for OAuth-shaped bodies.
	Code    string
	Summary string
	Causes  []string
	// RequestID is Okta's errorId, to quote to Okta support.
	RequestID string
	// RetryAfter is how long Okta asked to wait (429 only).
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "okta: %s %s: HTTP %d", e.Method, e.Path, e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Summary != "" {
		b.WriteString(": " + e.Summary)
	}
	if len(e.Causes) > 0 {
		b.WriteString(" (" + strings.Join(e.Causes, "; ") + ")")
	}
	return b.String()
}

// Is matches the sentinel of the status.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	}
	return false
}

// UnreachableError is an org that gave no HTTP answer: DNS, connection, TLS or timeout.
type UnreachableError struct {
	OrgURL string
	Err    error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("okta: cannot reach %s: %v", e.OrgURL, e.Err)
}
func (e *UnreachableError) Unwrap() error        { return e.Err }
func (e *UnreachableError) Is(target error) bool { return target == ErrUnreachable }

// apiErrorBody parses both of Okta's error shapes: the Management API's and OAuth's.
type apiErrorBody struct {
	ErrorCode    string `json:"errorCode"`
	ErrorSummary string `json:"errorSummary"`
	ErrorID      string `json:"errorId"`
	ErrorCauses  []struct {
		ErrorSummary string `json:"errorSummary"`
	} `json:"errorCauses"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// call is one API call: method, path (under the org) or an absolute next-page URL, a JSON
// body or nil, and where to decode the answer (nil: discard).
type call struct {
	method string
	path   string
	query  url.Values
	next   string
	body   any
	out    any
}

// do runs a call, retrying while Okta rate-limits it, and returns the answer's headers.
func (c *Client) do(ctx context.Context, cl call) (http.Header, error) {
	target, err := c.target(cl)
	if err != nil {
		return nil, err
	}
	var body []byte
	if cl.body != nil {
		if body, err = json.Marshal(cl.body); err != nil {
			return nil, err
		}
	}
	for attempt := 0; ; attempt++ {
		h, err := c.attempt(ctx, cl.method, target, body, cl.out)
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests {
			return h, err
		}
		if attempt >= c.opts.MaxRetries {
			return h, err
		}
		if ae.RetryAfter > c.opts.MaxWait {
			return h, fmt.Errorf("%w; Okta asks to wait %s, longer than %s", err, ae.RetryAfter.Round(time.Second), c.opts.MaxWait)
		}
		c.log.Debug("okta: rate limited, waiting for the reset", "path", target.Path, "wait", ae.RetryAfter)
		if err := c.opts.sleep(ctx, ae.RetryAfter); err != nil {
			return h, fmt.Errorf("%w (gave up waiting: %v)", ae, err)
		}
	}
}

// target resolves a call's URL. A next-page link must stay on the org: it is followed with
// the token.
func (c *Client) target(cl call) (*url.URL, error) {
	if cl.next != "" {
		u, err := url.Parse(cl.next)
		if err != nil || u.Scheme != c.org.Scheme || !strings.EqualFold(u.Host, c.org.Host) {
			return nil, fmt.Errorf("okta: the next-page link %q leaves the org %s; not following it", cl.next, c.org)
		}
		return u, nil
	}
	u := *c.org
	u.Path = cl.path
	u.RawQuery = cl.query.Encode()
	return &u, nil
}

func (c *Client) attempt(ctx context.Context, method string, u *url.URL, body []byte, out any) (http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "SSWS "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "oidclab-okta/1")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			err = fmt.Errorf("no answer within %s: %w", c.opts.Timeout, err)
		}
		return nil, &UnreachableError{OrgURL: c.org.String(), Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	c.log.Debug("okta api call", "method", method, "path", u.Path, "status", resp.StatusCode, "duration", time.Since(start))
	if err != nil {
		return resp.Header, &UnreachableError{OrgURL: c.org.String(), Err: fmt.Errorf("reading the answer: %w", err)}
	}
	if len(data) > maxResponseBytes {
		return resp.Header, fmt.Errorf("okta: %s %s: answer larger than %d MiB", method, u.Path, maxResponseBytes>>20)
	}
	if resp.StatusCode >= 300 {
		return resp.Header, c.apiError(method, u.Path, resp, data)
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.Header, fmt.Errorf("okta: %s %s: the answer is not the JSON Okta sends: %v", method, u.Path, err)
		}
	}
	return resp.Header, nil
}

func (c *Client) apiError(method, path string, resp *http.Response, data []byte) *APIError {
	e := &APIError{Method: method, Path: path, Status: resp.StatusCode}
	var b apiErrorBody
	if json.Unmarshal(data, &b) == nil {
		e.Code, e.Summary, e.RequestID = b.ErrorCode, b.ErrorSummary, b.ErrorID
		if e.Code == "" {
			e.Code, e.Summary = b.Error, b.ErrorDescription
		}
		for _, cause := range b.ErrorCauses {
			e.Causes = append(e.Causes, cause.ErrorSummary)
		}
	}
	if e.Summary == "" {
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			e.Summary = "unexpected redirect to " + resp.Header.Get("Location") + " (is this the org URL?)"
		default:
			e.Summary = http.StatusText(resp.StatusCode) + " (the answer is not Okta's error format: is this the org URL?)"
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		e.RetryAfter = retryAfter(resp.Header, time.Now())
	}
	return e
}

// retryAfter is how long until X-Rate-Limit-Reset (epoch seconds), measured against the
// answer's Date so a skewed local clock does not matter; one second when neither helps.
func retryAfter(h http.Header, now time.Time) time.Duration {
	reset, err := strconv.ParseInt(h.Get("X-Rate-Limit-Reset"), 10, 64)
	if err != nil {
		return time.Second
	}
	ref := now
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		ref = d
	}
	wait := time.Unix(reset, 0).Sub(ref)
	if wait < 0 {
		wait = 0
	}
	// The reset is in whole seconds; a little margin keeps the retry out of the old window.
	return wait + 100*time.Millisecond
}

// list follows a list call through its Link rel="next" pages, handing each page to add.
func list[T any](ctx context.Context, c *Client, path string, query url.Values, add func([]T) bool) error {
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	if c.opts.PageSize > 0 {
		q.Set("limit", strconv.Itoa(c.opts.PageSize))
	}
	cl := call{method: http.MethodGet, path: path, query: q}
	for range maxPages {
		var page []T
		cl.out = &page
		h, err := c.do(ctx, cl)
		if err != nil {
			return err
		}
		if !add(page) {
			return nil
		}
		next := nextLink(h)
		if next == "" {
			return nil
		}
		cl = call{method: http.MethodGet, next: next}
	}
	return fmt.Errorf("okta: %s: more than %d pages", path, maxPages)
}

// nextLink finds rel="next" among the Link headers (one per relation, or comma-separated).
func nextLink(h http.Header) string {
	for _, v := range h.Values("Link") {
		for _, part := range strings.Split(v, ",") {
			target, params, ok := strings.Cut(strings.TrimSpace(part), ";")
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(k, "rel") && strings.Trim(val, `"`) == "next" {
					return strings.TrimSuffix(strings.TrimPrefix(target, "<"), ">")
				}
			}
		}
	}
	return ""
}
