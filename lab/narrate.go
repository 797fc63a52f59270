package lab

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc"
)

// Mark is how a hop went, at a glance.
type Mark string

const (
	MarkStep Mark = "→" // a step of the flow
	MarkOK   Mark = "✓" // something was proven: a token verified, a session issued, a 2xx/3xx answer
	MarkFail Mark = "✗" // a failure; Reason says which
)

// Hop is one narrated step of a login, ready for a terminal (every text field is free of
// control characters) or a log record.
type Hop struct {
	Time       time.Time         `json:"time"`
	Mark       Mark              `json:"mark"`
	Kind       gateway.EventKind `json:"kind"`
	RequestID  string            `json:"request_id,omitempty"`
	Method     string            `json:"method,omitempty"`
	Path       string            `json:"path,omitempty"`
	Status     int               `json:"status,omitempty"`
	AnsweredBy gateway.Answerer  `json:"answered_by,omitempty"`
	Reason     gateway.Reason    `json:"reason,omitempty"`
	Message    string            `json:"message"`
	Explain    string            `json:"explain,omitempty"`
	// Attrs are the event's public details (claims of the verified user, the IdP endpoint),
	// for log records; Text shows only who logged in.
	Attrs map[string]any `json:"attrs,omitempty"`
}

// Failed reports whether the hop is a failure a person should look at.
func (h Hop) Failed() bool { return h.Mark == MarkFail }

// Text renders the hop as terminal lines: time, mark, request, status, message, then the
// explanation indented below.
func (h Hop) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", h.Time.Format("15:04:05"), h.Mark)
	if h.Method != "" {
		fmt.Fprintf(&b, " %s %s", h.Method, h.Path)
	}
	if h.Status != 0 {
		fmt.Fprintf(&b, " %d", h.Status)
	}
	fmt.Fprintf(&b, "  %s", h.Message)
	if h.Reason != "" {
		fmt.Fprintf(&b, " [%s]", h.Reason)
	}
	b.WriteString("\n")
	if h.Explain != "" {
		for _, line := range strings.Split(h.Explain, "\n") {
			fmt.Fprintf(&b, "           %s\n", line)
		}
	}
	return b.String()
}

// Narrator turns a lab's event stream into hops. It keeps a little state per request (whether
// a plugin answered it), so feed it every event of one stream, in order, from one goroutine.
type Narrator struct {
	// Requests also narrates requests that finished with nothing else to say (a front end that
	// shows the access log already has them). Failures are always narrated.
	Requests bool

	pluginAnswered map[string]bool // request id -> a plugin answered it: the upstream never saw it
}

// Narrate returns the hop for e, or false for events not worth one.
func (n *Narrator) Narrate(e gateway.Event) (Hop, bool) {
	if n.pluginAnswered == nil {
		n.pluginAnswered = map[string]bool{}
	}
	h := Hop{
		Time: e.Time, Kind: e.Kind, RequestID: e.RequestID, Method: e.Method, Path: Clean(e.Path),
		Status: e.Status, AnsweredBy: e.AnsweredBy, Reason: e.Reason,
		Message: Clean(e.Message), Explain: CleanText(e.Explain), Attrs: e.Attrs,
	}
	if e.Kind == gateway.EventRequestFinished {
		plugin := n.pluginAnswered[e.RequestID] || e.AnsweredBy == gateway.AnsweredByPlugin
		delete(n.pluginAnswered, e.RequestID)
		if BrowserNoise(e) || e.Reason == "" && !n.Requests {
			return Hop{}, false
		}
		if h.Message == "" {
			h.Message = finishedMessage(e, plugin)
		}
		// Published when the request started; the line is about its end.
		h.Time = e.Time.Add(e.Latency)
	} else if e.RequestID != "" && e.Status != 0 {
		n.pluginAnswered[e.RequestID] = true
	}
	if h.Message == "" {
		h.Message = string(e.Kind)
	}
	if e.Kind == oidc.EventIDTokenVerified {
		h.Message += claimSummary(e.Attrs)
	}
	h.Mark = markOf(e)
	return h, true
}

func markOf(e gateway.Event) Mark {
	switch {
	case e.Reason != "" || e.Status >= 400 || e.Kind == gateway.EventError:
		return MarkFail
	case e.Kind == gateway.EventRequestFinished,
		e.Kind == oidc.EventIDTokenVerified, e.Kind == oidc.EventSessionIssued, e.Kind == oidc.EventSessionRefreshed:
		return MarkOK
	}
	return MarkStep
}

// finishedMessage says who answered a request and how fast.
func finishedMessage(e gateway.Event, plugin bool) string {
	took := e.Latency.Round(10 * time.Microsecond)
	switch {
	case plugin:
		return fmt.Sprintf("answered by the gateway's plugin in %s", took)
	case e.Route == "" && e.Status == 404:
		return "no route matched"
	case e.AnsweredBy == gateway.AnsweredByGateway:
		return fmt.Sprintf("answered by the gateway in %s", took)
	case e.Service != "":
		return fmt.Sprintf("answered via %s in %s", Clean(e.Service), took)
	}
	return fmt.Sprintf("answered in %s", took)
}

// BrowserNoise reports whether e is a request the browser made on its own (the tab icon) that
// no route serves: a ✗ for it would look like part of the login failing.
func BrowserNoise(e gateway.Event) bool {
	return e.Status == 404 && e.Route == "" && e.Path == "/favicon.ico"
}

// claimSummary names who logged in, from the public claims the plugin attached.
func claimSummary(attrs map[string]any) string {
	var parts []string
	for _, k := range []string{"sub", "preferred_username", "email"} {
		if v, ok := attrs[k]; ok {
			parts = append(parts, Clean(fmt.Sprintf("%s=%v", k, v)))
		}
	}
	if len(parts) == 0 {
		for k := range attrs {
			parts = append(parts, Clean(k))
		}
		slices.Sort(parts)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, " ") + ")"
}

// Clean makes text from a request or an IdP safe for a terminal: control characters (which
// could retitle the terminal, move the cursor or hide text) and the bidirectional overrides
// (which reorder what is shown) are written as visible escapes.
func Clean(s string) string {
	// A raw byte that is not UTF-8 (0x9b is CSI on 8-bit terminals) is written as U+FFFD.
	if utf8.ValidString(s) && !strings.ContainsFunc(s, unsafeRune) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unsafeRune(r) {
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// CleanText is Clean for multi-line text (explanations, error lists): the line breaks stay.
func CleanText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Clean(l)
	}
	return strings.Join(lines, "\n")
}

func unsafeRune(r rune) bool {
	switch {
	case r == '\t': // moves the cursor to the next tab stop, nothing more
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f:
		return true
	}
	return false
}
