package browser

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
)

// Login implements Driver.
func (c *Chromium) Login(ctx context.Context, startURL string, creds Credentials) (*Result, error) {
	return c.navigate(ctx, startURL, &creds)
}

// Get implements Driver.
func (c *Chromium) Get(ctx context.Context, rawURL string) (*Result, error) {
	return c.navigate(ctx, rawURL, nil)
}

// pageState is what inspectJS reports about the current document.
type pageState struct {
	URL     string      `json:"url"`
	Title   string      `json:"title"`
	Message string      `json:"message"`
	Forms   []formState `json:"forms"`
}

type formState struct {
	Index      int      `json:"index"`
	User       bool     `json:"user"`
	Pass       bool     `json:"pass"`
	HiddenOnly bool     `json:"hiddenOnly"`
	Fields     []string `json:"fields"`
}

func (s *pageState) loginForm() *formState {
	for i := range s.Forms {
		if s.Forms[i].User || s.Forms[i].Pass {
			return &s.Forms[i]
		}
	}
	return nil
}

func (s *pageState) autoSubmitForm() *formState {
	for i := range s.Forms {
		if s.Forms[i].HiddenOnly {
			return &s.Forms[i]
		}
	}
	return nil
}

// inspectJS classifies the forms of the document with the same rules as the HTTP driver.
const inspectJS = `(() => {
  const U = ["username", "identifier"], P = ["password", "credentials.passcode"];
  const skip = new Set(["submit", "image", "button", "reset", "file"]);
  const forms = Array.from(document.forms).map((f, index) => {
    const fields = Array.from(f.elements).filter(e => e.name && !e.disabled &&
      e.tagName !== "BUTTON" && !skip.has(e.type) &&
      !((e.type === "checkbox" || e.type === "radio") && !e.checked));
    return {
      index,
      user: fields.some(e => U.includes(e.name) && e.type !== "hidden"),
      pass: fields.some(e => P.includes(e.name) && e.type !== "hidden"),
      hiddenOnly: fields.length > 0 && fields.every(e => e.type === "hidden"),
      fields: fields.map(e => e.name),
    };
  });
  const m = document.querySelector('[role=alert], [class*="error" i]');
  const message = m ? (m.innerText || "").trim().slice(0, 200) : "";
  return {url: location.href, title: document.title || "", message, forms};
})()`

// markJS tags the inputs to type into, so that they can be addressed by CSS selectors, and
// clears them (a page can prefill the username).
func markJS(form int) string {
	return fmt.Sprintf(`(() => {
  const f = document.forms[%d];
  if (!f) return false;
  const U = ["username", "identifier"], P = ["password", "credentials.passcode"];
  for (const e of f.elements) {
    if (!e.name || e.type === "hidden" || e.disabled) continue;
    if (U.includes(e.name)) { e.setAttribute("data-oidclab-fill", "user"); e.value = ""; }
    if (P.includes(e.name)) { e.setAttribute("data-oidclab-fill", "pass"); e.value = ""; }
  }
  return true;
})()`, form)
}

// submitJS submits a form the way its submit button would (requestSubmit runs the page's
// submit handlers and validation), or as script does when asked to (no submitter).
func submitJS(form int, asUser bool) string {
	return fmt.Sprintf(`(() => {
  const f = document.forms[%d];
  if (!f) return false;
  if (%t && f.requestSubmit) {
    const b = f.querySelector('button[type=submit], button:not([type]), input[type=submit]');
    f.requestSubmit(b && b.form === f ? b : undefined);
  } else {
    HTMLFormElement.prototype.submit.call(f);
  }
  return true;
})()`, form, asUser)
}

