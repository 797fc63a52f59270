package deck

import (
	"errors"
	"io"
)

// Options control loading.
type Options struct {
	// Plugins lists the plugin names the caller can run; any other name is an error that lists these.
	Plugins []string
	// LookupEnv resolves ${{ env "DECK_X" }}; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// PLACEHOLDER: replaced by the real loader (being written now). Signatures are the contract.

// Load reads a decK state file (YAML or JSON) from r. source names it in errors ("-" for stdin).
// Every problem is reported at once as *Errors.
func Load(r io.Reader, source string, opts Options) (*Config, error) {
	return nil, errors.New("deck: loader not written yet")
}

// LoadFile reads path, or stdin when path is "-" (stdin given as in).
func LoadFile(path string, stdin io.Reader, opts Options) (*Config, error) {
	return nil, errors.New("deck: loader not written yet")
}
