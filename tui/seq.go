package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc"
	"github.com/oidclab/oidclab/lab"
)

// lane is a column of the sequence diagram.
type lane int

const (
	laneBrowser lane = iota
	laneGateway
	laneIdP
	laneUpstream
	numLanes
)

var laneNames = [numLanes]string{"browser", "gateway", "IdP", "upstream"}

// laneX is each lane's column: the names are centred over it, 9 apart, so four lanes and an
// arrow label fit beside an 80-column terminal's sidebar.
var laneX = [numLanes]int{3, 12, 20, 29}

const diagramWidth = 33

// arrow is one hop drawn between two lanes; from == to is a note on one lane (the gateway
// verifying a token).
type arrow struct {
	from, to lane
	label    string
	failed   bool
	ok       bool
}

// arrowOf places a narrated hop on the diagram's lanes; false for hops another arrow already
// tells (the plugin's own answer to a request whose login step was drawn).
func arrowOf(h lab.Hop, drawn map[string]bool) (arrow, bool) {
	a := arrow{failed: h.Failed(), ok: h.Mark == lab.MarkOK, label: hopLabel(h)}
	switch {
	case h.Kind == lab.EventIdPRequest:
		a.to = laneIdP
		a.from = laneBrowser
		if ep, _ := h.Attrs["endpoint"].(string); backChannel(ep) {
			a.from = laneGateway
		}
	case h.Kind == gateway.EventRequestFinished:
		if h.AnsweredBy == gateway.AnsweredByUpstream {
			a.from, a.to = laneGateway, laneUpstream
		} else {
			if drawn[h.RequestID] && h.Reason == "" {
				return arrow{}, false
			}
			a.from, a.to = laneBrowser, laneGateway
		}
	case h.Kind == oidc.EventTokenExchanged, h.Kind == oidc.EventIDTokenVerified, h.Kind == oidc.EventIDTokenRejected,
		h.Kind == oidc.EventSessionIssued, h.Kind == oidc.EventSessionRefreshed:
		a.from, a.to = laneGateway, laneGateway
		drawn[h.RequestID] = true
	case strings.HasPrefix(string(h.Kind), "oidc."):
		a.from, a.to = laneBrowser, laneGateway
		drawn[h.RequestID] = true
	case h.Kind == gateway.EventConfigApplied:
		return arrow{}, false
	default:
		a.from, a.to = laneGateway, laneGateway
	}
	return a, true
}

// backChannel endpoints are called by the gateway, the others by the browser.
func backChannel(endpoint string) bool {
	switch endpoint {
	case "token", "keys", "discovery", "userinfo", "introspect", "revoke":
		return true
	}
	return false
}

// hopLabel is the short text beside an arrow: method, the path's last part, status, and the
// reason of a failure.
func hopLabel(h lab.Hop) string {
	var parts []string
	if h.Failed() {
		parts = append(parts, "✗")
	}
	note := h.Kind != gateway.EventRequestFinished && h.Kind != lab.EventIdPRequest
	if h.Method != "" && !(note && !h.Failed() && h.Kind != oidc.EventLoginStarted && h.Kind != oidc.EventCallbackReceived) {
		parts = append(parts, h.Method, shortPath(h.Path))
	}
	if h.Status != 0 {
		parts = append(parts, itoa(h.Status))
	}
	if h.Reason != "" {
		parts = append(parts, string(h.Reason))
	} else if h.Method == "" || note {
		parts = append(parts, shortMessage(h))
	}
	return strings.Join(parts, " ")
}

// shortPath drops the issuer's /oauth2/{server} prefix: the lane already says it is the IdP.
func shortPath(p string) string {
	if rest, ok := strings.CutPrefix(p, "/oauth2/"); ok {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			return rest[i:]
		}
	}
	return p
}

func shortMessage(h lab.Hop) string {
	switch h.Kind {
	case oidc.EventLoginStarted:
		return "login started"
	case oidc.EventCallbackReceived:
		return "callback"
	case oidc.EventTokenExchanged:
		return "code → tokens"
	case oidc.EventIDTokenVerified:
		return "ID token verified"
	case oidc.EventIDTokenRejected:
		return "ID token rejected"
	case oidc.EventSessionIssued:
		return "session issued"
	}
	return strings.TrimPrefix(string(h.Kind), "oidc.")
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for n >= 10 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	i--
	b[i] = byte('0' + n)
	return string(b[i:])
}

// diagramHeader names the lanes over their columns.
func diagramHeader() string {
	row := []rune(strings.Repeat(" ", diagramWidth))
	for l := range numLanes {
		name := []rune(laneNames[l])
		start := max(laneX[l]-len(name)/2, 0)
		for i, r := range name {
			if start+i < len(row) {
				row[start+i] = r
			}
		}
	}
	return strings.TrimRight(string(row), " ")
}

// render draws a as one row: lifelines (│) at every lane, the arrow's shaft between its lanes
// with its head at the receiver, and the label after the diagram, cut to fit width.
func (a arrow) render(st Styles, width int) string {
	row := []rune(strings.Repeat(" ", diagramWidth))
	for l := range numLanes {
		row[laneX[l]] = '│'
	}
	lo, hi := min(a.from, a.to), max(a.from, a.to)
	if lo == hi {
		row[laneX[lo]] = '●'
	} else {
		for x := laneX[lo] + 1; x < laneX[hi]; x++ {
			row[x] = '─'
		}
		if a.to > a.from {
			row[laneX[hi]-1] = '▶'
		} else {
			row[laneX[lo]+1] = '◀'
		}
		if a.failed {
			row[(laneX[lo]+laneX[hi])/2] = '✗'
		}
	}
	shaft := string(row)
	label := ansi.Truncate(a.label, max(width-diagramWidth-1, 8), "…")
	switch {
	case a.failed:
		return st.Fail.Render(shaft) + " " + st.Fail.Render(label)
	case a.ok:
		return shaft + " " + st.OK.Render(label)
	}
	return shaft + " " + label
}
