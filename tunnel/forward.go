package tunnel

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
)

// Forwarder is the handler `oidclab tunnel` serves on a tunnel: every request goes to the
// gateway at target (HOST:PORT or an http URL) as if the gateway itself were on the public URL.
// It keeps the public Host (routes and cookies go by it) and says X-Forwarded-Proto: https,
// X-Forwarded-Host and X-Forwarded-Port, so a Kong that trusts this machine (trusted_ips)
// builds https redirect URIs and sets Secure cookies. Whatever X-Forwarded-* or Forwarded
// headers a visitor sent are dropped, not passed on.
func Forwarder(target, publicURL string, logger *slog.Logger) (http.Handler, error) {
	to, err := ForwardTarget(target)
	if err != nil {
		return nil, err
	}
	pub, err := url.Parse(publicURL)
	if err != nil || pub.Host == "" {
		return nil, fmt.Errorf("public URL %q: not an absolute URL", publicURL)
	}
	port := pub.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[pub.Scheme]
	}
	return &httputil.ReverseProxy{
		// Rewrite (unlike Director) starts from a request without the visitor's forwarding
		// headers: only what is set here reaches the gateway.
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(to)
			r.Out.Host = r.In.Host
			r.SetXForwarded()
			r.Out.Header.Set("X-Forwarded-Proto", pub.Scheme)
			r.Out.Header.Set("X-Forwarded-Host", r.In.Host)
			r.Out.Header.Set("X-Forwarded-Port", port)
		},
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			logger.Warn("the local gateway did not answer", "target", to.Host, "err", err)
			http.Error(w, "oidclab tunnel: the local gateway at "+to.Host+" did not answer; is it running?", http.StatusBadGateway)
		},
	}, nil
}

// ForwardTarget parses --to: HOST:PORT, or an http(s) URL with no path.
func ForwardTarget(s string) (*url.URL, error) {
	raw := s
	if !strings.Contains(s, "://") {
		if _, _, err := net.SplitHostPort(s); err != nil {
			return nil, fmt.Errorf("--to %q: want HOST:PORT (127.0.0.1:8000) or an http URL", s)
		}
		raw = "http://" + s
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("--to %q: want HOST:PORT (127.0.0.1:8000) or an http URL without a path", s)
	}
	u.Path = ""
	return u, nil
}
