package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func newRootCmd(io *ioStreams) *cobra.Command {
	root := &cobra.Command{
		Use:   "oidclab",
		Short: "Test an OpenID Connect login through an API gateway",
		Long: `oidclab runs Kong's "OpenID Connect with the authorization code flow and Okta"
tutorial on your machine: an embedded gateway that reads Kong's decK files, an
embedded Okta-compatible authorization server, explained hop by hop.

Without a command it runs the tutorial's login: the same as 'oidclab up' with no -c, plus
--open when run from a terminal (--open=false to stop that) and --log-level warn, so the
explained hops are not buried in the access log.`,
		Example: `  # The tutorial's login on the embedded gateway and IdP, in your browser (no account needed)
  oidclab

  # Your own decK file
  oidclab up -c kong.yaml`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// Bare `oidclab` runs the main job: `up` on the embedded defaults, opening the browser when
	// a person is at the terminal.
	upOpts := &upOptions{IO: io}
	addUpFlags(root.Flags(), upOpts)
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if !cmd.Flags().Changed("open") {
			upOpts.Open = io.IsStdoutTTY()
		}
		if !cmd.Flags().Changed("log-level") {
			// The walkthrough explains each hop itself; the access log would drown it.
			upOpts.LogLevel = "warn"
		}
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return upRun(ctx, upOpts)
	}
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	// Flag mistakes are usage errors (exit 2), like a bad config file.
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{err: fmt.Errorf("%w\nRun '%s --help' for usage.", err, c.CommandPath())}
	})

	for _, newCmd := range subcommands {
		root.AddCommand(newCmd(io))
	}
	return root
}

// subcommands holds every command's constructor; each command's file registers itself in init,
// so adding a command never touches this file.
var subcommands []func(*ioStreams) *cobra.Command

// run executes the CLI and maps the outcome to an exit code; the only place errors are printed.
func run(args []string, io *ioStreams) int {
	root := newRootCmd(io)
	root.SetArgs(args)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := root.ExecuteContext(ctx)
	if err != nil && !errors.Is(err, errSilent) {
		fmt.Fprintln(io.ErrOut, "oidclab: "+err.Error())
	}
	code := exitCodeFor(err)
	if err != nil && code == exitFailure && isCobraUsage(err) {
		code = exitUsage
	}
	return int(code)
}

// isCobraUsage recognises cobra's own argument errors (unknown command, wrong arg count).
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "unknown flag", "invalid argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
