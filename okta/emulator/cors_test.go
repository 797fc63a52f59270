package emulator_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/okta/emulator/emulatortest"
)

func TestCORS(t *testing.T) {
	cfg := testConfig()
	cfg.TrustedOrigins = []string{"https://portal.example.com"}
	s := emulatortest.Start(t, cfg)
	tests := []struct {
		name, method, path, origin string
		status                     int
		allowed                    bool
	}{
		{"spa redirect origin, preflight", http.MethodOptions, "/v1/token", "http://localhost:3000", 204, true},
		{"configured origin, keys", http.MethodGet, "/v1/keys", "https://portal.example.com", 200, true},
		{"configured origin, discovery", http.MethodGet, "/.well-known/openid-configuration", "https://portal.example.com", 200, true},
		{"untrusted preflight", http.MethodOptions, "/v1/token", "https://evil.example", 403, false},
		{"untrusted GET still answers, without CORS", http.MethodGet, "/v1/keys", "https://evil.example", 200, false},
		{"web app origin is not trusted", http.MethodGet, "/v1/keys", "http://127.0.0.1:8000", 200, false},
		{"authorize is a navigation", http.MethodGet, "/v1/authorize", "http://localhost:3000", 400, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, s.Issuer()+tt.path, nil)
			req.Header.Set("Origin", tt.origin)
			req.Header.Set("Access-Control-Request-Method", "POST")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := resp.Header.Get("Access-Control-Allow-Origin")
			if resp.StatusCode != tt.status || (got == tt.origin) != tt.allowed || (!tt.allowed && got != "") {
				t.Errorf("%d, Access-Control-Allow-Origin %q; want %d allowed=%v", resp.StatusCode, got, tt.status, tt.allowed)
			}
			if tt.allowed && tt.method == http.MethodOptions && !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
				t.Errorf("preflight allows headers %q", resp.Header.Get("Access-Control-Allow-Headers"))
			}
		})
	}
	if _, err := emulator.New(emulator.Config{TrustedOrigins: []string{"https://x.example/path", "ftp://y"}}, emulator.Options{}); err == nil ||
		!strings.Contains(err.Error(), "trusted_origins[0]") || !strings.Contains(err.Error(), "trusted_origins[1]") {
		t.Errorf("bad trusted origins: %v", err)
	}
}
