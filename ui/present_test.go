package ui

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/halfopen/halfopen/analyze"
	"github.com/halfopen/halfopen/analyze/kernel"
	"github.com/halfopen/halfopen/analyze/render"
)

// Presentation functions are pure: report values in, lines out. These
// table tests need no terminal (lazygit's presentation/ habit).

func ptr[T any](v T) *T { return &v }

func TestFormat(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{analyze.Percent(0), "0%"},
		{analyze.Percent(0.0004), "<0.1%"},
		{analyze.Percent(0.05), "5.0%"},
		{analyze.Percent(0.5), "50%"},
		{render.Count(1234567), "1,234,567"},
		{render.Count(-1234), "-1,234"},
		{ms(0), "0 ms"},
		{ms(0.022), "0.02 ms"},
		{ms(12.4), "12 ms"},
		{ms(1011.397), "1.01 s"},
		{ms(63012), "63.0 s"},
		{seconds(time.Second), "1 s"},
		{seconds(1500 * time.Millisecond), "1.5 s"},
		{seconds(3 * time.Minute), "3 min"},
		{conf(nil), "-"},
		{conf(ptr(0.97)), "0.97"},
		{fit("[fd77::1]:8080", 9), "[fd7…8080"},
		{cut("accept_queue_full_syn", 8), "accept_…"},
		{pad("ab", 4) + "|", "ab  |"},
		{padLeft("ab", 4), "  ab"},
		{render.Clock(ptr("2026-11-25T12:42:44.394485Z")), "12:42:44.394"},
		{render.Clock(nil), "-"},
		{plural(1, "attempt"), "1 attempt"},
		{plural(1200, "attempt"), "1,200 attempts"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestWrapText(t *testing.T) {
	for _, tc := range []struct {
		text  string
		width int
		want  []string
	}{
		{"a b c", 10, []string{"a b c"}},
		{"the accept queue is full", 10, []string{"the accept", "queue is", "full"}},
		{"samples/mixed-listeners/nstat-1-before.txt and", 12, []string{"samples/mixe", "d-listeners/", "nstat-1-befo", "re.txt and"}},
		{"", 10, nil},
	} {
		if got := wrapText(tc.text, tc.width); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("wrapText(%q, %d) = %q, want %q", tc.text, tc.width, got, tc.want)
		}
	}
}

func TestWrapLineKeepsRoles(t *testing.T) {
	l := line{{"10.0.0.2:40100 → 10.0.0.1:80  ", roleHead}, {"unanswered", roleBad}, {"  first SYN 2026-11-25\u00a012:00:00", roleMuted}}
	got := wrapLine(l, 40)
	if len(got) != 2 {
		t.Fatalf("want 2 lines, got %q", plainLines(got))
	}
	for _, x := range got {
		if n := cellWidth(x.plain()); n > 40 {
			t.Errorf("line %q is %d wide", x.plain(), n)
		}
	}
	if got[1][len(got[1])-1].role != roleMuted || !strings.Contains(got[1].plain(), "2026-11-25\u00a012:00:00") {
		t.Errorf("second line %q lost its role or split the time", got[1].plain())
	}
}

func TestThemeTagsAndStyles(t *testing.T) {
	color, mono := newTheme(false), newTheme(true)
	if got := color.tagged([]line{{{"[fd00::1]:80 ", roleBad}, {"ok", roleText}}}); got != "[maroon::b][fd00::1[]:80 [-:-:-]ok" {
		t.Errorf("tagged: %q", got)
	}
	if got := mono.tagged([]line{{{"x", roleBad}, {"y", roleGood}}}); got != "[::b]x[-:-:-]y" {
		t.Errorf("mono tagged: %q", got)
	}
	for _, r := range []role{roleText, roleHead, roleMuted, roleBad, roleGood, roleStrong} {
		fg, bg, _ := mono.style(r).Decompose()
		if fg != tcell.ColorDefault || bg != tcell.ColorDefault {
			t.Errorf("NO_COLOR role %d has colours %v/%v", r, fg, bg)
		}
		if _, bg, _ := color.style(r).Decompose(); bg != tcell.ColorDefault {
			t.Errorf("role %d sets a background", r)
		}
	}
	if _, _, attr := mono.style(roleBad).Decompose(); attr&tcell.AttrBold == 0 {
		t.Error("NO_COLOR failures are not bold")
	}
}

func listenerFixture() *analyze.Listener {
	return &analyze.Listener{
		Server: "10.0.0.1:80", Captures: []int{0}, Attempts: 200, Failed: 30, FailureRate: 0.15,
		Outcomes:     map[string]int64{"established": 170, "unanswered": 30},
		FirstFailure: ptr("2026-11-20T10:00:03.5Z"), LastFailure: ptr("2026-11-20T10:00:05.1Z"), PeakFailures: 20,
		Timeline: analyze.Timeline{
			Start: ptr("2026-11-20T10:00:01Z"), Step: 1,
			Attempts: []int64{10, 40, 80, 40, 30},
			Failures: []int64{0, 0, 20, 10, 0},
			Depth:    []float64{0, 3, 4, -1, 1},
			Limit:    4,
		},
		Verdicts: []analyze.Verdict{{
			Branch: "accept_queue_full_syn", Title: "Accept queue full when the SYN arrived: SYN dropped", Confidence: 0.97, Attempts: 30,
			Summary: "The accept queue is full.",
			Evidence: []analyze.Evidence{
				{Kind: "packets", Text: "30 attempts unanswered"},
				{Kind: "counter", Text: "nstat between /tmp/b/nstat-1.txt and /tmp/b/nstat-2.txt: TcpExtListenOverflows +30, TcpExtTCPReqQFullDrop +0: ListenOverflows moved, TCPReqQFullDrop did not"},
				{Kind: "sysctl", Text: "tcp_abort_on_overflow = 1", Against: true},
			},
			Fix:     []analyze.Fix{{Action: "Raise net.core.somaxconn", Command: "sysctl -w net.core.somaxconn=4096", Why: "B = min(backlog, somaxconn)"}},
			WontFix: []string{"raising tcp_max_syn_backlog"},
		}},
		Limits: &analyze.Limits{Backlog: ptr(3), Somaxconn: ptr(4096), AcceptQueueCapacity: ptr(4), MaxAcceptDepth: ptr(4), Syncookies: ptr(1), Source: "ss+sysctl"},
	}
}

func TestListenerRow(t *testing.T) {
	l := listenerFixture()
	want := []string{"10.0.0.1:80", "200", "30", "15%", "accept_queue_full_syn", "0.97", "10:00:03.500", "10:00:05.100"}
	if got := listenerRow(l); !reflect.DeepEqual(got, want) {
		t.Errorf("listenerRow = %q, want %q", got, want)
	}
	healthy := &analyze.Listener{Server: "10.0.0.1:443", Attempts: 5, Outcomes: map[string]int64{"established": 5}}
	if got := listenerRow(healthy); got[4] != "-" || got[5] != "-" || got[6] != "-" {
		t.Errorf("healthy row %q", got)
	}
	noVerdict := &analyze.Listener{Server: "x", Attempts: 5, Failed: 2, Outcomes: map[string]int64{"reset": 2, "established": 3}}
	if b, c := topBranch(noVerdict); b != "reset" || c != nil {
		t.Errorf("topBranch without verdicts = %q, %v", b, c)
	}
}

// The timeline spans the capture, marks drops and shows the accept-queue
// depth against its limit, full columns in the bad role.
func TestTimelineLines(t *testing.T) {
	l := listenerFixture()
	span := timeSpan{parseTimeOf("2026-11-20T10:00:00.2Z"), parseTimeOf("2026-11-20T10:00:06.9Z")}
	got := timelineLines(l, span, 40, true)
	text := plainLines(got)
	// 7 one-second buckets from 10:00:00 (the capture's start) to
	// 10:00:07, 3 cells each; the listener's own start is 10:00:01.
	want := []string{
		"attempts        80│         ███",
		"  per 1 s         │   ▂▂▂█████████▆▆▆",
		"failures        20│         ███",
		"                  │         ██████",
		"accept queue     4│      ▄▄▄███",
		"  limit 4         │      ██████   ▄▄▄",
		"dropped           │          ▲  ▲",
		"                  └10:00:00─────10:00:07",
	}
	if !reflect.DeepEqual(text, want) {
		t.Errorf("timeline:\n%s\nwant:\n%s", strings.Join(text, "\n"), strings.Join(want, "\n"))
	}
	// The full accept-queue column (depth 4 = limit) is bad, the others strong.
	var full, other int
	for _, s := range got[5] {
		switch s.role {
		case roleBad:
			full += cellWidth(s.text)
		case roleStrong:
			other += cellWidth(s.text)
		}
	}
	if full != 3 || other != 18 {
		t.Errorf("accept-queue row roles: %d full, %d other cells", full, other)
	}
	// Short screens get one row per series.
	if n := len(timelineLines(l, span, 40, false)); n != 5 {
		t.Errorf("compact timeline has %d lines, want 5", n)
	}
	// Many buckets are merged to fit the width.
	long := *l
	long.Timeline = analyze.Timeline{Start: l.Timeline.Start, Step: 1, Attempts: make([]int64, 500), Failures: make([]int64, 500)}
	long.Timeline.Failures[499] = 1
	for _, x := range plainLines(timelineLines(&long, timeSpan{}, 60, true)) {
		if cellWidth(x) > 60 {
			t.Errorf("line wider than 60: %q", x)
		}
	}
	if got := plainLines(timelineLines(&analyze.Listener{}, span, 40, true)); got[0] != "no attempts to this listener" {
		t.Errorf("empty timeline: %q", got)
	}
}

func TestListenerLines(t *testing.T) {
	text := strings.Join(plainLines(listenerLines(listenerFixture(), 70)), "\n")
	for _, want := range []string{
		"30 of 200 attempts failed (15%).",
		"outcomes  established 170, unanswered 30",
		"failures  10:00:03.500 → 10:00:05.100 UTC, peak 20/s",
		"verdict  accept_queue_full_syn  confidence 0.97 · 30 attempts",
		"  + counter  ListenOverflows +30; unchanged TCPReqQFullDrop →",
		"  − sysctl   tcp_abort_on_overflow = 1",
		"  1. Raise net.core.somaxconn",
		"     $ sysctl -w net.core.somaxconn=4096",
		"  · raising tcp_max_syn_backlog",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("listenerLines lacks %q:\n%s", want, text)
		}
	}
}

