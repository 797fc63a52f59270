package scenarios

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	s, err := Parse(strings.NewReader(`name: my-login
description: a login
gateway:
  plugin_config: {auth_methods: [authorization_code, session]}
steps:
  - visit: /anything
  - login: {user: bob@example.com}
  - expect:
      status: 200
      upstream: {bearer: true, claims: {sub: bob@example.com}}
      reasons: [user_not_assigned]
  - advance_clock: 2h
  - skew_clock: -5m
  - inject_fault: {endpoint: token, status: 503, count: 1}
  - rotate_keys: true
  - wait: 10ms
`), "my.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "my-login" || s.IdP != "local" || s.Tunnel != "none" || len(s.Steps) != 8 {
		t.Fatalf("parsed %+v", s)
	}
	if s.Steps[1].Login.User != "bob@example.com" || s.Steps[2].Expect.Upstream.Claims["sub"] != "bob@example.com" ||
		s.Steps[3].Duration != 2*time.Hour || s.Steps[4].Duration != -5*time.Minute || s.Steps[5].Fault.Status != 503 || !s.Steps[6].RotateKeys {
		t.Errorf("steps: %+v", s.Steps)
	}
	if s.Steps[2].Line != 8 {
		t.Errorf("expect's line = %d, want 8", s.Steps[2].Line)
	}
}

// Every problem is reported at once, each naming its step and line.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"empty", ``, []string{"empty file"}},
		{"not yaml", "name: [", []string{"not YAML"}},
		{"no name, no steps", "description: x\n", []string{"name is required", "steps: want a list"}},
		{"bad name", "name: My Login\nsteps: [{visit: /}]\n", []string{`line 1: name "My Login"`}},
		{"unknown top field", "name: a\nstepz: []\nsteps: [{visit: /}]\n", []string{`line 2: scenario: unknown field "stepz"`}},
		{"unknown step", "name: a\nsteps:\n  - visit: /\n  - click: button\n", []string{`line 4: step 2: unknown field "click"`}},
		{"two kinds in a step", "name: a\nsteps:\n  - {visit: /, wait: 1s}\n", []string{"line 3: step 1: want exactly one of"}},
		{"unknown expect field", "name: a\nsteps:\n  - visit: /\n  - expect: {statuz: 200}\n", []string{"line 4: step 2 (expect): unknown field statuz"}},
		{"wrong type", "name: a\nsteps:\n  - visit: /\n  - expect: {status: ok}\n", []string{"line 4: step 2 (expect):"}},
		{"bad duration", "name: a\nsteps:\n  - wait: soon\n", []string{`line 3: step 1 (wait): "soon" is not a positive duration`}},
		{"bad endpoint", "name: a\nsteps:\n  - inject_fault: {endpoint: tokens, status: 500}\n", []string{`endpoint "tokens": want one of`}},
		{"embedded only with okta", "name: a\nidp: okta\nsteps:\n  - rotate_keys: true\n", []string{"line 4: step 1 (rotate_keys): only with the embedded IdP"}},
		{"bad idp", "name: a\nidp: auth0\nsteps: [{visit: /}]\n", []string{`line 2: idp: "auth0": want local or okta`}},
		{"deck and file", "name: a\ngateway: {deck: x, file: y}\nsteps: [{visit: /}]\n", []string{"deck and file exclude each other"}},
		{"bad bearer", "name: a\nsteps:\n  - request: {bearer: id_token}\n", []string{`bearer "id_token"`}},
		{"user and password", "name: a\nsteps:\n  - login: {user: a, password: b}\n", []string{"user excludes username and password"}},
		{"several at once", "name: A\nsteps:\n  - wait: x\n  - nope: 1\n", []string{"line 1: name", "line 3: step 1 (wait)", `line 4: step 2: unknown field "nope"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.src), "s.yaml")
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *ParseError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestMergePluginConfig(t *testing.T) {
	src := []byte(`_format_version: "3.0"
services:
  - name: s
    url: http://httpbin.konghq.com/anything
    plugins:
      - name: openid-connect
        config:
          issuer: ${{ env "DECK_ISSUER_URL" }}
          scopes: [openid]
`)
	out, err := mergePluginConfig(src, map[string]any{"scopes": []string{"openid", "email"}, "session_secret": "s"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`${{ env "DECK_ISSUER_URL" }}`, "- email", "session_secret: s"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("merged file lacks %q:\n%s", want, out)
		}
	}
	if _, err := mergePluginConfig([]byte("_format_version: \"3.0\"\n"), map[string]any{"a": 1}); err == nil {
		t.Error("no plugin to merge into, and no error")
	}
}
