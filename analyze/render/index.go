package render

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/halfopen/halfopen/analyze"
)

// index holds what renderers look up per listener, built once per report:
// a lookup that scans the whole report for each listener makes rendering
// quadratic (text -v took 158 s for 100k listeners).
type index struct {
	split    map[string]bool      // servers whose listeners come from different capture sets
	byServer map[string][]int     // listener indices per server, in report order
	attempts map[attemptKey][]int // attempt indices per server and capture, in report order
	anyCap   map[string][]int     // attempt indices per server, any capture
}

type attemptKey struct {
	server  string
	capture int
}

func newIndex(r *analyze.Report) *index {
	x := &index{
		split:    map[string]bool{},
		byServer: map[string][]int{},
		attempts: map[attemptKey][]int{},
		anyCap:   map[string][]int{},
	}
	for i := range r.Listeners {
		l := &r.Listeners[i]
		if prev := x.byServer[l.Server]; len(prev) > 0 && !slices.Equal(r.Listeners[prev[0]].Captures, l.Captures) {
			x.split[l.Server] = true
		}
		x.byServer[l.Server] = append(x.byServer[l.Server], i)
	}
	for i := range r.Attempts {
		a := &r.Attempts[i]
		k := attemptKey{a.Server, a.Capture}
		x.attempts[k] = append(x.attempts[k], i)
		x.anyCap[a.Server] = append(x.anyCap[a.Server], i)
	}
	return x
}

// label is ListenerLabel without scanning the report.
func (x *index) label(l *analyze.Listener) string {
	if !x.split[l.Server] {
		return l.Server
	}
	parts := make([]string, len(l.Captures))
	for j, c := range l.Captures {
		parts[j] = strconv.Itoa(c + 1)
	}
	return fmt.Sprintf("%s #%s", l.Server, strings.Join(parts, "+"))
}

// attemptsOf lists the indices of the listed attempts that belong to l
// (AttemptOf), in report order.
func (x *index) attemptsOf(l *analyze.Listener) []int {
	if len(l.Captures) == 0 {
		return x.anyCap[l.Server]
	}
	if len(l.Captures) == 1 {
		return x.attempts[attemptKey{l.Server, l.Captures[0]}]
	}
	var out []int
	for _, c := range l.Captures {
		out = append(out, x.attempts[attemptKey{l.Server, c}]...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// combined finds the report-wide listener a capture's listener belongs to:
// the last one on the same server that includes the capture, else l.
func (x *index) combined(r *analyze.Report, l *analyze.Listener) *analyze.Listener {
	out := l
	for _, i := range x.byServer[l.Server] {
		cl := &r.Listeners[i]
		if len(l.Captures) > 0 && slices.Contains(cl.Captures, l.Captures[0]) {
			out = cl
		}
	}
	return out
}
