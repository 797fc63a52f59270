package main

import (
	"io"
	"os"
	"strconv"

	"golang.org/x/term"
)

// ioStreams is where commands read and write, and what they know about the terminal: output
// for a person or for a program, whether a question can be asked. Tests build one with
// testIOStreams and choose what it looks like with the Set methods.
type ioStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY    bool
	stdoutTTY   bool
	stderrTTY   bool
	neverPrompt bool
}

func systemIO() *ioStreams {
	return newIOStreams(os.Stdin, os.Stdout, os.Stderr, os.LookupEnv)
}

// newIOStreams looks at the files once: whether they are terminals does not change while the
// process runs, and commands ask often.
func newIOStreams(in, out, errOut *os.File, lookupEnv func(string) (string, bool)) *ioStreams {
	return &ioStreams{
		In: in, Out: out, ErrOut: errOut,
		stdinTTY:    isTerminal(in),
		stdoutTTY:   isTerminal(out),
		stderrTTY:   isTerminal(errOut),
		neverPrompt: isCI(lookupEnv),
	}
}

func (s *ioStreams) IsStdinTTY() bool  { return s.stdinTTY }
func (s *ioStreams) IsStdoutTTY() bool { return s.stdoutTTY }
func (s *ioStreams) IsStderrTTY() bool { return s.stderrTTY }

func (s *ioStreams) SetStdinTTY(v bool)    { s.stdinTTY = v }
func (s *ioStreams) SetStdoutTTY(v bool)   { s.stdoutTTY = v }
func (s *ioStreams) SetStderrTTY(v bool)   { s.stderrTTY = v }
func (s *ioStreams) SetNeverPrompt(v bool) { s.neverPrompt = v }

// CanPrompt reports whether a question may be asked: someone must be able to read it (stdout)
// and answer it (stdin), and a CI job has no one at the keyboard even when it has a
// pseudo-terminal.
func (s *ioStreams) CanPrompt() bool {
	return !s.neverPrompt && s.stdinTTY && s.stdoutTTY
}

// isCI recognises the CI variable that GitHub Actions, GitLab, CircleCI, Travis, Buildkite and
// most others set; CI=false (or 0) is someone turning it off.
func isCI(lookupEnv func(string) (string, bool)) bool {
	v, ok := lookupEnv("CI")
	if !ok || v == "" {
		return false
	}
	if b, err := strconv.ParseBool(v); err == nil {
		return b
	}
	return true
}

// isTerminal asks the terminal driver rather than checking for a character device: /dev/null
// is one too, and `oidclab > /dev/null` must not open a browser.
func isTerminal(f *os.File) bool {
	return f != nil && term.IsTerminal(int(f.Fd()))
}
