package ui

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/halfopen/halfopen/analyze"
	"github.com/halfopen/halfopen/analyze/render"
)

// exportWidth is the width of text blocks (ladder, timing) in exports.
const exportWidth = 100

// safeName turns an address into a file-name part: 10.0.0.1:80 →
// 10.0.0.1_80, [fd00::1]:80 → fd00--1_80.
func safeName(addr string) string {
	addr = strings.NewReplacer("[", "", "]", "").Replace(addr)
	if i := strings.LastIndex(addr, ":"); i >= 0 {
		addr = strings.ReplaceAll(addr[:i], ":", "-") + "_" + addr[i+1:]
	}
	var b strings.Builder
	for _, r := range addr {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	return b.String()
}

// listenerFileName names a listener export.
func listenerFileName(l *analyze.Listener, ext string) string {
	return "halfopen-" + safeName(l.Server) + "." + ext
}

// attemptFileName names an attempt export: client, server and the time
// of the first SYN (a 4-tuple can be reused).
func attemptFileName(a *analyze.Attempt, ext string) string {
	stamp := ""
	if t := parseTimeOf(a.FirstSYN); !t.IsZero() {
		stamp = "-" + t.UTC().Format("150405.000000")
	}
	return "halfopen-" + safeName(a.Client) + "-to-" + safeName(a.Server) + stamp + "." + ext
}

// md escapes text for a Markdown table cell or line: markup, HTML and
// control characters from file names read as text.
func md(s string) string { return render.MarkdownText(s) }

// code wraps s in a code span that survives backticks and pipes inside.
func code(s string) string { return render.MarkdownCode(s, true) }

// listenerMarkdown is a listener for a ticket: the numbers, the verdicts
// with evidence and fix, the limits, the kernel and its listed attempts.
func listenerMarkdown(r *analyze.Report, l *analyze.Listener, attempts []int) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# halfopen: %s — %s of %s failed (%s)\n\n", md(l.Server), render.Count(l.Failed), plural(l.Attempts, "attempt"), analyze.Percent(l.FailureRate))
	for _, i := range l.Captures {
		if i >= 0 && i < len(r.Captures) {
			c := &r.Captures[i]
			p("- Capture: %s (%s)\n", code(c.Path), captureSpan(c))
			if c.Kernel != nil {
				how := c.Kernel.Source
				if c.Kernel.Assumed {
					how += ", assumed"
				}
				p("- Kernel: %s (era %s, from %s)\n", md(c.Kernel.Name), c.Kernel.Era, md(how))
			}
		}
	}
	if l.FirstFailure != nil {
		p("- Failures: %s → %s UTC, peak %d/s\n", render.Clock(l.FirstFailure), render.Clock(l.LastFailure), l.PeakFailures)
	}
	p("- Outcomes: %s\n", md(render.OutcomeList(l.Outcomes)))
	if t := l.TimeToSynAck; t != nil {
		p("- Time to SYN-ACK: p50 %s, p90 %s, p99 %s, max %s\n", ms(t.P50), ms(t.P90), ms(t.P99), ms(t.Max))
	}
	if s := render.ScheduleList(l.ClientSchedules); s != "" {
		p("- Client SYN retransmits: %s\n", md(s))
	}
	if s := render.ScheduleList(l.ServerSchedules); s != "" {
		p("- Server SYN-ACK retransmits: %s\n", md(s))
	}
	for i := range l.Verdicts {
		v := &l.Verdicts[i]
		label := "Verdict"
		if i > 0 {
			label = "Also"
		}
		p("\n## %s: %s — %s\n\n", label, code(v.Branch), md(v.Title))
		p("Confidence %.2f, %s.", v.Confidence, plural(v.Attempts, "attempt"))
		if v.Summary != "" {
			p(" %s", md(v.Summary))
		}
		p("\n")
		writeEvidence(&b, v.Evidence)
		if len(v.Fix) > 0 {
			p("\nFix, in this order:\n\n")
			for n, f := range v.Fix {
				p("%d. **%s**", n+1, md(f.Action))
				if f.Command != "" {
					p(": %s", code(f.Command))
				}
				if f.Why != "" {
					p(" — %s", md(f.Why))
				}
				p("\n")
			}
		}
		if len(v.WontFix) > 0 {
			p("\nWill not help:\n\n")
			for _, w := range v.WontFix {
				p("- %s\n", render.MarkdownLine(w))
			}
		}
	}
	if l.Limits != nil {
		p("\n## Limits\n\n%s", render.MarkdownBlock(strings.Join(plainLines(limitLines(l, exportWidth)[1:]), "\n")))
	}
	if cl := counterLines(l, exportWidth); len(cl) > 0 {
		p("\n## Counters\n\n%s", render.MarkdownBlock(strings.Join(plainLines(cl), "\n")))
	}
	if len(attempts) > 0 {
		p("\n## Attempts (%d listed)\n\n", len(attempts))
		cols := attemptColumns()
		p("| %s |\n|%s\n", strings.Join(cols, " | "), strings.Repeat(" --- |", len(cols)))
		for _, i := range attempts {
			row := attemptRow(&r.Attempts[i])
			for c := range row {
				row[c] = md(row[c])
			}
			p("| %s |\n", strings.Join(row, " | "))
		}
	}
	if l.Omitted > 0 {
		p("\n%s more attempts were counted but not listed.\n", render.Count(l.Omitted))
	}
	p("\n_%s_\n", md(generatedBy(r)))
	return b.String()
}

