package oidc_test

import (
	"strings"
	"testing"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/gatewaytest"
	"github.com/oidclab/oidclab/lab"
)

// A decK file with several plugin config problems is refused by the gateway with every problem,
// its path and its line.
func TestE2EConfigProblemsWithLines(t *testing.T) {
	yaml := `_format_version: "3.0"
services:
  - name: s
    url: http://httpbin.konghq.com/anything
    routes:
      - name: r
        paths: [/anything]
    plugins:
      - name: openid-connect
        config:
          issuer: http://idp.example.com/oauth2/default
          client_id: [abc]
          session_storage: redis
          login_action: bounce
`
	plugins := lab.Plugins()
	cfg := gatewaytest.Load(t, yaml, plugins)
	_, err := gateway.New(cfg, gateway.Options{Plugins: plugins})
	if err == nil {
		t.Fatal("config accepted")
	}
	for _, want := range []string{
		"config.issuer (line 11)", "uses http on a non-loopback host",
		"config.session_storage (line 13)", "not supported by oidclab",
		"config.login_action (line 14)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}
