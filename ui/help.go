package ui

import (
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// helpIntro says where to look, for someone who never saw the tool.
func helpIntro() []string {
	return []string{
		"1. The line at the top names the worst listener and the most likely cause.",
		"2. Listeners are listed worst first; failing ones stand out. The panes below the table follow the selection: the timeline (▲ marks drops), why halfopen blames its branch, the fix, and the kernel, queue limits and counters (◀ marks what supports the verdict).",
		"3. Enter lists the listener's failed attempts; Enter again shows one attempt's packets as a ladder, its retransmit timing against the kernel's schedule, and its evidence.",
		"Outcomes: unanswered = no reply to any SYN · synack_unacked = SYN-ACKs never ACKed · ack_ignored = the client's ACK was dropped, SYN-ACKs kept coming · reset / reset_after_ack = RST to the SYN / to the ACK · unanswered_then_reset = SYNs dropped, then RST (listener closed) · established_after_retry = connected only after retransmits.",
	}
}

// helpLines is the help overlay: how to read the screens, then every key
// of the key table grouped by where it applies. It is generated from the
// table, so it lists exactly the keys onKey acts on.
func helpLines(keys []binding, width int) []line {
	var out []line
	out = append(out, textLine(roleHead, "How to find the problem"))
	for _, p := range helpIntro() {
		out = append(out, hang(line{{"  ", roleText}}, p, roleText, width)...)
	}
	for _, sec := range contextNames() {
		var rows []line
		lastDesc := ""
		var names string
		flush := func() {
			if lastDesc != "" {
				rows = append(rows, hang(line{{"  " + pad(names, 16) + " ", roleHead}}, lastDesc, roleText, width)...)
			}
		}
		for _, b := range keys {
			var in bool
			if sec.c == inViews {
				in = b.ctx&inViews == inViews
			} else {
				in = b.ctx&sec.c != 0 && b.ctx&inViews != inViews
			}
			if !in {
				continue
			}
			if b.desc == lastDesc {
				if !strings.Contains(" "+names+" ", " "+b.name+" ") {
					names += " " + b.name
				}
				continue
			}
			flush()
			lastDesc, names = b.desc, b.name
		}
		flush()
		if len(rows) == 0 {
			continue
		}
		out = append(out, line{}, textLine(roleHead, sec.name))
		out = append(out, rows...)
	}
	out = append(out, line{}, textLine(roleMuted, "Mouse: click selects and focuses, double-click opens, the wheel scrolls, a click on a column title sorts."))
	return out
}

// overlay draws its content centred over whatever is below it, at most
// w×h cells and always inside the screen. A click outside it closes it.
type overlay struct {
	*tview.Box
	content tview.Primitive
	w, h    int
	outside func()
}

func newOverlay(content tview.Primitive, w, h int, outside func()) *overlay {
	return &overlay{Box: tview.NewBox(), content: content, w: w, h: h, outside: outside}
}

// Draw centres the content; the box itself draws nothing, so the view
// below stays visible around it.
func (o *overlay) Draw(screen tcell.Screen) {
	x, y, sw, sh := o.GetRect()
	w, h := max(min(o.w, sw-2), 1), max(min(o.h, sh-2), 1)
	o.content.SetRect(x+(sw-w)/2, y+(sh-h)/2, w, h)
	o.content.Draw(screen)
}

// Focus hands the focus to the content.
func (o *overlay) Focus(delegate func(p tview.Primitive)) { delegate(o.content) }

// HasFocus reports whether the content has the focus.
func (o *overlay) HasFocus() bool { return o.content.HasFocus() }

// InputHandler is the content's.
func (o *overlay) InputHandler() func(event *tcell.EventKey, setFocus func(p tview.Primitive)) {
	return o.content.InputHandler()
}

// MouseHandler passes events inside the content to it; a click outside
// closes the overlay.
func (o *overlay) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
	return func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
		x, y := event.Position()
		cx, cy, cw, ch := o.content.GetRect()
		if x >= cx && x < cx+cw && y >= cy && y < cy+ch {
			return o.content.MouseHandler()(action, event, setFocus)
		}
		if action == tview.MouseLeftClick && o.outside != nil {
			o.outside()
		}
		return true, nil
	}
}
