package emulator

import "testing"

func TestEvaluatePolicy(t *testing.T) {
	user := &User{Login: "alice@example.com", Groups: []string{"Everyone", "admins"}}
	rule := func(name string, prio int, mod func(*Rule)) Rule {
		r := Rule{Name: name, Priority: prio}
		if mod != nil {
			mod(&r)
		}
		return r
	}
	tests := []struct {
		name     string
		policies []Policy
		grant    string
		want     string // the rule that applies; "" : none
	}{
		{"the policy with the lowest priority number wins, whatever its place", []Policy{
			{Name: "second", Priority: 2, Clients: []string{AllClients}, Rules: []Rule{rule("from second", 1, nil)}},
			{Name: "first", Priority: 1, Clients: []string{AllClients}, Rules: []Rule{rule("from first", 1, nil)}},
		}, "authorization_code", "from first"},
		{"rules by priority inside a policy", []Policy{
			{Name: "p", Priority: 1, Clients: []string{AllClients}, Rules: []Rule{rule("later", 2, nil), rule("sooner", 1, nil)}},
		}, "authorization_code", "sooner"},
		{"an inactive policy is skipped", []Policy{
			{Name: "off", Priority: 1, Inactive: true, Clients: []string{AllClients}, Rules: []Rule{rule("from inactive", 1, nil)}},
			{Name: "on", Priority: 2, Clients: []string{AllClients}, Rules: []Rule{rule("from active", 1, nil)}},
		}, "authorization_code", "from active"},
		{"an inactive rule is skipped", []Policy{
			{Name: "p", Priority: 1, Clients: []string{AllClients}, Rules: []Rule{rule("off", 1, func(r *Rule) { r.Inactive = true }), rule("on", 2, nil)}},
		}, "authorization_code", "on"},
		{"a policy for other clients is skipped", []Policy{
			{Name: "other", Priority: 1, Clients: []string{"0oaother"}, Rules: []Rule{rule("for other", 1, nil)}},
			{Name: "ours", Priority: 2, Clients: []string{"0oaweb"}, Rules: []Rule{rule("for us", 1, nil)}},
		}, "authorization_code", "for us"},
		{"only other clients' policies: no rule", []Policy{
			{Name: "other", Priority: 1, Clients: []string{"0oaother"}, Rules: []Rule{rule("for other", 1, nil)}},
		}, "authorization_code", ""},
		{"a rule limited to other grants does not apply", []Policy{
			{Name: "p", Priority: 1, Clients: []string{AllClients}, Rules: []Rule{
				rule("code only", 1, func(r *Rule) { r.GrantTypes = []string{"authorization_code"} }),
				rule("refresh", 2, func(r *Rule) { r.GrantTypes = []string{"refresh_token"} }),
			}},
		}, "refresh_token", "refresh"},
		{"no rule allows the grant", []Policy{
			{Name: "p", Priority: 1, Clients: []string{AllClients}, Rules: []Rule{rule("code only", 1, func(r *Rule) { r.GrantTypes = []string{"authorization_code"} })}},
		}, "refresh_token", ""},
		{"a rule for a group the user is in", []Policy{
			{Name: "p", Priority: 1, Clients: []string{AllClients}, Rules: []Rule{
				rule("finance", 1, func(r *Rule) { r.Groups = []string{"finance"} }),
				rule("admins", 2, func(r *Rule) { r.Groups = []string{"Admins"} }),
			}},
		}, "authorization_code", "admins"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := evaluatePolicy(&AuthServer{Policies: tt.policies}, "0oaweb", tt.grant, []string{"openid"}, user)
			if got := map[bool]string{true: r.Name}[ok]; got != tt.want {
				t.Errorf("rule %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAssignedByGroup(t *testing.T) {
	alice := &User{Login: "alice@example.com", Groups: []string{"Everyone", "admins"}}
	tests := []struct {
		name   string
		client Client
		want   bool
	}{
		{"assigned to a group the user is in", Client{AssignedGroups: []string{"Admins"}}, true},
		{"assigned to another group", Client{AssignedGroups: []string{"finance"}}, false},
		{"assigned to Everyone", Client{AssignedGroups: []string{"Everyone"}}, true},
		{"assigned to the user", Client{AssignedUsers: []string{"ALICE@example.com"}}, true},
		{"assigned to nobody", Client{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := assigned(&tt.client, alice); got != tt.want {
				t.Errorf("assigned %v, want %v", got, tt.want)
			}
		})
	}
}
