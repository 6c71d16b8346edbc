package ui

import (
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"
)

// context is where a key binding applies: a view or an overlay.
type context uint16

const (
	inOverview context = 1 << iota // the listeners
	inAttempts                     // a listener's attempts
	inDetail                       // one attempt: ladder, timing, verdict
	inHelp                         // the ? overlay
	inFilter                       // the f chooser
	inLoading                      // reading the captures, or the load failed

	inViews = inOverview | inAttempts | inDetail
	inLists = inViews | inHelp | inFilter
)

// contextNames title the help overlay's sections, in order.
func contextNames() []struct {
	c    context
	name string
} {
	return []struct {
		c    context
		name string
	}{
		{inViews, "Everywhere"},
		{inOverview, "Listeners (first screen)"},
		{inAttempts, "Attempts of a listener"},
		{inDetail, "Attempt detail"},
		{inFilter, "Filter chooser"},
		{inHelp, "This help"},
	}
}

// binding is one row of the key table. The same table drives the input
// handling (App.onKey) and the ? help overlay (helpLines), k9s-style, so
// the help cannot drift from what the keys do.
type binding struct {
	key  tcell.Key // tcell.KeyRune for printable keys
	ch   rune      // the rune when key is KeyRune
	name string    // how help shows the key
	desc string
	ctx  context
	hint string // a word for the status line's reminders ("" for none)
	act  func(a *App)
}

func (b binding) matches(ev *tcell.EventKey) bool {
	if b.key == tcell.KeyRune {
		// Alt-x (ESC x) is not x.
		return ev.Key() == tcell.KeyRune && ev.Rune() == b.ch && ev.Modifiers()&(tcell.ModAlt|tcell.ModCtrl) == 0
	}
	return ev.Key() == b.key
}

