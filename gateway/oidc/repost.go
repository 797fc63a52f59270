package oidc

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"sort"
	"strconv"
)

// The re-POST page answers a form_post callback that arrived without the authorization cookie
// (a browser that withholds cookies on cross-site POSTs). It posts the same fields to the same
// URL from this origin: that POST is same-site, so a Lax or unset-SameSite cookie is sent.
// A marker field makes sure this happens once. The form has no action: it posts to the page's
// own URL, which is same-origin by construction, whatever the request path looks like (a path
// such as //evil.example/x written into action would be a scheme-relative URL to another host).

const repostScript = `document.forms[0].submit();`

var repostScriptHash = func() string {
	sum := sha256.Sum256([]byte(repostScript))
	return base64.StdEncoding.EncodeToString(sum[:])
}()

var repostPage = template.Must(template.New("repost").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>Signing in…</title></head>
<body><form method="post">{{range .Fields}}
<input type="hidden" name="{{.Name}}" value="{{.Value}}">{{end}}
<noscript><p>Your browser did not send the sign-in cookie with the identity provider's response.</p><button type="submit">Continue signing in</button></noscript>
</form><script>` + repostScript + `</script></body></html>
`))

type repostField struct{ Name, Value string }

func (c *call) repost() {
	form := c.postForm()
	names := make([]string, 0, len(form))
	for k := range form {
		names = append(names, k)
	}
	sort.Strings(names)
	var fields []repostField
	for _, k := range names {
		for _, v := range form[k] {
			fields = append(fields, repostField{k, v})
		}
	}
	fields = append(fields, repostField{repostMarker, "1"})
	var buf bytes.Buffer
	if err := repostPage.Execute(&buf, struct{ Fields []repostField }{fields}); err != nil {
		c.unexpected(err)
		return
	}
	h := c.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	// No form-action: browsers apply it to the redirects that answer the form too, and the
	// re-POST is answered by a 302 to the IdP when the cookie is still missing (a login started
	// on another host name), or to login/unauthorized redirect URIs. The form has no action
	// (its own URL) and the page runs only the hashed script, so there is nothing to retarget.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'sha256-"+repostScriptHash+"'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	c.w.WriteHeader(http.StatusOK)
	c.w.Write(buf.Bytes())
}
