package oidc

import (
	"crypto/sha256"
	"sync"
	"time"
)

// boundedMap is a small expiring map: entries live until their deadline, and when full the
// expired ones are swept and, if still full, a tenth of the entries (arbitrary ones) are dropped,
// so that a flood of unexpired entries costs one sweep per max/10 insertions rather than one per
// insertion. It never grows past max, whatever clients send.
type boundedMap[K comparable, V any] struct {
	mu  sync.Mutex
	max int
	m   map[K]entry[V]
}

type entry[V any] struct {
	v     V
	until time.Time
}

func newBoundedMap[K comparable, V any](max int) *boundedMap[K, V] {
	return &boundedMap[K, V]{max: max, m: map[K]entry[V]{}}
}

func (b *boundedMap[K, V]) get(k K, now time.Time) (V, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.m[k]
	if !ok || now.After(e.until) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// putIfAbsent stores v unless an unexpired entry exists; it reports whether it stored.
func (b *boundedMap[K, V]) putIfAbsent(k K, v V, until, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e, ok := b.m[k]; ok && !now.After(e.until) {
		return false
	}
	b.makeRoom(now)
	b.m[k] = entry[V]{v, until}
	return true
}

func (b *boundedMap[K, V]) put(k K, v V, until, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.makeRoom(now)
	b.m[k] = entry[V]{v, until}
}

func (b *boundedMap[K, V]) del(k K) {
	b.mu.Lock()
	delete(b.m, k)
	b.mu.Unlock()
}

func (b *boundedMap[K, V]) makeRoom(now time.Time) {
	if len(b.m) < b.max {
		return
	}
	for k, e := range b.m {
		if now.After(e.until) {
			delete(b.m, k)
		}
	}
	for k := range b.m {
		if len(b.m) < b.max-b.max/10 {
			break
		}
		delete(b.m, k)
	}
}

// tokenKey is a token's hash: caches about tokens never hold the tokens themselves.
type tokenKey = [sha256.Size]byte

type stateKey [sha256.Size]byte

func hashState(s string) stateKey { return sha256.Sum256([]byte(s)) }

// expiringSet remembers redeemed states until their cookie would have expired anyway.
type expiringSet struct {
	m   *boundedMap[stateKey, struct{}]
	now func() time.Time
}

func newExpiringSet(max int) *expiringSet {
	return &expiringSet{m: newBoundedMap[stateKey, struct{}](max), now: time.Now}
}

// add records state; false means it was already there (a replay).
func (s *expiringSet) add(state string, until time.Time) bool {
	return s.m.putIfAbsent(hashState(state), struct{}{}, until, s.now())
}

// pendingLogins remembers where recent logins started (scheme://host:port), keyed by state, so
// a callback that lost its cookie can be explained precisely.
type pendingLogins struct {
	m   *boundedMap[stateKey, string]
	now func() time.Time
}

func newPendingLogins(max int) *pendingLogins {
	return &pendingLogins{m: newBoundedMap[stateKey, string](max), now: time.Now}
}

func (p *pendingLogins) add(state, startedAt string, until time.Time) {
	p.m.put(hashState(state), startedAt, until, p.now())
}

func (p *pendingLogins) lookup(state string) (string, bool) {
	return p.m.get(hashState(state), p.now())
}

func (p *pendingLogins) remove(state string) { p.m.del(hashState(state)) }
