package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// finish writes the access log line and publishes the request's event. Both carry the path
// without its query string and no header values: query strings of OIDC callbacks hold
// authorization codes, and Authorization/Cookie hold tokens and sessions.
func (g *Gateway) finish(w *statusWriter, r *http.Request, st *reqState) {
	latency := time.Since(st.start)
	status := w.status
	if status == 0 {
		status = http.StatusOK // a handler that wrote nothing sent an empty 200
	}
	route, service := st.info.Route, st.info.Service // empty when no route matched
	// Checked first so a gateway whose access log is off does not build the line's attributes
	// on every request.
	if g.log.Enabled(context.Background(), slog.LevelInfo) {
		g.log.LogAttrs(context.Background(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", st.path),
			slog.Int("status", status),
			slog.Duration("latency", latency),
			slog.String("route", route),
			slog.String("service", service),
			slog.String("client_ip", st.info.ClientIP.String()),
			slog.String("request_id", st.info.RequestID),
		)
	}
	by := st.answeredBy
	switch {
	case by != "":
	case st.proxied:
		by = AnsweredByUpstream
	default:
		// The route matched and the proxy never ran: a plugin wrote the answer itself.
		by = AnsweredByPlugin
	}
	var message string
	if st.reason == ReasonUpstreamUnreachable {
		message = "upstream request failed"
		g.log.LogAttrs(context.Background(), slog.LevelWarn, "upstream error",
			slog.String("route", route), slog.String("request_id", st.info.RequestID),
			slog.String("explain", st.explain))
	}
	// One event closes the request, failure included: a separate error event for the same
	// request would make every consumer pair them up again.
	g.bus.Publish(Event{
		Time:       st.start,
		Kind:       EventRequestFinished,
		RequestID:  st.info.RequestID,
		Route:      route,
		Service:    service,
		Method:     r.Method,
		Path:       st.path,
		Status:     status,
		AnsweredBy: by,
		Reason:     st.reason,
		Latency:    latency,
		Message:    message,
		Explain:    st.explain,
	})
}
