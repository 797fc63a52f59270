package browser

import (
	"errors"
	"fmt"
	"strings"
)

// Reasons a login fails; a *LoginError wraps one of them (check with errors.Is).
var (
	// ErrCredentialsRejected: the IdP showed its login form again after the credentials were
	// submitted (wrong password, unknown user).
	ErrCredentialsRejected = errors.New("the identity provider rejected the credentials")
	// ErrHTTPStatus: a page of the flow answered with a 4xx or 5xx status.
	ErrHTTPStatus = errors.New("a page of the login flow answered with an error status")
	// ErrNotReturned: the flow ended on a page that is not on the start URL's origin (an IdP
	// error page, a consent screen the driver does not understand).
	ErrNotReturned = errors.New("the login did not come back to the start origin")
	// ErrTooManyHops: more requests than the driver's bound (a redirect loop).
	ErrTooManyHops = errors.New("too many requests in one navigation")
	// ErrUnsupportedForm: a form the driver cannot submit faithfully (multipart, dialog).
	ErrUnsupportedForm = errors.New("unsupported form")
	// ErrNavigation: the browser could not load a page (connection refused, DNS, TLS).
	ErrNavigation = errors.New("navigation failed")
)

// LoginError is a failed Login or Get. Result is the last page seen, with every hop so far.
type LoginError struct {
	Reason error
	// Detail is a human explanation: the IdP's error message, the status, the URL.
	Detail string
	Result *Result
}

func (e *LoginError) Error() string {
	var b strings.Builder
	b.WriteString("browser: ")
	b.WriteString(e.Reason.Error())
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

func (e *LoginError) Unwrap() error { return e.Reason }

func loginErr(reason error, res *Result, format string, args ...any) *LoginError {
	return &LoginError{Reason: reason, Detail: fmt.Sprintf(format, args...), Result: res}
}

// ErrNoBrowser is matched (errors.Is) by the error NewChromium returns when no Chromium
// executable can be found.
var ErrNoBrowser = errors.New("no Chromium executable found")

// NoBrowserError lists where NewChromium looked for Chromium.
type NoBrowserError struct {
	Tried []string
}

func (e *NoBrowserError) Error() string {
	return fmt.Sprintf("browser: %v (tried %s; install the Debian package chromium or set OIDCLAB_CHROMIUM)",
		ErrNoBrowser, strings.Join(e.Tried, ", "))
}

func (e *NoBrowserError) Is(target error) bool { return target == ErrNoBrowser }
