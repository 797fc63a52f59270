package deck

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// testEnv is the environment every golden file is rendered with.
var testEnv = map[string]string{
	"DECK_ISSUER_URL":         "https://dev-123456.okta.com/oauth2/default",
	"DECK_OKTA_CLIENT_ID":     "0oa-example-client",
	"DECK_OKTA_CLIENT_SECRET": "example-secret-value",
	"DECK_NGROK_HOST":         "https://example.ngrok.app/anything",
	"DECK_HOST":               "example.com",
	"DECK_PORT":               "8080",
	"DECK_ENABLED":            "false",
	"DECK_LEEWAY":             "2.5",
	"DECK_MULTILINE":          "line one\nline two\nline three",
	"DECK_TAG":                "lab",
}

func setTestEnv(t *testing.T) {
	t.Helper()
	for k, v := range testEnv {
		t.Setenv(k, v)
	}
}

var oidcOnly = []string{"openid-connect"}

type goldenCase struct {
	name    string // golden file is testdata/<name>.golden
	file    string
	plugins []string
}

// goldenCases runs every testdata input with openid-connect supported, plus the tutorial's file
// as it is before the plugin issue lands: no plugin supported at all.
func goldenCases(t *testing.T) []goldenCase {
	t.Helper()
	var cases []goldenCase
	for _, pattern := range []string{"testdata/*.yaml", "testdata/*.json"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			base := filepath.Base(f)
			name := strings.TrimSuffix(base, filepath.Ext(base))
			plugins := oidcOnly
			if name == "tutorial-no-plugin" {
				plugins = nil
			}
			cases = append(cases, goldenCase{name: name, file: f, plugins: plugins})
		}
	}
	return append(cases,
		goldenCase{name: "tutorial", file: tutorialFile, plugins: oidcOnly},
		goldenCase{name: "tutorial-no-plugins-supported", file: tutorialFile})
}

// tutorialFile is the tutorial's decK file, read from its one copy in the project.
const tutorialFile = "../../lab/tutorial/kong.yaml"

func render2golden(cfg *Config, err error) []byte {
	if err != nil {
		return []byte("error:\n" + err.Error() + "\n")
	}
	b, jerr := json.MarshalIndent(cfg, "", "  ")
	if jerr != nil {
		return []byte("json error: " + jerr.Error() + "\n")
	}
	return append(b, '\n')
}

func TestGolden(t *testing.T) {
	setTestEnv(t)
	for _, tc := range goldenCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := LoadFile(tc.file, nil, Options{Plugins: tc.plugins})
			if err != nil {
				var errs *Errors
				if !errors.As(err, &errs) {
					t.Fatalf("error is %T, want *Errors: %v", err, err)
				}
				if errs.Source != tc.file {
					t.Errorf("Source = %q, want %q", errs.Source, tc.file)
				}
				for _, p := range errs.Problems {
					if p.Line == 0 && tc.name != "err-empty" {
						t.Errorf("problem without a line: %s", p)
					}
				}
				if !strings.HasPrefix(tc.name, "err-") && tc.name != "tutorial-no-plugins-supported" {
					t.Errorf("unexpected error: %v", err)
				}
			} else if strings.HasPrefix(tc.name, "err-") {
				t.Errorf("%s loaded without error", tc.file)
			}
			got := render2golden(cfg, err)
			golden := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, rerr := os.ReadFile(golden)
			if rerr != nil {
				t.Fatalf("%v (run go test -update)", rerr)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (run go test -update to accept):\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
		})
	}
}

// stripPositions clears what legitimately differs between equivalent files.
func stripPositions(cfg *Config) *Config {
	c := cfg.Clone()
	c.Source = ""
	for i := range c.Services {
		c.Services[i].Pos = Pos{}
	}
	for i := range c.Routes {
		c.Routes[i].Pos = Pos{}
	}
	for i := range c.Plugins {
		c.Plugins[i].Pos = Pos{}
		c.Plugins[i].ConfigLines = nil
	}
	return c
}