func TestParseCounterEvidence(t *testing.T) {
	for _, tc := range []struct {
		text string
		ok   bool
		want counterEvidence
	}{
		{"nstat between a/b.txt and a/c.txt: TcpExtListenOverflows +12, TcpExtListenDrops +12: ListenOverflows moved, TCPReqQFullDrop did not", true,
			counterEvidence{"nstat between b.txt and c.txt", []counterDelta{{"TcpExtListenOverflows", 12}, {"TcpExtListenDrops", 12}}, "ListenOverflows moved, TCPReqQFullDrop did not"}},
		{"nstat between x and y: TcpExtPAWSPassive +3", true, counterEvidence{"nstat between x and y", []counterDelta{{"TcpExtPAWSPassive", 3}}, ""}},
		{"nstat between x and y: TcpExtSyncookiesFailed -2: odd", true, counterEvidence{"nstat between x and y", []counterDelta{{"TcpExtSyncookiesFailed", -2}}, "odd"}},
		{"counters did not move", false, counterEvidence{}},
		{"nstat: ListenOverflows moved a lot", false, counterEvidence{}},
	} {
		got, ok := parseCounterEvidence(tc.text)
		if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseCounterEvidence(%q) = %+v, %v; want %+v, %v", tc.text, got, ok, tc.want, tc.ok)
		}
	}
	if got := counterSource("nstat between b.txt and c.txt"); got != "b.txt → c.txt" {
		t.Errorf("counterSource: %q", got)
	}
	if got := shortPaths("ss 3/s at samples/x/ss.txt: peak"); got != "ss 3/s at ss.txt: peak" {
		t.Errorf("shortPaths: %q", got)
	}
}

