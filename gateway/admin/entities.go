package admin

import (
	"cmp"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/deck"
)

// The admin API's entity shapes are Kong 3.x's (Admin API reference, "Service Object",
// "Route Object", "Plugin Object"), including the fields oidclab does not use, so that tools
// written against Kong read them unchanged.

type ref struct {
	ID string `json:"id"`
}

type serviceJSON struct {
	ID                string   `json:"id"`
	Name              *string  `json:"name"`
	CreatedAt         int64    `json:"created_at"`
	UpdatedAt         int64    `json:"updated_at"`
	Protocol          string   `json:"protocol"`
	Host              string   `json:"host"`
	Port              int      `json:"port"`
	Path              *string  `json:"path"`
	Retries           int      `json:"retries"`
	ConnectTimeout    int      `json:"connect_timeout"`
	ReadTimeout       int      `json:"read_timeout"`
	WriteTimeout      int      `json:"write_timeout"`
	Enabled           bool     `json:"enabled"`
	Tags              []string `json:"tags"`
	ClientCertificate *ref     `json:"client_certificate"`
	TLSVerify         *bool    `json:"tls_verify"`
	TLSVerifyDepth    *int     `json:"tls_verify_depth"`
	CACertificates    []string `json:"ca_certificates"`
}

type routeJSON struct {
	ID                      string              `json:"id"`
	Name                    *string             `json:"name"`
	CreatedAt               int64               `json:"created_at"`
	UpdatedAt               int64               `json:"updated_at"`
	Protocols               []string            `json:"protocols"`
	Methods                 []string            `json:"methods"`
	Hosts                   []string            `json:"hosts"`
	Paths                   []string            `json:"paths"`
	Headers                 map[string][]string `json:"headers"`
	HTTPSRedirectStatusCode int                 `json:"https_redirect_status_code"`
	RegexPriority           int                 `json:"regex_priority"`
	StripPath               bool                `json:"strip_path"`
	PathHandling            string              `json:"path_handling"`
	PreserveHost            bool                `json:"preserve_host"`
	RequestBuffering        bool                `json:"request_buffering"`
	ResponseBuffering       bool                `json:"response_buffering"`
	Tags                    []string            `json:"tags"`
	Service                 *ref                `json:"service"`
	SNIs                    []string            `json:"snis"`
	Sources                 []string            `json:"sources"`
	Destinations            []string            `json:"destinations"`
}

type pluginJSON struct {
	ID           string         `json:"id"`
	Name         string         `json:"name"`
	InstanceName *string        `json:"instance_name"`
	CreatedAt    int64          `json:"created_at"`
	UpdatedAt    int64          `json:"updated_at"`
	Route        *ref           `json:"route"`
	Service      *ref           `json:"service"`
	Consumer     *ref           `json:"consumer"`
	Config       map[string]any `json:"config"`
	Protocols    []string       `json:"protocols"`
	Enabled      bool           `json:"enabled"`
	Tags         []string       `json:"tags"`
	Ordering     any            `json:"ordering"`
}

// list is Kong's paginated collection; oidclab returns everything on one page.
type list[T any] struct {
	Data []T     `json:"data"`
	Next *string `json:"next"`
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// entityView renders entities of one configuration, resolving names to ids; cfg is redacted.
type entityView struct {
	gw  *gateway.Gateway
	cfg *deck.Config
}

func (v entityView) serviceID(nameOrID string) *ref {
	if s := findService(v.cfg, nameOrID); s != nil {
		return &ref{ID: s.ID}
	}
	return nil
}

func (v entityView) routeID(nameOrID string) *ref {
	if r := findRoute(v.cfg, nameOrID); r != nil {
		return &ref{ID: r.ID}
	}
	return nil
}

func findService(cfg *deck.Config, nameOrID string) *deck.Service {
	if nameOrID == "" {
		return nil
	}
	for i, s := range cfg.Services {
		if s.ID == nameOrID || s.Name == nameOrID {
			return &cfg.Services[i]
		}
	}
	return nil
}

func findRoute(cfg *deck.Config, nameOrID string) *deck.Route {
	if nameOrID == "" {
		return nil
	}
	for i, r := range cfg.Routes {
		if r.ID == nameOrID || r.Name == nameOrID {
			return &cfg.Routes[i]
		}
	}
	return nil
}

func findPlugin(cfg *deck.Config, id string) int {
	for i, p := range cfg.Plugins {
		if p.ID == id {
			return i
		}
	}
	return -1
}

func (v entityView) service(s deck.Service) serviceJSON {
	ts := v.gw.CreatedAt(s.ID).Unix()
	port := s.Port
	if port == 0 {
		port = 80
		if s.Protocol == "https" {
			port = 443
		}
	}
	return serviceJSON{
		ID: s.ID, Name: strPtr(s.Name), CreatedAt: ts, UpdatedAt: ts,
		Protocol: cmp.Or(s.Protocol, "http"), Host: s.Host, Port: port, Path: strPtr(s.Path),
		Retries: s.Retries, ConnectTimeout: s.ConnectTimeout, ReadTimeout: s.ReadTimeout,
		WriteTimeout: s.WriteTimeout, Enabled: s.Enabled, Tags: s.Tags,
	}
}

func (v entityView) route(r deck.Route) routeJSON {
	ts := v.gw.CreatedAt(r.ID).Unix()
	return routeJSON{
		ID: r.ID, Name: strPtr(r.Name), CreatedAt: ts, UpdatedAt: ts,
		Protocols: r.Protocols, Methods: r.Methods, Hosts: r.Hosts, Paths: r.Paths, Headers: r.Headers,
		HTTPSRedirectStatusCode: 426, RegexPriority: r.RegexPriority, StripPath: r.StripPath,
		PathHandling: cmp.Or(r.PathHandling, "v0"), PreserveHost: r.PreserveHost,
		RequestBuffering: true, ResponseBuffering: true, Tags: r.Tags,
		Service: v.serviceID(r.Service),
	}
}

func (v entityView) plugin(p deck.Plugin) pluginJSON {
	ts := v.gw.CreatedAt(p.ID).Unix()
	cfg := p.Config
	if cfg == nil {
		cfg = map[string]any{}
	}
	protocols := p.Protocols
	if len(protocols) == 0 { // a plugin built in code
		protocols = deck.DefaultPluginProtocols()
	}
	return pluginJSON{
		ID: p.ID, Name: p.Name, CreatedAt: ts, UpdatedAt: ts,
		Route: v.routeID(p.Route), Service: v.serviceID(p.Service),
		Config: cfg, Protocols: protocols,
		Enabled: p.Enabled, Tags: p.Tags,
	}
}

// unredact puts back, into a config about to be saved, the secret values a client sent back
// still redacted (a GET-modify-PATCH round trip): deck.Redacted is never a real secret.
func unredact(next, prev map[string]any) {
	for k, v := range next {
		old, had := prev[k]
		if !had {
			continue
		}
		if deck.IsSecretField(k) && deck.IsRedacted(v) {
			next[k] = old
			continue
		}
		if nm, ok := v.(map[string]any); ok {
			if om, ok := old.(map[string]any); ok {
				unredact(nm, om)
			}
		}
	}
}
