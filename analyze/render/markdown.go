package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/halfopen/halfopen/analyze"
)

// MarkdownOptions tune the Markdown report.
type MarkdownOptions struct {
	Attempts int // failed attempts listed per listener inside <details>; 0 none
}

// maxListenersMarkdown bounds the detailed sections (a port scan has
// thousands of "listeners"); the table lists more.
const maxListenersMarkdown = 10

// Markdown writes a report that fits a CI job summary (GitHub
// $GITHUB_STEP_SUMMARY, GitLab): headline verdict, a table of listeners,
// per failing listener the top evidence and the fix, details collapsed.
func Markdown(w io.Writer, r *analyze.Report, opts MarkdownOptions) error {
	// No VisibleCopy: every string from the report goes through mdEscape,
	// mdLine or mdCode, which make it Visible themselves.
	var b strings.Builder
	x := newIndex(r)
	status := "✅"
	if r.Totals.Failed > 0 {
		status = "❌"
	}
	fmt.Fprintf(&b, "## %s halfopen\n\n%s\n\n", status, mdLine(r.Headline))
	if len(r.Listeners) > 0 {
		b.WriteString("| Listener | Attempts | Failed | Rate | Top branch | Confidence |\n|---|---:|---:|---:|---|---:|\n")
		for i := range r.Listeners {
			l := &r.Listeners[i]
			if i == 3*maxListenersMarkdown {
				fmt.Fprintf(&b, "| … %d more | | | | | |\n", len(r.Listeners)-i)
				break
			}
			branch, conf := "–", "–"
			if len(l.Verdicts) > 0 {
				branch, conf = mdCode(l.Verdicts[0].Branch, true), fmt.Sprintf("%.2f", l.Verdicts[0].Confidence)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", mdCode(x.label(l), true), Count(l.Attempts), Count(l.Failed), analyze.Percent(l.FailureRate), branch, conf)
		}
		b.WriteString("\n")
	}
	shown := 0
	for i := range r.Listeners {
		l := &r.Listeners[i]
		if l.Failed == 0 {
			continue
		}
		if shown == maxListenersMarkdown {
			fmt.Fprintf(&b, "_%d more failing listeners: see the JSON report._\n\n", r.Totals.FailingListeners-shown)
			break
		}
		mdListener(&b, r, x, l, opts)
		shown++
	}
	suspects := SuspectLines(r)
	for _, line := range suspects {
		fmt.Fprintf(&b, "- %s\n", mdLine(upperFirst(line)))
	}
	if len(suspects) > 0 {
		b.WriteString("\n")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "_Note: %s_\n\n", mdEscape(n))
	}
	mdCaptures(&b, r)
	_, err := io.WriteString(w, b.String())
	return err
}

func mdListener(b *strings.Builder, r *analyze.Report, x *index, l *analyze.Listener, opts MarkdownOptions) {
	fmt.Fprintf(b, "### %s — failed %s of %s (%s)\n\n", mdCode(x.label(l), false), Count(l.Failed), plural(l.Attempts, "attempt"), analyze.Percent(l.FailureRate))
	fmt.Fprintf(b, "Outcomes: %s.", OutcomeList(l.Outcomes))
	if l.FirstFailure != nil {
		fmt.Fprintf(b, " Failures from %s to %s UTC, peak %d/s.", Clock(l.FirstFailure), Clock(l.LastFailure), l.PeakFailures)
	}
	if s := ClosedText(l.Closed); s != "" {
		fmt.Fprintf(b, " %s.", mdEscape(upperFirst(s)))
	}
	b.WriteString("\n\n")
	if len(l.Verdicts) == 0 {
		return
	}
	v := l.Verdicts[0]
	fmt.Fprintf(b, "**Verdict: %s** — %s (confidence %.2f, %s)\n\n", mdCode(v.Branch, false), mdEscape(v.Title), v.Confidence, plural(v.Attempts, "attempt"))
	for i, e := range v.Evidence {
		if i == 5 {
			break
		}
		mark := "✔"
		if e.Against {
			mark = "✘"
		}
		fmt.Fprintf(b, "- %s _%s_: %s\n", mark, mdEscape(e.Kind), mdEscape(e.Text))
	}
	if len(v.Fix) > 0 {
		b.WriteString("\n**Fix, in this order:**\n\n")
		for i, f := range v.Fix {
			fmt.Fprintf(b, "%d. %s", i+1, mdLine(f.Action))
			if f.Command != "" {
				fmt.Fprintf(b, ": %s", mdCode(f.Command, false))
			}
			b.WriteString("\n")
		}
	}
	if len(v.WontFix) > 0 {
		fmt.Fprintf(b, "\nWill not help: %s.\n", mdEscape(strings.Join(v.WontFix, "; ")))
	}
	b.WriteString("\n<details><summary>All verdicts, evidence and failed attempts</summary>\n\n")
	for _, v := range l.Verdicts {
		fmt.Fprintf(b, "#### %s (confidence %.2f, %s)\n\n%s\n\n", mdCode(v.Branch, false), v.Confidence, plural(v.Attempts, "attempt"), mdLine(v.Summary))
		for _, e := range v.Evidence {
			mark := "✔"
			if e.Against {
				mark = "✘"
			}
			fmt.Fprintf(b, "- %s _%s_: %s\n", mark, mdEscape(e.Kind), mdEscape(e.Text))
		}
		b.WriteString("\n")
	}
	if opts.Attempts != 0 {
		b.WriteString("| First SYN (UTC) | Client | SYNs | SYN-ACKs | Outcome | Branch |\n|---|---|---:|---:|---|---|\n")
		n := 0
		for _, i := range x.attemptsOf(l) {
			a := &r.Attempts[i]
			if a.Outcome == "established" {
				continue
			}
			if opts.Attempts > 0 && n == opts.Attempts {
				break
			}
			branch := "–"
			if a.Branch != nil {
				branch = mdCode(*a.Branch, true)
			}
			fmt.Fprintf(b, "| %s | %s | %d | %d | %s | %s |\n", clockOf(a.FirstSYN), mdCode(a.Client, true), a.SYNs, a.SynAcks, mdEscape(a.Outcome), branch)
			n++
		}
		b.WriteString("\n")
	}
	b.WriteString("</details>\n\n")
}

func mdCaptures(b *strings.Builder, r *analyze.Report) {
	b.WriteString("<details><summary>Captures</summary>\n\n| Capture | Format | Packets | SYN | SYN-ACK | Attempts | Kernel | Warnings |\n|---|---|---:|---:|---:|---:|---|---|\n")
	for _, c := range r.Captures {
		if c.Error != "" {
			fmt.Fprintf(b, "| %s | error: %s | | | | | | |\n", mdCode(c.Path, true), mdEscape(c.Error))
			continue
		}
		kernel := "–"
		if c.Kernel != nil {
			kernel = c.Kernel.Name
			if c.Kernel.Assumed {
				kernel += " (assumed)"
			}
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", mdCode(c.Path, true), mdEscape(c.Format), Count(c.Packets), Count(c.SYN), Count(c.SynAck), Count(c.Attempts), mdEscape(kernel), mdEscape(strings.Join(c.Warnings, "; ")))
	}
	b.WriteString("\n</details>\n")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
