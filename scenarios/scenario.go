// Package scenarios runs one-shot, scripted logins: a scenario starts a lab, drives a browser
// through the login, asserts what happened at every hop (from the browser's trace and the
// lab's events and reasons) and reports as text, JSON or JUnit.
package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/oidclab/oidclab/okta/emulator"
)

// Scenario is one scripted login, as read from a scenario file.
type Scenario struct {
	Name        string
	Description string
	// IdP is "local" (the embedded Okta-compatible IdP, the default) or "okta" (a real org from
	// DECK_ISSUER_URL, DECK_OKTA_CLIENT_ID, DECK_OKTA_CLIENT_SECRET, OKTA_TEST_USER and
	// OKTA_TEST_PASSWORD).
	IdP string
	// Emulator replaces the embedded IdP's configuration (okta/emulator's file format); nil is
	// emulator.Default(). The tutorial's client gains the gateway's redirect URIs either way.
	Emulator *emulator.Config
	Gateway  Gateway
	Tunnel   string // "none" (default) or "ngrok"
	Browser  string // "http", "chromium", or "" for the runner's choice
	Timeout  time.Duration
	Steps    []Step

	Source string // file name, or "built-in"
	Line   int
}

// Gateway is the decK configuration a scenario serves: the tutorial's file unless Deck or File
// says otherwise, with PluginConfig merged into every openid-connect plugin's config.
type Gateway struct {
	Deck         string         // inline decK text
	File         string         // a decK file, relative to the scenario file
	PluginConfig map[string]any // fields set on every openid-connect plugin
}

// Step is one action or check. Exactly one of its parts is set; Kind names it.
type Step struct {
	Kind string
	Line int

	Visit       *Visit        // visit, logout
	Login       *Login        // login
	Request     *Request      // request
	Expect      *Expect       // expect
	Duration    time.Duration // advance_clock, skew_clock, wait
	Fault       *Fault        // inject_fault
	Apply       *Gateway      // apply
	RotateKeys  bool          // rotate_keys
	ClearFaults bool          // clear_faults
	Description string
}

// Visit navigates the browser to Path (default the tutorial's route) on the lab's public URL;
// Host replaces its host name ("localhost" to start on the other loopback name).
type Visit struct {
	Path string `yaml:"path"`
	Host string `yaml:"host"`
}

// Login navigates and fills the IdP's sign-in forms. Without User, Username and Password it
// signs in as the demo user (or OKTA_TEST_USER with a real org). Fails says the login must not
// reach the app: the failure is what the scenario checks.
type Login struct {
	Path     string `yaml:"path"`
	Host     string `yaml:"host"`
	User     string `yaml:"user"` // a user of the embedded IdP's configuration, by login
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	Fails    bool   `yaml:"fails"`
}

// Request calls the gateway outside the browser, as an API client would.
type Request struct {
	Method string `yaml:"method"`
	Path   string `yaml:"path"`
	// Bearer sends Authorization: Bearer with "access_token" (the one the upstream received on
	// the last page that reached it) or "none" (default).
	Bearer string `yaml:"bearer"`
}

// Fault makes an embedded IdP endpoint misbehave (see emulator.Fault).
type Fault struct {
	Endpoint      string        `yaml:"endpoint"`
	Status        int           `yaml:"status"`
	Delay         time.Duration `yaml:"delay"`
	Count         int           `yaml:"count"`
	MalformedJSON bool          `yaml:"malformed_json"`
}

// Expect checks the outcome of the action step before it.
type Expect struct {
	Status       int               `yaml:"status"`
	BodyContains string            `yaml:"body_contains"`
	Header       map[string]string `yaml:"header"` // name → a substring of its value
	Upstream     *UpstreamExpect   `yaml:"upstream"`
	Cookies      map[string]Cookie `yaml:"cookies"`
	Events       []string          `yaml:"events"`    // event kinds that happened
	NoEvents     []string          `yaml:"no_events"` // event kinds that did not
	Reasons      []string          `yaml:"reasons"`   // failure reasons that happened
	NoReasons    bool              `yaml:"no_reasons"`
	// IdPRequests counts the embedded IdP's requests per endpoint (authorize, login, token, …).
	IdPRequests map[string]int `yaml:"idp_requests"`
}

// UpstreamExpect checks what the echo upstream received, from the page it answered.
type UpstreamExpect struct {
	Method    string            `yaml:"method"`
	Bearer    *bool             `yaml:"bearer"`
	Headers   map[string]string `yaml:"headers"`    // name → a substring of its value
	NoHeaders []string          `yaml:"no_headers"` // headers that must not reach it
	// Claims are claims of the access token the upstream received (decoded, as the upstream
	// would read them).
	Claims map[string]string `yaml:"claims"`
}

// Cookie checks a cookie the browser holds after the action (names and attributes only).
type Cookie struct {
	Present  *bool  `yaml:"present"`
	Secure   *bool  `yaml:"secure"`
	HTTPOnly *bool  `yaml:"http_only"`
	SameSite string `yaml:"same_site"`
}

