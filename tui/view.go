package tui

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/oidclab/oidclab/gateway/deck"
	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/tutorial"
	"github.com/oidclab/oidclab/okta"
)

const sidebarWidth = 17

func (m Model) mainWidth() int { return max(m.width-sidebarWidth-4, 30) }

// View draws the header, the sidebar of steps, the current screen and the help bar, cut to the
// terminal's size.
func (m Model) View() string {
	if m.quitting {
		return "Stopping the gateway…\n"
	}
	st := m.styles
	where := "embedded IdP"
	if m.okta {
		where = "Okta org"
	}
	if m.ngrok {
		where += " · ngrok"
	} else {
		where += " · loopback"
	}
	header := st.Title.Render("oidclab walkthrough") + st.Faint.Render("  "+where)
	bodyH := max(m.height-3, 5)
	main := m.viewStep()
	lines := strings.Split(main, "\n")
	if len(lines) > bodyH {
		lines = lines[:bodyH]
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, m.mainWidth(), "…")
	}
	body := lipgloss.JoinHorizontal(lipgloss.Top,
		st.Sidebar.Height(bodyH).Render(m.viewSidebar()),
		strings.Join(lines, "\n"))
	note := ansi.Truncate(m.note, max(m.width-1, 10), "…")
	m.help.Width = m.width
	return header + "\n" + body + "\n" + st.Faint.Render(note) + "\n" + m.help.View(m.helpKeys())
}

