package browser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// HTTPOptions configure the HTTP driver. The zero value is usable.
type HTTPOptions struct {
	// Transport makes the requests (nil: a private clone of http.DefaultTransport). Tests use
	// it to map host names onto loopback servers.
	Transport http.RoundTripper
	// MaxHops bounds the requests of one Login or Get (default 30).
	MaxHops int
	// MaxBodyBytes bounds each response body read (default 2 MiB). A longer body is an error.
	MaxBodyBytes int64
	// Timeout bounds one Login or Get (default 30s), on top of the caller's context.
	Timeout time.Duration
	// Now is the jar's clock (nil: time.Now).
	Now func() time.Time
	// UserAgent sent with every request (default "oidclab-browser/1").
	UserAgent string
	// Logger receives one debug line per hop, with redacted URLs (nil: discard).
	Logger *slog.Logger
}

// Validate reports every problem at once.
func (o HTTPOptions) Validate() error {
	var errs []error
	if o.MaxHops < 0 {
		errs = append(errs, fmt.Errorf("MaxHops: must not be negative, got %d", o.MaxHops))
	}
	if o.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("MaxBodyBytes: must not be negative, got %d", o.MaxBodyBytes))
	}
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("Timeout: must not be negative, got %s", o.Timeout))
	}
	return errors.Join(errs...)
}

// HTTP is a Driver built on net/http. It behaves like Chromium for what an OIDC login through
// a gateway depends on: redirects, form submission, and cookies (see Jar). It runs no script,
// so a page that only works with JavaScript (Okta's hosted sign-in widget) needs Chromium.
type HTTP struct {
	opts   HTTPOptions
	client *http.Client
	jar    *Jar
	log    *slog.Logger
}

var _ Driver = (*HTTP)(nil)

// NewHTTP returns an HTTP driver with an empty cookie jar.
func NewHTTP(opts HTTPOptions) (*HTTP, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("browser: invalid HTTP options: %w", err)
	}
	if opts.MaxHops == 0 {
		opts.MaxHops = 30
	}
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = 2 << 20
	}
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "oidclab-browser/1"
	}
	if opts.Transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = 15 * time.Second
		opts.Transport = t
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &HTTP{
		opts: opts,
		// Redirects are followed by hand so that every hop is recorded and cookies follow
		// browser rules; the jar is consulted by hand for the same reason.
		client: &http.Client{
			Transport:     opts.Transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		jar: NewJar(opts.Now),
		log: log,
	}, nil
}

// Jar is the driver's cookie jar.
func (d *HTTP) Jar() *Jar { return d.jar }

// Login implements Driver.
func (d *HTTP) Login(ctx context.Context, startURL string, creds Credentials) (*Result, error) {
	return d.navigate(ctx, startURL, &creds)
}

// Get implements Driver.
func (d *HTTP) Get(ctx context.Context, rawURL string) (*Result, error) {
	return d.navigate(ctx, rawURL, nil)
}

// Close implements Driver.
func (d *HTTP) Close() error {
	if t, ok := d.opts.Transport.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
	return nil
}

// request is the next top-level request of a navigation.
type request struct {
	method      string
	url         *url.URL
	body        string // urlencoded form, for POST
	initiator   *url.URL
	note        string
	fields      []string
	contentType string
	// referrerPolicy is the initiating page's policy (Referrer-Policy header or meta tag).
	referrerPolicy string
}

func parseStartURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("browser: start URL: %w", withoutURL(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("browser: start URL %q: want an absolute http or https URL", RedactURL(raw))
	}
	return u, nil
}

// loginProgress remembers what was submitted, to recognise a login form shown again.
type loginProgress struct {
	sentPassword, sentUsernameOnly bool
}

