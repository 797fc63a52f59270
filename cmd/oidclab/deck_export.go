package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/oidclab/oidclab/gateway/deck"
	"github.com/oidclab/oidclab/kong"
	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/tutorial"
)

// envAdminToken names the variable `kong apply` and `deck export --admin-url` read an Admin
// API token from (sent as Kong-Admin-Token): a flag would leave it in the shell history.
const envAdminToken = "KONG_ADMIN_TOKEN"

func newDeckCmd(io *ioStreams) *cobra.Command {
	return newGroupCmd("deck <command>", "Work with decK files: export the validated configuration for Kong",
		newDeckExportCmd(io))
}

// newGroupCmd is a command that only holds others, as `oidclab deck` and `oidclab kong` do.
func newGroupCmd(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: noArgs}
	cmd.AddCommand(subs...)
	return cmd
}

// deckSource is what `deck export` and `kong apply` read from: a decK file, an Admin API, and
// the environment (the file's DECK_* variables, the Admin API's token).
type deckSource struct {
	IO         *ioStreams
	ConfigFile string
	AdminURL   string

	lookupEnv func(string) (string, bool) // nil: os.LookupEnv
}

func (s *deckSource) lookup() func(string) (string, bool) {
	if s.lookupEnv == nil {
		return os.LookupEnv
	}
	return s.lookupEnv
}

// kongState reads what the Admin API at AdminURL holds; its failures say what to do.
func (s *deckSource) kongState(ctx context.Context) (*kong.Client, kong.State, error) {
	client, err := newKongClient(s.AdminURL, s.lookup())
	if err != nil {
		return nil, kong.State{}, err
	}
	st, err := client.State(ctx)
	if err != nil {
		return nil, kong.State{}, kongError(err, s.lookup())
	}
	return client, st, nil
}

// deckExportOptions are the flags of `oidclab deck export`.
type deckExportOptions struct {
	deckSource
	Output string
}

