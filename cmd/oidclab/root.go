package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/oidclab/oidclab/lab"
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

Without a command, in a terminal, it is the walkthrough: screen by screen from nothing to a
validated login (embedded IdP or your Okta org, ngrok when NGROK_AUTHTOKEN is set). With
--no-tui (or -c, --json) it is 'oidclab up' with no -c, plus --open (--open=false to stop
that) and --log-level warn, so the explained hops are not buried in the access log. When stdin
or stdout is not a terminal (CI, a pipe) it runs the tutorial scenario once instead ('oidclab
run'), prints the report and exits: 0 when the login worked.`,
		Example: `  # The walkthrough to a validated login (no account needed)
  oidclab

  # The tutorial's login served, hops printed, in your browser
  oidclab --no-tui

  # The tutorial's login once, headless, for CI
  oidclab run

  # Your own decK file
  oidclab up -c kong.yaml`,
		Args:          noArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		// cobra leaves it at 0, which suggests only commands the typo is a prefix of.
		SuggestionsMinimumDistance: 2,
	}
	// Bare `oidclab` runs the main job: `up` on the embedded defaults, opening the browser when
	// a person is at the terminal.
	upOpts := &upOptions{IO: io}
	addUpFlags(root.Flags(), upOpts)
	walkOpts := &walkOptions{}
	addWalkFlags(root.Flags(), walkOpts)
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if wantsWalkthrough(cmd, io, upOpts, walkOpts) {
			return runWalkthrough(cmd, io, upOpts)
		}
		if !io.IsStdinTTY() || !io.IsStdoutTTY() {
			// Nobody at a terminal (CI, a pipe): validate the tutorial's login once and end,
			// instead of serving forever.
			return runRun(cmd.Context(), &runOptions{IO: io, Browser: "http", Parallel: 1})
		}
		if !cmd.Flags().Changed("open") {
			upOpts.Open = io.IsStdoutTTY()
		}
		if !cmd.Flags().Changed("log-level") {
			// The walkthrough explains each hop itself; the access log would drown it.
			upOpts.LogLevel = "warn"
		}
		return upRun(cmd.Context(), upOpts)
	}
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	// Flag mistakes are usage errors (exit 2), like a bad config file.
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{err: fmt.Errorf("%w\nRun '%s --help' for usage.", err, c.CommandPath())}
	})

	root.AddCommand(
		newUpCmd(io),
		newRunCmd(io),
		newIdpCmd(io),
		newTunnelCmd(io),
		newOktaCmd(io),
		newDeckCmd(io),
		newKongCmd(io),
		newVersionCmd(io),
	)
	root.SetHelpCommand(newHelpCmd(root))
	root.InitDefaultCompletionCmd()
	// cobra's completion commands take no arguments, but say so with its plain errors (exit 1)
	// and call a stray word on `completion bash` an unknown command.
	if comp, _, err := root.Find([]string{"completion"}); err == nil && comp != root {
		walkCommands(comp, func(c *cobra.Command) { c.Args = noArgs })
	}
	return root
}

// newHelpCmd replaces cobra's help command, which shows the root's help, and exits 0, for a
// topic that does not exist.
func newHelpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Args:  usageArgs(cobra.ArbitraryArgs),
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			target, _, err := root.Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, sub := range target.Commands() {
				if sub.IsAvailableCommand() {
					out = append(out, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := root.Find(args)
			if err == nil && len(rest) > 0 {
				// Words Find could not place are the topic's arguments: as wrong here as there.
				err = target.ValidateArgs(rest)
			}
			if err != nil {
				return asUsageArgs(target, err)
			}
			target.InitDefaultHelpFlag()
			return target.Help()
		},
	}
}

func walkCommands(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walkCommands(sub, fn)
	}
}

// run executes the CLI and maps the outcome to an exit code; the only place errors are printed.
// The one signal-aware context it makes is every command's cmd.Context().
func run(args []string, io *ioStreams) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// Once the first signal asked for a shutdown, the next one kills a shutdown that hangs.
		<-ctx.Done()
		stop()
	}()
	return runContext(ctx, args, io)
}

// runContext is run under a context the caller controls (tests cancel it).
func runContext(ctx context.Context, args []string, io *ioStreams) int {
	err := execute(ctx, newRootCmd(io), args)
	if err != nil && !errors.Is(err, errSilent) {
		// Errors quote servers (Okta, Kong, an IdP) and files: no control character reaches
		// the terminal.
		fmt.Fprintln(io.ErrOut, "oidclab: "+lab.CleanText(err.Error()))
	}
	return int(exitCodeFor(err))
}

// execute runs root on args. cobra answers --help before it checks arguments, so
// `oidclab mesh apply --help` (no such command) would print the root's help and succeed; the help function
// checks them first and turns the request into the usage error the same line without --help
// gets.
func execute(ctx context.Context, root *cobra.Command, args []string) error {
	var refused error
	help := root.HelpFunc()
	root.SetHelpFunc(func(c *cobra.Command, helpArgs []string) {
		// Flags are parsed by now: what is left is what the command would be given.
		if err := c.ValidateArgs(c.Flags().Args()); err != nil {
			refused = err
			return
		}
		help(c, helpArgs)
	})
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		return err
	}
	return refused
}
