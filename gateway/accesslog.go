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
	g.bus.Publish(Event{
		Time:      st.start,
		Kind:      EventRequestFinished,
		RequestID: st.info.RequestID,
		Route:     route,
		Service:   service,
		Method:    r.Method,
		Path:      st.path,
		Status:    status,
		Latency:   latency,
	})
	if st.errReason != "" {
		g.log.LogAttrs(context.Background(), slog.LevelWarn, "upstream error",
			slog.String("route", route), slog.String("request_id", st.info.RequestID),
			slog.String("explain", st.errReason))
		g.bus.Publish(Event{
			Kind:      EventError,
			RequestID: st.info.RequestID,
			Route:     route,
			Service:   service,
			Method:    r.Method,
			Path:      st.path,
			Status:    status,
			Message:   "upstream request failed",
			Explain:   st.errReason,
		})
	}
}
