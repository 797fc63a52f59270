package gatewaytest

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/oidclab/oidclab/gateway"
)

func TestStartYAMLServesTheTutorialUpstream(t *testing.T) {
	t.Setenv("DECK_UPSTREAM", "http://httpbin.konghq.com/anything")
	g := StartYAML(t, `_format_version: "3.0"
services:
  - name: example-service
    url: ${{ env "DECK_UPSTREAM" }}
    routes:
      - name: example-route
        paths: [/anything]
`, Options{Scheme: "https"})
	resp, err := http.Get(g.URL + "/anything")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var echo struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(b, &echo); err != nil || echo.URL != "https://httpbin.konghq.com/anything" {
		t.Fatalf("echo: %v %s", err, b)
	}
	e := g.NextEvent(t, gateway.EventRequestFinished)
	if e.Route != "example-route" || e.Status != 200 {
		t.Errorf("event: %+v", e)
	}
	resp, err = http.Get(g.AdminURL + "/status")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("admin: %v", err)
	}
	resp.Body.Close()
}
