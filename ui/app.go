// Package ui is halfopen's terminal UI (halfopen tui): it displays an
// analysis — listeners worst first with their timeline, verdicts and
// kernel panel; a listener's attempts; one attempt's ladder diagram,
// retransmit timing and evidence — and never computes one. It receives a
// finished *analyze.Report, or a loader it runs in a goroutine while a
// progress indicator shows, and a function that reads an attempt's packets
// back.
//
// Built on tview (rivo/tview) only. There are no package-level widgets and
// no global mutable state: an App owns everything. One key table
// (keys.go) drives both the input handling and the ? help overlay.
// Presentation is done by pure functions from report values to lines of
// text with roles (theme.go), tested without a terminal; the theme maps
// roles to the terminal's default colours plus attributes, and to
// attributes only under NO_COLOR.
package ui

import (
	"errors"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/halfopen/halfopen/analyze"
	"github.com/halfopen/halfopen/analyze/render"
	"github.com/rivo/tview"
)

// Config is what the UI is given.
type Config struct {
	// Title names what is shown, e.g. the inputs, in the header.
	Title string
	// Report is an analysis already made. When nil, Load makes it.
	Report *analyze.Report
	// Load runs the analysis in a goroutine; progress reports the bytes of
	// input i consumed so far. An error is shown, then returned by Run.
	Load func(progress func(input int, consumed int64)) (*analyze.Report, error)
	// Inputs and Sizes name the inputs and their sizes in bytes (0 when
	// unknown, e.g. standard input) for the progress indicator.
	Inputs []string
	Sizes  []int64
	// Ladder reads an attempt's packets back from its capture (analyze.Ladder).
	Ladder func(r *analyze.Report, a *analyze.Attempt) ([]analyze.Rung, error)
	// NoColor drops colours and keeps attributes (NO_COLOR).
	NoColor bool
	// NoMouse leaves the mouse to the terminal (selecting text).
	NoMouse bool
	// ExportDir is where e and E write; "" is the current directory.
	ExportDir string
	// Screen replaces the terminal (tests use a tcell simulation screen).
	Screen tcell.Screen
}

// App is one terminal UI session.
type App struct {
	cfg      Config
	tv       *tview.Application
	theme    theme
	keys     []binding
	report   *analyze.Report
	pages    *tview.Pages
	status   *tview.TextView
	overview *overview
	attempts *attemptsView
	detail   *detailView
	loading  *linesPane
	help     *linesPane
	filter   *tview.List

	view     context // inOverview, inAttempts or inDetail
	overlay  context // 0, inHelp or inFilter
	loaded   bool
	loadErr  error
	ladders  map[int]ladderResult
	flashMsg line
	pendingG bool // a first g was pressed
	wasG     bool // the previous key was that g

	progress []atomic.Int64
	started  time.Time
	done     chan struct{}
	// syncWork runs background work inline (tests without an event loop).
	syncWork bool
	stopped  bool // q was pressed
}

// Page names.
const (
	pageOverview = "overview"
	pageAttempts = "attempts"
	pageDetail   = "detail"
	pageLoading  = "loading"
	pageHelp     = "help"
	pageFilter   = "filter"
)

// New builds the UI. Run shows it.
func New(cfg Config) *App {
	a := &App{
		cfg:     cfg,
		tv:      tview.NewApplication(),
		theme:   newTheme(cfg.NoColor),
		keys:    keyTable(),
		ladders: map[int]ladderResult{},
		view:    inOverview,
		done:    make(chan struct{}),
		started: time.Now(),
	}
	a.progress = make([]atomic.Int64, len(cfg.Inputs))
	th := a.theme
	a.pages = tview.NewPages()
	a.pages.SetBackgroundColor(tcell.ColorDefault)
	a.status = th.textView("", false)
	a.status.SetScrollable(false)
	a.overview = newOverview(a)
	a.attempts = newAttemptsView(a)
	a.detail = newDetailView(a)
	a.loading = newLinesPane(th, "halfopen")
	a.help = newLinesPane(th, "Help — j/k scroll · Esc, q or ? closes")
	a.help.set(func(w int) []line { return helpLines(a.keys, w) })
	a.filter = tview.NewList()
	th.box(a.filter.Box, "Show only")
	a.filter.ShowSecondaryText(false)
	a.filter.SetHighlightFullLine(true)
	a.filter.SetMainTextStyle(th.style(roleText))
	a.filter.SetSelectedStyle(th.selected())
	a.filter.SetShortcutStyle(th.style(roleMuted))

	a.pages.AddPage(pageOverview, a.overview.root, true, true)
	a.pages.AddPage(pageAttempts, a.attempts.root, true, false)
	a.pages.AddPage(pageDetail, a.detail.root, true, false)
	a.pages.AddPage(pageLoading, a.loading, true, false)
	a.pages.AddPage(pageHelp, newOverlay(a.help, 110, 44, a.closeOverlay), true, false)
	root := tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(a.pages, 0, 1, true).
		AddItem(a.status, 1, 0, false)
	a.tv.SetRoot(root, true)
	a.tv.SetInputCapture(a.onKey)
	a.tv.SetBeforeDrawFunc(func(s tcell.Screen) bool {
		a.layout(s.Size())
		return false
	})
	a.tv.EnableMouse(!cfg.NoMouse)
	if cfg.Screen != nil {
		a.tv.SetScreen(cfg.Screen)
	}
	if cfg.Report != nil {
		a.setReport(cfg.Report)
	} else {
		a.showLoading()
	}
	return a
}

