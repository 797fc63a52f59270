package emulator_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oidclab/oidclab/okta/emulator/emulatortest"
)

// BenchmarkLogin measures complete logins over loopback HTTP: authorize → sign-in page →
// identifier → password → form_post callback → token exchange (PKCE, client_secret_basic,
// RS256-signed ID and access tokens). Each iteration is a fresh browser, so no SSO.
func BenchmarkLogin(b *testing.B) {
	s := emulatortest.Start(b, testConfig())
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	b.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		verifier, challenge := pkcePair()
		br := emulatortest.NewBrowser()
		br.HTTP.Transport = tr
		cb, err := br.Login(ctx, authorizeURL(s, map[string]string{"code_challenge": challenge, "response_mode": "form_post"}), alice, password)
		if err != nil || cb.Params.Get("code") == "" {
			b.Fatalf("login: %v %v", err, cb)
		}
		req, _ := http.NewRequest(http.MethodPost, s.Issuer()+"/v1/token", strings.NewReader(url.Values{
			"grant_type": {"authorization_code"}, "code": {cb.Params.Get("code")}, "redirect_uri": {webRedirect}, "code_verifier": {verifier}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(webID), url.QueryEscape(webSecret))
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("token: %v %v", err, resp)
		}
		resp.Body.Close()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}
