package emulator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
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
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%s: %w", name, cleanYAMLError(err))
	}
	if err := cfg.Validate(); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			var root yaml.Node
			_ = yaml.Unmarshal(data, &root)
			for i, p := range ve.Problems {
				path, _, _ := strings.Cut(p, ": ")
				ve.Problems[i] = fmt.Sprintf("%s:%d: %s", name, lineOf(&root, path), p)
			}
		}
		return Config{}, err
	}
	return cfg, nil
}

func cleanYAMLError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return errors.New(strings.Join(te.Errors, "; "))
	}
	return err
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
