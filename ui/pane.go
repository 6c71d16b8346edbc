package ui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// linesPane is a scrollable text pane whose content is a pure function of
// its width, re-rendered when the width changes (resize) or the content
// does. The text view itself does not wrap: render functions wrap with
// hanging indents so evidence and fixes stay readable.
type linesPane struct {
	*tview.TextView
	th     theme
	render func(width int) []line
	lastW  int
	dirty  bool
}

func newLinesPane(th theme, title string) *linesPane {
	return &linesPane{TextView: th.textView(title, false), th: th, dirty: true}
}

// set replaces the content and scrolls back to the top.
func (p *linesPane) set(render func(width int) []line) {
	p.render = render
	p.dirty = true
	p.ScrollToBeginning()
}

// Draw renders the content for the current width, then draws the view.
func (p *linesPane) Draw(screen tcell.Screen) {
	_, _, w, _ := p.GetInnerRect()
	if p.render != nil && (p.dirty || w != p.lastW) {
		p.SetText(p.th.tagged(p.render(w)))
		p.lastW, p.dirty = w, false
	}
	p.TextView.Draw(screen)
}

// lines is how many lines the content takes at inner width w.
func (p *linesPane) lines(w int) int {
	if p.render == nil {
		return 0
	}
	return len(p.render(w))
}

// focusTarget is what the application focuses for this pane (mouse clicks
// focus the embedded text view, so the pane is known by it).
func (p *linesPane) focusTarget() tview.Primitive { return p.TextView }