// ParseError lists every problem of a scenario file, each with its line.
type ParseError struct {
	Source   string
	Problems []string
}

func (e *ParseError) Error() string {
	if len(e.Problems) == 1 {
		return e.Source + ": " + e.Problems[0]
	}
	return fmt.Sprintf("%s: %d problems:\n  - %s", e.Source, len(e.Problems), strings.Join(e.Problems, "\n  - "))
}

// MaxFileSize bounds a scenario file.
const MaxFileSize = 1 << 20

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Parse reads one scenario file. Unknown fields and bad values are errors naming the step and
// the line; every problem is reported at once.
func Parse(r io.Reader, source string) (*Scenario, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	p := &parser{source: source}
	if len(data) > MaxFileSize {
		p.add(0, "larger than %d KiB", MaxFileSize>>10)
		return nil, p.err()
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.add(0, "empty file")
		} else {
			p.add(0, "not YAML: %v", err)
		}
		return nil, p.err()
	}
	s := p.scenario(doc.Content[0])
	if err := p.err(); err != nil {
		return nil, err
	}
	return s, nil
}

type parser struct {
	source   string
	problems []string
}

func (p *parser) add(line int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		msg = fmt.Sprintf("line %d: %s", line, msg)
	}
	p.problems = append(p.problems, msg)
}

func (p *parser) err() error {
	if len(p.problems) == 0 {
		return nil
	}
	return &ParseError{Source: p.source, Problems: p.problems}
}

// fields checks that n is a mapping with only the known keys and returns key → value node.
func (p *parser) fields(n *yaml.Node, where string, known ...string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "%s: want a mapping", where)
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case !contains(known, k.Value):
			p.add(k.Line, "%s: unknown field %q (known: %s)", where, k.Value, strings.Join(known, ", "))
		case out[k.Value] != nil:
			p.add(k.Line, "%s: %q given twice", where, k.Value)
		default:
			out[k.Value] = v
		}
	}
	return out
}

// decode decodes n into v strictly (unknown fields are problems, with their lines).
func (p *parser) decode(n *yaml.Node, where string, v any) {
	b, err := yaml.Marshal(n)
	if err != nil {
		p.add(n.Line, "%s: %v", where, err)
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, e := range te.Errors {
				p.add(n.Line, "%s: %s", where, yamlMessage(e, n.Line))
			}
			return
		}
		p.add(n.Line, "%s: %v", where, err)
	}
}

// yamlMessage rewrites yaml.v3's "line N: …" (relative to the re-marshalled node) without Go
// type names.
var (
	yamlLineRE  = regexp.MustCompile(`^line \d+: `)
	yamlGoType  = regexp.MustCompile(` into \S*[.]\S+`)
	yamlUnknown = regexp.MustCompile(`field (\S+) not found in type \S+`)
)

func yamlMessage(msg string, _ int) string {
	msg = yamlLineRE.ReplaceAllString(msg, "")
	msg = yamlUnknown.ReplaceAllString(msg, "unknown field $1")
	return yamlGoType.ReplaceAllString(msg, "")
}

func (p *parser) str(n *yaml.Node, where string) string {
	if n.Kind != yaml.ScalarNode {
		p.add(n.Line, "%s: want a string", where)
		return ""
	}
	return n.Value
}

func (p *parser) duration(n *yaml.Node, where string) time.Duration {
	d, err := time.ParseDuration(p.str(n, where))
	if err != nil || d <= 0 {
		p.add(n.Line, "%s: %q is not a positive duration (e.g. 90s, 2h)", where, n.Value)
	}
	return d
}

func (p *parser) oneOf(n *yaml.Node, where string, allowed ...string) string {
	v := p.str(n, where)
	if !contains(allowed, v) {
		p.add(n.Line, "%s: %q: want %s", where, v, strings.Join(allowed, " or "))
	}
	return v
}

func (p *parser) scenario(n *yaml.Node) *Scenario {
	s := &Scenario{Source: p.source, Line: n.Line, IdP: "local", Tunnel: "none"}
	f := p.fields(n, "scenario", "name", "description", "idp", "emulator", "gateway", "tunnel", "browser", "timeout", "steps")
	if v := f["name"]; v != nil {
		if s.Name = p.str(v, "name"); !nameRE.MatchString(s.Name) {
			p.add(v.Line, "name %q: want lower-case letters, digits and dashes", s.Name)
		}
	} else {
		p.add(n.Line, "name is required")
	}
	if v := f["description"]; v != nil {
		s.Description = p.str(v, "description")
	}
	if v := f["idp"]; v != nil {
		s.IdP = p.oneOf(v, "idp", "local", "okta")
	}
	if v := f["emulator"]; v != nil {
		var cfg emulator.Config
		p.decode(v, "emulator", &cfg)
		s.Emulator = &cfg
		if s.IdP == "okta" {
			p.add(v.Line, "emulator: only with idp: local")
		}
	}
	if v := f["gateway"]; v != nil {
		s.Gateway = p.gateway(v, "gateway")
	}
	if v := f["tunnel"]; v != nil {
		s.Tunnel = p.oneOf(v, "tunnel", "none", "ngrok")
	}
	if v := f["browser"]; v != nil {
		s.Browser = p.oneOf(v, "browser", "http", "chromium")
	}
	if v := f["timeout"]; v != nil {
		s.Timeout = p.duration(v, "timeout")
	}
	steps := f["steps"]
	if steps == nil || steps.Kind != yaml.SequenceNode || len(steps.Content) == 0 {
		line := n.Line
		if steps != nil {
			line = steps.Line
		}
		p.add(line, "steps: want a list of at least one step")
		return s
	}
	for i, sn := range steps.Content {
		s.Steps = append(s.Steps, p.step(sn, i+1, s.IdP))
	}
	return s
}

