package tui

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/deck"
	"github.com/oidclab/oidclab/gateway/echo"
	"github.com/oidclab/oidclab/gateway/oidc"
	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/tutorial"
	"github.com/oidclab/oidclab/okta"
	"github.com/oidclab/oidclab/scenarios/browser"
)

func (m Model) updateKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch m.step {
	case stepWelcome:
		return m.keyWelcome(k)
	case stepGateway:
		if key.Matches(k, m.keys.Next) {
			if m.states[stepGateway] == stateFailed {
				return m.goTo(stepGateway) // try again
			}
			if m.eng != nil {
				return m.goTo(stepTunnel)
			}
		}
	case stepTunnel:
		if m.states[stepTunnel] == stateFailed && key.Matches(k, m.keys.Loopback) {
			m.ngrok = false
			m.states[stepTunnel] = stateDone
			return m.goTo(stepGateway)
		}
		if key.Matches(k, m.keys.Next) && m.eng != nil {
			return m.goTo(stepApp)
		}
	case stepApp:
		return m.keyApp(k)
	case stepAuthServer:
		return m.keyAuthServer(k)
	case stepPlugin:
		switch {
		case key.Matches(k, m.keys.Apply) && m.eng != nil:
			m.applyErr = nil
			return m, applyCmd(m.eng, m.deckVars())
		case key.Matches(k, m.keys.Save):
			return m, saveDeckCmd(m.opts.SaveDir)
		case key.Matches(k, m.keys.Next) && m.applied:
			return m.goTo(stepValidate)
		case key.Matches(k, m.keys.Up), key.Matches(k, m.keys.Down), k.String() == "pgup", k.String() == "pgdown":
			var cmd tea.Cmd
			m.deckView, cmd = m.deckView.Update(k)
			return m, cmd
		}
	case stepValidate:
		return m.keyValidate(k)
	case stepFinish:
		if key.Matches(k, m.keys.Next) && !m.cleaned && m.setupRes != nil && m.setupRes.Cleanup != nil {
			return m, cleanupCmd(m.ctx, m.setupRes.Cleanup)
		}
		if key.Matches(k, m.keys.Save) {
			return m, saveScenarioCmd(m.opts.SaveDir, m.okta, m.ngrok && m.opts.Exposer != nil)
		}
	}
	return m, nil
}

func (m Model) keyWelcome(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch {
	case key.Matches(k, m.keys.Up):
		m.row = 0
	case key.Matches(k, m.keys.Down):
		m.row = 1
	case key.Matches(k, m.keys.Left), key.Matches(k, m.keys.Right), k.String() == " ":
		if m.row == 0 {
			m.okta = !m.okta
		} else if m.ngrokToken != "" {
			m.ngrok = !m.ngrok
		}
	case key.Matches(k, m.keys.Replay) && m.hasProfile:
		m.auto = true
		m.okta = m.profile.IdP == "okta"
		m.ngrok = m.profile.Tunnel == "ngrok" && m.ngrokToken != ""
		m.states[stepWelcome] = stateDone
		return m.goTo(stepGateway)
	case key.Matches(k, m.keys.Next):
		m.states[stepWelcome] = stateDone
		return m.goTo(stepGateway)
	}
	return m, nil
}

// enterApp prepares the application step; replaying a profile picks the remembered way.
func (m Model) enterApp() (tea.Model, tea.Cmd) {
	if m.mode == appNone && m.auto {
		switch appMode(m.profile.AppMode) {
		case appEmbedded:
			if m.idp.Embedded {
				m.mode = appEmbedded
			}
		case appTyped:
			m.mode = appTyped
		}
	}
	if m.mode == appNone && !m.okta {
		m.states[stepApp] = stateRunning
		m.auto = false
		return m, nil
	}
	if m.okta && m.mode == appNone {
		m.mode = appTyped
	}
	if m.appReady() && m.auto {
		m.states[stepApp] = stateDone
		return m.goTo(stepAuthServer)
	}
	m.auto = false
	m.states[stepApp] = stateRunning
	if m.mode == appTyped {
		return m.focusInput(m.firstEmptyInput())
	}
	return m, nil
}

func (m Model) firstEmptyInput() int {
	for _, i := range m.appInputs() {
		if m.inputs[i].Value() == "" {
			return i
		}
	}
	return m.appInputs()[0]
}

// appInputs are the inputs the application step shows in its current mode.
func (m Model) appInputs() []int {
	switch {
	case m.mode == appSetup && m.okta:
		return []int{inOrg, inAPIToken}
	case m.mode == appSetup:
		return nil // the embedded IdP's Management API needs no typing: the lab knows its token
	case m.okta:
		return []int{inOrg, inClientID, inSecret}
	}
	return []int{inClientID, inSecret}
}

