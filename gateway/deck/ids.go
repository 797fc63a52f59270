package deck

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"regexp"
	"strconv"
)

// idNamespace is the UUID namespace of ids oidclab derives (a fixed random UUID, so derived
// ids never collide with other name-based UUIDs).
var idNamespace = [16]byte{0x6b, 0x1f, 0x3c, 0x52, 0x9a, 0x0e, 0x4d, 0x1b, 0x8e, 0x27, 0x5c, 0x61, 0xd4, 0x03, 0xa9, 0x7e}

// DeriveID returns a name-based (version 5, SHA-1) UUID for key. Entities without an id get
// DeriveID(kind + ":" + name) — or the entity path when unnamed — so ids stay the same across
// reloads of the same file, as they would in Kong's database.
func DeriveID(key string) string {
	h := sha1.New()
	h.Write(idNamespace[:])
	h.Write([]byte(key))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = (u[6] & 0x0f) | 0x50 // version 5
	u[8] = (u[8] & 0x3f) | 0x80 // RFC 4122 variant
	return formatUUID(u)
}

// NewID returns a random (version 4) UUID, for entities created through the admin API: Kong
// gives those a fresh id, so one deleted and created again is a different entity.
func NewID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])      // never fails: crypto/rand panics rather than return an error
	u[6] = (u[6] & 0x0f) | 0x40 // version 4
	u[8] = (u[8] & 0x3f) | 0x80 // RFC 4122 variant
	return formatUUID(u)
}

func formatUUID(u [16]byte) string {
	var buf [36]byte
	hex.Encode(buf[0:8], u[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], u[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], u[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], u[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:], u[10:])
	return string(buf[:])
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// IsUUID reports whether s is a UUID as Kong accepts ids (any version, hex in either case).
func IsUUID(s string) bool { return uuidRE.MatchString(s) }

// AssignIDs gives every entity without an id the one Load would derive for it, so a Config
// built in code gets ids that stay the same across applies, as a loaded file's do.
func (c *Config) AssignIDs() {
	derived := map[string]bool{}
	assignEntityIDs(c, derived)
	assignPluginIDs(c, derived)
}

// assignEntityIDs gives every service and route without an id a derived one, recorded in
// derived. It runs before references are resolved: an unnamed parent is referred to by id.
func assignEntityIDs(cfg *Config, derived map[string]bool) {
	for i := range cfg.Services {
		s := &cfg.Services[i]
		if s.ID == "" {
			s.ID = DeriveID(entityKey("service", s.Name, s.Pos.Path, i))
			derived[s.ID] = true
		}
	}
	for i := range cfg.Routes {
		r := &cfg.Routes[i]
		if r.ID == "" {
			r.ID = DeriveID(entityKey("route", r.Name, r.Pos.Path, i))
			derived[r.ID] = true
		}
	}
}

// assignPluginIDs derives plugin ids from name and scope, which Kong makes unique, so they
// survive reordering too. It runs after references are resolved.
func assignPluginIDs(cfg *Config, derived map[string]bool) {
	for i := range cfg.Plugins {
		p := &cfg.Plugins[i]
		if p.ID == "" {
			p.ID = DeriveID("plugin:" + p.Name + "|service:" + p.Service + "|route:" + p.Route)
			derived[p.ID] = true
		}
	}
}

func entityKey(kind, name, path string, i int) string {
	if name != "" {
		return kind + ":" + name
	}
	if path != "" {
		return kind + "@" + path
	}
	return kind + "#" + strconv.Itoa(i)
}
