package deck

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// ServiceURL is a service's url split the way Kong splits its url shorthand.
type ServiceURL struct {
	Protocol string
	Host     string
	Port     int
	Path     string // "" when the url has no path
}

// defaultPorts are the ports Kong fills in when a service url has none.
var defaultPorts = map[string]int{
	"http": 80, "https": 443, "ws": 80, "wss": 443, "grpc": 80, "grpcs": 443,
}

// SplitServiceURL splits a service url into protocol, host, port and path like Kong's url
// shorthand: the port defaults from the scheme (80 for http, 443 for https) and an absent path
// stays absent ("http://h" has no path, "http://h/" has "/"). Credentials, query strings and
// fragments are refused: Kong has nowhere to keep them. Errors never echo a url that carries
// credentials.
func SplitServiceURL(raw string) (ServiceURL, error) {
	var su ServiceURL
	if strings.TrimSpace(raw) == "" {
		return su, errors.New("url must not be empty")
	}
	if strings.ContainsAny(raw, " \t\r\n") {
		return su, fmt.Errorf("url %q must not contain spaces", raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		if strings.Contains(raw, "@") {
			return su, errors.New("url is not a valid URL")
		}
		return su, fmt.Errorf("url %q is not a valid URL", raw)
	}
	if u.User != nil {
		return su, errors.New("url must not contain credentials (user:password@); Kong services have no place for them")
	}
	if u.Scheme == "" || u.Opaque != "" {
		return su, fmt.Errorf("url %q must be absolute, e.g. http://example.com/path", raw)
	}
	if u.Host == "" {
		return su, fmt.Errorf("url %q has no host", raw)
	}
	if u.RawQuery != "" || u.ForceQuery {
		return su, fmt.Errorf("url %q must not have a query string", raw)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return su, fmt.Errorf("url %q must not have a fragment", raw)
	}
	su.Protocol = strings.ToLower(u.Scheme)
	su.Host = u.Hostname()
	if su.Host == "" {
		return su, fmt.Errorf("url %q has no host", raw)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			return su, fmt.Errorf("url %q has a bad port: it must be between 0 and 65535", raw)
		}
		su.Port = n
	} else if strings.HasSuffix(u.Host, ":") {
		return su, fmt.Errorf("url %q has an empty port", raw)
	} else {
		su.Port = defaultPorts[su.Protocol]
		if su.Port == 0 {
			su.Port = 80
		}
	}
	su.Path = u.EscapedPath()
	return su, nil
}
