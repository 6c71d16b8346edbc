package ui

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/halfopen/halfopen/analyze"
	"github.com/halfopen/halfopen/analyze/render"
	"github.com/rivo/tview"
)

// attemptColumns are the attempts table's column titles.
func attemptColumns() []string {
	return []string{"CLIENT", "FIRST SYN", "SYNs", "SYN-ACKs", "OUTCOME", "BRANCH", "CONF"}
}

// attemptSort is a sort column (index in attemptColumns) and direction.
type attemptSort struct {
	col  int
	desc bool
}

// attemptFilter narrows the attempts to one outcome or one branch
// (kind "" shows all; branch value "" means attempts without a branch).
type attemptFilter struct {
	kind  string // "", "outcome", "branch"
	value string
}

func (f attemptFilter) String() string {
	if f.kind == "" {
		return "all"
	}
	v := f.value
	if v == "" {
		v = "none"
	}
	return f.kind + "=" + v
}

func (f attemptFilter) keep(a *analyze.Attempt) bool {
	switch f.kind {
	case "outcome":
		return a.Outcome == f.value
	case "branch":
		return branchOf(a) == f.value
	}
	return true
}

func branchOf(a *analyze.Attempt) string {
	if a.Branch == nil {
		return ""
	}
	return *a.Branch
}

// attemptRow is an attempt's cells in attemptColumns order.
func attemptRow(a *analyze.Attempt) []string {
	b := branchOf(a)
	if b == "" {
		b = "-"
	}
	return []string{a.Client, render.Clock(&a.FirstSYN), fmt.Sprint(a.SYNs), fmt.Sprint(a.SynAcks), a.Outcome, b, conf(a.Confidence)}
}

// attemptsOf lists the indices (in r.Attempts) of a listener's attempts.
func attemptsOf(r *analyze.Report, server string) []int {
	var out []int
	for i := range r.Attempts {
		if r.Attempts[i].Server == server {
			out = append(out, i)
		}
	}
	return out
}

// matchesSearch reports whether the attempt's client (or server) address
// contains the query, ignoring case and brackets.
func matchesSearch(a *analyze.Attempt, q string) bool {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return true
	}
	norm := func(s string) string { return strings.NewReplacer("[", "", "]", "").Replace(strings.ToLower(s)) }
	q = norm(q)
	return strings.Contains(norm(a.Client), q) || strings.Contains(norm(a.Server), q)
}

// selectAttempts filters, searches and sorts attempt indices. Ties keep
// the report's order (by first SYN).
func selectAttempts(r *analyze.Report, idx []int, f attemptFilter, query string, s attemptSort) []int {
	out := make([]int, 0, len(idx))
	for _, i := range idx {
		if a := &r.Attempts[i]; f.keep(a) && matchesSearch(a, query) {
			out = append(out, i)
		}
	}
	keys := make(map[int]sortKey, len(out))
	for _, i := range out {
		keys[i] = keyOf(&r.Attempts[i])
	}
	slices.SortStableFunc(out, func(x, y int) int {
		c := compareBy(keys[x], keys[y], s.col)
		if s.desc {
			c = -c
		}
		if c == 0 {
			c = cmp.Compare(x, y)
		}
		return c
	})
	return out
}

// sortKey holds an attempt's sortable values, parsed once per sort.
type sortKey struct {
	client  netip.AddrPort
	clientS string
	first   time.Time
	syns    int
	synacks int
	outcome int
	branch  string
	conf    float64
}

func keyOf(a *analyze.Attempt) sortKey {
	k := sortKey{clientS: a.Client, first: parseTimeOf(a.FirstSYN), syns: a.SYNs, synacks: a.SynAcks, branch: branchOf(a), conf: -1}
	k.client, _ = netip.ParseAddrPort(a.Client)
	k.outcome = slices.Index(outcomeOrder(), a.Outcome)
	if a.Confidence != nil {
		k.conf = *a.Confidence
	}
	return k
}

