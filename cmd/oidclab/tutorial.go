package main

import (
	_ "embed"
)

// tutorialKong is the decK file of Kong's Okta tutorial, unchanged: without -c, `up` serves it
// with the embedded IdP providing its DECK_* variables.
//
//go:embed tutorial/kong.yaml
var tutorialKong []byte
