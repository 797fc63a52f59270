package deck

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		name       string
		config     map[string]any
		want       map[string]any
		notShowing []string // values that must appear nowhere in the redacted config
	}{
		{
			name:       "client secret list and session secret",
			config:     map[string]any{"client_secret": []any{"s3cret-a", "s3cret-b"}, "session_secret": "sess10n"},
			want:       map[string]any{"client_secret": []any{Redacted, Redacted}, "session_secret": Redacted},
			notShowing: []string{"s3cret-a", "s3cret-b", "sess10n"},
		},
		{
			name:       "client secret as []string (a config built in code)",
			config:     map[string]any{"client_secret": []string{"s3cret"}},
			want:       map[string]any{"client_secret": []any{Redacted}},
			notShowing: []string{"s3cret"},
		},
		{
			name: "passwords, nested and in lists of records",
			config: map[string]any{
				"session_redis_password": "redispw",
				"redis":                  map[string]any{"password": "nestedpw", "host": "redis.test", "port": 6379},
				"servers":                []any{map[string]any{"Password": "listpw", "name": "a"}},
			},
			want: map[string]any{
				"session_redis_password": Redacted,
				"redis":                  map[string]any{"password": Redacted, "host": "redis.test", "port": 6379},
				"servers":                []any{map[string]any{"Password": Redacted, "name": "a"}},
			},
			notShowing: []string{"redispw", "nestedpw", "listpw"},
		},
		{
			name: "secrets named otherwise",
			config: map[string]any{
				"client_jwk":                []any{map[string]any{"kty": "RSA", "d": "privkey"}},
				"http_proxy_authorization":  "Basic cHJveHk6cHc=",
				"https_proxy_authorization": "Basic cHJveHk6cHc=",
			},
			want: map[string]any{
				"client_jwk":                []any{Redacted},
				"http_proxy_authorization":  Redacted,
				"https_proxy_authorization": Redacted,
			},
			notShowing: []string{"privkey", "cHJveHk6cHc="},
		},
		{
			name:       "a secret record keeps its keys",
			config:     map[string]any{"client_jwk": map[string]any{"kty": "RSA", "d": "privkey"}},
			want:       map[string]any{"client_jwk": map[string]any{"kty": Redacted, "d": Redacted}},
			notShowing: []string{"privkey"},
		},
		{
			name:   "null and empty secrets say no secret is set",
			config: map[string]any{"client_secret": nil, "session_secret": "", "client_jwk": []any{}},
			want:   map[string]any{"client_secret": nil, "session_secret": Redacted, "client_jwk": []any{}},
		},
		{
			name: "non-secret fields untouched",
			config: map[string]any{
				"issuer":           "http://idp.test/oauth2/default",
				"client_id":        []any{"0oa1"},
				"scopes":           []any{"openid", "email"},
				"auth_methods":     []any{"authorization_code", "session"},
				"timeout":          10000,
				"ssl_verify":       true,
				"client_auth":      []any{"client_secret_basic"}, // a secret's name as a value is no secret
				"session_cookie":   map[string]any{"name": "session"},
				"redirect_uri":     nil,
				"token_post_args":  []any{},
				"upstream_headers": map[string]any{},
			},
		},
		{name: "no config", config: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &Config{
				FormatVersion: FormatVersion,
				Source:        "kong.yaml",
				Services:      []Service{{ID: "s1", Name: "svc", Protocol: "https", Host: "upstream.test", Port: 443, Tags: []string{"t"}}},
				Routes:        []Route{{ID: "r1", Name: "rt", Service: "svc", Paths: []string{"/anything"}, Headers: map[string][]string{"x": {"y"}}}},
				Plugins: []Plugin{{
					ID: "p1", Name: "openid-connect", Service: "svc", Config: tt.config, Enabled: true,
					Protocols: []string{"http"}, ConfigLines: map[string]int{"issuer": 9}, Pos: Pos{Line: 7, Path: "services.0.plugins.0"},
				}},
			}
			before := in.Clone()
			got := Redact(in)
			if !reflect.DeepEqual(in, before) {
				t.Fatalf("Redact modified its input:\n%#v\nwant\n%#v", in, before)
			}
			want := tt.want
			if want == nil {
				want = tt.config
			}
			if !reflect.DeepEqual(got.Plugins[0].Config, want) {
				t.Errorf("config %#v, want %#v", got.Plugins[0].Config, want)
			}
			// Everything but the config is carried over as is.
			rest, restBefore := *got, *before
			rest.Plugins = []Plugin{got.Plugins[0]}
			rest.Plugins[0].Config, restBefore.Plugins[0].Config = nil, nil
			if !reflect.DeepEqual(rest, restBefore) {
				t.Errorf("non-config fields changed:\n%#v\nwant\n%#v", rest, restBefore)
			}
			raw, _ := json.Marshal(got)
			for _, s := range tt.notShowing {
				if strings.Contains(string(raw), s) {
					t.Errorf("redacted config still shows %q: %s", s, raw)
				}
			}
			// The copy is deep: changing it leaves the input alone.
			if got.Plugins[0].Config != nil {
				got.Plugins[0].Config["issuer"] = "changed"
				if in.Plugins[0].Config["issuer"] == "changed" {
					t.Error("the redacted copy shares its config with the input")
				}
			}
		})
	}
	if Redact(nil) != nil {
		t.Error("Redact(nil) is not nil")
	}
	if got := Redact(&Config{}); got == nil || got.Plugins != nil {
		t.Errorf("Redact(empty) = %#v", got)
	}
}

func TestIsRedacted(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want bool
	}{
		{Redacted, true},
		{[]any{Redacted, Redacted}, true},
		{map[string]any{"d": Redacted}, true},
		{"s3cret", false},
		{[]any{Redacted, "s3cret"}, false},
		{[]any{}, false},
		{map[string]any{}, false},
		{nil, false},
		{"[redacted]", false},
	} {
		if got := IsRedacted(tt.v); got != tt.want {
			t.Errorf("IsRedacted(%#v) = %v", tt.v, got)
		}
	}
	// What Redact produces is recognised.
	cfg := Redact(&Config{Plugins: []Plugin{{Config: map[string]any{
		"client_secret": []any{"a"}, "session_secret": "b", "client_jwk": map[string]any{"d": "c"},
	}}}}).Plugins[0].Config
	for k, v := range cfg {
		if !IsRedacted(v) {
			t.Errorf("%s: %#v not recognised as redacted", k, v)
		}
	}
}
