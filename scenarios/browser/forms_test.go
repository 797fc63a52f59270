package browser

import (
	"net/url"
	"slices"
	"testing"
)

func TestParsePageClassifiesForms(t *testing.T) {
	base := mustURL(t, "http://idp.test/oauth2/v1/authorize?x=1")
	tests := []struct {
		name       string
		html       string
		login      bool
		user, pass bool
		autoSubmit bool
		method     string
		action     string
		encoded    string // encode(creds, withSubmitter) of the chosen form
		message    string
	}{
		{
			name:  "classic login",
			html:  `<form method=POST action="/login"><input type=hidden name=state value=s1><input name=username value=prefill><input type=password name=password><button name=go value=1>Sign in</button></form>`,
			login: true, user: true, pass: true, method: "POST", action: "http://idp.test/login",
			encoded: "state=s1&username=alice&password=p%26w&go=1",
		},
		{
			name:  "okta identifier step",
			html:  `<form action="idx/identify" method="post"><input type="email" name="identifier"><input type="checkbox" name="rememberMe"><input type=submit value=Next></form>`,
			login: true, user: true, method: "POST", action: "http://idp.test/oauth2/v1/idx/identify",
			encoded: "identifier=alice",
		},
		{
			name:  "okta passcode step",
			html:  `<form method="post"><input type="password" name="credentials.passcode"><input type=checkbox name=keep checked></form>`,
			login: true, pass: true, method: "POST", action: base.String(),
			encoded: "credentials.passcode=p%26w&keep=on",
		},
		{
			name:       "form_post response",
			html:       `<html><body onload="document.forms[0].submit()"><form method="post" action="http://127.0.0.1:8000/cb"><input type="hidden" name="code" value="c"><input type="hidden" name="state" value="s"><noscript><button type=submit>Go</button></noscript></form></body></html>`,
			autoSubmit: true, method: "POST", action: "http://127.0.0.1:8000/cb", encoded: "code=c&state=s",
		},
		{
			name:       "GET form with base href",
			html:       `<head><base href="http://other.test/dir/"></head><form action="next"><input type=hidden name=a value="1 2"></form>`,
			autoSubmit: true, method: "GET", action: "http://other.test/dir/next", encoded: "a=1+2",
		},
		{
			name:  "error page",
			html:  `<title>Error</title><div role="alert"> Wrong   password </div><form method=post><input name=username><input type=password name=password disabled></form>`,
			login: true, user: true, method: "POST", action: base.String(), encoded: "username=alice", message: "Wrong password",
		},
		{
			name: "search form is neither",
			html: `<form><input name=q><select name=s><option value=a>A<option value=b selected>B</select><textarea name=t>hi</textarea></form>`,
		},
		{name: "no forms", html: `<p>hello`},
		{name: "empty hidden-free form", html: `<form method=post><button>Log out</button></form>`},
		{name: "garbage", html: "\x00<<form<<input name=username"},
	}
	creds := &Credentials{Username: "alice", Password: "p&w"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parsePage(base, []byte(tt.html))
			lf, af := p.loginForm(), p.autoSubmitForm()
			if (lf != nil) != tt.login || (af != nil) != tt.autoSubmit {
				t.Fatalf("login=%v autoSubmit=%v, want %v %v (forms %+v)", lf != nil, af != nil, tt.login, tt.autoSubmit, p.forms)
			}
			if tt.message != "" && p.message != tt.message {
				t.Errorf("message %q, want %q", p.message, tt.message)
			}
			f, c, sub := lf, creds, true
			if f == nil {
				f, c, sub = af, nil, false
			}
			if f == nil {
				return
			}
			if lf != nil && (lf.hasUsername() != tt.user || lf.hasPassword() != tt.pass) {
				t.Errorf("user=%v pass=%v, want %v %v", lf.hasUsername(), lf.hasPassword(), tt.user, tt.pass)
			}
			if f.method != tt.method || f.action.String() != tt.action {
				t.Errorf("%s %s, want %s %s", f.method, f.action, tt.method, tt.action)
			}
			if got := f.encode(c, sub); got != tt.encoded {
				t.Errorf("encoded %q, want %q", got, tt.encoded)
			}
		})
	}
}

func TestFormRequest(t *testing.T) {
	page := mustURL(t, "http://localhost:9000/login")
	p := parsePage(page, []byte(`<form method=post enctype="multipart/form-data"><input type=hidden name=a value=1></form>`))
	if _, err := formRequest(p.forms[0], page, nil, "x"); err == nil {
		t.Error("multipart form accepted")
	}
	p = parsePage(page, []byte(`<form method=post action="javascript:void(0)"><input type=hidden name=a value=1></form>`))
	if _, err := formRequest(p.forms[0], page, nil, "x"); err == nil {
		t.Error("javascript: action accepted")
	}
	p = parsePage(page, []byte(`<form action="/cb#frag"><input type=hidden name=a value=1></form>`))
	r, err := formRequest(p.forms[0], page, nil, "x")
	if err != nil || r.method != "GET" || r.url.String() != "http://localhost:9000/cb?a=1" || r.initiator != page {
		t.Errorf("GET form request = %+v, %v", r, err)
	}
	if !slices.Equal(r.fields, []string{"a"}) {
		t.Errorf("fields %q", r.fields)
	}
}

func FuzzParsePage(f *testing.F) {
	for _, s := range []string{
		`<form method=post action=/x><input name=username><input type=password name=password></form>`,
		`<body onload="document.forms[0].submit()"><form method=post action="http://a/cb"><input type=hidden name=code value=c></form>`,
		`<base href="//evil"><form action="::"><select name=s><option>1</select></form>`,
		"<form><form><input name=identifier></form>",
	} {
		f.Add(s)
	}
	base, _ := url.Parse("http://localhost:8000/p")
	f.Fuzz(func(t *testing.T, doc string) {
		p := parsePage(base, []byte(doc))
		creds := &Credentials{Username: "u", Password: "p"}
		for _, fm := range p.forms {
			if fm.action == nil {
				t.Fatal("form without action")
			}
			if _, err := url.ParseQuery(fm.encode(creds, true)); err != nil {
				t.Fatalf("encoded form does not parse: %v", err)
			}
			_, _ = formRequest(fm, base, creds, "fuzz")
		}
	})
}