// The kernel panel marks the limits that decide the verdict, a full
// accept queue, and highlights counters that moved for the verdict only.
func TestKernelLines(t *testing.T) {
	r := &analyze.Report{Captures: []analyze.Capture{{Path: "c.pcap", Kernel: &analyze.Kernel{Era: "3.10", Name: "Linux 3.10 (RHEL7)", Source: "inferred", Assumed: true, Evidence: []string{"SYN-ACK RTO 1 s"}}}}}
	l := listenerFixture()
	got := kernelLines(r, l, 60)
	text := plainLines(got)
	for _, want := range []string{
		"Kernel Linux 3.10 (RHEL7)  era 3.10",
		"  from inferred — assumed, not measured: pass --kernel or a",
		"  · SYN-ACK RTO 1 s",
		"Limits (ss+sysctl)",
		"  listen backlog (ss Send-Q)      3  ◀",
		"  deepest accept queue (ss)       4  full",
		"  SYN queue capacity              -",
		"Counters nstat-1.txt → nstat-2.txt",
		"  for accept_queue_full_syn",
		"  ListenOverflows    +30 ◀",
		"  TCPReqQFullDrop     +0",
		"  → ListenOverflows moved, TCPReqQFullDrop did not",
	} {
		found := false
		for _, x := range text {
			found = found || x == want
		}
		if !found {
			t.Errorf("kernel panel lacks %q:\n%s", want, strings.Join(text, "\n"))
		}
	}
	for _, x := range got {
		if strings.HasPrefix(x.plain(), "  ListenOverflows") && x[1].role != roleBad {
			t.Errorf("a supporting counter that moved is not highlighted")
		}
		if strings.HasPrefix(x.plain(), "  TCPReqQFullDrop") && x[1].role != roleMuted {
			t.Errorf("a counter that did not move is highlighted")
		}
	}
	// Evidence against a verdict is not highlighted.
	l.Verdicts[0].Evidence[1].Against = true
	for _, x := range kernelLines(r, l, 60) {
		if strings.HasPrefix(x.plain(), "  ListenOverflows") && x[1].role == roleBad {
			t.Errorf("a counter against the verdict is highlighted")
		}
	}
	if got := plainLines(limitLines(&analyze.Listener{}, 40)); got[1] != "  unknown: add --sysctl and --ss snapshots" {
		t.Errorf("no limits: %q", got)
	}
}

