package render

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/halfopen/halfopen/analyze"
	"github.com/halfopen/halfopen/flows"
)

// TextOptions tune the text report.
type TextOptions struct {
	Width    int  // columns; 80 when zero
	Color    bool // ANSI colour (callers decide: terminal and no NO_COLOR)
	Attempts int  // attempts shown per listener; 0 shows none, -1 all listed
	Verbose  bool // all evidence, all listeners
}

// maxListenersText is how many listeners the text report details unless verbose.
const maxListenersText = 10

type textWriter struct {
	w     io.Writer
	opts  TextOptions
	err   error
	width int
	x     *index
}

func (t *textWriter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

func (t *textWriter) color(code, s string) string {
	if !t.opts.Color || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (t *textWriter) bold(s string) string { return t.color("1", s) }
func (t *textWriter) red(s string) string  { return t.color("31", s) }
func (t *textWriter) dim(s string) string  { return t.color("2", s) }

// Text writes the human report. It leads with the verdict.
func Text(w io.Writer, r *analyze.Report, opts TextOptions) error {
	r = VisibleCopy(r) // file names, warnings and kernel strings come from outside
	t := &textWriter{w: w, opts: opts, width: opts.Width, x: newIndex(r)}
	if t.width <= 0 {
		t.width = 80
	}
	for _, line := range wrap("halfopen: "+r.Headline, t.width, 2) {
		t.printf("%s\n", t.bold(line))
	}
	t.printf("\n")
	if len(r.Listeners) > 0 {
		t.listenerTable(r)
	}
	shown := 0
	for i := range r.Listeners {
		l := &r.Listeners[i]
		if l.Failed == 0 && !opts.Verbose {
			continue
		}
		if shown == maxListenersText && !opts.Verbose {
			t.printf("(%d more failing listeners: --verbose or --format json)\n\n", r.Totals.FailingListeners-shown)
			break
		}
		t.listenerDetail(r, l)
		shown++
	}
	suspects := SuspectLines(r)
	for _, line := range suspects {
		for _, l := range wrap(line, t.width, 2) {
			t.printf("%s\n", l)
		}
	}
	if len(suspects) > 0 {
		t.printf("\n")
	}
	t.captures(r)
	return t.err
}

// ListenerLabel names a listener for people: its address, and "#N" for
// the captures (numbered from 1) it comes from when another listener of
// the report has the same address (captures of different times are kept
// apart). It scans the report: a renderer naming every listener uses
// index.label instead.
func ListenerLabel(r *analyze.Report, l *analyze.Listener) string {
	for i := range r.Listeners {
		o := &r.Listeners[i]
		if o.Server == l.Server && !slices.Equal(o.Captures, l.Captures) {
			parts := make([]string, len(l.Captures))
			for j, c := range l.Captures {
				parts[j] = strconv.Itoa(c + 1)
			}
			return fmt.Sprintf("%s #%s", l.Server, strings.Join(parts, "+"))
		}
	}
	return l.Server
}

// AttemptOf reports whether a listed attempt belongs to listener l.
func AttemptOf(l *analyze.Listener, a *analyze.Attempt) bool {
	return a.Server == l.Server && (len(l.Captures) == 0 || slices.Contains(l.Captures, a.Capture))
}

// SuspectLines words the floods and scans the report kept out of the
// clients' counts, one line each.
func SuspectLines(r *analyze.Report) []string {
	var out []string
	for _, l := range r.Listeners {
		f := l.Flood
		if f == nil {
			continue
		}
		at := ""
		if f.SourcesAtLeast {
			at = "at least "
		}
		out = append(out, fmt.Sprintf("flood: %s got %s from %s%s, %s–%s (one SYN per source, none completed: spoofed); outcomes %s; not counted as clients' failures (with them the failure rate would be %s)",
			l.Server, plural(f.Attempts, "SYN"), at, plural(f.Sources, "source"), Clock(&f.First), Clock(&f.Last), OutcomeList(f.Outcomes), analyze.Percent(l.FailureRateAll)))
	}
	for _, c := range r.Captures {
		for _, sc := range c.Scans {
			more := ""
			if sc.HostsAtLeast {
				more = " or more"
			}
			out = append(out, fmt.Sprintf("scan: %s probed %s on %s%s, %s–%s, %d answered with SYN-ACK; not counted as failing listeners",
				sc.Source, plural(sc.Ports, "port"), plural(sc.Hosts, "host"), more, Clock(&sc.First), Clock(&sc.Last), sc.Open))
		}
	}
	return out
}

func (t *textWriter) listenerTable(r *analyze.Report) {
	srvW := 21
	for i := range r.Listeners {
		srvW = max(srvW, len(t.x.label(&r.Listeners[i])))
	}
	srvW = min(srvW, t.width-59)
	t.printf("%s\n", t.dim(pad("LISTENER", srvW)+" ATTEMPTS  FAILED   RATE SYN-ACK p50 TOP PROBLEM"))
	rows := r.Listeners
	if len(rows) > 2*maxListenersText && !t.opts.Verbose {
		rows = rows[:2*maxListenersText]
	}
	for i := range rows {
		l := &rows[i]
		p50 := "-"
		if l.TimeToSynAck != nil {
			p50 = fmtMS(l.TimeToSynAck.P50)
		}
		top := topProblem(l)
		line := fmt.Sprintf("%s %8s %7s %6s %11s %s", pad(fit(t.x.label(l), srvW), srvW), Count(l.Attempts), Count(l.Failed), analyze.Percent(l.FailureRate), p50, top)
		if utf8.RuneCountInString(line) > t.width {
			line = string([]rune(line)[:t.width-1]) + "…"
		}
		if l.Failed > 0 {
			line = t.red(line)
		}
		t.printf("%s\n", line)
	}
	if len(rows) < len(r.Listeners) {
		t.printf("%s\n", t.dim(fmt.Sprintf("… %d more listeners", len(r.Listeners)-len(rows))))
	}
	t.printf("\n")
}

// topProblem is the listener's strongest verdict, else its main failure.
func topProblem(l *analyze.Listener) string {
	if len(l.Verdicts) > 0 {
		return l.Verdicts[0].Branch
	}
	if l.Failed == 0 {
		return "-"
	}
	best, n := "", int64(0)
	for _, o := range flows.Outcomes() {
		if o.Failed() && l.Outcomes[o.String()] > n {
			best, n = o.String(), l.Outcomes[o.String()]
		}
	}
	return best
}

func fmtMS(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.2f s", v/1000)
	case v >= 10:
		return fmt.Sprintf("%.0f ms", v)
	}
	return fmt.Sprintf("%.2f ms", v)
}

func (t *textWriter) listenerDetail(r *analyze.Report, l *analyze.Listener) {
	t.printf("%s\n", t.bold(fmt.Sprintf("%s — failed %s of %s (%s)", t.x.label(l), Count(l.Failed), plural(l.Attempts, "attempt"), analyze.Percent(l.FailureRate))))
	if l.FirstFailure != nil {
		t.printf("  failures %s → %s, peak %d/s\n", Clock(l.FirstFailure), Clock(l.LastFailure), l.PeakFailures)
	}
	t.printf("  outcomes: %s\n", OutcomeList(l.Outcomes))
	if s := ClosedText(l.Closed); s != "" {
		for _, line := range wrap("  "+s, t.width, 4) {
			t.printf("%s\n", line)
		}
	}
	if s := ScheduleList(l.ClientSchedules); s != "" {
		t.printf("  client SYN retransmits: %s\n", s)
	}
	if s := ScheduleList(l.ServerSchedules); s != "" {
		t.printf("  server SYN-ACK retransmits: %s\n", s)
	}
	if l.TimeToSynAck != nil {
		p := l.TimeToSynAck
		t.printf("  time to SYN-ACK: p50 %s, p90 %s, p99 %s, max %s\n", fmtMS(p.P50), fmtMS(p.P90), fmtMS(p.P99), fmtMS(p.Max))
	}
	if len(l.Timeline.Failures) > 1 {
		t.printf("  failures over time (%gs steps): |%s|\n", l.Timeline.Step, sparkline(l.Timeline.Failures))
	}
	for i, v := range l.Verdicts {
		if i > 0 && !t.opts.Verbose && i >= 3 {
			t.printf("  (%d more verdicts: --verbose)\n", len(l.Verdicts)-i)
			break
		}
		t.verdict(&v, i == 0)
	}
	t.attempts(r, l)
	t.printf("\n")
}

func (t *textWriter) verdict(v *analyze.Verdict, first bool) {
	label := "verdict"
	if !first {
		label = "also"
	}
	head := fmt.Sprintf("  %s: %s — %s (confidence %.2f, %s)", label, v.Branch, v.Title, v.Confidence, plural(v.Attempts, "attempt"))
	for _, line := range wrap(head, t.width, 6) {
		t.printf("%s\n", t.bold(line))
	}
	if v.Summary != "" {
		for _, line := range wrap(v.Summary, t.width-4, 4) {
			t.printf("    %s\n", line)
		}
	}
	limit := 6
	if t.opts.Verbose {
		limit = len(v.Evidence)
	}
	for i, e := range v.Evidence {
		if i == limit {
			t.printf("    … %d more (--verbose)\n", len(v.Evidence)-limit)
			break
		}
		mark := "+"
		if e.Against {
			mark = "-"
		}
		for _, line := range wrap(fmt.Sprintf("%s [%s] %s", mark, e.Kind, e.Text), t.width-4, 6) {
			t.printf("    %s\n", line)
		}
	}
	if !first && !t.opts.Verbose {
		return
	}
	for i, f := range v.Fix {
		text := fmt.Sprintf("fix %d: %s", i+1, f.Action)
		if f.Command != "" {
			text += ": " + f.Command
		}
		for _, line := range wrap(text, t.width-4, 7) {
			t.printf("    %s\n", line)
		}
	}
	for _, nf := range v.WontFix {
		for _, line := range wrap("won't help: "+nf, t.width-4, 6) {
			t.printf("    %s\n", t.dim(line))
		}
	}
}

// attempts lists a listener's failed attempts grouped by outcome, in time
// order within each group, at most opts.Attempts rows in all.
func (t *textWriter) attempts(r *analyze.Report, l *analyze.Listener) {
	if t.opts.Attempts == 0 {
		return
	}
	byOutcome := map[string][]*analyze.Attempt{}
	total := 0
	cliW := 15
	for _, i := range t.x.attemptsOf(l) {
		if a := &r.Attempts[i]; a.Outcome != "established" {
			byOutcome[a.Outcome] = append(byOutcome[a.Outcome], a)
			total++
			cliW = max(cliW, len(a.Client))
		}
	}
	if total == 0 {
		return
	}
	cliW = min(cliW, t.width-50)
	shown := 0
	for _, o := range flows.Outcomes() {
		rows := byOutcome[o.String()]
		if len(rows) == 0 || t.opts.Attempts > 0 && shown >= t.opts.Attempts {
			continue
		}
		t.printf("  %s\n", t.dim(fmt.Sprintf("%s (%s):", o, Count(l.Outcomes[o.String()]))))
		for _, a := range rows {
			if t.opts.Attempts > 0 && shown >= t.opts.Attempts {
				break
			}
			branch := ""
			if a.Branch != nil {
				branch = fmt.Sprintf("%s (%.2f)", *a.Branch, *a.Confidence)
			}
			t.printf("    %s  %s  SYN×%-2d SA×%-2d %s\n", clockOf(a.FirstSYN), pad(fit(a.Client, cliW), cliW), a.SYNs, a.SynAcks, branch)
			shown++
		}
	}
	more := int64(total-shown) + l.Omitted
	if more > 0 {
		t.printf("  %s\n", t.dim(fmt.Sprintf("… %s more attempts (--attempts N, --format json)", Count(more))))
	}
}

func (t *textWriter) captures(r *analyze.Report) {
	for _, n := range r.Notes {
		for _, l := range wrap("note: "+n, t.width, 2) {
			t.printf("%s\n", l)
		}
	}
	if len(r.Captures) > 1 {
		t.perCapture(r)
	}
	for _, c := range r.Captures {
		if c.Error != "" {
			t.printf("%s: %s\n", c.Path, t.red("error: "+c.Error))
			continue
		}
		span := "no packets"
		if c.First != nil {
			span = fmt.Sprintf("%s %s–%s UTC (%.1f s)", ParseTime(c.First).Format("2006-01-02"), Clock(c.First), Clock(c.Last), c.Seconds)
		}
		format := c.Format
		if c.Compression != "" {
			format = c.Compression + "-compressed " + format
		}
		line := fmt.Sprintf("%s: %s, %s packets, %s; %s SYN, %s SYN-ACK, %s attempts", c.Path, format, Count(c.Packets), span, Count(c.SYN), Count(c.SynAck), Count(c.Attempts))
		if c.PreExisting > 0 {
			line += fmt.Sprintf(", %s connections already open", Count(c.PreExisting))
		}
		for _, l := range wrap(line, t.width, 2) {
			t.printf("%s\n", t.dim(l))
		}
		if c.Kernel != nil {
			k := c.Kernel
			assumed := ""
			if k.Assumed {
				assumed = ", assumed"
			}
			for _, l := range wrap(fmt.Sprintf("  kernel: %s (from %s%s)", k.Name, k.Source, assumed), t.width, 4) {
				t.printf("%s\n", t.dim(l))
			}
		}
		for _, w := range c.Warnings {
			for _, l := range wrap("  warning: "+w, t.width, 4) {
				t.printf("%s\n", l)
			}
		}
	}
}

func OutcomeList(m map[string]int64) string {
	var parts []string
	for _, o := range flows.Outcomes() {
		if n := m[o.String()]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", o, Count(n)))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// ClosedText words a listener's closing, or "" when it did not close.
func ClosedText(c *analyze.Closed) string {
	if c == nil {
		return ""
	}
	s := fmt.Sprintf("listener closed: SYNs answered by RST from %s", Clock(&c.At))
	if c.LastReset != c.At {
		s += " to " + Clock(&c.LastReset)
	}
	s += fmt.Sprintf(" (%s)", plural(c.Resets, "attempt"))
	if c.AnsweringAgain != nil {
		s += fmt.Sprintf(", answering again from about %s: restarted", Clock(c.AnsweringAgain))
	}
	return s
}

func ScheduleList(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var parts []string
	for _, k := range keys {
		name := k
		if name == "" {
			name = "single"
		}
		parts = append(parts, fmt.Sprintf("%s ×%s", name, Count(m[k])))
	}
	return strings.Join(parts, ", ")
}

// plural formats n with a noun, adding "s" unless n is 1.
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return Count(n) + " " + noun + "s"
}

// perCapture is the per-file section of a multi-file report: each
// capture's attempts, failures and worst listener, in input order.
func (t *textWriter) perCapture(r *analyze.Report) {
	t.printf("%s\n", t.dim("PER CAPTURE"))
	for _, c := range r.Captures {
		if c.Error != "" {
			continue
		}
		var attempts, failed int64
		worst := "-"
		for i, l := range c.Listeners {
			attempts += l.Attempts
			failed += l.Failed
			if i == 0 && l.Failed > 0 {
				worst = fmt.Sprintf("%s %s", l.Server, topProblem(&c.Listeners[0]))
			}
		}
		rate := 0.0
		if attempts > 0 {
			rate = float64(failed) / float64(attempts)
		}
		line := fmt.Sprintf("  %s: %s failed of %s (%s); worst: %s", c.Path, Count(failed), plural(attempts, "attempt"), analyze.Percent(rate), worst)
		for _, l := range wrap(line, t.width, 6) {
			if failed > 0 {
				l = t.red(l)
			}
			t.printf("%s\n", l)
		}
	}
	t.printf("\n")
}
