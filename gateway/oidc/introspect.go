package oidc

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"time"
)

var (
	errInactive            = errors.New("the token is not active")
	errIntrospectedExpired = errors.New("the introspected token has expired")
	// errIntrospectionLimited: the plugin made introspectionsPerSecond calls this second.
	errIntrospectionLimited = errors.New("too many tokens to introspect this second; the identity provider was not asked")
)

const (
	// introspectionsPerSecond bounds the calls one plugin makes to the introspection endpoint.
	// Any page on the web can make a browser send ?access_token=<anything> to the gateway, and
	// every unknown token would otherwise cost one authenticated call against the org's rate
	// limit.
	introspectionsPerSecond = 20
	// inactiveTTL is how long an inactive answer is remembered: long enough that replaying one
	// token costs nothing, short enough that a token activated late is not refused for long.
	inactiveTTL = 30 * time.Second
)

// introspections coalesces identical concurrent introspections into one call and counts calls
// per second of the plugin's clock.
type introspections struct {
	mu       sync.Mutex
	inflight map[tokenKey]*introspection
	second   int64 // unix second the count is for
	calls    int
}

type introspection struct {
	done    chan struct{}
	claims  map[string]any
	err     error
	waiting int
}

// waiters is how many requests wait for another's call (tests wait on it).
func (in *introspections) waiters() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	n := 0
	for _, f := range in.inflight {
		n += f.waiting
	}
	return n
}

// do runs call once for every concurrent request about key, within the per-second bound. The
// call runs detached from the first request's cancellation (the others wait for it, and the
// back-channel client's timeout bounds it); each waiter gives up when its own context ends.
func (in *introspections) do(ctx context.Context, key tokenKey, now time.Time, call func(context.Context) (map[string]any, error)) (map[string]any, error) {
	in.mu.Lock()
	if f := in.inflight[key]; f != nil {
		f.waiting++
		in.mu.Unlock()
		select {
		case <-f.done:
			return f.claims, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if s := now.Unix(); s != in.second {
		in.second, in.calls = s, 0
	}
	if in.calls >= introspectionsPerSecond {
		in.mu.Unlock()
		return nil, errIntrospectionLimited
	}
	in.calls++
	f := &introspection{done: make(chan struct{})}
	if in.inflight == nil {
		in.inflight = map[tokenKey]*introspection{}
	}
	in.inflight[key] = f
	in.mu.Unlock()

	f.claims, f.err = call(context.WithoutCancel(ctx))
	in.mu.Lock()
	delete(in.inflight, key)
	in.mu.Unlock()
	close(f.done)
	return f.claims, f.err
}

// introspectCached introspects tok, caching an active answer until the token's exp (at most an
// hour, Kong's cache_ttl) and an inactive one for inactiveTTL, under the token's hash.
func (c *call) introspectCached(tok string) (map[string]any, error) {
	key := sha256.Sum256([]byte(tok))
	now := c.p.now()
	if claims, ok := c.p.introspects.get(key, now); ok {
		return claims, nil
	}
	if err, ok := c.p.inactive.get(key, now); ok {
		return nil, err
	}
	return c.p.introspecting.do(c.r.Context(), key, now, func(ctx context.Context) (map[string]any, error) {
		method := authMethod(c.p.cfg.IntrospectionEndpointAuthMethod, c.md.TokenEndpointAuthMethods, c.client)
		claims, err := introspect(ctx, c.p.http, c.md.IntrospectionEndpoint, c.client, method, tok)
		if err != nil {
			return nil, err
		}
		if active, _ := claims["active"].(bool); !active {
			c.p.inactive.put(key, errInactive, now.Add(inactiveTTL), now)
			return nil, errInactive
		}
		until := cacheUntil(claims, now)
		if !until.After(now.Add(-c.p.cfg.Leeway)) {
			c.p.inactive.put(key, errIntrospectedExpired, now.Add(inactiveTTL), now)
			return nil, errIntrospectedExpired
		}
		c.p.introspects.put(key, claims, until, now)
		c.event(EventTokenExchanged, 0, "access token introspected", "", map[string]any{
			"sub": claims["sub"], "client_id": claims["client_id"], "scope": claims["scope"],
		})
		return claims, nil
	})
}
