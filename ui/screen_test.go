package ui

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/halfopen/halfopen/analyze"
	"github.com/rivo/tview"
)

// The overview of samples/mixed-listeners: three listeners worst first,
// the timeline, the verdict and the kernel panel of the worst.
func TestOverviewMixedListeners(t *testing.T) {
	r := sampleReport(t, "mixed-listeners", analyze.ListFailed)
	h := newHarness(t, r, "samples/mixed-listeners", 120, 40)
	h.golden("overview-mixed-listeners")
	h.must("10.77.0.1:8080", "10.77.0.1:8082", "10.77.0.1:8081", "accept_queue_full_syn", "closed_port",
		"Timeline of 10.77.0.1:8080", "▲", "Why 10.77.0.1:8080 fails", "Limits (ss+sysctl)")
	// The fix is further down the verdict pane: Tab to it and scroll.
	h.typeKeys("Tab", "Tab", "G")
	h.must("Will not help")
	h.typeKeys("k", "k", "k", "k", "k", "k")
	h.must("Restart the application")
	h.typeKeys("Tab", "Tab") // on to the kernel panel, back to the table
	// Worst first: the rows are in the report's order.
	_, y80 := h.find("10.77.0.1:8080        6")
	_, y82 := h.find("10.77.0.1:8082")
	_, y81 := h.find("10.77.0.1:8081")
	if !(y80 < y82 && y82 < y81) {
		t.Errorf("listeners not worst first: rows %d, %d, %d", y80, y82, y81)
	}
	// Moving the selection points the panes at the next listener.
	h.typeKeys("j")
	h.must("Timeline of 10.77.0.1:8082", "Why 10.77.0.1:8082 fails", "Nothing listens on the port")
	h.typeKeys("j")
	h.must("Timeline of 10.77.0.1:8081", "No failures: all 5 attempts succeeded.")
	h.mustNot("Why 10.77.0.1:8081 fails")
}

// Attempts: the table, sorting by any column, / search, f filter.
func TestAttemptsSortSearchFilter(t *testing.T) {
	r := sampleReport(t, "accept-queue-full-syn", analyze.ListAll)
	h := newHarness(t, r, "samples/accept-queue-full-syn", 120, 40)
	h.typeKeys("Enter")
	h.must("Listeners › 10.77.0.1:8080", "Attempts 10 of 10", "CLIENT", "FIRST SYN ▲", "SYN-ACKs", "OUTCOME", "BRANCH", "CONF")
	h.golden("attempts-accept-queue-full-syn")

	order := func() []string {
		var out []string
		for _, row := range strings.Split(h.text(), "\n") {
			row = strings.Trim(row, "║ ")
			if strings.HasPrefix(row, "10.77.0.2:") {
				out = append(out, strings.Fields(row)[0])
			}
		}
		return out
	}
	byTime := order()
	if len(byTime) != 10 {
		t.Fatalf("want 10 rows, got %v", byTime)
	}
	// Every column sorts, the same key again reverses.
	for col := range attemptColumns() {
		h.typeKeys(string(rune('1' + col)))
		h.must(attemptColumns()[col] + " ▲")
	}
	h.typeKeys("5", "5") // outcome ▲, again ▼
	h.must("OUTCOME ▼")
	h.typeKeys("r")
	h.must("OUTCOME ▲")
	h.typeKeys("s")
	h.must("BRANCH ▲", "sorted by branch")
	h.typeKeys("2")
	if got := order(); strings.Join(got, " ") != strings.Join(byTime, " ") {
		t.Errorf("sorting by first SYN again: %v, want %v", got, byTime)
	}
	h.typeKeys("r")
	rev := order()
	for i := range rev {
		if rev[i] != byTime[len(byTime)-1-i] {
			t.Fatalf("reversed order %v, want the reverse of %v", rev, byTime)
		}
	}
	h.typeKeys("r")

	// / search by address: live, Enter keeps it, Esc clears it.
	last := byTime[len(byTime)-1]
	port := last[strings.LastIndex(last, ":"):]
	h.typeKeys("/")
	h.must("search:")
	h.typeKeys(port)
	h.must("Attempts 1 of 10", `search "`+port+`"`, last)
	h.typeKeys("Enter")
	if got := order(); len(got) != 1 || got[0] != last {
		t.Fatalf("search %s kept %v", port, got)
	}
	h.typeKeys("/", "Esc")
	h.must("Attempts 10 of 10")

	// f filter by outcome, then by branch.
	h.typeKeys("f")
	h.must("Show only", "all attempts (10)", "outcome  unanswered", "branch   accept_queue_full_syn")
	h.golden("attempts-filter-chooser")
	for !strings.Contains(h.selectedFilter(), "outcome  unanswered") {
		h.typeKeys("j")
	}
	h.typeKeys("Enter")
	h.mustNot("Show only")
	h.must("filter outcome=unanswered")
	for _, c := range order() {
		a := attemptByClient(r, c)
		if a.Outcome != "unanswered" {
			t.Errorf("filter outcome=unanswered shows %s (%s)", c, a.Outcome)
		}
	}
	h.typeKeys("f")
	for !strings.Contains(h.selectedFilter(), "branch   none") {
		h.typeKeys("j")
	}
	h.typeKeys("Enter")
	h.must("filter branch=none")
	for _, c := range order() {
		if a := attemptByClient(r, c); a.Branch != nil {
			t.Errorf("filter branch=none shows %s (%s)", c, *a.Branch)
		}
	}
	h.typeKeys("f", "g", "g", "Enter")
	h.must("Attempts 10 of 10")
	// Esc goes back, not out.
	h.typeKeys("Esc")
	h.must("Listeners, worst first")
	if h.app.stopped {
		t.Fatal("Esc quit")
	}
}

