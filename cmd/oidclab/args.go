package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// Argument validators for every command: each returns a *usageError (exit 2) that says what
// was wrong and where the help is.

// noArgs accepts no positional arguments. On a command with subcommands a stray word is most
// likely a mistyped or missing command, and is reported as one, with suggestions.
var noArgs = usageArgs(func(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if cmd.HasAvailableSubCommands() {
		return unknownCommand(cmd, args[0])
	}
	return fmt.Errorf("unexpected argument %q: '%s' takes no arguments", args[0], cmd.CommandPath())
})

// usageArgs makes v's complaint a usage error; an error that already is one is left alone, so
// wrapping twice is harmless.
func usageArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		return asUsageArgs(cmd, v(cmd, args))
	}
}

// asUsageArgs is the usage error for cmd's arguments, ending with where its help is.
func asUsageArgs(cmd *cobra.Command, err error) error {
	var ue *usageError
	if err == nil || errors.As(err, &ue) {
		return err
	}
	return &usageError{err: fmt.Errorf("%w\nRun '%s --help' for usage.", err, cmd.CommandPath())}
}

// unknownCommand is cobra's own message for a word that names no subcommand of cmd, with its
// suggestions.
func unknownCommand(cmd *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q for %q", name, cmd.CommandPath())
	if s := cmd.SuggestionsFor(name); len(s) > 0 && !cmd.DisableSuggestions {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t") + "\n"
	}
	return errors.New(msg)
}
