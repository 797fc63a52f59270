package oidc

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway/oidc/oidctest"
)

// introspectionIdP answers every token as inactive and counts the calls; block, when set, holds
// each answer until it is closed.
type introspectionIdP struct {
	calls atomic.Int32
	block chan struct{}
	srv   *httptest.Server
}

func newIntrospectionIdP(t *testing.T, block bool) *introspectionIdP {
	idp := &introspectionIdP{}
	if block {
		idp.block = make(chan struct{})
	}
	idp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		idp.calls.Add(1)
		if idp.block != nil {
			<-idp.block
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"active":false}`))
	}))
	t.Cleanup(idp.srv.Close)
	return idp
}

func introspectionHarness(t *testing.T, idp *introspectionIdP) *harness {
	return newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
		cfg["auth_methods"] = []any{"introspection"}
		cfg["introspection_endpoint"] = idp.srv.URL
	})
}

// Any web page can make a browser send ?access_token=… to the gateway; each unknown token must
// not cost an authenticated call to the IdP's rate-limited introspection endpoint.
func TestIntrospectionCannotBeDriven(t *testing.T) {
	t.Run("an inactive answer is remembered", func(t *testing.T) {
		idp := newIntrospectionIdP(t, false)
		h := introspectionHarness(t, idp)
		for range 3 {
			if resp, _ := bearerRequest(t, h, "unknown-opaque"); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d", resp.StatusCode)
			}
		}
		if e := h.events.last(t, EventAuthFailed); e.Reason != ReasonTokenInactive {
			t.Errorf("reason %q", e.Reason)
		}
		if n := idp.calls.Load(); n != 1 {
			t.Errorf("%d introspection calls for one token, want 1", n)
		}
		h.clock.Advance(inactiveTTL + time.Second)
		bearerRequest(t, h, "unknown-opaque")
		if n := idp.calls.Load(); n != 2 {
			t.Errorf("%d introspection calls after the inactive answer expired, want 2", n)
		}
	})
	t.Run("identical concurrent introspections are one call", func(t *testing.T) {
		idp := newIntrospectionIdP(t, true)
		h := introspectionHarness(t, idp)
		const n = 5
		var wg sync.WaitGroup
		statuses := make(chan int, n)
		for range n {
			wg.Go(func() {
				resp, _ := bearerRequest(t, h, "same-opaque")
				statuses <- resp.StatusCode
			})
		}
		// Release the IdP once every request is either calling it or waiting for a call.
		for c := idp.calls.Load(); c < n && (c == 0 || int(c)+h.p.introspecting.waiters() < n); c = idp.calls.Load() {
			time.Sleep(time.Millisecond)
		}
		close(idp.block)
		wg.Wait()
		close(statuses)
		for s := range statuses {
			if s != http.StatusUnauthorized {
				t.Errorf("status %d", s)
			}
		}
		if got := idp.calls.Load(); got != 1 {
			t.Errorf("%d introspection calls for %d identical requests, want 1", got, n)
		}
	})
	t.Run("calls per second are bounded", func(t *testing.T) {
		idp := newIntrospectionIdP(t, false)
		h := introspectionHarness(t, idp)
		for i := range introspectionsPerSecond {
			bearerRequest(t, h, "token-"+strconv.Itoa(i))
		}
		resp, _ := bearerRequest(t, h, "one-too-many")
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if e := h.events.last(t, EventAuthFailed); e.Reason != ReasonIntrospectionLimited || e.Explain == "" {
			t.Errorf("reason %q explain %q", e.Reason, e.Explain)
		}
		if n := idp.calls.Load(); n != introspectionsPerSecond {
			t.Errorf("%d introspection calls, want %d", n, introspectionsPerSecond)
		}
		h.clock.Advance(time.Second)
		bearerRequest(t, h, "one-too-many")
		if n := idp.calls.Load(); n != introspectionsPerSecond+1 {
			t.Errorf("the next second: %d calls, want %d", n, introspectionsPerSecond+1)
		}
	})
}
