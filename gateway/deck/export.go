package deck

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Marshal writes c as a decK state file for Kong 3.x (_format_version "3.0"): services with
// their routes and plugins nested, route plugins nested in their route, and the rest (global
// plugins, routes without a service, plugins on a service and route together) at the top level.
// Every field is written, with ids, so Load reads it back to an equal Config (positions aside)
// and decK/Kong read it as the same entities. Plugin config is written as is: it holds the
// client secret, as a decK file for Kong must; callers that display configs Redact first.
func (c *Config) Marshal() ([]byte, error) {
	root := mapping()
	root.add("_format_version", str(FormatVersion))

	// Children nest under the entity their reference (name or id) finds first.
	svcIndex := refIndex(c.Services, serviceNameID)
	routeIndex := refIndex(c.Routes, routeNameID)
	svcRoutes := map[int][]int{}
	var topRoutes []int
	for i, r := range c.Routes {
		if si, ok := svcIndex[r.Service]; ok && r.Service != "" {
			svcRoutes[si] = append(svcRoutes[si], i)
		} else {
			topRoutes = append(topRoutes, i)
		}
	}
	svcPlugins := map[int][]Plugin{}
	routePlugins := map[int][]Plugin{}
	var topPlugins []Plugin
	for _, p := range c.Plugins {
		si, sok := svcIndex[p.Service]
		ri, rok := routeIndex[p.Route]
		switch {
		case p.Service != "" && p.Route == "" && sok:
			svcPlugins[si] = append(svcPlugins[si], p)
		case p.Route != "" && p.Service == "" && rok:
			routePlugins[ri] = append(routePlugins[ri], p)
		default:
			topPlugins = append(topPlugins, p)
		}
	}

	if len(c.Services) > 0 {
		seq := sequence()
		for si, s := range c.Services {
			n := serviceNode(s)
			if ris := svcRoutes[si]; len(ris) > 0 {
				rseq := sequence()
				for _, ri := range ris {
					rseq.Content = append(rseq.Content, routeNode(c.Routes[ri], false, routePlugins[ri]).Node)
				}
				n.add("routes", rseq)
			}
			if ps := svcPlugins[si]; len(ps) > 0 {
				n.add("plugins", pluginSeq(ps, false))
			}
			seq.Content = append(seq.Content, n.Node)
		}
		root.add("services", seq)
	}
	if len(topRoutes) > 0 {
		seq := sequence()
		for _, ri := range topRoutes {
			seq.Content = append(seq.Content, routeNode(c.Routes[ri], true, routePlugins[ri]).Node)
		}
		root.add("routes", seq)
	}
	if len(topPlugins) > 0 {
		root.add("plugins", pluginSeq(topPlugins, true))
	}

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root.Node); err != nil {
		return nil, fmt.Errorf("deck: encoding config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("deck: encoding config: %w", err)
	}
	// Load renders ${{ }} before parsing, so a value that contains the delimiter literally is
	// written as a template that prints it.
	return bytes.ReplaceAll(buf.Bytes(), []byte("${{"), []byte(`${{ "${{" }}`)), nil
}

func serviceNode(s Service) node {
	n := mapping()
	n.addStr("id", s.ID)
	n.addStr("name", s.Name)
	n.add("protocol", str(s.Protocol))
	n.add("host", str(s.Host))
	n.add("port", integer(s.Port))
	n.addStr("path", s.Path)
	n.add("connect_timeout", integer(s.ConnectTimeout))
	n.add("read_timeout", integer(s.ReadTimeout))
	n.add("write_timeout", integer(s.WriteTimeout))
	n.add("retries", integer(s.Retries))
	n.add("enabled", boolean(s.Enabled))
	n.addList("tags", s.Tags)
	return n
}

func routeNode(r Route, top bool, plugins []Plugin) node {
	n := mapping()
	n.addStr("id", r.ID)
	n.addStr("name", r.Name)
	if top && r.Service != "" {
		// A service that does not exist (an invalid config) is still written as referenced.
		n.add("service", str(r.Service))
	}
	n.addList("paths", r.Paths)
	n.addList("methods", r.Methods)
	n.addList("hosts", r.Hosts)
	if r.Headers != nil {
		h := mapping()
		for _, k := range sortedKeys(r.Headers) {
			h.add(k, strSeq(r.Headers[k]))
		}
		n.add("headers", h.Node)
	}
	n.addList("protocols", r.Protocols)
	n.add("strip_path", boolean(r.StripPath))
	n.add("preserve_host", boolean(r.PreserveHost))
	n.add("regex_priority", integer(r.RegexPriority))
	n.add("path_handling", str(r.PathHandling))
	n.addList("tags", r.Tags)
	if len(plugins) > 0 {
		n.add("plugins", pluginSeq(plugins, false))
	}
	return n
}

func pluginSeq(ps []Plugin, top bool) *yaml.Node {
	seq := sequence()
	for _, p := range ps {
		n := mapping()
		n.addStr("id", p.ID)
		n.add("name", str(p.Name))
		if top && p.Service != "" {
			n.add("service", str(p.Service))
		}
		if top && p.Route != "" {
			n.add("route", str(p.Route))
		}
		n.add("enabled", boolean(p.Enabled))
		n.addList("protocols", p.Protocols)
		n.addList("tags", p.Tags)
		cfg := p.Config
		if cfg == nil {
			cfg = map[string]any{}
		}
		n.add("config", valueNode(cfg))
		seq.Content = append(seq.Content, n.Node)
	}
	return seq
}

// node is a mapping under construction.
type node struct{ *yaml.Node }

func mapping() node { return node{&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}} }

func sequence() *yaml.Node { return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"} }

func (n node) add(key string, v *yaml.Node) {
	n.Content = append(n.Content, str(key), v)
}

func (n node) addStr(key, v string) {
	if v != "" {
		n.add(key, str(v))
	}
}

// addList writes a list when it is set; nil and empty differ after a reload, so both survive.
func (n node) addList(key string, v []string) {
	if v != nil {
		n.add(key, strSeq(v))
	}
}

func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func integer(i int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(i)}
}

func boolean(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

func strSeq(v []string) *yaml.Node {
	seq := sequence()
	if len(v) <= 8 && !slices.ContainsFunc(v, func(s string) bool { return len(s) > 40 }) {
		seq.Style = yaml.FlowStyle
	}
	for _, s := range v {
		seq.Content = append(seq.Content, str(s))
	}
	return seq
}

// valueNode writes a JSON-compatible value. Floats always carry a decimal point or exponent so
// they read back as floats (2.0 stays a float, 2 an int).
func valueNode(v any) *yaml.Node {
	switch v := v.(type) {
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case string:
		return str(v)
	case bool:
		return boolean(v)
	case int:
		return integer(v)
	case int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v, 10)}
	case int32:
		return integer(int(v))
	case uint64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatUint(v, 10)}
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
		}
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: s}
	case map[string]any:
		m := mapping()
		for _, k := range sortedKeys(v) {
			m.add(k, valueNode(v[k]))
		}
		return m.Node
	case []any:
		seq := sequence()
		for _, e := range v {
			seq.Content = append(seq.Content, valueNode(e))
		}
		return seq
	case []string:
		return strSeq(v)
	}
	return str(fmt.Sprint(v))
}
