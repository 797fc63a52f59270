package admin

import (
	"encoding/json"
	"testing"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/deck"
)

// /status is readable without credentials; a hash over the secrets would let anyone holding it
// test guesses of a short client or session secret offline. It covers the redacted
// configuration: only what is not secret changes it.
func TestStatusHashIsNotASecretOracle(t *testing.T) {
	hashOf := func(pluginCfg map[string]any) string {
		cfg := &deck.Config{
			Services: []deck.Service{svc("s")},
			Plugins:  []deck.Plugin{{Name: "p", Enabled: true, Service: "s", Config: pluginCfg}},
		}
		g := newTestGateway(t, cfg, gateway.Options{Plugins: gateway.Plugins{"p": tagFactory}})
		_, body := get(t, serve(t, New(g, Options{}))+"/status", nil)
		var st map[string]any
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatal(err)
		}
		h, _ := st["configuration_hash"].(string)
		if len(h) != 32 {
			t.Fatalf("configuration_hash %q", h)
		}
		return h
	}
	base := hashOf(map[string]any{"client_id": []any{"c"}, "client_secret": []any{"s3cret"}, "session_secret": "short"})
	tests := []struct {
		name string
		cfg  map[string]any
		same bool
	}{
		{"another client secret", map[string]any{"client_id": []any{"c"}, "client_secret": []any{"guess"}, "session_secret": "short"}, true},
		{"another session secret", map[string]any{"client_id": []any{"c"}, "client_secret": []any{"s3cret"}, "session_secret": "guess"}, true},
		{"another client id", map[string]any{"client_id": []any{"d"}, "client_secret": []any{"s3cret"}, "session_secret": "short"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hashOf(tt.cfg) == base; got != tt.same {
				t.Errorf("same hash %v, want %v", got, tt.same)
			}
		})
	}
}
