package oidc

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ErrResponseTooLarge: an IdP response exceeded maxDocument.
var ErrResponseTooLarge = errors.New("oidc: response from the identity provider is too large")

// newHTTPClient is the back-channel client: the configured timeout bounds the whole exchange
// (connect, send, read), and redirects are never followed, so a token endpoint cannot bounce
// the client secret or a code to another host.
func newHTTPClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = timeout
	t.MaxIdleConnsPerHost = 16
	return &http.Client{
		Timeout:   timeout,
		Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// readCapped reads a response body up to maxDocument bytes.
func readCapped(resp *http.Response) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if len(body) > maxDocument {
		return nil, ErrResponseTooLarge
	}
	return body, nil
}