// attemptMarkdown is one attempt for a ticket: what happened, the ladder,
// the timing against the expected schedules and the verdict with the fix.
func attemptMarkdown(r *analyze.Report, a *analyze.Attempt, lr *ladderResult) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# halfopen: %s → %s — %s\n\n", md(a.Client), md(a.Server), a.Outcome)
	if t := parseTimeOf(a.FirstSYN); !t.IsZero() {
		p("- First SYN: %s UTC\n", t.UTC().Format("2006-01-02 15:04:05.000000"))
	}
	if a.Capture >= 0 && a.Capture < len(r.Captures) {
		c := &r.Captures[a.Capture]
		p("- Capture: %s\n", code(c.Path))
		if c.Kernel != nil {
			p("- Kernel: %s (era %s, from %s)\n", md(c.Kernel.Name), c.Kernel.Era, md(c.Kernel.Source))
		}
	}
	p("- What happened: %s\n", md(attemptWhat(a)))
	if b := branchOf(a); b != "" {
		p("- Branch: %s (confidence %s)\n", code(b), conf(a.Confidence))
	}
	if len(a.Evidence) > 0 {
		p("\n## Evidence for this attempt\n\n")
		writeEvidence(&b, a.Evidence)
	}
	p("\n## Packets\n\n")
	switch {
	case lr == nil || lr.loading:
		p("(not read back from the capture)\n")
	case lr.err != nil:
		p("(cannot read the packets back: %s)\n", md(lr.err.Error()))
	default:
		p("%s", render.MarkdownBlock(ladderText(lr.rungs, a.Client, a.Server, exportWidth)))
	}
	p("\n## Retransmits vs the expected schedule\n\n%s", render.MarkdownBlock(strings.Join(plainLines(timingLines(a, modelOf(r, a), exportWidth)), "\n")))
	if v := listenerVerdict(r, a); v != nil {
		p("\n## The listener's verdict: %s — %s\n\n", code(v.Branch), md(v.Title))
		p("Confidence %.2f, %s. %s\n", v.Confidence, plural(v.Attempts, "attempt"), md(v.Summary))
		writeEvidence(&b, v.Evidence)
		if len(v.Fix) > 0 {
			p("\nFix, in this order:\n\n")
			for n, f := range v.Fix {
				p("%d. **%s**", n+1, md(f.Action))
				if f.Command != "" {
					p(": %s", code(f.Command))
				}
				p("\n")
			}
		}
	}
	p("\n_%s_\n", md(generatedBy(r)))
	return b.String()
}

func writeEvidence(b *strings.Builder, ev []analyze.Evidence) {
	if len(ev) == 0 {
		return
	}
	b.WriteString("\n")
	for _, e := range ev {
		stance := "for"
		if e.Against {
			stance = "against"
		}
		fmt.Fprintf(b, "- (%s, %s) %s\n", stance, md(e.Kind), md(e.Text))
	}
}

func captureSpan(c *analyze.Capture) string {
	if c.First == nil {
		return "no packets"
	}
	return fmt.Sprintf("%s %s–%s UTC, %.1f s, %s packets", render.ParseTime(c.First).Format("2006-01-02"), render.Clock(c.First), render.Clock(c.Last), c.Seconds, render.Count(c.Packets))
}

func generatedBy(r *analyze.Report) string {
	g := r.Generator
	if g == "" {
		g = "halfopen"
	}
	return "Exported from " + g + " tui (report schema " + r.Schema + ")."
}

// listenerExport is the JSON export of a listener: the report's own
// objects, so jq filters written for halfopen analyze --format json apply.
type listenerExport struct {
	Schema    string            `json:"schema"`
	Generator string            `json:"generator"`
	Listener  *analyze.Listener `json:"listener"`
	Captures  []captureRef      `json:"captures"`
	Attempts  []analyze.Attempt `json:"attempts"`
}

// captureRef is a capture without its per-capture listeners.
type captureRef struct {
	Index  int             `json:"index"`
	Path   string          `json:"path"`
	First  *string         `json:"first"`
	Last   *string         `json:"last"`
	Kernel *analyze.Kernel `json:"kernel"`
}

