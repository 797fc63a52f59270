package deck

import "strings"

// Redacted stands in for a secret wherever oidclab shows one: admin API answers, --json output,
// the terminal UI, and IdP error texts that echo a secret back. One marker everywhere, so a
// client that sends it back (a GET-modify-PATCH round trip) can be recognised.
const Redacted = "<redacted>"

// secretFields are plugin config keys that hold a secret under a name that does not say
// "secret" or "password".
var secretFields = map[string]bool{
	"client_jwk":                true, // private keys for private_key_jwt client authentication
	"http_proxy_authorization":  true, // a Proxy-Authorization value: credentials
	"https_proxy_authorization": true,
}

// IsSecretField reports whether a plugin config key holds a secret, at any depth of the config:
// client_secret, session_secret, redis.password, session_redis_password, client_jwk, the proxy
// authorization values, and anything else named like a secret or a password (Kong's plugins
// name theirs that way, so plugins oidclab does not know yet are covered too).
func IsSecretField(key string) bool {
	k := strings.ToLower(key)
	return secretFields[k] || strings.Contains(k, "secret") || strings.Contains(k, "password")
}

// Redact returns a deep copy of c fit to be shown: the value of every secret plugin config
// field (see IsSecretField) is replaced by Redacted. A list keeps its length and a record its
// keys, so the shape stays recognisable; null stays null, since it says no secret is set.
// Services need nothing: Load refuses a URL with credentials. c is not modified; nil gives nil.
func Redact(c *Config) *Config {
	out := c.Clone()
	if out == nil {
		return nil
	}
	for i := range out.Plugins {
		redactRecord(out.Plugins[i].Config)
	}
	return out
}

// redactRecord redacts m in place; Redact calls it on its own copy.
func redactRecord(m map[string]any) {
	for k, v := range m {
		if v != nil && IsSecretField(k) {
			m[k] = redactValue(v)
			continue
		}
		redactNested(v)
	}
}

func redactNested(v any) {
	switch v := v.(type) {
	case map[string]any:
		redactRecord(v)
	case []any:
		for _, x := range v {
			redactNested(x)
		}
	}
}

func redactValue(v any) any {
	switch v := v.(type) {
	case []any:
		return redactedList(len(v))
	case []string:
		return redactedList(len(v))
	case map[string]any:
		out := make(map[string]any, len(v))
		for k := range v {
			out[k] = Redacted
		}
		return out
	}
	return Redacted
}

func redactedList(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = Redacted
	}
	return out
}

// IsRedacted reports whether v is what Redact puts in place of a secret: a client that sends it
// back (a GET-modify-PATCH round trip) means "keep the stored value", never that the secret is
// the marker itself.
func IsRedacted(v any) bool {
	switch v := v.(type) {
	case string:
		return v == Redacted
	case []any:
		for _, x := range v {
			if x != Redacted {
				return false
			}
		}
		return len(v) > 0
	case map[string]any:
		for _, x := range v {
			if x != Redacted {
				return false
			}
		}
		return len(v) > 0
	}
	return false
}
