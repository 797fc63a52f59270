package emulator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxConfigBytes bounds a configuration file.
const maxConfigBytes = 4 << 20

// LoadConfig reads and validates a YAML configuration file (see Config for the fields).
// Problems are reported all at once as "file:line: field.path: problem".
func LoadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("emulator config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return Config{}, fmt.Errorf("emulator config: read %s: %w", path, err)
	}
	return ParseConfig(data, path)
}

// ParseConfig decodes and validates YAML; name prefixes error messages (a file name).
// Unknown fields are errors, so a typo never silently falls back to a default.
func ParseConfig(data []byte, name string) (Config, error) {
	if len(data) > maxConfigBytes {
		return Config{}, fmt.Errorf("%s: larger than %d MiB", name, maxConfigBytes>>20)
	}
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var decodeProblems []string
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return Config{}, fmt.Errorf("%s: %w", name, err) // not YAML at all
		}
		// Unknown fields and wrong types are problems like any other: report them with the
		// ones validation finds in the rest of the file, in the same file:line form.
		decodeProblems = yamlProblems(te, name)
		cfg = Config{}
		_ = yaml.Unmarshal(data, &cfg) // decodes what it can, without KnownFields
	}
	err := cfg.Validate()
	var ve *ValidationError
	if err != nil && !errors.As(err, &ve) {
		return Config{}, err
	}
	if ve == nil && len(decodeProblems) == 0 {
		return cfg, nil
	}
	if ve == nil {
		ve = &ValidationError{}
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root)
	for i, p := range ve.Problems {
		path, _, _ := strings.Cut(p, ": ")
		ve.Problems[i] = fmt.Sprintf("%s:%d: %s", name, lineOf(&root, path), p)
	}
	ve.Problems = append(decodeProblems, ve.Problems...)
	return Config{}, ve
}

// yamlLine matches yaml.v3's "line N: message".
var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// yamlUnknownField matches yaml.v3's unknown-field message, which names our Go types.
var yamlUnknownField = regexp.MustCompile(`^field (\S+) not found in type \S+$`)

// yamlGoType is a Go type name in a yaml.v3 message ("into emulator.Lifetimes").
var yamlGoType = regexp.MustCompile(` into \S*[.]\S+`)

// yamlProblems turns yaml.v3's decode errors into "file:line: problem" lines without Go type
// names.
func yamlProblems(te *yaml.TypeError, name string) []string {
	out := make([]string, 0, len(te.Errors))
	for _, e := range te.Errors {
		line, msg := "", e
		if m := yamlLine.FindStringSubmatch(e); m != nil {
			line, msg = m[1], m[2]
		}
		if m := yamlUnknownField.FindStringSubmatch(msg); m != nil {
			msg = fmt.Sprintf("unknown field %q", m[1])
		} else if strings.HasSuffix(msg, " into time.Duration") {
			msg = strings.TrimSuffix(msg, " into time.Duration") + ": want a duration such as 90s, 15m or 1h"
		} else {
			msg = yamlGoType.ReplaceAllString(msg, "")
		}
		if line != "" {
			out = append(out, fmt.Sprintf("%s:%s: %s", name, line, msg))
		} else {
			out = append(out, fmt.Sprintf("%s: %s", name, msg))
		}
	}
	return out
}

// lineOf finds the line of a field path like "clients[0].redirect_uris[1]"; when the path does
// not exist (a missing field), it returns the line of the nearest existing parent.
func lineOf(root *yaml.Node, path string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, seg := range strings.Split(path, ".") {
		name, rest, _ := strings.Cut(seg, "[")
		if name != "" {
			next := mappingValue(n, name)
			if next == nil {
				return line
			}
			n, line = next, next.Line
		}
		for rest != "" {
			idxStr, after, ok := strings.Cut(rest, "]")
			if !ok {
				return line
			}
			idx, err := strconv.Atoi(idxStr)
			if err != nil || n.Kind != yaml.SequenceNode || idx < 0 || idx >= len(n.Content) {
				return line
			}
			n, line = n.Content[idx], n.Content[idx].Line
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return line
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