func mustLoad(t *testing.T, file string, opts Options) *Config {
	t.Helper()
	cfg, err := LoadFile(file, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestNestedEqualsTopLevel(t *testing.T) {
	setTestEnv(t)
	nested := mustLoad(t, "testdata/nested.yaml", Options{Plugins: oidcOnly})
	top := mustLoad(t, "testdata/toplevel.yaml", Options{Plugins: oidcOnly})
	if a, b := stripPositions(nested), stripPositions(top); !reflect.DeepEqual(a, b) {
		t.Errorf("nested and top-level forms differ:\n%s\n%s", render2golden(a, nil), render2golden(b, nil))
	}
}

func TestYAMLEqualsJSON(t *testing.T) {
	setTestEnv(t)
	const y = `_format_version: "3.0"
services:
  - name: s
    url: http://example.com
    routes:
      - {name: r, paths: [/a], methods: [GET]}
plugins:
  - name: openid-connect
    route: r
    config: {issuer: "${{ env "DECK_ISSUER_URL" }}", leeway: 1.5, list: [1, true, null]}
`
	const j = `{"_format_version": "3.0",
 "services": [{"name": "s", "url": "http://example.com",
   "routes": [{"name": "r", "paths": ["/a"], "methods": ["GET"]}]}],
 "plugins": [{"name": "openid-connect", "route": {"name": "r"},
   "config": {"issuer": "${{ env "DECK_ISSUER_URL" }}", "leeway": 1.5, "list": [1, true, null]}}]}`
	a, err := Load(strings.NewReader(y), "a.yaml", Options{Plugins: oidcOnly})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(strings.NewReader(j), "b.json", Options{Plugins: oidcOnly})
	if err != nil {
		t.Fatal(err)
	}
	if x, y := stripPositions(a), stripPositions(b); !reflect.DeepEqual(x, y) {
		t.Errorf("YAML and JSON differ:\n%s\n%s", render2golden(x, nil), render2golden(y, nil))
	}
	if _, err := json.Marshal(a.Plugins[0].Config); err != nil {
		t.Errorf("config is not JSON-compatible: %v", err)
	}
}

func TestLoadFileStdin(t *testing.T) {
	setTestEnv(t)
	src, err := os.ReadFile(tutorialFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadFile("-", bytes.NewReader(src), Options{Plugins: oidcOnly})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Source != "-" {
		t.Errorf("Source = %q, want -", cfg.Source)
	}
	if _, err := LoadFile("-", nil, Options{}); err == nil {
		t.Error("stdin without a reader: want error")
	}
	_, err = LoadFile(filepath.Join(t.TempDir(), "missing.yaml"), nil, Options{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want os.ErrNotExist", err)
	}
}

func TestLoadTooLarge(t *testing.T) {
	big := bytes.Repeat([]byte("#"), MaxFileSize+1)
	_, err := Load(bytes.NewReader(big), "big.yaml", Options{})
	var errs *Errors
	if !errors.As(err, &errs) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v, want a size problem", err)
	}
}

func TestLoadUsesLookupEnv(t *testing.T) {
	src := "_format_version: \"3.0\"\nservices:\n  - name: s\n    host: ${{ env \"DECK_ONLY_HERE\" }}\n"
	cfg, err := Load(strings.NewReader(src), "x", Options{LookupEnv: fakeEnv(map[string]string{"DECK_ONLY_HERE": "h.example.com"})})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Services[0].Host != "h.example.com" {
		t.Errorf("host = %q", cfg.Services[0].Host)
	}
}

func TestIDsAreStable(t *testing.T) {
	setTestEnv(t)
	a := mustLoad(t, tutorialFile, Options{Plugins: oidcOnly})
	b := mustLoad(t, tutorialFile, Options{Plugins: oidcOnly})
	if a.Services[0].ID != b.Services[0].ID || a.Routes[0].ID != b.Routes[0].ID || a.Plugins[0].ID != b.Plugins[0].ID {
		t.Error("ids differ between two loads of the same file")
	}
	for _, id := range []string{a.Services[0].ID, a.Routes[0].ID, a.Plugins[0].ID} {
		if !IsUUID(id) {
			t.Errorf("derived id %q is not a UUID", id)
		}
	}
	if a.Services[0].ID == a.Routes[0].ID {
		t.Error("service and route share an id")
	}
}

func TestAliasBombIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("_format_version: \"3.0\"\nplugins:\n  - name: openid-connect\n    config:\n")
	b.WriteString("      a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		prev := "*a" + string(rune('0'+i-1))
		b.WriteString("      a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [" + strings.Repeat(prev+", ", 9) + prev + "]\n")
	}
	_, err := Load(strings.NewReader(b.String()), "bomb.yaml", Options{Plugins: oidcOnly})
	if err == nil || !strings.Contains(err.Error(), "aliases are expanded") {
		t.Fatalf("err = %v, want the expansion limit", err)
	}
}

func TestRecursiveAlias(t *testing.T) {
	src := "_format_version: \"3.0\"\nplugins:\n  - name: openid-connect\n    config:\n      a: &a [*a]\n"
	if _, err := Load(strings.NewReader(src), "rec.yaml", Options{Plugins: oidcOnly}); err == nil {
		t.Fatal("recursive alias: want error")
	}
}

// TestCheckPluginProblemsWithTheRest: a plugin's config problems come in the same error as the
// file's structural problems, in line order, at the line of the key each one names.
func TestCheckPluginProblemsWithTheRest(t *testing.T) {
	file := `_format_version: "3.0"
services:
  - name: s
    url: http://upstream.test
    retriez: 3
plugins:
  - name: openid-connect
    config:
      issuer: ""
      client_id: [a]
  - name: openid-connect
    service: s
    config: [not, a, mapping]
`
	var checked []string
	check := func(p Plugin) error {
		checked = append(checked, p.Pos.Path)
		errs := &Errors{}
		errs.Add("config.issuer", 0, "required field missing")
		errs.Add("config.client_id.0.x", 0, "deep problem")
		errs.Add("", 0, "whole plugin")
		return errs
	}
	_, err := Load(strings.NewReader(file), "k.yaml", Options{Plugins: oidcOnly, CheckPlugin: check})
	var de *Errors
	if !errors.As(err, &de) {
		t.Fatalf("want *Errors, got %v", err)
	}
	var got []string
	for _, p := range de.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`services.0.retriez (line 5): unknown field "retriez" (did you mean "retries"?)`,
		"plugins.0 (line 7): whole plugin",
		"plugins.0.config.issuer (line 9): required field missing",
		"plugins.0.config.client_id.0.x (line 10): deep problem",
		"plugins.1.config (line 13): config must be a mapping, got a list",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !reflect.DeepEqual(checked, []string{"plugins.0"}) {
		t.Errorf("checked %v; a plugin whose config did not decode is not checked", checked)
	}

	// An error that is not *Errors is filed at the plugin's config.
	_, err = Load(strings.NewReader("_format_version: \"3.0\"\nplugins:\n  - name: openid-connect\n"), "k.yaml",
		Options{Plugins: oidcOnly, CheckPlugin: func(Plugin) error { return errors.New("cannot build") }})
	if err == nil || err.Error() != "k.yaml: plugins.0.config (line 3): cannot build" {
		t.Errorf("plain error: %v", err)
	}
}

// TestSourceNamesInErrors: stdin is named as such, and a file that cannot be read says so.
func TestSourceNamesInErrors(t *testing.T) {
	_, err := LoadFile("-", strings.NewReader("_format_version: \"1.1\"\n"), Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "standard input: _format_version (line 1)") {
		t.Errorf("stdin: %v", err)
	}
	_, err = LoadFile(filepath.Join(t.TempDir(), "missing.yaml"), nil, Options{})
	if err == nil || !strings.Contains(err.Error(), "cannot read the state file: open ") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	_, err = LoadFile(t.TempDir(), nil, Options{})
	if err == nil || !strings.Contains(err.Error(), "cannot read the state file") {
		t.Errorf("directory: %v", err)
	}
}

// TestEnvProblemsWithTheRest: an unset or badly named variable does not hide the file's other
// problems, and what its empty value does to its own field or entity is not reported twice.
func TestEnvProblemsWithTheRest(t *testing.T) {
	file := `_format_version: "3.0"
services:
  - name: example-service
    url: ${{ env "DECK_UNSET_URL" }}
routes:
  - name: example-route
    pathz: [/anything]
    paths: [/anything]
    service: example-service
plugins:
  - name: openid-connect
    config:
      issuer: ${{ env "ISSUER" }}
      client_id: [${{ env "DECK_UNSET_ID" }}]
      timeout: soon
`
	check := func(p Plugin) error {
		errs := &Errors{}
		if p.Config["issuer"] == nil {
			errs.Add("config.issuer", 0, "required field missing")
		}
		if _, ok := p.Config["timeout"].(int); !ok {
			errs.Add("config.timeout", 0, "expected a number")
		}
		return errs.Err()
	}
	_, err := Load(strings.NewReader(file), "k.yaml", Options{Plugins: oidcOnly, CheckPlugin: check, LookupEnv: func(string) (string, bool) { return "", false }})
	want := `k.yaml: 5 problems:
  - line 4: environment variable 'DECK_UNSET_URL' present in state file but not set
  - routes.0.pathz (line 7): unknown field "pathz" (did you mean "paths"?)
  - line 13: environment variables in the state file must be prefixed with 'DECK_', found: 'ISSUER'
  - line 14: environment variable 'DECK_UNSET_ID' present in state file but not set
  - plugins.0.config.timeout (line 15): expected a number`
	if err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}

	// A conversion of an empty value fails: only the variables can be reported.
	_, err = Load(strings.NewReader("_format_version: \"3.0\"\nservices:\n  - name: s\n    port: ${{ env \"DECK_PORT\" | toInt }}\n    colour: red\n"),
		"k.yaml", Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err == nil || err.Error() != "k.yaml: line 4: environment variable 'DECK_PORT' present in state file but not set" {
		t.Errorf("conversion of an unset variable: %v", err)
	}
}
