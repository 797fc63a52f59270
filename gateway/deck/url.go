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
		return su, fmt.Errorf("%s must not contain spaces", urlSubject(raw))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return su, fmt.Errorf("%s is not a valid URL", urlSubject(raw))
	}
	if u.User != nil {
		return su, errors.New("url must not contain credentials (user:password@); Kong services have no place for them")
	}
	if u.Scheme == "" || u.Opaque != "" {
		return su, fmt.Errorf("%s must be absolute, e.g. http://example.com/path", urlSubject(raw))
	}
	if u.Host == "" {
		return su, fmt.Errorf("%s has no host", urlSubject(raw))
	}
	if u.RawQuery != "" || u.ForceQuery {
		return su, fmt.Errorf("%s must not have a query string", urlSubject(raw))
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return su, fmt.Errorf("%s must not have a fragment", urlSubject(raw))
	}
	su.Protocol = strings.ToLower(u.Scheme)
	su.Host = u.Hostname()
	if su.Host == "" {
		return su, fmt.Errorf("%s has no host", urlSubject(raw))
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			return su, fmt.Errorf("%s has a bad port: it must be between 0 and 65535", urlSubject(raw))
		}
		su.Port = n
	} else if strings.HasSuffix(u.Host, ":") {
		return su, fmt.Errorf("%s has an empty port", urlSubject(raw))
	} else {
		su.Port = defaultPorts[su.Protocol]
		if su.Port == 0 {
			su.Port = 80
		}
	}
	su.Path = u.EscapedPath()
	return su, nil
}

// urlSubject names raw in an error, or only says "url" when raw may carry credentials
// (user:password@), whichever check refuses it first.
func urlSubject(raw string) string {
	if strings.Contains(raw, "@") {
		return "url"
	}
	return "url " + strconv.Quote(raw)
}
