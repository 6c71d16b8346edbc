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
		for _, e := range exp.Attempts {
			h := idx.find(e)
			g, got, reason := grade(e, h, mode.name == "snapshots")
			mode.tally[g]++
			if g != Right && g != Unscored {
				s.Misses = append(s.Misses, Miss{Mode: mode.name, Grade: g, Client: e.Client, Server: e.Server, FirstSYN: e.FirstSYN, Role: e.Role,
					Want: strings.Join(e.Outcomes, "|") + " / " + strings.Join(e.Branches, "|"), Got: got, Why: e.Why, GotReason: reason})
			}
		}
	}
	return s, nil
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
	return fmt.Sprintf("%-26s%s attempts=%d snapshots: %d right %d weaker %d wrong %d unscored | capture only: %d right %d weaker %d wrong %d unscored",
		s.Scenario, seed, s.Attempts, s.Snap[Right], s.Snap[Weaker], s.Snap[Wrong], s.Snap[Unscored], s.Bare[Right], s.Bare[Weaker], s.Bare[Wrong], s.Bare[Unscored])
}

// Summary aggregates scores for the final table.
type Summary struct {
	Scenarios int
	Attempts  int
	Snap      Tally
	Bare      Tally
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
		for _, m := range s.Misses {
			k := fmt.Sprintf("%-12s %-6s want %s, got %s", m.Mode, m.Grade, m.Want, stripConf(m.Got))
			where := s.Scenario
			if s.Seed != 0 {
				where = fmt.Sprintf("seed %d", s.Seed)
			}
			sum.Causes[k] = append(sum.Causes[k], fmt.Sprintf("%s %s %s", where, m.Role, m.Client))
		}
	}
	return sum
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