// Run shows the UI until the user quits. With a loader, the analysis runs
// in a goroutine and the UI stays responsive meanwhile. It returns the
// load error, if any, once the user has read it and quit.
func (a *App) Run() error {
	if a.report == nil && a.cfg.Load == nil {
		return errors.New("ui: neither a report nor a loader was given")
	}
	if a.report == nil {
		go a.load()
	}
	// A SIGTERM or SIGHUP (the terminal closed, kill) must not leave the
	// terminal in raw mode: stop the application so tcell restores it.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		if _, ok := <-sigs; ok {
			a.tv.Stop()
		}
	}()
	err := a.tv.Run()
	signal.Stop(sigs)
	close(sigs)
	close(a.done)
	if err != nil {
		return err
	}
	return a.loadErr
}

// setReport shows a finished analysis.
func (a *App) setReport(r *analyze.Report) {
	// Shown and exported as the screen has it: file names and warnings
	// with their control characters made visible, so widths are right.
	a.report = render.VisibleCopy(r)
	a.loaded = true
	a.overview.load(r)
	a.switchTo(inOverview)
}

// layout fits the views' variable parts (wrapped headers, the table and
// the timeline) to the screen; it runs before every draw, so a resize
// re-flows everything.
func (a *App) layout(w, h int) {
	a.overview.layout(w, h)
	a.attempts.root.ResizeItem(a.attempts.header, max(a.attempts.header.lines(w), 1), 0)
	a.detail.root.ResizeItem(a.detail.header, max(a.detail.header.lines(w), 1), 0)
	if h < 30 {
		a.attempts.root.ResizeItem(a.attempts.preview, 6, 0)
	} else {
		a.attempts.root.ResizeItem(a.attempts.preview, 9, 0)
	}
}

// context is where keys apply now.
func (a *App) context() context {
	if a.overlay != 0 {
		return a.overlay
	}
	if !a.loaded {
		return inLoading
	}
	return a.view
}

// switchTo shows a view and focuses its main pane.
func (a *App) switchTo(v context) {
	a.view = v
	switch v {
	case inOverview:
		a.pages.SwitchToPage(pageOverview)
		a.tv.SetFocus(a.overview.table)
	case inAttempts:
		a.pages.SwitchToPage(pageAttempts)
		a.tv.SetFocus(a.attempts.table)
	case inDetail:
		a.pages.SwitchToPage(pageDetail)
		a.tv.SetFocus(a.detail.ladder.focusTarget())
	}
	if a.overlay == inHelp { // the report arrived while help was open
		a.pages.ShowPage(pageHelp)
		a.tv.SetFocus(a.help.focusTarget())
	}
	a.updateStatus()
}

// panes are the current view's focus targets, for Tab.
func (a *App) panes() []tview.Primitive {
	switch a.view {
	case inAttempts:
		return a.attempts.panes()
	case inDetail:
		return a.detail.panes()
	}
	return a.overview.panes()
}

// cycleFocus moves the focus to the next (dir 1) or previous pane.
func (a *App) cycleFocus(dir int) {
	ps := a.panes()
	cur := a.tv.GetFocus()
	at := 0
	for i, p := range ps {
		if p == cur {
			at = i
		}
	}
	a.tv.SetFocus(ps[(at+dir+len(ps))%len(ps)])
}

// forward hands a key to the focused widget (moving, scrolling): the key
// table has decided what the key means; the widget knows how to do it.
func (a *App) forward(k tcell.Key) {
	p := a.tv.GetFocus()
	if p == nil {
		return
	}
	if h := p.InputHandler(); h != nil {
		h(tcell.NewEventKey(k, 0, tcell.ModNone), func(p tview.Primitive) { a.tv.SetFocus(p) })
	}
}

