package ui

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/halfopen/halfopen/analyze"
	"github.com/halfopen/halfopen/analyze/kernel"
	"github.com/rivo/tview"
)

// detailView is one attempt: its packets as a ladder, its retransmit
// timing against the expected schedules, and its verdict with the fix.
type detailView struct {
	app     *App
	root    *tview.Flex
	header  *linesPane
	ladder  *linesPane
	timing  *linesPane
	verdict *linesPane
	idx     int // in report.Attempts
}

// ladderResult is a ladder read back from the capture (or why not).
type ladderResult struct {
	rungs   []analyze.Rung
	err     error
	loading bool
}

func newDetailView(a *App) *detailView {
	th := a.theme
	d := &detailView{
		app:     a,
		header:  newLinesPane(th, ""),
		ladder:  newLinesPane(th, "Packets (ladder)"),
		timing:  newLinesPane(th, "Retransmits vs the expected schedule"),
		verdict: newLinesPane(th, "Why"),
		idx:     -1,
	}
	right := tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(d.timing, 0, 2, false).
		AddItem(d.verdict, 0, 3, false)
	body := tview.NewFlex().
		AddItem(d.ladder, 0, 5, true).
		AddItem(right, 0, 4, false)
	d.root = tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(d.header, 2, 0, false).
		AddItem(body, 0, 1, true)
	return d
}

func (d *detailView) panes() []tview.Primitive {
	return []tview.Primitive{d.ladder.focusTarget(), d.timing.focusTarget(), d.verdict.focusTarget()}
}

// attempt is the attempt shown.
func (d *detailView) attempt() *analyze.Attempt {
	r := d.app.report
	if r == nil || d.idx < 0 || d.idx >= len(r.Attempts) {
		return nil
	}
	return &r.Attempts[d.idx]
}

// open shows attempt idx (in report.Attempts) and starts reading its ladder.
func (d *detailView) open(idx int) {
	r := d.app.report
	d.idx = idx
	a := &r.Attempts[idx]
	d.header.set(func(w int) []line { return detailHeader(r, a, w) })
	model := modelOf(r, a)
	d.timing.set(func(w int) []line { return timingLines(a, model, w) })
	d.verdict.set(func(w int) []line { return attemptVerdictLines(r, a, w) })
	d.verdict.SetTitle(" " + shown("Why: "+a.Outcome) + " ")
	d.showLadder()
	if _, ok := d.app.ladders[idx]; !ok {
		d.app.fetchLadder(idx)
	}
}

// showLadder draws the ladder of the shown attempt as far as it is known.
func (d *detailView) showLadder() {
	a := d.attempt()
	if a == nil {
		return
	}
	res, ok := d.app.ladders[d.idx]
	path := d.app.report.Captures[a.Capture].Path
	switch {
	case !ok || res.loading:
		d.ladder.set(func(int) []line {
			return []line{textLine(roleMuted, "reading this attempt's packets from "+path+" …")}
		})
	case res.err != nil:
		d.ladder.set(func(w int) []line {
			return hang(line{{"cannot read the packets back: ", roleBad}}, res.err.Error(), roleText, w)
		})
	default:
		d.ladder.set(func(w int) []line { return ladderLines(res.rungs, a.Client, a.Server, w) })
	}
}

// modelOf is the kernel model of the attempt's capture (by its era), nil
// when the era is unknown.
func modelOf(r *analyze.Report, a *analyze.Attempt) *kernel.Model {
	if a.Capture < 0 || a.Capture >= len(r.Captures) || r.Captures[a.Capture].Kernel == nil {
		return nil
	}
	m, err := kernel.Representative(r.Captures[a.Capture].Kernel.Era)
	if err != nil {
		return nil
	}
	return &m
}

// detailHeader is the breadcrumb and the attempt in one line.
func detailHeader(r *analyze.Report, a *analyze.Attempt, width int) []line {
	ro := roleBad
	switch a.Outcome {
	case "established":
		ro = roleGood
	case "established_after_retry":
		ro = roleText
	}
	crumb := line{{"Listeners › ", roleMuted}, {a.Server, roleText}, {" › ", roleMuted}, {a.Client, roleHead}}
	l2 := line{{a.Client + " → " + a.Server + "  ", roleHead}, {a.Outcome, ro}}
	if b := branchOf(a); b != "" {
		l2 = append(l2, span{"  " + b + " " + conf(a.Confidence), roleStrong})
	}
	t := parseTimeOf(a.FirstSYN)
	when := a.FirstSYN
	if !t.IsZero() {
		when = t.UTC().Format("2006-01-02 15:04:05.000000 UTC") // kept on one line
	}
	l2 = append(l2, span{"  first SYN " + when, roleMuted})
	if a.Capture >= 0 && a.Capture < len(r.Captures) && len(r.Captures) > 1 {
		crumb = append(crumb, span{"  (" + r.Captures[a.Capture].Path + ")", roleMuted})
	}
	return append(wrapLine(crumb, width), wrapLine(l2, width)...)
}