func TestLadderLines(t *testing.T) {
	rungs := []analyze.Rung{
		{At: 0, FromClient: true, Flags: "SYN", Options: "mss 1460, ws 7, sack, ts", HasTS: true, TSval: 100},
		{At: 22 * time.Microsecond, Flags: "SYN,ACK", Ack: 1, Options: "mss 1460, sack", HasTS: true, TSval: 7, TSecr: 100},
		{At: 1011397 * time.Microsecond, FromClient: true, Flags: "ACK", Seq: 1, Ack: 1},
		{At: 1012 * time.Millisecond, Flags: "SYN,ACK", Ack: 1, Note: "retransmit after the client's ACK"},
		{At: 1013 * time.Millisecond, Flags: "RST", Seq: 1},
	}
	got := ladderLines(rungs, "10.0.0.2:40000", "10.0.0.1:80", 64)
	want := []string{
		"      ms  10.0.0.2:40000                           10.0.0.1:80",
		"         │                                                    │",
		"   0.000 │ SYN seq 0 ───────────────────────────────────────▶ │",
		"         │   mss 1460, ws 7, sack, ts · TSval 100 TSecr 0     │",
		"   0.022 │ ◀───────────────────────────── SYN,ACK seq 0 ack 1 │",
		"         │               mss 1460, sack · TSval 7 TSecr 100   │",
		"1011.397 │ ACK seq 1 ack 1 ─────────────────────────────────▶ │",
		"1012.000 │ ◀────── SYN,ACK seq 0 ack 1 (retransmit after ACK) │",
		"1013.000 │ ◀─────────────────────────────────────── RST seq 1 │",
	}
	if text := plainLines(got); !reflect.DeepEqual(text, want) {
		t.Errorf("ladder:\n%s\nwant:\n%s", strings.Join(text, "\n"), strings.Join(want, "\n"))
	}
	if got[7][1].role != roleBad || got[8][1].role != roleBad || got[2][1].role != roleText {
		t.Errorf("roles: retransmit after ACK %v, RST %v, SYN %v", got[7][1].role, got[8][1].role, got[2][1].role)
	}
	// Every line fits, however narrow.
	for _, w := range []int{30, 50, 120} {
		for _, x := range plainLines(ladderLines(rungs, "[fd77::2]:40000", "[fd77::1]:8080", w)) {
			if n := cellWidth(x); n > max(w, 37) {
				t.Errorf("width %d: line %q is %d wide", w, x, n)
			}
		}
	}
	if got := plainLines(ladderLines(nil, "a", "b", 40)); got[2] != "no packets of this attempt were found in its capture" {
		t.Errorf("empty ladder: %q", got)
	}
}

