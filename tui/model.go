package tui

import (
	"context"
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc"
	"github.com/oidclab/oidclab/lab"
	"github.com/oidclab/oidclab/lab/tutorial"
	"github.com/oidclab/oidclab/scenarios/browser"
)

type step int

const (
	stepWelcome step = iota
	stepGateway
	stepTunnel
	stepApp
	stepAuthServer
	stepPlugin
	stepValidate
	stepFinish
	numSteps
)

var stepNames = [numSteps]string{"Welcome", "Gateway", "Tunnel", "Okta app", "Auth server", "Plugin", "Validate", "Finish"}

type stepState int

const (
	statePending stepState = iota
	stateRunning
	stateDone
	stateFailed
)

// appMode is how the walk gets its client: the embedded IdP's own, typed in, or created.
type appMode string

const (
	appNone     appMode = ""
	appEmbedded appMode = "embedded"
	appTyped    appMode = "typed"
	appSetup    appMode = "setup"
)

// Environment variables the walk reads secrets from.
const (
	EnvNgrokToken   = "NGROK_AUTHTOKEN"
	EnvOktaAPIToken = "OKTA_API_TOKEN"
)

// Model is the walkthrough's one root model: the current step, each step's state, the answers
// so far and what the lab reported.
type Model struct {
	ctx    context.Context
	opts   Options
	styles Styles
	keys   keyMap
	help   help.Model
	spin   spinner.Model
	width  int
	height int

	step   step
	states [numSteps]stepState
	note   string // one line about the last action ("copied", "saved …")
	auto   bool   // replaying the profile: each step runs and continues on its own

	profile    Profile
	hasProfile bool

	// Welcome
	row        int // 0: identity provider, 1: tunnel
	okta       bool
	ngrok      bool
	ngrokToken string

	// Gateway and tunnel
	eng      Engine
	eventCh  <-chan gateway.Event
	stopSub  func()
	startErr error
	proxyURL string
	adminURL string
	public   string
	idp      lab.IdPInfo

	// Okta application
	mode                appMode
	inputs              []textinput.Model // org URL, client id, client secret, API token
	focus               int               // index into inputs, -1 none
	reveal              bool
	setupRes            *SetupResult
	setupErr            error
	clientSecretFromEnv bool

	// Authorization server
	issuerIn  textinput.Model
	discovery *lab.Discovery
	issuerErr error
	checked   string // the issuer the discovery check passed for

	// Plugin
	deckView  viewport.Model
	deckText  string
	deckErr   error
	applyErr  error
	applied   bool
	savedPath string

	// Validate
	narrator    *lab.Narrator
	drawn       map[string]bool
	arrows      []arrow
	hops        int
	verified    bool
	claims      map[string]any
	success     bool
	failure     *lab.Hop
	upstream    []string
	loginURL    string
	browserErr  error
	headless    bool
	headlessErr string

	// Finish
	cleaned    bool
	cleanupErr error
	quitting   bool
}

const (
	inOrg = iota
	inClientID
	inSecret
	inAPIToken
	numInputs
)

// New returns the walkthrough's model. ctx bounds every command it starts.
func New(ctx context.Context, o Options) Model {
	m := Model{
		ctx: ctx, opts: o, styles: NewStyles(!o.NoColor), keys: newKeys(), help: help.New(),
		spin: spinner.New(spinner.WithSpinner(spinner.Line)), width: 80, height: 24,
		focus: -1, narrator: &lab.Narrator{Requests: true}, drawn: map[string]bool{},
	}
	m.ngrokToken = o.getenv(EnvNgrokToken)
	m.inputs = make([]textinput.Model, numInputs)
	for i, p := range []string{"https://YOUR-ORG.okta.com", "client ID", "client secret", "Okta API token"} {
		ti := textinput.New()
		ti.Placeholder = p
		ti.CharLimit = 512
		ti.Width = 44
		ti.Prompt = ""
		m.inputs[i] = ti
	}
	for _, i := range []int{inSecret, inAPIToken} {
		m.inputs[i].EchoMode = textinput.EchoPassword
		m.inputs[i].EchoCharacter = '•'
	}
	if v := o.getenv(tutorial.EnvClientSecret); v != "" {
		m.inputs[inSecret].SetValue(v)
		m.clientSecretFromEnv = true
	}
	if v := o.getenv(EnvOktaAPIToken); v != "" {
		m.inputs[inAPIToken].SetValue(v)
	}
	m.issuerIn = textinput.New()
	m.issuerIn.Placeholder = "https://YOUR-ORG.okta.com/oauth2/default"
	m.issuerIn.Prompt = ""
	m.issuerIn.CharLimit = 512
	m.issuerIn.Width = 50
	m.deckView = viewport.New(60, 10)
	if p, ok, err := LoadProfile(o.profilePath()); err == nil && ok {
		m.profile, m.hasProfile = p, true
		m.okta = p.IdP == "okta"
		m.ngrok = p.Tunnel == "ngrok" && m.ngrokToken != ""
		m.inputs[inOrg].SetValue(p.OrgURL)
		if m.okta {
			m.inputs[inClientID].SetValue(p.ClientID)
			m.issuerIn.SetValue(p.Issuer)
		}
	}
	m.states[stepWelcome] = stateRunning
	return m
}

