package render

import (
	"fmt"
	"io"
	"testing"

	"github.com/halfopen/halfopen/analyze"
)

// bigReport builds a report with n failing listeners on one capture, each
// with a verdict (evidence, fix) and two listed failed attempts: the shape
// of a port scan or a fleet-wide outage, built directly so the renderers'
// cost is measured without the analysis.
func bigReport(n int) *analyze.Report {
	first := "2026-11-20T10:00:00.000000000Z"
	r := &analyze.Report{
		Schema: analyze.Schema, Generator: "halfopen bench", Headline: "many listeners failed",
		Totals: analyze.Totals{Captures: 1, Listeners: n, FailingListeners: n, Attempts: int64(4 * n), Failed: int64(2 * n)},
	}
	c := analyze.Capture{Index: 0, Path: "big.pcap", Format: "pcap", First: &first, Last: &first, Warnings: []string{}, Snapshots: []string{}}
	branch, conf := "accept_queue_full_syn", 0.9
	for i := range n {
		server := fmt.Sprintf("10.%d.%d.%d:%d", i>>16&255, i>>8&255, i&255, 80+i%7)
		l := analyze.Listener{
			Server: server, Captures: []int{0}, Attempts: 4, Failed: 2, FailureRate: 0.5,
			Outcomes: map[string]int64{"established": 2, "unanswered": 2},
			Branches: map[string]int64{branch: 2},
			Verdicts: []analyze.Verdict{{
				Branch: branch, Title: "Accept queue full", Confidence: conf, Attempts: 2, Summary: "The accept queue is full.",
				Evidence: []analyze.Evidence{{Kind: "packets", Text: "2 attempts"}, {Kind: "counter", Text: "ListenOverflows +2"}},
				Fix:      []analyze.Fix{{Action: "Raise somaxconn", Command: "sysctl -w net.core.somaxconn=4096"}},
			}},
			Listed: 2,
		}
		r.Listeners = append(r.Listeners, l)
		c.Listeners = append(c.Listeners, l)
		for k := range 2 {
			r.Attempts = append(r.Attempts, analyze.Attempt{
				Capture: 0, Client: fmt.Sprintf("192.0.2.%d:%d", k+1, 40000+i%20000), Server: server, FirstSYN: first,
				SYNs: 3, Outcome: "unanswered", Branch: &branch, Confidence: &conf, Evidence: []analyze.Evidence{},
			})
		}
	}
	r.Captures = []analyze.Capture{c}
	return r
}

// renderers are every report format, at their CLI settings with the most
// output (text -v with all attempts).
var renderers = []struct {
	name   string
	render func(io.Writer, *analyze.Report) error
}{
	{"text", func(w io.Writer, r *analyze.Report) error {
		return Text(w, r, TextOptions{Attempts: 10})
	}},
	{"text-verbose", func(w io.Writer, r *analyze.Report) error {
		return Text(w, r, TextOptions{Attempts: -1, Verbose: true})
	}},
	{"json", JSON},
	{"markdown", func(w io.Writer, r *analyze.Report) error { return Markdown(w, r, MarkdownOptions{Attempts: 50}) }},
	{"junit", JUnit},
	{"diff-text", func(w io.Writer, r *analyze.Report) error { return DiffText(w, analyze.Compare(r, r)) }},
	{"diff-markdown", func(w io.Writer, r *analyze.Report) error { return DiffMarkdown(w, analyze.Compare(r, r)) }},
	{"diff-json", func(w io.Writer, r *analyze.Report) error { return DiffJSON(w, analyze.Compare(r, r)) }},
}

// BenchmarkRenderListeners renders every format at 10k and 100k failing
// listeners. A linear renderer takes about ten times as long for 100k as
// for 10k; a quadratic one a hundred times (text -v took 158 s for 100k).
func BenchmarkRenderListeners(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		r := bigReport(n)
		for _, rd := range renderers {
			b.Run(fmt.Sprintf("%s/%dk", rd.name, n/1000), func(b *testing.B) {
				for b.Loop() {
					if err := rd.render(io.Discard, r); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkVisibleCopy is the escaping walk every text, Markdown and
// JUnit report makes, on 10k listeners with nothing to escape.
func BenchmarkVisibleCopy(b *testing.B) {
	r := bigReport(10_000)
	for b.Loop() {
		if VisibleCopy(r) != r {
			b.Fatal("copied a report without anything to escape")
		}
	}
}
