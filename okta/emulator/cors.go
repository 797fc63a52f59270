package emulator

import (
	"net/http"
	"net/url"
	"strings"
)

// originOf is the scheme://host[:port] of a URL, or "" if it has none.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// trustedOrigin reports whether a browser page at origin may read the JSON endpoints' answers.
func (s *Server) trustedOrigin(origin string) bool {
	origin = strings.ToLower(strings.TrimRight(origin, "/"))
	if origin == "" || origin == "null" {
		return false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, o := range s.trusted {
		if o == origin {
			return true
		}
	}
	for _, c := range s.clients {
		if c.Type != ClientSPA {
			continue
		}
		for _, u := range c.RedirectURIs {
			if originOf(u) == origin {
				return true
			}
		}
	}
	return false
}

// cors answers trusted origins' cross-origin calls to the JSON endpoints (token, keys, userinfo,
// introspect, revoke, discovery), including preflights. Untrusted origins get no CORS headers,
// so the browser keeps the answer from the page, as with Okta.
func (s *Server) cors(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if s.trustedOrigin(origin) {
			hdr := w.Header()
			hdr.Set("Access-Control-Allow-Origin", origin)
			hdr.Set("Access-Control-Allow-Credentials", "true")
			hdr.Add("Vary", "Origin")
			hdr.Set("Access-Control-Expose-Headers", "WWW-Authenticate")
			if r.Method == http.MethodOptions {
				hdr.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				hdr.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Requested-With, DPoP")
				hdr.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		} else if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}
