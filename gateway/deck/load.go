package deck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// FormatVersion is the only decK _format_version oidclab reads: Kong Gateway 3.x's.
const FormatVersion = "3.0"

// MaxFileSize bounds a state file; real ones are kilobytes.
const MaxFileSize = 16 << 20

// Options control loading.
type Options struct {
	// Plugins lists the plugin names the caller can run; any other name is an error that lists these.
	Plugins []string
	// LookupEnv resolves ${{ env "DECK_X" }}; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// CheckPlugin, when set, validates the config of each plugin named in Plugins, so that its
	// problems are reported together with the rest of the file's rather than only once those
	// are fixed. It returns *Errors with paths relative to the plugin ("config.issuer"), as a
	// gateway.PluginFactory does; see PluginProblems.
	CheckPlugin func(Plugin) error
}

// Load reads a decK state file (YAML or JSON) from r. source names it in errors ("-" for stdin).
// Like decK it renders ${{ }} templates first, then decodes. Every problem in the file is
// reported at once as *Errors, each with its decK path and line; an I/O error is returned wrapped.
func Load(r io.Reader, source string, opts Options) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("deck: cannot read the state file %s: %w", sourceName(source), err)
	}
	if len(data) > MaxFileSize {
		errs := &Errors{Source: source}
		errs.Add("", 0, "file is larger than %d MiB", MaxFileSize>>20)
		return nil, errs
	}
	return load(data, source, opts)
}

// LoadFile reads path, or stdin when path is "-" (stdin given as in).
func LoadFile(path string, stdin io.Reader, opts Options) (*Config, error) {
	if path == "-" {
		if stdin == nil {
			return nil, errors.New("deck: no standard input to read the state file from")
		}
		return Load(stdin, "-", opts)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("deck: cannot read the state file: %w", err)
	}
	defer f.Close()
	return Load(f, path, opts)
}

// sourceName is how messages name a source: "-" reads better as "standard input".
func sourceName(source string) string {
	switch source {
	case "":
		return "config"
	case "-":
		return "standard input"
	}
	return source
}

func load(data []byte, source string, opts Options) (*Config, error) {
	errs := &Errors{Source: source}
	rendered, lines, envProblems, partial := renderTemplate(string(data), opts.LookupEnv)
	if len(envProblems) > 0 && !partial {
		errs.Problems = envProblems
		return nil, errs
	}
	// With bad or unset variables the file was rendered with them empty. What an empty value
	// does to its field (an empty list) or its entity (a service without a url) is the
	// variable's problem, already said; problems elsewhere in the file are reported with it.
	withEnvProblems := func(problems []Problem, index map[string]int) []Problem {
		onEnvLine := map[int]bool{}
		for _, p := range envProblems {
			onEnvLine[p.Line] = true
		}
		var envPaths []string
		for path, line := range index {
			if onEnvLine[line] {
				envPaths = append(envPaths, path)
			}
		}
		related := func(p Problem) bool {
			if onEnvLine[p.Line] {
				return true
			}
			for _, q := range envPaths {
				if p.Path != "" && (p.Path == q || strings.HasPrefix(q, p.Path+".") || strings.HasPrefix(p.Path, q+".")) {
					return true
				}
			}
			return false
		}
		out := slices.Clone(envProblems)
		for _, p := range problems {
			if !related(p) {
				out = append(out, p)
			}
		}
		return out
	}
	root, problem := parseYAML([]byte(rendered), lines)
	if problem != nil {
		errs.Problems = withEnvProblems([]Problem{*problem}, nil)
		errs.SortByLine()
		return nil, errs
	}

	d := newDecoder(lines)
	d.errs.Source = source
	dec := d.document(root)
	cfg := dec.cfg
	cfg.Source = source
	if !dec.formatSeen {
		// There is no line to point at; the top of the document is where it belongs.
		d.errs.Add("_format_version", lines.source(root.Line), "%s", missingFormatMessage)
	}

	ch := &checker{
		errs: d.errs, index: d.index, plugins: opts.Plugins, checkPlugins: true,
		reported: map[string]bool{}, unresolved: map[int]bool{},
	}
	for _, p := range d.errs.Problems {
		ch.reported[p.Path] = true
	}
	ch.derived = map[string]bool{}
	assignEntityIDs(cfg, ch.derived)
	ch.resolve(dec)
	assignPluginIDs(cfg, ch.derived)
	canonicalOrder(cfg)
	ch.config(cfg)
	if opts.CheckPlugin != nil {
		ch.pluginConfigs(cfg, opts.CheckPlugin)
	}
	if len(envProblems) > 0 {
		d.errs.Problems = withEnvProblems(d.errs.Problems, d.index)
	}

	if err := d.errs.Err(); err != nil {
		d.errs.SortByLine()
		return nil, err
	}
	return cfg, nil
}

