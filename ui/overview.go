package ui

import (
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/halfopen/halfopen/analyze"
	"github.com/halfopen/halfopen/analyze/render"
	"github.com/rivo/tview"
)

// overview is the first screen: the listeners worst first, and for the
// selected one its timeline, its verdicts and its kernel panel.
type overview struct {
	app      *App
	root     *tview.Flex
	header   *linesPane
	table    *tview.Table
	timeline *linesPane
	verdict  *linesPane
	kernel   *linesPane
	sel      int  // index in report.Listeners
	compact  bool // a short screen: one-row bars
}

// listenerColumns are the overview table's column titles.
func listenerColumns() []string {
	return []string{"SERVER", "ATTEMPTS", "FAILED", "FAIL %", "TOP BRANCH", "CONF", "FIRST FAILURE", "LAST FAILURE"}
}

func newOverview(a *App) *overview {
	th := a.theme
	o := &overview{
		app:      a,
		header:   newLinesPane(th, ""),
		table:    th.table("Listeners, worst first"),
		timeline: newLinesPane(th, "Timeline"),
		verdict:  newLinesPane(th, "Why"),
		kernel:   newLinesPane(th, "Kernel & limits"),
	}
	o.table.SetSelectionChangedFunc(func(row, _ int) {
		if row >= 1 {
			o.show(row - 1)
		}
	})
	o.table.SetSelectedFunc(func(row, _ int) { a.openAttempts() })
	o.table.SetMouseCapture(doubleClick(o.table, a.openAttempts))
	bottom := tview.NewFlex().
		AddItem(o.verdict, 0, 3, false).
		AddItem(o.kernel, 0, 2, false)
	o.root = tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(o.header, 2, 0, false).
		AddItem(o.table, 5, 0, true).
		AddItem(o.timeline, 10, 0, false).
		AddItem(bottom, 0, 1, false)
	return o
}

// panes are the focus targets Tab cycles through.
func (o *overview) panes() []tview.Primitive {
	return []tview.Primitive{o.table, o.timeline.focusTarget(), o.verdict.focusTarget(), o.kernel.focusTarget()}
}

// load fills the view from the report.
func (o *overview) load(r *analyze.Report) {
	o.header.set(func(w int) []line { return headerLines(r, o.app.cfg.Title, w) })
	o.table.SetContent(listenersContent{o: o, r: r})
	if len(r.Listeners) > 0 {
		o.table.Select(1, 0)
		o.show(0)
	} else {
		o.show(-1)
	}
}

// listenersContent is the listeners table, made on demand for the rows on
// screen (a scan can leave thousands of listeners).
type listenersContent struct {
	tview.TableContentReadOnly
	o *overview
	r *analyze.Report
}

func (c listenersContent) GetRowCount() int    { return max(len(c.r.Listeners), 1) + 1 }
func (c listenersContent) GetColumnCount() int { return len(listenerColumns()) }

// GetCell makes the cell at row, col: numbers right-aligned, failing
// listeners in the bad role.
func (c listenersContent) GetCell(row, col int) *tview.TableCell {
	th := c.o.app.theme
	cols := listenerColumns()
	if row < 0 || col < 0 || col >= len(cols) {
		return nil
	}
	align := tview.AlignLeft
	if col >= 1 && col <= 3 || col == 5 {
		align = tview.AlignRight
	}
	switch {
	case row == 0:
		return th.cell(cols[col], roleHead, align).SetSelectable(false)
	case len(c.r.Listeners) == 0:
		if row == 1 && col == 0 {
			return th.cell("no TCP handshake attempts in the capture", roleMuted, tview.AlignLeft).SetSelectable(false)
		}
		return nil
	case row > len(c.r.Listeners):
		return nil
	}
	l := &c.r.Listeners[row-1]
	ro := roleText
	if l.Failed > 0 {
		ro = roleBad
	}
	return th.cell(listenerRow(l)[col], ro, align)
}

// show points the lower panes at listener i.
func (o *overview) show(i int) {
	r := o.app.report
	if i < 0 || i >= len(r.Listeners) {
		o.timeline.set(func(int) []line { return nil })
		o.verdict.set(func(int) []line { return []line{textLine(roleMuted, r.Headline)} })
		o.kernel.set(func(int) []line { return captureKernelLines(r) })
		return
	}
	o.sel = i
	l := &r.Listeners[i]
	span := listenerSpan(r, l)
	o.timeline.SetTitle(" " + shown(timelineTitle(l)) + " ")
	o.timeline.set(func(w int) []line { return timelineLines(l, span, w, !o.compact) })
	o.verdict.SetTitle(" " + shown("Why "+l.Server+" fails") + " ")
	if l.Failed == 0 {
		o.verdict.SetTitle(" " + shown(l.Server) + " ")
	}
	o.verdict.set(func(w int) []line { return listenerLines(l, w) })
	o.kernel.set(func(w int) []line { return kernelLines(r, l, w) })
}