// appReady reports whether the application step has what the plugin needs.
func (m Model) appReady() bool {
	switch m.mode {
	case appEmbedded:
		return true
	case appSetup:
		return m.setupRes != nil
	case appTyped:
		return m.inputErr(inClientID) == "" && m.inputErr(inSecret) == "" && (!m.okta || m.inputErr(inOrg) == "")
	}
	return false
}

// inputErr validates an input as typed; "" is valid.
func (m Model) inputErr(i int) string {
	v := strings.TrimSpace(m.inputs[i].Value())
	switch i {
	case inOrg:
		if v == "" {
			return "the org URL is needed (https://YOUR-ORG.okta.com)"
		}
		return urlProblem(v)
	case inClientID:
		if v == "" {
			return "the client ID is needed"
		}
		if strings.ContainsAny(v, " \t") {
			return "a client ID has no spaces"
		}
	case inSecret:
		if v == "" {
			return "the client secret is needed"
		}
	case inAPIToken:
		if v == "" {
			return "an API token is needed (Security → API → Tokens), or set " + EnvOktaAPIToken
		}
	}
	return ""
}

// urlProblem checks an org or issuer URL: https, or http on a loopback host only.
func urlProblem(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return "not a URL: want https://HOST/…"
	}
	switch u.Scheme {
	case "https":
	case "http":
		if h := u.Hostname(); h != "localhost" && h != "127.0.0.1" && h != "::1" {
			return "http:// only on loopback (127.0.0.1, localhost): use https://"
		}
	default:
		return "want an https:// URL"
	}
	return ""
}

func (m Model) keyApp(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	if m.focus >= 0 {
		switch {
		case key.Matches(k, m.keys.Tab), k.String() == "shift+tab", k.String() == "down", k.String() == "up":
			ins := m.appInputs()
			i := slices.Index(ins, m.focus)
			d := 1
			if k.String() == "shift+tab" || k.String() == "up" {
				d = len(ins) - 1
			}
			return m.focusInput(ins[(i+d)%len(ins)])
		case key.Matches(k, m.keys.Blur):
			m.blurAll()
			return m, nil
		case key.Matches(k, m.keys.Reveal):
			m.reveal = !m.reveal
			mode := textinput.EchoPassword
			if m.reveal {
				mode = textinput.EchoNormal
			}
			m.inputs[inSecret].EchoMode, m.inputs[inAPIToken].EchoMode = mode, mode
			return m, nil
		case key.Matches(k, m.keys.Next):
			return m.appNext()
		}
		var cmd tea.Cmd
		m.inputs[m.focus], cmd = m.inputs[m.focus].Update(k)
		if m.focus == inSecret {
			m.clientSecretFromEnv = false
		}
		m.mode = cmp(m.mode, appTyped)
		return m, cmd
	}
	switch {
	case key.Matches(k, m.keys.Embedded) && m.idp.Embedded:
		m.mode = appEmbedded
		m.inputs[inClientID].SetValue(m.idp.ClientID)
		m.states[stepApp] = stateDone
		return m, nil
	case key.Matches(k, m.keys.Typed):
		m.mode = appTyped
		m.states[stepApp] = stateRunning
		return m.focusInput(m.firstEmptyInput())
	case key.Matches(k, m.keys.Setup):
		m.mode = appSetup
		m.setupErr = nil
		if m.opts.Setup == nil {
			return m, nil
		}
		return m.focusInput(m.firstEmptyInput())
	case key.Matches(k, m.keys.CopyIn):
		return m, copyCmd(m.opts, "the sign-in redirect URI", m.redirectURI())
	case key.Matches(k, m.keys.CopyOut):
		return m, copyCmd(m.opts, "the sign-out redirect URI", m.redirectURI())
	case key.Matches(k, m.keys.Tab):
		if m.mode != appEmbedded {
			return m.focusInput(m.firstEmptyInput())
		}
	case key.Matches(k, m.keys.Next):
		return m.appNext()
	}
	return m, nil
}

func cmp(cur, def appMode) appMode {
	if cur == appNone {
		return def
	}
	return cur
}

// appNext continues from the application step when its answers are valid; with "create it for
// me" it first runs the automation.
func (m Model) appNext() (tea.Model, tea.Cmd) {
	if m.mode == appSetup && m.setupRes == nil {
		if m.opts.Setup == nil {
			return m, nil
		}
		for _, i := range m.appInputs() {
			if m.inputErr(i) != "" {
				return m.focusInput(i)
			}
		}
		m.states[stepApp] = stateRunning
		m.blurAll()
		return m, setupCmd(m.ctx, m.opts.Setup, SetupRequest{
			OrgURL: strings.TrimSpace(m.inputs[inOrg].Value()), APIToken: m.inputs[inAPIToken].Value(),
			RedirectURI: m.redirectURI(), LogoutURI: m.redirectURI(), Embedded: m.idp.Embedded,
		})
	}
	if !m.appReady() {
		for _, i := range m.appInputs() {
			if m.inputErr(i) != "" {
				return m.focusInput(i)
			}
		}
		return m, nil
	}
	m.states[stepApp] = stateDone
	return m.goTo(stepAuthServer)
}

