package main

import (
	"errors"
	"fmt"
)

// exitCode is the process status; every command error maps to one of these in exitCodeFor.
type exitCode int

const (
	exitOK      exitCode = 0 // the command did what was asked
	exitFailure exitCode = 1 // it ran, and what it checked failed (a scenario, a login)
	exitUsage   exitCode = 2 // bad flags, bad configuration, a port in use: the user must change something
)

// usageError marks errors the user fixes by changing their command line or files.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usageErrorf builds a usage error (exit code 2).
func usageErrorf(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// asUsage wraps err so that it exits with code 2; nil stays nil.
func asUsage(err error) error {
	if err == nil {
		return nil
	}
	return &usageError{err: err}
}

// errSilent reports failure without printing anything more (the command already said why).
var errSilent = errors.New("silent failure")

func exitCodeFor(err error) exitCode {
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	default:
		return exitFailure
	}
}
