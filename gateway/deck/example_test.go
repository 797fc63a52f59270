package deck_test

import (
	"fmt"
	"strings"

	"github.com/oidclab/oidclab/gateway/deck"
)

func ExampleLoad() {
	const file = `_format_version: "3.0"
services:
  - name: example-service
    url: http://httpbin.konghq.com/anything
    routes:
      - name: example-route
        paths: [/anything]
`
	cfg, err := deck.Load(strings.NewReader(file), "kong.yaml", deck.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	s, r := cfg.Services[0], cfg.Routes[0]
	fmt.Println(s.Protocol, s.Host, s.Port, s.Path, s.ReadTimeout)
	fmt.Println(r.Name, "->", r.Service, r.Paths, r.Protocols, r.StripPath)
	// Output:
	// http httpbin.konghq.com 80 /anything 60000
	// example-route -> example-service [/anything] [http https] true
}

func ExampleErrors() {
	const file = `_format_version: "3.0"
services:
  - name: example-service
    url: http://httpbin.konghq.com/anything
routes:
  - name: example-route
    pathz: [/anything]
    service: {name: example-servcie}
plugins:
  - name: openid-connect
    service: example-service
    config:
      issuer: ${{ env "DECK_ISSUER_URL" }}
`
	lookup := func(string) (string, bool) { return "https://example.okta.com/oauth2/default", true }
	_, err := deck.Load(strings.NewReader(file), "kong.yaml", deck.Options{LookupEnv: lookup})
	fmt.Println(err)
	// Output:
	// kong.yaml: 4 problems:
	//   - routes.0 (line 6): must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http' or 'https'
	//   - routes.0.pathz (line 7): unknown field "pathz" (did you mean "paths"?)
	//   - routes.0.service (line 8): service "example-servcie" not found
	//   - plugins.0.name (line 10): plugin "openid-connect" is not supported by oidclab: no plugins are supported yet
}

func ExampleRedact() {
	const file = `_format_version: "3.0"
plugins:
  - name: openid-connect
    config:
      issuer: http://127.0.0.1:9000/oauth2/default
      client_id: [oidclab]
      client_secret: [s3cret]
`
	cfg, err := deck.Load(strings.NewReader(file), "kong.yaml", deck.Options{Plugins: []string{"openid-connect"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	shown := deck.Redact(cfg).Plugins[0].Config
	fmt.Println(shown["client_id"], shown["client_secret"], shown["issuer"])
	fmt.Println(cfg.Plugins[0].Config["client_secret"]) // the original keeps the secret
	// Output:
	// [oidclab] [<redacted>] http://127.0.0.1:9000/oauth2/default
	// [s3cret]
}