func (c *Chromium) navigate(ctx context.Context, rawURL string, creds *Credentials) (*Result, error) {
	start, err := parseStartURL(rawURL)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()

	// Actions run on the tab's context (a chromedp context); the caller's ctx and the timeout
	// cancel them.
	nctx, cancel := context.WithTimeout(c.tab, c.opts.Timeout)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()

	t := c.tracker
	t.reset()
	res := &Result{}
	fail := func(reason error, format string, args ...any) (*Result, error) {
		c.finish(nctx, res)
		if ctx.Err() != nil && nctx.Err() != nil {
			format, args = "%v: "+format, append([]any{ctx.Err()}, args...)
		}
		return res, loginErr(reason, res, format, args...)
	}

	st0, _ := t.state()
	t.expect("start", nil)
	nav, err := chromedp.Call(nctx, page.Navigate, page.NavigateParams{URL: start.String()})
	if err == nil && nav.ErrorText != "" {
		err = errors.New(nav.ErrorText)
	}
	if err != nil {
		return fail(netErrorReason(err.Error()), "navigating to %s: %v", RedactURL(start.String()), err)
	}
	if _, err := t.wait(nctx, func(s trackerState) bool { return s.seq > st0.seq }); err != nil {
		return fail(ErrNavigation, "the browser did not start loading %s: %v", RedactURL(start.String()), err)
	}

	var progress loginProgress
	var waitedForForm int // seq of the document already given FormWait to render a form
	var inspectErrs int
	for {
		st, err := t.wait(nctx, func(s trackerState) bool { return s.settled })
		if err != nil {
			return fail(ErrNavigation, "waiting for the page to load: %v", err)
		}
		if st.hops > c.opts.MaxHops {
			return fail(ErrTooManyHops, "more than %d requests", c.opts.MaxHops)
		}
		if st.failed != "" {
			return fail(netErrorReason(st.failed), "%s after %d requests", st.failed, st.hops)
		}
		ps, err := chromedp.Run(nctx, chromedp.Evaluate[pageState](inspectJS))
		if now, _ := t.state(); now.seq != st.seq {
			continue // the page navigated while being inspected
		}
		if err != nil {
			// The document can go away under the evaluation; look again, a few times.
			if inspectErrs++; inspectErrs > 10 || nctx.Err() != nil {
				return fail(ErrNavigation, "inspecting the page: %v", err)
			}
			continue
		}
		inspectErrs = 0
		cur, _ := url.Parse(ps.URL)
		if cur == nil {
			cur = &url.URL{}
		}
		res.URL, res.Status = RedactURL(ps.URL), st.status

		if lf := ps.loginForm(); lf != nil && creds != nil {
			if progress.sentPassword || progress.sentUsernameOnly && !lf.Pass {
				return fail(ErrCredentialsRejected, "the login form came back (status %d)%s", st.status, quoteMessage(firstNonEmpty(ps.Message, ps.Title)))
			}
			if err := c.fillAndSubmit(nctx, lf, creds); err != nil {
				return fail(ErrNavigation, "submitting the login form: %v", err)
			}
			if lf.Pass {
				progress.sentPassword = true
			} else {
				progress.sentUsernameOnly = true
			}
			if reason, detail := c.waitAfterSubmit(nctx, st.seq); reason != nil {
				return fail(reason, "%s", detail)
			}
			continue
		}
		if creds != nil && st.status >= 400 {
			return fail(ErrHTTPStatus, "%s answered %d%s", res.URL, st.status, quoteMessage(firstNonEmpty(ps.Message, ps.Title)))
		}
		// A page with a login form is never auto-submitted, even by Get: a user would stop there.
		if af := ps.autoSubmitForm(); af != nil && st.status < 400 && ps.loginForm() == nil {
			// The page submits it by script; give it the chance, as a user would.
			t.expect("auto-submitted form", af.Fields)
			wctx, wcancel := context.WithTimeout(nctx, c.opts.AutoSubmitWait)
			_, err := t.wait(wctx, func(s trackerState) bool { return s.seq > st.seq })
			wcancel()
			if err != nil && nctx.Err() == nil {
				// No script (or it was blocked): submit it like a user pressing its button.
				t.expect("auto-submitted form (by the driver)", af.Fields)
				if _, err := chromedp.Run(nctx, chromedp.Evaluate[bool](submitJS(af.Index, false))); err != nil {
					c.log.Debug("browser: submitting the auto-submit form", "err", err)
				}
				if _, err := t.wait(nctx, func(s trackerState) bool { return s.seq > st.seq }); err != nil {
					return fail(ErrNavigation, "the auto-submitting form did not navigate: %v", err)
				}
			}
			continue
		}
		if creds != nil && !sameOrigin(cur, start) {
			// Off the start origin with nothing to do: a script-rendered login page may still be
			// drawing its form. Wait for a navigation or a form, once per document.
			if waitedForForm != st.seq {
				waitedForForm = st.seq
				c.waitForForm(nctx, st.seq)
				continue
			}
			return fail(ErrNotReturned, "ended on %s (status %d)%s", res.URL, st.status, quoteMessage(firstNonEmpty(ps.Message, ps.Title)))
		}
		c.finish(nctx, res)
		return res, nil
	}
}

// waitAfterSubmit waits for the navigation a login form submission causes. A script-driven
// login page (Okta's widget) answers a wrong password in place, without navigating: when
// nothing happens within FormWait and the page shows a login form and a message, that is the
// answer. A nil reason means the page navigated.
func (c *Chromium) waitAfterSubmit(ctx context.Context, seq int) (reason error, detail string) {
	moved := func(s trackerState) bool { return s.seq > seq }
	wctx, cancel := context.WithTimeout(ctx, c.opts.FormWait)
	_, err := c.tracker.wait(wctx, moved)
	cancel()
	if err == nil {
		return nil, ""
	}
	if ctx.Err() == nil {
		ps, perr := chromedp.Run(ctx, chromedp.Evaluate[pageState](inspectJS))
		if st, _ := c.tracker.state(); perr == nil && st.seq == seq && ps.loginForm() != nil && ps.Message != "" {
			return ErrCredentialsRejected, "the login page answered in place" + quoteMessage(ps.Message)
		}
		if _, err = c.tracker.wait(ctx, moved); err == nil {
			return nil, ""
		}
	}
	return ErrNavigation, fmt.Sprintf("the login form submission did not navigate: %v", err)
}

