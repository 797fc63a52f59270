package tui

import (
	"syscall"

	"github.com/charmbracelet/x/ansi"
)

var errAddrInUseForTest = syscall.EADDRINUSE

func stripANSI(s string) string { return ansi.Strip(s) }
