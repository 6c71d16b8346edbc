package analyze

import (
	"fmt"
	"net/netip"
	"sort"
	"time"

	"github.com/halfopen/halfopen/analyze/kernel"
	"github.com/halfopen/halfopen/flows"
)

// A capture can miss drops the kernel counted: it ended before the
// server's answer (or its silence) could show, a filter left packets out,
// or the drops happened on a port or at a time the capture did not cover.
// unseenDrops compares the counters with what the capture showed and, when
// the kernel counted a kind of drop the capture holds no trace of, says so
// and gives the listener the snapshots point to a verdict resting on them.

// dropFamily is one kind of drop the counters separate.
type dropFamily struct {
	counter  string
	what     string   // "accept-queue overflows"
	branches []string // the branches the capture would show it as
}

var dropFamilies = []dropFamily{
	{kernel.CounterListenOverflows, "accept-queue overflows", []string{kernel.AcceptQueueFullSyn, kernel.AcceptQueueFullAck, kernel.AcceptQueueFullRst}},
	{kernel.CounterReqQFullDrop, "SYNs dropped on a full SYN queue", []string{kernel.SynQueueFull, kernel.BacklogZero, kernel.LastQuarter}},
}

// unseenDrops returns warnings for counted drops the capture does not
// show, adding a snapshot-based verdict to the listener they belong to
// when the snapshots single it out. last is the capture's last packet.
func (s *server) unseenDrops(listeners map[netip.AddrPort]*listenerAgg, last int64) []string {
	var warnings []string
	for _, fam := range dropFamilies {
		n, ok := s.counter(fam.counter)
		if !ok || n <= 0 {
			continue
		}
		seen := int64(0)
		for _, l := range listeners {
			for _, v := range l.verdicts {
				for _, b := range fam.branches {
					if v.Branch == b {
						seen += v.Attempts
					}
				}
			}
		}
		if seen > 0 {
			continue
		}
		w := fmt.Sprintf("the kernel counted %d %s (%s +%d) that this capture does not show", n, fam.what, shortCounter(fam.counter), n)
		if why := s.captureEndNote(listeners, last); why != "" {
			w += ": " + why
		} else {
			w += ": they happened outside the capture's time span or filter, or on a listener it does not hold"
		}
		if l := s.listenerToBlame(listeners, fam); l != nil {
			v := s.unseenVerdict(l, fam, n)
			v.Attempts = s.blameCutOff(l, v.Branch, fam)
			l.verdicts = append(l.verdicts, v)
			sortVerdicts(l.verdicts)
			w += fmt.Sprintf("; the snapshots point to %s (%s)", l.server, v.Branch)
		}
		warnings = append(warnings, w)
	}
	return warnings
}

func shortCounter(name string) string {
	for _, p := range []string{"TcpExt", "Tcp"} {
		if len(name) > len(p) && name[:len(p)] == p {
			return name[len(p):]
		}
	}
	return name
}

// captureEndNote says how close to an open handshake the capture ended,
// when it did.
func (s *server) captureEndNote(listeners map[netip.AddrPort]*listenerAgg, last int64) string {
	var lastSynAck int64
	open := int64(0)
	for _, l := range listeners {
		open += l.ended
		lastSynAck = max(lastSynAck, l.lastSynAck)
	}
	if open == 0 {
		return ""
	}
	if lastSynAck > 0 && last >= lastSynAck {
		return fmt.Sprintf("it ended %s after the last SYN-ACK, with %d handshake(s) still open", fmtDur(time.Duration(last-lastSynAck)), open)
	}
	return fmt.Sprintf("it ended with %d handshake(s) still open", open)
}

// listenerToBlame picks the listener the drops belong to: the one the ss
// samples show with a full accept queue (accept-queue family), else the
// only listener with attempts.
func (s *server) listenerToBlame(listeners map[netip.AddrPort]*listenerAgg, fam dropFamily) *listenerAgg {
	var full []*listenerAgg
	for _, l := range listeners {
		if fam.counter == kernel.CounterListenOverflows {
			for _, p := range s.ssPoints(l.server) {
				if s.ssFull(p.Listener) {
					full = append(full, l)
					break
				}
			}
		}
	}
	if len(full) == 1 {
		return full[0]
	}
	if len(full) == 0 && len(listeners) == 1 {
		for _, l := range listeners {
			return l
		}
	}
	sort.Slice(full, func(i, j int) bool { return full[i].server.Compare(full[j].server) < 0 })
	return nil
}

// unseenVerdict is a verdict resting on the snapshots alone.
func (s *server) unseenVerdict(l *listenerAgg, fam dropFamily, n int64) Verdict {
	branch := fam.branches[0]
	if fam.counter == kernel.CounterListenOverflows && s.sysctl(kernel.SysctlAbortOnOverflow) == 1 {
		branch = kernel.AcceptQueueFullRst
	}
	if fam.counter == kernel.CounterReqQFullDrop {
		branch = kernel.SynQueueFull
	}
	v := Verdict{Branch: branch, Attempts: 0, Confidence: confLikely, Fix: []Fix{}, WontFix: []string{}}
	v.Evidence = append(v.Evidence, ev("counter", "%s: the kernel counted %d %s", s.counterLine(fam.counter, kernel.CounterListenDrops, kernel.CounterEmbryonicRsts), n, fam.what))
	v.Evidence = append(v.Evidence, evAgainst("packets", "no attempt in the capture shows these drops: the verdict rests on the snapshots alone"))
	for _, p := range s.ssPoints(l.server) {
		if s.ssFull(p.Listener) {
			v.Confidence = confConfirmed
			v.Evidence = append(v.Evidence, ev("ss", "ss at %s: Recv-Q %d > Send-Q %d — the accept queue was full", p.Time.UTC().Format("15:04:05.000"), p.Listener.RecvQ, p.Listener.SendQ))
			break
		}
	}
	s.describe(&v, l)
	return v
}

// blameCutOff gives the attempts the end of the capture cut off while
// their SYNs were still unanswered the branch the counters prove: they
// are the likeliest of the drops the capture does not show.
func (s *server) blameCutOff(l *listenerAgg, branch string, fam dropFamily) int64 {
	var n int64
	for _, k := range l.kept {
		if k.a.Outcome != flows.Incomplete || k.a.SynAcks > 0 || k.j.branch != "" {
			continue
		}
		k.j = judgement{branch: branch, conf: confPlausible, text: true}
		k.j.add("packets", "cut off by the end of the capture %s after its first SYN, still unanswered", fmtDur(k.a.Last))
		k.j.add("counter", "%s: the kernel counted %s the capture does not show", s.counterLine(fam.counter), fam.what)
		n++
	}
	return n
}