// waitForForm polls (a script-rendered page has no event for "form drawn") until the
// document has a form or the page navigates, for at most FormWait.
func (c *Chromium) waitForForm(ctx context.Context, seq int) {
	wctx, cancel := context.WithTimeout(ctx, c.opts.FormWait)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-wctx.Done():
			return
		case <-tick.C:
		}
		if st, _ := c.tracker.state(); st.seq != seq {
			return
		}
		n, err := chromedp.Run(wctx, chromedp.Evaluate[int](`document.forms.length`))
		if err == nil && n > 0 {
			return
		}
	}
}

// fillAndSubmit types the credentials into the marked inputs, like a user, then submits.
func (c *Chromium) fillAndSubmit(ctx context.Context, f *formState, creds *Credentials) error {
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](markJS(f.Index)))
	if err != nil {
		return fmt.Errorf("marking the inputs: %w", err)
	}
	if !ok {
		return fmt.Errorf("the form went away before it was filled")
	}
	if f.User {
		sel := chromedp.CSS(`[data-oidclab-fill="user"]`)
		if err := chromedp.Do(ctx, chromedp.SendKeys(sel, creds.Username)); err != nil {
			return fmt.Errorf("typing the username: %w", err)
		}
	}
	if f.Pass {
		sel := chromedp.CSS(`[data-oidclab-fill="pass"]`)
		if err := chromedp.Do(ctx, chromedp.SendKeys(sel, creds.Password)); err != nil {
			return fmt.Errorf("typing the password: %w", err)
		}
	}
	c.tracker.expect("login form", f.Fields)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](submitJS(f.Index, true))); err != nil {
		// The evaluation can lose its document to the navigation it caused; the caller waits
		// for that navigation and reports if there is none.
		c.log.Debug("browser: submitting the login form", "err", err)
	}
	return nil
}

// finish fills the result with the final document's body, the hops and the cookie store.
func (c *Chromium) finish(ctx context.Context, res *Result) {
	st, _ := c.tracker.state()
	res.Hops = c.tracker.snapshot()
	if res.Status == 0 {
		res.Status = st.status
	}
	if res.URL == "" && len(res.Hops) > 0 {
		res.URL = res.Hops[len(res.Hops)-1].URL
	}
	res.ContentType = st.mimeType
	res.Header = st.header
	if ctx.Err() != nil {
		// Use a short fresh budget for the read-back so that a timed-out login still reports
		// what the browser holds.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(c.tab, 5*time.Second)
		defer cancel()
	}
	// A document still loading (a timed-out navigation) has no body to read yet.
	if st.lastReq != "" && st.settled && st.failed == "" {
		if body, err := chromedp.Call(ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: st.lastReq}); err == nil {
			res.Body = string(body.Body)
			if body.Base64encoded {
				if dec, err := base64.StdEncoding.DecodeString(res.Body); err == nil {
					res.Body = string(dec)
				}
			}
		} else if text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`)); err == nil {
			res.Body = text
		}
	}
	if cookies, err := chromedp.Call(ctx, storage.GetCookies, storage.GetCookiesParams{}); err == nil {
		res.Cookies = cookieInfos(cookies.Cookies)
	}
	for _, h := range res.Hops {
		c.log.Debug("browser hop", "method", h.Method, "url", h.URL, "status", h.Status, "note", h.Note)
	}
}

func cookieInfos(cs []*network.Cookie) []CookieInfo {
	out := make([]CookieInfo, 0, len(cs))
	for _, c := range cs {
		if c == nil {
			continue
		}
		ci := CookieInfo{
			Name: c.Name, Domain: strings.TrimPrefix(c.Domain, "."), Path: c.Path,
			HostOnly: !strings.HasPrefix(c.Domain, "."), Secure: c.Secure, HTTPOnly: c.HTTPOnly,
			SameSite: string(c.SameSite), Size: int(c.Size),
		}
		if !c.Session && c.Expires > 0 {
			sec, frac := int64(c.Expires), c.Expires-float64(int64(c.Expires))
			ci.Expires = time.Unix(sec, int64(frac*1e9)).UTC()
		}
		out = append(out, ci)
	}
	sortCookieInfos(out)
	return out
}

// netErrorReason classifies a Chromium network error text: Chromium stops redirect loops itself
// (ERR_TOO_MANY_REDIRECTS), which is the HTTP driver's ErrTooManyHops.
func netErrorReason(text string) error {
	if strings.Contains(text, "ERR_TOO_MANY_REDIRECTS") {
		return ErrTooManyHops
	}
	return ErrNavigation
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