func (h *harness) selectedFilter() string {
	main, _ := h.app.filter.GetItemText(h.app.filter.GetCurrentItem())
	return main
}

func attemptByClient(r *analyze.Report, client string) *analyze.Attempt {
	for i := range r.Attempts {
		if r.Attempts[i].Client == client {
			return &r.Attempts[i]
		}
	}
	return nil
}

// The detail of an accept-queue-full-ack attempt: ladder, timing against
// the kernel's SYN-ACK schedule, verdict and fix.
func TestDetailAcceptQueueFullAck(t *testing.T) {
	r := sampleReport(t, "accept-queue-full-ack", analyze.ListFailed)
	h := newHarness(t, r, "samples/accept-queue-full-ack", 120, 40)
	h.typeKeys("Enter")
	// Open the attempt whose SYN-ACKs were retransmitted after its ACK.
	target := -1
	for n, i := range h.app.attempts.rows {
		a := &r.Attempts[i]
		if branchOf(a) == "accept_queue_full_ack" && len(a.SynAckTimes) > 1 {
			target = n
			break
		}
	}
	if target < 0 {
		t.Fatal("no accept_queue_full_ack attempt with retransmitted SYN-ACKs in the sample")
	}
	for range target {
		h.typeKeys("j")
	}
	h.typeKeys("Enter")
	h.must("Packets (ladder)", "SYN seq 0", "SYN,ACK seq 0 ack 1", "▶", "◀", "TSval", "mss ",
		"Server SYN-ACKs", "accept_queue_full_ack", "This attempt")
	h.golden("detail-accept-queue-full-ack")
	// The ladder pane's content, unclipped, has the retransmitted SYN-ACKs.
	idx := h.app.detail.idx
	lr := h.app.ladders[idx]
	if lr.err != nil || len(lr.rungs) == 0 {
		t.Fatalf("ladder: %v, %d rungs", lr.err, len(lr.rungs))
	}
	full := strings.Join(plainLines(ladderLines(lr.rungs, r.Attempts[idx].Client, r.Attempts[idx].Server, 80)), "\n")
	if !strings.Contains(full, "SYN,ACK seq 0 ack 1 (retransmit") {
		t.Errorf("ladder lacks a retransmitted SYN-ACK:\n%s", full)
	}
	// ] and [ step through the attempts list; Backspace goes back.
	h.typeKeys("]")
	if h.app.detail.idx == idx && len(h.app.attempts.rows) > target+1 {
		t.Error("] did not open the next attempt")
	}
	h.typeKeys("[")
	if h.app.detail.idx != idx {
		t.Error("[ did not come back")
	}
	h.typeKeys("Tab", "j", "Tab", "G")
	h.typeKeys("Backspace")
	h.must("Attempts ")
	h.typeKeys("Backspace")
	h.must("Listeners, worst first")
}

