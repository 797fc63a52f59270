package browser

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
)

// tracker follows the main frame's document requests from DevTools events: it records hops
// (with the cookies Chromium sent, withheld and refused) and tells the driver when the page
// has settled. handle runs on chromedp's event loop, so it only updates state under a lock.
type tracker struct {
	mu        sync.Mutex
	mainFrame cdp.FrameID
	changed   chan struct{} // closed and replaced on every state change

	hops  []Hop
	byReq map[network.RequestID][]int // hop indexes of a request id (a redirect chain shares it)
	// Extra-info events can arrive before or after the hop they describe; they are matched in
	// order per request id.
	reqExtraDone, respExtraDone map[int]bool
	reqExtraBuf                 map[network.RequestID][]*network.EventRequestWillBeSentExtraInfo
	respExtraBuf                map[network.RequestID][]*network.EventResponseReceivedExtraInfo

	seq       int // new (non-redirect) document requests seen
	loadedSeq int // seq when the current document finished loading (or its request failed)
	loader    cdp.LoaderID
	lastReq   network.RequestID
	status    int
	mimeType  string
	header    http.Header // the last document response's headers, Set-Cookie removed
	failed    string      // error text of the last failed document request

	nextNote   string
	nextFields []string
}

func newTracker(mainFrame cdp.FrameID) *tracker {
	t := &tracker{mainFrame: mainFrame, changed: make(chan struct{})}
	t.reset()
	return t
}

// reset starts a new navigation's record. The document state is kept: it is the browser's.
func (t *tracker) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.hops = nil
	t.byReq = map[network.RequestID][]int{}
	t.reqExtraDone, t.respExtraDone = map[int]bool{}, map[int]bool{}
	t.reqExtraBuf = map[network.RequestID][]*network.EventRequestWillBeSentExtraInfo{}
	t.respExtraBuf = map[network.RequestID][]*network.EventResponseReceivedExtraInfo{}
	t.failed = ""
	t.nextNote, t.nextFields = "", nil
}

// expect labels the next new document request (the one the driver is about to cause).
func (t *tracker) expect(note string, fields []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.nextNote, t.nextFields = note, fields
}

type trackerState struct {
	seq      int
	settled  bool
	failed   string
	status   int
	mimeType string
	header   http.Header
	lastReq  network.RequestID
	hops     int
}

func (t *tracker) state() (trackerState, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return trackerState{
		seq: t.seq, settled: t.loadedSeq == t.seq, failed: t.failed,
		status: t.status, mimeType: t.mimeType, header: t.header, lastReq: t.lastReq, hops: len(t.hops),
	}, t.changed
}

// wait blocks until cond holds for the state, or ctx ends.
func (t *tracker) wait(ctx context.Context, cond func(trackerState) bool) (trackerState, error) {
	for {
		st, changed := t.state()
		if cond(st) {
			return st, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return st, ctx.Err()
		}
	}
}

func (t *tracker) snapshot() []Hop {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Hop, len(t.hops))
	for i, h := range t.hops {
		out[i] = h
		out[i].FormFields = slices.Clone(h.FormFields)
		out[i].CookiesSent = slices.Clone(h.CookiesSent)
		out[i].CookiesNotSent = slices.Clone(h.CookiesNotSent)
		out[i].CookiesSet = slices.Clone(h.CookiesSet)
		out[i].CookiesRejected = slices.Clone(h.CookiesRejected)
	}
	return out
}

func (t *tracker) notify() {
	close(t.changed)
	t.changed = make(chan struct{})
}

