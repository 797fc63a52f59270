package main

import (
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

type versionOptions struct {
	IO   *ioStreams
	JSON bool
}

func newVersionCmd(io *ioStreams) *cobra.Command {
	opts := &versionOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the oidclab version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return versionRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print as one JSON object")
	return cmd
}

func versionRun(opts *versionOptions) error {
	if opts.JSON {
		return json.NewEncoder(opts.IO.Out).Encode(map[string]string{"version": version, "go": runtime.Version()})
	}
	_, err := fmt.Fprintf(opts.IO.Out, "oidclab %s (%s)\n", version, runtime.Version())
	return err
}