func newDeckExportCmd(io *ioStreams) *cobra.Command {
	opts := &deckExportOptions{deckSource: deckSource{IO: io}}
	cmd := &cobra.Command{
		Use:   "export [-c FILE | --admin-url URL] [-o kong.yaml]",
		Short: "Write the configuration as a decK file for Kong 3.x, secrets as ${{ env }} placeholders",
		Long: `Write a decK state file Kong 3.x accepts (_format_version "3.0", services with their routes
and plugins) from a decK file (-c, default the tutorial's, rendered with DECK_* variables as
'oidclab up -c' does) or from a running admin API (--admin-url: oidclab's or Kong's).

Secrets (client_secret, session_secret, passwords, ...) are never written: each becomes a
${{ env "DECK_..." }} placeholder, named after the variable the source file read it from
(DECK_OKTA_CLIENT_SECRET for the tutorial's) or DECK_<PLUGIN>_<FIELD>. The variables to set
are listed on stderr. The file loads in oidclab itself, in 'deck gateway sync' and in
'oidclab kong apply'.`,
		Example: `  # The tutorial's configuration, validated here, as a file for Kong
  oidclab deck export -c kong.yaml -o kong-export.yaml
  deck gateway sync kong-export.yaml

  # What a running oidclab serves (after changes through its admin API)
  oidclab deck export --admin-url http://127.0.0.1:8001 -o kong-export.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return deckExportRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.VarP(&onceString{dst: &opts.ConfigFile}, "config", "c", "decK state file to export (default the tutorial's); - reads standard input")
	f.StringVarP(&opts.Output, "output", "o", "-", "file to write; - is standard output")
	f.StringVar(&opts.AdminURL, "admin-url", "", "export what this admin API holds instead of a file (token from "+envAdminToken+")")
	return cmd
}

func deckExportRun(ctx context.Context, opts *deckExportOptions) error {
	if opts.ConfigFile != "" && opts.AdminURL != "" {
		return usageErrorf("-c and --admin-url both name what to export: give one")
	}
	lookup := opts.lookup()
	var cfg *deck.Config
	sourceEnv := map[string]string{}
	if opts.AdminURL != "" {
		_, st, err := opts.kongState(ctx)
		if err != nil {
			return err
		}
		var skipped int
		cfg, skipped = st.Deck()
		if skipped > 0 {
			fmt.Fprintf(opts.IO.ErrOut, "oidclab: %d plugins on consumers left out (oidclab has no consumers)\n", skipped)
		}
	} else {
		var src []byte
		var err error
		if cfg, src, err = loadDeckFile(opts.ConfigFile, opts.IO.In, lookup); err != nil {
			return err
		}
		for _, name := range deck.ReferencedVariables(src) {
			if v, ok := lookup(name); ok {
				sourceEnv[name] = v
			}
		}
	}
	data, vars, err := cfg.MarshalForKong(deck.ExportOptions{SourceEnv: sourceEnv})
	if err != nil {
		return err
	}
	if err := writeOutput(opts.Output, opts.IO.Out, data); err != nil {
		return err
	}
	printExportVars(opts.IO.ErrOut, opts.Output, vars)
	return nil
}

// writeOutput writes data to path, or to stdout for "-". A partial file is removed: a decK file
// cut short could still parse.
func writeOutput(path string, stdout io.Writer, data []byte) error {
	if path == "-" || path == "" {
		_, err := stdout.Write(data)
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		os.Remove(path)
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

func printExportVars(w io.Writer, output string, vars []deck.EnvVar) {
	if len(vars) == 0 {
		fmt.Fprintln(w, "oidclab: no secrets in the configuration: the file needs no variables")
		return
	}
	file := output
	if file == "-" || file == "" {
		file = "FILE"
	}
	fmt.Fprintf(w, "oidclab: the file reads its secrets from these variables; set them before 'deck gateway sync %s' or 'oidclab kong apply -c %s':\n", file, file)
	for _, v := range vars {
		note := ""
		if v.FromSource {
			note = " (as in the source file)"
		}
		fmt.Fprintf(w, "  %s  %s%s\n", v.Name, strings.Join(v.Where, "; "), note)
	}
}

// loadDeckFile reads a decK file (the tutorial's when path is "") and loads it as `up -c`
// does, checked against the plugins oidclab runs. Problems are usage errors.
func loadDeckFile(path string, stdin io.Reader, lookup func(string) (string, bool)) (*deck.Config, []byte, error) {
	src, name := tutorial.Deck, tutorial.DeckName
	if path != "" {
		var err error
		if src, err = readConfigFile(path, stdin); err != nil {
			return nil, nil, asUsage(err)
		}
		name = path
	}
	opts := lab.Plugins().LoadOptions()
	opts.LookupEnv = lookup
	cfg, err := deck.Load(bytes.NewReader(src), name, opts)
	if err != nil {
		if unset := deck.UnsetVariables(err); len(unset) > 0 {
			return nil, nil, usageErrorf("%w\n(the file reads %s from the environment: export them for your IdP, as for 'oidclab up -c')", err, strings.Join(unset, ", "))
		}
		return nil, nil, asUsage(err)
	}
	return cfg, src, nil
}

// newKongClient builds the Admin API client; a bad URL is a usage error.
func newKongClient(adminURL string, lookup func(string) (string, bool)) (*kong.Client, error) {
	token, _ := lookup(envAdminToken)
	c, err := kong.New(adminURL, kong.Options{Token: token})
	if err != nil {
		return nil, usageErrorf("--admin-url: %v", err)
	}
	return c, nil
}

// kongError adds what to do to an Admin API failure (exit 1: the command ran, Kong said no).
func kongError(err error, lookup func(string) (string, bool)) error {
	var ae *kong.APIError
	if !errors.As(err, &ae) {
		if strings.Contains(err.Error(), "cannot reach") {
			return fmt.Errorf("%w (is Kong running there? check --admin-url)", err)
		}
		return err
	}
	switch ae.Status {
	case 401, 403:
		if _, set := lookup(envAdminToken); set {
			return fmt.Errorf("%w (the token in %s was refused)", err, envAdminToken)
		}
		return fmt.Errorf("%w (the Admin API wants a token: export %s=<an admin token>)", err, envAdminToken)
	case 405:
		return fmt.Errorf("%w (a DB-less Kong takes its configuration whole: use 'deck gateway sync' or POST /config)", err)
	}
	return err
}
