package browser

import (
	"bytes"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Field names of login forms: oidclab's emulator and classic login pages use username and
// password; Okta's identifier-first (IDX) pages use identifier and credentials.passcode.
var (
	usernameFields = []string{"username", "identifier"}
	passwordFields = []string{"password", "credentials.passcode"}
)

// htmlForm is a form as a browser would submit it.
type htmlForm struct {
	method  string // GET or POST
	action  *url.URL
	enctype string
	fields  []formField
	// submitter is the first submit button with a name: a click (or Enter) sends it.
	submitter *formField
}

type formField struct {
	name, value, typ string
}

func (f *htmlForm) has(names []string) bool {
	for _, fl := range f.fields {
		for _, n := range names {
			if fl.name == n && fl.typ != "hidden" {
				return true
			}
		}
	}
	return false
}

func (f *htmlForm) hasUsername() bool { return f.has(usernameFields) }
func (f *htmlForm) hasPassword() bool { return f.has(passwordFields) }
func (f *htmlForm) isLogin() bool     { return f.hasUsername() || f.hasPassword() }

// isAutoSubmit reports whether the form looks like one a page submits by script as soon as it
// loads (an IdP's form_post response, the gateway's same-origin re-POST page): one or more
// hidden fields and nothing a user would fill in.
func (f *htmlForm) isAutoSubmit() bool {
	hidden := 0
	for _, fl := range f.fields {
		if fl.typ != "hidden" {
			return false
		}
		hidden++
	}
	return hidden > 0
}

// fieldNames lists the names the submission sends, for hops (never the values).
func (f *htmlForm) fieldNames(withSubmitter bool) []string {
	names := make([]string, 0, len(f.fields)+1)
	for _, fl := range f.fields {
		names = append(names, fl.name)
	}
	if withSubmitter && f.submitter != nil {
		names = append(names, f.submitter.name)
	}
	return names
}

// encode builds the urlencoded body (or query), filling credentials when creds is non-nil.
func (f *htmlForm) encode(creds *Credentials, withSubmitter bool) string {
	var b strings.Builder
	add := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v))
	}
	for _, fl := range f.fields {
		v := fl.value
		if creds != nil && fl.typ != "hidden" {
			switch {
			case contains(usernameFields, fl.name):
				v = creds.Username
			case contains(passwordFields, fl.name):
				v = creds.Password
			}
		}
		add(fl.name, v)
	}
	if withSubmitter && f.submitter != nil {
		add(f.submitter.name, f.submitter.value)
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// htmlPage is what the drivers need from an HTML document.
type htmlPage struct {
	forms []*htmlForm
	// message is the first error/alert text on the page (an IdP's "wrong password").
	message string
	title   string
	// referrerPolicy is the content of <meta name="referrer">, if any.
	referrerPolicy string
}

func (p *htmlPage) loginForm() *htmlForm {
	for _, f := range p.forms {
		if f.isLogin() {
			return f
		}
	}
	return nil
}

func (p *htmlPage) autoSubmitForm() *htmlForm {
	for _, f := range p.forms {
		if f.isAutoSubmit() {
			return f
		}
	}
	return nil
}

// parsePage parses an HTML document served from base. It never fails: html.Parse repairs any
// input, as browsers do.
func parsePage(base *url.URL, body []byte) *htmlPage {
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return &htmlPage{}
	}
	p := &htmlPage{}
	docBase := base
	var walk func(n *html.Node, form *htmlForm)
	walk = func(n *html.Node, form *htmlForm) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Base:
				if href, ok := attr(n, "href"); ok && docBase == base {
					if u, err := base.Parse(href); err == nil {
						docBase = u
					}
				}
			case atom.Title:
				if p.title == "" {
					p.title = textOf(n)
				}
			case atom.Meta:
				if name, _ := attr(n, "name"); strings.EqualFold(name, "referrer") {
					if c, ok := attr(n, "content"); ok && validPolicy(strings.ToLower(strings.TrimSpace(c))) {
						p.referrerPolicy = strings.ToLower(strings.TrimSpace(c))
					}
				}
			case atom.Form:
				if form == nil { // nested forms are ignored by the HTML parser; be safe
					form = newForm(docBase, n)
					p.forms = append(p.forms, form)
				}
			case atom.Input, atom.Select, atom.Textarea, atom.Button:
				if form != nil {
					addField(form, n)
				}
			case atom.Script, atom.Style, atom.Template:
				return
			}
			if p.message == "" && isMessage(n) {
				p.message = truncate(textOf(n), 200)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, form)
		}
	}
	walk(doc, nil)
	return p
}

