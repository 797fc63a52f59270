package browser

import (
	"net/url"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	tests := map[string]string{
		"http://a/cb?code=abc&state=xyz&iss=http%3A%2F%2Fi":     "http://a/cb?code=<redacted>&state=<redacted>&iss=http%3A%2F%2Fi",
		"http://a/p?Code=1&STATE=2&id%5Ftoken=3&x=code":         "http://a/p?Code=<redacted>&STATE=<redacted>&id%5Ftoken=<redacted>&x=code",
		"http://a/#access_token=t&token_type=Bearer&id_token=i": "http://a/#access_token=<redacted>&token_type=Bearer&id_token=<redacted>",
		"http://user:pw@a/": "http://user:%3Credacted%3E@a/",
		"http://a/authorize?client_id=c&nonce=n&redirect_uri=http%3A": "http://a/authorize?client_id=c&nonce=<redacted>&redirect_uri=http%3A",
		"http://a/p?session_state=s&code":                             "http://a/p?session_state=<redacted>&code",
		"http://a/p":                                                  "http://a/p",
		"http://idp/login?tx=abc":                                     "http://idp/login?tx=<redacted>",
		"http://a/t?subject_token=s&interaction_code=i&device_code=d": "http://a/t?subject_token=<redacted>&interaction_code=<redacted>&device_code=<redacted>",
		"%zz": "<redacted>",
	}
	for in, want := range tests {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}

func FuzzRedactURL(f *testing.F) {
	f.Add("http://a/cb?code=SECRETVALUE&state=SECRETVALUE#id_token=SECRETVALUE")
	f.Add("http://u:SECRETVALUE@h/?access_token=SECRETVALUE")
	f.Fuzz(func(t *testing.T, raw string) {
		out := RedactURL(raw)
		u, err := url.Parse(out)
		if err != nil {
			return
		}
		for k, vs := range u.Query() {
			if sensitiveParams[lower(k)] {
				for _, v := range vs {
					if v != Redacted && v != "" {
						t.Fatalf("RedactURL(%q) = %q keeps %s=%q", raw, out, k, v)
					}
				}
			}
		}
	})
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// A login form sent with GET puts the password in the URL: every field the drivers fill with
// the password must be redacted from hop and result URLs.
func TestRedactURLPasswordFields(t *testing.T) {
	for _, name := range passwordFields {
		u := "http://idp/login?username=u&" + url.QueryEscape(name) + "=SECRETVALUE"
		if got := RedactURL(u); strings.Contains(got, "SECRETVALUE") {
			t.Errorf("RedactURL(%q) = %q keeps the password", u, got)
		}
	}
}
