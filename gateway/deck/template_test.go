package deck

import (
	"reflect"
	"strings"
	"testing"
)

func fakeEnv(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func TestRender(t *testing.T) {
	env := fakeEnv(map[string]string{
		"DECK_HOST":  "example.com",
		"DECK_EMPTY": "",
		"DECK_TRUE":  "true",
		"DECK_NUM":   "42",
		"DECK_FLOAT": "1.5",
		"DECK_MULTI": "a\nb\nc",
		"DECK_BAD":   "not-a-number-s3cr3t",
	})
	tests := []struct {
		name     string
		src      string
		want     string
		problems []Problem
	}{
		{name: "no template", src: "a: 1\n", want: "a: 1\n"},
		{name: "env", src: `host: ${{ env "DECK_HOST" }}`, want: "host: example.com"},
		{name: "env pipe", src: `host: ${{ "DECK_HOST" | env }}`, want: "host: example.com"},
		{name: "empty value is set", src: `v: "${{ env "DECK_EMPTY" }}"`, want: `v: ""`},
		{name: "toBool", src: `v: ${{ env "DECK_TRUE" | toBool }}`, want: "v: true"},
		{name: "toInt", src: `v: ${{ env "DECK_NUM" | toInt }}`, want: "v: 42"},
		{name: "toFloat", src: `v: ${{ env "DECK_FLOAT" | toFloat }}`, want: "v: 1.5"},
		{name: "indent", src: "v: |\n  ${{ env \"DECK_MULTI\" | indent 2 }}\n", want: "v: |\n  a\n  b\n  c\n"},
		{name: "conditional", src: `${{ if env "DECK_TRUE" | toBool }}yes${{ else }}no${{ end }}`, want: "yes"},
		{name: "go delimiters untouched", src: "v: '{{ x }}'", want: "v: '{{ x }}'"},
		{
			name:     "prefix",
			src:      "a: 1\nv: ${{ env \"HOST\" }}\n",
			problems: []Problem{{Line: 2, Message: "environment variables in the state file must be prefixed with 'DECK_', found: 'HOST'"}},
		},
		{
			name:     "unset",
			src:      "a: 1\n\nv: ${{ env \"DECK_NOPE\" }}\n",
			problems: []Problem{{Line: 3, Message: "environment variable 'DECK_NOPE' present in state file but not set", Err: &UnsetVariableError{Name: "DECK_NOPE"}}},
		},
		{
			name: "every bad variable at once",
			src:  "a: ${{ env \"X\" }}\nb: ${{ env \"DECK_HOST\" }}\nc: ${{ \"DECK_Y\" | env }}\n",
			problems: []Problem{
				{Line: 1, Message: "environment variables in the state file must be prefixed with 'DECK_', found: 'X'"},
				{Line: 3, Message: "environment variable 'DECK_Y' present in state file but not set", Err: &UnsetVariableError{Name: "DECK_Y"}},
			},
		},
		{
			name:     "unset inside if is reported when run",
			src:      "a: 1\n${{ if true }}\nb: ${{ env \"DECK_NOPE\" }}\n${{ end }}\n",
			problems: []Problem{{Line: 3, Message: "environment variable 'DECK_NOPE' present in state file but not set", Err: &UnsetVariableError{Name: "DECK_NOPE"}}},
		},
		{
			name: "unset inside a false branch is fine",
			src:  "a: 1\n${{ if false }}\nb: ${{ env \"DECK_NOPE\" }}\n${{ end }}\n",
			want: "a: 1\n\n",
		},
		{
			name:     "conversion error does not echo the value",
			src:      "a: 1\nv: ${{ env \"DECK_BAD\" | toInt }}\n",
			problems: []Problem{{Line: 2, Message: "template: toInt: the value is not an integer"}},
		},
		{
			name:     "range is refused",
			src:      "a: 1\n${{ range 10000000000 }}${{ end }}\n",
			problems: []Problem{{Line: 2, Message: "template: range is not supported in state files (use env, if and with)"}},
		},
		{
			name:     "calling templates is refused",
			src:      "${{ define \"x\" }}x${{ end }}\n${{ template \"x\" }}",
			problems: []Problem{{Line: 2, Message: "template: calling templates is not supported in state files (use env, if and with)"}},
		},
		{name: "an uncalled define is dropped", src: "${{ define \"x\" }}${{ range 5 }}${{ end }}${{ end }}a: 1", want: "a: 1"},
		{
			name:     "printf width bomb",
			src:      `a: ${{ printf "%01000000000d" 1 }}`,
			problems: []Problem{{Line: 1, Message: "template: printf: width or precision too large"}},
		},
		{name: "printf", src: `a: ${{ printf "%05d" 42 }}`, want: "a: 00042"},
		{
			name:     "indent bomb",
			src:      `a: ${{ env "DECK_MULTI" | indent 1000000000 }}`,
			problems: []Problem{{Line: 1, Message: "template: indent: 1000000000 spaces is more than the 1024 allowed"}},
		},
		{
			name:     "output bomb",
			src:      strings.Repeat(`${{ env "DECK_MULTI" | indent 1000 }}`, 20000),
			problems: []Problem{{Message: "template: the rendered file is larger than 32 MiB"}},
		},
		{
			name:     "parse error",
			src:      "a: 1\nb: ${{ nope }}\n",
			problems: []Problem{{Line: 2, Message: `template: function "nope" not defined`}},
		},
		{
			name:     "unclosed action",
			src:      "a: 1\nb: ${{ env \"DECK_HOST\"\n",
			problems: []Problem{{Line: 2, Message: "template: unclosed action"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, problems := render(tt.src, env)
			if !reflect.DeepEqual(problems, tt.problems) {
				t.Fatalf("problems:\n got %#v\nwant %#v", problems, tt.problems)
			}
			if got != tt.want {
				t.Errorf("output: got %q, want %q", got, tt.want)
			}
			for _, p := range problems {
				if strings.Contains(p.Message, "s3cr3t") || strings.Contains(p.Message, markFunc) {
					t.Errorf("message leaks: %q", p.Message)
				}
			}
		})
	}
}

func TestRenderLineMap(t *testing.T) {
	env := fakeEnv(map[string]string{"DECK_MULTI": "x\ny\nz", "DECK_ONE": "1"})
	src := "a: ${{ env \"DECK_ONE\" }}\nb: |\n  ${{ env \"DECK_MULTI\" | indent 2 }}\nc: 3\nd: 4\n"
	out, lines, problems := render(src, env)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	outLines := strings.Split(out, "\n")
	if outLines[5] != "c: 3" {
		t.Fatalf("unexpected output %q", out)
	}
	// Rendered line 6 ("c: 3") was written on line 4; rendered 4 and 5 come from line 3's action.
	for rendered, want := range map[int]int{1: 1, 2: 2, 3: 3, 4: 3, 5: 3, 6: 4, 7: 5} {
		if got := lines.source(rendered); got != want {
			t.Errorf("rendered line %d: source %d, want %d", rendered, got, want)
		}
	}
}

func TestRenderLineMapConditional(t *testing.T) {
	env := fakeEnv(map[string]string{"DECK_ON": "false", "DECK_MULTI": "x\ny"})
	src := "a: 1\n${{ if env \"DECK_ON\" | toBool }}\nb: 2\nc: 3\n${{ else }}\nd: ${{ env \"DECK_MULTI\" | indent 2 }}\n${{ end }}\ne: 5\n"
	out, lines, problems := render(src, env)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	// Rendered: "a: 1", "", "d: x", "  y", "", "e: 5".
	outLines := strings.Split(out, "\n")
	if outLines[5] != "e: 5" || outLines[2] != "d: x" {
		t.Fatalf("unexpected output %q", out)
	}
	for rendered, want := range map[int]int{1: 1, 3: 6, 4: 6, 6: 8} {
		if got := lines.source(rendered); got != want {
			t.Errorf("rendered line %d: source %d, want %d", rendered, got, want)
		}
	}
}

func TestIndent(t *testing.T) {
	tests := []struct {
		n    int
		in   string
		want string
	}{
		{2, "a", "a"},
		{2, "a\nb", "a\n  b"},
		{0, "a\nb", "a\nb"},
		{-3, "a\nb", "a\nb"},
		{4, "a\n\nb\n", "a\n    \n    b\n    "},
	}
	for _, tt := range tests {
		if got, err := indent(tt.n, tt.in); err != nil || got != tt.want {
			t.Errorf("indent(%d, %q) = %q, want %q", tt.n, tt.in, got, tt.want)
		}
	}
}

func TestConversions(t *testing.T) {
	if b, err := toBool("t"); err != nil || !b {
		t.Errorf("toBool(t) = %v, %v", b, err)
	}
	if _, err := toBool("yes"); err == nil {
		t.Error("toBool(yes): want error (strconv.ParseBool, like decK)")
	}
	if n, err := toInt("-7"); err != nil || n != -7 {
		t.Errorf("toInt(-7) = %v, %v", n, err)
	}
	if _, err := toInt("7.5"); err == nil {
		t.Error("toInt(7.5): want error")
	}
	if f, err := toFloat("1e3"); err != nil || f != 1000 {
		t.Errorf("toFloat(1e3) = %v, %v", f, err)
	}
	if _, err := toFloat("x"); err == nil {
		t.Error("toFloat(x): want error")
	}
}
