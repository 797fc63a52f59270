package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/tutorial"
)

// tunnelStateFile is where `oidclab up` and `oidclab tunnel` note the tunnel they hold open,
// so `oidclab okta setup|sync` in another terminal can register its URL without copying it.
const tunnelStateFile = ".oidclab/tunnel.json"

// tunnelState is that note. It holds URLs only: nothing secret.
type tunnelState struct {
	PublicURL   string `json:"public_url"`
	RedirectURI string `json:"redirect_uri"`
	PID         int    `json:"pid"`
}

// noteTunnel writes the note and returns the func that removes it (when the tunnel closes).
// Failing to write it only loses the convenience, so it is not an error for the caller.
func noteTunnel(path, publicURL, redirectURI string) (remove func(), err error) {
	b, _ := json.Marshal(tunnelState{PublicURL: publicURL, RedirectURI: redirectURI, PID: os.Getpid()})
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return func() {}, err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return func() {}, err
	}
	return func() { _ = os.Remove(path) }, nil
}

// runningTunnel reads the note of a tunnel whose process is still alive.
func runningTunnel(path string) (tunnelState, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return tunnelState{}, err
	}
	var st tunnelState
	if err := json.Unmarshal(b, &st); err != nil || st.RedirectURI == "" {
		return tunnelState{}, fmt.Errorf("%s is not a tunnel note", path)
	}
	// Signal 0 checks the process exists without touching it: a note left by a crash is stale.
	if st.PID <= 0 {
		return tunnelState{}, fmt.Errorf("%s names no process", path)
	}
	if err := syscall.Kill(st.PID, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return tunnelState{}, fmt.Errorf("the tunnel noted in %s is no longer running", path)
	}
	return st, nil
}

// noteLabTunnel notes a lab's tunnel, when it has one, and returns the func that removes the
// note.
func noteLabTunnel(l *lab.Lab) func() {
	if l.PublicURL() == l.ProxyURL() {
		return func() {}
	}
	remove, _ := noteTunnel(tunnelStateFile, l.PublicURL(), tutorial.RedirectURI(l.PublicURL()))
	return remove
}

// redirectFromTunnel is the redirect URI of the tunnel `oidclab up` or `oidclab tunnel` holds
// open here, for okta setup and sync when --redirect-uri is left out.
func redirectFromTunnel(io *ioStreams) ([]string, bool) {
	st, err := runningTunnel(tunnelStateFile)
	if err != nil {
		return nil, false
	}
	fmt.Fprintf(io.ErrOut, "using the running tunnel's redirect URI %s (from %s)\n", st.RedirectURI, tunnelStateFile)
	return []string{st.RedirectURI}, true
}
