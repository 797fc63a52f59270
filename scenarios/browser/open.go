package browser

import (
	"context"
	"fmt"
)

// Driver kinds, as `oidclab run --browser` names them.
const (
	KindHTTP     = "http"
	KindChromium = "chromium"
)

// Kinds lists the driver kinds Open accepts.
var Kinds = []string{KindHTTP, KindChromium}

// Options configure Open: each driver reads its own part.
type Options struct {
	HTTP     HTTPOptions
	Chromium ChromiumOptions
}

// Open starts the driver of the given kind. ctx bounds the start only.
func Open(ctx context.Context, kind string, opts Options) (Driver, error) {
	switch kind {
	case KindHTTP:
		return NewHTTP(opts.HTTP)
	case KindChromium:
		return NewChromium(ctx, opts.Chromium)
	}
	return nil, fmt.Errorf("browser: unknown driver %q (want %s or %s)", kind, KindHTTP, KindChromium)
}