func (d *HTTP) navigate(ctx context.Context, rawURL string, creds *Credentials) (*Result, error) {
	start, err := parseStartURL(rawURL)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	defer cancel()

	res := &Result{}
	var progress loginProgress
	next := &request{method: http.MethodGet, url: start, note: "start"}
	for {
		if len(res.Hops) >= d.opts.MaxHops {
			res.Cookies = d.jar.Infos()
			return res, loginErr(ErrTooManyHops, res, "more than %d requests, last %s", d.opts.MaxHops, RedactURL(next.url.String()))
		}
		cur := next
		next = nil
		resp, body, hop, err := d.do(ctx, cur)
		res.Hops = append(res.Hops, hop)
		if err != nil {
			res.Cookies = d.jar.Infos()
			return res, loginErr(ErrNavigation, res, "%s %s: %v", cur.method, RedactURL(cur.url.String()), err)
		}
		d.log.Debug("browser hop", "method", hop.Method, "url", hop.URL, "status", hop.Status, "note", hop.Note)

		if loc := resp.Header.Get("Location"); isRedirect(resp.StatusCode) && loc != "" {
			target, err := cur.url.Parse(loc)
			if err != nil || target.Scheme != "http" && target.Scheme != "https" {
				res.Cookies = d.jar.Infos()
				return res, loginErr(ErrNavigation, res, "unusable Location %q", RedactURL(loc))
			}
			next = &request{method: http.MethodGet, url: target, initiator: cur.initiator, note: "redirect", referrerPolicy: cur.referrerPolicy}
			// A redirect response can set a new policy for the rest of the chain.
			if p := headerPolicy(resp.Header); p != "" {
				next.referrerPolicy = p
			}
			// Browsers keep the method and body only for 307 and 308.
			if resp.StatusCode == http.StatusTemporaryRedirect || resp.StatusCode == http.StatusPermanentRedirect {
				next.method, next.body, next.contentType, next.fields = cur.method, cur.body, cur.contentType, cur.fields
			}
			continue
		}

		res.URL = RedactURL(cur.url.String())
		res.Status = resp.StatusCode
		res.Body = string(body)
		res.ContentType = mediaType(resp.Header.Get("Content-Type"))
		res.Header = resp.Header.Clone()
		res.Header.Del("Set-Cookie") // values are secrets; Cookies has names and attributes
		res.Cookies = d.jar.Infos()

		var pg *htmlPage
		if isHTML(res.ContentType) {
			pg = parsePage(cur.url, body)
		}
		if pg != nil {
			if f := pg.loginForm(); f != nil && creds != nil {
				if progress.sentPassword || progress.sentUsernameOnly && !f.hasPassword() {
					return res, loginErr(ErrCredentialsRejected, res, "the login form came back (status %d)%s", resp.StatusCode, quoteMessage(pg.message))
				}
				if next, err = formRequest(f, cur.url, creds, "login form"); err != nil {
					return res, loginErr(ErrUnsupportedForm, res, "%v", err)
				}
				next.referrerPolicy = pagePolicy(resp.Header, pg)
				if f.hasPassword() {
					progress.sentPassword = true
				} else {
					progress.sentUsernameOnly = true
				}
				continue
			}
		}
		if creds != nil && resp.StatusCode >= 400 {
			return res, loginErr(ErrHTTPStatus, res, "%s %s answered %d%s", cur.method, res.URL, resp.StatusCode, quoteMessage(messageOf(pg)))
		}
		// A page with a login form is never auto-submitted, even by Get: a user would stop there.
		if pg != nil && resp.StatusCode < 400 && pg.loginForm() == nil {
			if f := pg.autoSubmitForm(); f != nil {
				if next, err = formRequest(f, cur.url, nil, "auto-submitted form"); err != nil {
					return res, loginErr(ErrUnsupportedForm, res, "%v", err)
				}
				next.referrerPolicy = pagePolicy(resp.Header, pg)
				continue
			}
		}
		if creds != nil && !sameOrigin(cur.url, start) {
			return res, loginErr(ErrNotReturned, res, "ended on %s (status %d)%s", res.URL, resp.StatusCode, quoteMessage(messageOf(pg)))
		}
		return res, nil
	}
}

func messageOf(p *htmlPage) string {
	if p == nil {
		return ""
	}
	if p.message != "" {
		return p.message
	}
	return p.title
}