// rungJSON is a ladder rung with the schema's naming (offsets in ms).
type rungJSON struct {
	AtMS    float64 `json:"at_ms"`
	From    string  `json:"from"`
	Flags   string  `json:"flags"`
	Seq     uint32  `json:"seq"`
	Ack     uint32  `json:"ack"`
	Len     uint32  `json:"len"`
	TSval   *uint32 `json:"tsval"`
	TSecr   *uint32 `json:"tsecr"`
	Options string  `json:"options,omitempty"`
	Note    string  `json:"note,omitempty"`
}

// attemptExport is the JSON export of an attempt.
type attemptExport struct {
	Schema    string           `json:"schema"`
	Generator string           `json:"generator"`
	Attempt   *analyze.Attempt `json:"attempt"`
	Verdict   *analyze.Verdict `json:"verdict"`
	Capture   *captureRef      `json:"capture"`
	Packets   []rungJSON       `json:"packets"`
	PacketErr string           `json:"packets_error,omitempty"`
}

func refOf(r *analyze.Report, i int) *captureRef {
	if i < 0 || i >= len(r.Captures) {
		return nil
	}
	c := &r.Captures[i]
	return &captureRef{Index: c.Index, Path: c.Path, First: c.First, Last: c.Last, Kernel: c.Kernel}
}

func listenerJSON(r *analyze.Report, l *analyze.Listener, attempts []int) ([]byte, error) {
	x := listenerExport{Schema: r.Schema, Generator: r.Generator, Listener: l, Captures: []captureRef{}, Attempts: []analyze.Attempt{}}
	for _, i := range l.Captures {
		if c := refOf(r, i); c != nil {
			x.Captures = append(x.Captures, *c)
		}
	}
	for _, i := range attempts {
		x.Attempts = append(x.Attempts, r.Attempts[i])
	}
	return marshal(x)
}

func attemptJSON(r *analyze.Report, a *analyze.Attempt, lr *ladderResult) ([]byte, error) {
	x := attemptExport{Schema: r.Schema, Generator: r.Generator, Attempt: a, Verdict: listenerVerdict(r, a), Capture: refOf(r, a.Capture)}
	switch {
	case lr == nil || lr.loading:
		x.PacketErr = "not read back from the capture"
	case lr.err != nil:
		x.PacketErr = lr.err.Error()
	default:
		x.Packets = []rungJSON{}
		for _, g := range lr.rungs {
			from := "server"
			if g.FromClient {
				from = "client"
			}
			j := rungJSON{AtMS: float64(g.At) / float64(time.Millisecond), From: from, Flags: g.Flags, Seq: g.Seq, Ack: g.Ack, Len: g.Len, Options: g.Options, Note: g.Note}
			if g.HasTS {
				v, e := g.TSval, g.TSecr
				j.TSval, j.TSecr = &v, &e
			}
			x.Packets = append(x.Packets, j)
		}
	}
	return marshal(x)
}

func marshal(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// export writes the current listener (overview, attempts) or attempt
// (detail) to a file in the export directory and says where.
func (a *App) export(asJSON bool) {
	if a.report == nil {
		return
	}
	ext := "md"
	if asJSON {
		ext = "json"
	}
	var name string
	var data []byte
	var err error
	switch a.view {
	case inDetail:
		at := a.detail.attempt()
		if at == nil {
			return
		}
		lr, ok := a.ladders[a.detail.idx]
		var lp *ladderResult
		if ok {
			lp = &lr
		}
		name = attemptFileName(at, ext)
		if asJSON {
			data, err = attemptJSON(a.report, at, lp)
		} else {
			data = []byte(attemptMarkdown(a.report, at, lp))
		}
	default:
		l := a.overview.selected()
		rows := []int(nil)
		if a.view == inAttempts {
			l = a.attempts.listener()
			rows = a.attempts.rows
		}
		if l == nil {
			a.flash(roleMuted, "no listener to export")
			return
		}
		if a.view != inAttempts {
			rows = attemptsOf(a.report, l.Server)
		}
		name = listenerFileName(l, ext)
		if asJSON {
			data, err = listenerJSON(a.report, l, rows)
		} else {
			data = []byte(listenerMarkdown(a.report, l, rows))
		}
	}
	if err == nil {
		path := filepath.Join(a.cfg.ExportDir, name)
		if a.cfg.ExportDir == "" {
			path = "." + string(filepath.Separator) + name
		}
		if err = os.WriteFile(path, data, 0o644); err == nil {
			a.flash(roleGood, "wrote "+path)
			return
		}
	}
	a.flash(roleBad, "export failed: "+err.Error())
}
