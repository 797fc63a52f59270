package tutorial

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
)

// The embedded file is the tutorial's, byte for byte: the copy in the team's shared fixtures
// (beside the project, where present) is the reference.
func TestDeckIsTheTutorialsFile(t *testing.T) {
	ref, err := os.ReadFile("../../../shared/fixtures/tutorial-kong.yaml")
	if os.IsNotExist(err) {
		t.Skip("shared fixtures not beside the project")
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(Deck, ref) {
		t.Error("lab/tutorial/kong.yaml differs from shared/fixtures/tutorial-kong.yaml")
	}
	for _, name := range Env {
		if !bytes.Contains(Deck, []byte(`${{ env "`+name+`" }}`)) {
			t.Errorf("the file does not read %s", name)
		}
	}
	if !strings.Contains(string(Deck), "- "+Path+"\n") {
		t.Errorf("the file has no route on %s", Path)
	}
}

func TestClient(t *testing.T) {
	c := Client("http://127.0.0.1:8123")
	if want := []string{"http://127.0.0.1:8123/anything", "http://localhost:8123/anything"}; !slices.Equal(c.RedirectURIs, want) {
		t.Errorf("redirect URIs %q, want %q", c.RedirectURIs, want)
	}
	if want := []string{"http://127.0.0.1:8123/", "http://localhost:8123/"}; !slices.Equal(c.PostLogoutRedirectURIs, want) {
		t.Errorf("logout URIs %q, want %q", c.PostLogoutRedirectURIs, want)
	}
	if c.Secret == "" || c.Secret == Client("http://127.0.0.1:8123").Secret {
		t.Error("the secret is not fresh")
	}
	tunnel := Client("https://abc.ngrok.app")
	if want := []string{"https://abc.ngrok.app/anything"}; !slices.Equal(tunnel.RedirectURIs, want) {
		t.Errorf("tunnel redirect URIs %q", tunnel.RedirectURIs)
	}
}
