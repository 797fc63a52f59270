package lab_test

import (
	"context"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/labtest"
	"github.com/oidclab/oidclab/lab/tutorial"
)

func TestCheckIssuer(t *testing.T) {
	l := labtest.Start(t, lab.Config{IdP: lab.IdPLocal})
	iss := l.IdP().Issuer
	d, err := lab.CheckIssuer(context.Background(), iss+"/.well-known/openid-configuration")
	if err != nil || d.Issuer != iss || !d.PKCE {
		t.Fatalf("CheckIssuer = %+v, %v", d, err)
	}
	if _, err := lab.CheckIssuer(context.Background(), strings.TrimSuffix(iss, "/oauth2/default")+"/oauth2/nope"); err == nil {
		t.Fatal("an unknown authorization server passed the check")
	}
}

func TestApplyWithTypedValuesWin(t *testing.T) {
	l := labtest.Start(t, lab.Config{IdP: lab.IdPLocal})
	err := l.ApplyWith(tutorial.Deck, tutorial.DeckName, map[string]string{tutorial.EnvClientID: "0oatyped"})
	if err != nil {
		t.Fatal(err)
	}
	got := l.Gateway().Config().Plugins[0].Config["client_id"]
	if !strings.Contains(strings.Join(toStrings(got), ","), "0oatyped") {
		t.Fatalf("client_id = %v, want the typed one", got)
	}
}

func toStrings(v any) []string {
	var out []string
	if list, ok := v.([]any); ok {
		for _, x := range list {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
