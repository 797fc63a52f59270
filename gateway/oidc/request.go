package oidc

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/oidclab/oidclab/gateway"
)

// maxFormBody bounds how much of a request body the plugin reads to find callback, logout or
// bearer parameters; larger bodies are passed through untouched.
const maxFormBody = 1 << 20

// call is one request's trip through the plugin.
type call struct {
	p      *plugin
	w      http.ResponseWriter
	r      *http.Request
	info   gateway.RequestInfo
	origin origin
	client clientCreds
	md     *Metadata
	start  time.Time

	// sess is the session read from the request, kept to destroy it on 401/403.
	sess *sessionState
	// sessionProblem says why a session cookie that was sent could not be used.
	sessionProblem string

	formRead bool
	form     url.Values // urlencoded POST body, nil when none
	rawForm  string     // the same body as it came
}

func (p *plugin) newCall(w http.ResponseWriter, r *http.Request) *call {
	c := &call{p: p, w: w, r: r, start: p.now()}
	if info := gateway.RequestInfoFrom(r.Context()); info != nil {
		c.info = *info
	}
	// Outside the gateway (or when it leaves them empty) derive the forwarded values from r.
	if c.info.Scheme == "" {
		c.info.Scheme = "http"
		if r.TLS != nil {
			c.info.Scheme = "https"
		}
	}
	if c.info.Host == "" {
		host, port, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		c.info.Host = host
		if n, err := strconv.Atoi(port); err == nil {
			c.info.Port = n
		}
	}
	if c.info.Path == "" {
		c.info.Path = r.URL.Path
	}
	c.origin = origin{Scheme: c.info.Scheme, Host: c.info.Host}
	c.client = p.selectClient(c)
	return c
}

// currentURL is Kong's "uri": forwarded scheme, host, port (omitted when default) and path,
// without the query string.
func (c *call) currentURL() string {
	return c.hostURL() + c.info.Path
}

func (c *call) hostURL() string {
	host := c.info.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	port := c.info.Port
	if port != 0 && !(c.info.Scheme == "http" && port == 80) && !(c.info.Scheme == "https" && port == 443) {
		host += ":" + strconv.Itoa(port)
	}
	return c.info.Scheme + "://" + host
}

// rawRequestURI is the original path and query, as Kong's logout_uri_suffix sees it.
func (c *call) rawRequestURI() string {
	if c.r.URL.RawQuery != "" {
		return c.info.Path + "?" + c.r.URL.RawQuery
	}
	return c.info.Path
}

// postForm returns the urlencoded POST body, reading it at most once and putting it back so the
// upstream still gets it.
func (c *call) postForm() url.Values {
	if c.formRead {
		return c.form
	}
	c.formRead = true
	if c.r.Method != http.MethodPost || c.r.Body == nil {
		return nil
	}
	mt, _, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil
	}
	if c.r.ContentLength > maxFormBody {
		return nil
	}
	orig := c.r.Body
	body, err := io.ReadAll(io.LimitReader(orig, maxFormBody+1))
	if err != nil || len(body) > maxFormBody {
		// Not ours to parse: hand the upstream the body as it came, and a broken one broken:
		// net/http's body answers a clean EOF after its first error, so reading orig again
		// would pass a body cut short to the upstream as if it were complete.
		rest := io.Reader(orig)
		if err != nil {
			rest = errReader{err}
		}
		c.r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), rest), orig}
		return nil
	}
	orig.Close()
	c.r.Body = io.NopCloser(bytes.NewReader(body))
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil
	}
	c.form, c.rawForm = form, string(body)
	return form
}

// errReader fails every read with err.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// setPostBody replaces the urlencoded body (after stripping callback parameters).
func (c *call) setPostBody(body string) {
	c.rawForm = body
	c.form, _ = url.ParseQuery(body)
	c.r.Body = io.NopCloser(strings.NewReader(body))
	c.r.ContentLength = int64(len(body))
	c.r.TransferEncoding = nil // the new body has a known length
	c.r.Header.Set("Content-Length", strconv.Itoa(len(body)))
}

// selectClient picks the client as Kong does when several are configured: client_arg from a
// header (also with an X- prefix), the query, then the form body; the value is a client id or
// its 1-based index. Anything else selects the first client.
func (p *plugin) selectClient(c *call) clientCreds {
	if len(p.cfg.ClientID) <= 1 {
		return p.clientAt(0)
	}
	arg := p.cfg.ClientArg
	var v string
	for _, h := range p.clientArgHeaders {
		if v = c.r.Header.Get(h); v != "" {
			break
		}
	}
	if v == "" {
		v = c.r.URL.Query().Get(arg)
	}
	if v == "" {
		v = c.postForm().Get(arg)
	}
	for i, id := range p.cfg.ClientID {
		if v == id {
			return p.clientAt(i)
		}
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 1 && n <= len(p.cfg.ClientID) {
		return p.clientAt(n - 1)
	}
	return p.clientAt(0)
}

// clientArgHeaders are the headers client_arg is read from: the name as given and with
// dashes, each also with an X- prefix.
func clientArgHeaders(arg string) []string {
	dashed := strings.ReplaceAll(arg, "_", "-")
	return []string{arg, dashed, "X-" + arg, "X-" + dashed}
}

// clientAt returns client i; a missing secret falls back to the first one, as in Kong.
func (p *plugin) clientAt(i int) clientCreds {
	if i < 0 || i >= len(p.cfg.ClientID) {
		i = 0
	}
	return clientCreds{Index: i, ID: pick(p.cfg.ClientID, i), Secret: pick(p.cfg.ClientSecret, i)}
}

// pick returns list[i], falling back to list[0] (Kong's per-client arrays), or "".
func pick(list []string, i int) string {
	if i < len(list) {
		return list[i]
	}
	if len(list) > 0 {
		return list[0]
	}
	return ""
}

func (p *plugin) jwksURI(ctx context.Context) (string, error) {
	md, err := p.disc.get(ctx)
	if err != nil {
		return "", err
	}
	return md.JWKSURI, nil
}

// proceed hands the request to the rest of the route. The plugin's cookies are its own (the
// session carries an encrypted refresh token): whichever way the request came through, they
// are taken out of the upstream's Cookie header.
func (c *call) proceed(next http.Handler) {
	stripCookies(c.r.Header, c.p.cfg.SessionCookie.Name, c.p.cfg.AuthorizationCookie.Name)
	next.ServeHTTP(c.w, c.r)
}
