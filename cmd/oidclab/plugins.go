package main

import (
	"github.com/oidclab/oidclab/gateway"
	"github.com/oidclab/oidclab/gateway/oidc"
)

// plugins is the registry of gateway plugins oidclab can run; decK files naming any other
// plugin are rejected with the list of these names.
func plugins() gateway.Plugins {
	return gateway.Plugins{
		oidc.Name: oidc.New,
	}
}