func compareBy(a, b sortKey, col int) int {
	switch col {
	case 0:
		if a.client.IsValid() && b.client.IsValid() {
			return a.client.Compare(b.client)
		}
		return cmp.Compare(a.clientS, b.clientS)
	case 1:
		return a.first.Compare(b.first)
	case 2:
		return cmp.Compare(a.syns, b.syns)
	case 3:
		return cmp.Compare(a.synacks, b.synacks)
	case 4:
		return cmp.Compare(a.outcome, b.outcome)
	case 5:
		// attempts without a branch last
		if (a.branch == "") != (b.branch == "") {
			if a.branch == "" {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.branch, b.branch)
	case 6:
		return cmp.Compare(a.conf, b.conf)
	}
	return 0
}

// filterChoice is one entry of the f chooser.
type filterChoice struct {
	label  string
	filter attemptFilter
}

// filterChoices offers all, then each outcome, then each branch present
// among the listener's attempts, with counts.
func filterChoices(r *analyze.Report, idx []int) []filterChoice {
	outcomes := map[string]int{}
	branches := map[string]int{}
	for _, i := range idx {
		a := &r.Attempts[i]
		outcomes[a.Outcome]++
		branches[branchOf(a)]++
	}
	out := []filterChoice{{fmt.Sprintf("all attempts (%d)", len(idx)), attemptFilter{}}}
	for _, o := range outcomeOrder() {
		if n := outcomes[o]; n > 0 {
			out = append(out, filterChoice{fmt.Sprintf("outcome  %s (%d)", o, n), attemptFilter{"outcome", o}})
		}
	}
	names := make([]string, 0, len(branches))
	for b := range branches {
		names = append(names, b)
	}
	slices.Sort(names)
	for _, b := range names {
		label := b
		if b == "" {
			label = "none"
		}
		out = append(out, filterChoice{fmt.Sprintf("branch   %s (%d)", label, branches[b]), attemptFilter{"branch", b}})
	}
	return out
}

// attemptsView lists one listener's attempts.
type attemptsView struct {
	app     *App
	root    *tview.Flex
	header  *linesPane
	table   *tview.Table
	search  *tview.InputField
	preview *linesPane
	server  string
	all     []int // the listener's attempts (indices in report.Attempts)
	rows    []int // shown, in order
	sort    attemptSort
	filter  attemptFilter
	query   string
}

// searching reports whether the search field has the keyboard.
func (v *attemptsView) searching() bool { return v.search.HasFocus() }

func newAttemptsView(a *App) *attemptsView {
	th := a.theme
	v := &attemptsView{
		app:     a,
		header:  newLinesPane(th, ""),
		table:   th.table("Attempts"),
		search:  tview.NewInputField(),
		preview: newLinesPane(th, "Evidence of the selected attempt"),
		sort:    attemptSort{col: 1},
	}
	v.search.SetLabel("search: ")
	v.search.SetLabelStyle(th.style(roleHead))
	v.search.SetFieldStyle(th.style(roleText).Underline(true))
	v.search.SetPlaceholder("client address, e.g. 10.0.0.7 or :443")
	v.search.SetPlaceholderStyle(th.style(roleMuted))
	v.search.SetBackgroundColor(tcell.ColorDefault)
	v.search.SetChangedFunc(func(text string) {
		v.query = text
		v.refresh()
	})
	v.search.SetDoneFunc(v.searchDone)
	v.table.SetContent(attemptsContent{v: v})
	v.table.SetSelectionChangedFunc(func(row, _ int) { v.showPreview() })
	v.table.SetSelectedFunc(func(row, _ int) { a.openDetail() })
	v.table.SetMouseCapture(doubleClick(v.table, a.openDetail))
	v.root = tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(v.header, 2, 0, false).
		AddItem(v.table, 0, 1, true).
		AddItem(v.search, 0, 0, false).
		AddItem(v.preview, 9, 0, false)
	return v
}

func (v *attemptsView) panes() []tview.Primitive {
	return []tview.Primitive{v.table, v.preview.focusTarget()}
}

// open shows a listener's attempts with the filter and search cleared.
func (v *attemptsView) open(l *analyze.Listener) {
	v.server = l.Server
	v.all = attemptsOf(v.app.report, l.Server)
	v.filter, v.query = attemptFilter{}, ""
	v.search.SetText("")
	v.refresh()
	v.table.Select(1, 0)
	v.table.ScrollToBeginning()
	v.showPreview()
}

// listener is the listener whose attempts are shown.
func (v *attemptsView) listener() *analyze.Listener {
	r := v.app.report
	for i := range r.Listeners {
		if r.Listeners[i].Server == v.server {
			return &r.Listeners[i]
		}
	}
	return nil
}

// refresh rebuilds the table for the filter, search and sort, keeping the
// selected attempt selected when it is still shown.
func (v *attemptsView) refresh() {
	keep := v.selected()
	v.rows = selectAttempts(v.app.report, v.all, v.filter, v.query, v.sort)
	sel := 1
	for n, i := range v.rows {
		if i == keep {
			sel = n + 1
			break
		}
	}
	v.table.Select(min(sel, max(len(v.rows), 1)), 0)
	v.header.set(v.headerLines)
	v.table.SetTitle(" " + shown(v.title()) + " ")
	v.showPreview()
}

// attemptsContent is the attempts table's content, made on demand for the
// rows on screen: a listener can list thousands of attempts.
type attemptsContent struct {
	tview.TableContentReadOnly
	v *attemptsView
}

func (c attemptsContent) GetRowCount() int    { return max(len(c.v.rows), 1) + 1 }
func (c attemptsContent) GetColumnCount() int { return len(attemptColumns()) }

// GetCell makes the cell at row, col: the titles (a click sorts), an
// attempt in its outcome's role, or why there is none.
func (c attemptsContent) GetCell(row, col int) *tview.TableCell {
	v, th := c.v, c.v.app.theme
	cols := attemptColumns()
	if col < 0 || col >= len(cols) || row < 0 {
		return nil
	}
	if row == 0 {
		name := cols[col]
		if col == v.sort.col {
			if v.sort.desc {
				name += " ▼"
			} else {
				name += " ▲"
			}
		}
		cell := th.cell(name, roleHead, tview.AlignLeft).SetSelectable(false)
		return cell.SetClickedFunc(func() bool { v.sortBy(col); return true })
	}
	if len(v.rows) == 0 {
		if row != 1 || col != 0 {
			return nil
		}
		msg := "no attempt matches"
		if len(v.all) == 0 {
			msg = "no attempts listed for this listener (only failed attempts are listed; use --list all)"
		}
		return th.cell(msg, roleMuted, tview.AlignLeft).SetSelectable(false)
	}
	if row > len(v.rows) {
		return nil
	}
	a := &v.app.report.Attempts[v.rows[row-1]]
	ro := roleBad
	switch a.Outcome {
	case "established":
		ro = roleGood
	case "established_after_retry":
		ro = roleText
	}
	return th.cell(attemptRow(a)[col], ro, tview.AlignLeft)
}

func (v *attemptsView) title() string {
	t := fmt.Sprintf("Attempts %d of %d", len(v.rows), len(v.all))
	if v.filter.kind != "" {
		t += " · filter " + v.filter.String()
	}
	if v.query != "" {
		t += fmt.Sprintf(" · search %q", v.query)
	}
	return t + " · sorted by " + strings.ToLower(attemptColumns()[v.sort.col])
}

func (v *attemptsView) headerLines(width int) []line {
	l := v.listener()
	if l == nil {
		return nil
	}
	crumb := line{{"Listeners › ", roleMuted}, {l.Server, roleHead}}
	ro := roleBad
	if l.Failed == 0 {
		ro = roleGood
	}
	sum := fmt.Sprintf("%s of %s failed (%s)", render.Count(l.Failed), plural(l.Attempts, "attempt"), analyze.Percent(l.FailureRate))
	if b, c := topBranch(l); b != "-" {
		sum += " · top branch " + b
		if c != nil {
			sum += " " + conf(c)
		}
	}
	listed := fmt.Sprintf("%s listed", render.Count(int64(len(v.all))))
	if l.Omitted > 0 {
		listed += fmt.Sprintf(", %s more only counted", render.Count(l.Omitted))
	}
	if established := l.Outcomes["established"]; established > 0 && !v.listsEstablished() {
		listed += fmt.Sprintf("; %s established on the first SYN not listed (--list all)", render.Count(established))
	}
	return append([]line{crumb}, append(hang(nil, sum, ro, width), hang(nil, listed, roleMuted, width)...)...)
}

// listsEstablished reports whether plain established attempts are listed.
func (v *attemptsView) listsEstablished() bool {
	for _, i := range v.all {
		if v.app.report.Attempts[i].Outcome == "established" {
			return true
		}
	}
	return false
}

// selected is the index (in report.Attempts) under the cursor, or -1.
func (v *attemptsView) selected() int {
	row, _ := v.table.GetSelection()
	if row < 1 || row > len(v.rows) {
		return -1
	}
	return v.rows[row-1]
}

func (v *attemptsView) showPreview() {
	i := v.selected()
	if i < 0 {
		v.preview.set(func(int) []line { return nil })
		return
	}
	a := &v.app.report.Attempts[i]
	v.preview.set(func(w int) []line { return attemptSummaryLines(a, w) })
}

// sortBy sorts by a column; the same column again reverses the order.
func (v *attemptsView) sortBy(col int) {
	if col == v.sort.col {
		v.sort.desc = !v.sort.desc
	} else {
		v.sort = attemptSort{col: col}
	}
	v.refresh()
}

func (v *attemptsView) nextSort(dir int) {
	n := len(attemptColumns())
	v.sort = attemptSort{col: (v.sort.col + dir + n) % n}
	v.refresh()
}

func (v *attemptsView) reverse() {
	v.sort.desc = !v.sort.desc
	v.refresh()
}

func (v *attemptsView) setFilter(f attemptFilter) {
	v.filter = f
	v.refresh()
}

// startSearch opens the search field under the table.
func (v *attemptsView) startSearch() {
	v.root.ResizeItem(v.search, 1, 0)
	v.app.tv.SetFocus(v.search)
}

// searchDone closes the field: Enter keeps the search, Esc clears it.
func (v *attemptsView) searchDone(key tcell.Key) {
	if key == tcell.KeyEscape {
		v.search.SetText("")
		v.query = ""
		v.refresh()
	}
	if v.query == "" {
		v.root.ResizeItem(v.search, 0, 0)
	}
	v.app.tv.SetFocus(v.table)
	v.app.updateStatus()
}

// attemptSummaryLines is the preview under the attempts table: what
// happened and the attempt's own evidence.
func attemptSummaryLines(a *analyze.Attempt, width int) []line {
	ro := roleBad
	switch a.Outcome {
	case "established":
		ro = roleGood
	case "established_after_retry":
		ro = roleText
	}
	head := line{{a.Client + " → " + a.Server + "  ", roleHead}, {a.Outcome, ro}}
	if b := branchOf(a); b != "" {
		head = append(head, span{"  " + b + " " + conf(a.Confidence), roleStrong})
	}
	out := []line{head}
	out = append(out, hang(line{{"  ", roleText}}, attemptWhat(a), roleText, width)...)
	out = append(out, evidenceLines(a.Evidence, width)...)
	out = append(out, textLine(roleMuted, "  Enter: packets (ladder), retransmit timing, verdict and fix"))
	return out
}

// attemptWhat says in a sentence what went over the wire.
func attemptWhat(a *analyze.Attempt) string {
	s := fmt.Sprintf("%s, %s", plural(int64(a.SYNs), "SYN"), plural(int64(a.SynAcks), "SYN-ACK"))
	if a.TimeToSynAck != nil {
		s += ", first SYN-ACK after " + ms(*a.TimeToSynAck)
	}
	if a.Events.FinalAck != nil {
		s += ", client ACK at +" + ms(*a.Events.FinalAck)
	}
	if a.Events.ServerRST != nil {
		s += ", server RST at +" + ms(*a.Events.ServerRST)
	}
	if a.Events.ClientRST != nil {
		s += ", client RST at +" + ms(*a.Events.ClientRST)
	}
	if a.Events.ServerBareAck != nil {
		s += ", bare ACK from the server at +" + ms(*a.Events.ServerBareAck)
	}
	if a.CaptureEnded {
		s += "; the capture ended before the client gave up"
	}
	return s
}
