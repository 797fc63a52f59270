package main

import (
	"io"
	"os"
)

// ioStreams is where commands read and write; tests replace it with buffers and choose
// whether it looks like a terminal.
type ioStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdoutTTY bool
}

func systemIO() *ioStreams {
	return &ioStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, stdoutTTY: isTerminal(os.Stdout)}
}

// IsStdoutTTY reports whether stdout is an interactive terminal.
func (s *ioStreams) IsStdoutTTY() bool { return s.stdoutTTY }

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	return fi.Mode()&os.ModeCharDevice != 0
}
