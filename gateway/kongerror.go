package gateway

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Kong's own texts for the answers the gateway gives itself (kong/error_handlers.lua,
// kong/runloop/handler.lua).
const (
	msgNoRoute    = "no Route matched with those values"
	msgNoService  = "no Service found with those values"
	msgUseHTTPS   = "Please use HTTPS protocol"
	msgBadRequest = "Bad request"
	msgBadGateway = "An invalid response was received from the upstream server"
	msgTimeout    = "The upstream server is timing out"
	msgUnexpected = "An unexpected error occurred"
)

// kongError is the body of Kong 3.x error responses.
type kongError struct {
	Message   string `json:"message"`
	RequestID string `json:"request_id,omitempty"`
}

// writeKongError answers with Kong's JSON error body. Kong marks answers it produced itself
// (not proxied) with X-Kong-Response-Latency and its Server header.
func writeKongError(w http.ResponseWriter, status int, msg string, st *reqState) {
	body := kongError{Message: msg}
	h := w.Header()
	if st != nil {
		body.RequestID = st.info.RequestID
		if !st.proxied {
			h.Set("X-Kong-Response-Latency", strconv.FormatInt(time.Since(st.start).Milliseconds(), 10))
		}
	}
	b, _ := json.Marshal(body)
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	h.Set("Server", ServerHeader)
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