// Init starts the spinner; nothing else happens before the person chooses.
func (m Model) Init() tea.Cmd { return m.spin.Tick }

// Update handles one message. It never does I/O: that is in the commands it returns.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.Width = msg.Width
		m.deckView.Width = max(m.mainWidth(), 20)
		m.deckView.Height = max(m.height-10, 3)
		m.issuerIn.Width = max(m.mainWidth()-12, 20)
		for i := range m.inputs {
			m.inputs[i].Width = max(m.mainWidth()-20, 20)
		}
		return m, nil
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case shutdownMsg:
		return m, tea.Quit
	case tea.KeyMsg:
		if key.Matches(msg, m.keys.Quit) {
			return m.quit()
		}
		if msg.String() == "q" && m.focus < 0 && !m.issuerIn.Focused() {
			return m.quit()
		}
		if key.Matches(msg, m.keys.Help) && m.focus < 0 && !m.issuerIn.Focused() {
			m.help.ShowAll = !m.help.ShowAll
			return m, nil
		}
		return m.updateKey(msg)
	case labStartedMsg:
		return m.labStarted(msg)
	case eventMsg:
		return m.event(msg.e)
	case eventsClosedMsg:
		return m, nil
	case issuerCheckedMsg:
		return m.issuerChecked(msg)
	case deckRenderedMsg:
		m.deckErr = msg.err
		m.deckText = msg.redacted
		m.deckView.SetContent(msg.redacted)
		// The plugin is what this step is about; services and routes are above it.
		if i := strings.Index(msg.redacted, "openid-connect"); i >= 0 {
			m.deckView.SetYOffset(max(strings.Count(msg.redacted[:i], "\n")-1, 0))
		}
		return m, nil
	case appliedMsg:
		m.applyErr = msg.err
		if msg.err != nil {
			m.states[stepPlugin] = stateFailed
			m.auto = false
			return m, nil
		}
		m.applied = true
		m.states[stepPlugin] = stateDone
		m.note = "applied to the running gateway"
		if m.auto {
			return m.goTo(stepValidate)
		}
		return m, nil
	case savedMsg:
		if msg.err != nil {
			m.note = "could not save: " + msg.err.Error()
		} else {
			m.savedPath = msg.path
			m.note = "saved " + msg.path
		}
		return m, nil
	case browserOpenedMsg:
		m.browserErr = msg.err
		if msg.err == nil {
			m.note = "browser opened: log in there and watch the hops here"
		}
		return m, nil
	case headlessDoneMsg:
		m.headless = false
		m.headlessErr = ""
		if msg.err != nil {
			var le *browser.LoginError
			if errors.As(msg.err, &le) {
				m.headlessErr = lab.Clean(le.Detail)
			} else {
				m.headlessErr = lab.Clean(msg.err.Error())
			}
		}
		if msg.res != nil {
			m.upstream = upstreamSummary(msg.res)
		}
		return m, nil
	case setupDoneMsg:
		m.states[stepApp] = stateDone
		if msg.err != nil {
			m.setupErr = msg.err
			m.states[stepApp] = stateFailed
			return m, nil
		}
		m.setupRes = &msg.res
		m.inputs[inClientID].SetValue(msg.res.ClientID)
		if msg.res.Issuer != "" {
			m.issuerIn.SetValue(msg.res.Issuer)
		}
		return m, nil
	case copiedMsg:
		m.note = "copied " + msg.what + " (OSC 52: if your terminal does not support it, select the value)"
		return m, nil
	case cleanupDoneMsg:
		m.cleaned, m.cleanupErr = true, msg.err
		return m, nil
	case profileSavedMsg:
		if msg.err != nil {
			m.note = "could not save your answers: " + msg.err.Error()
		}
		return m, nil
	}
	return m.updateInputs(msg)
}

func (m Model) quit() (tea.Model, tea.Cmd) {
	if m.quitting {
		return m, tea.Quit
	}
	m.quitting = true
	return m, shutdownCmd(m.eng, m.stopSub)
}

