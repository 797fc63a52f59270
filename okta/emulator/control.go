package emulator

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// Endpoint names for SetFault and RequestRecord.Endpoint.
const (
	EndpointDiscovery  = "discovery"
	EndpointAuthorize  = "authorize"
	EndpointLogin      = "login"
	EndpointToken      = "token"
	EndpointKeys       = "keys"
	EndpointUserinfo   = "userinfo"
	EndpointIntrospect = "introspect"
	EndpointRevoke     = "revoke"
	EndpointLogout     = "logout"
)

// Endpoints lists every endpoint name a fault can target.
var Endpoints = []string{EndpointDiscovery, EndpointAuthorize, EndpointLogin, EndpointToken, EndpointKeys,
	EndpointUserinfo, EndpointIntrospect, EndpointRevoke, EndpointLogout, EndpointManagement}

// Fault makes an endpoint misbehave. Delay applies first; then Status (if non-zero) answers with
// that status and an Okta-style error body, or MalformedJSON answers 200 with a truncated JSON
// body. Count limits how many requests are affected (0 = until cleared).
type Fault struct {
	Status        int           `json:"status,omitempty"`
	Delay         time.Duration `json:"delay,omitempty"`
	MalformedJSON bool          `json:"malformed_json,omitempty"`
	Count         int           `json:"count,omitempty"`
}

// Mutation corrupts the tokens the token endpoint issues, to test a relying party's checks.
// The zero value turns mutations off.
type Mutation struct {
	WrongIssuer    bool `json:"wrong_issuer,omitempty"`     // ID and access token iss gets a suffix
	WrongAudience  bool `json:"wrong_audience,omitempty"`   // ID token aud is another client
	WrongNonce     bool `json:"wrong_nonce,omitempty"`      // ID token nonce differs from the request's
	Expired        bool `json:"expired,omitempty"`          // ID and access tokens expired an hour ago
	BadSignature   bool `json:"bad_signature,omitempty"`    // ID token signature does not verify
	WrongAtHash    bool `json:"wrong_at_hash,omitempty"`    // ID token at_hash does not match
	UnknownKeyID   bool `json:"unknown_kid,omitempty"`      // ID token signed by a key not in the JWKS
	IssuedInFuture bool `json:"issued_in_future,omitempty"` // ID token iat an hour ahead
}

// RequestRecord is one request the emulator received, with every secret redacted.
type RequestRecord struct {
	Time       time.Time         `json:"time"`
	Endpoint   string            `json:"endpoint"`
	AuthServer string            `json:"auth_server,omitempty"`
	Method     string            `json:"method"`
	Path       string            `json:"path"` // never the query string
	Params     map[string]string `json:"params,omitempty"`
	ClientID   string            `json:"client_id,omitempty"`
	ClientAuth string            `json:"client_auth,omitempty"` // client_secret_basic, client_secret_post, none
	PKCEMethod string            `json:"pkce_method,omitempty"` // S256 when a challenge/verifier came
	Origin     string            `json:"origin,omitempty"`
	Status     int               `json:"status"`
	Error      string            `json:"error,omitempty"` // the OAuth error code answered, if any
	// ErrorDescription is the error's text as answered (Okta's wording), for telling apart
	// failures that share a code (access_denied: user not assigned vs no policy rule).
	ErrorDescription string `json:"error_description,omitempty"`
}

const maxRecords = 10_000

type control struct {
	mu       sync.Mutex
	offset   time.Duration
	faults   map[string]*Fault
	mutation Mutation
	records  []RequestRecord
}

func (c *control) clockOffset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}

// takeFault returns the fault to apply to one request on endpoint, counting it down.
func (c *control) takeFault(endpoint string) (Fault, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.faults[endpoint]
	if !ok {
		return Fault{}, false
	}
	out := *f
	if f.Count > 0 {
		f.Count--
		if f.Count == 0 {
			delete(c.faults, endpoint)
		}
	}
	return out, true
}

func (c *control) currentMutation() Mutation {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mutation
}

func (c *control) record(r RequestRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.records) >= maxRecords {
		c.records = slices.Delete(c.records, 0, len(c.records)-maxRecords+1)
	}
	c.records = append(c.records, r)
}

// SetClockOffset shifts the emulator's clock (token iat/exp, code and session expiry).
func (s *Server) SetClockOffset(d time.Duration) {
	s.control.mu.Lock()
	s.control.offset = d
	s.control.mu.Unlock()
}

// RotateKeys makes a new signing key active; the previous keys stay in the JWKS.
func (s *Server) RotateKeys() error { return s.keys.rotate(nil) }

// SetFault makes endpoint (one of Endpoints) misbehave; a zero Fault clears it.
func (s *Server) SetFault(endpoint string, f Fault) error {
	if !slices.Contains(Endpoints, endpoint) {
		return &ValidationError{Problems: []string{"endpoint: " + endpoint + " is not one of the emulator's endpoints"}}
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		return &ValidationError{Problems: []string{"fault.status: must be 400-599"}}
	}
	if f.Delay < 0 || f.Delay > 30*time.Second {
		return &ValidationError{Problems: []string{"fault.delay: must be 0-30s"}}
	}
	if f.Count < 0 {
		return &ValidationError{Problems: []string{"fault.count: must not be negative"}}
	}
	s.control.mu.Lock()
	defer s.control.mu.Unlock()
	if s.control.faults == nil {
		s.control.faults = map[string]*Fault{}
	}
	if f == (Fault{}) {
		delete(s.control.faults, endpoint)
		return nil
	}
	s.control.faults[endpoint] = &f
	return nil
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.control.mu.Lock()
	s.control.faults = nil
	s.control.mu.Unlock()
}

// SetTokenMutation corrupts the tokens issued from now on; Mutation{} turns it off.
func (s *Server) SetTokenMutation(m Mutation) {
	s.control.mu.Lock()
	s.control.mutation = m
	s.control.mu.Unlock()
}

// Requests returns the requests received so far (oldest first), secrets redacted.
func (s *Server) Requests() []RequestRecord {
	s.control.mu.Lock()
	defer s.control.mu.Unlock()
	out := make([]RequestRecord, len(s.control.records))
	copy(out, s.control.records)
	return out
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.control.mu.Lock()
	s.control.records = nil
	s.control.mu.Unlock()
}

// secretParam reports whether a parameter's value is a secret: the log keeps only that it came.
// Names are matched by what they end in, whatever their case, so that a client's own spelling
// (Password, subject_token, device_code, otp) is redacted too.
func secretParam(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "tx", "csrf", "otp", "state_token", "statetoken":
		return true
	}
	for _, suffix := range []string{"secret", "password", "passcode", "assertion", "verifier", "token", "token_hint", "code"} {
		if strings.HasSuffix(n, suffix) {
			return true
		}
	}
	return false
}

// redacted is the project's one redaction marker (deck.Redacted; this package may not import
// the gateway's, so a test in package lab checks they agree).
const redacted = "<redacted>"