func (m Model) viewSidebar() string {
	var b strings.Builder
	for s := range numSteps {
		var mark string
		switch m.states[s] {
		case statePending:
			mark = m.styles.Faint.Render("○")
		case stateRunning:
			mark = m.styles.Running.Render("◐")
		case stateDone:
			mark = m.styles.OK.Render("✓")
		case stateFailed:
			mark = m.styles.Fail.Render("✗")
		}
		name := fmt.Sprintf("%d %s", int(s)+1, stepNames[s])
		if s == m.step {
			name = m.styles.Current.Render("› " + name)
		} else {
			name = "  " + name
		}
		b.WriteString(mark + " " + ansi.Truncate(name, sidebarWidth-2, "…") + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func (m Model) helpKeys() helpKeys {
	k := m.keys
	h := helpKeys{full: []key.Binding{k.Quit}}
	typing := m.focus >= 0 || m.issuerIn.Focused()
	switch m.step {
	case stepWelcome:
		h.short = []key.Binding{k.Up, k.Left, k.Next}
		if m.hasProfile {
			h.short = append(h.short, k.Replay)
		}
	case stepGateway:
		h.short = []key.Binding{k.Next}
	case stepTunnel:
		h.short = []key.Binding{k.Next}
		if m.states[stepTunnel] == stateFailed {
			h.short = []key.Binding{k.Loopback}
		}
	case stepApp:
		if typing {
			h.short = []key.Binding{k.Tab, k.Reveal, k.Blur, k.Next}
		} else {
			if m.idp.Embedded {
				h.short = append(h.short, k.Embedded)
			}
			h.short = append(h.short, k.Typed, k.Setup, k.CopyIn, k.Next)
			h.full = append(h.full, k.CopyOut, k.Tab)
		}
	case stepAuthServer:
		if typing {
			h.short = []key.Binding{k.Check, k.Blur}
		} else {
			h.short = []key.Binding{k.Tab, k.Next}
		}
	case stepPlugin:
		h.short = []key.Binding{k.Apply, k.Save, k.Next}
		h.full = append(h.full, k.Up)
	case stepValidate:
		h.short = []key.Binding{k.Open}
		if m.idp.Embedded {
			h.short = append(h.short, k.Headless)
		}
		if m.failure != nil {
			h.short = append(h.short, k.Back)
		}
		h.short = append(h.short, k.Clear)
		if m.success {
			h.short = append(h.short, k.Next)
		}
	case stepFinish:
		if !m.cleaned && m.setupRes != nil && m.setupRes.Cleanup != nil {
			h.short = []key.Binding{k.Next}
		}
		save := k.Save
		save.SetHelp("s", "save scenario")
		h.short = append(h.short, save)
	}
	if !typing {
		h.short = append(h.short, key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")))
		h.full = append(h.full, k.Help)
	} else {
		h.short = append(h.short, k.Quit)
	}
	return h
}

func (m Model) viewStep() string {
	switch m.step {
	case stepWelcome:
		return m.viewWelcome()
	case stepGateway:
		return m.viewGateway()
	case stepTunnel:
		return m.viewTunnel()
	case stepApp:
		return m.viewApp()
	case stepAuthServer:
		return m.viewAuthServer()
	case stepPlugin:
		return m.viewPlugin()
	case stepValidate:
		return m.viewValidate()
	case stepFinish:
		return m.viewFinish()
	}
	return ""
}

func (m Model) choice(selected bool, label string) string {
	if selected {
		return m.styles.Current.Render("(•) " + label)
	}
	return "( ) " + label
}

func (m Model) viewWelcome() string {
	st := m.styles
	var b strings.Builder
	b.WriteString(st.Header.Render("From nothing to a verified login through the gateway") + "\n\n")
	cursor := func(r int) string {
		if m.row == r {
			return st.Key.Render("›")
		}
		return " "
	}
	b.WriteString(cursor(0) + " Identity provider  " + m.choice(!m.okta, "embedded") + "  " + m.choice(m.okta, "Okta org") + "\n")
	if m.okta {
		b.WriteString(st.Faint.Render("    Your Okta org: app and server from its Admin Console.") + "\n")
	} else {
		b.WriteString(st.Faint.Render("    Built-in Okta-compatible IdP: offline, no account.") + "\n")
	}
	b.WriteString(cursor(1) + " Tunnel             " + m.choice(!m.ngrok, "none") + "  ")
	if m.ngrokToken != "" {
		b.WriteString(m.choice(m.ngrok, "ngrok") + "\n")
	} else {
		b.WriteString(st.Faint.Render("ngrok (set "+EnvNgrokToken+")") + "\n")
	}
	if m.ngrok {
		b.WriteString(st.Faint.Render("    A public https URL, for browsers elsewhere.") + "\n")
	} else {
		b.WriteString(st.Faint.Render("    Loopback: for a browser on this machine.") + "\n")
	}
	if m.hasProfile {
		p := m.profile
		b.WriteString("\n" + st.Bold.Render("r") + " repeats your last walk: " + p.IdP + " IdP, tunnel " + p.Tunnel + ", client " + cmpStr(p.AppMode, "?") + "\n")
	}
	b.WriteString("\nPress enter to start the gateway.")
	return b.String()
}

func cmpStr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (m Model) viewGateway() string {
	st := m.styles
	var b strings.Builder
	b.WriteString(st.Header.Render("Gateway") + "\n\n")
	switch {
	case m.startErr != nil && m.states[stepGateway] == stateFailed:
		b.WriteString(st.Fail.Render("✗ the gateway did not start") + "\n")
		b.WriteString(wrap(lab.Clean(m.startErr.Error()), m.mainWidth()) + "\n\n")
		var le *lab.ListenError
		if errors.As(m.startErr, &le) && le.InUse() {
			b.WriteString(wrap("Another program holds "+le.Addr+": stop it, or start oidclab with --listen 127.0.0.1:0 (and --admin-listen, --idp-listen) to pick free ports.", m.mainWidth()) + "\n")
		}
		b.WriteString("\nPress enter to try again.")
	case m.eng == nil:
		b.WriteString(m.spin.View() + " starting the embedded gateway" + ifStr(!m.okta, " and IdP", "") + "…")
	default:
		b.WriteString(st.OK.Render("✓ running") + "\n\n")
		b.WriteString("  proxy      " + st.Value.Render(m.proxyURL) + "\n")
		b.WriteString("  admin API  " + st.Value.Render(cmpStr(m.adminURL, "off")) + "\n")
		if m.idp.Embedded {
			b.WriteString("  IdP        " + st.Value.Render(m.idp.Issuer) + "\n")
		}
		b.WriteString("\n" + wrap("It serves the tutorial's example-service on "+tutorial.Path+", answered by the built-in echo (httpbin). The openid-connect plugin is added in step 6.", m.mainWidth()) + "\n")
		b.WriteString("\nPress enter to continue.")
	}
	return b.String()
}

func ifStr(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

func (m Model) viewTunnel() string {
	st := m.styles
	var b strings.Builder
	b.WriteString(st.Header.Render("Tunnel") + "\n\n")
	switch {
	case m.states[stepTunnel] == stateFailed:
		b.WriteString(st.Fail.Render("✗ the tunnel did not open") + "\n")
		if m.startErr != nil {
			b.WriteString(wrap(lab.Clean(m.startErr.Error()), m.mainWidth()) + "\n")
			var f fixer
			if errors.As(m.startErr, &f) {
				b.WriteString("\n" + st.Bold.Render("Fix: ") + wrap(f.Fix(), m.mainWidth()) + "\n")
			}
		}
		b.WriteString("\nPress n to continue on loopback.")
		return b.String()
	case m.ngrok && m.opts.Exposer == nil:
		b.WriteString(wrap("Tunnel: ngrok support is not in this build yet — the walk continues on loopback.", m.mainWidth()) + "\n")
	case m.ngrok:
		b.WriteString(st.OK.Render("✓ open") + "\n\n  public URL  " + st.Value.Render(m.public) + "\n")
	default:
		b.WriteString("No tunnel: the walk runs on loopback.\n")
	}
	b.WriteString("\n  public URL    " + st.Value.Render(m.public) + "\n")
	b.WriteString("  redirect URI  " + st.Value.Render(m.redirectURI()) + "\n\n")
	b.WriteString(wrap("Okta accepts loopback redirect URIs for web apps, so a browser on this machine is enough. Open the app on exactly this host: 127.0.0.1 and localhost are two sites for cookies.", m.mainWidth()))
	b.WriteString("\n\nPress enter to continue.")
	return b.String()
}

func (m Model) viewInput(i int, label string) string {
	st := m.styles
	in := m.inputs[i]
	line := fmt.Sprintf("  %-14s %s", label, in.View())
	if in.Focused() {
		line = st.Key.Render("›") + line[1:]
	}
	if (i == inSecret || i == inAPIToken) && in.Value() != "" && !m.reveal {
		line += st.Faint.Render(" (hidden; ctrl+r shows)")
	}
	if i == inSecret && m.clientSecretFromEnv {
		line += st.Faint.Render(" from " + tutorial.EnvClientSecret)
	}
	if e := m.inputErr(i); e != "" && in.Value() != "" {
		line += "\n" + st.Warn.Render("                 "+e)
	}
	return line + "\n"
}

func (m Model) viewApp() string {
	st := m.styles
	var b strings.Builder
	b.WriteString(st.Header.Render("Okta application") + "\n\n")
	uri := m.redirectURI()
	if m.idp.Embedded {
		b.WriteString(wrap("The embedded IdP already has the tutorial's app, with these redirect URIs registered:", m.mainWidth()) + "\n")
		b.WriteString("  client ID   " + st.Value.Render(m.idp.ClientID) + "\n")
		b.WriteString("  sign-in     " + st.Value.Render(uri) + "\n\n")
		b.WriteString(m.choice(m.mode == appEmbedded, "e  use the embedded client (secret filled in, not shown)") + "\n")
		b.WriteString(m.choice(m.mode == appTyped, "t  type a client ID and secret yourself") + "\n")
	} else {
		b.WriteString("In the Admin Console (" + cmpStr(strings.TrimSpace(m.inputs[inOrg].Value()), "your org") + "/admin):\n")
		b.WriteString("  1. Applications → Create App Integration → OIDC → Web Application\n")
		b.WriteString("  2. Grant type: Authorization Code\n")
		b.WriteString("  3. Sign-in redirect URI   " + st.Value.Render(uri) + st.Faint.Render("  c copies") + "\n")
		b.WriteString("     Sign-out redirect URI  " + st.Value.Render(uri) + st.Faint.Render("  C copies") + "\n")
		b.WriteString("  4. Assignments: Skip group assignment for now; Save; then assign your user\n")
		b.WriteString("  5. Copy the client ID and secret here (or g: create it for me)\n\n")
	}
	switch m.mode {
	case appSetup:
		if m.opts.Setup == nil {
			b.WriteString("\n" + wrap("Create it for me: the Okta Management API automation (oidclab okta setup) is not in this build yet — follow the checklist and type the values (t).", m.mainWidth()) + "\n")
			break
		}
		b.WriteString("\n")
		if m.okta {
			b.WriteString(m.viewInput(inOrg, "org URL"))
			b.WriteString(m.viewInput(inAPIToken, "API token"))
			b.WriteString(st.Faint.Render(wrap("  Assigns OKTA_TEST_USER (the user you will log in as); the app, its authorization server, policy and rule are created through the Management API.", m.mainWidth())) + "\n")
		} else {
			b.WriteString(wrap("The embedded IdP answers Okta's Management API too: enter creates an app, assigns the demo user, and creates an authorization server with its policy and rule — as `oidclab okta setup` does with a real org.", m.mainWidth()) + "\n")
		}
		switch {
		case m.setupErr != nil:
			b.WriteString(st.Fail.Render("✗ "+lab.Clean(m.setupErr.Error())) + "\n")
		case m.setupRes != nil:
			b.WriteString(st.OK.Render("✓ created: "+strings.Join(m.setupRes.Created, ", ")) + "\n")
		case m.states[stepApp] == stateRunning && m.focus < 0:
			b.WriteString(m.spin.View() + " creating…\n")
		}
	case appTyped:
		b.WriteString("\n")
		if m.okta {
			b.WriteString(m.viewInput(inOrg, "org URL"))
		}
		b.WriteString(m.viewInput(inClientID, "client ID"))
		b.WriteString(m.viewInput(inSecret, "client secret"))
		if m.idp.Embedded && m.inputs[inSecret].Value() != "" {
			b.WriteString(st.Faint.Render("  The embedded client's real secret is not shown anywhere: a typed one is"+"\n  most likely wrong, which is a fine way to see what that failure looks like.") + "\n")
		}
	}
	if m.appReady() && m.focus < 0 {
		b.WriteString("\nPress enter to continue.")
	}
	return b.String()
}

func (m Model) viewAuthServer() string {
	st := m.styles
	var b strings.Builder
	b.WriteString(st.Header.Render("Authorization server") + "\n\n")
	if m.okta {
		b.WriteString(wrap("Security → API → Authorization Servers: use default or add one; copy its Issuer URI (the metadata URI works too):", m.mainWidth()) + "\n")
	} else {
		b.WriteString("The embedded IdP's default custom authorization server:\n")
	}
	prefix := "  issuer  "
	if m.issuerIn.Focused() {
		prefix = st.Key.Render("›") + " issuer  "
	}
	b.WriteString(prefix + m.issuerIn.View() + "\n")
	v := m.issuerIn.Value()
	if n := lab.NormalizeIssuer(v); v != "" && n != strings.TrimSpace(v) {
		b.WriteString(st.Faint.Render("          will use "+n) + "\n")
	}
	if p := issuerProblem(v); p != "" && v != "" {
		b.WriteString(st.Warn.Render("          "+p) + "\n")
	}
	for _, w := range issuerWarnings(lab.NormalizeIssuer(v)) {
		b.WriteString(st.Warn.Render(wrap("⚠ "+w, m.mainWidth())) + "\n")
	}
	b.WriteString("\n")
	switch {
	case m.issuerErr != nil:
		b.WriteString(st.Fail.Render("✗ ") + wrap(lab.Clean(m.issuerErr.Error()), m.mainWidth()-2) + "\n")
	case m.discovery != nil:
		d := m.discovery
		b.WriteString(st.OK.Render("✓ discovery answered for this issuer") + "\n")
		b.WriteString("  authorize  " + d.Authorize + "\n")
		b.WriteString("  PKCE S256  " + ifStr(d.PKCE, "yes (the plugin uses it)", "no") + "\n")
	case m.states[stepAuthServer] == stateRunning && !m.issuerIn.Focused() && v != "":
		b.WriteString(m.spin.View() + " reading the discovery document…\n")
	}
	if m.okta {
		b.WriteString("\nAccess Policies → Add Policy (assign it to your app) → Add Rule:\n")
		b.WriteString("  grant type Authorization Code; any user assigned the app; any scopes\n")
		b.WriteString(st.Faint.Render("  Without them every login ends in \"Policy evaluation failed\".") + "\n")
	} else {
		b.WriteString("\n" + st.Faint.Render(wrap("Its default access policy allows every client and scope, as a new Okta org's default server does.", m.mainWidth())) + "\n")
	}
	if m.checked != "" {
		b.WriteString("\nPress enter to continue.")
	}
	return b.String()
}

func (m Model) viewPlugin() string {
	st := m.styles
	var b strings.Builder
	b.WriteString(st.Header.Render("Plugin") + st.Faint.Render("  the decK file the gateway will run (secrets "+deck.Redacted+")") + "\n")
	switch {
	case m.deckErr != nil:
		b.WriteString(st.Fail.Render(wrap("✗ "+lab.Clean(m.deckErr.Error()), m.mainWidth())) + "\n")
	case m.deckText == "":
		b.WriteString(m.spin.View() + " rendering…\n")
	default:
		vp := m.deckView
		vp.Width = m.mainWidth()
		vp.Height = max(m.height-10, 3)
		b.WriteString(vp.View() + "\n")
	}
	switch {
	case m.applyErr != nil:
		b.WriteString(st.Fail.Render("✗ not applied: ") + wrap(lab.Clean(m.applyErr.Error()), m.mainWidth()) + "\n")
	case m.applied:
		b.WriteString(st.OK.Render("✓ applied to the running gateway") + "  Press enter to log in.\n")
	default:
		b.WriteString("Press a to apply it to the running gateway.\n")
	}
	if m.savedPath != "" {
		b.WriteString(st.Faint.Render("For Kong: export "+strings.Join(tutorial.Env, " ")+" and run deck gateway sync kong.yaml") + "\n")
	}
	return b.String()
}

func (m Model) viewValidate() string {
	st := m.styles
	var b strings.Builder
	w := m.mainWidth()
	b.WriteString(st.Header.Render("Validate") + "  " + st.Value.Render(m.loginURL) + "\n")
	switch {
	case m.headless:
		b.WriteString(m.spin.View() + " logging in headless as " + m.idp.Login + "…\n")
	case m.browserErr != nil:
		b.WriteString(st.Warn.Render("No browser could be opened:") + " open the URL above yourself" + ifStr(m.idp.Embedded, ", or press H for a headless login.", ".") + "\n")
	case !m.success && m.failure == nil:
		b.WriteString("o opens your browser" + ifStr(m.idp.Embedded, "; H logs in headless as "+m.idp.Login+" / "+m.idp.Password, "") + ".\n")
	}
	// The outcome first, so it is never cut off by a long diagram.
	var outcome []string
	switch {
	case m.success:
		outcome = append(outcome, st.OK.Render("✓ login validated")+" — the upstream received the request with a token")
		if len(m.claims) > 0 {
			outcome = append(outcome, "  ID token: "+claimLine(m.claims))
		}
		for i, u := range m.upstream {
			outcome = append(outcome, ifStr(i == 0, "  upstream got ", "    ")+u)
		}
		outcome = append(outcome, "Press enter to finish.")
	case m.failure != nil:
		f := m.failure
		for _, l := range strings.Split(wrap("✗ "+f.Message+" ["+string(f.Reason)+"]", w), "\n") {
			outcome = append(outcome, st.Fail.Render(l))
		}
		explain := f.Explain
		if explain == "" {
			explain = reasonFix(string(f.Reason))
		}
		for _, l := range strings.Split(wrap(explain, w), "\n") {
			outcome = append(outcome, "  "+l)
		}
		if adv := okta.Advice(string(f.Reason)); adv != "" && !strings.Contains(explain, adv) {
			for _, l := range strings.Split(wrap("Okta: "+adv, w-2), "\n") {
				outcome = append(outcome, "  "+l)
			}
		}
		t := backTarget(f.Reason)
		if t != stepValidate {
			outcome = append(outcome, st.Bold.Render("b")+" goes back to "+stepNames[t]+" to fix it.")
		} else {
			outcome = append(outcome, "x clears the diagram; log in again.")
		}
	case m.headlessErr != "":
		outcome = append(outcome, st.Warn.Render("headless login: ")+m.headlessErr)
	}
	if len(m.arrows) > 0 {
		used := strings.Count(b.String(), "\n") + len(outcome) + len(wrapLines(outcome, w)) + 1
		room := max(m.height-3-used, 3)
		b.WriteString(st.Faint.Render(diagramHeader()) + "\n")
		arrows := m.arrows
		if len(arrows) > room {
			b.WriteString(st.Faint.Render(fmt.Sprintf("   … %d earlier hops", len(arrows)-room+1)) + "\n")
			arrows = arrows[len(arrows)-room+1:]
		}
		for _, a := range arrows {
			b.WriteString(a.render(st, w) + "\n")
		}
	}
	for _, l := range outcome {
		b.WriteString(l + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func wrapLines(lines []string, w int) []string {
	var out []string
	for _, l := range lines {
		if ansi.StringWidth(l) > w {
			out = append(out, l)
		}
	}
	return out
}

func claimLine(claims map[string]any) string {
	// Who logged in first; the rest of the claims after, as far as the line goes.
	first := []string{"preferred_username", "email", "sub", "name"}
	keys := make([]string, 0, len(claims))
	for _, k := range first {
		if _, ok := claims[k]; ok {
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range claims {
		if !slices.Contains(first, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	keys = append(keys, rest...)
	var parts []string
	for _, k := range keys {
		parts = append(parts, lab.Clean(fmt.Sprintf("%s=%v", k, claims[k])))
	}
	return strings.Join(parts, " ")
}

func reasonFix(r string) string {
	for _, info := range lab.Reasons() {
		if string(info.Reason) == r {
			return info.Meaning + ". " + info.Fix
		}
	}
	return ""
}

func (m Model) viewFinish() string {
	st := m.styles
	var b strings.Builder
	b.WriteString(st.Header.Render("Finish") + "\n\n")
	b.WriteString(st.OK.Render("✓ login validated") + " through the gateway.\n\n")
	switch {
	case m.setupRes != nil && m.setupRes.Cleanup != nil && !m.cleaned:
		b.WriteString("Created at Okta: " + strings.Join(m.setupRes.Created, ", ") + "\nPress enter to delete them.\n")
	case m.cleanupErr != nil:
		b.WriteString(st.Fail.Render("✗ cleanup: "+lab.Clean(m.cleanupErr.Error())) + "\n")
	case m.setupRes != nil:
		b.WriteString("Removed what was created at Okta.\n")
	case m.okta:
		b.WriteString(wrap("Nothing was created for you at Okta: the app and server you made by hand stay until you delete them.", m.mainWidth()) + "\n")
	default:
		b.WriteString("Nothing to clean up: the embedded IdP goes away with the gateway.\n")
	}
	if m.ngrok && m.opts.Exposer != nil {
		b.WriteString("The tunnel closes when you quit.\n")
	}
	b.WriteString("\nRepeat this run in CI (s saves it as " + scenarioFile + "):\n")
	b.WriteString("  " + st.Value.Render(runCommand(m.okta)) + "\n")
	if m.okta {
		b.WriteString(wrap("  with DECK_ISSUER_URL, DECK_OKTA_CLIENT_ID, DECK_OKTA_CLIENT_SECRET, OKTA_TEST_USER and OKTA_TEST_PASSWORD exported", m.mainWidth()) + "\n")
	}
	b.WriteString("\nYour answers (never secrets) are saved: next time press r on the first screen.\n")
	b.WriteString("The gateway keeps serving until you quit (q).")
	return b.String()
}

// wrap breaks s into lines of at most w cells.
func wrap(s string, w int) string {
	return ansi.Wrap(s, max(w, 20), "")
}
