package main

import (
	"context"
	"os"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/oidclab/oidclab/lab"
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
	opts := tui.Options{
		Lab: lab.Config{
			Listen:      up.Listen,
			AdminListen: up.AdminListen,
			IdPListen:   up.IdPListen,
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
