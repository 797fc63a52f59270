package browser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// EnvChromium names the environment variable that overrides the Chromium executable.
const EnvChromium = "OIDCLAB_CHROMIUM"

// ChromiumOptions configure the Chromium driver. The zero value is usable.
type ChromiumOptions struct {
	// ExecPath is the browser executable. Empty: $OIDCLAB_CHROMIUM, then /usr/bin/chromium,
	// then chromium, chromium-browser, google-chrome-stable or google-chrome on PATH.
	ExecPath string
	// HostResolverRules is passed as --host-resolver-rules, e.g. "MAP *.test 127.0.0.1" to
	// give loopback servers real-looking (non-loopback) host names in tests.
	HostResolverRules string
	// StartTimeout bounds the browser start (default 30s).
	StartTimeout time.Duration
	// Timeout bounds one Login or Get (default 60s), on top of the caller's context.
	Timeout time.Duration
	// AutoSubmitWait is how long a page holding an auto-submitting form gets to submit it by
	// itself before the driver submits it (default 5s).
	AutoSubmitWait time.Duration
	// FormWait is how long a page away from the start origin gets to render a login form by
	// script (Okta's sign-in widget) before the login is declared stuck (default 10s).
	FormWait time.Duration
	// MaxHops bounds the top-level requests of one Login or Get (default 30).
	MaxHops int
	// Logger receives one debug line per hop, with redacted URLs (nil: discard).
	Logger *slog.Logger
	// BrowserOutput receives the browser's stdout and stderr (nil: discard).
	BrowserOutput io.Writer
}

// Validate reports every problem at once.
func (o ChromiumOptions) Validate() error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"StartTimeout", o.StartTimeout}, {"Timeout", o.Timeout}, {"AutoSubmitWait", o.AutoSubmitWait}, {"FormWait", o.FormWait}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s: must not be negative, got %s", d.name, d.v))
		}
	}
	if o.MaxHops < 0 {
		errs = append(errs, fmt.Errorf("MaxHops: must not be negative, got %d", o.MaxHops))
	}
	return errors.Join(errs...)
}

func (o *ChromiumOptions) setDefaults() {
	if o.StartTimeout == 0 {
		o.StartTimeout = 30 * time.Second
	}
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	if o.AutoSubmitWait == 0 {
		o.AutoSubmitWait = 5 * time.Second
	}
	if o.FormWait == 0 {
		o.FormWait = 10 * time.Second
	}
	if o.MaxHops == 0 {
		o.MaxHops = 30
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// FindChromium returns the Chromium executable NewChromium would start: explicit if set,
// else $OIDCLAB_CHROMIUM, else the usual Debian and Chrome locations. The error matches
// ErrNoBrowser.
func FindChromium(explicit string) (string, error) {
	var tried []string
	try := func(p string) (string, bool) {
		tried = append(tried, p)
		found, err := exec.LookPath(p)
		return found, err == nil
	}
	if explicit != "" {
		if p, ok := try(explicit); ok {
			return p, nil
		}
		return "", &NoBrowserError{Tried: tried}
	}
	if env := os.Getenv(EnvChromium); env != "" {
		if p, ok := try(env); ok {
			return p, nil
		}
		return "", &NoBrowserError{Tried: tried}
	}
	for _, c := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, ok := try(c); ok {
			return p, nil
		}
	}
	return "", &NoBrowserError{Tried: tried}
}

// Chromium is a Driver backed by a headless Chromium with a fresh profile. One Chromium is
// one browser session (one tab, one cookie store); calls are serialised.
type Chromium struct {
	opts    ChromiumOptions
	log     *slog.Logger
	dataDir string

	allocCancel context.CancelFunc
	tabCancel   context.CancelFunc
	tab         context.Context // chromedp context of the tab; lives until Close
	tracker     *tracker

	mu        sync.Mutex // one navigation at a time
	closeOnce sync.Once
	closeErr  error
}

var _ Driver = (*Chromium)(nil)

// NewChromium starts a headless Chromium with a temporary profile. ctx bounds the start only;
// the browser runs until Close. When no executable is found the error matches ErrNoBrowser.
func NewChromium(ctx context.Context, opts ChromiumOptions) (*Chromium, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("browser: invalid Chromium options: %w", err)
	}
	opts.setDefaults()
	path, err := FindChromium(opts.ExecPath)
	if err != nil {
		return nil, err
	}
	dataDir, err := os.MkdirTemp("", "oidclab-chromium-")
	if err != nil {
		return nil, fmt.Errorf("browser: profile directory: %w", err)
	}
	out := opts.BrowserOutput
	if out == nil {
		out = io.Discard
	}
	allocOpts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dataDir),
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		// The machines that run this (CI containers) run it as root, where Chromium's sandbox
		// cannot start.
		chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.CombinedOutput(out),
	)
	if opts.HostResolverRules != "" {
		allocOpts = append(allocOpts, chromedp.Flag("host-resolver-rules", opts.HostResolverRules))
	}
	// The browser must outlive ctx, which only bounds the start: parent it on a context that is
	// never canceled, keeping ctx's values.
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.WithoutCancel(ctx), allocOpts...)
	// chromedp reports protocol oddities through log.Printf by default; a library must not
	// print, and the messages can quote event payloads, so they go to the debug log.
	logf := func(format string, args ...any) {
		opts.Logger.Debug("chromedp", "msg", truncate(fmt.Sprintf(format, args...), 300))
	}
	tab, tabCancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(logf), chromedp.WithErrorf(logf))
	c := &Chromium{
		opts: opts, log: opts.Logger, dataDir: dataDir,
		allocCancel: allocCancel, tabCancel: tabCancel, tab: tab,
	}
	if err := c.start(ctx); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("browser: starting %s: %w", path, err)
	}
	return c, nil
}

// start launches the browser, finds the tab's main frame and starts the event tracker.
func (c *Chromium) start(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.StartTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		// The first Do binds the browser's life to the context it gets, so it gets the tab
		// context; the start timeout is enforced by the select below.
		if err := chromedp.Do(c.tab); err != nil {
			done <- err
			return
		}
		tree, err := chromedp.Call(c.tab, page.GetFrameTree, cdp.Empty{})
		if err != nil {
			done <- err
			return
		}
		c.tracker = newTracker(tree.FrameTree.Frame.ID)
		done <- chromedp.Listen(c.tab, c.tracker.handle)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ProfileDir is the browser's temporary profile (user data) directory; Close removes it.
func (c *Chromium) ProfileDir() string { return c.dataDir }

// Close stops the browser and removes its profile directory.
func (c *Chromium) Close() error {
	c.closeOnce.Do(func() {
		c.tabCancel()
		c.allocCancel() // waits for the browser process to exit
		c.closeErr = removeProfile(c.dataDir)
	})
	return c.closeErr
}

// removeProfile deletes the profile directory. Chromium's helper processes can still write
// into it for a moment after the browser exits, so a failed removal is retried briefly.
func removeProfile(dir string) error {
	var err error
	for range 20 {
		if err = os.RemoveAll(dir); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("browser: removing the profile %s: %w", dir, err)
}
