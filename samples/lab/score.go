//go:build linux

package lab

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/halfopen/halfopen/analyze"
	"github.com/halfopen/halfopen/analyze/kernel"
)

// Grade is how halfopen's answer for one attempt compares with the truth.
type Grade int

const (
	Right    Grade = iota // outcome acceptable and branch in the acceptable set
	Weaker                // outcome acceptable, an honest weaker branch (unknown, low confidence, not a drop)
	Wrong                 // anything else on an attempt whose truth is certain
	Unscored              // the truth is uncertain and halfopen's branch is outside the set
)

func (g Grade) String() string { return [...]string{"right", "weaker", "wrong", "unscored"}[g] }

// Tally counts grades.
type Tally [4]int

// Add counts another tally in.
func (t *Tally) Add(o Tally) {
	for i := range t {
		t[i] += o[i]
	}
}

// Scored is the number of graded attempts (uncertain truths excluded).
func (t Tally) Scored() int { return t[Right] + t[Weaker] + t[Wrong] }

// Miss is one attempt halfopen got wrong (or weaker), for the report.
type Miss struct {
	Mode      string // "snapshots" or "capture-only"
	Grade     Grade
	Client    string
	Server    string
	FirstSYN  string
	Role      string
	Want      string // acceptable outcomes / branches
	Got       string
	Why       string // the truth's reasons
	GotReason string // halfopen's evidence, shortened
}

// Score is one scenario's grades.
type Score struct {
	Scenario string
	Seed     int64
	Dir      string
	Attempts int
	Snap     Tally
	Bare     Tally
	Misses   []Miss
	// Facts grades the scenario-level facts (vantage, flood, scans,
	// duplicate frames, listener closed) with snapshots: printed, not
	// part of the pass/fail rule.
	Facts    Tally
	FactMiss []string
}

// ScoreBundle runs halfopen on a bundle with its snapshots and again
// capture-only, and grades every attempt of its expected.json.
func ScoreBundle(dir string, exp *Expected) (*Score, error) {
	in, err := analyze.LoadBundle(dir, analyze.SnapshotFiles{})
	if err != nil {
		return nil, fmt.Errorf("score %s: %w", dir, err)
	}
	withSnaps := analyze.Run([]analyze.Input{in}, analyze.Options{List: analyze.ListAll})
	bare := analyze.Run([]analyze.Input{{Path: in.Path}}, analyze.Options{List: analyze.ListAll})
	s := &Score{Scenario: exp.Scenario, Seed: exp.Seed, Dir: dir, Attempts: len(exp.Attempts)}
	for _, mode := range []struct {
		name  string
		r     *analyze.Report
		tally *Tally
	}{{"snapshots", withSnaps, &s.Snap}, {"capture-only", bare, &s.Bare}} {
		idx := indexAttempts(mode.r)
		agg := aggregates(mode.r)
		for _, e := range exp.Attempts {
			h := idx.find(e)
			g, got, reason := grade(e, h, mode.name == "snapshots")
			if h == nil && agg.covers(e) {
				// halfopen keeps floods and scans out of the attempts
				// (README "Not clients"): recognising them is the answer.
				g, got = Right, "counted in the "+e.Role
			}
			mode.tally[g]++
			if g != Right && g != Unscored {
				s.Misses = append(s.Misses, Miss{Mode: mode.name, Grade: g, Client: e.Client, Server: e.Server, FirstSYN: e.FirstSYN, Role: e.Role,
					Want: strings.Join(e.Outcomes, "|") + " / " + strings.Join(e.Branches, "|"), Got: got, Why: e.Why, GotReason: reason})
			}
		}
	}
	s.gradeFacts(exp, withSnaps)
	return s, nil
}

// aggregated are the floods and scans halfopen reported.
type aggregated struct {
	flood map[string]bool // listener server ip:port
	scans map[string]bool // scanning source address
}

func aggregates(r *analyze.Report) aggregated {
	a := aggregated{flood: map[string]bool{}, scans: map[string]bool{}}
	for _, l := range r.Listeners {
		if l.Flood != nil {
			a.flood[l.Server] = true
		}
	}
	for _, c := range r.Captures {
		for _, sc := range c.Scans {
			a.scans[sc.Source] = true
		}
	}
	return a
}

// covers: a flood or scan attempt halfopen did not list but counted in a
// flood of its listener or a scan by its source.
func (a aggregated) covers(e ExpAttempt) bool {
	switch e.Role {
	case "flood":
		return a.flood[e.Server]
	case "scan":
		host := e.Client
		if i := strings.LastIndex(host, ":"); i > 0 {
			host = strings.Trim(host[:i], "[]")
		}
		return a.scans[host]
	}
	return false
}