func (t *tracker) handle(ev any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch ev := ev.(type) {
	case *page.EventFrameNavigated:
		if ev.Frame != nil && ev.Frame.ParentID == "" {
			t.mainFrame = ev.Frame.ID
		}
	case *network.EventRequestWillBeSent:
		if ev.Type != network.ResourceTypeDocument || ev.FrameID != t.mainFrame || ev.Request == nil {
			return
		}
		note := "redirect"
		var fields []string
		if ev.RedirectResponse != nil {
			if idx := t.byReq[ev.RequestID]; len(idx) > 0 {
				t.hops[idx[len(idx)-1]].Status = int(ev.RedirectResponse.Status)
			}
		} else {
			t.seq++
			note, fields = t.nextNote, t.nextFields
			switch {
			case note != "":
			case ev.Request.Method == "POST":
				// The page submitted a form by itself, typically before the driver even
				// looked at it: a form_post response or a re-POST page.
				note = "auto-submitted form"
			default:
				note = "navigation by the page"
			}
			t.nextNote, t.nextFields = "", nil
		}
		if fields == nil && ev.Request.Method == "POST" {
			fields = postFieldNames(ev.Request)
		}
		raw := ev.Request.URL + ev.Request.URLFragment
		t.hops = append(t.hops, Hop{Method: ev.Request.Method, URL: RedactURL(raw), Note: note, FormFields: fields})
		i := len(t.hops) - 1
		t.byReq[ev.RequestID] = append(t.byReq[ev.RequestID], i)
		t.loader, t.lastReq, t.status, t.mimeType, t.header, t.failed = ev.LoaderID, ev.RequestID, 0, "", nil, ""
		t.applyBufferedExtra(ev.RequestID)
		t.notify()
	case *network.EventResponseReceived:
		if idx := t.byReq[ev.RequestID]; len(idx) > 0 && ev.Response != nil {
			t.hops[idx[len(idx)-1]].Status = int(ev.Response.Status)
			if ev.RequestID == t.lastReq {
				t.status, t.mimeType = int(ev.Response.Status), ev.Response.MimeType
				t.header = http.Header{}
				for k, v := range ev.Response.Headers {
					if s, ok := v.(string); ok && !strings.EqualFold(k, "Set-Cookie") {
						t.header.Set(k, s)
					}
				}
			}
			t.notify()
		}
	case *network.EventLoadingFailed:
		if ev.RequestID == t.lastReq && t.loadedSeq != t.seq {
			t.failed = ev.ErrorText
			if idx := t.byReq[ev.RequestID]; len(idx) > 0 {
				h := &t.hops[idx[len(idx)-1]]
				h.Note = strings.TrimSpace(h.Note + " (failed: " + ev.ErrorText + ")")
			}
			t.loadedSeq = t.seq
			t.notify()
		}
	case *page.EventLifecycleEvent:
		if ev.FrameID == t.mainFrame && ev.Name == "load" && ev.LoaderID == t.loader {
			t.loadedSeq = t.seq
			t.notify()
		}
	case *network.EventRequestWillBeSentExtraInfo:
		t.reqExtraBuf[ev.RequestID] = append(t.reqExtraBuf[ev.RequestID], ev)
		t.applyBufferedExtra(ev.RequestID)
	case *network.EventResponseReceivedExtraInfo:
		t.respExtraBuf[ev.RequestID] = append(t.respExtraBuf[ev.RequestID], ev)
		t.applyBufferedExtra(ev.RequestID)
	}
}

// applyBufferedExtra pairs extra-info events with the hops of the request id, in order.
func (t *tracker) applyBufferedExtra(id network.RequestID) {
	for _, i := range t.byReq[id] {
		if !t.reqExtraDone[i] && len(t.reqExtraBuf[id]) > 0 {
			ev := t.reqExtraBuf[id][0]
			t.reqExtraBuf[id] = t.reqExtraBuf[id][1:]
			t.reqExtraDone[i] = true
			for _, ac := range ev.AssociatedCookies {
				if ac.Cookie == nil {
					continue
				}
				if len(ac.BlockedReasons) == 0 {
					t.hops[i].CookiesSent = append(t.hops[i].CookiesSent, ac.Cookie.Name)
				} else if !onlyDomainOrPath(ac.BlockedReasons) {
					t.hops[i].CookiesNotSent = append(t.hops[i].CookiesNotSent, ac.Cookie.Name+": "+joinReasons(ac.BlockedReasons))
				}
			}
		}
		if !t.respExtraDone[i] && len(t.respExtraBuf[id]) > 0 {
			ev := t.respExtraBuf[id][0]
			t.respExtraBuf[id] = t.respExtraBuf[id][1:]
			t.respExtraDone[i] = true
			blocked := map[string]bool{}
			for _, bc := range ev.BlockedCookies {
				name := setCookieName(bc.CookieLine)
				blocked[name] = true
				t.hops[i].CookiesRejected = append(t.hops[i].CookiesRejected, name+": "+joinReasons(bc.BlockedReasons))
			}
			for _, line := range headerLines(ev.Headers, "set-cookie") {
				if name := setCookieName(line); name != "" && !blocked[name] {
					t.hops[i].CookiesSet = append(t.hops[i].CookiesSet, name)
				}
			}
		}
	}
}

// onlyDomainOrPath: a cookie for another host or path is not "withheld", it just does not apply.
func onlyDomainOrPath[R ~string](reasons []R) bool {
	for _, r := range reasons {
		switch string(r) {
		case "DomainMismatch", "NotOnPath":
		default:
			return false
		}
	}
	return true
}

func joinReasons[R ~string](reasons []R) string {
	s := make([]string, len(reasons))
	for i, r := range reasons {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// headerLines returns a header's values; DevTools joins repeated headers with newlines.
func headerLines(h network.Headers, name string) []string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			if s, ok := v.(string); ok {
				return strings.Split(s, "\n")
			}
		}
	}
	return nil
}

// postFieldNames lists the names of an urlencoded POST body, never the values.
func postFieldNames(r *network.Request) []string {
	var body []byte
	for _, e := range r.PostDataEntries {
		if e != nil {
			body = append(body, e.Bytes...)
		}
	}
	if len(body) == 0 {
		return nil
	}
	var names []string
	for _, kv := range strings.Split(string(body), "&") {
		k, _, _ := strings.Cut(kv, "=")
		if n, err := url.QueryUnescape(k); err == nil && n != "" {
			names = append(names, n)
		}
	}
	return names
}
