package gateway

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/oidclab/oidclab/gateway/deck"
)

// idNamespace is the UUIDv5 namespace of generated entity ids. Like Kong in DB-less mode, ids of
// entities a decK file leaves without one are derived from what identifies them, so the same
// file gives the same ids run after run (and admin API URLs stay valid across reloads).
var idNamespace = [16]byte{0x6f, 0x69, 0x64, 0x63, 0x6c, 0x61, 0x62, 0x2d, 0x8e, 0x1d, 0x4b, 0x5a, 0x9c, 0x3e, 0x6b, 0x01}

// uuidV5 returns the RFC 9562 version 5 UUID of name.
func uuidV5(name string) string {
	h := sha1.New()
	h.Write(idNamespace[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = (u[6] & 0x0f) | 0x50
	u[8] = (u[8] & 0x3f) | 0x80
	return formatUUID(u)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = (u[6] & 0x0f) | 0x40
	u[8] = (u[8] & 0x3f) | 0x80
	return formatUUID(u)
}

func formatUUID(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// assignIDs gives every entity without an id a deterministic one.
func assignIDs(cfg *deck.Config) {
	for i := range cfg.Services {
		s := &cfg.Services[i]
		if s.ID == "" {
			s.ID = uuidV5("services:" + cmpOr(s.Name, s.Host+":"+s.Path))
		}
	}
	for i := range cfg.Routes {
		r := &cfg.Routes[i]
		if r.ID == "" {
			key := r.Name
			if key == "" {
				// Unnamed: its position and what it matches.
				key = "#" + strconv.Itoa(i) + ":" + r.Service + ":" + strings.Join(r.Paths, ",") + ":" + strings.Join(r.Hosts, ",")
			}
			r.ID = uuidV5("routes:" + key)
		}
	}
	for i := range cfg.Plugins {
		p := &cfg.Plugins[i]
		if p.ID == "" {
			// Kong allows one plugin of a name per scope, so name and scope identify it.
			p.ID = uuidV5("plugins:" + p.Name + "|" + p.Service + "|" + p.Route)
		}
	}
}

// cloneConfig deep-copies cfg so the gateway and its callers never share mutable state.
func cloneConfig(cfg *deck.Config) *deck.Config {
	out := *cfg
	out.Services = slices.Clone(cfg.Services)
	for i := range out.Services {
		out.Services[i].Tags = slices.Clone(out.Services[i].Tags)
	}
	out.Routes = slices.Clone(cfg.Routes)
	for i := range out.Routes {
		r := &out.Routes[i]
		r.Paths = slices.Clone(r.Paths)
		r.Methods = slices.Clone(r.Methods)
		r.Hosts = slices.Clone(r.Hosts)
		r.Protocols = slices.Clone(r.Protocols)
		r.Tags = slices.Clone(r.Tags)
		if r.Headers != nil {
			h := make(map[string][]string, len(r.Headers))
			for k, v := range r.Headers {
				h[k] = slices.Clone(v)
			}
			r.Headers = h
		}
	}
	out.Plugins = slices.Clone(cfg.Plugins)
	for i := range out.Plugins {
		p := &out.Plugins[i]
		p.Tags = slices.Clone(p.Tags)
		p.ConfigLines = maps.Clone(p.ConfigLines)
		if p.Config != nil {
			p.Config = cloneValue(p.Config).(map[string]any)
		}
	}
	return &out
}

// cloneValue deep-copies decoded YAML/JSON values.
func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = cloneValue(x)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = cloneValue(x)
		}
		return s
	case []string:
		return slices.Clone(v)
	default:
		return v
	}
}