// gradeFacts compares the scenario-level facts with halfopen's report.
func (s *Score) gradeFacts(exp *Expected, r *analyze.Report) {
	check := func(ok bool, format string, args ...any) {
		if ok {
			s.Facts[Right]++
			return
		}
		s.Facts[Wrong]++
		s.FactMiss = append(s.FactMiss, fmt.Sprintf(format, args...))
	}
	if len(r.Captures) == 0 {
		return
	}
	c := r.Captures[0]
	check(c.Vantage == exp.Vantage, "vantage %s, want %s", c.Vantage, exp.Vantage)
	check((c.Duplicates > 0) == (exp.Capture.DuplicateFrames > 0), "duplicate frames %d, want %d", c.Duplicates, exp.Capture.DuplicateFrames)
	listeners := map[string]analyze.Listener{}
	for _, l := range r.Listeners {
		listeners[l.Server] = l
	}
	if exp.Flood != nil {
		check(listeners[exp.Flood.Server].Flood != nil, "no flood reported on %s (%d spoofed sources)", exp.Flood.Server, exp.Flood.Sources)
	}
	agg := aggregates(r)
	for _, sc := range exp.Scans {
		check(agg.scans[sc.Source], "no scan reported from %s (%d ports)", sc.Source, sc.Ports)
	}
	for _, l := range exp.Listeners {
		if len(l.ClosedAt) > 0 {
			check(listeners[l.Server].Closed != nil, "listener %s closed at %s, not reported", l.Server, l.ClosedAt[0])
		}
	}
}

type attemptIndex struct {
	byISN   map[string]*analyze.Attempt
	byTuple map[string][]*analyze.Attempt
}

func indexAttempts(r *analyze.Report) attemptIndex {
	idx := attemptIndex{byISN: map[string]*analyze.Attempt{}, byTuple: map[string][]*analyze.Attempt{}}
	for i := range r.Attempts {
		a := &r.Attempts[i]
		idx.byISN[fmt.Sprintf("%s>%s/%d", a.Client, a.Server, a.ISN)] = a
		k := a.Client + ">" + a.Server
		idx.byTuple[k] = append(idx.byTuple[k], a)
	}
	return idx
}

// find matches by client, server and ISN; else the same 4-tuple whose first
// SYN is closest (within 1 s).
func (idx attemptIndex) find(e ExpAttempt) *analyze.Attempt {
	if a := idx.byISN[fmt.Sprintf("%s>%s/%d", e.Client, e.Server, e.ISN)]; a != nil {
		return a
	}
	want, err := time.Parse(time.RFC3339Nano, e.FirstSYN)
	if err != nil {
		return nil
	}
	var best *analyze.Attempt
	bestD := time.Second
	for _, a := range idx.byTuple[e.Client+">"+e.Server] {
		t, err := time.Parse(time.RFC3339Nano, a.FirstSYN)
		if err != nil {
			continue
		}
		d := t.Sub(want)
		if d < 0 {
			d = -d
		}
		if d < bestD {
			best, bestD = a, d
		}
	}
	return best
}

// grade compares one attempt.
func grade(e ExpAttempt, h *analyze.Attempt, snapshots bool) (Grade, string, string) {
	if h == nil {
		if !e.Certain {
			return Unscored, "not reported", ""
		}
		return Wrong, "not reported", ""
	}
	branch := bNone
	if h.Branch != nil {
		branch = *h.Branch
	}
	conf := 0.0
	if h.Confidence != nil {
		conf = *h.Confidence
	}
	got := fmt.Sprintf("%s / %s (%.2f)", h.Outcome, branch, conf)
	reason := evidenceText(h.Evidence)
	outcomeOK := contains(e.Outcomes, h.Outcome)
	switch {
	case outcomeOK && contains(e.Branches, branch):
		return Right, got, reason
	case !e.Certain:
		return Unscored, got, reason
	case outcomeOK && h.Outcome == "incomplete" && (branch == bNone || branch == bUnknown):
		// The capture ended before the attempt did: saying so, and blaming
		// nothing, is honest even when the kernel knows more.
		return Weaker, got, reason
	case outcomeOK && honestWeaker(branch, conf, snapshots):
		return Weaker, got, reason
	}
	return Wrong, got, reason
}

// honestWeaker: "unknown", or (capture only) a low-confidence or non-drop
// answer that accuses the server of nothing it did not do.
func honestWeaker(branch string, conf float64, snapshots bool) bool {
	if branch == bUnknown {
		return true
	}
	if snapshots {
		return false
	}
	b, _ := kernel.Lookup(branch)
	return conf <= 0.5 || !b.Drop
}

