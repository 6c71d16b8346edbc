package render

import (
	"strings"
	"testing"
)

func TestVisible(t *testing.T) {
	for in, want := range map[string]string{
		"capture.pcap":               "capture.pcap",
		"été 日本 ✓ [fd00::1]:80":      "été 日本 ✓ [fd00::1]:80",
		`C:\dir\x1b`:                 `C:\dir\x1b`, // a backslash stays
		"a\x1b]0;t\x07b":             `a\x1b]0;t\x07b`,
		"line\nnext\r\ttab":          `line\nnext\r\ttab`,
		"del\x7f c1\u009b31m":        `del\x7f c1\u009b31m`,
		"rlo\u202egnp.exe lrm\u200e": `rlo\u202egnp.exe lrm\u200e`,
		"bad\xffutf8\xc3":            `bad\xffutf8\xc3`,
		"sep\u2028x":                 `sep\u2028x`,
	} {
		if got := Visible(in); got != want {
			t.Errorf("Visible(%q) = %q, want %q", in, got, want)
		}
		if got := Visible(Visible(in)); got != Visible(in) {
			t.Errorf("Visible is not idempotent on %q", in)
		}
		if IsVisible(in) != (in == want) {
			t.Errorf("IsVisible(%q) = %v", in, IsVisible(in))
		}
	}
}

// TestVisibleCopy: a report without anything to escape is returned as is;
// one with a hostile path is copied with the path made visible, the
// original untouched, and the capture can still be read back from the
// real file.
func TestVisibleCopy(t *testing.T) {
	r := craftedReport(t)
	if VisibleCopy(r) != r {
		t.Error("copied a report with nothing to escape")
	}
	file := r.Captures[0].File()
	r.Captures[0].Path = "x\x1b[2J.pcap"
	r.Listeners[0].Branches["evil\x1b"] = 1
	c := VisibleCopy(r)
	if c == r || c.Captures[0].Path != `x\x1b[2J.pcap` || r.Captures[0].Path != "x\x1b[2J.pcap" {
		t.Errorf("copy %q, original %q", c.Captures[0].Path, r.Captures[0].Path)
	}
	if c.Listeners[0].Branches[`evil\x1b`] != 1 || r.Listeners[0].Branches["evil\x1b"] != 1 {
		t.Error("map keys not escaped in the copy, or changed in the original")
	}
	if c.Captures[0].File() != file {
		t.Errorf("File() = %q, want %q", c.Captures[0].File(), file)
	}
	if &c.Attempts[0] != &r.Attempts[0] {
		t.Error("attempts without anything to escape were copied")
	}
}

func TestMarkdownEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"plain 10.0.0.1:80":                  "plain 10.0.0.1:80",
		"<img src=x onerror=alert(1)>":       "&lt;img src=x onerror=alert(1)&gt;",
		"a|b *c* _d_ `e` [f](g) ~h~ #i !j":   `a\|b \*c\* \_d\_ \` + "`" + `e\` + "`" + ` \[f\](g) \~h\~ \#i \!j`,
		"http://x.example www.y.example a@b": `http:\/\/x.example www\.y.example a\@b`,
		"&lt; \\ x\ny":                       `&amp;lt; \\ x\\ny`,
	} {
		if got := mdEscape(in); got != want {
			t.Errorf("mdEscape(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"- item": `\- item`, "+ x": `\+ x`, "=====": `\=====`, "1. x": `1\. x`, "12) x": `12\) x`,
		"   code": "&#32;  code", "2026 was": "2026 was", "10.0.0.1:80": `10\.0.0.1:80`,
	} {
		if got := mdLine(in); got != want {
			t.Errorf("mdLine(%q) = %q, want %q", in, got, want)
		}
	}
	for _, c := range []struct {
		in    string
		table bool
		want  string
	}{
		{"10.0.0.1:80", true, "`10.0.0.1:80`"},
		{"a`b", false, "`` a`b ``"},
		{"``x", false, "``` ``x ```"},
		{"a|b", true, "`a\\|b`"},
		{"a|b", false, "`a|b`"},
		{"", false, "` `"},
		{" x", false, "`  x `"},
		{"<img>\n", false, "`<img>\\n`"},
	} {
		if got := mdCode(c.in, c.table); got != c.want {
			t.Errorf("mdCode(%q, %v) = %q, want %q", c.in, c.table, got, c.want)
		}
	}
	block := MarkdownBlock("a\n```\n\x1b")
	if !strings.HasPrefix(block, "````\n") || !strings.HasSuffix(block, "\n````\n") || !strings.Contains(block, `\x1b`) {
		t.Errorf("MarkdownBlock = %q", block)
	}
}

// TestJSONSafe: the characters encoding/json leaves raw that act on a
// terminal are \u-escaped, the indentation's newlines are not.
func TestJSONSafe(t *testing.T) {
	in := "{\n  \"a\": \"x\u009b31m\u202e\x7fé\"\n}"
	want := "{\n  \"a\": \"x\\u009b31m\\u202e\\u007fé\"\n}"
	if got := string(jsonSafe([]byte(in))); got != want {
		t.Errorf("jsonSafe = %q, want %q", got, want)
	}
	clean := []byte("{\"a\": \"é\"}")
	if got := jsonSafe(clean); &got[0] != &clean[0] {
		t.Error("copied output with nothing to escape")
	}
}
