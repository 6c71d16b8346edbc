package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/halfopen/halfopen/analyze/render"
)

// hostile is a file-name part made to attack every sink: terminal escape
// sequences (retitle, clear screen), a newline and a Markdown heading,
// HTML, code, table and link markup, a right-to-left override, a C1 CSI,
// DEL, a byte that is not UTF-8 and tview colour and region tags.
const hostile = "evil\x1b]0;owned\x07\x1b[2J<img src=x onerror=alert(1)>\n# Heading `tick` | pipe [link](www.evil.example) *em* _u_ ~~s~~ a@b.example \u202egnp.\u009b31m\x7f\xff[red]R[\"reg\"]"

// hostileBundle lays out, under dir, a bundle directory whose name and
// counter snapshot names are hostile (evidence quotes snapshot names),
// with a hostile kernel release in uname.txt, and a failing capture file
// named hostilely. It returns the two arguments to analyse.
func hostileBundle(t *testing.T, dir string) (bundle, capture string) {
	t.Helper()
	sample := filepath.Join(moduleRoot(t), "samples", "accept-queue-full-syn")
	bundle = filepath.Join(dir, "b-"+hostile)
	if err := os.MkdirAll(bundle, 0o755); err != nil {
		t.Fatal(err)
	}
	copies := map[string]string{
		"capture.pcap": "capture.pcap", "sysctl.txt": "sysctl.txt", "ss.txt": "ss.txt",
		"nstat-1-before.txt": "nstat-1-" + hostile + ".txt", "nstat-2-after.txt": "nstat-2-" + hostile + ".txt",
	}
	for from, to := range copies {
		b, err := os.ReadFile(filepath.Join(sample, from))
		if err != nil {
			t.Skipf("sample missing: %v", err)
		}
		if err := os.WriteFile(filepath.Join(bundle, to), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(bundle, "uname.txt"), []byte("6.18.44\x1b]0;k\x07<b>k</b>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := craftPcap("unanswered")
	if err != nil {
		t.Fatal(err)
	}
	capture = filepath.Join(dir, "c-"+hostile+".pcap")
	if err := os.WriteFile(capture, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return bundle, capture
}

// noRawControls fails when out holds a character that acts on a
// terminal (other than the newlines between lines) or bytes that are not
// UTF-8.
func noRawControls(t *testing.T, what string, out []byte) {
	t.Helper()
	if !utf8.Valid(out) {
		t.Errorf("%s: output is not valid UTF-8", what)
	}
	for i, r := range string(out) {
		if r == '\n' {
			continue
		}
		if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0x202e {
			lo := max(0, i-40)
			t.Errorf("%s: raw U+%04X at byte %d: %q", what, r, i, out[lo:min(len(out), i+40)])
			return
		}
	}
}

var ansiColour = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// markdownIsOurs fails when Markdown output holds HTML or headings that
// are not halfopen's own, or a table row whose cells a name split.
func markdownIsOurs(t *testing.T, what, md string) {
	t.Helper()
	for _, tag := range regexp.MustCompile(`<[A-Za-z/][^>]*>?`).FindAllString(stripCodeSpans(md), -1) {
		switch tag {
		case "<details>", "</details>", "<summary>", "</summary>":
		default:
			t.Errorf("%s: HTML %q in the Markdown", what, tag)
		}
	}
	header := -1
	for _, line := range strings.Split(md, "\n") {
		line = stripCodeSpans(line)
		if strings.HasPrefix(line, "#") && !regexp.MustCompile("^#{2,4} ([✅❌] halfopen|halfopen diff|CODE)").MatchString(line) {
			t.Errorf("%s: a heading that is not halfopen's: %q", what, line)
		}
		if !strings.HasPrefix(line, "|") {
			header = -1
			continue
		}
		cells := len(unescapedPipe.FindAllString(line, -1))
		if header < 0 {
			header = cells
		} else if cells != header {
			t.Errorf("%s: table row with %d cell borders, header %d: %q", what, cells, header, line)
		}
	}
}

// stripCodeSpans drops the code spans of a Markdown line (CommonMark: a
// run of n backticks up to the next run of exactly n), where nothing is
// markup; a pipe in one still splits a table cell, so it is kept as |.
func stripCodeSpans(line string) string {
	var b strings.Builder
	for i := 0; i < len(line); {
		if line[i] == '\\' && i+1 < len(line) {
			b.WriteString(line[i : i+2])
			i += 2
			continue
		}
		if line[i] != '`' {
			b.WriteByte(line[i])
			i++
			continue
		}
		n := 0
		for i+n < len(line) && line[i+n] == '`' {
			n++
		}
		end := -1
		for j := i + n; j < len(line); {
			if line[j] != '`' {
				j++
				continue
			}
			m := 0
			for j+m < len(line) && line[j+m] == '`' {
				m++
			}
			if m == n {
				end = j
				break
			}
			j += m
		}
		if end < 0 {
			b.WriteString(line[i : i+n])
			i += n
			continue
		}
		code := line[i+n : end]
		for k := range len(code) {
			if code[k] == '|' && (k == 0 || code[k-1] != '\\') {
				b.WriteByte('|')
			}
		}
		b.WriteString("CODE")
		i = end + n
	}
	return b.String()
}

// unescapedPipe matches a | that is not backslash-escaped (an even run of
// backslashes before it, none included).
var unescapedPipe = regexp.MustCompile(`(^|[^\\])(\\\\)*\|`)

// TestHostileNames feeds file names, snapshot names and a kernel string
// made to attack terminals, Markdown, HTML and XML through every output
// (text, JSON, Markdown, JUnit, diff, stderr): none lets a control
// character, HTML or a heading through, and JSON keeps the names as they
// are.
func TestHostileNames(t *testing.T) {
	dir := t.TempDir()
	bundle, capture := hostileBundle(t, dir)
	shown := render.Visible(hostile)
	if shown == hostile || strings.ContainsAny(shown, "\x1b\n\x7f") {
		t.Fatalf("Visible(hostile) = %q", shown)
	}
	outs := map[string][]byte{}
	for _, format := range []string{"text", "json", "markdown", "junit"} {
		var out, errb bytes.Buffer
		code := run([]string{"analyze", "--format", format, "--color", "always", "--attempts", "-1", "-v", bundle, capture}, nil, &out, &errb)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, errb.String())
		}
		outs[format] = out.Bytes()
		noRawControls(t, format+" stderr", errb.Bytes())
	}

	text := ansiColour.ReplaceAll(outs["text"], nil)
	noRawControls(t, "text", text)
	// the text report wraps lines at spaces: look for space-free parts
	for _, want := range []string{`c-evil\x1b]0;owned\x07\x1b[2J<img`, `\u202egnp.\u009b31m\x7f\xff[red]R["reg"].pcap`, `nstat-1-evil\x1b]0;owned\x07`} {
		if !bytes.Contains(text, []byte(want)) {
			t.Errorf("text lacks the visible name part %q", want)
		}
	}

	noRawControls(t, "json", outs["json"])
	var doc struct {
		Captures []struct {
			Path      string   `json:"path"`
			Snapshots []string `json:"snapshots"`
		} `json:"captures"`
	}
	if err := json.Unmarshal(outs["json"], &doc); err != nil {
		t.Fatalf("json: %v", err)
	}
	raw := strings.ToValidUTF8(hostile, "\uFFFD") // JSON strings are UTF-8
	var paths []string
	for _, c := range doc.Captures {
		paths = append(paths, c.Path)
	}
	if len(paths) != 2 || !strings.Contains(paths[0]+paths[1], "c-"+raw+".pcap") || !strings.Contains(paths[0]+paths[1], "b-"+raw) {
		t.Errorf("json does not keep the names as they are: %q", paths)
	}

	md := string(outs["markdown"])
	noRawControls(t, "markdown", outs["markdown"])
	markdownIsOurs(t, "markdown", md)
	if !strings.Contains(md, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Error("markdown lacks the escaped <img> of the names")
	}

	noRawControls(t, "junit", outs["junit"])
	var suites junitDoc
	if err := xml.Unmarshal(outs["junit"], &suites); err != nil {
		t.Fatalf("junit is not well-formed: %v", err)
	}
	found := false
	for _, s := range suites.Suites {
		for _, p := range s.Props {
			found = found || p.Name == "capture" && strings.Contains(p.Value, "c-"+shown+".pcap")
		}
	}
	if !found {
		t.Errorf("junit lacks the capture property with the visible name")
	}
	if xmllint, err := exec.LookPath("xmllint"); err == nil {
		file := filepath.Join(dir, "report.xml")
		os.WriteFile(file, outs["junit"], 0o644)
		xsd := filepath.Join(moduleRoot(t), "analyze", "render", "testdata", "junit.xsd")
		if out, err := exec.Command(xmllint, "--noout", "--schema", xsd, file).CombinedOutput(); err != nil {
			t.Errorf("xmllint rejects the JUnit report: %v\n%s", err, out)
		}
	}

	hostileDiff(t, dir, outs["json"])
	hostileErrors(t, dir)
}

type junitDoc struct {
	Suites []struct {
		Props []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
	} `xml:"testsuite"`
}

// hostileDiff compares the report with a copy whose listener and branch
// names were replaced by hostile ones, in every diff format.
func hostileDiff(t *testing.T, dir string, report []byte) {
	t.Helper()
	before := filepath.Join(dir, "before.json")
	if err := os.WriteFile(before, report, 0o644); err != nil {
		t.Fatal(err)
	}
	quoted, _ := json.Marshal(hostile)
	inner := string(quoted[1 : len(quoted)-1])
	after := strings.ReplaceAll(string(report), "10.0.0.1:80", inner)
	after = strings.ReplaceAll(after, "accept_queue_full_syn", inner)
	afterPath := filepath.Join(dir, "after.json")
	if err := os.WriteFile(afterPath, []byte(after), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "markdown", "json"} {
		var out, errb bytes.Buffer
		if code := run([]string{"diff", "--format", format, before, afterPath, "--fail-on", "regressed"}, nil, &out, &errb); code > 1 {
			t.Fatalf("diff %s: exit %d: %s", format, code, errb.String())
		}
		noRawControls(t, "diff "+format, out.Bytes())
		noRawControls(t, "diff "+format+" stderr", errb.Bytes())
		if format == "markdown" {
			markdownIsOurs(t, "diff markdown", out.String())
		}
		if format == "text" && !strings.Contains(out.String(), render.Visible(strings.ToValidUTF8(hostile, "\uFFFD"))) {
			t.Errorf("diff text lacks the visible listener name:\n%s", out.String())
		}
	}
}

// hostileErrors: an unreadable file and a file that is no capture, both
// named hostilely, give one visible line each on stderr.
func hostileErrors(t *testing.T, dir string) {
	t.Helper()
	junk := filepath.Join(dir, "j-"+hostile+".pcap")
	os.WriteFile(junk, []byte("not a capture at all"), 0o644)
	var out, errb bytes.Buffer
	code := run([]string{"analyze", junk, filepath.Join(dir, "missing-"+hostile)}, nil, &out, &errb)
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	noRawControls(t, "stderr", errb.Bytes())
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	for _, l := range lines {
		if !strings.HasPrefix(l, "halfopen: ") {
			t.Errorf("stderr line not from halfopen (a name split it): %q", l)
		}
	}
	errb.Reset()
	run([]string{"analyze", "--format", "bogus\x1b[2J"}, nil, &out, &errb)
	noRawControls(t, "usage error", errb.Bytes())
}
