package emulator

import (
	"html/template"
	"net/http"
)

// The pages imitate Okta's Identity Engine sign-in widget just enough to be recognisable, and are
// plain HTML forms so that a simple form-following HTTP client and Chromium can both drive them.
const pageHead = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;background:#f4f4f4;color:#1d1d21;margin:0}
main{max-width:400px;margin:60px auto;background:#fff;border:1px solid #d7d7dc;border-radius:4px;padding:32px 42px;box-shadow:0 2px 0 rgba(175,175,175,.12)}
.okta-logo{font-weight:700;font-size:20px;text-align:center;color:#00297a;margin-bottom:24px}
h2{font-size:20px;font-weight:600;text-align:center;margin:0 0 20px}
label{display:block;font-weight:600;margin:14px 0 6px}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:8px;border:1px solid #8c8c96;border-radius:4px;font-size:15px}
button{width:100%;margin-top:22px;padding:10px;background:#1662dd;border:0;border-radius:4px;color:#fff;font-size:15px;font-weight:600;cursor:pointer}
.o-form-error-container{background:#fff0f0;border:1px solid #e72500;border-radius:4px;padding:10px;margin-bottom:12px;color:#a01c00}
.identifier{text-align:center;color:#6e6e78;margin-bottom:8px}
.error-msg{font-size:15px}
</style></head><body><main><div class="okta-logo">oidclab · Okta emulator</div>
`

const pageFoot = `</main></body></html>
`

var (
	identifierPage = template.Must(template.New("identifier").Parse(pageHead + `<h2>Sign In</h2>
{{if .Error}}<div class="o-form-error-container" role="alert">{{.Error}}</div>{{end}}
<form method="post" action="{{.Action}}" id="form-identify" data-se="o-form">
<input type="hidden" name="tx" value="{{.Tx}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label for="identifier">Username</label>
<input type="text" id="identifier" name="identifier" value="{{.Identifier}}" autocomplete="username" autofocus>
<button type="submit" id="okta-signin-next" data-type="save">Next</button>
</form>
` + pageFoot))

	passwordPage = template.Must(template.New("password").Parse(pageHead + `<h2>Verify with your password</h2>
<div class="identifier" data-se="identifier">{{.Identifier}}</div>
{{if .Error}}<div class="o-form-error-container" role="alert">{{.Error}}</div>{{end}}
<form method="post" action="{{.Action}}" id="form-challenge" data-se="o-form">
<input type="hidden" name="tx" value="{{.Tx}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="hidden" name="identifier" value="{{.Identifier}}">
<label for="credentials-passcode">Password</label>
<input type="password" id="credentials-passcode" name="credentials.passcode" autocomplete="current-password" autofocus>
<button type="submit" id="okta-signin-submit" data-type="save">Verify</button>
</form>
` + pageFoot))

	// errorPage is Okta's own error page: shown instead of redirecting when the client or the
	// redirect URI cannot be trusted.
	errorPage = template.Must(template.New("error").Parse(pageHead + `<h2>{{.Status}} {{.StatusText}}</h2>
<p class="error-msg" id="error-message">Your request resulted in an error. {{.Message}}</p>
` + pageFoot))

	// formPostPage answers response_mode=form_post: it submits itself on load and shows a
	// button for clients without JavaScript.
	formPostPage = template.Must(template.New("form_post").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Submit This Form</title></head>
<body onload="javascript:document.forms[0].submit()">
<form method="post" action="{{.Action}}">
{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}"/>
{{end}}<noscript><p>JavaScript is disabled. Click Continue to finish signing in.</p></noscript>
<button type="submit" id="form-post-submit">Continue</button>
</form></body></html>
`))

	signedOutPage = template.Must(template.New("signed_out").Parse(pageHead + `<h2>Signed out</h2>
<p id="signed-out">You have been signed out of the Okta emulator.</p>
` + pageFoot))
)

type loginView struct {
	Title, Action, Tx, CSRF, Identifier, Error string
}

type errorView struct {
	Title, StatusText, Message string
	Status                     int
}

type formField struct{ Name, Value string }

type formPostView struct {
	Action string
	Fields []formField
}

func renderPage(w http.ResponseWriter, status int, t *template.Template, data any) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache, no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_ = t.Execute(w, data)
}

// writeErrorPage renders Okta's HTML error page (no redirect) and records the error.
func writeErrorPage(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	rec := recordFrom(r)
	rec.Error, rec.ErrorDescription = code, message
	renderPage(w, status, errorPage, errorView{Title: "Error", Status: status, StatusText: http.StatusText(status), Message: message})
}
