package kong

// Kong 3.x entity shapes (Admin API reference: Service, Route and Plugin objects), limited to
// the fields a decK file for oidclab sets. Fields Kong adds (created_at, tls_verify, snis, ...)
// are ignored when read and never sent, so Kong keeps its defaults for them.

// Ref is a foreign key: Kong answers {"id": ...}; {"name": ...} is accepted on input.
type Ref struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// Service is a Kong service.
type Service struct {
	ID             string   `json:"id,omitempty"`
	Name           string   `json:"name,omitempty"`
	Protocol       string   `json:"protocol"`
	Host           string   `json:"host"`
	Port           int      `json:"port"`
	Path           *string  `json:"path"` // null when none: Kong refuses ""
	Retries        int      `json:"retries"`
	ConnectTimeout int      `json:"connect_timeout"`
	ReadTimeout    int      `json:"read_timeout"`
	WriteTimeout   int      `json:"write_timeout"`
	Enabled        *bool    `json:"enabled,omitempty"` // absent before Kong 2.7: enabled
	Tags           []string `json:"tags"`
}

// Route is a Kong route.
type Route struct {
	ID            string              `json:"id,omitempty"`
	Name          string              `json:"name,omitempty"`
	Protocols     []string            `json:"protocols"`
	Methods       []string            `json:"methods"`
	Hosts         []string            `json:"hosts"`
	Paths         []string            `json:"paths"`
	Headers       map[string][]string `json:"headers"`
	StripPath     bool                `json:"strip_path"`
	PreserveHost  bool                `json:"preserve_host"`
	RegexPriority int                 `json:"regex_priority"`
	PathHandling  string              `json:"path_handling,omitempty"`
	Tags          []string            `json:"tags"`
	Service       *Ref                `json:"service"`
}

// Plugin is a Kong plugin instance.
type Plugin struct {
	ID        string         `json:"id,omitempty"`
	Name      string         `json:"name"`
	Service   *Ref           `json:"service"`
	Route     *Ref           `json:"route"`
	Consumer  *Ref           `json:"consumer"`
	Config    map[string]any `json:"config"`
	Enabled   bool           `json:"enabled"`
	Protocols []string       `json:"protocols"`
	Tags      []string       `json:"tags"`
}
