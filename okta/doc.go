// Package okta is oidclab's Okta knowledge and its way into an Okta org: what Okta calls
// things and where its Admin Console keeps them (Advice, by reason code; Explain, by Okta's
// error text), what its issuers look like (NormalizeIssuer, ClassifyIssuer, Discover), and a
// small Management API client (Client) with the operations behind `oidclab okta`: Setup, Sync,
// Doctor and Cleanup, recorded in a State file.
//
// It never imports the gateway, the tunnel, the lab or the CLI (import rules): it keys advice
// on the reason's string, and the lab joins the two. okta/emulator is its test server.
package okta
