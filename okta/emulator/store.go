package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"time"
)

// maxEntries bounds each in-memory table so a flood of abandoned logins cannot exhaust memory;
// expired entries are swept first.
const maxEntries = 100_000

// maxTxPerClient bounds one client's pending logins. /v1/authorize needs no credentials, so
// anyone can start logins; a flood evicts the flooded client's oldest pending logins, never
// another client's.
const maxTxPerClient = 1000

var errStoreFull = errors.New("too many pending entries; try again later")

// authRequest is a validated authorization request, kept through the login.
type authRequest struct {
	AuthServer    string
	ClientID      string
	RedirectURI   string
	ResponseMode  string
	State         string
	Nonce         string
	Scopes        []string
	Challenge     string
	ChallengeMeth string
	Prompt        string
	MaxAge        int // -1 when absent
	LoginHint     string
}

// loginTx is a pending login: the request, a CSRF token bound to it, and attempts so far.
type loginTx struct {
	Req      authRequest
	CSRF     string
	Browser  string // SHA-256 of the browser cookie that started it
	Attempts int
	Expires  time.Time
}

// authCode is an issued, not yet redeemed authorization code.
type authCode struct {
	Req      authRequest
	UserID   string
	AuthTime time.Time
	Expires  time.Time
}

// refreshGrant is what a refresh token stands for.
type refreshGrant struct {
	AuthServer string
	ClientID   string
	UserID     string
	Scopes     []string
	AuthTime   time.Time
	Expires    time.Time
	IssuedAt   time.Time
	JTI        string
	// Family names every token descended from one login, for Okta's reuse detection.
	Family string
	// Rotated is when the token was exchanged for a newer one (zero: it is the current one).
	Rotated time.Time
}

// tokenFamily is what reuse detection revokes besides the refresh tokens: the access tokens
// issued since the login.
type tokenFamily struct {
	accessTokens []issuedToken
	expires      time.Time // of its longest-lived access token
}

type issuedToken struct {
	jti     string
	expires time.Time
}

// maxFamilyAccessTokens bounds what one family remembers; older access tokens expire anyway.
const maxFamilyAccessTokens = 100

// session is the IdP's sign-in session (the cookie), giving SSO on the next authorize.
type session struct {
	UserID   string
	AuthTime time.Time
	Expires  time.Time
}

// store keeps codes, refresh tokens, sessions and login transactions. Secrets are keyed by their
// SHA-256, so the tables never hold a usable code, token or cookie value.
type store struct {
	mu  sync.Mutex
	txs map[string]*loginTx
	// txOrder lists each client's pending logins oldest first: they all live loginTxLifetime,
	// so that is expiry order, and eviction looks at the front only. Entries of logins that
	// completed meanwhile stay until they reach the front; txCount counts the live ones.
	txOrder  map[string][]txRef
	txCount  map[string]int
	codes    map[string]*authCode
	refresh  map[string]*refreshGrant
	sessions map[string]*session
	revoked  map[string]time.Time // access token jti → its expiry
	families map[string]*tokenFamily
}

func newStore() store {
	return store{
		txs:      map[string]*loginTx{},
		txOrder:  map[string][]txRef{},
		txCount:  map[string]int{},
		codes:    map[string]*authCode{},
		refresh:  map[string]*refreshGrant{},
		sessions: map[string]*session{},
		revoked:  map[string]time.Time{},
		families: map[string]*tokenFamily{},
	}
}

func hashKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// room sweeps expired entries when a table is full and reports whether one more fits.
func room[V any](m map[string]V, now time.Time, expiry func(V) time.Time) bool {
	if len(m) < maxEntries {
		return true
	}
	for k, v := range m {
		if now.After(expiry(v)) {
			delete(m, k)
		}
	}
	return len(m) < maxEntries
}

type txRef struct {
	key     string
	tx      *loginTx // to tell the entry from a later one under the same key
	expires time.Time
}

func (st *store) putTx(id string, tx *loginTx, now time.Time) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	client := tx.Req.ClientID
	q := st.txOrder[client]
	for len(q) > 0 && (now.After(q[0].expires) || st.txCount[client] >= maxTxPerClient || st.txs[q[0].key] != q[0].tx) {
		st.dropTxLocked(q[0])
		q = q[1:]
	}
	if len(st.txs) >= maxEntries {
		st.txOrder[client] = q
		return errStoreFull
	}
	k := hashKey(id)
	if prev, ok := st.txs[k]; ok {
		st.txCount[prev.Req.ClientID]--
	}
	st.txs[k] = tx
	st.txCount[client]++
	st.txOrder[client] = append(q, txRef{key: k, tx: tx, expires: tx.Expires})
	return nil
}

// dropTxLocked removes the login ref names, unless it already completed or was replaced.
func (st *store) dropTxLocked(ref txRef) {
	if st.txs[ref.key] == ref.tx {
		delete(st.txs, ref.key)
		st.txCount[ref.tx.Req.ClientID]--
	}
}

