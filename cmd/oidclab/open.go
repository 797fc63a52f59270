package main

import (
	"log/slog"

	"github.com/pkg/browser"
)

// openBrowser launches the user's browser on url; failing to is not fatal (the URL is printed).
func openBrowser(io *ioStreams, url string, logger *slog.Logger) {
	// pkg/browser copies the launcher's output to these; keep it off our stdout (--json).
	browser.Stdout = io.ErrOut
	browser.Stderr = io.ErrOut
	if err := browser.OpenURL(url); err != nil {
		logger.Warn("could not open a browser; open the URL yourself", "url", url, "err", err)
	}
}