func quoteMessage(m string) string {
	if m == "" {
		return ""
	}
	return fmt.Sprintf(": %q", m)
}

// formRequest is the request a browser makes when the form is submitted from pageURL: by a
// click on its submit button when creds are filled in, by script (no submitter) otherwise.
func formRequest(f *htmlForm, pageURL *url.URL, creds *Credentials, note string) (*request, error) {
	if f.action.Scheme != "http" && f.action.Scheme != "https" {
		return nil, fmt.Errorf("form action %q is not http(s)", RedactURL(f.action.String()))
	}
	withSubmitter := creds != nil
	encoded := f.encode(creds, withSubmitter)
	r := &request{initiator: pageURL, note: note, fields: f.fieldNames(withSubmitter)}
	switch f.method {
	case http.MethodPost:
		if f.enctype != "application/x-www-form-urlencoded" && f.enctype != "" {
			return nil, fmt.Errorf("form enctype %q is not supported", f.enctype)
		}
		r.method, r.url, r.body = http.MethodPost, f.action, encoded
		r.contentType = "application/x-www-form-urlencoded"
	case http.MethodGet:
		u := *f.action
		u.RawQuery, u.Fragment, u.RawFragment = encoded, "", ""
		r.method, r.url = http.MethodGet, &u
	default:
		return nil, fmt.Errorf("form method %q is not supported", f.method)
	}
	return r, nil
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

func isHTML(mt string) bool {
	return mt == "text/html" || mt == "application/xhtml+xml"
}

// mediaType is the lower-cased type/subtype of a Content-Type header, as Chromium reports it.
func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return mt
}

// do sends one top-level request with the cookies and headers a browser would send, stores
// the response's cookies, and reads the body within the size bound.
func (d *HTTP) do(ctx context.Context, r *request) (*http.Response, []byte, Hop, error) {
	hop := Hop{Method: r.method, URL: RedactURL(r.url.String()), Note: r.note, FormFields: r.fields}
	var body io.Reader
	if r.method == http.MethodPost {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url.String(), body)
	if err != nil {
		return nil, nil, hop, withoutURL(err)
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	req.Header.Set("User-Agent", d.opts.UserAgent)
	// ngrok's free plan answers browsers with a warning page instead of the app; scripted logins
	// through a tunnel skip it the way ngrok documents. Other servers ignore the header.
	req.Header.Set("Ngrok-Skip-Browser-Warning", "1")
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8")
	setFetchMetadata(req.Header, r)

	nav := Navigation{Method: r.method, Initiator: r.initiator, TopLevel: true}
	sent, withheld := d.jar.Lookup(r.url, nav)
	for _, c := range sent {
		req.AddCookie(c)
		hop.CookiesSent = append(hop.CookiesSent, c.Name)
	}
	for _, w := range withheld {
		hop.CookiesNotSent = append(hop.CookiesNotSent, w.String())
	}

	resp, err := d.client.Do(req)
	if err != nil {
		err = withoutURL(err)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			return nil, nil, hop, fmt.Errorf("timed out: %w", err)
		}
		return nil, nil, hop, err
	}
	defer resp.Body.Close()
	hop.Status = resp.StatusCode

	set, rejected := d.jar.SetCookieHeaders(r.url, resp.Header.Values("Set-Cookie"))
	hop.CookiesSet = set
	for _, rc := range rejected {
		hop.CookiesRejected = append(hop.CookiesRejected, rc.String())
	}

	data, err := io.ReadAll(io.LimitReader(resp.Body, d.opts.MaxBodyBytes+1))
	if err != nil {
		return nil, nil, hop, fmt.Errorf("reading the body: %w", err)
	}
	if int64(len(data)) > d.opts.MaxBodyBytes {
		return nil, nil, hop, fmt.Errorf("body larger than %d bytes", d.opts.MaxBodyBytes)
	}
	return resp, data, hop, nil
}

// withoutURL drops the URL a *url.Error quotes (it is not redacted: it can carry a code or a
// password), keeping the cause.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
