package scenarios_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/scenarios"
	"github.com/oidclab/oidclab/scenarios/browser"
	"github.com/oidclab/oidclab/scenarios/browser/browsertest"
	"github.com/oidclab/oidclab/tunnel/tunneltest"
)

// The tutorial and one failure scenario also pass in a real Chromium.
func TestChromium(t *testing.T) {
	for _, name := range []string{"tutorial", "wrong-client-secret"} {
		t.Run(name, func(t *testing.T) {
			s, _ := scenarios.Find(name)
			rep := scenarios.Run(context.Background(), []*scenarios.Scenario{s}, scenarios.Options{
				Browser:   "chromium",
				LookupEnv: func(string) (string, bool) { return "", false },
				NewDriver: func(ctx context.Context, kind string) (browser.Driver, error) {
					if kind != "chromium" {
						t.Errorf("driver %q, want chromium", kind)
					}
					return browsertest.Chromium(t, browser.ChromiumOptions{}), nil
				},
			})
			if r := rep.Scenarios[0]; !r.Passed || r.Browser != "chromium" {
				t.Errorf("%s in Chromium: %s\ndiagnosis %q", name, r.Error, r.Diagnosis)
			}
		})
	}
}

// What a scenario needs and this build or machine lacks fails it, naming what is missing:
// never a silent skip.
func TestNotAvailableFails(t *testing.T) {
	tunnel, err := scenarios.Parse(strings.NewReader("name: via-ngrok\ntunnel: ngrok\nsteps: [{login: {}}]\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	okta, err := scenarios.Parse(strings.NewReader("name: real-org\nidp: okta\nsteps: [{login: {}}]\n"), "o.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep := scenarios.Run(context.Background(), []*scenarios.Scenario{tunnel, okta}, scenarios.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if rep.Passed != 0 || rep.Failed != 2 {
		t.Fatalf("passed %d, failed %d", rep.Passed, rep.Failed)
	}
	if e := rep.Scenarios[0].Error; !strings.Contains(e, "not available") || !strings.Contains(e, "NGROK_AUTHTOKEN") {
		t.Errorf("ngrok without a token: %q", e)
	}
	if e := rep.Scenarios[1].Error; !strings.Contains(e, "not available") || !strings.Contains(e, "DECK_ISSUER_URL") || !strings.Contains(e, "OKTA_TEST_PASSWORD") {
		t.Errorf("okta without its variables: %q", e)
	}
	if s := rep.Scenarios[0].Steps[0]; !s.Skipped {
		t.Errorf("the step of a scenario that could not start: %+v", s)
	}
}

// With --idp okta the scenario takes the org from the environment's variables; an org that
// cannot be reached fails with the reason that says so.
func TestOktaFromEnvironment(t *testing.T) {
	s, _ := scenarios.Find("tutorial")
	env := map[string]string{
		"DECK_ISSUER_URL": "http://127.0.0.1:1/oauth2/default", "DECK_OKTA_CLIENT_ID": "0oa1", "DECK_OKTA_CLIENT_SECRET": "s",
		"OKTA_TEST_USER": "u@example.com", "OKTA_TEST_PASSWORD": "p",
	}
	rep := scenarios.Run(context.Background(), []*scenarios.Scenario{s}, scenarios.Options{
		IdP:       "okta",
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	})
	r := rep.Scenarios[0]
	if r.Passed || r.IdP != "okta" {
		t.Fatalf("an unreachable org passed: %+v", r)
	}
	if !strings.Contains(strings.Join(r.Reasons, " "), "discovery_failed") {
		t.Errorf("reasons %q, want discovery_failed for an unreachable issuer; error %s", r.Reasons, r.Error)
	}
}

// Cancelling the run (Ctrl-C) fails the scenarios in flight with the context's error.
func TestCancel(t *testing.T) {
	s, err := scenarios.Parse(strings.NewReader("name: slow\nsteps:\n  - visit: /anything\n  - wait: 1h\n"), "slow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rep := scenarios.Run(ctx, []*scenarios.Scenario{s}, scenarios.Options{
		Started: func(*scenarios.Scenario) { go cancel() },
	})
	if rep.OK() || !strings.Contains(rep.Scenarios[0].Error, context.Canceled.Error()) {
		t.Errorf("cancelled run: %+v", rep.Scenarios[0])
	}
}

// tunnel: ngrok opens the tunnel through the provider with NGROK_AUTHTOKEN; a refusal fails the
// scenario with the provider's words.
func TestTunnelScenario(t *testing.T) {
	s, err := scenarios.Parse(strings.NewReader("name: via-ngrok\ntunnel: ngrok\nsteps: [{login: {}}]\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fake := &tunneltest.Provider{Err: errors.New("ERR_NGROK_107: the authtoken is invalid")}
	rep := scenarios.Run(context.Background(), []*scenarios.Scenario{s}, scenarios.Options{
		Tunnel: fake,
		LookupEnv: func(k string) (string, bool) {
			return map[string]string{"NGROK_AUTHTOKEN": "tok"}[k], k == "NGROK_AUTHTOKEN"
		},
	})
	if rep.OK() || !strings.Contains(rep.Scenarios[0].Error, "ERR_NGROK_107") {
		t.Errorf("refused tunnel: %+v", rep.Scenarios[0])
	}
	if cfgs := fake.Configs(); len(cfgs) != 1 || cfgs[0].Authtoken != "tok" {
		t.Errorf("the provider got %+v", cfgs)
	}
}
