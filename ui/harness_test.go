package ui

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/halfopen/halfopen/analyze"
	"github.com/rivo/tview"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current screens")

// sampleReport analyses a committed sample bundle (../samples/NAME) the way
// halfopen tui does. Tests may analyse; the UI never does.
func sampleReport(t *testing.T, name string, policy analyze.ListPolicy) *analyze.Report {
	t.Helper()
	dir := filepath.Join("..", "samples", name)
	if !analyze.IsBundle(dir) {
		t.Skipf("sample %s is missing (samples/ not checked out?)", name)
	}
	in, err := analyze.LoadBundle(dir, analyze.SnapshotFiles{})
	if err != nil {
		t.Fatal(err)
	}
	r := analyze.Run([]analyze.Input{in}, analyze.Options{List: policy, MaxListed: analyze.DefaultMaxListed, Generator: "halfopen test"})
	for _, c := range r.Captures {
		if c.Error != "" {
			t.Fatalf("%s: %s", c.Path, c.Error)
		}
	}
	return r
}

// harness drives an App on a simulation screen without its event loop:
// keys go straight to the input handler, background work runs inline and
// every step draws synchronously — no sleeps, no races.
type harness struct {
	t      *testing.T
	app    *App
	screen tcell.SimulationScreen
}

func newHarness(t *testing.T, r *analyze.Report, title string, w, h int, opts ...func(*Config)) *harness {
	t.Helper()
	s := tcell.NewSimulationScreen("UTF-8")
	cfg := Config{Report: r, Title: title, Ladder: analyze.Ladder, Screen: s, ExportDir: t.TempDir()}
	for _, o := range opts {
		o(&cfg)
	}
	app := New(cfg)
	app.syncWork = true
	s.SetSize(w, h)
	hs := &harness{t: t, app: app, screen: s}
	hs.draw()
	return hs
}

func (h *harness) draw() { h.app.tv.ForceDraw() }

// key sends one key as the event loop would: the input capture first,
// then the focused widget for whatever the capture lets through.
func (h *harness) key(k tcell.Key, r rune) {
	h.t.Helper()
	ev := tcell.NewEventKey(k, r, tcell.ModNone)
	if out := h.app.onKey(ev); out != nil {
		focus := h.app.tv.GetFocus()
		if focus != nil {
			if handler := focus.InputHandler(); handler != nil {
				handler(out, func(p tview.Primitive) { h.app.tv.SetFocus(p) })
			}
		}
	}
	h.draw()
}

// typeKeys sends each rune of s; a few names stand for special keys.
func (h *harness) typeKeys(keys ...string) {
	h.t.Helper()
	for _, k := range keys {
		switch k {
		case "Enter":
			h.key(tcell.KeyEnter, 0)
		case "Esc":
			h.key(tcell.KeyEscape, 0)
		case "Tab":
			h.key(tcell.KeyTab, 0)
		case "Backspace":
			h.key(tcell.KeyBackspace2, 0)
		case "Down":
			h.key(tcell.KeyDown, 0)
		case "Up":
			h.key(tcell.KeyUp, 0)
		default:
			for _, r := range k {
				h.key(tcell.KeyRune, r)
			}
		}
	}
}

// mouse sends a mouse action to the root's handler, as tview would after
// turning raw button events into clicks.
func (h *harness) mouse(action tview.MouseAction, x, y int, buttons tcell.ButtonMask) {
	ev := tcell.NewEventMouse(x, y, buttons, tcell.ModNone)
	root := h.app.pages
	_, _ = root.MouseHandler()(action, ev, func(p tview.Primitive) { h.app.tv.SetFocus(p) })
	h.draw()
}

// text is the drawn screen, one string per row, trailing blanks cut.
func (h *harness) text() string {
	return screenText(h.screen)
}

func screenText(s tcell.SimulationScreen) string {
	cells, w, hgt := s.GetContents()
	var b strings.Builder
	for y := 0; y < hgt; y++ {
		var row strings.Builder
		for x := 0; x < w; x++ {
			c := cells[y*w+x]
			if len(c.Runes) == 0 {
				row.WriteRune(' ')
				continue
			}
			row.WriteString(string(c.Runes))
		}
		b.WriteString(strings.TrimRight(row.String(), " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// find locates text on the screen: its column and row, or -1, -1.
func (h *harness) find(text string) (int, int) {
	for y, row := range strings.Split(h.text(), "\n") {
		if i := strings.Index(row, text); i >= 0 {
			return len([]rune(row[:i])), y
		}
	}
	return -1, -1
}

// must fails unless the screen shows every text.
func (h *harness) must(texts ...string) {
	h.t.Helper()
	screen := h.text()
	for _, s := range texts {
		if !strings.Contains(screen, s) {
			h.t.Fatalf("screen lacks %q:\n%s", s, screen)
		}
	}
}

// mustNot fails if the screen shows any of the texts.
func (h *harness) mustNot(texts ...string) {
	h.t.Helper()
	screen := h.text()
	for _, s := range texts {
		if strings.Contains(screen, s) {
			h.t.Fatalf("screen shows %q:\n%s", s, screen)
		}
	}
}

// golden compares the screen with testdata/NAME.golden (-update rewrites it).
func (h *harness) golden(name string) {
	h.t.Helper()
	checkGolden(h.t, name, h.text())
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ui -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("screen differs from %s (go test ./ui -update rewrites it)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}