func TestTimingLines(t *testing.T) {
	m, err := kernel.Representative("4.12-6.12")
	if err != nil {
		t.Fatal(err)
	}
	a := &analyze.Attempt{
		Outcome: "ack_ignored", ClientSchedule: "exp-1s", ServerSchedule: "exp-1s",
		SYNTimes: []float64{0, 1003, 3010, 9000},
		SynAckTimes: []analyze.SynAck{
			{At: 3010.1}, {At: 4011, AfterAck: true}, {At: 6015, AfterAck: true}, {At: 9000.2, Triggered: true}, {At: 10200},
		},
	}
	text := strings.Join(plainLines(timingLines(a, &m, 80)), "\n")
	for _, want := range []string{
		"Client SYNs — exp-1s",
		"   2    1.00 s   +1.00 s      +1 s  ✓",
		"   3    3.01 s   +2.01 s      +2 s  ✓",
		"   4    9.00 s   +5.99 s      +4 s  late",
		"Server SYN-ACKs — exp-1s",
		"+1, +3, +7, +15, +31\u00a0s after the first SYN-ACK",
		"   1    3.01 s  first",
		"   2    4.01 s    +1.00 s      +1 s  ✓  after ACK",
		"   3    6.01 s    +3.00 s      +3 s  ✓  after ACK",
		"   4    9.00 s    +5.99 s  answers a SYN retransmit",
		"   5    10.2 s    +7.19 s      +7 s  ✓",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("timing lacks %q:\n%s", want, text)
		}
	}
	none := &analyze.Attempt{Outcome: "unanswered", SYNTimes: []float64{0}}
	text = strings.Join(plainLines(timingLines(none, nil, 80)), "\n")
	for _, want := range []string{"one SYN, no retransmit", "kernel unknown: no expected schedule", "none: the server never answered"} {
		if !strings.Contains(text, want) {
			t.Errorf("timing lacks %q:\n%s", want, text)
		}
	}
	for _, tc := range []struct {
		s    string
		n    int
		want time.Duration
		ok   bool
	}{
		{"exp-1s", 1, time.Second, true}, {"exp-1s", 3, 4 * time.Second, true},
		{"exp-3s", 2, 6 * time.Second, true},
		{"linear-1s", 4, time.Second, true}, {"linear-1s", 5, 2 * time.Second, true}, {"linear-1s", 6, 4 * time.Second, true},
		{"irregular", 1, 0, false}, {"", 1, 0, false},
	} {
		if got, ok := expectedGap(tc.s, tc.n); got != tc.want || ok != tc.ok {
			t.Errorf("expectedGap(%q, %d) = %v, %v", tc.s, tc.n, got, ok)
		}
	}
}

func attemptsFixture() *analyze.Report {
	br := func(s string) *string { return &s }
	r := &analyze.Report{}
	add := func(client, first, outcome string, syns int, branch *string, c *float64) {
		r.Attempts = append(r.Attempts, analyze.Attempt{Client: client, Server: "10.0.0.1:80", FirstSYN: first, Outcome: outcome, SYNs: syns, Branch: branch, Confidence: c})
	}
	add("10.0.0.9:1000", "2026-11-20T10:00:01Z", "unanswered", 4, br("accept_queue_full_syn"), ptr(0.97))
	add("10.0.0.10:1000", "2026-11-20T10:00:01.5Z", "established_after_retry", 2, br("accept_queue_full_syn"), ptr(0.9))
	add("10.0.0.2:2000", "2026-11-20T10:00:00.25Z", "established", 1, nil, nil)
	add("10.0.0.2:1999", "2026-11-20T10:00:02Z", "reset", 1, br("closed_port"), ptr(0.8))
	r.Attempts = append(r.Attempts, analyze.Attempt{Client: "10.0.0.3:1", Server: "10.0.0.1:443", FirstSYN: "2026-11-20T10:00:00Z", Outcome: "unanswered"})
	return r
}

