package deck

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestUnsetVariablesAreTyped: callers tell an unset variable from other problems with
// errors.As and learn its name, however the file failed; the text stays decK's.
func TestUnsetVariablesAreTyped(t *testing.T) {
	unset := func(string) (string, bool) { return "", false }
	tests := []struct {
		name string
		file string
		want []string
	}{
		{"alone", "_format_version: \"3.0\"\nservices:\n  - name: s\n    url: ${{ env \"DECK_URL\" }}\n", []string{"DECK_URL"}},
		{"with other problems", "_format_version: \"3.0\"\nservices:\n  - name: s\n    url: ${{ env \"DECK_URL\" }}\n    retriez: 1\n  - name: t\n    host: ${{ env \"HOST\" }}\n    port: ${{ env \"DECK_PORT\" }}\n",
			[]string{"DECK_URL", "DECK_PORT"}},
		{"broken conversion", "_format_version: \"3.0\"\nservices:\n  - name: s\n    port: ${{ env \"DECK_PORT\" | toInt }}\n", []string{"DECK_PORT"}},
		{"run inside if", "_format_version: \"3.0\"\n${{ if true }}\nservices:\n  - name: s\n    url: ${{ env \"DECK_URL\" }}\n${{ end }}\n", []string{"DECK_URL"}},
		{"only a bad prefix", "_format_version: \"3.0\"\nservices:\n  - name: s\n    host: ${{ env \"HOST\" }}\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tt.file), "k.yaml", Options{LookupEnv: unset})
			if err == nil {
				t.Fatal("loaded")
			}
			if got := UnsetVariables(err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("UnsetVariables = %q, want %q\n%v", got, tt.want, err)
			}
			var u *UnsetVariableError
			if found := errors.As(err, &u); found != (tt.want != nil) || (found && u.Name != tt.want[0]) {
				t.Errorf("errors.As: %v %+v, want %q", found, u, tt.want)
			}
			for _, name := range tt.want {
				if want := "environment variable '" + name + "' present in state file but not set"; !strings.Contains(err.Error(), want) {
					t.Errorf("text lacks decK's %q:\n%v", want, err)
				}
			}
		})
	}
	if got := UnsetVariables(errors.New("environment variable 'DECK_X' present in state file but not set")); got != nil {
		t.Errorf("a plain error's text was read: %q", got)
	}
}
