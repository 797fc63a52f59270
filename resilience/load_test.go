package resilience_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oidclab/oidclab/lab"
)

// TestLoad: clients carrying one session cookie hammer the gateway while fresh logins run
// alongside; every request must be answered by the upstream, every login must complete, and
// memory must not grow between the end of the warm-up and the end of the run.
//
// Short form: 20 clients for 2 s, memory reported and checked against a generous margin only
// (a short run on a busy machine measures the runtime's own noise). Long form: 200 clients for
// 60 s, and the resident set at the end within 10 % of the one after warm-up.
func TestLoad(t *testing.T) {
	clients := size(20, 200)
	warmup := size(500*time.Millisecond, 10*time.Second)
	run := size(2*time.Second, 60*time.Second)
	loginEvery := size(100*time.Millisecond, 250*time.Millisecond)

	l := startLab(t, lab.Config{Deck: sessionDeck()})
	cookies := loginCookies(t, l)

	var warm tally
	stop := make(chan struct{})
	wait := hammer(l.URL, cookies, clients, stop, &warm)
	time.Sleep(warmup)
	close(stop)
	wait()
	if warm.failed.Load() != 0 {
		t.Fatalf("warm-up: %d of %d requests failed: %s", warm.failed.Load(), warm.ok.Load()+warm.failed.Load(), &warm)
	}
	before := measureMemory()

	var ty tally
	var logins, loginErrs atomic.Int64
	var loginSample atomic.Value
	stop = make(chan struct{})
	wait = hammer(l.URL, cookies, clients, stop, &ty)
	var lw sync.WaitGroup
	lw.Go(func() {
		// Steady logins: one at a time, at a fixed pace, each with a new browser.
		tick := time.NewTicker(loginEvery)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := freshLogin(ctx, l.URL)
			cancel()
			logins.Add(1)
			if err != nil {
				loginErrs.Add(1)
				loginSample.CompareAndSwap(nil, err.Error())
			}
		}
	})
	start := time.Now()
	time.Sleep(run)
	close(stop)
	wait()
	lw.Wait()
	elapsed := time.Since(start)
	after := measureMemory()

	total := ty.ok.Load() + ty.failed.Load()
	t.Logf("load: %d requests held by %d clients in %s (%.0f/s), %d logins alongside, %d errors; heap %s→%s, RSS %s→%s",
		total, clients, elapsed.Round(100*time.Millisecond), float64(total)/elapsed.Seconds(), logins.Load(),
		ty.failed.Load()+loginErrs.Load(), mib(before.heap), mib(after.heap), mib(before.rss), mib(after.rss))
	if n := ty.failed.Load(); n != 0 {
		t.Errorf("%d of %d session requests failed: %s", n, total, &ty)
	}
	if n := loginErrs.Load(); n != 0 {
		t.Errorf("%d of %d logins failed, first: %v", n, logins.Load(), loginSample.Load())
	}
	if total == 0 || logins.Load() == 0 {
		t.Errorf("nothing ran: %d requests, %d logins", total, logins.Load())
	}
	if *long {
		// The promise: RSS at the end within 10 % of the RSS after warm-up.
		if before.rss > 0 && float64(after.rss) > 1.10*float64(before.rss) {
			t.Errorf("RSS grew from %s to %s (more than 10 %%)", mib(before.rss), mib(after.rss))
		}
	} else if after.heap > 2*before.heap+32<<20 {
		// Short form: only a leak large enough to show in 2 s fails it.
		t.Errorf("heap grew from %s to %s", mib(before.heap), mib(after.heap))
	}
}
