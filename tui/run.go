package tui

import (
	"context"
	"io"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// Run shows the walkthrough on in/out until the person quits or ctx ends, then shuts the lab
// down; the terminal is restored in every case.
func Run(ctx context.Context, o Options, in io.Reader, out io.Writer) error {
	if o.Clipboard == nil {
		o.Clipboard = func(seq string) { _, _ = io.WriteString(out, seq) }
	}
	m := New(ctx, o)
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out), tea.WithAltScreen())
	final, err := p.Run()
	if fm, ok := final.(Model); ok && fm.eng != nil {
		// Already done when the person quit; a cancelled ctx (SIGTERM) ends here.
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if fm.stopSub != nil {
			fm.stopSub()
		}
		_ = fm.eng.Shutdown(sctx)
	}
	if err == tea.ErrProgramKilled && ctx.Err() != nil {
		return nil
	}
	return err
}
