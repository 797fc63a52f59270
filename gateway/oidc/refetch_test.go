package oidc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/oidclab/oidclab/gateway/oidc/oidctest"
)

// rediscovery_lifetime: 0 must not remove the floor between refetches: each forged kid would
// cost a discovery and a JWKS call.
func TestRefetchFloorWhateverTheConfig(t *testing.T) {
	tests := []struct {
		lifetime int
		floor    time.Duration
	}{
		{lifetime: 0, floor: minRefetchGap},
		{lifetime: 1, floor: minRefetchGap},
		{lifetime: 60, floor: time.Minute},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("rediscovery_lifetime %d", tt.lifetime), func(t *testing.T) {
			h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) {
				cfg["auth_methods"] = []any{"bearer"}
				cfg["rediscovery_lifetime"] = tt.lifetime
			})
			if resp, _ := bearerRequest(t, h, h.op.Sign(accessClaims(h.op))); resp.StatusCode != http.StatusOK {
				t.Fatalf("valid token: %d", resp.StatusCode)
			}
			forged := func(i int) string {
				return h.op.SignForged(accessClaims(h.op), oidctest.Forge{Key: oidctest.NewKey(), Kid: fmt.Sprintf("forged-%d", i)})
			}
			for i := range 5 {
				bearerRequest(t, h, forged(i))
				h.clock.Advance(time.Second)
			}
			// One load, one refetch for the first forged kid, none for the others.
			if n := h.op.JWKSFetches(); n != 2 {
				t.Errorf("%d JWKS fetches for 5 forged kids within %s, want 2", n, tt.floor)
			}
			h.clock.Advance(tt.floor)
			bearerRequest(t, h, forged(99))
			if n := h.op.JWKSFetches(); n != 3 {
				t.Errorf("after the floor: %d JWKS fetches, want 3", n)
			}
		})
	}
}

// A request waiting for another's JWKS or discovery fetch gives up when its context ends.
func TestRefetchWaitHonoursCancellation(t *testing.T) {
	h := newHarness(t, func(cfg map[string]any, _ *oidctest.Provider) { cfg["auth_methods"] = []any{"bearer"} })
	if resp, _ := bearerRequest(t, h, h.op.Sign(accessClaims(h.op))); resp.StatusCode != http.StatusOK {
		t.Fatalf("valid token: %d", resp.StatusCode)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	// Another request holds the fetch lock (a fetch in flight).
	if err := h.p.keys.fetching.lock(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err := h.p.keys.lookup(ctx, "forged", "RS256")
	h.p.keys.fetching.unlock()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("JWKS lookup behind a fetch in flight: %v, want context.Canceled", err)
	}

	h.p.disc.md.Store(nil)
	if err := h.p.disc.fetching.lock(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err = h.p.disc.get(ctx)
	h.p.disc.fetching.unlock()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("discovery behind a fetch in flight: %v, want context.Canceled", err)
	}
}
