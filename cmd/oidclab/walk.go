package main

import (
	"context"
	"errors"
	"os"
	"sync/atomic"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/okta"
	"github.com/oidclab/oidclab/okta/emulator"
	"github.com/oidclab/oidclab/tui"
	"github.com/oidclab/oidclab/tunnel"
)

// walkOptions are the bare command's own flags, beside up's.
type walkOptions struct {
	NoTUI bool
}

func addWalkFlags(f *pflag.FlagSet, w *walkOptions) {
	f.BoolVar(&w.NoTUI, "no-tui", false, "print the hops as a log (like 'oidclab up') instead of the walkthrough screens")
}

// wantsWalkthrough decides whether bare `oidclab` shows the walkthrough: a person at a
// terminal (stdin and stdout, not CI) who asked for nothing a log is for (-c, --json, --no-tui).
func wantsWalkthrough(cmd *cobra.Command, io *ioStreams, up *upOptions, w *walkOptions) bool {
	if w.NoTUI || !io.CanPrompt() || up.JSON {
		return false
	}
	return !cmd.Flags().Changed("config")
}

// runWalkthrough runs the walkthrough on the up flags' addresses; the lab logs nowhere, since
// log lines would paint over the screen (the screens show every hop).
func runWalkthrough(cmd *cobra.Command, io *ioStreams, up *upOptions) error {
	_, noColor := os.LookupEnv("NO_COLOR")
	if noColor {
		lipgloss.SetColorProfile(termenv.Ascii)
	}
	var current atomic.Pointer[lab.Lab]
	opts := tui.Options{
		StartLab: func(ctx context.Context, cfg lab.Config) (tui.Engine, error) {
			l, err := lab.Start(ctx, cfg)
			if err != nil {
				return nil, err
			}
			current.Store(l)
			return l, nil
		},
		Setup: walkSetup(current.Load, os.Getenv),
		Lab: lab.Config{
			Listen:      up.Listen,
			AdminListen: up.AdminListen,
			IdPListen:   up.IdPListen,
			LookupEnv:   os.LookupEnv,
		},
		Getenv:  os.Getenv,
		NoColor: noColor,
		// The walk asks for the tunnel when NGROK_AUTHTOKEN is set; --ngrok-domain and
		// --tunnel-timeout apply as for up.
		Exposer: func(ctx context.Context, authtoken string) (lab.Exposure, error) {
			return lab.Tunnel(tunnel.Ngrok{}, tunnel.Config{Authtoken: authtoken, Domain: up.NgrokDomain, ConnectTimeout: up.TunnelTimeout})(ctx)
		},
	}
	return tui.Run(cmd.Context(), opts, io.In, io.Out)
}

// walkSetup is the walkthrough's "create it for me": okta.Setup against the user's org (API
// token typed or from OKTA_API_TOKEN, the user to assign from OKTA_TEST_USER), or against the
// running lab's embedded IdP, whose Management API makes it work offline (its token never
// leaves the process).
func walkSetup(current func() *lab.Lab, getenv func(string) string) tui.Setup {
	return func(ctx context.Context, req tui.SetupRequest) (tui.SetupResult, error) {
		orgURL, token, user := req.OrgURL, req.APIToken, getenv("OKTA_TEST_USER")
		if req.Embedded {
			l := current()
			if l == nil || l.Emulator() == nil {
				return tui.SetupResult{}, errors.New("the embedded IdP is not running")
			}
			orgURL, token, user = l.Emulator().URL(), l.Emulator().APIToken(), emulator.DemoUserLogin
		}
		if user == "" {
			return tui.SetupResult{}, errors.New("set OKTA_TEST_USER to the login of the user to assign to the new app (the one you will log in as), then try again")
		}
		c, err := okta.NewClient(orgURL, token, okta.ClientOptions{})
		if err != nil {
			return tui.SetupResult{}, err
		}
		res, err := okta.Setup(ctx, c, okta.SetupRequest{UserLogin: user, RedirectURIs: []string{req.RedirectURI}})
		if err != nil {
			return tui.SetupResult{}, err
		}
		st := res.State
		return tui.SetupResult{
			Issuer: st.Issuer, ClientID: st.ClientID, ClientSecret: res.ClientSecret,
			Created: []string{"application " + st.ClientID, "authorization server " + st.AuthServerID + " with its access policy and rule", "assignment of " + st.UserLogin},
			Cleanup: func(ctx context.Context) error { return okta.Cleanup(ctx, c, st) },
		}, nil
	}
}
