package browser

import (
	"net/http"
	"net/url"
	"strings"
)

// Chromium's default referrer policy.
const defaultReferrerPolicy = "strict-origin-when-cross-origin"

func validPolicy(p string) bool {
	switch p {
	case "no-referrer", "no-referrer-when-downgrade", "same-origin", "origin", "strict-origin",
		"origin-when-cross-origin", "strict-origin-when-cross-origin", "unsafe-url":
		return true
	}
	return false
}

// headerPolicy is the policy a Referrer-Policy header sets: the last valid token wins.
func headerPolicy(h http.Header) string {
	policy := ""
	for _, v := range h.Values("Referrer-Policy") {
		for _, tok := range strings.Split(v, ",") {
			if tok = strings.ToLower(strings.TrimSpace(tok)); validPolicy(tok) {
				policy = tok
			}
		}
	}
	return policy
}

// pagePolicy is the policy of a document: its meta tag, else its header.
func pagePolicy(h http.Header, p *htmlPage) string {
	if p != nil && p.referrerPolicy != "" {
		return p.referrerPolicy
	}
	return headerPolicy(h)
}

// setFetchMetadata adds the Origin, Referer and Sec-Fetch-* headers of a top-level navigation,
// so servers that check them (CSRF defences) see what they would see from Chromium.
func setFetchMetadata(h http.Header, r *request) {
	// Fetch metadata goes to trustworthy URLs only.
	if trustworthy(r.url) {
		h.Set("Sec-Fetch-Mode", "navigate")
		h.Set("Sec-Fetch-Dest", "document")
		h.Set("Sec-Fetch-Site", fetchSite(r.initiator, r.url))
	}
	if r.initiator == nil {
		return
	}
	policy := r.referrerPolicy
	if policy == "" {
		policy = defaultReferrerPolicy
	}
	if ref := referrer(r.initiator, r.url, policy); ref != "" {
		h.Set("Referer", ref)
	}
	if r.method != http.MethodGet && r.method != http.MethodHead {
		h.Set("Origin", requestOrigin(r.initiator, r.url, policy))
	}
}

func fetchSite(initiator, target *url.URL) string {
	switch {
	case initiator == nil:
		return "none"
	case sameOrigin(initiator, target):
		return "same-origin"
	case siteOf(initiator) == siteOf(target):
		return "same-site"
	}
	return "cross-site"
}

// referrer applies a referrer policy (W3C Referrer Policy, "determine request's referrer").
func referrer(from, to *url.URL, policy string) string {
	full := *from
	full.Fragment, full.RawFragment, full.User = "", "", nil
	originOnly := origin(from) + "/"
	downgrade := strings.EqualFold(from.Scheme, "https") && !strings.EqualFold(to.Scheme, "https")
	same := sameOrigin(from, to)
	switch policy {
	case "no-referrer":
		return ""
	case "unsafe-url":
		return full.String()
	case "origin":
		return originOnly
	case "same-origin":
		if same {
			return full.String()
		}
		return ""
	case "strict-origin":
		if downgrade {
			return ""
		}
		return originOnly
	case "no-referrer-when-downgrade":
		if downgrade {
			return ""
		}
		return full.String()
	case "origin-when-cross-origin":
		if same {
			return full.String()
		}
		return originOnly
	default: // strict-origin-when-cross-origin
		if same {
			return full.String()
		}
		if downgrade {
			return ""
		}
		return originOnly
	}
}

// requestOrigin is the Origin header of a non-GET navigation (Fetch, "serializing a request
// origin"): "null" where the referrer policy hides the origin.
func requestOrigin(from, to *url.URL, policy string) string {
	downgrade := strings.EqualFold(from.Scheme, "https") && !strings.EqualFold(to.Scheme, "https")
	switch policy {
	case "no-referrer":
		return "null"
	case "same-origin":
		if !sameOrigin(from, to) {
			return "null"
		}
	case "strict-origin", "strict-origin-when-cross-origin", "no-referrer-when-downgrade":
		if downgrade {
			return "null"
		}
	}
	return origin(from)
}
