package tui

import "github.com/charmbracelet/bubbles/key"

// keyMap declares every key; the help bar shows those enabled for the current screen.
type keyMap struct {
	Next, Quit, Help, Up, Down, Left, Right, Replay key.Binding
	Tab, Blur, Reveal                               key.Binding
	Embedded, Typed, Setup, CopyIn, CopyOut         key.Binding
	Check, Apply, Save, Open, Headless, Back, Clear key.Binding
	Loopback                                        key.Binding
}

func newKeys() keyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return keyMap{
		Next:     b([]string{"enter"}, "enter", "continue"),
		Quit:     b([]string{"ctrl+c"}, "ctrl+c", "quit"),
		Help:     b([]string{"?"}, "?", "more keys"),
		Up:       b([]string{"up", "k"}, "↑/↓", "choose row"),
		Down:     b([]string{"down", "j"}, "↓", "down"),
		Left:     b([]string{"left", "h"}, "←/→", "change"),
		Right:    b([]string{"right", "l"}, "→", "right"),
		Replay:   b([]string{"r"}, "r", "repeat last walk"),
		Tab:      b([]string{"tab"}, "tab", "next field"),
		Blur:     b([]string{"esc"}, "esc", "leave field"),
		Reveal:   b([]string{"ctrl+r"}, "ctrl+r", "show/hide secret"),
		Embedded: b([]string{"e"}, "e", "use embedded client"),
		Typed:    b([]string{"t"}, "t", "type id+secret"),
		Setup:    b([]string{"g"}, "g", "create it for me"),
		CopyIn:   b([]string{"c"}, "c", "copy sign-in URI"),
		CopyOut:  b([]string{"C"}, "C", "copy sign-out URI"),
		Check:    b([]string{"enter"}, "enter", "check issuer"),
		Apply:    b([]string{"a"}, "a", "apply to gateway"),
		Save:     b([]string{"s"}, "s", "save kong.yaml"),
		Open:     b([]string{"o"}, "o", "open browser"),
		Headless: b([]string{"H"}, "H", "headless login"),
		Back:     b([]string{"b"}, "b", "back to the fix"),
		Clear:    b([]string{"x"}, "x", "clear, try again"),
		Loopback: b([]string{"n"}, "n", "continue on loopback"),
	}
}

// helpKeys adapts the bindings of the current screen to bubbles/help.
type helpKeys struct{ short, full []key.Binding }

func (h helpKeys) ShortHelp() []key.Binding  { return h.short }
func (h helpKeys) FullHelp() [][]key.Binding { return [][]key.Binding{h.short, h.full} }
