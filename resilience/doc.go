// Package resilience is oidclab's resilience suite: the lab (embedded IdP, gateway with the
// openid-connect plugin, admin API, tunnel hook) under load, under faults and under bad input,
// on loopback only. It has no code of its own; its tests are the suite.
//
// Every test is bounded in count and time and stops by itself. Plain `go test ./...` runs the
// short form (a few seconds); `go test ./resilience -long` runs the long form (200 session
// clients for 60 s, more faults), and long.sh adds every fuzz target of the module for a fixed
// time each. Each test logs one figure line ("load: ... requests held ..., 0 errors").
package resilience