// The kernel panel: era and source, limits with the ones deciding the
// verdict marked, counters highlighted when they support it.
func TestKernelPanel(t *testing.T) {
	r := sampleReport(t, "syn-queue-full-nocookies", analyze.ListFailed)
	h := newHarness(t, r, "samples/syn-queue-full-nocookies", 120, 40)
	h.typeKeys("Tab", "Tab", "Tab")
	if h.app.tv.GetFocus() != h.app.overview.kernel.focusTarget() {
		t.Fatal("three Tabs do not reach the kernel panel")
	}
	h.must("Kernel & limits", "Kernel Linux", "from sysctl kernel.osrelease", "Limits (ss+sysctl)", "tcp_syncookies")
	k := strings.Join(plainLines(kernelLines(r, &r.Listeners[0], 46)), "\n")
	for _, want := range []string{"tcp_syncookies                  0  ◀", "for syn_queue_full", "TCPReqQFullDrop"} {
		if !strings.Contains(k, want) {
			t.Errorf("kernel panel lacks %q:\n%s", want, k)
		}
	}
	if !strings.Contains(k, " ◀\n") {
		t.Errorf("no counter highlighted as supporting the verdict:\n%s", k)
	}
	h.typeKeys("G")
	h.golden("kernel-syn-queue-full-nocookies")
}

// ? lists every key; Esc, q and ? close it; q there does not quit.
func TestHelpOverlay(t *testing.T) {
	r := sampleReport(t, "mixed-listeners", analyze.ListFailed)
	h := newHarness(t, r, "samples/mixed-listeners", 120, 40)
	h.typeKeys("?")
	h.must("Help — j/k scroll · Esc, q or ? closes", "How to find the problem", "Everywhere", "gg Home", "quit")
	h.golden("help")
	for _, closeKey := range []string{"Esc", "q", "?"} {
		h.typeKeys(closeKey)
		h.mustNot("How to find the problem")
		if h.app.stopped {
			t.Fatalf("%s in help quit", closeKey)
		}
		h.typeKeys("?")
	}
	// Scrolling reaches the end of the help.
	h.typeKeys("G")
	h.must("Mouse: click selects")
	h.typeKeys("Esc")
	// q quits from a view; Esc never does.
	h.typeKeys("Esc", "Esc")
	if h.app.stopped {
		t.Fatal("Esc quit")
	}
	h.typeKeys("q")
	if !h.app.stopped {
		t.Fatal("q did not quit")
	}
}

// Resizing re-flows the screen: wrapped headline, narrower columns.
func TestResize(t *testing.T) {
	r := sampleReport(t, "mixed-listeners", analyze.ListFailed)
	h := newHarness(t, r, "samples/mixed-listeners", 120, 40)
	h.screen.SetSize(80, 24)
	h.draw()
	h.golden("overview-80x24")
	for i, row := range strings.Split(h.text(), "\n") {
		if n := len([]rune(row)); n > 80 {
			t.Errorf("row %d is %d wide", i, n)
		}
	}
	h.must("most likely accept queue full", "10.77.0.1:8080", "Timeline of 10.77.0.1:8080")
	h.typeKeys("Enter", "Enter")
	h.must("Packets (ladder)", "SYN seq 0")
	h.screen.SetSize(120, 40)
	h.draw()
	h.must("Retransmits vs the expected schedule")
}