// keyTable is the single table of keys. Rows with the same description
// and contexts next to each other are one line in the help.
func keyTable() []binding {
	sortCol := func(c int) func(*App) { return func(a *App) { a.attempts.sortBy(c) } }
	return []binding{
		// Moving around.
		{tcell.KeyDown, 0, "↓", "down", inLists, "", func(a *App) { a.forward(tcell.KeyDown) }},
		{tcell.KeyRune, 'j', "j", "down", inLists, "", func(a *App) { a.forward(tcell.KeyDown) }},
		{tcell.KeyUp, 0, "↑", "up", inLists, "", func(a *App) { a.forward(tcell.KeyUp) }},
		{tcell.KeyRune, 'k', "k", "up", inLists, "", func(a *App) { a.forward(tcell.KeyUp) }},
		{tcell.KeyLeft, 0, "←", "scroll left", inViews | inHelp, "", func(a *App) { a.forward(tcell.KeyLeft) }},
		{tcell.KeyRune, 'h', "h", "scroll left", inViews | inHelp, "", func(a *App) { a.forward(tcell.KeyLeft) }},
		{tcell.KeyRight, 0, "→", "scroll right", inViews | inHelp, "", func(a *App) { a.forward(tcell.KeyRight) }},
		{tcell.KeyRune, 'l', "l", "scroll right", inViews | inHelp, "", func(a *App) { a.forward(tcell.KeyRight) }},
		{tcell.KeyPgDn, 0, "PgDn", "page down", inLists, "", func(a *App) { a.forward(tcell.KeyPgDn) }},
		{tcell.KeyCtrlF, 0, "Ctrl-F", "page down", inLists, "", func(a *App) { a.forward(tcell.KeyPgDn) }},
		{tcell.KeyPgUp, 0, "PgUp", "page up", inLists, "", func(a *App) { a.forward(tcell.KeyPgUp) }},
		{tcell.KeyCtrlB, 0, "Ctrl-B", "page up", inLists, "", func(a *App) { a.forward(tcell.KeyPgUp) }},
		{tcell.KeyRune, 'g', "gg", "to the top", inLists, "", (*App).pressG},
		{tcell.KeyHome, 0, "Home", "to the top", inLists, "", func(a *App) { a.forward(tcell.KeyHome) }},
		{tcell.KeyRune, 'G', "G", "to the bottom", inLists, "", func(a *App) { a.forward(tcell.KeyEnd) }},
		{tcell.KeyEnd, 0, "End", "to the bottom", inLists, "", func(a *App) { a.forward(tcell.KeyEnd) }},
		{tcell.KeyTab, 0, "Tab", "next pane", inViews, "panes", func(a *App) { a.cycleFocus(1) }},
		{tcell.KeyBacktab, 0, "Shift-Tab", "previous pane", inViews, "", func(a *App) { a.cycleFocus(-1) }},

		// Drilling down and back.
		{tcell.KeyEnter, 0, "Enter", "open the listener's attempts", inOverview, "attempts", (*App).openAttempts},
		{tcell.KeyEnter, 0, "Enter", "open the attempt: ladder, timing, verdict", inAttempts, "open", (*App).openDetail},
		{tcell.KeyEscape, 0, "Esc", "back", inAttempts | inDetail, "back", (*App).back},
		{tcell.KeyBackspace2, 0, "Backspace", "back", inAttempts | inDetail, "", (*App).back},
		{tcell.KeyBackspace, 0, "Backspace", "back", inAttempts | inDetail, "", (*App).back},
		{tcell.KeyRune, ']', "]", "next attempt", inDetail, "", func(a *App) { a.stepAttempt(1) }},
		{tcell.KeyRune, '[', "[", "previous attempt", inDetail, "", func(a *App) { a.stepAttempt(-1) }},

		// Attempts: search, filter, sort.
		{tcell.KeyRune, '/', "/", "search by address (Enter keeps it, Esc clears it)", inAttempts, "search", (*App).startSearch},
		{tcell.KeyRune, 'f', "f", "filter by outcome or branch", inAttempts, "filter", (*App).openFilter},
		{tcell.KeyRune, 's', "s", "sort by the next column (or click a column title)", inAttempts, "sort", func(a *App) { a.attempts.nextSort(1) }},
		{tcell.KeyRune, 'S', "S", "sort by the previous column", inAttempts, "", func(a *App) { a.attempts.nextSort(-1) }},
		{tcell.KeyRune, 'r', "r", "reverse the sort order", inAttempts, "", func(a *App) { a.attempts.reverse() }},
		{tcell.KeyRune, '1', "1", "sort by client", inAttempts, "", sortCol(0)},
		{tcell.KeyRune, '2', "2", "sort by first SYN", inAttempts, "", sortCol(1)},
		{tcell.KeyRune, '3', "3", "sort by SYNs", inAttempts, "", sortCol(2)},
		{tcell.KeyRune, '4', "4", "sort by SYN-ACKs", inAttempts, "", sortCol(3)},
		{tcell.KeyRune, '5', "5", "sort by outcome", inAttempts, "", sortCol(4)},
		{tcell.KeyRune, '6', "6", "sort by branch", inAttempts, "", sortCol(5)},
		{tcell.KeyRune, '7', "7", "sort by confidence", inAttempts, "", sortCol(6)},

		// Export.
		{tcell.KeyRune, 'e', "e", "export the listener as Markdown (a file here)", inOverview | inAttempts, "export", func(a *App) { a.export(false) }},
		{tcell.KeyRune, 'E', "E", "export the listener as JSON", inOverview | inAttempts, "", func(a *App) { a.export(true) }},
		{tcell.KeyRune, 'e', "e", "export the attempt as Markdown (a file here)", inDetail, "export", func(a *App) { a.export(false) }},
		{tcell.KeyRune, 'E', "E", "export the attempt as JSON", inDetail, "", func(a *App) { a.export(true) }},

		// Overlays.
		{tcell.KeyEnter, 0, "Enter", "apply the filter", inFilter, "apply", func(a *App) { a.forward(tcell.KeyEnter) }},
		{tcell.KeyEscape, 0, "Esc", "close", inFilter | inHelp, "close", (*App).closeOverlay},
		{tcell.KeyRune, 'q', "q", "close", inFilter | inHelp, "", (*App).closeOverlay},
		{tcell.KeyRune, 'f', "f", "close", inFilter, "", (*App).closeOverlay},
		{tcell.KeyRune, '?', "?", "close", inHelp, "", (*App).closeOverlay},
		{tcell.KeyRune, '?', "?", "help: every key", inViews | inLoading, "help", (*App).openHelp},
		{tcell.KeyCtrlL, 0, "Ctrl-L", "redraw the screen", inViews, "", (*App).redraw},
		{tcell.KeyRune, 'q', "q", "quit", inViews | inLoading, "quit", (*App).quit},
		{tcell.KeyCtrlC, 0, "Ctrl-C", "quit", inViews | inLoading | inHelp | inFilter, "", (*App).quit},
	}
}

// onKey is the application's input capture: it finds the key in the table
// for the current context and runs its action. Keys the table does not
// know are swallowed with a hint, so widgets never act on keys the help
// does not list. The search field keeps its own keys while it is open.
func (a *App) onKey(ev *tcell.EventKey) *tcell.EventKey {
	if a.attempts.searching() {
		return ev
	}
	a.wasG, a.pendingG = a.pendingG, false
	a.flashMsg = line{}
	ctx := a.context()
	for _, b := range a.keys {
		if b.ctx&ctx != 0 && b.matches(ev) {
			b.act(a)
			a.updateStatus()
			return nil
		}
	}
	a.flash(roleMuted, fmt.Sprintf("%s does nothing here; press ? for the keys", keyName(ev)))
	return nil
}

// pressG handles "gg": the first g waits for the second.
func (a *App) pressG() {
	if a.wasG {
		a.forward(tcell.KeyHome)
		return
	}
	a.pendingG = true
}

// keyName names a key for messages.
func keyName(ev *tcell.EventKey) string {
	if ev.Key() == tcell.KeyRune {
		return fmt.Sprintf("%q", string(ev.Rune()))
	}
	return strings.TrimPrefix(ev.Name(), "Key")
}

// hints are the status line's key reminders for a context.
func hints(keys []binding, ctx context) line {
	var out line
	seen := map[string]bool{}
	for _, b := range keys {
		if b.hint == "" || b.ctx&ctx == 0 || seen[b.name] {
			continue
		}
		seen[b.name] = true
		if len(out) > 0 {
			out = append(out, span{"  ", roleText})
		}
		out = append(out, span{b.name, roleHead}, span{" " + b.hint, roleMuted})
	}
	return out
}