func TestSelectAttempts(t *testing.T) {
	r := attemptsFixture()
	all := attemptsOf(r, "10.0.0.1:80")
	if !reflect.DeepEqual(all, []int{0, 1, 2, 3}) {
		t.Fatalf("attemptsOf = %v", all)
	}
	for _, tc := range []struct {
		name   string
		filter attemptFilter
		query  string
		sort   attemptSort
		want   []int
	}{
		{"by first SYN", attemptFilter{}, "", attemptSort{col: 1}, []int{2, 0, 1, 3}},
		{"by first SYN, reversed", attemptFilter{}, "", attemptSort{col: 1, desc: true}, []int{3, 1, 0, 2}},
		{"by client, numerically", attemptFilter{}, "", attemptSort{col: 0}, []int{3, 2, 0, 1}},
		{"by SYNs", attemptFilter{}, "", attemptSort{col: 2}, []int{2, 3, 1, 0}},
		{"by outcome, report order", attemptFilter{}, "", attemptSort{col: 4}, []int{2, 1, 0, 3}},
		{"by branch, none last", attemptFilter{}, "", attemptSort{col: 5}, []int{0, 1, 3, 2}},
		{"by confidence", attemptFilter{}, "", attemptSort{col: 6, desc: true}, []int{0, 1, 3, 2}},
		{"outcome filter", attemptFilter{"outcome", "unanswered"}, "", attemptSort{col: 1}, []int{0}},
		{"branch filter", attemptFilter{"branch", "accept_queue_full_syn"}, "", attemptSort{col: 1}, []int{0, 1}},
		{"no-branch filter", attemptFilter{"branch", ""}, "", attemptSort{col: 1}, []int{2}},
		{"search", attemptFilter{}, "10.0.0.2:", attemptSort{col: 1}, []int{2, 3}},
		{"search a port", attemptFilter{}, ":1000", attemptSort{col: 0}, []int{0, 1}},
		{"search and filter", attemptFilter{"outcome", "reset"}, "10.0.0.2", attemptSort{col: 1}, []int{3}},
		{"search nothing", attemptFilter{}, "192.168.", attemptSort{col: 1}, []int{}},
	} {
		if got := selectAttempts(r, all, tc.filter, tc.query, tc.sort); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	choices := filterChoices(r, all)
	var labels []string
	for _, c := range choices {
		labels = append(labels, c.label)
	}
	want := []string{"all attempts (4)", "outcome  established (1)", "outcome  established_after_retry (1)", "outcome  unanswered (1)", "outcome  reset (1)",
		"branch   none (1)", "branch   accept_queue_full_syn (2)", "branch   closed_port (1)"}
	if !reflect.DeepEqual(labels, want) {
		t.Errorf("filterChoices = %q", labels)
	}
	if got := attemptRow(&r.Attempts[2]); !reflect.DeepEqual(got, []string{"10.0.0.2:2000", "10:00:00.250", "1", "0", "established", "-", "-"}) {
		t.Errorf("attemptRow = %q", got)
	}
	if !matchesSearch(&analyze.Attempt{Client: "[fd77::2]:40000"}, "FD77::2") {
		t.Error("search is not case-insensitive for IPv6")
	}
}

// One key table: no key means two things in one context, and the help
// lists every key with its description.
func TestKeyTable(t *testing.T) {
	keys := keyTable()
	type k struct {
		key tcell.Key
		ch  rune
	}
	for _, c := range []context{inOverview, inAttempts, inDetail, inHelp, inFilter, inLoading} {
		seen := map[k]string{}
		for _, b := range keys {
			if b.ctx&c == 0 {
				continue
			}
			id := k{b.key, b.ch}
			if prev, dup := seen[id]; dup {
				t.Errorf("context %d: %s is both %q and %q", c, b.name, prev, b.desc)
			}
			seen[id] = b.desc
		}
	}
	help := strings.Join(plainLines(helpLines(keys, 100)), "\n")
	for _, b := range keys {
		if b.ctx&^inLoading == 0 {
			continue
		}
		if !strings.Contains(help, b.desc) || !strings.Contains(help, b.name) {
			t.Errorf("help lacks %s %q", b.name, b.desc)
		}
	}
	// What the issue asks for is there.
	for _, want := range []string{"↓ j", "↑ k", "← h", "→ l", "gg Home", "G End", "Enter", "Esc Backspace", "Tab", "?", "q Ctrl-C", "/", "f", "s", "e", "E"} {
		if !strings.Contains(help, "  "+want+" ") {
			t.Errorf("help lacks the key %q", want)
		}
	}
	// Esc never quits.
	for _, b := range keys {
		if b.key == tcell.KeyEscape && b.desc == "quit" {
			t.Error("Esc quits somewhere")
		}
	}
	if got := hints(keys, inAttempts).plain(); got != "Tab panes  Enter open  Esc back  / search  f filter  s sort  e export  ? help  q quit" {
		t.Errorf("attempts hints: %q", got)
	}
}

func TestLoadingLines(t *testing.T) {
	got := plainLines(loadingLines([]string{"a.pcap", "-"}, []int64{4 << 20, 0}, []int64{1 << 20, 5 << 20}, 3*time.Second, 80))
	want := []string{
		"Reading 2 captures …",
		"",
		"  a.pcap",
		"    [█████████░░░░░░░░░░░░░░░░░░░░░░░░░░░]  25% of 4.0 MB",
		"  -",
		"    5.0 MB read",
		"",
		"3 s — q quits, ? shows the keys",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("loading:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	got = plainLines(loadingLines([]string{"a.pcap"}, []int64{1000}, []int64{500}, 0, 60))
	if got[0] != "Reading 1 capture — 50% …" {
		t.Errorf("head %q", got[0])
	}
}

func TestExportNames(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{safeName("10.0.0.1:80"), "10.0.0.1_80"},
		{safeName("[fd77::1]:8080"), "fd77--1_8080"},
		{listenerFileName(&analyze.Listener{Server: "[fd77::1]:8080"}, "md"), "halfopen-fd77--1_8080.md"},
		{attemptFileName(&analyze.Attempt{Client: "10.0.0.2:40000", Server: "10.0.0.1:80", FirstSYN: "2026-11-20T10:00:01.25Z"}, "json"), "halfopen-10.0.0.2_40000-to-10.0.0.1_80-100001.250000.json"},
		{md("a|b *c* <d>"), `a\|b \*c\* &lt;d&gt;`},
		{code("x`y"), "`` x`y ``"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestAttemptMarkdownAndJSON(t *testing.T) {
	r := &analyze.Report{Schema: "halfopen/v1", Generator: "halfopen test",
		Captures:  []analyze.Capture{{Path: "c.pcap", Kernel: &analyze.Kernel{Era: "6.13+", Name: "Linux 6.18", Source: "uname.txt"}}},
		Listeners: []analyze.Listener{*listenerFixture()}}
	r.Listeners[0].Server = "10.0.0.1:80"
	a := &analyze.Attempt{Client: "10.0.0.2:40000", Server: "10.0.0.1:80", FirstSYN: "2026-11-20T10:00:01Z", Outcome: "unanswered",
		Branch: ptr("accept_queue_full_syn"), Confidence: ptr(0.97), SYNs: 2, SYNTimes: []float64{0, 1000},
		Evidence: []analyze.Evidence{{Kind: "packets", Text: "2 SYNs, none answered"}}}
	lr := &ladderResult{rungs: []analyze.Rung{{FromClient: true, Flags: "SYN"}, {At: time.Second, FromClient: true, Flags: "SYN", Note: "retransmit", HasTS: true, TSval: 5}}}
	md := attemptMarkdown(r, a, lr)
	for _, want := range []string{
		"# halfopen: 10.0.0.2:40000 → 10.0.0.1:80 — unanswered",
		"- First SYN: 2026-11-20 10:00:01.000000 UTC",
		"- Branch: `accept_queue_full_syn` (confidence 0.97)",
		"- (for, packets) 2 SYNs, none answered",
		"SYN seq 0 (retransmit)",
		"## The listener's verdict: `accept_queue_full_syn`",
		"1. **Raise net.core.somaxconn**: `sysctl -w net.core.somaxconn=4096`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("attempt Markdown lacks %q:\n%s", want, md)
		}
	}
	b, err := attemptJSON(r, a, lr)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"schema": "halfopen/v1"`, `"at_ms": 1000`, `"from": "client"`, `"tsval": 5`, `"note": "retransmit"`, `"branch": "accept_queue_full_syn"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("attempt JSON lacks %s:\n%s", want, b)
		}
	}
	b, _ = attemptJSON(r, a, &ladderResult{err: fmt.Errorf("gone")})
	if !strings.Contains(string(b), `"packets_error": "gone"`) {
		t.Errorf("attempt JSON without packets:\n%s", b)
	}
}