func newForm(base *url.URL, n *html.Node) *htmlForm {
	f := &htmlForm{method: "GET", action: base, enctype: "application/x-www-form-urlencoded"}
	if m, _ := attr(n, "method"); strings.EqualFold(m, "post") {
		f.method = "POST"
	} else if strings.EqualFold(m, "dialog") {
		f.method = "DIALOG"
	}
	if a, ok := attr(n, "action"); ok && strings.TrimSpace(a) != "" {
		if u, err := base.Parse(strings.TrimSpace(a)); err == nil {
			f.action = u
		}
	}
	if e, ok := attr(n, "enctype"); ok && e != "" {
		f.enctype = strings.ToLower(e)
	}
	return f
}

func addField(f *htmlForm, n *html.Node) {
	name, _ := attr(n, "name")
	if name == "" {
		return
	}
	if _, disabled := attr(n, "disabled"); disabled {
		return
	}
	switch n.DataAtom {
	case atom.Button:
		typ, _ := attr(n, "type")
		if typ == "" || strings.EqualFold(typ, "submit") {
			if f.submitter == nil {
				v, _ := attr(n, "value")
				f.submitter = &formField{name: name, value: v, typ: "submit"}
			}
		}
		return
	case atom.Textarea:
		f.fields = append(f.fields, formField{name: name, value: textOf(n), typ: "textarea"})
		return
	case atom.Select:
		f.fields = append(f.fields, formField{name: name, value: selectedOption(n), typ: "select"})
		return
	}
	typ, _ := attr(n, "type")
	typ = strings.ToLower(typ)
	value, _ := attr(n, "value")
	switch typ {
	case "submit", "image":
		if f.submitter == nil {
			f.submitter = &formField{name: name, value: value, typ: "submit"}
		}
	case "button", "reset", "file":
		// not sent by a plain submission
	case "checkbox", "radio":
		if _, checked := attr(n, "checked"); checked {
			if value == "" {
				value = "on"
			}
			f.fields = append(f.fields, formField{name: name, value: value, typ: typ})
		}
	case "":
		f.fields = append(f.fields, formField{name: name, value: value, typ: "text"})
	default:
		f.fields = append(f.fields, formField{name: name, value: value, typ: typ})
	}
}

func selectedOption(sel *html.Node) string {
	var first, chosen *html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.DataAtom == atom.Option {
				if first == nil {
					first = c
				}
				if _, ok := attr(c, "selected"); ok && chosen == nil {
					chosen = c
				}
			}
			walk(c)
		}
	}
	walk(sel)
	if chosen == nil {
		chosen = first
	}
	if chosen == nil {
		return ""
	}
	if v, ok := attr(chosen, "value"); ok {
		return v
	}
	return strings.TrimSpace(textOf(chosen))
}

// isMessage spots the elements login pages use for errors: role="alert" or an error class.
func isMessage(n *html.Node) bool {
	if r, _ := attr(n, "role"); r == "alert" {
		return strings.TrimSpace(textOf(n)) != ""
	}
	if c, _ := attr(n, "class"); strings.Contains(strings.ToLower(c), "error") {
		return strings.TrimSpace(textOf(n)) != ""
	}
	return false
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val, true
		}
	}
	return "", false
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
