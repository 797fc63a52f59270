package okta

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// DefaultStateFile is where `oidclab okta setup` records what it created.
const DefaultStateFile = ".oidclab/okta.json"

// StateVersion is the state file format's version.
const StateVersion = 1

// State is the state file: the ids of what Setup created in an org, so Sync, Doctor and
// Cleanup find them again. It never holds the client secret or the API token. Format (JSON,
// mode 0600):
//
//	{"version":1, "org_url":"https://ORG.okta.com", "name":"oidclab",
//	 "app_id":"0oa…", "client_id":"0oa…", "user_id":"00u…", "user_login":"alice@example.com",
//	 "auth_server_id":"aus…", "issuer":"https://ORG.okta.com/oauth2/aus…",
//	 "policy_id":"00p…", "rule_id":"0pr…",
//	 "redirect_uris":["https://…/anything"], "post_logout_redirect_uris":["https://…/"],
//	 "created_at":"2026-01-02T15:04:05Z"}
type State struct {
	Version                int       `json:"version"`
	OrgURL                 string    `json:"org_url"`
	Name                   string    `json:"name,omitempty"`
	AppID                  string    `json:"app_id,omitempty"`
	ClientID               string    `json:"client_id,omitempty"`
	UserID                 string    `json:"user_id,omitempty"`
	UserLogin              string    `json:"user_login,omitempty"`
	AuthServerID           string    `json:"auth_server_id,omitempty"`
	Issuer                 string    `json:"issuer,omitempty"`
	PolicyID               string    `json:"policy_id,omitempty"`
	RuleID                 string    `json:"rule_id,omitempty"`
	RedirectURIs           []string  `json:"redirect_uris,omitempty"`
	PostLogoutRedirectURIs []string  `json:"post_logout_redirect_uris,omitempty"`
	CreatedAt              time.Time `json:"created_at,omitzero"`
}

// ErrNoState is matched (errors.Is) when the state file does not exist.
var ErrNoState = errors.New("no okta state file")

// LoadState reads a state file.
func LoadState(path string) (State, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, fmt.Errorf("%w at %s: run `oidclab okta setup` first, or pass --state", ErrNoState, path)
	}
	if err != nil {
		return State{}, err
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return State{}, fmt.Errorf("%s: not an oidclab okta state file: %v", path, err)
	}
	if st.Version != StateVersion {
		return State{}, fmt.Errorf("%s: state file version %d, this oidclab reads version %d", path, st.Version, StateVersion)
	}
	if st.OrgURL == "" {
		return State{}, fmt.Errorf("%s: org_url is missing", path)
	}
	return st, nil
}

// SaveState writes a state file atomically with mode 0600 (its directory 0700): it names the
// org and its objects, which is nobody else's business on a shared machine.
func SaveState(path string, st State) error {
	st.Version = StateVersion
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return WritePrivateFile(path, append(data, '\n'))
}

// WritePrivateFile writes data to path atomically with mode 0600, creating its directory
// with mode 0700.
func WritePrivateFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
