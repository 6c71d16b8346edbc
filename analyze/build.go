package analyze

import (
	"math"
	"sort"
	"time"

	"github.com/halfopen/halfopen/flows"
)

// maxTimelineSteps bounds a listener's timeline; long captures get wider steps.
const maxTimelineSteps = 120

func timeString(ns int64) string {
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}

func timePtr(ns int64) *string {
	if ns == 0 {
		return nil
	}
	s := timeString(ns)
	return &s
}

func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}

func msPtr(d time.Duration) *float64 {
	if d < 0 {
		return nil
	}
	v := ms(d)
	return &v
}

func outcomeMap(counts *[flows.NumOutcomes]int64) map[string]int64 {
	m := make(map[string]int64, flows.NumOutcomes)
	for _, o := range outcomeOrder {
		m[o.String()] = counts[o]
	}
	return m
}

func scheduleMap(m map[Schedule]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

// listenerReport converts an aggregate into its report value.
func (l *listenerAgg) report() Listener {
	r := Listener{
		Server:          l.server.String(),
		Attempts:        l.attempts,
		Failed:          l.failed,
		Outcomes:        outcomeMap(&l.outcomes),
		FirstFailure:    timePtr(l.firstFail),
		LastFailure:     timePtr(l.lastFail),
		ClientSchedules: scheduleMap(l.clientSched),
		ServerSchedules: scheduleMap(l.serverSched),
		Branches:        map[string]int64{},
		Verdicts:        append([]Verdict{}, l.verdicts...),
		Limits:          l.limits,
		Listed:          l.kept.Len(),
		Omitted:         l.omitted,
	}
	for _, v := range l.verdicts {
		r.Branches[v.Branch] += v.Attempts
	}
	for c := range l.captures {
		r.Captures = append(r.Captures, c)
	}
	sort.Ints(r.Captures)
	if l.attempts > 0 {
		r.FailureRate = math.Round(float64(l.failed)/float64(l.attempts)*1e4) / 1e4
	}
	if l.synack.n > 0 {
		r.TimeToSynAck = &Percentiles{
			Samples: int64(l.synack.n),
			P50:     ms(l.synack.quantile(0.5)),
			P90:     ms(l.synack.quantile(0.9)),
			P99:     ms(l.synack.quantile(0.99)),
			Max:     ms(l.synack.max),
		}
	}
	r.Timeline, r.PeakFailures = l.timeline()
	r.Closed = l.closing.report()
	r.Flood = l.flood.report()
	r.FailureRateAll = r.FailureRate
	if all := l.attempts + l.flood.attempts; l.flood.attempts > 0 {
		r.FailureRateAll = math.Round(float64(l.failed+l.flood.attempts)/float64(all)*1e4) / 1e4
	}
	return r
}

// timeline buckets the per-second counts into at most maxTimelineSteps.
func (l *listenerAgg) timeline() (Timeline, int64) {
	if len(l.perSecond) == 0 {
		return Timeline{Attempts: []int64{}, Failures: []int64{}}, 0
	}
	first, last := activeSpan(l.perSecond)
	var peak int64
	for s, c := range l.perSecond {
		if s >= first && s <= last {
			peak = max(peak, c.failures)
		}
	}
	span := last - first + 1
	step := (span + maxTimelineSteps - 1) / maxTimelineSteps
	n := (span + step - 1) / step
	t := Timeline{
		Start:    timePtr(first * int64(time.Second)),
		Step:     float64(step),
		Attempts: make([]int64, n),
		Failures: make([]int64, n),
	}
	for s, c := range l.perSecond {
		if s < first || s > last {
			continue // an outlier stamp: counted in the listener, not drawn
		}
		i := (s - first) / step
		t.Attempts[i] += c.attempts
		t.Failures[i] += c.failures
	}
	l.fillDepth(&t, first, step)
	return t, peak
}

// activeSpan is the first and last second of a listener's attempts,
// leaving out a few attempts stamped far from all the others (a capture
// whose clock jumped): a second more than a day away from the rest, at
// either end, holding less than 1 % of the attempts.
func activeSpan(per map[int64]*secondCount) (first, last int64) {
	secs := make([]int64, 0, len(per))
	var total int64
	for s, c := range per {
		secs = append(secs, s)
		total += c.attempts
	}
	sort.Slice(secs, func(i, j int) bool { return secs[i] < secs[j] })
	lo, hi := 0, len(secs)-1
	var cut int64
	for lo < hi {
		switch {
		case secs[lo+1]-secs[lo] > 86400 && (cut+per[secs[lo]].attempts)*100 < total:
			cut += per[secs[lo]].attempts
			lo++
		case secs[hi]-secs[hi-1] > 86400 && (cut+per[secs[hi]].attempts)*100 < total:
			cut += per[secs[hi]].attempts
			hi--
		default:
			return secs[lo], secs[hi]
		}
	}
	return secs[lo], secs[hi]
}

// fillDepth adds the deepest ss accept-queue reading of each step, -1 where
// no sample fell, and the queue's capacity.
func (l *listenerAgg) fillDepth(t *Timeline, first, step int64) {
	if len(l.depth) == 0 {
		return
	}
	depth := make([]float64, len(t.Attempts))
	for i := range depth {
		depth[i] = -1
	}
	seen := false
	for _, d := range l.depth {
		i := (d.ns/int64(time.Second) - first) / step
		if i < 0 || i >= int64(len(depth)) {
			continue
		}
		depth[i] = max(depth[i], float64(d.depth))
		seen = true
	}
	if !seen {
		return
	}
	t.Depth = depth
	if l.limits != nil && l.limits.AcceptQueueCapacity != nil {
		t.Limit = *l.limits.AcceptQueueCapacity
	}
}

// sortedListeners returns aggregates worst first: most failures, then
// highest failure rate, then address, so output order is stable.
func sortedListeners(m map[string]*listenerAgg) []*listenerAgg {
	out := make([]*listenerAgg, 0, len(m))
	for _, l := range m {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		// Silent failures (no RST) are the mystery users chase; a port
		// that answers RST explains itself.
		if sa, sb := a.failed-a.outcomes[flows.Reset], b.failed-b.outcomes[flows.Reset]; sa != sb {
			return sa > sb
		}
		if a.failed != b.failed {
			return a.failed > b.failed
		}
		ra, rb := float64(a.failed)/float64(max(a.attempts, 1)), float64(b.failed)/float64(max(b.attempts, 1))
		if ra != rb {
			return ra > rb
		}
		if a.attempts != b.attempts {
			return a.attempts > b.attempts
		}
		return a.server.Compare(b.server) < 0
	})
	return out
}

