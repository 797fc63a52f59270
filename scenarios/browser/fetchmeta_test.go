package browser

import (
	"net/http"
	"testing"
)

func TestReferrerAndOrigin(t *testing.T) {
	page := "https://idp.example.com/login?x=1#frag"
	tests := []struct {
		policy, to   string
		referer, org string
	}{
		{"", "https://idp.example.com/next", "https://idp.example.com/login?x=1", "https://idp.example.com"},
		{"", "https://rp.example.org/cb", "https://idp.example.com/", "https://idp.example.com"},
		{"", "http://rp.example.org/cb", "", "null"},
		{"no-referrer", "https://idp.example.com/next", "", "null"},
		{"origin", "https://idp.example.com/next", "https://idp.example.com/", "https://idp.example.com"},
		{"same-origin", "https://rp.example.org/cb", "", "null"},
		{"same-origin", "https://idp.example.com/x", "https://idp.example.com/login?x=1", "https://idp.example.com"},
		{"unsafe-url", "http://rp.example.org/cb", "https://idp.example.com/login?x=1", "https://idp.example.com"},
		{"no-referrer-when-downgrade", "http://rp.example.org/cb", "", "null"},
		{"strict-origin", "https://rp.example.org/cb", "https://idp.example.com/", "https://idp.example.com"},
		{"origin-when-cross-origin", "http://rp.example.org/cb", "https://idp.example.com/", "https://idp.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.policy+" "+tt.to, func(t *testing.T) {
			r := &request{method: http.MethodPost, url: mustURL(t, tt.to), initiator: mustURL(t, page), referrerPolicy: tt.policy}
			h := http.Header{}
			setFetchMetadata(h, r)
			if got := h.Get("Referer"); got != tt.referer {
				t.Errorf("Referer %q, want %q", got, tt.referer)
			}
			if got := h.Get("Origin"); got != tt.org {
				t.Errorf("Origin %q, want %q", got, tt.org)
			}
		})
	}
}

func TestFetchSiteAndPolicyParsing(t *testing.T) {
	r := &request{method: http.MethodGet, url: mustURL(t, "http://127.0.0.1:8000/a")}
	h := http.Header{}
	setFetchMetadata(h, r)
	if h.Get("Sec-Fetch-Site") != "none" || h.Get("Origin") != "" || h.Get("Referer") != "" {
		t.Errorf("typed navigation headers: %v", h)
	}
	r = &request{method: http.MethodGet, url: mustURL(t, "http://rp.test/a"), initiator: mustURL(t, "http://idp.rp.test/")}
	h = http.Header{}
	setFetchMetadata(h, r)
	if h.Get("Sec-Fetch-Site") != "" {
		t.Errorf("Sec-Fetch-* sent to an untrustworthy URL: %v", h)
	}
	if got := fetchSite(mustURL(t, "https://a.example.com/"), mustURL(t, "https://b.example.com/")); got != "same-site" {
		t.Errorf("fetchSite = %s", got)
	}
	hdr := http.Header{"Referrer-Policy": {"no-referrer, bogus", "origin"}}
	if got := headerPolicy(hdr); got != "origin" {
		t.Errorf("headerPolicy = %q, want the last valid token", got)
	}
	p := parsePage(mustURL(t, "http://x/"), []byte(`<meta name="Referrer" content=" No-Referrer ">`))
	if got := pagePolicy(http.Header{"Referrer-Policy": {"origin"}}, p); got != "no-referrer" {
		t.Errorf("pagePolicy = %q, want the meta tag's", got)
	}
}
