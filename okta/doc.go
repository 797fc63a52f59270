// Package okta is oidclab's Okta knowledge: what Okta calls things and where its Admin Console
// keeps them, so a failure the vendor-neutral gateway reports by reason can be turned into the
// steps that fix it in Okta. It never imports the gateway (import rules): it keys on the
// reason's string, and the lab joins the two.
package okta