// attemptReport converts a kept attempt into its report value.
func attemptReport(k *keptAttempt) Attempt {
	a := &k.a
	r := Attempt{
		Capture:      k.capture,
		Client:       a.Client.String(),
		Server:       a.Server.String(),
		FirstSYN:     timeString(a.FirstSYN),
		firstNS:      a.FirstSYN,
		ISN:          a.ISN,
		SYNs:         a.SYNs,
		SynAcks:      a.SynAcks,
		Outcome:      a.Outcome.String(),
		Evidence:     []Evidence{},
		TimeToSynAck: msPtr(a.TimeToSynAck()),
		SYNTimes:     []float64{},
		SynAckTimes:  []SynAck{},
		OneSided:     a.OneSided,
		CaptureEnded: a.CaptureEnded,
		Events: Events{
			FinalAck:      msPtr(a.FinalAck),
			ClientData:    msPtr(a.ClientData),
			ServerData:    msPtr(a.ServerData),
			ServerAckData: msPtr(a.ServerAckData),
			ServerRST:     msPtr(a.ServerRST),
			ClientRST:     msPtr(a.ClientRST),
			ServerBareAck: msPtr(a.ServerBareAck),
			ClientFIN:     msPtr(a.ClientFIN),
			ServerFIN:     msPtr(a.ServerFIN),
		},
		SYNOptions: optionsReport(a.SYNOptions, a.SYNOptionsCut),
	}
	for _, t := range a.RecordedSYNs() {
		r.SYNTimes = append(r.SYNTimes, ms(t))
	}
	for _, s := range a.RecordedSynAcks() {
		r.SynAckTimes = append(r.SynAckTimes, SynAck{At: ms(s.At), Triggered: s.Triggered, AfterAck: s.AfterAck})
	}
	if a.SYNs >= 2 {
		r.ClientSchedule = string(ClientSchedule(a).Name)
	}
	if a.SynAckRetransmits() > 0 {
		r.ServerSchedule = string(ServerSchedule(a).Name)
	}
	if k.j.branch != "" {
		b, c := k.j.branch, k.j.conf
		r.Branch, r.Confidence = &b, &c
		r.Evidence = append(r.Evidence, k.j.ev...)
	}
	return r
}

func optionsReport(o flows.TCPOptions, cut bool) TCPOptions {
	r := TCPOptions{Unknown: cut, SACK: o.Has&flows.OptSACKPerm != 0, FastOpen: o.Has&flows.OptFastOpen != 0}
	if o.Has&flows.OptMSS != 0 {
		v := int(o.MSS)
		r.MSS = &v
	}
	if o.Has&flows.OptWScale != 0 {
		v := int(o.WScale)
		r.WScale = &v
	}
	if o.Has&flows.OptTimestamp != 0 {
		v := o.TSval
		r.Timestamp = &v
	}
	return r
}