// expectedGap is the expected interval before retransmit n (1-based) for
// a named schedule; ok is false for schedules without a model.
func expectedGap(schedule string, n int) (time.Duration, bool) {
	double := func(r0 time.Duration, k int) time.Duration {
		return time.Duration(float64(r0) * math.Pow(2, float64(k)))
	}
	switch schedule {
	case "exp-1s":
		return double(time.Second, n-1), true
	case "exp-3s":
		return double(3*time.Second, n-1), true
	case "linear-1s":
		// Linux 6.5+: tcp_syn_linear_timeouts (4) retries 1 s apart, then doubling.
		if n <= 4 {
			return time.Second, true
		}
		return double(time.Second, n-4), true
	}
	return 0, false
}

// scheduleWords describes a schedule name for the timing pane.
func scheduleWords(s string, server bool) string {
	switch s {
	case "exp-1s":
		if server {
			return "1 s initial RTO, doubling (Linux 3.1+)"
		}
		return "1 s initial RTO, doubling (Linux 3.1–6.4, most stacks)"
	case "linear-1s":
		return "1 s apart, then doubling (Linux 6.5+ or macOS)"
	case "exp-3s":
		return "3 s initial RTO, doubling (Linux ≤3.0 or Windows)"
	case "exp-other":
		return "doubling from an unusual initial RTO"
	case "irregular":
		return "no backoff pattern (crafted traffic, a scanner, app retries, or SYN-ACKs answering SYN retransmits)"
	}
	return "a single transmission"
}

// near reports whether got is within the schedule tolerance of want
// (25 % or 150 ms, the analyser's slack for timer lag).
func near(got, want time.Duration) bool {
	diff := got - want
	if diff < 0 {
		diff = -diff
	}
	return diff <= 150*time.Millisecond || float64(diff) <= 0.25*float64(want)
}

