// Package deck reads Kong decK state files (format 3.0) into a flat, validated Config.
package deck

// Config is a decK state file after templating, decoding and flattening: routes and plugins
// nested in services (or routes) are lifted to the top level with their parent recorded by name.
type Config struct {
	FormatVersion string
	Services      []Service
	Routes        []Route
	Plugins       []Plugin
	// Source names where the config came from (a file path, "-" for stdin, "admin API").
	Source string
}

// Pos is where an entity starts in its source file (1-based; 0 when unknown, e.g. admin API).
type Pos struct {
	Line int
	// Path is the entity path as decK prints it, e.g. "services.0.routes.1".
	Path string
}

// Service is an upstream; URL, when given, is split into Protocol/Host/Port/Path like Kong does.
type Service struct {
	ID             string
	Name           string
	Protocol       string // http or https
	Host           string
	Port           int
	Path           string // "" when none
	ConnectTimeout int    // milliseconds, default 60000
	ReadTimeout    int    // milliseconds, default 60000
	WriteTimeout   int    // milliseconds, default 60000
	Retries        int    // default 5
	Enabled        bool   // default true
	Tags           []string
	Pos            Pos
}

// Route matches requests to a service.
type Route struct {
	ID            string
	Name          string
	Service       string // service name, or its id when it has none ("" for a route without a service)
	Paths         []string
	Methods       []string
	Hosts         []string
	Headers       map[string][]string
	Protocols     []string // default [http https]
	StripPath     bool     // default true
	PreserveHost  bool     // default false
	RegexPriority int
	PathHandling  string // "v0" or "v1" (default "v0")
	Tags          []string
	Pos           Pos
}

// DefaultPluginProtocols returns the protocols of a plugin that names none: Kong's default.
func DefaultPluginProtocols() []string { return []string{"grpc", "grpcs", "http", "https"} }

// Plugin is a plugin instance: global when Service and Route are both empty.
type Plugin struct {
	ID      string
	Name    string
	Service string // service name (its id when it has none), or ""
	Route   string // route name (its id when it has none), or ""
	Config  map[string]any
	Enabled bool // default true
	Tags    []string
	// Protocols limits the plugin to requests over these protocols (default grpc, grpcs, http, https).
	Protocols []string
	Pos       Pos
	// ConfigLines maps a config key path ("issuer", "client_id.0") to its line in the file,
	// so plugin validation can point at the offending line.
	ConfigLines map[string]int
}