func (m Model) focusInput(i int) (tea.Model, tea.Cmd) {
	m.blurAll()
	m.focus = i
	m.mode = cmp(m.mode, appTyped)
	return m, m.inputs[i].Focus()
}

func (m *Model) blurAll() {
	for i := range m.inputs {
		m.inputs[i].Blur()
	}
	m.issuerIn.Blur()
	m.focus = -1
}

func (m Model) redirectURI() string { return tutorial.RedirectURI(m.public) }

func (m Model) keyAuthServer(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	if m.issuerIn.Focused() {
		switch {
		case key.Matches(k, m.keys.Next):
			if m.checked != "" && m.checked == lab.NormalizeIssuer(m.issuerIn.Value()) {
				m.states[stepAuthServer] = stateDone
				return m.goTo(stepPlugin)
			}
			return m.checkIssuer()
		case key.Matches(k, m.keys.Blur):
			m.issuerIn.Blur()
			return m, nil
		}
		var cmd tea.Cmd
		m.issuerIn, cmd = m.issuerIn.Update(k)
		if lab.NormalizeIssuer(m.issuerIn.Value()) != m.checked {
			m.discovery, m.issuerErr, m.checked = nil, nil, ""
			m.states[stepAuthServer] = stateRunning
		}
		return m, cmd
	}
	switch {
	case key.Matches(k, m.keys.Tab):
		return m, m.issuerIn.Focus()
	case key.Matches(k, m.keys.Next):
		if m.checked != "" && m.checked == lab.NormalizeIssuer(m.issuerIn.Value()) {
			return m.goTo(stepPlugin)
		}
		return m.checkIssuer()
	}
	return m, nil
}

// issuerProblem validates the issuer as typed.
func issuerProblem(v string) string {
	if strings.TrimSpace(v) == "" {
		return "paste the authorization server's issuer URI"
	}
	return urlProblem(lab.NormalizeIssuer(v))
}

// issuerWarnings are the org vs custom authorization server notes for an issuer.
func issuerWarnings(issuer string) []string {
	var out []string
	u, err := url.Parse(issuer)
	if err != nil {
		return nil
	}
	if okta.IsOrgIssuer(issuer) && !strings.HasPrefix(u.Path, "/oauth2/") {
		out = append(out, "This is the org authorization server (no /oauth2/…): it issues access tokens only Okta can verify, allows no custom scopes or policies. The tutorial uses a custom server: …/oauth2/default or …/oauth2/aus….")
	}
	if okta.IsOrgIssuer(issuer) && strings.HasSuffix(u.Path, "/oauth2/default") {
		out = append(out, "The default custom server works if your org has it (API Access Management); a new server needs an access policy and a rule, or logins fail with \"Policy evaluation failed\".")
	}
	return out
}

func (m Model) checkIssuer() (tea.Model, tea.Cmd) {
	if p := issuerProblem(m.issuerIn.Value()); p != "" {
		m.issuerErr = fmt.Errorf("%s", p)
		m.auto = false
		return m, m.issuerIn.Focus()
	}
	m.issuerErr, m.discovery = nil, nil
	m.states[stepAuthServer] = stateRunning
	m.issuerIn.Blur()
	return m, checkIssuerCmd(m.ctx, lab.NormalizeIssuer(m.issuerIn.Value()))
}

func (m Model) issuerChecked(msg issuerCheckedMsg) (tea.Model, tea.Cmd) {
	if msg.issuer != lab.NormalizeIssuer(m.issuerIn.Value()) {
		return m, nil // typed over since
	}
	d := msg.d
	m.discovery = &d
	m.issuerErr = msg.err
	if msg.err != nil {
		m.states[stepAuthServer] = stateFailed
		m.auto = false
		return m, m.issuerIn.Focus()
	}
	m.checked = msg.issuer
	m.states[stepAuthServer] = stateDone
	if m.auto {
		return m.goTo(stepPlugin)
	}
	return m, nil
}

// deckVars are the decK variables the walk applies. The embedded client's secret is left to
// the lab, so it never passes through the screen's model.
func (m Model) deckVars() map[string]string {
	vars := map[string]string{
		tutorial.EnvIssuer:      lab.NormalizeIssuer(m.issuerIn.Value()),
		tutorial.EnvRedirectURI: m.redirectURI(),
	}
	switch m.mode {
	case appSetup:
		if m.setupRes != nil {
			vars[tutorial.EnvClientID] = m.setupRes.ClientID
			vars[tutorial.EnvClientSecret] = m.setupRes.ClientSecret
		}
	case appTyped:
		vars[tutorial.EnvClientID] = strings.TrimSpace(m.inputs[inClientID].Value())
		vars[tutorial.EnvClientSecret] = m.inputs[inSecret].Value()
	}
	if m.okta && m.mode != appSetup {
		// Okta: only typed values exist; nothing for the lab to fill in.
		vars[tutorial.EnvClientID] = strings.TrimSpace(m.inputs[inClientID].Value())
	}
	return vars
}

