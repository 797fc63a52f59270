package tui

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Profile is what a walk remembers for the next one: answers, never secrets (those come from
// the environment or are typed again).
type Profile struct {
	IdP      string `json:"idp"`    // "embedded" or "okta"
	Tunnel   string `json:"tunnel"` // "none" or "ngrok"
	OrgURL   string `json:"okta_org_url,omitempty"`
	Issuer   string `json:"issuer,omitempty"` // Okta only: the embedded one changes with its port
	ClientID string `json:"client_id,omitempty"`
	AppMode  string `json:"app_mode"` // "embedded", "typed" or "setup"
}

// DefaultProfilePath is oidclab/profile.json under the user's config directory.
func DefaultProfilePath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "oidclab", "profile.json"), nil
}

func (o Options) profilePath() string {
	switch o.ProfilePath {
	case "-":
		return ""
	case "":
		p, _ := DefaultProfilePath()
		return p
	}
	return o.ProfilePath
}

// LoadProfile reads the profile at path; a missing file is no profile, not an error.
func LoadProfile(path string) (Profile, bool, error) {
	if path == "" {
		return Profile{}, false, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Profile{}, false, nil
	}
	if err != nil {
		return Profile{}, false, err
	}
	var p Profile
	if err := json.Unmarshal(b, &p); err != nil {
		return Profile{}, false, err
	}
	return p, p.IdP != "", nil
}

// SaveProfile writes p, readable by the user only: an org URL and a client id are not
// secrets, but they are nobody else's business either.
func SaveProfile(path string, p Profile) error {
	if path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}
