package tunnel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
)

// Error is a tunnel that could not open or stay open, with what to do about it. Its text never
// holds the authtoken.
type Error struct {
	Provider string // "ngrok"
	// Code is the service's error code (ERR_NGROK_107), "" when it gave none.
	Code string
	// Timeout: the service did not accept the session within Config.ConnectTimeout.
	Timeout bool
	// Message is the service's (or the network's) own words, authtoken scrubbed.
	Message string
	// Advice says what to change.
	Advice string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Provider)
	if e.Code != "" {
		fmt.Fprintf(&b, " refused (%s)", e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Advice != "" {
		b.WriteString("\n" + e.Advice)
	}
	return b.String()
}

// Is makes errors.Is(err, context.DeadlineExceeded) true for a watchdog timeout.
func (e *Error) Is(target error) bool {
	return e.Timeout && target == context.DeadlineExceeded
}

// ngrok's error documentation, one page per code.
const ngrokErrorDocs = "https://ngrok.com/docs/errors/"

const tokenPage = "https://dashboard.ngrok.com/get-started/your-authtoken"

// ngrokAdvice maps ngrok's error codes to what the user should do. Codes not listed get their
// documentation page.
var ngrokAdvice = map[string]string{
	"ERR_NGROK_105":  "The authtoken in NGROK_AUTHTOKEN is malformed: copy it again from " + tokenPage + " and export NGROK_AUTHTOKEN=<token> (the token only, no quotes or spaces).",
	"ERR_NGROK_107":  "The authtoken in NGROK_AUTHTOKEN is not valid (reset, revoked, or its user left the team): copy the current one from " + tokenPage + " and export NGROK_AUTHTOKEN=<token>.",
	"ERR_NGROK_4018": "ngrok needs an authtoken from a verified account: sign up at https://dashboard.ngrok.com/signup, copy the token from " + tokenPage + " and export NGROK_AUTHTOKEN=<token>; or run with --tunnel none to stay on this machine.",
	"ERR_NGROK_108":  "Your ngrok account has reached its limit of simultaneous agent sessions (3 on the free plan): stop another ngrok agent or oidclab (listed at https://dashboard.ngrok.com/agents), then try again.",
	"ERR_NGROK_334":  "That URL is already online through another agent: stop the other ngrok agent or oidclab serving it, or choose another --ngrok-domain.",
	"ERR_NGROK_7117": "That domain is not reserved for your ngrok account: claim it at https://dashboard.ngrok.com/domains (every account gets one free dev domain), or leave out --ngrok-domain to get an assigned URL.",
	"ERR_NGROK_9037": "ngrok refused the endpoint URL: give --ngrok-domain a host name such as example.ngrok-free.dev.",
	"ERR_NGROK_120":  "ngrok no longer accepts this agent version: update oidclab.",
	"ERR_NGROK_121":  "ngrok no longer accepts this agent version: update oidclab.",
}

// AdviceFor returns what to do about an ngrok error code ("" for unknown codes).
func AdviceFor(code string) string { return ngrokAdvice[code] }

// AdviceCodes lists the ngrok codes with specific advice (for documentation).
func AdviceCodes() []string {
	return []string{"ERR_NGROK_105", "ERR_NGROK_107", "ERR_NGROK_4018", "ERR_NGROK_108", "ERR_NGROK_334", "ERR_NGROK_7117", "ERR_NGROK_9037", "ERR_NGROK_120", "ERR_NGROK_121"}
}

var codePattern = regexp.MustCompile(`ERR_NGROK_\d+`)

// codeOf finds ngrok's code in err: its ngrok.Error, else the code in its text.
func codeOf(err error) string {
	var coded interface{ Code() string }
	if errors.As(err, &coded) && coded.Code() != "" {
		return coded.Code()
	}
	return codePattern.FindString(err.Error())
}

// ngrokError turns an error of ngrok's SDK into an *Error with advice, the token scrubbed.
func ngrokError(err error, token string) *Error {
	var te *Error
	if errors.As(err, &te) {
		return te
	}
	code := codeOf(err)
	advice := AdviceFor(code)
	if advice == "" && code != "" {
		advice = "See " + ngrokErrorDocs + strings.ToLower(code) + "."
	}
	return &Error{Provider: "ngrok", Code: code, Message: firstLine(scrub(err.Error(), token)), Advice: advice}
}

// timeoutError is the watchdog's verdict: what ngrok last said, if it said anything with a
// code, else what to check.
func timeoutError(after time.Duration, last error, token string) *Error {
	e := &Error{Provider: "ngrok", Timeout: true, Message: fmt.Sprintf("no tunnel after %s", after)}
	if last != nil {
		le := ngrokError(last, token)
		e.Code = le.Code
		e.Message += " (last error: " + le.Message + ")"
		e.Advice = le.Advice
	}
	if e.Advice == "" && last != nil {
		e.Advice = "This machine did not reach ngrok's service (connect.ngrok-agent.com:443): check the network connection, DNS and firewall; on a slow network raise --tunnel-timeout; or run with --tunnel none to stay on this machine."
	}
	if e.Advice == "" {
		e.Advice = "ngrok's service did not answer. Check that NGROK_AUTHTOKEN holds your current authtoken (" + tokenPage + ") and that this machine can reach connect.ngrok-agent.com:443; on a slow network raise --tunnel-timeout; or run with --tunnel none to stay on this machine."
	}
	return e
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// redacted replaces the authtoken wherever it would appear (the project's one marker).
const redacted = "<redacted>"

// scrub removes the token from s. Short tokens are not real ones, and replacing them would
// mangle the text.
func scrub(s, token string) string {
	if len(token) < 8 {
		return s
	}
	return strings.ReplaceAll(s, token, redacted)
}

// scrubHandler keeps the authtoken out of the SDK's logs, whatever it chooses to log, and
// lowers its errors and chatter to debug: each failed retry is an ERROR there, while the user
// gets one error (Open's) or one event (a reconnect) that says what to do. Its warnings (an
// insecure Go toolchain, a deprecated agent) stay warnings.
type scrubHandler struct {
	slog.Handler
	token string
}

func (h scrubHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.Handler.Enabled(ctx, demote(l))
}

func demote(l slog.Level) slog.Level {
	if l == slog.LevelWarn {
		return l
	}
	return slog.LevelDebug
}

func (h scrubHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, demote(r.Level), scrub(r.Message, h.token), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h scrubHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		var as []slog.Attr
		for _, g := range v.Group() {
			as = append(as, h.attr(g))
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(as...)}
	}
	if s := v.String(); strings.Contains(s, h.token) {
		return slog.String(a.Key, scrub(s, h.token))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

func (h scrubHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = h.attr(a)
	}
	return scrubHandler{h.Handler.WithAttrs(out), h.token}
}

func (h scrubHandler) WithGroup(name string) slog.Handler {
	return scrubHandler{h.Handler.WithGroup(name), h.token}
}

func sdkLogger(l *slog.Logger, token string) *slog.Logger {
	return slog.New(scrubHandler{l.Handler(), token})
}
