package ui

import (
	"regexp"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/halfopen/halfopen/analyze/render"
	"github.com/rivo/tview"
)

// role is what a piece of text means; the theme decides how it looks.
// Presentation functions return text with roles, never colours, so they
// are tested without a terminal and the same output serves NO_COLOR.
type role int

const (
	roleText   role = iota // plain text in the terminal's own colours
	roleHead               // headings, column titles
	roleMuted              // secondary facts, evidence against, won't-fix notes
	roleBad                // failures, drops, a full queue: what the user hunts for
	roleGood               // succeeded, healthy
	roleStrong             // emphasis that is neither good nor bad (keys, values that matter)
)

// span is text in one role.
type span struct {
	text string
	role role
}

// line is one display line. Presentation functions return []line.
type line []span

// textLine is a line in one role.
func textLine(r role, s string) line { return line{{s, r}} }

// plain is the line's text without roles.
func (l line) plain() string {
	var b strings.Builder
	for _, s := range l {
		b.WriteString(s.text)
	}
	return b.String()
}

// plainLines turns lines into strings (tests, Markdown export).
func plainLines(ls []line) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = strings.TrimRight(l.plain(), " ")
	}
	return out
}

// theme maps roles to styles. It uses the terminal's default foreground and
// background (tcell.ColorDefault) so it reads on light and dark terminals,
// plus bold/dim/reverse and two of the 16 base colours (red, green) that
// terminal palettes keep legible on both. Monochrome (NO_COLOR) keeps the
// attributes and drops the colours: failures stay bold.
type theme struct {
	mono bool
}

func newTheme(noColor bool) theme { return theme{mono: noColor} }

// style is the tcell style of a role.
func (t theme) style(r role) tcell.Style {
	s := tcell.StyleDefault.Foreground(tcell.ColorDefault).Background(tcell.ColorDefault)
	switch r {
	case roleHead, roleStrong:
		return s.Bold(true)
	case roleMuted:
		return s.Dim(true)
	case roleBad:
		if t.mono {
			return s.Bold(true)
		}
		return s.Foreground(tcell.ColorMaroon).Bold(true)
	case roleGood:
		if t.mono {
			return s
		}
		return s.Foreground(tcell.ColorGreen)
	}
	return s
}

// tag is the tview style tag of a role, for TextViews with dynamic colours.
func (t theme) tag(r role) string {
	switch r {
	case roleHead, roleStrong:
		return "[::b]"
	case roleMuted:
		return "[::d]"
	case roleBad:
		if t.mono {
			return "[::b]"
		}
		return "[maroon::b]"
	case roleGood:
		if t.mono {
			return ""
		}
		return "[green::]"
	}
	return ""
}

// tagged renders lines as tview text with style tags; the text is escaped
// so addresses like [fd00::1]:80 print as they are, and control
// characters from file names show as \x1b instead of reaching the
// terminal.
func (t theme) tagged(ls []line) string {
	var b strings.Builder
	for i, l := range ls {
		if i > 0 {
			b.WriteByte('\n')
		}
		for _, s := range l {
			tag := t.tag(s.role)
			b.WriteString(tag)
			b.WriteString(shown(s.text))
			if tag != "" {
				b.WriteString("[-:-:-]")
			}
		}
	}
	return b.String()
}

// shown is text as the terminal must get it: control characters made
// visible, then tview's style and region tags escaped.
func shown(s string) string { return tview.Escape(render.Visible(s)) }

// selected is the style of a selected table row: reverse video reads on
// every background.
func (t theme) selected() tcell.Style {
	return tcell.StyleDefault.Foreground(tcell.ColorDefault).Background(tcell.ColorDefault).Reverse(true)
}

// box gives a tview box the terminal's colours and a title.
func (t theme) box(b *tview.Box, title string) {
	b.SetBackgroundColor(tcell.ColorDefault)
	b.SetBorderStyle(tcell.StyleDefault.Foreground(tcell.ColorDefault).Background(tcell.ColorDefault))
	b.SetTitleColor(tcell.ColorDefault)
	b.SetTitleAlign(tview.AlignLeft)
	if title != "" {
		b.SetBorder(true)
		b.SetTitle(" " + shown(title) + " ")
	}
}

// textView is a scrollable, tag-aware text pane in the theme.
func (t theme) textView(title string, wrap bool) *tview.TextView {
	v := tview.NewTextView()
	t.box(v.Box, title)
	v.SetDynamicColors(true)
	v.SetScrollable(true)
	v.SetWrap(wrap)
	v.SetWordWrap(wrap)
	v.SetTextColor(tcell.ColorDefault)
	v.SetTextStyle(tcell.StyleDefault.Foreground(tcell.ColorDefault).Background(tcell.ColorDefault))
	return v
}

// table is a row-selectable table in the theme with a fixed header row.
func (t theme) table(title string) *tview.Table {
	tb := tview.NewTable()
	t.box(tb.Box, title)
	tb.SetSelectable(true, false)
	tb.SetFixed(1, 0)
	tb.SetSelectedStyle(t.selected())
	tb.SetBordersColor(tcell.ColorDefault)
	return tb
}

// cell is a table cell in a role; header cells are not selectable.
func (t theme) cell(text string, r role, align int) *tview.TableCell {
	c := tview.NewTableCell(shown(text))
	c.SetStyle(t.style(r))
	c.SetAlign(align)
	return c
}

// wrapLine breaks a line of several spans at spaces so no line is wider
// than width; the spans keep their roles.
func wrapLine(l line, width int) []line {
	if cellWidth(l.plain()) <= width || width < 10 {
		return []line{l}
	}
	tokens := regexp.MustCompile(`\S+\s*|\s+`)
	var out []line
	var cur line
	curW := 0
	for _, sp := range l {
		for _, tok := range tokens.FindAllString(sp.text, -1) {
			if curW > 0 && curW+cellWidth(strings.TrimRight(tok, " ")) > width {
				out = append(out, trimEnd(cur))
				cur, curW = nil, 0
				tok = strings.TrimLeft(tok, " ")
				if tok == "" {
					continue
				}
			}
			cur = append(cur, span{tok, sp.role})
			curW += cellWidth(tok)
		}
	}
	if len(cur) > 0 {
		out = append(out, trimEnd(cur))
	}
	return out
}

// trimEnd drops the spaces a wrapped line ends with.
func trimEnd(l line) line {
	for len(l) > 0 {
		last := &l[len(l)-1]
		last.text = strings.TrimRight(last.text, " ")
		if last.text != "" {
			break
		}
		l = l[:len(l)-1]
	}
	return l
}
