package deck

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary files to Load. Whatever the input: no panic, problems come as
// *Errors with messages, and a file that loads validates, exports and reloads to an equal Config.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"testdata/*.yaml", "testdata/*.json"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte("_format_version: \"3.0\"\nservices: [{name: s, url: \"http://a\", routes: [{paths: [\"~/(?<x>a)\"]}]}]\n"))
	f.Add([]byte("{\"_format_version\": \"3.0\", \"plugins\": [{\"name\": \"openid-connect\", \"config\": {\"a\": [1e400]}}]}"))
	f.Add([]byte("_format_version: \"3.0\"\nx: &a [*a, *a]\n"))
	f.Add([]byte("${{ define \"x\" }}${{ end }}"))
	f.Add([]byte("${{ range $i := \"abc\" }}${{ end }}"))

	opts := Options{Plugins: oidcOnly, LookupEnv: fakeEnv(testEnv)}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Load(bytes.NewReader(data), "fuzz.yaml", opts)
		if err != nil {
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want *Errors: %v", err, err)
			}
			if len(errs.Problems) == 0 {
				t.Fatal("*Errors without problems")
			}
			for _, p := range errs.Problems {
				if p.Message == "" {
					t.Fatalf("problem without a message at %s", p.Path)
				}
			}
			return
		}
		if err := cfg.ValidateOptions(opts); err != nil {
			t.Fatalf("a loaded config does not validate: %v", err)
		}
		roundTrip(t, cfg, opts)
	})
}
