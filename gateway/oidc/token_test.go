package oidc

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAuthMethodChoice(t *testing.T) {
	withSecret := clientCreds{ID: "c", Secret: "s"}
	public := clientCreds{ID: "c"}
	tests := []struct {
		configured string
		advertised []string
		c          clientCreds
		want       string
	}{
		{"client_secret_post", []string{"client_secret_basic"}, withSecret, "client_secret_post"},
		{"", []string{"client_secret_post", "client_secret_basic"}, withSecret, "client_secret_basic"},
		{"", []string{"client_secret_post", "none"}, withSecret, "client_secret_post"},
		{"", []string{"client_secret_basic", "none"}, public, "none"},
		{"", nil, withSecret, "client_secret_basic"},
		{"", nil, public, "none"},
		{"", []string{"private_key_jwt"}, withSecret, "client_secret_basic"},
	}
	for _, tt := range tests {
		if got := authMethod(tt.configured, tt.advertised, tt.c); got != tt.want {
			t.Errorf("authMethod(%q, %v, secret=%v) = %q, want %q", tt.configured, tt.advertised, tt.c.Secret != "", got, tt.want)
		}
	}
}

func TestPostFormLimits(t *testing.T) {
	// The /hang handler outlives its request, so the header is handed over under a lock.
	var mu sync.Mutex
	var gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotAuth = r.Header.Get("Authorization")
		mu.Unlock()
		switch r.URL.Path {
		case "/big":
			w.Write([]byte(`{"access_token":"` + strings.Repeat("a", maxDocument) + `"}`))
		case "/hang":
			<-r.Context().Done()
		case "/redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
		case "/ok":
			w.Write([]byte(`{"access_token":"x","token_type":"bearer"}`))
		}
	}))
	t.Cleanup(srv.Close)
	// Only the hanging endpoint meets the short timeout: a 1 MiB answer under -race on a busy
	// machine may take longer than it, and this test is about limits, not speed.
	hc, short := newHTTPClient(30*time.Second), newHTTPClient(300*time.Millisecond)
	c := clientCreds{ID: "id:1", Secret: "p@ss w+rd"}
	call := func(path string) error {
		client := hc
		if path == "/hang" {
			client = short
		}
		_, err := postForm(t.Context(), client, "token", srv.URL+path, url.Values{}, c, "client_secret_basic")
		return err
	}
	if err := call("/big"); !errors.Is(err, ErrResponseTooLarge) {
		t.Errorf("oversized response: %v", err)
	}
	if err := call("/hang"); !errors.Is(err, ErrTimeout) {
		t.Errorf("hanging endpoint: %v", err)
	}
	var oe *OAuthError
	if err := call("/redirect"); !errors.As(err, &oe) || oe.Status != http.StatusTemporaryRedirect {
		t.Errorf("redirect was followed or misreported: %v", err)
	}
	if err := call("/ok"); err != nil {
		t.Fatal(err)
	}
	// RFC 6749 2.3.1: id and secret are form-encoded before base64.
	mu.Lock()
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(gotAuth, "Basic "))
	mu.Unlock()
	if string(raw) != "id%3A1:p%40ss+w%2Brd" {
		t.Errorf("Basic credentials %q are not form-encoded", raw)
	}
}

// An IdP error body that echoes what the request carried (the code, the verifier, the client
// secret, as sent or form-encoded) never reaches the error text that events, logs and
// display_errors show.
func TestOAuthErrorScrubsEchoedSecrets(t *testing.T) {
	const secret, code, verifier = "p@ss w+rd", "code-4f1b9c", "verifier-77aa"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		user, pass, _ := r.BasicAuth()
		json.NewEncoder(w).Encode(map[string]string{
			"error": "invalid_grant " + r.PostForm.Get("code"),
			"error_description": "code " + r.PostForm.Get("code") + " with verifier " + r.PostForm.Get("code_verifier") +
				" is not valid for " + user + ":" + pass + " (" + secret + ")",
		})
	}))
	t.Cleanup(srv.Close)
	md := &Metadata{TokenEndpoint: srv.URL}
	_, err := exchangeCode(t.Context(), newHTTPClient(time.Second), md, clientCreds{ID: "id", Secret: secret},
		"client_secret_basic", code, "http://rp/cb", verifier)
	var oe *OAuthError
	if !errors.As(err, &oe) || oe.Status != http.StatusBadRequest {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	for _, s := range []string{secret, url.QueryEscape(secret), code, verifier} {
		if strings.Contains(msg, s) {
			t.Errorf("error text shows %q: %s", s, msg)
		}
	}
	if !strings.Contains(msg, "invalid_grant") || !strings.Contains(msg, "is not valid for id:") {
		t.Errorf("scrubbing lost the rest of the message: %s", msg)
	}
}

// Answers that are not JSON objects, whatever their content type, are clear errors.
func TestBackChannelUnusableAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/html":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>login</html>"))
		case "/array":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`["access_token"]`))
		case "/no-token":
			w.Write([]byte(`{"token_type":"Bearer"}`))
		case "/mac":
			w.Write([]byte(`{"access_token":"x","token_type":"mac"}`))
		}
	}))
	t.Cleanup(srv.Close)
	hc := newHTTPClient(time.Second)
	c := clientCreds{ID: "id", Secret: "secret"}
	for path, want := range map[string]string{
		"/html": "not a token response", "/array": "not a token response",
		"/no-token": "without an access_token", "/mac": "only Bearer",
	} {
		_, err := tokenRequest(t.Context(), hc, &Metadata{TokenEndpoint: srv.URL + path}, c, "client_secret_basic", url.Values{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("token endpoint %s: %v, want %q", path, err, want)
		}
	}
	for _, path := range []string{"/html", "/array"} {
		if _, err := introspect(t.Context(), hc, srv.URL+path, c, "client_secret_basic", "tok"); err == nil ||
			!strings.Contains(err.Error(), "not a JSON object") {
			t.Errorf("introspection %s: %v", path, err)
		}
	}
}

// An IdP that echoes the Authorization header shows the client credentials base64-encoded:
// that form is scrubbed as well.
func TestOAuthErrorScrubsEchoedBasicCredentials(t *testing.T) {
	const secret = "s3cret-basic-value"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{
			"error": "invalid_client", "error_description": "bad credentials in " + r.Header.Get("Authorization"),
		})
	}))
	t.Cleanup(srv.Close)
	md := &Metadata{TokenEndpoint: srv.URL}
	_, err := exchangeCode(t.Context(), newHTTPClient(time.Second), md, clientCreds{ID: "id", Secret: secret},
		"client_secret_basic", "code-123456", "http://rp/cb", "")
	var oe *OAuthError
	if !errors.As(err, &oe) {
		t.Fatalf("err = %v", err)
	}
	encoded := base64.StdEncoding.EncodeToString([]byte("id:" + secret))
	if msg := err.Error(); strings.Contains(msg, encoded) || !strings.Contains(msg, "bad credentials in Basic") {
		t.Errorf("error text = %s", msg)
	}
}