// pluginConfigs runs check on every plugin of a known name whose config decoded.
func (c *checker) pluginConfigs(cfg *Config, check func(Plugin) error) {
	for i, p := range cfg.Plugins {
		path := entityPath(p.Pos, "plugins", i)
		if !slices.Contains(c.plugins, p.Name) || c.anyReported(path, "config") {
			continue
		}
		if err := check(p); err != nil {
			c.errs.Problems = append(c.errs.Problems, PluginProblems(p, err)...)
		}
	}
}

// PluginProblems files the error a plugin's validation returned under the plugin's path,
// each problem at the line of the config key it names (or of its closest parent that has
// one, or of the plugin): a *Errors keeps its problems, any other error becomes one problem
// at "config".
func PluginProblems(p Plugin, err error) []Problem {
	var de *Errors
	if !errors.As(err, &de) {
		return []Problem{{Path: p.Pos.Path + ".config", Line: p.Pos.Line, Message: err.Error()}}
	}
	out := make([]Problem, 0, len(de.Problems))
	for _, prob := range de.Problems {
		line := prob.Line
		for key := strings.TrimPrefix(prob.Path, "config."); line == 0 && key != ""; {
			if l, ok := p.ConfigLines[key]; ok {
				line = l
				break
			}
			// "client_id.0.x" is unknown: try its parent "client_id.0", then "client_id".
			i := strings.LastIndexByte(key, '.')
			if i < 0 {
				break
			}
			key = key[:i]
		}
		if line == 0 {
			line = p.Pos.Line
		}
		path := p.Pos.Path
		if prob.Path != "" {
			path += "." + prob.Path
		}
		out = append(out, Problem{Path: path, Line: line, Message: prob.Message, Err: prob.Err})
	}
	return out
}

// parseYAML parses exactly one YAML (or JSON) document; lines maps rendered lines to the file's.
func parseYAML(data []byte, lines lineMap) (root *yaml.Node, problem *Problem) {
	defer func() {
		// yaml.v3 has panicked on hostile input before; a config file must never crash the caller.
		if r := recover(); r != nil {
			root, problem = nil, &Problem{Message: fmt.Sprintf("the YAML parser failed on this file: %v", r)}
		}
	}()
	ydec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := ydec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Problem{Message: "the file is empty: a decK state file starts with _format_version: \"3.0\""}
		}
		return nil, yamlProblem(err, lines)
	}
	var extra yaml.Node
	if err := ydec.Decode(&extra); err == nil {
		return nil, &Problem{Line: lines.source(extra.Line), Message: "a state file holds one YAML document; found another after \"---\""}
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlProblem(err, lines)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &Problem{Message: "the file is empty: a decK state file starts with _format_version: \"3.0\""}
	}
	root = doc.Content[0]
	if isNull(root) {
		return nil, &Problem{Line: lines.source(root.Line), Message: "the file is empty: a decK state file starts with _format_version: \"3.0\""}
	}
	return root, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func yamlProblem(err error, lines lineMap) *Problem {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &Problem{Line: lines.source(n), Message: "invalid YAML: " + m[2]}
	}
	return &Problem{Message: "invalid YAML: " + trimYAMLPrefix(msg)}
}

func trimYAMLPrefix(s string) string {
	if len(s) > 6 && s[:6] == "yaml: " {
		return s[6:]
	}
	return s
}

var olderFormat = regexp.MustCompile(`^[12](\.\d+)?$`)

const upgradeHint = "upgrade the file with `deck file convert --from kong-gateway-2.x --to kong-gateway-3.x` " +
	"(it sets _format_version to \"3.0\" and adds the ~ prefix to regex paths), then review it before use"

var missingFormatMessage = "_format_version is missing, so decK assumes '1.1': cannot apply '1.1' config format version " +
	"to Kong version 3.0 or above; add _format_version: \"3.0\", or " + upgradeHint

func formatMessage(v string) string {
	if olderFormat.MatchString(v) {
		return fmt.Sprintf("cannot apply '%s' config format version to Kong version 3.0 or above; %s", v, upgradeHint)
	}
	return fmt.Sprintf("unknown _format_version %q: oidclab reads decK files for Kong 3.x, _format_version: \"3.0\"", v)
}
