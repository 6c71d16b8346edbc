package snapshot

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// gauges are values in the counter files that are not monotonic counters:
// configuration and current levels. They may go down between two honest
// snapshots, so they never decide the order.
var gauges = map[string]bool{
	"IpForwarding": true, "IpDefaultTTL": true,
	"TcpRtoAlgorithm": true, "TcpRtoMin": true, "TcpRtoMax": true, "TcpMaxConn": true, "TcpCurrEstab": true,
	"Ip6Forwarding": true,
}

// Monotonic reports whether a counter name only ever grows (until a reboot).
func Monotonic(name string) bool { return !gauges[name] }

// Ordered is the result of ordering absolute counter snapshots.
type Ordered struct {
	Snapshots []*Counters // earliest first, by content
	Usable    bool        // false when counters went backwards: no delta can be trusted
	Warnings  []string
}

// OrderCounters puts absolute counter snapshots in the order their
// content proves: counters only grow, so the snapshot with the smaller
// values was taken first. The order the caller gives (command line, file
// names, time headers) is only a claim; when it disagrees with the content
// a warning says which won. When some counters grew and others shrank
// between two snapshots (a reboot, another host or namespace), no order is
// right: Usable is false and a warning says why.
func OrderCounters(given []*Counters) Ordered {
	out := Ordered{Snapshots: append([]*Counters(nil), given...), Usable: true}
	if len(given) < 2 {
		return out
	}
	claimed := claims(given)[0].order
	sums := make(map[*Counters]float64, len(given))
	for _, c := range given {
		sums[c] = monotonicSum(c, given)
	}
	sort.SliceStable(out.Snapshots, func(i, j int) bool { return sums[out.Snapshots[i]] < sums[out.Snapshots[j]] })
	for i := 1; i < len(out.Snapshots); i++ {
		if len(backwards(out.Snapshots[i-1], out.Snapshots[i])) > 0 {
			// Word it in the order the user gave the files.
			a, b := claimed[0], claimed[len(claimed)-1]
			back := backwards(a, b)
			if len(back) == 0 {
				a, b = out.Snapshots[i-1], out.Snapshots[i]
				back = backwards(a, b)
			}
			out.Usable = false
			out.Warnings = append(out.Warnings, fmt.Sprintf(
				"counter snapshots %s and %s disagree: %d counters grew and %d shrank (e.g. %s), which no order explains — a reboot, another host or namespace, or files from different incidents; their deltas are not used as evidence",
				base(a.Source), base(b.Source), grown(a, b), len(back), back[0]))
			return out
		}
	}
	if moved(out.Snapshots) {
		for _, claim := range claims(given) {
			if sameOrder(claim.order, out.Snapshots) {
				continue
			}
			first, last := out.Snapshots[0], out.Snapshots[len(out.Snapshots)-1]
			out.Warnings = append(out.Warnings, fmt.Sprintf(
				"counter snapshots: %s holds smaller counters than %s although %s; counters only grow, so %s is taken as the earlier snapshot",
				base(first.Source), base(last.Source), claim.why, base(first.Source)))
		}
	}
	return out
}

// claim is an order some metadata asserts, and how to word it.
type claim struct {
	order []*Counters
	why   string
}

// claims lists the orders the metadata asserts: time headers when every
// snapshot has one, names that say before/after, and — when neither says
// anything — the order the files were given in.
func claims(cs []*Counters) []claim {
	var out []claim
	allTimed := true
	for _, c := range cs {
		allTimed = allTimed && !c.Time.IsZero()
	}
	if allTimed {
		o := append([]*Counters(nil), cs...)
		sort.SliceStable(o, func(i, j int) bool { return o[i].Time.Before(o[j].Time) })
		out = append(out, claim{o, fmt.Sprintf("the time headers put %s first", base(o[0].Source))})
	}
	named := false
	for _, c := range cs {
		named = named || nameRank(c.Source) != 1
	}
	if named {
		o := append([]*Counters(nil), cs...)
		sort.SliceStable(o, func(i, j int) bool { return nameRank(o[i].Source) < nameRank(o[j].Source) })
		out = append(out, claim{o, fmt.Sprintf("the names put %s first", base(o[0].Source))})
	}
	if len(out) == 0 {
		out = append(out, claim{cs, fmt.Sprintf("%s was given first and %s last", base(cs[0].Source), base(cs[len(cs)-1].Source))})
	}
	return out
}

// nameRank orders names that say when they were taken: a word such as
// "before" first, "after" last; otherwise 1 (files keep the order given).
func nameRank(path string) int {
	words := strings.FieldsFunc(strings.ToLower(base(path)), func(r rune) bool { return r < 'a' || r > 'z' })
	for _, w := range words {
		switch w {
		case "before", "start", "begin", "pre", "first":
			return 0
		case "after", "end", "stop", "post", "last":
			return 2
		}
	}
	return 1
}

func sameOrder(a, b []*Counters) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// monotonicSum adds the monotonic counters every snapshot has, so sums
// compare like with like.
func monotonicSum(c *Counters, all []*Counters) float64 {
	var s float64
	for k, v := range c.Values {
		if !Monotonic(k) || !inAll(k, all) {
			continue
		}
		s += float64(v)
	}
	return s
}

func inAll(k string, all []*Counters) bool {
	for _, c := range all {
		if _, ok := c.Values[k]; !ok {
			return false
		}
	}
	return true
}

// backwards lists the monotonic counters that are smaller in b than in a,
// worded "Name a → b", largest drop first.
func backwards(a, b *Counters) []string {
	type drop struct {
		name   string
		av, bv int64
	}
	var ds []drop
	for k, bv := range b.Values {
		av, ok := a.Values[k]
		if ok && Monotonic(k) && bv < av {
			ds = append(ds, drop{k, av, bv})
		}
	}
	sort.Slice(ds, func(i, j int) bool {
		if di, dj := ds[i].av-ds[i].bv, ds[j].av-ds[j].bv; di != dj {
			return di > dj
		}
		return ds[i].name < ds[j].name
	})
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = fmt.Sprintf("%s %d → %d", d.name, d.av, d.bv)
	}
	return out
}

func grown(a, b *Counters) int {
	n := 0
	for k, bv := range b.Values {
		if av, ok := a.Values[k]; ok && Monotonic(k) && bv > av {
			n++
		}
	}
	return n
}

// moved reports whether any monotonic counter differs between the first
// and the last snapshot (identical snapshots have no order to argue about).
func moved(cs []*Counters) bool {
	a, b := cs[0], cs[len(cs)-1]
	for k, bv := range b.Values {
		if av, ok := a.Values[k]; ok && Monotonic(k) && av != bv {
			return true
		}
	}
	return false
}

func base(p string) string { return filepath.Base(p) }
