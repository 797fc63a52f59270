package oidc

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// requirement is one of Kong's *_required / *_claim pairs.
type requirement struct {
	field    string // "scopes_required"
	required []string
	claim    []string
}

// configuredRequirements returns the *_required checks that are set, once at construction:
// the session path runs them on every request.
func configuredRequirements(cfg *Config) []requirement {
	var out []requirement
	for _, r := range []requirement{
		{"scopes_required", cfg.ScopesRequired, cfg.ScopesClaim},
		{"audience_required", cfg.AudienceRequired, cfg.AudienceClaim},
		{"groups_required", cfg.GroupsRequired, cfg.GroupsClaim},
	} {
		if len(r.required) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// authorize runs the required-claims checks on the access token's claims (introspected when
// the token is opaque). It answers 403 itself and returns false on failure.
func (c *call) authorize(claims map[string]any, accessToken string) bool {
	reqs := c.p.requirements
	if len(reqs) == 0 {
		return true
	}
	if claims == nil {
		var err error
		claims, err = c.introspectCached(accessToken)
		if err != nil {
			reason := ReasonClaimsUnavailable
			if errors.Is(err, ErrTimeout) {
				reason = ReasonIdPTimeout
			}
			c.forbidden(failure{
				message: "required claims cannot be checked: " + err.Error(),
				reason:  reason,
				explain: "scopes_required, audience_required or groups_required need the access token's claims, but the token is opaque and could not be introspected. Configure introspection_endpoint (or use an authorization server that issues JWT access tokens, such as a custom authorization server).",
			})
			return false
		}
	}
	for _, r := range reqs {
		have := claimValues(claims, r.claim)
		if !satisfies(have, r.required) {
			c.forbidden(failure{
				message: fmt.Sprintf("%s not satisfied", r.field),
				reason:  ReasonRequirementNotMet,
				explain: explainRequirement(r, have),
				attrs:   map[string]any{"claim": strings.Join(r.claim, "."), "have": have, "required": r.required},
			})
			return false
		}
	}
	return true
}

// claimValues follows a claim path and returns its values: a space-separated string is split
// (OAuth scope), an array is taken element by element.
func claimValues(claims map[string]any, path []string) []string {
	var cur any = claims
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	switch v := cur.(type) {
	case string:
		return strings.Fields(v)
	case []any:
		return stringElems(v)
	}
	return nil
}

// stringElems returns the string elements of a JSON array, skipping any other kind.
func stringElems(list []any) []string {
	var out []string
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// satisfies implements Kong's semantics: the entries of required are alternatives (OR), the
// space-separated words inside one entry must all be present (AND).
func satisfies(have, required []string) bool {
	for _, alt := range required {
		words := strings.Fields(alt)
		if len(words) == 0 {
			continue
		}
		all := true
		for _, w := range words {
			if !slices.Contains(have, w) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}
