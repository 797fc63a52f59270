//go:build tools

package tools

import (
	_ "github.com/chromedp/chromedp"
	_ "github.com/coreos/go-oidc/v3/oidc"
	_ "github.com/go-jose/go-jose/v4"
	_ "github.com/pkg/browser"
	_ "github.com/spf13/cobra"
	_ "golang.org/x/oauth2"
	_ "gopkg.in/yaml.v3"
)
