package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/halfopen/halfopen/analyze"
)

// FuzzDiffJSON feeds diff's JSON input: whatever ReadReport accepts is
// compared with itself and with an empty report and rendered in every
// diff format without a panic, a raw control character, a rate above
// 100% or an infinite one, and as valid JSON. Run it with
// go test ./analyze/render -run '^$' -fuzz FuzzDiffJSON.
func FuzzDiffJSON(f *testing.F) {
	var seed bytes.Buffer
	JSON(&seed, bigReport(3))
	f.Add(seed.Bytes())
	f.Add([]byte(`{"schema":"halfopen/v1","totals":{"attempts":0,"failed":5},"listeners":[{"server":"a","attempts":0,"failed":5,"failure_rate":0.7}]}`))
	f.Add([]byte(`{"schema":"halfopen/v1","listeners":[{"server":"\u001b]0;x\u0007<img src=x>","attempts":2,"failed":1,"failure_rate":0.5,"failure_rate_all":0.5,"branches":{"\u009b31m|x":1},"verdicts":[{"branch":"\n# h","confidence":1}]}]}`))
	f.Add([]byte(`{"schema":"halfopen/v1","listeners":[{"server":"a","attempts":1,"failed":1,"failure_rate":1e308}]}`))
	empty := &analyze.Report{Schema: analyze.Schema}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := analyze.ReadReport(data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("a multi-line error: %q", err)
			}
			return
		}
		for _, d := range []*analyze.Diff{analyze.Compare(r, r), analyze.Compare(empty, r), analyze.Compare(r, empty)} {
			var text, md, js bytes.Buffer
			if err := DiffText(&text, d); err != nil {
				t.Fatal(err)
			}
			if err := DiffMarkdown(&md, d); err != nil {
				t.Fatal(err)
			}
			if err := DiffJSON(&js, d); err != nil {
				t.Fatal(err)
			}
			for name, out := range map[string]string{"text": text.String(), "markdown": md.String(), "json": js.String()} {
				if r := firstRawControl(out); r >= 0 {
					t.Fatalf("%s holds U+%04X:\n%q", name, r, out)
				}
			}
			for _, bad := range []string{"Inf%", "NaN%"} {
				if strings.Contains(text.String(), bad) {
					t.Fatalf("text says %q:\n%s", bad, text.String())
				}
			}
			if !json.Valid(js.Bytes()) {
				t.Fatalf("diff JSON is not valid:\n%s", js.String())
			}
		}
	})
}

// firstRawControl is the first character of s that acts on a terminal
// (the newlines between lines aside), or -1; RuneError for bytes that are
// not UTF-8.
func firstRawControl(s string) rune {
	if !utf8.ValidString(s) {
		return utf8.RuneError
	}
	for _, r := range s {
		if r != '\n' && actsOnTerminal(r) {
			return r
		}
	}
	return -1
}
