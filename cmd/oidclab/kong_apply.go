package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/oidclab/oidclab/kong"
	"github.com/oidclab/oidclab/lab"
)

func newKongCmd(io *ioStreams) *cobra.Command {
	return newGroupCmd("kong <command>", "Move the validated configuration to a Kong Gateway through its Admin API",
		newKongApplyCmd(io))
}

// kongApplyOptions are the flags of `oidclab kong apply`.
type kongApplyOptions struct {
	deckSource
	DryRun bool
	JSON   bool
}

func newKongApplyCmd(io *ioStreams) *cobra.Command {
	opts := &kongApplyOptions{deckSource: deckSource{IO: io}}
	cmd := &cobra.Command{
		Use:   "apply --admin-url URL [-c FILE] [--dry-run]",
		Short: "Create or update the file's services, routes and plugins in Kong, showing the diff first",
		Long: `Read a decK file (-c, default the tutorial's; ${{ env "DECK_*" }} rendered as 'oidclab up -c'
does), compare it with what Kong's Admin API holds, print the differences, then make them:
services, then routes, then plugins, each with PUT (created or replaced by name; plugins by
name and scope). Running it again changes nothing.

Nothing is ever deleted: what Kong has beyond the file is listed and left alone ('deck gateway
sync' is the tool for a file that is the whole truth). Only the fields the file sets are
compared; secrets are shown <redacted>. With --dry-run only the differences are printed.
An Admin API token is read from KONG_ADMIN_TOKEN and sent as Kong-Admin-Token.`,
		Example: `  # What would change, then change it
  oidclab kong apply --admin-url http://localhost:8001 -c kong.yaml --dry-run
  oidclab kong apply --admin-url http://localhost:8001 -c kong.yaml

  # Try it against oidclab itself (its admin API has Kong's write endpoints)
  oidclab up -c kong.yaml --admin-listen 127.0.0.1:8001 &
  oidclab kong apply --admin-url http://127.0.0.1:8001 -c kong-v2.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return kongApplyRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.AdminURL, "admin-url", "", "Kong's Admin API, e.g. http://localhost:8001 (required)")
	f.VarP(&onceString{dst: &opts.ConfigFile}, "config", "c", "decK state file (default the tutorial's); - reads standard input")
	f.BoolVar(&opts.DryRun, "dry-run", false, "print the differences only; change nothing")
	f.BoolVar(&opts.JSON, "json", false, "print the differences (and whether they were applied) as one JSON object")
	return cmd
}

// kongApplyReport is what --json prints.
type kongApplyReport struct {
	AdminURL string         `json:"admin_url"`
	DryRun   bool           `json:"dry_run"`
	Applied  bool           `json:"applied"`
	Counts   map[string]int `json:"counts"`
	*kong.Plan
}

func kongApplyRun(ctx context.Context, opts *kongApplyOptions) error {
	if opts.AdminURL == "" {
		return usageErrorf("--admin-url is required: Kong's Admin API, e.g. --admin-url http://localhost:8001")
	}
	lookup := opts.lookup()
	cfg, _, err := loadDeckFile(opts.ConfigFile, opts.IO.In, lookup)
	if err != nil {
		return err
	}
	client, st, err := opts.kongState(ctx)
	if err != nil {
		return err
	}
	plan := kong.Diff(cfg, st)
	report := kongApplyReport{AdminURL: client.URL(), DryRun: opts.DryRun, Plan: plan, Counts: map[string]int{}}
	for _, a := range []kong.Action{kong.Create, kong.Update, kong.Unchanged, kong.NotInFile} {
		report.Counts[string(a)] = plan.Count(a)
	}
	if !opts.JSON {
		printPlan(opts.IO.Out, client.URL(), plan, opts.DryRun)
	}
	if !opts.DryRun && !plan.Empty() {
		if err := client.Apply(ctx, plan); err != nil {
			if opts.JSON {
				_ = json.NewEncoder(opts.IO.Out).Encode(report)
			}
			return kongError(err, lookup)
		}
		report.Applied = true
		if !opts.JSON {
			fmt.Fprintf(opts.IO.Out, "applied: %d created, %d updated\n", plan.Count(kong.Create), plan.Count(kong.Update))
		}
	}
	if opts.JSON {
		return json.NewEncoder(opts.IO.Out).Encode(report)
	}
	return nil
}

// printPlan writes the diff for a person: + create, ~ update (with each field), = unchanged,
// ! on the server only.
func printPlan(w io.Writer, adminURL string, p *kong.Plan, dryRun bool) {
	fmt.Fprintf(w, "Kong Admin API %s: %d to create, %d to update, %d unchanged", adminURL,
		p.Count(kong.Create), p.Count(kong.Update), p.Count(kong.Unchanged))
	if n := p.Count(kong.NotInFile); n > 0 {
		fmt.Fprintf(w, ", %d on the server only (left alone)", n)
	}
	fmt.Fprintln(w)
	for _, ch := range p.Changes {
		switch ch.Action {
		case kong.Create:
			fmt.Fprintf(w, "  + %s\n", ch.Label())
		case kong.Update:
			fmt.Fprintf(w, "  ~ %s\n", ch.Label())
			for _, f := range ch.Fields {
				fmt.Fprintf(w, "      %s\n", lab.Clean(fmt.Sprint(f)))
			}
		case kong.Unchanged:
			fmt.Fprintf(w, "  = %s\n", ch.Label())
		case kong.NotInFile:
			fmt.Fprintf(w, "  ! %s: not in the file, left alone (kong apply never deletes)\n", ch.Label())
		}
	}
	if p.SecretsUnknown {
		fmt.Fprintln(w, "  (the server shows secrets redacted: they cannot be compared and count as unchanged; any update sends them)")
	}
	switch {
	case p.Empty():
		fmt.Fprintln(w, "nothing to change")
	case dryRun:
		fmt.Fprintln(w, "dry run: nothing changed")
	}
}
