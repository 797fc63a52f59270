package tui

import "github.com/charmbracelet/lipgloss"

// Styles are every look the walkthrough uses, in one place, so NO_COLOR and tests get the same
// layout with plain text.
type Styles struct {
	Title, Header, Faint, Bold, Accent lipgloss.Style
	OK, Fail, Warn, Running            lipgloss.Style
	Current, Step                      lipgloss.Style
	Sidebar, Main, HelpBar             lipgloss.Style
	Value, Secret, Key                 lipgloss.Style
	Box                                lipgloss.Style
}

// NewStyles returns the styles; color false keeps only bold and faint, which NO_COLOR allows.
func NewStyles(color bool) Styles {
	c := func(s lipgloss.Style, fg string) lipgloss.Style {
		if !color {
			return s
		}
		return s.Foreground(lipgloss.Color(fg))
	}
	base := lipgloss.NewStyle()
	return Styles{
		Title:   c(base.Bold(true), "212"),
		Header:  c(base.Bold(true), "39"),
		Faint:   base.Faint(true),
		Bold:    base.Bold(true),
		Accent:  c(base, "39"),
		OK:      c(base.Bold(true), "42"),
		Fail:    c(base.Bold(true), "196"),
		Warn:    c(base, "214"),
		Running: c(base, "39"),
		Current: c(base.Bold(true), "212"),
		Step:    base,
		Sidebar: base.PaddingRight(1).MarginRight(1).Border(lipgloss.NormalBorder(), false, true, false, false),
		Main:    base,
		HelpBar: base,
		Value:   c(base.Bold(true), "229"),
		Secret:  c(base, "241"),
		Key:     c(base.Bold(true), "212"),
		Box:     base.Border(lipgloss.RoundedBorder()).Padding(0, 1),
	}
}
