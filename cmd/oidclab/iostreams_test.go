package main

import (
	"bytes"
	"os"
	"testing"
)

// testIOStreams is an ioStreams over buffers that looks like no terminal (a script or CI, the
// default that needs no person); tests that want a person at the keyboard say so with the Set
// methods.
func testIOStreams() (s *ioStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &ioStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

func TestIOStreamsTTYOverrides(t *testing.T) {
	tests := []struct {
		name                  string
		stdin, stdout, stderr bool
		neverPrompt           bool
		wantPrompt            bool
	}{
		{name: "script"},
		{name: "person at a terminal", stdin: true, stdout: true, stderr: true, wantPrompt: true},
		{name: "stdout piped", stdin: true, stderr: true},
		{name: "stdin piped", stdout: true, stderr: true},
		{name: "stderr piped still prompts", stdin: true, stdout: true, wantPrompt: true},
		{name: "never prompt", stdin: true, stdout: true, stderr: true, neverPrompt: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, _, _ := testIOStreams()
			s.SetStdinTTY(tt.stdin)
			s.SetStdoutTTY(tt.stdout)
			s.SetStderrTTY(tt.stderr)
			s.SetNeverPrompt(tt.neverPrompt)
			if s.IsStdinTTY() != tt.stdin || s.IsStdoutTTY() != tt.stdout || s.IsStderrTTY() != tt.stderr {
				t.Errorf("TTY = %v %v %v, want %v %v %v", s.IsStdinTTY(), s.IsStdoutTTY(), s.IsStderrTTY(), tt.stdin, tt.stdout, tt.stderr)
			}
			if got := s.CanPrompt(); got != tt.wantPrompt {
				t.Errorf("CanPrompt() = %v, want %v", got, tt.wantPrompt)
			}
		})
	}
}

func TestIsCI(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{"CI": ""}, false},
		{map[string]string{"CI": "true"}, true},
		{map[string]string{"CI": "1"}, true},
		{map[string]string{"CI": "woodpecker"}, true},
		{map[string]string{"CI": "false"}, false},
		{map[string]string{"CI": "0"}, false},
	}
	for _, tt := range tests {
		lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
		if got := isCI(lookup); got != tt.want {
			t.Errorf("isCI(%v) = %v, want %v", tt.env, got, tt.want)
		}
	}
}

// Files that are not terminals (a pipe, /dev/null, which is a character device) are seen as
// such, and CI turns prompting off.
func TestNewIOStreamsFromFiles(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	s := newIOStreams(null, w, w, func(string) (string, bool) { return "true", true })
	if s.IsStdinTTY() || s.IsStdoutTTY() || s.IsStderrTTY() {
		t.Errorf("a pipe or %s taken for a terminal: %+v", os.DevNull, s)
	}
	s.SetStdinTTY(true)
	s.SetStdoutTTY(true)
	if s.CanPrompt() {
		t.Error("CI=true should disable prompting")
	}
}