// selected is the listener under the cursor, nil without listeners.
func (o *overview) selected() *analyze.Listener {
	r := o.app.report
	if r == nil || o.sel < 0 || o.sel >= len(r.Listeners) {
		return nil
	}
	return &r.Listeners[o.sel]
}

// doubleClick makes a double click on a table row select it and run open.
func doubleClick(t *tview.Table, open func()) func(tview.MouseAction, *tcell.EventMouse) (tview.MouseAction, *tcell.EventMouse) {
	return func(action tview.MouseAction, ev *tcell.EventMouse) (tview.MouseAction, *tcell.EventMouse) {
		if action != tview.MouseLeftDoubleClick {
			return action, ev
		}
		x, y := ev.Position()
		if row, _ := t.CellAt(x, y); row >= 1 && row < t.GetRowCount() {
			t.Select(row, 0)
			open()
		}
		return tview.MouseConsumed, nil
	}
}

// layout sizes the header, the table and the timeline for the screen.
func (o *overview) layout(w, h int) {
	o.root.ResizeItem(o.header, max(o.header.lines(w), 1), 0)
	rows := 0
	if r := o.app.report; r != nil {
		rows = len(r.Listeners)
	}
	most := 10
	if h < 30 {
		most = 4
	}
	if compact := h < 30; compact != o.compact {
		o.compact = compact
		o.timeline.dirty = true
	}
	o.root.ResizeItem(o.table, min(max(rows, 1), most)+3, 0)
	o.root.ResizeItem(o.timeline, o.timeline.lines(w-2)+2, 0)
}

// headerLines are the top lines: what was read and the headline.
func headerLines(r *analyze.Report, title string, width int) []line {
	var packets int64
	var secs float64
	for _, c := range r.Captures {
		packets += c.Packets
		secs = max(secs, c.Seconds)
	}
	what := fmt.Sprintf("%s, %s packets, %.1f s", plural(int64(len(r.Captures)), "capture"), render.Count(packets), secs)
	if title != "" {
		what = title + " — " + what
	}
	head := line{{"halfopen ", roleHead}, {what, roleMuted}}
	role := roleBad
	if r.Totals.Failed == 0 {
		role = roleGood
	}
	out := append(wrapLine(head, width), hang(nil, r.Headline, role, width)...)
	for _, c := range r.Captures {
		if c.Error != "" {
			out = append(out, hang(line{{"not read: ", roleBad}}, c.Path+": "+c.Error, roleText, width)...)
		}
	}
	return out
}

// topBranch is the listener's strongest verdict (branch, confidence), else
// its main failed outcome.
func topBranch(l *analyze.Listener) (string, *float64) {
	if len(l.Verdicts) > 0 {
		c := l.Verdicts[0].Confidence
		return l.Verdicts[0].Branch, &c
	}
	if l.Failed == 0 {
		return "-", nil
	}
	best, n := "-", int64(0)
	for _, o := range outcomeOrder() {
		if o != "established" && l.Outcomes[o] > n {
			best, n = o, l.Outcomes[o]
		}
	}
	return best, nil
}

// outcomeOrder is the order outcomes are listed in (the report's order).
func outcomeOrder() []string {
	return []string{"established", "established_after_retry", "unanswered", "reset", "unanswered_then_reset", "synack_unacked", "ack_ignored", "reset_after_ack", "answered_with_ack", "incomplete"}
}

// listenerRow is a listener's cells in listenerColumns order.
func listenerRow(l *analyze.Listener) []string {
	b, c := topBranch(l)
	return []string{l.Server, render.Count(l.Attempts), render.Count(l.Failed), analyze.Percent(l.FailureRate), b, conf(c), render.Clock(l.FirstFailure), render.Clock(l.LastFailure)}
}

// hang wraps text after a prefix; continuation lines are indented to the
// text's start.
func hang(prefix line, text string, r role, width int) []line {
	pw := cellWidth(prefix.plain())
	chunks := wrapText(text, max(width-pw, 20))
	if len(chunks) == 0 {
		return []line{prefix}
	}
	out := make([]line, 0, len(chunks))
	for i, c := range chunks {
		var l line
		if i == 0 {
			l = append(l, prefix...)
		} else {
			l = line{{strings.Repeat(" ", pw), roleText}}
		}
		out = append(out, append(l, span{c, r}))
	}
	return out
}

