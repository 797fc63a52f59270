package emulator_test

import (
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/okta/emulator/emulatortest"
)

// updating reports -update, which the package's internal tests define.
func updating() bool { f := flag.Lookup("update"); return f != nil && f.Value.String() == "true" }

// TestDiscovery compares both metadata documents (and the RFC 8414 path form) with goldens;
// the base URL is replaced by {base}.
func TestDiscovery(t *testing.T) {
	s := emulatortest.Start(t, testConfig())
	for _, tt := range []struct{ path, golden string }{
		{"/oauth2/default/.well-known/openid-configuration", "openid-configuration.golden.json"},
		{"/oauth2/default/.well-known/oauth-authorization-server", "oauth-authorization-server.golden.json"},
		{"/.well-known/oauth-authorization-server/oauth2/default", "oauth-authorization-server.golden.json"},
		{"/oauth2/default/.well-known/openid-configuration?client_id=" + webID, "openid-configuration.golden.json"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := get(t, s.URL()+tt.path)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			got := strings.ReplaceAll(body, s.URL(), "{base}")
			path := filepath.Join("testdata", tt.golden)
			if updating() {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("document differs from %s:\n%s", path, got)
			}
			for _, must := range []string{`"code_challenge_methods_supported":["S256"]`, `"form_post"`, `"client_secret_basic","client_secret_post"`} {
				if !strings.Contains(got, must) {
					t.Errorf("lacks %s", must)
				}
			}
			if strings.Contains(got, "authorization_response_iss_parameter_supported") {
				t.Error("Okta does not advertise RFC 9207 iss")
			}
		})
	}
}
