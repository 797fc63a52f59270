package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/oidclab/oidclab/gateway/deck"
)

// ApplyWith is Apply with vars resolved before the lab's own: a front end applies the values
// a person typed (a client secret that may be wrong is the point of trying) while a variable
// it leaves out, such as the embedded IdP's client secret, still comes from the lab and never
// passes through the front end.
func (l *Lab) ApplyWith(src []byte, name string, vars map[string]string) error {
	opts := l.cfg.Plugins.LoadOptions()
	opts.LookupEnv = lookupWith(vars, l.lookup)
	cfg, err := deck.Load(bytes.NewReader(src), name, opts)
	if err != nil {
		return &DeckError{Source: name, MissingTutorialEnv: missingTutorialEnv(err), Err: err}
	}
	if err := l.gw.Apply(cfg); err != nil {
		return &DeckError{Source: name, Err: err}
	}
	l.noteIdP(cfg)
	return nil
}

// Discovery is what an issuer's discovery document says, as far as a person setting up a
// login needs to know.
type Discovery struct {
	// Issuer is the issuer as typed, normalised: no well-known suffix, no trailing slash.
	Issuer        string
	URL           string // the discovery document's URL
	Discovered    string // the document's issuer
	Authorize     string
	PKCE          bool // S256 advertised
	ResponseModes []string
}

// NormalizeIssuer turns what a person pastes (an issuer, or its discovery URL, with or without
// a trailing slash) into the issuer, as the openid-connect plugin reads config.issuer.
func NormalizeIssuer(s string) string {
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	for _, suffix := range []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"} {
		if base, ok := strings.CutSuffix(s, suffix); ok {
			return strings.TrimRight(base, "/")
		}
	}
	return s
}

// CheckIssuer reads issuer's discovery document as the gateway will, so a wrong issuer is
// found while the person is still on the screen that sets it, not at the first login. It
// follows no redirects (the plugin does not either) and reads at most 1 MiB.
func CheckIssuer(ctx context.Context, issuer string) (Discovery, error) {
	d := Discovery{Issuer: NormalizeIssuer(issuer)}
	d.URL = d.Issuer + "/.well-known/openid-configuration"
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.URL, nil)
	if err != nil {
		return d, err
	}
	req.Header.Set("Accept", "application/json")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return d, fmt.Errorf("GET %s: %w", d.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return d, fmt.Errorf("GET %s: status %d (is this the authorization server's issuer?)", d.URL, resp.StatusCode)
	}
	var doc struct {
		Issuer        string   `json:"issuer"`
		Authorize     string   `json:"authorization_endpoint"`
		PKCE          []string `json:"code_challenge_methods_supported"`
		ResponseModes []string `json:"response_modes_supported"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil {
		return d, fmt.Errorf("GET %s: not a discovery document: %w", d.URL, err)
	}
	d.Discovered, d.Authorize, d.ResponseModes = Clean(doc.Issuer), Clean(doc.Authorize), doc.ResponseModes
	for _, m := range doc.PKCE {
		d.PKCE = d.PKCE || m == "S256"
	}
	if strings.TrimRight(doc.Issuer, "/") != d.Issuer {
		return d, fmt.Errorf("the discovery document names issuer %q, not %q: use exactly the issuer of the authorization server the app uses", d.Discovered, d.Issuer)
	}
	return d, nil
}
