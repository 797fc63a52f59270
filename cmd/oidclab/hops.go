package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc"
)

// printHops writes each login hop the gateway reports, with its explanation, until events is
// closed; plain proxied requests only withRequests. Events carry claims and explanations only,
// so nothing secret can reach the screen.
func printHops(w io.Writer, events <-chan gateway.Event, withRequests bool) {
	hp := hopPrinter{pending: map[string]hopRequest{}}
	for e := range events {
		if line := hp.line(e, withRequests); line != "" {
			fmt.Fprint(w, line)
		}
	}
}

// hopRequest is what earlier events said about a request still in flight. A request's events
// arrive in order and end with its request.proxied event, which forgets it.
type hopRequest struct {
	explained      string // the last explanation printed: a refusal is reported by two events
	pluginAnswered bool   // a plugin answered (302, re-POST page, 401): the upstream never saw it
}

type hopPrinter struct {
	pending map[string]hopRequest
}

func (hp *hopPrinter) line(e gateway.Event, withRequests bool) string {
	req := hp.pending[e.RequestID]
	if e.Kind == gateway.EventRequestFinished {
		delete(hp.pending, e.RequestID)
		if !withRequests || browserNoise(e) {
			return ""
		}
		if req.pluginAnswered && e.Message == "" {
			e.Message = fmt.Sprintf("answered by the gateway's plugin in %s", e.Latency.Round(10*time.Microsecond))
		}
		// Logged when the request started; the line is about its end.
		e.Time = e.Time.Add(e.Latency)
		return formatHop(e)
	}
	if e.RequestID == "" {
		return formatHop(e)
	}
	if e.Status != 0 {
		req.pluginAnswered = true
	}
	if e.Explain != "" && e.Explain == req.explained {
		e.Explain = "" // said on the line before
	} else if e.Explain != "" {
		req.explained = e.Explain
	}
	hp.pending[e.RequestID] = req
	return formatHop(e)
}

// formatHop renders one event, or "" for events not worth a line (plain proxied requests that
// succeeded are in the access log already).
func formatHop(e gateway.Event) string {
	mark := "→"
	if hopFailed(e) {
		mark = "✗"
	}
	switch e.Kind {
	case gateway.EventRequestFinished:
		if e.Status < 400 {
			mark = "✓"
		}
	case oidc.EventIDTokenVerified, oidc.EventSessionIssued, oidc.EventSessionRefreshed:
		mark = "✓"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", e.Time.Format("15:04:05"), mark)
	if e.Method != "" {
		fmt.Fprintf(&b, " %s %s", e.Method, e.Path)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, " %d", e.Status)
	}
	msg := e.Message
	if msg == "" {
		msg = defaultHopMessage(e)
	}
	fmt.Fprintf(&b, "  %s", msg)
	if e.Kind == oidc.EventIDTokenVerified {
		b.WriteString(claimSummary(e.Attrs))
	}
	b.WriteString("\n")
	if e.Explain != "" {
		for _, line := range strings.Split(e.Explain, "\n") {
			fmt.Fprintf(&b, "           %s\n", line)
		}
	}
	return b.String()
}

// logHops writes each hop as a log record (--json): failures at warn, with their explanation,
// the rest at info. Proxied requests are left to the access log.
func logHops(logger *slog.Logger, events <-chan gateway.Event) {
	for e := range events {
		if e.Kind == gateway.EventRequestFinished {
			continue
		}
		level := slog.LevelInfo
		if hopFailed(e) {
			level = slog.LevelWarn
		}
		attrs := []slog.Attr{slog.String("kind", string(e.Kind))}
		for _, a := range []struct{ k, v string }{{"request_id", e.RequestID}, {"method", e.Method}, {"path", e.Path}, {"explain", e.Explain}} {
			if a.v != "" {
				attrs = append(attrs, slog.String(a.k, a.v))
			}
		}
		if e.Status != 0 {
			attrs = append(attrs, slog.Int("status", e.Status))
		}
		if len(e.Attrs) > 0 {
			attrs = append(attrs, slog.Any("attrs", e.Attrs))
		}
		msg := e.Message
		if msg == "" {
			msg = string(e.Kind)
		}
		logger.LogAttrs(context.Background(), level, msg, attrs...)
	}
}

// hopFailed reports whether an event is a failure a person should look at.
func hopFailed(e gateway.Event) bool {
	switch e.Kind {
	case oidc.EventAuthFailed, oidc.EventIDTokenRejected, gateway.EventError:
		return true
	case oidc.EventCallbackReceived, gateway.EventRequestFinished:
		return e.Status >= 400
	}
	return false
}

// browserNoise is a request the browser makes on its own (the tab icon) that no route serves;
// a ✗ line for it would look like part of the login failing.
func browserNoise(e gateway.Event) bool {
	return e.Status == 404 && e.Route == "" && e.Path == "/favicon.ico"
}

// defaultHopMessage says what a bare event means.
func defaultHopMessage(e gateway.Event) string {
	if e.Kind != gateway.EventRequestFinished {
		return string(e.Kind)
	}
	switch {
	case e.Route == "" && e.Status == 404:
		return "no route matched"
	case e.Service != "":
		return fmt.Sprintf("answered via %s in %s", e.Service, e.Latency.Round(10*time.Microsecond))
	default:
		return fmt.Sprintf("answered in %s", e.Latency.Round(10*time.Microsecond))
	}
}

// claimSummary names who logged in, from the public claims the plugin attached.
func claimSummary(attrs map[string]any) string {
	var parts []string
	for _, k := range []string{"sub", "preferred_username", "email"} {
		if v, ok := attrs[k]; ok {
			parts = append(parts, fmt.Sprintf("%s=%v", k, v))
		}
	}
	if len(parts) == 0 {
		keys := make([]string, 0, len(attrs))
		for k := range attrs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts = keys
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, " ") + ")"
}
