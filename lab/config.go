package lab

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc"
	"github.com/oidclab/oidclab/okta/emulator"
)

// IdPMode chooses the identity provider a lab runs with.
type IdPMode string

const (
	// IdPLocal starts the embedded Okta-compatible IdP, which provides the tutorial's DECK_*
	// variables (they win over the environment's).
	IdPLocal IdPMode = "local"
	// IdPNone starts no IdP: the decK file names its issuer through the environment.
	IdPNone IdPMode = "none"
	// IdPExternal uses an IdP running elsewhere (Okta): Config.External provides the tutorial's
	// variables.
	IdPExternal IdPMode = "external"
)

// External is an identity provider the lab does not run: Okta, or another oidclab's IdP.
type External struct {
	Issuer       string
	ClientID     string
	ClientSecret string // handed to the decK file only; never logged, printed or in an event
	// RedirectURI is what the IdP has registered; empty means the tutorial route on the
	// public URL.
	RedirectURI string
}

// Config says what a lab runs. The zero value (plus IdP) is the tutorial on the default ports.
type Config struct {
	// Deck is a decK state file's content and DeckName its name in errors ("-" is standard
	// input). Nil Deck serves the built-in tutorial file.
	Deck     []byte
	DeckName string

	// Listen is the proxy's HOST:PORT (port 0 picks a free one); default 127.0.0.1:8000.
	Listen string
	// AdminListen is the admin API's HOST:PORT; "" or "off" runs no admin API.
	AdminListen string

	IdP IdPMode
	// IdPListen is the embedded IdP's HOST:PORT (IdPLocal); default 127.0.0.1:9000.
	IdPListen string
	// IdPConfig replaces the embedded IdP's configuration (default emulator.Default()); the
	// tutorial's client is registered for the gateway's real address unless a client with
	// its id is already there.
	IdPConfig *emulator.Config
	// IdPSigningKey is the embedded IdP's first signing key; nil generates one (tests share
	// one to start faster).
	IdPSigningKey *rsa.PrivateKey
	// External is the IdP with IdPExternal.
	External External

	TrustedIPs []netip.Prefix
	// RealUpstreams sends httpbin.konghq.com/httpbin.org services to the network instead of the
	// built-in echo.
	RealUpstreams bool
	// LookupEnv resolves ${{ env "X" }} in the decK file; nil: no environment (the CLI passes
	// os.LookupEnv). The IdP's
	// tutorial variables take precedence over it.
	LookupEnv func(string) (string, bool)
	// Logger receives the gateway's and the IdP's logs (never secrets); default discard.
	Logger *slog.Logger
	// Plugins is the plugin registry; default Plugins().
	Plugins gateway.Plugins
	// Expose makes the gateway reachable beyond this machine (the tunnel): the lab serves the
	// gateway on the listener it returns, as https, and the public URL becomes the redirect
	// URI's base. Nil: the proxy URL is the public URL.
	Expose func(ctx context.Context) (Exposure, error)
}

// Exposure is a listener whose connections arrive from a public https URL.
type Exposure interface {
	net.Listener
	URL() string
}

// Plugins is the registry of gateway plugins oidclab runs; decK files naming any other plugin
// are refused with the list of these names.
func Plugins() gateway.Plugins {
	return gateway.Plugins{oidc.Name: oidc.New}
}

// Validate reports every problem of the configuration at once.
func (c *Config) Validate() error {
	var problems []string
	addr := func(field, v string) {
		if _, _, err := net.SplitHostPort(v); err != nil {
			problems = append(problems, fmt.Sprintf("%s %q: want HOST:PORT", field, v))
		}
	}
	if c.Listen != "" {
		addr("listen", c.Listen)
	}
	if c.AdminListen != "" && c.AdminListen != "off" {
		addr("admin listen", c.AdminListen)
	}
	switch c.IdP {
	case IdPLocal:
		if c.IdPListen != "" {
			addr("IdP listen", c.IdPListen)
		}
	case IdPNone, "":
		if c.Deck == nil {
			problems = append(problems, "the built-in tutorial needs an IdP: the embedded one (local) or an external one")
		}
	case IdPExternal:
		if c.External.Issuer == "" || c.External.ClientID == "" {
			problems = append(problems, "an external IdP needs an issuer and a client id")
		}
	default:
		problems = append(problems, fmt.Sprintf("IdP %q: want local, none or external", c.IdP))
	}
	if len(problems) == 0 {
		return nil
	}
	return &InvalidConfigError{Problems: problems}
}

// InvalidConfigError lists every problem of a Config.
type InvalidConfigError struct{ Problems []string }

func (e *InvalidConfigError) Error() string { return strings.Join(e.Problems, "; ") }

// ListenError is a port the lab could not listen on.
type ListenError struct {
	Role string // "proxy", "admin" or "idp"
	Addr string
	Err  error
}

func (e *ListenError) Error() string {
	return fmt.Sprintf("cannot listen on %s for the %s: %v", e.Addr, e.Role, e.Err)
}
func (e *ListenError) Unwrap() error { return e.Err }

// InUse reports whether another program holds the port.
func (e *ListenError) InUse() bool { return errors.Is(e.Err, errAddrInUse) }

// DeckError is a decK file that did not load or apply: every problem, with its line, is in
// the wrapped *deck.Errors.
type DeckError struct {
	Source string
	// MissingTutorialEnv lists the tutorial's variables the file needed and the environment
	// did not set: an embedded IdP would provide them.
	MissingTutorialEnv []string
	Err                error
}

func (e *DeckError) Error() string { return e.Err.Error() }
func (e *DeckError) Unwrap() error { return e.Err }

// IdPError is an identity provider that could not start or be used.
type IdPError struct{ Err error }

func (e *IdPError) Error() string { return "identity provider: " + e.Err.Error() }
func (e *IdPError) Unwrap() error { return e.Err }

// ExposeError is a public listener (tunnel) that could not be opened.
type ExposeError struct{ Err error }

func (e *ExposeError) Error() string { return "public URL: " + e.Err.Error() }
func (e *ExposeError) Unwrap() error { return e.Err }