func (a *App) openAttempts() {
	l := a.overview.selected()
	if l == nil {
		return
	}
	a.attempts.open(l)
	a.switchTo(inAttempts)
}

func (a *App) openDetail() {
	i := a.attempts.selected()
	if i < 0 {
		return
	}
	a.detail.open(i)
	a.switchTo(inDetail)
}

// stepAttempt opens the next or previous attempt of the attempts list.
func (a *App) stepAttempt(dir int) {
	rows := a.attempts.rows
	for n, i := range rows {
		if i == a.detail.idx {
			next := n + dir
			if next < 0 || next >= len(rows) {
				a.flash(roleMuted, "no more attempts in this list")
				return
			}
			a.attempts.table.Select(next+1, 0)
			a.detail.open(rows[next])
			a.tv.SetFocus(a.detail.ladder.focusTarget())
			return
		}
	}
}

// back goes up one view; the first view stays (q quits, never Esc).
func (a *App) back() {
	switch a.view {
	case inDetail:
		a.switchTo(inAttempts)
	case inAttempts:
		a.switchTo(inOverview)
	}
}

func (a *App) startSearch() { a.attempts.startSearch() }

// openFilter shows the outcome/branch chooser.
func (a *App) openFilter() {
	choices := filterChoices(a.report, a.attempts.all)
	a.filter.Clear()
	cur := 0
	for i, c := range choices {
		f := c.filter
		a.filter.AddItem(shown(c.label), "", 0, func() {
			a.closeOverlay()
			a.attempts.setFilter(f)
		})
		if f == a.attempts.filter {
			cur = i
		}
	}
	a.filter.SetCurrentItem(cur)
	w := 20
	for _, c := range choices {
		w = max(w, cellWidth(c.label)+4)
	}
	if a.pages.HasPage(pageFilter) {
		a.pages.RemovePage(pageFilter)
	}
	a.pages.AddPage(pageFilter, newOverlay(a.filter, w, len(choices)+2, a.closeOverlay), true, true)
	a.overlay = inFilter
	a.tv.SetFocus(a.filter)
}

func (a *App) openHelp() {
	a.pages.ShowPage(pageHelp)
	a.pages.SendToFront(pageHelp)
	a.overlay = inHelp
	a.help.ScrollToBeginning()
	a.tv.SetFocus(a.help.focusTarget())
}

// closeOverlay closes help or the filter chooser.
func (a *App) closeOverlay() {
	switch a.overlay {
	case inHelp:
		a.pages.HidePage(pageHelp)
	case inFilter:
		a.pages.RemovePage(pageFilter)
	}
	a.overlay = 0
	if !a.loaded {
		a.tv.SetFocus(a.loading.focusTarget())
	} else {
		a.switchTo(a.view)
	}
	a.updateStatus()
}

func (a *App) redraw() { a.tv.Sync() }

func (a *App) quit() {
	a.stopped = true
	a.tv.Stop()
}

// flash shows a message in the status line until the next key.
func (a *App) flash(r role, msg string) {
	a.flashMsg = textLine(r, msg)
	a.updateStatus()
}

// updateStatus redraws the status line: a message, else the key hints.
func (a *App) updateStatus() {
	l := a.flashMsg
	if len(l) == 0 {
		l = hints(a.keys, a.context())
		if a.attempts.searching() {
			l = line{{"Enter", roleHead}, {" keep the search  ", roleMuted}, {"Esc", roleHead}, {" clear it", roleMuted}}
		}
	}
	a.status.SetText(a.theme.tagged([]line{append(line{{" ", roleText}}, l...)}))
}

// async runs work in a goroutine and applies its result in the event loop.
func (a *App) async(work func() func()) {
	if a.syncWork {
		work()()
		return
	}
	go func() {
		apply := work()
		select {
		case <-a.done:
			return
		default:
		}
		a.tv.QueueUpdateDraw(apply)
	}()
}

// fetchLadder reads attempt idx's packets back, off the event loop: it
// rereads the capture, which takes a while on a large one.
func (a *App) fetchLadder(idx int) {
	r := a.report
	if a.cfg.Ladder == nil {
		a.ladders[idx] = ladderResult{err: errors.New("no packet source was given")}
		a.detail.showLadder()
		return
	}
	a.ladders[idx] = ladderResult{loading: true}
	at := &r.Attempts[idx]
	a.async(func() func() {
		rungs, err := a.cfg.Ladder(r, at)
		return func() {
			a.ladders[idx] = ladderResult{rungs: rungs, err: err}
			if a.detail.idx == idx {
				a.detail.showLadder()
			}
		}
	})
}