// deleteTxLocked removes a pending login by key (completed or failed too often); its entry in
// txOrder goes when it reaches the front.
func (st *store) deleteTxLocked(k string) bool {
	t, ok := st.txs[k]
	if ok {
		delete(st.txs, k)
		st.txCount[t.Req.ClientID]--
	}
	return ok
}

// tx returns a live transaction (a copy).
func (st *store) tx(id string, now time.Time) (loginTx, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	t, ok := st.txs[hashKey(id)]
	if !ok || now.After(t.Expires) {
		return loginTx{}, false
	}
	return *t, true
}

// failTx counts a failed attempt and reports how many are left.
func (st *store) failTx(id string, max int) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	k := hashKey(id)
	t, ok := st.txs[k]
	if !ok {
		return 0
	}
	t.Attempts++
	if t.Attempts >= max {
		st.deleteTxLocked(k)
		return 0
	}
	return max - t.Attempts
}

// takeTx removes a transaction: a login completes it exactly once.
func (st *store) takeTx(id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.deleteTxLocked(hashKey(id))
}

func (st *store) putCode(code string, c *authCode, now time.Time) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !room(st.codes, now, func(c *authCode) time.Time { return c.Expires }) {
		return errStoreFull
	}
	st.codes[hashKey(code)] = c
	return nil
}

// takeCode redeems a code: whatever happens next, it is gone (single use).
func (st *store) takeCode(code string) (*authCode, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	k := hashKey(code)
	c, ok := st.codes[k]
	delete(st.codes, k)
	return c, ok
}

func (st *store) putRefresh(token string, g *refreshGrant, now time.Time) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !room(st.refresh, now, func(g *refreshGrant) time.Time { return g.Expires }) {
		return errStoreFull
	}
	st.refresh[hashKey(token)] = g
	return nil
}

// refreshGrant returns a copy of what a refresh token stands for.
func (st *store) refreshGrant(token string) (refreshGrant, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	g, ok := st.refresh[hashKey(token)]
	if !ok {
		return refreshGrant{}, false
	}
	return *g, true
}

// Outcomes of presenting a refresh token under rotation.
const (
	refreshSpent  = iota // it was current and is now rotated out
	refreshRetry         // it was rotated out within the leeway: a client retrying a lost answer
	refreshReused        // rotated out longer ago: its family has been revoked
	refreshGone          // unknown, or revoked meanwhile
)

// spendRefresh applies Okta's rotation rules to a presented refresh token. Reuse after the
// leeway is taken as a stolen token: every refresh token of the family and every access token
// issued to it since the login is revoked.
func (st *store) spendRefresh(token string, now time.Time, leeway time.Duration) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	g, ok := st.refresh[hashKey(token)]
	switch {
	case !ok:
		return refreshGone
	case g.Rotated.IsZero():
		g.Rotated = now
		return refreshSpent
	case !now.After(g.Rotated.Add(leeway)):
		return refreshRetry
	}
	st.revokeFamilyLocked(g.Family, now)
	return refreshReused
}

func (st *store) revokeFamilyLocked(family string, now time.Time) {
	if family == "" {
		return
	}
	for k, g := range st.refresh {
		if g.Family == family {
			delete(st.refresh, k)
		}
	}
	if f, ok := st.families[family]; ok {
		for _, at := range f.accessTokens {
			if now.Before(at.expires) {
				st.revoked[at.jti] = at.expires
			}
		}
		delete(st.families, family)
	}
}

// addFamilyAccessToken remembers an access token issued to a refresh token family.
func (st *store) addFamilyAccessToken(family, jti string, expires, now time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	f, ok := st.families[family]
	if !ok {
		if !room(st.families, now, func(f *tokenFamily) time.Time { return f.expires }) {
			return
		}
		f = &tokenFamily{}
		st.families[family] = f
	}
	live := f.accessTokens[:0]
	for _, at := range f.accessTokens {
		if now.Before(at.expires) {
			live = append(live, at)
		}
	}
	if len(live) >= maxFamilyAccessTokens {
		live = live[1:]
	}
	f.accessTokens = append(live, issuedToken{jti: jti, expires: expires})
	if expires.After(f.expires) {
		f.expires = expires
	}
}

func (st *store) dropRefresh(token string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	k := hashKey(token)
	_, ok := st.refresh[k]
	delete(st.refresh, k)
	return ok
}

func (st *store) putSession(id string, se *session, now time.Time) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !room(st.sessions, now, func(s *session) time.Time { return s.Expires }) {
		return errStoreFull
	}
	st.sessions[hashKey(id)] = se
	return nil
}

func (st *store) session(id string, now time.Time) (session, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	se, ok := st.sessions[hashKey(id)]
	if !ok || now.After(se.Expires) {
		return session{}, false
	}
	return *se, true
}

func (st *store) dropSession(id string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.sessions, hashKey(id))
}

func (st *store) revoke(jti string, exp, now time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !room(st.revoked, now, func(t time.Time) time.Time { return t }) {
		return // the table only holds unexpired tokens; a full one means a flood, not real tokens
	}
	st.revoked[jti] = exp
}

func (st *store) isRevoked(jti string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.revoked[jti]
	return ok
}
