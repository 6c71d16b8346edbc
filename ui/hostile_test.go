package ui

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gdamore/tcell/v2"
	"github.com/halfopen/halfopen/analyze"
	"github.com/halfopen/halfopen/analyze/render"
)

// hostile attacks the terminal (retitle, clear screen, C1 CSI, DEL, a
// right-to-left override, a byte that is not UTF-8), tview (colour and
// region tags) and Markdown exports (HTML, a heading after a newline).
const hostile = "evil\x1b]0;owned\x07\x1b[2J<img src=x onerror=alert(1)>\n# Heading \u202egnp.\u009b31m\x7f\xff[red]R[\"reg\"]"

// rawControl returns the first character of s that would act on a
// terminal (newlines between lines aside), or -1.
func rawControl(s string) rune {
	if !utf8.ValidString(s) {
		return utf8.RuneError
	}
	for _, r := range s {
		if r != '\n' && (r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0x202e) {
			return r
		}
	}
	return -1
}

// screenClean fails when a cell of the screen holds a control character.
func screenClean(t *testing.T, h *harness, where string) {
	t.Helper()
	cells, _, _ := h.screen.GetContents()
	for _, c := range cells {
		if r := rawControl(string(c.Runes)); r >= 0 {
			t.Fatalf("%s: a cell holds U+%04X:\n%s", where, r, h.text())
		}
	}
}

// TestHostileNamesTUI: a capture path, warnings, snapshot names, kernel
// and evidence strings from outside show with their control characters
// made visible and their tview tags as text, on every screen, in the
// loading error and in the Markdown export.
func TestHostileNamesTUI(t *testing.T) {
	r := sampleReport(t, "accept-queue-full-syn", analyze.ListFailed)
	c := &r.Captures[0]
	c.Path = "/tmp/" + hostile + "/capture.pcap"
	c.Warnings = append(c.Warnings, "cannot read "+hostile)
	c.Snapshots = append(c.Snapshots, "/tmp/"+hostile+"/ss.txt")
	c.Kernel.Name += " " + hostile
	v := &r.Listeners[0].Verdicts[0]
	v.Evidence = append([]analyze.Evidence{{Kind: "counter", Text: "nstat between " + hostile}}, v.Evidence...)
	h := newHarness(t, r, "halfopen "+hostile, 160, 50)
	screenClean(t, h, "overview")
	h.must(`[red]R["reg"]`, `evil\x1b]0;owned\x07\x1b[2J<img`)
	h.typeKeys("Enter")
	screenClean(t, h, "attempts")
	h.typeKeys("Enter")
	screenClean(t, h, "detail")
	h.must(`\u202egnp.\u009b31m\x7f\xff[red]R`)
	h.typeKeys("e")
	screenClean(t, h, "export")
	h.typeKeys("Backspace", "Backspace", "e")
	md, err := os.ReadFile(filepath.Join(h.app.cfg.ExportDir, listenerFileName(&r.Listeners[0], "md")))
	if err != nil {
		t.Fatal(err)
	}
	if r := rawControl(string(md)); r >= 0 {
		t.Errorf("the Markdown export holds U+%04X", r)
	}
	// a code span shows <img> as text; nothing else may hold it
	outside := regexp.MustCompile("`[^`]*`").ReplaceAllString(string(md), "CODE")
	if strings.Contains(outside, "<img") || strings.Contains(outside, "\n# Heading") {
		t.Errorf("the Markdown export lets HTML or a heading through:\n%s", md)
	}
}

// TestHostileLoadError: a load error and input names with control
// characters show visibly on the loading screen.
func TestHostileLoadError(t *testing.T) {
	cfg := Config{
		Inputs: []string{hostile + ".pcap"},
		Sizes:  []int64{0},
		Load: func(func(int, int64)) (*analyze.Report, error) {
			return nil, &os.PathError{Op: "open", Path: hostile, Err: os.ErrNotExist}
		},
	}
	rl := startLoop(t, cfg, 160, 24)
	rl.wait("halfopen could not analyse the input:", render.Visible("\x1b]0;owned\x07"))
	rl.press(tcell.KeyRune, 'q')
	rl.end()
}
