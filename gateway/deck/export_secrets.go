package deck

import (
	"bytes"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// EnvVar is a variable an exported file reads in place of a secret.
type EnvVar struct {
	Name string
	// Where lists the places that read it ("openid-connect on service example-service:
	// config.client_secret").
	Where []string
	// FromSource is set when the source file read the secret from this same variable.
	FromSource bool
}

// ExportOptions control MarshalForKong.
type ExportOptions struct {
	// SourceEnv holds the DECK_ variables the source file read, with their values: a secret
	// equal to one of them is written as that variable (the tutorial's file keeps
	// DECK_OKTA_CLIENT_SECRET). Values are compared, never written.
	SourceEnv map[string]string
}

// envRefRE finds the variables a decK file reads.
var envRefRE = regexp.MustCompile(`env\s+"(` + envPrefix + `[A-Za-z0-9_]+)"`)

// ReferencedVariables lists the DECK_ variables a decK file's templates read, sorted.
func ReferencedVariables(src []byte) []string {
	seen := map[string]bool{}
	for _, m := range envRefRE.FindAllSubmatch(src, -1) {
		seen[string(m[1])] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

// placeholderMark stands for a ${{ env }} placeholder until the YAML is written: Marshal quotes
// template delimiters in values, and a plain scalar of letters and underscores is written as
// is, so the mark can be swapped for the placeholder afterwards.
const placeholderMark = "OIDCLAB_ENV_PLACEHOLDER__"

// MarshalForKong is Marshal with every secret plugin config value (IsSecretField) written as a
// ${{ env "DECK_..." }} placeholder, never literally: the file is for Kong (deck gateway sync)
// or for a repository, and decK renders the placeholders from the environment. It returns the
// variables to set. A secret that came from a variable of the source keeps its name; the others
// are named DECK_<PLUGIN>_<FIELD> (plus a number when two differ). Empty and null secrets stay.
func (c *Config) MarshalForKong(opts ExportOptions) ([]byte, []EnvVar, error) {
	out := c.Clone()
	byValue := map[string]string{} // secret value -> variable name, so equal secrets share one
	for _, name := range slices.Sorted(maps.Keys(opts.SourceEnv)) {
		if v := opts.SourceEnv[name]; v != "" {
			if _, dup := byValue[v]; !dup {
				byValue[v] = name
			}
		}
	}
	vars := map[string]*EnvVar{}
	taken := map[string]string{} // generated name -> value
	name := func(plugin Plugin, field, value string) string {
		if n, ok := byValue[value]; ok && value != Redacted {
			if vars[n] == nil {
				vars[n] = &EnvVar{Name: n, FromSource: opts.SourceEnv[n] == value}
			}
			return n
		}
		base := envPrefix + envName(plugin.Name) + "_" + envName(field)
		n := base
		for i := 2; ; i++ {
			v, used := taken[n]
			_, fromSource := opts.SourceEnv[n]
			if !fromSource && (!used || (v == value && value != Redacted)) {
				break
			}
			n = base + "_" + strconv.Itoa(i)
		}
		taken[n] = value
		if value != Redacted {
			byValue[value] = n
		}
		if vars[n] == nil {
			vars[n] = &EnvVar{Name: n}
		}
		return n
	}
	for i := range out.Plugins {
		p := out.Plugins[i]
		label := exportLabel(p)
		placeholders(p.Config, "config", false, func(path, value string) string {
			n := name(p, strings.TrimPrefix(path, "config."), value)
			if where := label + ": " + path; !slices.Contains(vars[n].Where, where) {
				vars[n].Where = append(vars[n].Where, where)
			}
			return placeholderMark + n + "__"
		})
	}
	data, err := out.Marshal()
	if err != nil {
		return nil, nil, err
	}
	for n := range vars {
		data = bytes.ReplaceAll(data, []byte(placeholderMark+n+"__"), []byte(`${{ env "`+n+`" }}`))
	}
	var list []EnvVar
	for _, n := range slices.Sorted(maps.Keys(vars)) {
		list = append(list, *vars[n])
	}
	return data, list, nil
}

// placeholders replaces, in m, every non-empty string under a secret key by what mark returns.
// List elements and record values of a secret are replaced one by one, so the shape stays.
func placeholders(m map[string]any, path string, secret bool, mark func(path, value string) string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		m[k] = placeholderValue(m[k], path+"."+k, secret || IsSecretField(k), mark)
	}
}

func placeholderValue(v any, path string, secret bool, mark func(path, value string) string) any {
	switch x := v.(type) {
	case string:
		if secret && x != "" {
			return mark(path, x)
		}
	case map[string]any:
		placeholders(x, path, secret, mark)
	case []any:
		for i := range x {
			p := path
			if len(x) > 1 {
				p = path + "." + strconv.Itoa(i)
			}
			x[i] = placeholderValue(x[i], p, secret, mark)
		}
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return placeholderValue(out, path, secret, mark)
	}
	return v
}

var nonNameRE = regexp.MustCompile(`[^A-Z0-9]+`)

// envName turns "openid-connect" or "redis.password" into OPENID_CONNECT, REDIS_PASSWORD.
func envName(s string) string {
	return strings.Trim(nonNameRE.ReplaceAllString(strings.ToUpper(s), "_"), "_")
}

func exportLabel(p Plugin) string {
	switch {
	case p.Service != "" && p.Route != "":
		return fmt.Sprintf("%s on service %s, route %s", p.Name, p.Service, p.Route)
	case p.Service != "":
		return fmt.Sprintf("%s on service %s", p.Name, p.Service)
	case p.Route != "":
		return fmt.Sprintf("%s on route %s", p.Name, p.Route)
	}
	return p.Name + " (global)"
}
