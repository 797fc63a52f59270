// Package oidc is oidclab's Kong-compatible openid-connect gateway plugin.
//
// It reads the plugin configuration Kong reads (same field names, same defaults, Kong's deprecated
// aliases) and behaves request by request as Kong's plugin does: the authorization code flow with
// PKCE and form_post, the encrypted authorization (state) cookie, the session cookie, logout,
// bearer JWT and RFC 7662 introspection, required-claims checks, and Kong's 401/403 answers.
//
// Where Kong is lax about relying-party security, the plugin is strict: signing algorithms are
// pinned to what the provider advertises, nonce/azp/iat/at_hash/auth_time are checked, JWKS
// refetches on unknown key ids are rate limited, back-channel calls have timeouts and size caps and
// never follow redirects, and the state cookie is single use.
//
// Every failure is also published as a gateway event with a plain-language explanation of the
// likely cause and fix. Events carry claims, never tokens, codes, cookies or secrets.
package oidc