// Colours: the terminal's default colours plus red for failures; with
// NO_COLOR, attributes only (bold failures).
func TestColoursAndNoColor(t *testing.T) {
	r := sampleReport(t, "mixed-listeners", analyze.ListFailed)
	for _, noColor := range []bool{false, true} {
		h := newHarness(t, r, "x", 120, 40, func(c *Config) { c.NoColor = noColor })
		x, y := h.find("10.77.0.1:8082")
		cells, w, _ := h.screen.GetContents()
		fg, bg, attr := cells[y*w+x].Style.Decompose()
		if attr&tcell.AttrBold == 0 {
			t.Errorf("noColor=%v: a failing listener is not bold", noColor)
		}
		if bg != tcell.ColorDefault {
			t.Errorf("noColor=%v: background %v, want the terminal's", noColor, bg)
		}
		if noColor && fg != tcell.ColorDefault {
			t.Errorf("NO_COLOR: foreground %v", fg)
		}
		if !noColor && fg != tcell.ColorMaroon {
			t.Errorf("colour: failing listener foreground %v, want red (maroon)", fg)
		}
		// Every cell uses the terminal's default background, except none.
		for i, c := range cells {
			if _, b, _ := c.Style.Decompose(); b != tcell.ColorDefault && len(c.Runes) > 0 {
				t.Fatalf("noColor=%v: cell %d,%d has background %v", noColor, i%w, i/w, b)
			}
		}
	}
}

// Mouse: click selects a listener, double click opens, a click on a column
// title sorts, the wheel scrolls, a click outside the help closes it.
func TestMouse(t *testing.T) {
	r := sampleReport(t, "mixed-listeners", analyze.ListFailed)
	h := newHarness(t, r, "x", 120, 40)
	x, y := h.find("10.77.0.1:8082")
	h.mouse(tview.MouseLeftClick, x, y, tcell.Button1)
	h.must("Timeline of 10.77.0.1:8082")
	x, y = h.find("10.77.0.1:8080        6")
	h.mouse(tview.MouseLeftDoubleClick, x, y, tcell.Button1)
	h.must("Listeners › 10.77.0.1:8080", "Attempts 3 of 3")
	x, y = h.find("OUTCOME")
	h.mouse(tview.MouseLeftClick, x, y, tcell.Button1)
	h.must("OUTCOME ▲")
	h.mouse(tview.MouseLeftClick, x, y, tcell.Button1)
	h.must("OUTCOME ▼")
	x, y = h.find("10.77.0.2:40101")
	h.mouse(tview.MouseLeftDoubleClick, x, y, tcell.Button1)
	h.must("Listeners › 10.77.0.1:8080 › 10.77.0.2:40101")
	// Wheel over the verdict pane scrolls it.
	x, y = h.find("Why: unanswered")
	before := h.text()
	for range 5 {
		h.mouse(tview.MouseScrollDown, x+2, y+3, tcell.WheelDown)
	}
	if h.text() == before {
		t.Error("the wheel did not scroll the verdict pane")
	}
	h.typeKeys("?")
	h.mouse(tview.MouseLeftClick, 0, 0, tcell.Button1)
	h.mustNot("How to find the problem")
}

// gg, G, unknown keys.
func TestVimKeys(t *testing.T) {
	r := sampleReport(t, "mixed-listeners", analyze.ListFailed)
	h := newHarness(t, r, "x", 120, 40)
	h.typeKeys("G")
	h.must("Timeline of 10.77.0.1:8081")
	h.typeKeys("g")
	h.must("Timeline of 10.77.0.1:8081") // one g waits for the second
	h.typeKeys("g")
	h.must("Timeline of 10.77.0.1:8080")
	h.typeKeys("k")
	h.must("Timeline of 10.77.0.1:8080")
	h.typeKeys("Down", "Up", "Down")
	h.must("Timeline of 10.77.0.1:8082")
	h.typeKeys("x")
	h.must(`"x" does nothing here; press ? for the keys`)
	h.typeKeys("Esc")
	h.must("Esc does nothing here")
	if h.app.stopped {
		t.Fatal("Esc quit")
	}
}