// shownVars are deckVars with the secret already out.
func (m Model) shownVars() map[string]string {
	vars := m.deckVars()
	delete(vars, tutorial.EnvClientSecret)
	if m.mode == appEmbedded {
		vars[tutorial.EnvClientID] = m.idp.ClientID
	}
	return vars
}

func (m Model) keyValidate(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch {
	case key.Matches(k, m.keys.Open):
		m.note = "opening " + m.loginURL
		return m, openBrowserCmd(m.opts, m.loginURL)
	case key.Matches(k, m.keys.Headless) && m.idp.Embedded && !m.headless:
		m.headless = true
		m.headlessErr = ""
		m = m.clearAttempt()
		return m, headlessCmd(m.ctx, m.opts, m.loginURL, browser.Credentials{Username: m.idp.Login, Password: m.idp.Password})
	case key.Matches(k, m.keys.Clear):
		return m.clearAttempt(), nil
	case key.Matches(k, m.keys.Back) && m.failure != nil:
		target := backTarget(m.failure.Reason)
		m = m.clearAttempt()
		for s := target; s < numSteps; s++ {
			m.states[s] = statePending
		}
		switch target {
		case stepApp:
			m.mode = appNone
		case stepAuthServer:
			m.checked = ""
		}
		return m.goTo(target)
	case key.Matches(k, m.keys.Next) && m.success:
		return m.goTo(stepFinish)
	}
	return m, nil
}

// clearAttempt forgets the last login's hops, so the next one is drawn alone.
func (m Model) clearAttempt() Model {
	m.arrows, m.drawn, m.hops = nil, map[string]bool{}, 0
	m.verified, m.success, m.failure, m.claims, m.upstream = false, false, nil, nil, nil
	m.states[stepValidate] = stateRunning
	return m
}

// backTarget is the step whose answer a failure points at.
func backTarget(r gateway.Reason) step {
	switch r {
	case oidc.ReasonClientAuthFailed, oidc.ReasonClientMismatch, oidc.ReasonUserNotAssigned,
		oidc.ReasonRedirectURINotRegistered, oidc.ReasonGrantNotAllowed, oidc.ReasonAudienceMismatch,
		oidc.ReasonAzpMismatch, oidc.ReasonClientIDMissing, oidc.ReasonAccessDenied:
		return stepApp
	case oidc.ReasonNoMatchingPolicy, oidc.ReasonScopeNotAllowed, oidc.ReasonIssuerMismatch,
		oidc.ReasonDiscoveryFailed, oidc.ReasonAuthorizationEndpointMissing, oidc.ReasonJWKSFailed,
		oidc.ReasonSigningKeyUnknown:
		return stepAuthServer
	}
	return stepValidate
}

func (m Model) saveProfile() tea.Cmd {
	p := Profile{IdP: "embedded", Tunnel: "none", AppMode: string(m.mode)}
	if m.okta {
		p.IdP, p.OrgURL, p.Issuer = "okta", strings.TrimSpace(m.inputs[inOrg].Value()), lab.NormalizeIssuer(m.issuerIn.Value())
		p.ClientID = strings.TrimSpace(m.inputs[inClientID].Value())
	}
	if m.ngrok {
		p.Tunnel = "ngrok"
	}
	return saveProfileCmd(m.opts.profilePath(), p)
}

func (m Model) updateInputs(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	if m.focus >= 0 {
		m.inputs[m.focus], cmd = m.inputs[m.focus].Update(msg)
	} else if m.issuerIn.Focused() {
		m.issuerIn, cmd = m.issuerIn.Update(msg)
	}
	return m, cmd
}

// upstreamSummary is what the echo upstream says it received, the access token's value
// replaced by the redaction marker.
func upstreamSummary(res *browser.Result) []string {
	a, ok := echo.ParseAnswer([]byte(res.Body))
	if res.ContentType != "application/json" || !ok {
		return []string{fmt.Sprintf("final page: %d %s", res.Status, lab.Clean(res.URL))}
	}
	auth := a.Header("Authorization")
	if auth == "" {
		return []string{lab.Clean(a.Method + " " + a.URL), "no Authorization header"}
	}
	scheme, _, _ := strings.Cut(auth, " ")
	return []string{lab.Clean(a.Method + " " + a.URL), lab.Clean("Authorization: " + scheme + " " + deck.Redacted)}
}
