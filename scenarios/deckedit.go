package scenarios

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/oidclab/oidclab/gateway/deck"
	"github.com/oidclab/oidclab/gateway/oidc"
	"github.com/oidclab/oidclab/lab/tutorial"
)

// deckSource is the decK text a Gateway describes, and its name for errors. dir is the
// scenario file's folder, for relative file names ("" for built-in scenarios).
func (g Gateway) deckSource(dir string) ([]byte, string, error) {
	src, name := tutorial.Deck, tutorial.DeckName
	switch {
	case g.Deck != "":
		src, name = []byte(g.Deck), "inline decK"
	case g.File != "":
		path := g.File
		if !filepath.IsAbs(path) && dir != "" {
			path = filepath.Join(dir, path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, "", fmt.Errorf("gateway.file: %w", err)
		}
		if len(b) > deck.MaxFileSize {
			return nil, "", fmt.Errorf("gateway.file %s: larger than %d MiB", path, deck.MaxFileSize>>20)
		}
		src, name = b, path
	}
	if len(g.PluginConfig) == 0 {
		return src, name, nil
	}
	out, err := mergePluginConfig(src, g.PluginConfig)
	if err != nil {
		return nil, "", fmt.Errorf("%s: plugin_config: %w", name, err)
	}
	return out, name + " (with plugin_config)", nil
}

// mergePluginConfig sets fields on every openid-connect plugin's config, wherever the plugin
// is declared (top level, or under a service or route), keeping the rest of the file as is.
// ${{ env }} templates survive: they are plain YAML strings until decK renders them.
func mergePluginConfig(src []byte, fields map[string]any) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	found := 0
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			if name := mapValue(n, "name"); name != nil && name.Value == oidc.Name {
				if cfg := mapValue(n, "config"); cfg != nil && cfg.Kind == yaml.MappingNode {
					found++
					for k, v := range fields {
						var vn yaml.Node
						if err := vn.Encode(v); err == nil {
							setMapValue(cfg, k, &vn)
						}
					}
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	if found == 0 {
		return nil, fmt.Errorf("the decK file has no %s plugin with a config", oidc.Name)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func setMapValue(n *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = v
			return
		}
	}
	n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}
