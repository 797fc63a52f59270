// Package emulator is an in-process OpenID Provider that behaves like an Okta org's custom
// authorization server: the same URLs ({base}/oauth2/{authServerId}/v1/...), discovery values,
// token shapes, error texts and delivery rules, and the same traps (unassigned users, missing
// access policies, unregistered redirect URIs, PKCE rules, single-use 60-second codes).
//
// It is a real provider: any standard relying party can log in against it. Tests and scenarios can
// also make it misbehave on purpose (clock offset, key rotation, per-endpoint faults, mutated
// tokens) and read back what it received (Requests), with every secret redacted.
//
// Start serves it on a loopback port; New + Handler mount it in an existing server.
package emulator