// e and E write the listener or the attempt next to the user.
func TestExport(t *testing.T) {
	r := sampleReport(t, "mixed-listeners", analyze.ListFailed)
	h := newHarness(t, r, "x", 120, 40)
	dir := h.app.cfg.ExportDir
	h.typeKeys("e")
	md := filepath.Join(dir, "halfopen-10.77.0.1_8080.md")
	h.must("wrote " + md)
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "export-listener-mixed-listeners.md", strings.ReplaceAll(string(b), "../samples/", "samples/"))
	h.typeKeys("E")
	var lx struct {
		Listener analyze.Listener  `json:"listener"`
		Attempts []analyze.Attempt `json:"attempts"`
	}
	b, err = os.ReadFile(filepath.Join(dir, "halfopen-10.77.0.1_8080.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &lx); err != nil || lx.Listener.Server != "10.77.0.1:8080" || len(lx.Attempts) != 3 {
		t.Fatalf("listener JSON: %v, %q, %d attempts", err, lx.Listener.Server, len(lx.Attempts))
	}
	h.typeKeys("Enter", "Enter", "e")
	a := h.app.detail.attempt()
	md = filepath.Join(dir, attemptFileName(a, "md"))
	h.must("wrote " + md)
	b, err = os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# halfopen: 10.77.0.2:40100 → 10.77.0.1:8080 — unanswered", "## Packets", "SYN seq 0", "## Retransmits", "Fix, in this order"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("attempt Markdown lacks %q:\n%s", want, b)
		}
	}
	h.typeKeys("E")
	var ax struct {
		Attempt analyze.Attempt `json:"attempt"`
		Packets []rungJSON      `json:"packets"`
	}
	b, err = os.ReadFile(filepath.Join(dir, attemptFileName(a, "json")))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ax); err != nil || ax.Attempt.Client != a.Client || len(ax.Packets) == 0 {
		t.Fatalf("attempt JSON: %v, %q, %d packets", err, ax.Attempt.Client, len(ax.Packets))
	}
	// A directory that cannot be written: the status line says so.
	h.app.cfg.ExportDir = filepath.Join(dir, "missing", "dir")
	h.typeKeys("e")
	h.must("export failed")
}

// The ladder cannot always be read back (standard input, a moved file):
// the detail says why instead of failing.
func TestLadderError(t *testing.T) {
	r := sampleReport(t, "mixed-listeners", analyze.ListFailed)
	h := newHarness(t, r, "x", 120, 40, func(c *Config) {
		c.Ladder = func(*analyze.Report, *analyze.Attempt) ([]analyze.Rung, error) {
			return nil, errors.New("-: standard input cannot be read twice")
		}
	})
	h.typeKeys("Enter", "Enter")
	h.must("cannot read the packets back", "standard input cannot be read", "Client SYNs")
}

// runLoop runs an App with its real event loop on a simulation screen.
type runLoop struct {
	t        *testing.T
	app      *App
	screen   tcell.SimulationScreen
	finished chan struct{} // closed when Run has returned err
	err      error
}

func startLoop(t *testing.T, cfg Config, w, h int) *runLoop {
	t.Helper()
	s := tcell.NewSimulationScreen("UTF-8")
	cfg.Screen = s
	app := New(cfg)
	s.SetSize(w, h)
	rl := &runLoop{t: t, app: app, screen: s, finished: make(chan struct{})}
	go func() {
		rl.err = app.Run()
		close(rl.finished)
	}()
	t.Cleanup(func() {
		select {
		case <-rl.finished:
		default:
			app.tv.QueueUpdate(app.quit)
			<-rl.finished
		}
	})
	return rl
}