// goTo makes s the current step and returns what entering it starts.
func (m Model) goTo(s step) (tea.Model, tea.Cmd) {
	m.step = s
	m.note = ""
	m.blurAll()
	if m.states[s] != stateDone {
		m.states[s] = stateRunning
	}
	switch s {
	case stepGateway:
		if m.eng != nil {
			m.states[s] = stateDone
			if m.auto {
				return m.goTo(stepTunnel)
			}
			return m, nil
		}
		m.states[s] = stateRunning
		m.startErr = nil
		return m, startLabCmd(m.ctx, m.opts, m.labConfig())
	case stepTunnel:
		if m.states[s] != stateFailed {
			m.states[s] = stateDone
		}
		if m.auto {
			return m.goTo(stepApp)
		}
	case stepApp:
		return m.enterApp()
	case stepAuthServer:
		if m.issuerIn.Value() == "" && m.idp.Embedded {
			m.issuerIn.SetValue(m.idp.Issuer)
		}
		if m.checked != "" && m.checked == lab.NormalizeIssuer(m.issuerIn.Value()) {
			m.states[s] = stateDone
			if m.auto {
				return m.goTo(stepPlugin)
			}
			return m, nil
		}
		m.states[s] = stateRunning
		if m.auto && m.issuerIn.Value() != "" {
			return m.checkIssuer()
		}
		m.issuerIn.Focus()
		return m, textinput.Blink
	case stepPlugin:
		m.states[s] = stateRunning
		m.applied, m.applyErr = false, nil
		cmds := []tea.Cmd{renderDeckCmd(m.shownVars())}
		if m.auto {
			cmds = append(cmds, applyCmd(m.eng, m.deckVars()))
		}
		return m, tea.Batch(cmds...)
	case stepValidate:
		m.auto = false
		m.loginURL = m.public + tutorial.Path
		if !m.success {
			m.states[s] = stateRunning
		}
		return m, m.saveProfile()
	case stepFinish:
		m.states[s] = stateDone
		if m.setupRes != nil && m.setupRes.Cleanup != nil {
			return m, nil
		}
		m.cleaned = true
	}
	return m, nil
}

func (m Model) labConfig() lab.Config {
	cfg := m.opts.Lab
	cfg.Deck, cfg.DeckName = gatewayOnlyDeck, "the tutorial's service and route"
	cfg.IdP = lab.IdPLocal
	if m.okta {
		cfg.IdP = lab.IdPNone
	}
	if m.ngrok && m.opts.Exposer != nil {
		token, expose := m.ngrokToken, m.opts.Exposer
		cfg.Expose = func(ctx context.Context) (lab.Exposure, error) { return expose(ctx, token) }
	}
	return cfg
}

func (m Model) labStarted(msg labStartedMsg) (tea.Model, tea.Cmd) {
	if msg.err != nil {
		m.startErr = msg.err
		m.auto = false
		var ee *lab.ExposeError
		if errors.As(msg.err, &ee) {
			m.states[stepGateway] = statePending
			m.states[stepTunnel] = stateFailed
			m.step = stepTunnel
			return m, nil
		}
		m.states[stepGateway] = stateFailed
		return m, nil
	}
	m.eng = msg.eng
	m.proxyURL, m.adminURL, m.public, m.idp = msg.eng.ProxyURL(), msg.eng.AdminURL(), msg.eng.PublicURL(), msg.eng.IdP()
	m.states[stepGateway] = stateDone
	if m.idp.Embedded && m.inputs[inClientID].Value() == "" {
		m.inputs[inClientID].SetValue(m.idp.ClientID)
	}
	ch, stop := msg.eng.Subscribe(1024)
	m.stopSub, m.eventCh = stop, ch
	cmd := waitEventCmd(ch)
	if m.auto {
		next, c := m.goTo(stepTunnel)
		return next, tea.Batch(cmd, c)
	}
	return m, cmd
}

// event narrates one lab event onto the diagram and the login's outcome.
func (m Model) event(e gateway.Event) (tea.Model, tea.Cmd) {
	h, ok := m.narrator.Narrate(e)
	if ok {
		m.hops++
		if a, ok := arrowOf(h, m.drawn); ok {
			m.arrows = append(m.arrows, a)
		}
		switch {
		case h.Kind == oidc.EventIDTokenVerified:
			m.verified = true
			m.claims = h.Attrs
		case h.Kind == gateway.EventRequestFinished && h.AnsweredBy == gateway.AnsweredByUpstream && h.Status < 400 && m.verified:
			m.success = true
			m.failure = nil
			m.states[stepValidate] = stateDone
		case h.Failed() && !m.success:
			if m.failure == nil || failureRank(h) > failureRank(*m.failure) {
				hop := h
				m.failure = &hop
			}
			m.states[stepValidate] = stateFailed
		}
	}
	return m, m.listen()
}

// listen re-arms the event wait; the channel lives in the engine's subscription.
func (m Model) listen() tea.Cmd {
	if m.eventCh == nil {
		return nil
	}
	return waitEventCmd(m.eventCh)
}

// failureRank orders a login's failed hops by how well they explain it: the gateway's
// classified reason (it knows the flow) over the IdP's refusal, over a bare status. Ties keep
// the first, the cause rather than its echoes.
func failureRank(h lab.Hop) int {
	switch {
	case h.Reason != "" && h.Kind != lab.EventIdPRequest:
		return 3
	case h.Reason != "":
		return 2
	}
	return 1
}
