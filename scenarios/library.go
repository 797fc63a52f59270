package scenarios

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed library/*.yaml
var libraryFS embed.FS

// builtinSource is the Source of the library's scenarios.
const builtinSource = "built-in"

// Library returns the built-in scenarios, sorted by name: the tutorial first, then the rest.
// Each passes against the embedded IdP.
func Library() ([]*Scenario, error) {
	entries, err := fs.ReadDir(libraryFS, "library")
	if err != nil {
		return nil, err
	}
	var out []*Scenario
	for _, e := range entries {
		b, err := libraryFS.ReadFile(path.Join("library", e.Name()))
		if err != nil {
			return nil, err
		}
		s, err := Parse(bytes.NewReader(b), "built-in "+e.Name())
		if err != nil {
			return nil, fmt.Errorf("the built-in library: %w", err)
		}
		if want := strings.TrimSuffix(e.Name(), ".yaml"); s.Name != want {
			return nil, fmt.Errorf("the built-in library: %s is named %q", e.Name(), s.Name)
		}
		s.Source = builtinSource
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *Scenario) int {
		switch {
		case a.Name == TutorialName:
			return -1
		case b.Name == TutorialName:
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// TutorialName is the built-in scenario `oidclab run` runs with no name.
const TutorialName = "tutorial"

// Find returns the built-in scenario with the given name.
func Find(name string) (*Scenario, bool) {
	list, err := Library()
	if err != nil {
		return nil, false
	}
	for _, s := range list {
		if s.Name == name {
			return s, true
		}
	}
	return nil, false
}
