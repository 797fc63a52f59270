package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/oidclab/oidclab/gateway/deck"
	"github.com/oidclab/oidclab/lab"
)

// upReady is the JSON line --json prints when the gateway is ready.
type upReady struct {
	ProxyURL  string  `json:"proxy_url"`
	AdminURL  *string `json:"admin_url"` // null when --admin-listen off
	PublicURL string  `json:"public_url"`
	// Tunnel is the provider of the public URL ("ngrok"), omitted without a tunnel.
	Tunnel string `json:"tunnel,omitempty"`
	// With --idp local: where the embedded IdP is and who can log in (the published demo
	// credential; the client secret is never printed).
	IdP *upReadyIdP `json:"idp,omitempty"`
}

type upReadyIdP struct {
	Issuer      string `json:"issuer"`
	ClientID    string `json:"client_id"`
	RedirectURI string `json:"redirect_uri"`
	Login       string `json:"login"`
	Password    string `json:"password"`
}

func readyOf(l *lab.Lab, tunnelName string) upReady {
	r := upReady{ProxyURL: l.ProxyURL(), PublicURL: l.PublicURL()}
	if tunnelName != "none" {
		r.Tunnel = tunnelName
	}
	if u := l.AdminURL(); u != "" {
		r.AdminURL = &u
	}
	if idp := l.IdP(); idp.Embedded {
		r.IdP = &upReadyIdP{Issuer: idp.Issuer, ClientID: idp.ClientID, RedirectURI: idp.RedirectURI, Login: idp.Login, Password: idp.Password}
	}
	return r
}

// startHops narrates the lab's hops as they happen until the returned func is called: as text
// for a person, as log records with --json. With the access log on, each request already has
// its line; the hops add the login's.
func startHops(ctx context.Context, opts *upOptions, l *lab.Lab, w io.Writer, logger *slog.Logger) (stop func()) {
	events, unsubscribe := l.Subscribe(256)
	n := &lab.Narrator{Requests: !logger.Enabled(ctx, slog.LevelInfo) && !opts.JSON}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range events {
			hop, ok := n.Narrate(e)
			if !ok {
				continue
			}
			if opts.JSON {
				logHop(logger, hop)
			} else {
				fmt.Fprint(w, hop.Text())
			}
		}
	}()
	return func() { unsubscribe(); <-done }
}

// logHop writes a hop as one log record: failures at warn, with reason and explanation.
func logHop(logger *slog.Logger, h lab.Hop) {
	level := slog.LevelInfo
	if h.Failed() {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{slog.String("kind", string(h.Kind)), slog.String("mark", string(h.Mark))}
	for _, a := range []struct{ k, v string }{
		{"request_id", h.RequestID}, {"method", h.Method}, {"path", h.Path},
		{"answered_by", string(h.AnsweredBy)}, {"reason", string(h.Reason)}, {"explain", h.Explain},
	} {
		if a.v != "" {
			attrs = append(attrs, slog.String(a.k, a.v))
		}
	}
	if h.Status != 0 {
		attrs = append(attrs, slog.Int("status", h.Status))
	}
	if len(h.Attrs) > 0 {
		attrs = append(attrs, slog.Any("attrs", h.Attrs))
	}
	logger.LogAttrs(context.Background(), level, h.Message, attrs...)
}

// announce tells the user (stderr) or the calling program (--json, stdout) that the gateway is
// ready and where.
func announce(opts *upOptions, w io.Writer, l *lab.Lab, ready upReady, logger *slog.Logger) {
	echo := l.Gateway().EchoServices()
	if len(echo) > 0 {
		logger.Info("built-in echo upstream answers these services (--real-upstreams turns it off)", "services", strings.Join(echo, ","))
	}
	if opts.JSON {
		b, _ := json.Marshal(ready)
		fmt.Fprintln(opts.IO.Out, string(b))
		return
	}
	cfg := l.Gateway().Config()
	source := cfg.Source
	if source == "-" {
		source = "standard input"
	}
	fmt.Fprintf(w, "oidclab gateway ready: %d services, %d routes, %d plugins from %s\n",
		len(cfg.Services), len(cfg.Routes), len(cfg.Plugins), source)
	fmt.Fprintf(w, "  proxy      %s\n", ready.ProxyURL)
	if ready.Tunnel != "" {
		fmt.Fprintf(w, "  public     %s  (%s tunnel to the proxy; requests through it are https)\n", ready.PublicURL, ready.Tunnel)
	}
	if ready.AdminURL != nil {
		fmt.Fprintf(w, "  admin API  %s\n", *ready.AdminURL)
	}
	for _, name := range echo {
		fmt.Fprintf(w, "  service %q is answered by the built-in echo upstream\n", name)
	}
	idp := ready.IdP
	if idp != nil {
		// The client secret is never printed; the demo password is a published demo credential.
		fmt.Fprintf(w, "  issuer     %s  (embedded Okta-compatible IdP)\n"+
			"  client     %s  (secret generated, not shown)\n"+
			"  log in as  %s / %s\n", idp.Issuer, idp.ClientID, idp.Login, idp.Password)
	}
	if p := firstRoutePath(cfg); p != "" {
		if idp != nil {
			verb := "open"
			if opts.Open {
				verb = "opening" // the browser is being launched; the URL is for another one
			}
			fmt.Fprintf(w, "  %s %s%s in a browser to log in (use this host name: the redirect URI is %s)\n", verb, ready.PublicURL, p, idp.RedirectURI)
		} else {
			fmt.Fprintf(w, "  try: curl -i %s%s\n", ready.PublicURL, p)
		}
	}
	if ready.Tunnel != "" {
		tunnelNotes(w, ready.PublicURL, ready.Tunnel)
	}
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}

// firstRoutePath is the first plain path of the first route, the page to open or curl.
func firstRoutePath(cfg *deck.Config) string {
	if len(cfg.Routes) > 0 && len(cfg.Routes[0].Paths) > 0 && !strings.HasPrefix(cfg.Routes[0].Paths[0], "~") {
		return cfg.Routes[0].Paths[0]
	}
	return ""
}