func evidenceText(ev []analyze.Evidence) string {
	var parts []string
	for _, e := range ev {
		if e.Against {
			continue
		}
		parts = append(parts, e.Text)
		if len(parts) == 2 {
			break
		}
	}
	s := strings.Join(parts, "; ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Line is the per-scenario line of the oracle report.
func (s *Score) Line() string {
	seed := ""
	if s.Seed != 0 {
		seed = fmt.Sprintf(" seed=%d", s.Seed)
	}
	return fmt.Sprintf("%-26s%s attempts=%d snapshots: %d right %d weaker %d wrong %d unscored | capture only: %d right %d weaker %d wrong %d unscored | facts %d/%d",
		s.Scenario, seed, s.Attempts, s.Snap[Right], s.Snap[Weaker], s.Snap[Wrong], s.Snap[Unscored], s.Bare[Right], s.Bare[Weaker], s.Bare[Wrong], s.Bare[Unscored],
		s.Facts[Right], s.Facts[Right]+s.Facts[Wrong])
}

// Summary aggregates scores for the final table.
type Summary struct {
	Scenarios int
	Attempts  int
	Snap      Tally
	Bare      Tally
	Facts     Tally
	// Causes groups the misses: mode, want → got.
	Causes map[string][]string
}

// Summarize adds the scores up.
func Summarize(scores []*Score) Summary {
	sum := Summary{Causes: map[string][]string{}}
	for _, s := range scores {
		sum.Scenarios++
		sum.Attempts += s.Attempts
		sum.Snap.Add(s.Snap)
		sum.Bare.Add(s.Bare)
		sum.Facts.Add(s.Facts)
		for _, m := range s.FactMiss {
			k := "fact         wrong  " + factKind(m)
			sum.Causes[k] = append(sum.Causes[k], fmt.Sprintf("%s: %s", scoreWhere(s), m))
		}
		for _, m := range s.Misses {
			k := fmt.Sprintf("%-12s %-6s want %s, got %s", m.Mode, m.Grade, m.Want, stripConf(m.Got))
			sum.Causes[k] = append(sum.Causes[k], fmt.Sprintf("%s %s %s", scoreWhere(s), m.Role, m.Client))
		}
	}
	return sum
}

func scoreWhere(s *Score) string {
	if s.Seed != 0 {
		return fmt.Sprintf("seed %d", s.Seed)
	}
	return s.Scenario
}

// factKind is a fact miss without its numbers, for grouping.
func factKind(m string) string {
	for _, k := range []string{"vantage", "duplicate frames", "no flood", "no scan", "listener"} {
		if strings.HasPrefix(m, k) {
			return k
		}
	}
	return m
}

func stripConf(got string) string {
	if i := strings.LastIndex(got, " ("); i > 0 {
		return got[:i]
	}
	return got
}

// CaptureOnlyAgree is the share of scored capture-only attempts that are right.
func (s Summary) CaptureOnlyAgree() float64 {
	if s.Bare.Scored() == 0 {
		return 100
	}
	return 100 * float64(s.Bare[Right]) / float64(s.Bare.Scored())
}

// Table is the summary table: totals per mode, then the misses grouped by
// cause, most frequent first, with up to three examples each.
func (s Summary) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-14s %8s %8s %8s %8s\n", "mode", "right", "weaker", "wrong", "unscored")
	fmt.Fprintf(&b, "%-14s %8d %8d %8d %8d\n", "snapshots", s.Snap[Right], s.Snap[Weaker], s.Snap[Wrong], s.Snap[Unscored])
	fmt.Fprintf(&b, "%-14s %8d %8d %8d %8d\n", "capture only", s.Bare[Right], s.Bare[Weaker], s.Bare[Wrong], s.Bare[Unscored])
	fmt.Fprintf(&b, "%-14s %8d %8s %8d %8s   (vantage, flood, scans, duplicates, listener closed; not in the pass rule)\n", "scenario facts", s.Facts[Right], "", s.Facts[Wrong], "")
	type cause struct {
		key string
		ex  []string
	}
	var cs []cause
	for k, ex := range s.Causes {
		cs = append(cs, cause{k, ex})
	}
	sort.Slice(cs, func(i, j int) bool {
		if len(cs[i].ex) != len(cs[j].ex) {
			return len(cs[i].ex) > len(cs[j].ex)
		}
		return cs[i].key < cs[j].key
	})
	if len(cs) > 0 {
		b.WriteString("misses by cause (count: mode grade want → got; examples):\n")
	}
	for _, c := range cs {
		ex := c.ex
		if len(ex) > 3 {
			ex = ex[:3]
		}
		fmt.Fprintf(&b, "%5d  %s\n       e.g. %s\n", len(c.ex), c.key, strings.Join(ex, "; "))
	}
	return b.String()
}

// LastLine is the oracle's required final line.
func (s Summary) LastLine() string {
	return fmt.Sprintf("oracle: %d scenarios, %d attempts, with snapshots %d right %d wrong, capture only %.0f%% agree",
		s.Scenarios, s.Attempts, s.Snap[Right], s.Snap[Wrong], s.CaptureOnlyAgree())
}