// end waits for Run to return and gives its error.
func (rl *runLoop) end() error {
	rl.t.Helper()
	select {
	case <-rl.finished:
		return rl.err
	case <-time.After(5 * time.Second):
		rl.t.Fatal("Run did not return")
	}
	return nil
}

// snapshot reads the screen inside the event loop, so it never races a draw.
func (rl *runLoop) snapshot() string {
	var text string
	rl.app.tv.QueueUpdate(func() { text = screenText(rl.screen) })
	return text
}

// wait polls until the screen shows every text, or fails after 5 s.
func (rl *runLoop) wait(texts ...string) string {
	rl.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := rl.snapshot()
		ok := true
		for _, x := range texts {
			ok = ok && strings.Contains(s, x)
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			rl.t.Fatalf("timed out waiting for %q:\n%s", texts, s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (rl *runLoop) press(k tcell.Key, r rune) { rl.screen.InjectKey(k, r, tcell.ModNone) }

// A loader runs in a goroutine while the progress indicator shows; the UI
// answers keys meanwhile; the report then replaces the indicator. Real
// event loop, real key and mouse events, resize events.
func TestRunLoopLoadProgressKeysMouse(t *testing.T) {
	r := sampleReport(t, "mixed-listeners", analyze.ListFailed)
	release := make(chan struct{})
	var once sync.Once
	cfg := Config{
		Title:  "samples/mixed-listeners",
		Inputs: []string{"samples/mixed-listeners/capture.pcap"},
		Sizes:  []int64{2000},
		Ladder: analyze.Ladder,
		Load: func(progress func(int, int64)) (*analyze.Report, error) {
			progress(0, 1000)
			<-release
			progress(0, 2000)
			return r, nil
		},
	}
	rl := startLoop(t, cfg, 100, 30)
	rl.wait("Reading 1 capture — 50%", "[████████")
	rl.press(tcell.KeyRune, '?') // responsive while loading
	rl.wait("How to find the problem")
	rl.press(tcell.KeyEscape, 0)
	rl.wait("Reading 1 capture")
	once.Do(func() { close(release) })
	rl.wait("Listeners, worst first", "10.77.0.1:8080")

	// A real click (press and release) on a row selects it.
	s := rl.snapshot()
	var x, y int
	for row, l := range strings.Split(s, "\n") {
		if i := strings.Index(l, "10.77.0.1:8082"); i >= 0 {
			x, y = len([]rune(l[:i])), row
		}
	}
	rl.screen.InjectMouse(x, y, tcell.Button1, tcell.ModNone)
	rl.screen.InjectMouse(x, y, tcell.ButtonNone, tcell.ModNone)
	rl.wait("Timeline of 10.77.0.1:8082")

	// Resize: the screen re-flows.
	rl.app.tv.QueueUpdate(func() { rl.screen.SetSize(70, 20) })
	rl.screen.PostEvent(tcell.NewEventResize(70, 20))
	s = rl.wait("Listeners, worst first")
	for i, row := range strings.Split(s, "\n") {
		if len([]rune(row)) > 70 {
			t.Fatalf("after resize, row %d is wider than 70:\n%s", i, s)
		}
	}

	// The ladder loads in the background.
	rl.press(tcell.KeyRune, 'g')
	rl.press(tcell.KeyRune, 'g')
	rl.press(tcell.KeyEnter, 0)
	rl.wait("Attempts")
	rl.press(tcell.KeyEnter, 0)
	rl.wait("SYN seq 0")
	rl.press(tcell.KeyRune, 'q')
	if err := rl.end(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// A load that fails shows the error; Run returns it once the user quits.
func TestRunLoopLoadError(t *testing.T) {
	cfg := Config{
		Inputs: []string{"x.pcap"},
		Sizes:  []int64{0},
		Load: func(func(int, int64)) (*analyze.Report, error) {
			return nil, errors.New("x.pcap: not a capture")
		},
	}
	rl := startLoop(t, cfg, 80, 24)
	rl.wait("halfopen could not analyse the input:", "x.pcap: not a capture")
	rl.press(tcell.KeyEscape, 0) // not a way out
	rl.press(tcell.KeyRune, 'q')
	if err := rl.end(); err == nil || !strings.Contains(err.Error(), "not a capture") {
		t.Fatalf("Run returned %v", err)
	}
}

// Every committed sample opens, and every listener, attempt list and
// first attempt renders at two sizes without a panic; the headline and the
// failing listener's top branch are on the first screen.
func TestEverySample(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("..", "samples", "*"))
	n := 0
	for _, dir := range dirs {
		if !analyze.IsBundle(dir) {
			continue
		}
		n++
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			r := sampleReport(t, name, analyze.ListFailed)
			for _, size := range [][2]int{{120, 40}, {80, 24}} {
				h := newHarness(t, r, "samples/"+name, size[0], size[1])
				h.must("Listeners, worst first")
				if len(r.Listeners) > 0 && r.Listeners[0].Failed > 0 {
					b, _ := topBranch(&r.Listeners[0])
					h.must(b[:min(len(b), 15)])
				}
				for i := range r.Listeners {
					h.typeKeys("Enter")
					h.must("Listeners › " + r.Listeners[i].Server)
					if len(h.app.attempts.rows) > 0 {
						h.typeKeys("Enter")
						h.must("Packets (ladder)")
						if lr := h.app.ladders[h.app.detail.idx]; lr.err != nil {
							t.Errorf("%s: ladder: %v", r.Listeners[i].Server, lr.err)
						}
						h.typeKeys("Esc")
					}
					h.typeKeys("Esc", "j")
				}
			}
		})
	}
	if n == 0 {
		t.Skip("no sample bundles under ../samples")
	}
}

// README.md shows two golden screens; -update refreshes them with the
// goldens (this test runs after the ones that write them).
func TestREADMEScreens(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	var out strings.Builder
	rest := readme
	for {
		i := strings.Index(rest, "<!-- screen:")
		if i < 0 {
			out.WriteString(rest)
			break
		}
		j := strings.Index(rest[i:], " -->")
		k := strings.Index(rest[i:], "<!-- /screen -->")
		if j < 0 || k < 0 {
			t.Fatal("README.md: unterminated screen marker")
		}
		name := rest[i+len("<!-- screen:") : i+j]
		golden, err := os.ReadFile(filepath.Join("testdata", name+".golden"))
		if err != nil {
			t.Fatalf("README.md shows %s: %v", name, err)
		}
		out.WriteString(rest[:i+j+len(" -->")] + "\n```\n" + string(golden) + "```\n")
		rest = rest[i+k:]
	}
	if *update {
		if err := os.WriteFile("README.md", []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if out.String() != readme {
		t.Error("README.md screens differ from testdata/*.golden (go test ./ui -update rewrites them)")
	}
}

// README.md lists every key of the key table.
func TestREADMEKeys(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keyTable() {
		if !strings.Contains(string(b), "`"+k.name+"`") {
			t.Errorf("README.md does not list the key %s (%s)", k.name, k.desc)
		}
	}
}

// A capture whose first frame is stamped 1970 (the rest in 2026) must
// draw a timeline sized by the listener's activity, not by decades.
func TestTimelineAbsurdCaptureSpan(t *testing.T) {
	r := sampleReport(t, "accept-queue-full-syn", analyze.ListFailed)
	epoch := "1970-01-01T00:00:01Z"
	r.Captures[0].First = &epoch
	h := newHarness(t, r, "absurd", 120, 40)
	h.must("Timeline of 10.77.0.1:8080")
	if strings.Contains(h.text(), "1970") {
		t.Error("the timeline's axis reaches back to 1970")
	}
}