func (p *parser) gateway(n *yaml.Node, where string) Gateway {
	var g Gateway
	f := p.fields(n, where, "deck", "file", "plugin_config")
	if v := f["deck"]; v != nil {
		g.Deck = p.str(v, where+".deck")
	}
	if v := f["file"]; v != nil {
		g.File = p.str(v, where+".file")
	}
	if g.Deck != "" && g.File != "" {
		p.add(n.Line, "%s: deck and file exclude each other", where)
	}
	if v := f["plugin_config"]; v != nil {
		p.decode(v, where+".plugin_config", &g.PluginConfig)
	}
	return g
}

// stepKinds are the step names, each the one key of a step's mapping.
var stepKinds = []string{"visit", "login", "request", "expect", "logout", "advance_clock", "skew_clock",
	"rotate_keys", "inject_fault", "clear_faults", "apply", "wait"}

// embeddedOnly are the steps that drive the embedded IdP.
var embeddedOnly = []string{"advance_clock", "skew_clock", "rotate_keys", "inject_fault", "clear_faults"}

func (p *parser) step(n *yaml.Node, i int, idp string) Step {
	st := Step{Line: n.Line}
	f := p.fields(n, fmt.Sprintf("step %d", i), append([]string{"description"}, stepKinds...)...)
	if v := f["description"]; v != nil {
		st.Description = p.str(v, "description")
		delete(f, "description")
	}
	if len(f) != 1 {
		kinds := make([]string, 0, len(f))
		for k := range f {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		p.add(n.Line, "step %d: want exactly one of %s (got %q)", i, strings.Join(stepKinds, ", "), kinds)
		return st
	}
	for kind, v := range f {
		st.Kind = kind
		where := fmt.Sprintf("step %d (%s)", i, kind)
		if idp == "okta" && contains(embeddedOnly, kind) {
			p.add(v.Line, "%s: only with the embedded IdP (idp: local)", where)
		}
		switch kind {
		case "visit", "logout":
			st.Visit = &Visit{}
			if v.Kind == yaml.ScalarNode {
				st.Visit.Path = v.Value
			} else {
				p.decode(v, where, st.Visit)
			}
		case "login":
			st.Login = &Login{}
			if !(v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
				p.decode(v, where, st.Login)
			}
			if st.Login.User != "" && (st.Login.Username != "" || st.Login.Password != "") {
				p.add(v.Line, "%s: user excludes username and password", where)
			}
		case "request":
			st.Request = &Request{}
			p.decode(v, where, st.Request)
			if st.Request.Bearer != "" && st.Request.Bearer != "none" && st.Request.Bearer != "access_token" {
				p.add(v.Line, "%s: bearer %q: want access_token or none", where, st.Request.Bearer)
			}
		case "expect":
			st.Expect = &Expect{}
			p.decode(v, where, st.Expect)
		case "advance_clock", "wait":
			st.Duration = p.duration(v, where)
		case "skew_clock":
			// Either way: the IdP's clock ahead of the gateway's, or behind it.
			if st.Duration, _ = time.ParseDuration(p.str(v, where)); st.Duration == 0 {
				p.add(v.Line, "%s: %q is not a non-zero duration (e.g. 10m, -2h)", where, v.Value)
			}
		case "rotate_keys", "clear_faults":
			var b bool
			p.decode(v, where, &b)
			if !b {
				p.add(v.Line, "%s: write %s: true", where, kind)
			}
			st.RotateKeys, st.ClearFaults = kind == "rotate_keys", kind == "clear_faults"
		case "inject_fault":
			st.Fault = &Fault{}
			p.decode(v, where, st.Fault)
			if !contains(emulator.Endpoints, st.Fault.Endpoint) {
				p.add(v.Line, "%s: endpoint %q: want one of %s", where, st.Fault.Endpoint, strings.Join(emulator.Endpoints, ", "))
			}
		case "apply":
			g := p.gateway(v, where)
			st.Apply = &g
		}
	}
	return st
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