// listenerLines explain a listener: outcomes, when it failed, timing, and
// every verdict with its evidence and fix.
func listenerLines(l *analyze.Listener, width int) []line {
	var out []line
	kv := func(k, v string, r role) {
		out = append(out, hang(line{{pad(k, 10), roleMuted}}, v, r, width)...)
	}
	if l.Failed == 0 {
		out = append(out, textLine(roleGood, fmt.Sprintf("No failures: all %s succeeded.", plural(l.Attempts, "attempt"))))
	} else {
		out = append(out, textLine(roleBad, fmt.Sprintf("%s of %s failed (%s).", render.Count(l.Failed), plural(l.Attempts, "attempt"), analyze.Percent(l.FailureRate))))
	}
	kv("outcomes", render.OutcomeList(l.Outcomes), roleText)
	if l.FirstFailure != nil {
		kv("failures", fmt.Sprintf("%s → %s UTC, peak %d/s", render.Clock(l.FirstFailure), render.Clock(l.LastFailure), l.PeakFailures), roleText)
	}
	if p := l.TimeToSynAck; p != nil {
		kv("SYN-ACK", fmt.Sprintf("p50 %s, p90 %s, p99 %s, max %s", ms(p.P50), ms(p.P90), ms(p.P99), ms(p.Max)), roleText)
	}
	if s := render.ScheduleList(l.ClientSchedules); s != "" {
		kv("client", "SYN retransmits "+s, roleText)
	}
	if s := render.ScheduleList(l.ServerSchedules); s != "" {
		kv("server", "SYN-ACK retransmits "+s, roleText)
	}
	if l.Omitted > 0 {
		kv("listed", fmt.Sprintf("%s attempts listed, %s more counted only (--max-listed)", render.Count(int64(l.Listed)), render.Count(l.Omitted)), roleMuted)
	}
	if l.Failed > 0 && len(l.Verdicts) == 0 {
		out = append(out, line{}, textLine(roleMuted, "No verdict: the cause is unclear from what was given (add --sysctl, --ss and --nstat snapshots)."))
	}
	for i := range l.Verdicts {
		out = append(out, line{})
		out = append(out, verdictLines(&l.Verdicts[i], i == 0, width)...)
	}
	return out
}

// verdictLines explain one verdict: branch, title, confidence, summary,
// evidence (+ for, − against), the fix in order and what will not help.
func verdictLines(v *analyze.Verdict, first bool, width int) []line {
	var out []line
	label := "verdict"
	if !first {
		label = "also"
	}
	out = append(out, line{{pad(label, 9), roleMuted}, {v.Branch, roleBad}, {fmt.Sprintf("  confidence %.2f · %s", v.Confidence, plural(v.Attempts, "attempt")), roleMuted}})
	out = append(out, hang(nil, v.Title, roleHead, width)...)
	if v.Summary != "" {
		out = append(out, hang(nil, v.Summary, roleText, width)...)
	}
	if len(v.Evidence) > 0 {
		out = append(out, textLine(roleHead, "Evidence"))
		out = append(out, evidenceLines(v.Evidence, width)...)
	}
	if len(v.Fix) > 0 {
		out = append(out, textLine(roleHead, "Fix, in this order"))
		for i, f := range v.Fix {
			out = append(out, hang(line{{fmt.Sprintf("  %d. ", i+1), roleStrong}}, f.Action, roleStrong, width)...)
			if f.Command != "" {
				out = append(out, hang(line{{"     $ ", roleMuted}}, f.Command, roleText, width)...)
			}
			if f.Why != "" {
				out = append(out, hang(line{{"     ", roleMuted}}, f.Why, roleMuted, width)...)
			}
		}
	}
	if len(v.WontFix) > 0 {
		out = append(out, textLine(roleHead, "Will not help"))
		for _, w := range v.WontFix {
			out = append(out, hang(line{{"  · ", roleMuted}}, w, roleMuted, width)...)
		}
	}
	return out
}

// evidenceLines list evidence: "+ kind" for, "− kind" against (muted).
func evidenceLines(ev []analyze.Evidence, width int) []line {
	var out []line
	for _, e := range ev {
		mark, r := "+", roleText
		if e.Against {
			mark, r = "−", roleMuted
		}
		out = append(out, hang(line{{fmt.Sprintf("  %s %-8s ", mark, e.Kind), roleMuted}}, evidenceText(e), r, width)...)
	}
	return out
}

// evidenceText is an evidence's text for a narrow pane: file paths cut to
// their names, and counter deltas regrouped into what moved and what did
// not (the kernel panel has them one per line).
func evidenceText(e analyze.Evidence) string {
	if e.Kind == "counter" {
		if ce, ok := parseCounterEvidence(e.Text); ok {
			var moved, still []string
			for _, d := range ce.deltas {
				name := strings.TrimPrefix(d.name, "TcpExt")
				if d.delta != 0 {
					moved = append(moved, fmt.Sprintf("%s %+d", name, d.delta))
				} else {
					still = append(still, name)
				}
			}
			var parts []string
			if len(moved) > 0 {
				parts = append(parts, strings.Join(moved, ", "))
			}
			if len(still) > 0 {
				parts = append(parts, "unchanged "+strings.Join(still, ", "))
			}
			s := strings.Join(parts, "; ")
			if ce.conclusion != "" {
				s += " → " + ce.conclusion
			}
			return s
		}
	}
	return shortPaths(e.Text)
}
