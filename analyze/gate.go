package analyze

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/halfopen/halfopen/flows"
)

// Gate is one --fail-on condition. A report trips a gate when the
// condition holds; several gates trip when any of them holds.
//
// Forms:
//
//	unanswered                     an attempt had that outcome (any outcome name)
//	failed                         any attempt failed (every outcome but established, incomplete)
//	outcome=unanswered,ack_ignored an attempt had one of these outcomes
//	branch=accept_queue_full_*     a failed attempt was blamed on a matching branch (glob)
//	rate>1%                        a listener's failure rate exceeds 1 % (also >=, <, <=, =)
//	unanswered>5                   more than 5 attempts had that outcome (also failed>N, attempts<N)
type Gate struct {
	Text    string
	kind    gateKind
	names   []string // outcomes or branch globs
	op      string
	value   float64
	percent bool
}

type gateKind int

const (
	gateOutcomes gateKind = iota
	gateBranches
	gateRate
	gateCount
)

var gateCompare = regexp.MustCompile(`^([a-z_]+)\s*(>=|<=|!=|==|=|>|<)\s*([0-9.]+)(%?)$`)

// ParseGate parses a --fail-on condition.
func ParseGate(text string) (Gate, error) {
	s := strings.TrimSpace(text)
	g := Gate{Text: s}
	switch {
	case s == "":
		return g, fmt.Errorf("empty --fail-on condition")
	case strings.HasPrefix(s, "outcome="):
		g.kind = gateOutcomes
		for _, n := range splitList(strings.TrimPrefix(s, "outcome=")) {
			if n != "failed" {
				if _, ok := flows.ParseOutcome(n); !ok {
					return g, fmt.Errorf("--fail-on %q: unknown outcome %q (outcomes: %s)", text, n, outcomeNames())
				}
			}
			g.names = append(g.names, n)
		}
		return g, nil
	case strings.HasPrefix(s, "branch="):
		g.kind = gateBranches
		for _, n := range splitList(strings.TrimPrefix(s, "branch=")) {
			if _, err := path.Match(n, ""); err != nil {
				return g, fmt.Errorf("--fail-on %q: bad pattern %q", text, n)
			}
			g.names = append(g.names, n)
		}
		return g, nil
	}
	if m := gateCompare.FindStringSubmatch(s); m != nil {
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			return g, fmt.Errorf("--fail-on %q: bad number %q", text, m[3])
		}
		g.op, g.value, g.percent = m[2], v, m[4] == "%"
		if g.op == "==" {
			g.op = "="
		}
		switch name := m[1]; {
		case name == "rate":
			g.kind = gateRate
			if g.percent {
				g.value /= 100
			}
		case name == "failed" || name == "attempts" || isOutcome(name):
			if g.percent {
				return g, fmt.Errorf("--fail-on %q: a count takes no %%; use rate>N%%", text)
			}
			g.kind = gateCount
			g.names = []string{name}
		default:
			return g, fmt.Errorf("--fail-on %q: unknown quantity %q (rate, failed, attempts or an outcome)", text, name)
		}
		return g, nil
	}
	if s == "failed" || isOutcome(s) {
		return Gate{Text: s, kind: gateOutcomes, names: []string{s}}, nil
	}
	return g, fmt.Errorf("--fail-on %q: not a condition (e.g. unanswered, outcome=unanswered,ack_ignored, branch=accept_queue_full_*, 'rate>1%%', 'unanswered>0')", text)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func isOutcome(s string) bool {
	_, ok := flows.ParseOutcome(s)
	return ok
}

func outcomeNames() string {
	var n []string
	for _, o := range flows.Outcomes() {
		n = append(n, o.String())
	}
	return strings.Join(n, ", ")
}

// Check returns why the gate trips on r, or "" when it does not.
func (g Gate) Check(r *Report) string {
	switch g.kind {
	case gateOutcomes:
		for _, n := range g.names {
			if n == "failed" && r.Totals.Failed > 0 {
				return fmt.Sprintf("%d attempts failed", r.Totals.Failed)
			}
			if c := r.Totals.Outcomes[n]; c > 0 {
				return fmt.Sprintf("%d attempts ended %s", c, n)
			}
		}
	case gateBranches:
		for _, l := range r.Listeners {
			for _, b := range sortedKeys(l.Branches) {
				c := l.Branches[b]
				for _, pat := range g.names {
					if ok, _ := path.Match(pat, b); ok && c > 0 {
						return fmt.Sprintf("%s: %d attempts blamed on %s", l.Server, c, b)
					}
				}
			}
		}
	case gateRate:
		for _, l := range r.Listeners {
			if l.Attempts > 0 && compare(l.FailureRate, g.op, g.value) {
				return fmt.Sprintf("%s: failure rate %.2f%% (%d of %d) %s %g%%", l.Server, l.FailureRate*100, l.Failed, l.Attempts, g.op, g.value*100)
			}
		}
	case gateCount:
		var n int64
		switch g.names[0] {
		case "failed":
			n = r.Totals.Failed
		case "attempts":
			n = r.Totals.Attempts
		default:
			n = r.Totals.Outcomes[g.names[0]]
		}
		if compare(float64(n), g.op, g.value) {
			return fmt.Sprintf("%s = %d, %s %g", g.names[0], n, g.op, g.value)
		}
	}
	return ""
}

// sortedKeys returns a map's keys in order, for stable output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func compare(v float64, op string, want float64) bool {
	switch op {
	case ">":
		return v > want
	case ">=":
		return v >= want
	case "<":
		return v < want
	case "<=":
		return v <= want
	case "=":
		return v == want
	case "!=":
		return v != want
	}
	return false
}

// CheckGates returns the reasons of every gate that trips, in gate order.
func CheckGates(gates []Gate, r *Report) []string {
	var reasons []string
	for _, g := range gates {
		if why := g.Check(r); why != "" {
			reasons = append(reasons, fmt.Sprintf("--fail-on %s: %s", g.Text, why))
		}
	}
	return reasons
}
