package analyze

import (
	"fmt"
	"sort"
)

// DiffSchema identifies the JSON form of a Diff.
const DiffSchema = "halfopen-diff/v1"

// Diff compares two analyses listener by listener: e.g. a load test before
// and after raising somaxconn.
type Diff struct {
	Schema    string         `json:"schema"`
	Headline  string         `json:"headline"`
	Before    DiffSide       `json:"before"`
	After     DiffSide       `json:"after"`
	Listeners []ListenerDiff `json:"listeners"`
}

// DiffSide summarises one of the two reports.
type DiffSide struct {
	Sources  []string `json:"sources"`
	Attempts int64    `json:"attempts"`
	Failed   int64    `json:"failed"`
	Headline string   `json:"headline"`
	// ListenersOmitted are listeners the report counted but did not list
	// (--max-listeners): the diff cannot compare them.
	ListenersOmitted int `json:"listeners_omitted"`
}

// Listener statuses in a Diff.
const (
	StatusFixed     = "fixed"     // failed before, not after
	StatusImproved  = "improved"  // failure rate at most half of before
	StatusUnchanged = "unchanged" // neither better nor worse enough to say
	StatusWorse     = "worse"     // failure rate 1.5× before and 1 point more
	StatusRegressed = "regressed" // healthy before, failing after
	StatusNew       = "new"       // only in the after report
	StatusGone      = "gone"      // only in the before report
)

// ListenerDiff is one listener in both reports.
type ListenerDiff struct {
	Server      string        `json:"server"`
	Status      string        `json:"status"`
	Before      *ListenerSide `json:"before"`
	After       *ListenerSide `json:"after"`
	BranchesNew []string      `json:"branches_new"`
	BranchesGon []string      `json:"branches_gone"`
}

// ListenerSide is a listener's figures in one report.
type ListenerSide struct {
	Attempts    int64            `json:"attempts"`
	Failed      int64            `json:"failed"`
	FailureRate float64          `json:"failure_rate"`
	TopBranch   string           `json:"top_branch,omitempty"`
	Confidence  float64          `json:"confidence,omitempty"`
	Branches    map[string]int64 `json:"branches"`
}

func side(l *Listener) *ListenerSide {
	s := &ListenerSide{Attempts: l.Attempts, Failed: l.Failed, FailureRate: l.FailureRate, Branches: l.Branches}
	if s.Branches == nil {
		s.Branches = map[string]int64{}
	}
	if len(l.Verdicts) > 0 {
		s.TopBranch, s.Confidence = l.Verdicts[0].Branch, l.Verdicts[0].Confidence
	}
	return s
}

// Compare builds the diff of two reports.
func Compare(before, after *Report) *Diff {
	d := &Diff{Schema: DiffSchema, Before: summarise(before), After: summarise(after), Listeners: []ListenerDiff{}}
	idx := map[string]*ListenerDiff{}
	var order []string
	get := func(server string) *ListenerDiff {
		if ld, ok := idx[server]; ok {
			return ld
		}
		ld := &ListenerDiff{Server: server, BranchesNew: []string{}, BranchesGon: []string{}}
		idx[server] = ld
		order = append(order, server)
		return ld
	}
	for i := range before.Listeners {
		get(before.Listeners[i].Server).Before = side(&before.Listeners[i])
	}
	for i := range after.Listeners {
		get(after.Listeners[i].Server).After = side(&after.Listeners[i])
	}
	for _, server := range order {
		ld := idx[server]
		ld.Status = status(ld.Before, ld.After)
		if ld.Before != nil && ld.After != nil {
			ld.BranchesNew = branchDiff(ld.After.Branches, ld.Before.Branches)
			ld.BranchesGon = branchDiff(ld.Before.Branches, ld.After.Branches)
		}
		d.Listeners = append(d.Listeners, *ld)
	}
	sort.SliceStable(d.Listeners, func(i, j int) bool {
		ri, rj := statusRank(d.Listeners[i].Status), statusRank(d.Listeners[j].Status)
		if ri != rj {
			return ri < rj
		}
		return d.Listeners[i].Server < d.Listeners[j].Server
	})
	d.Headline = diffHeadline(d)
	return d
}

func summarise(r *Report) DiffSide {
	s := DiffSide{Attempts: r.Totals.Attempts, Failed: r.Totals.Failed, Headline: r.Headline, Sources: []string{}, ListenersOmitted: r.Totals.ListenersOmitted}
	for _, c := range r.Captures {
		s.Sources = append(s.Sources, c.Path)
	}
	return s
}

func status(b, a *ListenerSide) string {
	switch {
	case b == nil:
		return StatusNew
	case a == nil:
		return StatusGone
	case b.Failed > 0 && a.Failed == 0:
		return StatusFixed
	case b.Failed == 0 && a.Failed > 0:
		return StatusRegressed
	case b.Failed == 0 && a.Failed == 0:
		return StatusUnchanged
	case a.FailureRate <= b.FailureRate/2:
		return StatusImproved
	case a.FailureRate >= b.FailureRate*1.5 && a.FailureRate-b.FailureRate >= 0.01:
		return StatusWorse
	}
	return StatusUnchanged
}

// statusRank puts what needs attention first.
func statusRank(s string) int {
	switch s {
	case StatusRegressed:
		return 0
	case StatusWorse:
		return 1
	case StatusNew:
		return 2
	case StatusUnchanged:
		return 3
	case StatusImproved:
		return 4
	case StatusFixed:
		return 5
	}
	return 6
}

func branchDiff(a, b map[string]int64) []string {
	out := []string{}
	for k, v := range a {
		if v > 0 && b[k] == 0 {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func diffHeadline(d *Diff) string {
	counts := map[string]int{}
	for _, l := range d.Listeners {
		counts[l.Status]++
	}
	rate := func(s DiffSide) string {
		if s.Attempts == 0 {
			return "no attempts"
		}
		return fmt.Sprintf("%d of %d attempts failed (%s)", s.Failed, s.Attempts, Percent(float64(s.Failed)/float64(s.Attempts)))
	}
	h := fmt.Sprintf("before: %s; after: %s.", rate(d.Before), rate(d.After))
	var parts []string
	for _, s := range []string{StatusRegressed, StatusWorse, StatusFixed, StatusImproved} {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	if len(parts) > 0 {
		h += " Listeners: " + joinComma(parts) + "."
	}
	return h
}

// Notes say what the diff could not compare, one sentence each.
func (d *Diff) Notes() []string {
	var out []string
	for _, s := range []struct {
		name string
		side DiffSide
	}{{"before", d.Before}, {"after", d.After}} {
		if n := s.side.ListenersOmitted; n > 0 {
			out = append(out, fmt.Sprintf("the %s report did not list %d of its listeners (--max-listeners): they are not compared", s.name, n))
		}
	}
	return out
}

// Regressions lists the listeners that got worse, for a --fail-on regressed gate.
func (d *Diff) Regressions() []string {
	var out []string
	for _, l := range d.Listeners {
		if l.Status == StatusRegressed || l.Status == StatusWorse {
			out = append(out, fmt.Sprintf("%s %s: failure rate %s → %s", l.Server, l.Status, Percent(l.Before.FailureRate), Percent(l.After.FailureRate)))
		}
	}
	return out
}
