package emulator

import (
	"slices"
	"sort"
	"strings"
)

// assigned reports whether Okta would let u use client c (app assignment).
func assigned(c *Client, u *User) bool {
	if c.AssignAll {
		return true
	}
	for _, l := range c.AssignedUsers {
		if strings.EqualFold(l, u.Login) {
			return true
		}
	}
	for _, g := range c.AssignedGroups {
		if strings.EqualFold(g, "Everyone") || containsFold(u.Groups, g) {
			return true
		}
	}
	return false
}

func containsFold(list []string, v string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, v) })
}

// byPriority orders by Priority (1 first); 0 means "after the numbered ones", in listed order.
func byPriority(n int, prio func(int) int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	key := func(i int) int {
		if p := prio(i); p > 0 {
			return p
		}
		return int(^uint(0) >> 1)
	}
	sort.SliceStable(idx, func(a, b int) bool { return key(idx[a]) < key(idx[b]) })
	return idx
}

// evaluatePolicy finds the first active rule, in priority order, of the first active policies
// covering the client, that allows the grant type, every requested scope, and the user (nil for
// client_credentials). No rule means Okta's "Policy evaluation failed".
func evaluatePolicy(as *AuthServer, clientID, grant string, scopes []string, u *User) (Rule, bool) {
	for _, pi := range byPriority(len(as.Policies), func(i int) int { return as.Policies[i].Priority }) {
		pol := as.Policies[pi]
		if pol.Inactive || !(slices.Contains(pol.Clients, AllClients) || slices.Contains(pol.Clients, clientID)) {
			continue
		}
		for _, ri := range byPriority(len(pol.Rules), func(i int) int { return pol.Rules[i].Priority }) {
			r := pol.Rules[ri]
			if !r.Inactive && ruleMatches(r, grant, scopes, u) {
				return r, true
			}
		}
	}
	return Rule{}, false
}

func ruleMatches(r Rule, grant string, scopes []string, u *User) bool {
	if len(r.GrantTypes) > 0 && !slices.Contains(r.GrantTypes, grant) {
		return false
	}
	if len(r.Scopes) > 0 && !slices.Contains(r.Scopes, "*") {
		for _, s := range scopes {
			if !slices.Contains(r.Scopes, s) {
				return false
			}
		}
	}
	if u == nil || (len(r.Users) == 0 && len(r.Groups) == 0) {
		return true
	}
	if containsFold(r.Users, u.Login) {
		return true
	}
	for _, g := range r.Groups {
		if strings.EqualFold(g, "EVERYONE") || containsFold(u.Groups, g) {
			return true
		}
	}
	return false
}

// ruleAllowsGrant reports whether a matched rule also allows another grant (refresh_token).
func ruleAllowsGrant(r Rule, grant string) bool {
	return len(r.GrantTypes) == 0 || slices.Contains(r.GrantTypes, grant)
}