func msDur(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// timingLines compare the attempt's retransmits with what is expected: the
// client's SYNs against the schedule they fit, the server's timer-driven
// SYN-ACKs against the kernel model's offsets (kernel may be nil).
func timingLines(a *analyze.Attempt, model *kernel.Model, width int) []line {
	var out []line
	verdict := func(got, want time.Duration) span {
		if near(got, want) {
			return span{"  ✓", roleGood}
		}
		if got > want {
			return span{"  late", roleBad}
		}
		return span{"  early", roleBad}
	}
	// Client SYNs.
	title := "Client SYNs"
	if a.ClientSchedule != "" {
		title += " — " + a.ClientSchedule
	}
	out = append(out, textLine(roleHead, title))
	if a.ClientSchedule != "" {
		out = append(out, hang(line{{"  ", roleText}}, scheduleWords(a.ClientSchedule, false), roleMuted, width)...)
	}
	if len(a.SYNTimes) == 1 {
		out = append(out, textLine(roleText, "  one SYN, no retransmit"))
	} else {
		out = append(out, textLine(roleMuted, "   #        at       gap  expected"))
	}
	for i, t := range a.SYNTimes {
		if len(a.SYNTimes) == 1 {
			break
		}
		l := line{{fmt.Sprintf("  %2d %9s", i+1, ms(t)), roleText}}
		if i > 0 {
			gap := msDur(t - a.SYNTimes[i-1])
			l = append(l, span{fmt.Sprintf(" %9s", "+"+ms(t-a.SYNTimes[i-1])), roleText})
			if want, ok := expectedGap(a.ClientSchedule, i); ok {
				l = append(l, span{fmt.Sprintf(" %9s", "+"+seconds(want)), roleMuted}, verdict(gap, want))
			}
		}
		out = append(out, l)
	}
	// Server SYN-ACKs.
	out = append(out, line{})
	title = "Server SYN-ACKs"
	if a.ServerSchedule != "" {
		title += " — " + a.ServerSchedule
	}
	out = append(out, textLine(roleHead, title))
	var offsets []time.Duration
	if model != nil {
		offsets = model.SynAckOffsets(-1)
		out = append(out, hang(line{{"  ", roleText}}, fmt.Sprintf("%s: first RTO %s, timer retransmits expected at %s after the first SYN-ACK", model.Name, seconds(model.SynAckRTO), offsetList(offsets)), roleMuted, width)...)
	} else {
		out = append(out, textLine(roleMuted, "  kernel unknown: no expected schedule"))
	}
	if len(a.SynAckTimes) == 0 {
		ro := roleMuted
		if a.Outcome == "unanswered" {
			ro = roleBad
		}
		return append(out, textLine(ro, "  none: the server never answered"))
	}
	out = append(out, textLine(roleMuted, "   #        at  after 1st  expected"))
	first := a.SynAckTimes[0].At
	timer := 0
	for i, s := range a.SynAckTimes {
		l := line{{fmt.Sprintf("  %2d %9s", i+1, ms(s.At)), roleText}}
		switch {
		case i == 0:
			l = append(l, span{"  first", roleMuted})
		case s.Triggered:
			l = append(l, span{fmt.Sprintf(" %10s", "+"+ms(s.At-first)), roleText}, span{"  answers a SYN retransmit", roleMuted})
		default:
			timer++
			l = append(l, span{fmt.Sprintf(" %10s", "+"+ms(s.At-first)), roleText})
			if timer <= len(offsets) {
				l = append(l, span{fmt.Sprintf(" %9s", "+"+seconds(offsets[timer-1])), roleMuted}, verdict(msDur(s.At-first), offsets[timer-1]))
			} else if model != nil {
				l = append(l, span{"  beyond tcp_synack_retries", roleBad})
			}
		}
		if s.AfterAck {
			l = append(l, span{"  after ACK", roleBad})
		}
		out = append(out, l)
	}
	return out
}

// offsetList words offsets as "+1, +3, +7 s".
func offsetList(offs []time.Duration) string {
	if len(offs) == 0 {
		return "none"
	}
	parts := make([]string, len(offs))
	allSeconds := true
	for _, o := range offs {
		allSeconds = allSeconds && o%time.Second == 0
	}
	for i, o := range offs {
		if allSeconds {
			parts[i] = fmt.Sprintf("+%d", o/time.Second)
		} else {
			parts[i] = "+" + seconds(o)
		}
	}
	s := strings.Join(parts, ", ")
	if allSeconds {
		s += " s" // no break before the unit
	}
	return s
}

// listenerVerdict finds the listener verdict for the attempt's branch.
func listenerVerdict(r *analyze.Report, a *analyze.Attempt) *analyze.Verdict {
	b := branchOf(a)
	if b == "" {
		return nil
	}
	for i := range r.Listeners {
		l := &r.Listeners[i]
		if l.Server != a.Server {
			continue
		}
		for j := range l.Verdicts {
			if l.Verdicts[j].Branch == b {
				return &l.Verdicts[j]
			}
		}
	}
	return nil
}

// attemptVerdictLines explain why halfopen blames the attempt's branch:
// the attempt's own evidence, then the listener verdict it belongs to
// with its summary, evidence and fix.
func attemptVerdictLines(r *analyze.Report, a *analyze.Attempt, width int) []line {
	var out []line
	b := branchOf(a)
	if b == "" {
		out = append(out, hang(nil, fmt.Sprintf("Outcome %s: nothing to blame.", a.Outcome), roleGood, width)...)
		out = append(out, hang(line{{"  ", roleText}}, attemptWhat(a), roleText, width)...)
		return out
	}
	title := b
	if br, ok := kernel.Lookup(b); ok {
		title = br.Title
	}
	out = append(out, line{{b, roleBad}, {"  confidence " + conf(a.Confidence), roleMuted}})
	out = append(out, hang(nil, title, roleHead, width)...)
	out = append(out, hang(line{{"  ", roleText}}, attemptWhat(a), roleText, width)...)
	if len(a.Evidence) > 0 {
		out = append(out, textLine(roleHead, "This attempt"))
		out = append(out, evidenceLines(a.Evidence, width)...)
	}
	if v := listenerVerdict(r, a); v != nil {
		out = append(out, line{}, textLine(roleHead, "The listener's verdict"))
		out = append(out, verdictLines(v, true, width)...)
	}
	return out
}
