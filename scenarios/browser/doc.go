// Package browser drives an OpenID Connect login the way a user's browser does: start at a
// protected gateway URL, follow the redirect to the identity provider, fill its login form(s),
// follow the form_post (or redirect) back to the gateway and read the final page.
//
// Two drivers implement [Driver]:
//
//   - [HTTP] is a net/http client with manual redirect following, an HTML form filler and a
//     cookie [Jar] that behaves like Chromium's: loopback http origins are trustworthy (Secure
//     cookies work there) and SameSite is honoured for cross-site top-level navigations,
//     including Chrome's two-minute Lax-by-default POST exception.
//   - [Chromium] drives a real headless Chromium through the DevTools protocol (chromedp).
//
// Both record every top-level hop with the query values that carry secrets redacted, and
// report cookies by name and attributes only: a [Result] never holds a cookie value, and its
// Body (which may echo an access token) is excluded from JSON.
package browser
