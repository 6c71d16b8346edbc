package analyze

import (
	"container/heap"
	"net/netip"
	"sort"
	"time"

	"github.com/halfopen/halfopen/flows"
)

// ListPolicy says which attempts a report lists one by one. Every attempt
// is counted in its listener's aggregates whatever the policy.
type ListPolicy int

// List policies.
const (
	ListFailed ListPolicy = iota // all but plain established attempts
	ListAll
	ListNone
)

// listenerAgg folds one listener's attempts as they finish: counts, a
// latency histogram, per-second counts and a bounded list of attempts.
type listenerAgg struct {
	server      netip.AddrPort
	captures    map[int]bool
	attempts    int64
	failed      int64
	outcomes    [flows.NumOutcomes]int64
	synack      latencyHist
	firstFail   int64
	lastFail    int64
	perSecond   map[int64]*secondCount
	lastSec     int64 // the second lastSecond counts
	lastSecond  *secondCount
	clientSched map[Schedule]int64
	serverSched map[Schedule]int64
	kept        attemptHeap
	omitted     int64
	cands       map[string]*branchAgg // candidate branch → attempts judged so
	hist        history
	verdicts    []Verdict // set once the capture is read
	limits      *Limits
	depth       []depthSample         // ss Recv-Q over time, when a time series was given
	remap       map[string]adjustment // candidate → final branch, set with verdicts
	closing     closing
	vantage     vantageVotes
	flood       floodBucket // spoofed sources' attempts, not counted above
	sketch      keySketch
	// answeredClients are the client addresses whose SYN got a SYN-ACK.
	answeredClients map[netip.Addr]bool
	ended           int64 // attempts the end of the capture cut short
	lastSynAck      int64 // latest first SYN-ACK, Unix ns
}

// closing follows the RSTs a listener sent in answer to SYNs. RSTs after
// the port had answered with SYN-ACKs (or dropped SYNs silently, as a full
// queue does) mean the listener closed; SYN-ACKs after the last RST mean
// it was opened again.
type closing struct {
	firstRST, lastRST int64 // Unix ns of the first and last RST to a SYN
	resets            int64 // attempts answered by RST
	firstAlive        int64 // first SYN-ACK or silently dropped SYN, Unix ns
	synAckSecs        map[int64]bool
}

func (c *closing) note(a *flows.Attempt) {
	if a.ServerRST != flows.None && (a.Outcome == flows.Reset || a.Outcome == flows.UnansweredThenReset) {
		at := a.FirstSYN + int64(a.ServerRST)
		if c.resets == 0 || at < c.firstRST {
			c.firstRST = at
		}
		c.lastRST = max(c.lastRST, at)
		c.resets++
	}
	alive := int64(0)
	switch {
	case a.SynAcks > 0:
		alive = a.FirstSYN + int64(a.SynAckTimes[0].At)
		if c.synAckSecs == nil {
			c.synAckSecs = map[int64]bool{}
		}
		c.synAckSecs[alive/int64(time.Second)] = true
	case a.Outcome == flows.Unanswered || a.Outcome == flows.UnansweredThenReset:
		alive = a.FirstSYN
	}
	if alive != 0 && (c.firstAlive == 0 || alive < c.firstAlive) {
		c.firstAlive = alive
	}
}

func (c *closing) merge(o *closing) {
	if o.resets > 0 {
		if c.resets == 0 || o.firstRST < c.firstRST {
			c.firstRST = o.firstRST
		}
		c.lastRST = max(c.lastRST, o.lastRST)
		c.resets += o.resets
	}
	if o.firstAlive != 0 && (c.firstAlive == 0 || o.firstAlive < c.firstAlive) {
		c.firstAlive = o.firstAlive
	}
	for sec := range o.synAckSecs {
		if c.synAckSecs == nil {
			c.synAckSecs = map[int64]bool{}
		}
		c.synAckSecs[sec] = true
	}
}

// report describes the closing, or nil when the listener was not seen
// closing (no RST, or RSTs from the start: nothing ever listened).
func (c *closing) report() *Closed {
	if c.resets == 0 || c.firstAlive == 0 || c.firstAlive >= c.firstRST {
		return nil
	}
	r := &Closed{At: timeString(c.firstRST), LastReset: timeString(c.lastRST), Resets: c.resets}
	again := int64(0)
	for sec := range c.synAckSecs {
		if sec > c.lastRST/int64(time.Second) && (again == 0 || sec < again) {
			again = sec
		}
	}
	if again != 0 {
		r.AnsweringAgain = timePtr(again * int64(time.Second))
	}
	return r
}

type secondCount struct{ attempts, failures int64 }

var outcomeOrder = flows.Outcomes()

func newListenerAgg(server netip.AddrPort) *listenerAgg {
	return &listenerAgg{
		server:      server,
		captures:    map[int]bool{},
		perSecond:   map[int64]*secondCount{},
		clientSched: map[Schedule]int64{},
		serverSched: map[Schedule]int64{},
		cands:       map[string]*branchAgg{},
	}
}

// keptAttempt is an attempt held for listing, with the capture it came
// from and its judgement (branch empty when nothing went wrong).
type keptAttempt struct {
	capture int
	a       flows.Attempt
	j       judgement
}

// before orders attempts for listing: by first SYN, then endpoints, so the
// order never depends on the order attempts finished in.
func (k *keptAttempt) before(o *keptAttempt) bool {
	return attemptBefore(k.capture, &k.a, o.capture, &o.a)
}

func attemptBefore(ca int, a *flows.Attempt, cb int, b *flows.Attempt) bool {
	if a.FirstSYN != b.FirstSYN {
		return a.FirstSYN < b.FirstSYN
	}
	if ca != cb {
		return ca < cb
	}
	if c := a.Client.Compare(b.Client); c != 0 {
		return c < 0
	}
	if c := a.Server.Compare(b.Server); c != 0 {
		return c < 0
	}
	return a.ISN < b.ISN
}

// attemptHeap is a max-heap (latest first) that keeps the earliest N.
type attemptHeap []*keptAttempt

func (h attemptHeap) Len() int           { return len(h) }
func (h attemptHeap) Less(i, j int) bool { return h[j].before(h[i]) }
func (h attemptHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *attemptHeap) Push(x any)        { *h = append(*h, x.(*keptAttempt)) }
func (h *attemptHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// offer keeps k if it is among the earliest limit attempts (0 = no limit)
// and counts it as omitted otherwise.
func (l *listenerAgg) offer(k *keptAttempt, limit int) {
	if limit <= 0 || l.kept.Len() < limit {
		heap.Push(&l.kept, k)
		return
	}
	l.omitted++
	if k.before(l.kept[0]) {
		l.kept[0] = k
		heap.Fix(&l.kept, 0)
	}
}

// collector folds one capture's attempts into listener aggregates.
type collector struct {
	capture   int
	listeners map[netip.AddrPort]*listenerAgg
	policy    ListPolicy
	limit     int
	srv       *server
	last      *listenerAgg // the listener of the previous attempt
	sus       suspects
	// scanAttempts counts attempts routed to scans (see suspects.go).
	scanAttempts int64
	// maxListeners bounds the listeners aggregated in detail (0: no
	// limit); attempts to further listeners are counted in others.
	maxListeners int
	others       othersAgg
}

// othersAgg counts the attempts to listeners beyond the memory budget.
type othersAgg struct {
	servers  map[netip.AddrPort]bool // up to othersServers, then only counted
	more     bool
	attempts int64
	failed   int64
	outcomes [flows.NumOutcomes]int64
}

const othersServers = 1 << 20

func (o *othersAgg) add(a *flows.Attempt) {
	if o.servers == nil {
		o.servers = map[netip.AddrPort]bool{}
	}
	if len(o.servers) < othersServers {
		o.servers[a.Server] = true
	} else if !o.servers[a.Server] {
		o.more = true
	}
	o.attempts++
	o.outcomes[a.Outcome]++
	if a.Outcome.Failed() {
		o.failed++
	}
}

func (o *othersAgg) report() *OtherListeners {
	if o.attempts == 0 {
		return nil
	}
	return &OtherListeners{Listeners: int64(len(o.servers)), Attempts: o.attempts, Failed: o.failed, Outcomes: outcomeMap(&o.outcomes)}
}

func newCollector(capture int, policy ListPolicy, limit, maxListeners int, srv *server) *collector {
	return &collector{capture: capture, listeners: map[netip.AddrPort]*listenerAgg{}, policy: policy, limit: limit, maxListeners: maxListeners, srv: srv}
}

// add takes one finished attempt: suspects (see suspects.go) are parked
// or routed to a scan or a flood; everything else is aggregated.
func (c *collector) add(a *flows.Attempt) {
	if suspect(a) {
		c.sus.note(a)
		if !c.sus.routing {
			c.sus.parked = append(c.sus.parked, *a)
			if len(c.sus.parked) >= parkCap {
				c.routeParked()
				c.sus.routing = true
			}
			return
		}
		if c.dispatch(a) {
			return
		}
	}
	c.aggregate(a)
}

// dispatch sends a suspect to a scan or a flood, and reports whether it did.
func (c *collector) dispatch(a *flows.Attempt) bool {
	switch c.sus.route(a) {
	case toScan:
		if l := c.listeners[a.Server]; l != nil && l.answeredClients[a.Client.Addr()] && (a.ClientRST == flows.None || a.SynAcks == 0) {
			// The scanner's address is a real client of this listener too:
			// only a SYN-ACK the client reset (a SYN scan's probe of an
			// open port; no connect() does that) belongs to the scan.
			return false
		}
		c.scanAttempts++
		return true
	case toFlood:
		if l := c.listener(a.Server); l != nil {
			l.flood.add(a)
		} else {
			c.others.add(a)
		}
		return true
	}
	return false
}

// routeParked routes every parked suspect; those that are neither scan
// nor flood are aggregated like any attempt.
func (c *collector) routeParked() {
	for i := range c.sus.parked {
		if a := &c.sus.parked[i]; !c.dispatch(a) {
			c.aggregate(a)
		}
	}
	c.sus.parked = nil
}

// listener returns the aggregate of a server endpoint, creating it, or
// nil when the memory budget's count of listeners is used up (the attempt
// is then counted in others).
func (c *collector) listener(server netip.AddrPort) *listenerAgg {
	l := c.last
	if l == nil || l.server != server {
		l = c.listeners[server]
		if l == nil {
			if c.maxListeners > 0 && len(c.listeners) >= c.maxListeners {
				return nil
			}
			l = newListenerAgg(server)
			l.captures[c.capture] = true
			c.listeners[server] = l
		}
		c.last = l // floods and load tests hammer one listener
	}
	return l
}

// aggregate folds an attempt into its listener.
func (c *collector) aggregate(a *flows.Attempt) {
	l := c.listener(a.Server)
	if l == nil {
		c.others.add(a)
		return
	}
	l.attempts++
	l.outcomes[a.Outcome]++
	l.closing.note(a)
	l.vantage.note(a)
	l.sketch.add(a)
	if a.CaptureEnded {
		l.ended++
	}
	if a.SynAcks > 0 {
		l.lastSynAck = max(l.lastSynAck, a.FirstSYN+int64(a.SynAckTimes[0].At))
		if l.answeredClients == nil {
			l.answeredClients = map[netip.Addr]bool{}
		}
		if len(l.answeredClients) < answeredClientsCap {
			l.answeredClients[a.Client.Addr()] = true
		}
	}
	failed := a.Outcome.Failed()
	sec := a.FirstSYN / int64(time.Second)
	sc := l.lastSecond
	if sc == nil || l.lastSec != sec {
		sc = l.perSecond[sec]
		if sc == nil {
			sc = &secondCount{}
			l.perSecond[sec] = sc
		}
		l.lastSec, l.lastSecond = sec, sc
	}
	sc.attempts++
	if failed {
		l.failed++
		sc.failures++
		if l.firstFail == 0 || a.FirstSYN < l.firstFail {
			l.firstFail = a.FirstSYN
		}
		l.lastFail = max(l.lastFail, a.FirstSYN)
	}
	if tts := a.TimeToSynAck(); tts >= 0 {
		l.synack.add(tts)
	}
	if a.SYNs >= 2 {
		l.clientSched[ClientSchedule(a).Name]++
	}
	if a.SynAckRetransmits() > 0 {
		l.serverSched[ServerSchedule(a).Name]++
	}
	var j judgement
	listed := c.policy == ListAll || c.policy == ListFailed && a.Outcome != flows.Established
	keep := listed && l.wouldKeep(c.capture, a, c.limit)
	ph := phaseOf(a)
	if ph != phaseNone {
		j = c.srv.judge(a, ph, &l.hist, keep)
	} else if aj, ok := c.srv.annotate(a, keep); ok {
		j, ph = aj, phaseNone
	}
	if j.branch != "" {
		agg := l.cands[j.branch]
		if agg == nil {
			agg = &branchAgg{}
			l.cands[j.branch] = agg
		}
		if !j.text && agg.count < examplesFrom {
			// words for the verdict's examples
			if ph != phaseNone {
				j = c.srv.judge(a, ph, &l.hist, true)
			} else {
				j, _ = c.srv.annotate(a, true)
			}
		}
		agg.add(&j)
		agg.note(a.Context)
		if j.branch == candSelective || j.branch == candRejectSelective {
			if agg.clients == nil {
				agg.clients = map[netip.Addr]int64{}
			}
			agg.clients[a.Client.Addr()]++
		}
	}
	l.hist.learn(a)
	if listed {
		l.offer(&keptAttempt{capture: c.capture, a: *a, j: j}, c.limit)
	}
}

// examplesFrom is how many attempts per branch lend their evidence
// sentences to the listener's verdict.
const examplesFrom = 16

// wouldKeep reports whether an attempt would enter the listing.
func (l *listenerAgg) wouldKeep(capture int, a *flows.Attempt, limit int) bool {
	if limit <= 0 || l.kept.Len() < limit {
		return true
	}
	top := l.kept[0]
	return attemptBefore(capture, a, top.capture, &top.a)
}

// merge folds o into l (for the combined view over several captures).
func (l *listenerAgg) merge(o *listenerAgg, limit int) {
	for k := range o.captures {
		l.captures[k] = true
	}
	l.attempts += o.attempts
	l.failed += o.failed
	for i, n := range o.outcomes {
		l.outcomes[i] += n
	}
	l.synack.merge(&o.synack)
	if o.firstFail != 0 && (l.firstFail == 0 || o.firstFail < l.firstFail) {
		l.firstFail = o.firstFail
	}
	l.lastFail = max(l.lastFail, o.lastFail)
	for s, c := range o.perSecond {
		if mine := l.perSecond[s]; mine != nil {
			mine.attempts += c.attempts
			mine.failures += c.failures
		} else {
			cp := *c
			l.perSecond[s] = &cp
		}
	}
	for k, v := range o.clientSched {
		l.clientSched[k] += v
	}
	for k, v := range o.serverSched {
		l.serverSched[k] += v
	}
	l.omitted += o.omitted
	for _, k := range o.kept {
		l.offer(k, limit)
	}
	l.verdicts = mergeVerdicts(l.verdicts, o.verdicts)
	l.closing.merge(&o.closing)
	l.ended += o.ended
	l.lastSynAck = max(l.lastSynAck, o.lastSynAck)
	l.flood.merge(&o.flood)
	l.vantage.add(&o.vantage)
	l.depth = append(l.depth, o.depth...)
}

// mergeVerdicts combines verdicts of the same listener from several
// captures: attempts add up, confidence is attempt-weighted, the first
// capture's evidence and fix are kept.
func mergeVerdicts(a, b []Verdict) []Verdict {
	out := append([]Verdict{}, a...)
	for _, v := range b {
		found := false
		for i := range out {
			if out[i].Branch == v.Branch {
				n := out[i].Attempts + v.Attempts
				out[i].Confidence = roundConf((out[i].Confidence*float64(out[i].Attempts) + v.Confidence*float64(v.Attempts)) / float64(n))
				out[i].Attempts = n
				found = true
			}
		}
		if !found {
			out = append(out, v)
		}
	}
	sortVerdicts(out)
	return out
}

// depthSample is one ss reading of a listener's accept queue.
type depthSample struct {
	ns    int64
	depth int
}

// vantage decides where the capture was taken from every listener's votes.
func (c *collector) vantage() (string, string) {
	var v vantageVotes
	for _, l := range c.listeners {
		v.add(&l.vantage)
	}
	return v.decide()
}

// sketchCap bounds a listener's sample of handshake keys.
const sketchCap = 4096

// answeredClientsCap bounds the client addresses a listener remembers as
// answered; past it, new ones are not remembered (and a drop from them is
// not told from a rule against them).
const answeredClientsCap = 1 << 16

// keySketch samples the handshakes (client, server, ISN) a listener saw,
// to tell whether two captures saw the same ones: a bottom-k sample,
// the sketchCap smallest hashes, so two captures of the same handshakes
// sample the same ones whatever their number.
type keySketch struct {
	keys  map[uint64]bool
	limit uint64 // hashes above it are not kept; 0 while everything is
}

func (k *keySketch) add(a *flows.Attempt) { k.addHash(attemptHash(a)) }

func (k *keySketch) addHash(h uint64) {
	if k.limit != 0 && h > k.limit {
		return
	}
	if k.keys == nil {
		k.keys = map[uint64]bool{}
	}
	k.keys[h] = true
	if len(k.keys) >= 2*sketchCap {
		k.prune()
	}
}

// prune keeps the sketchCap smallest hashes.
func (k *keySketch) prune() {
	hs := make([]uint64, 0, len(k.keys))
	for h := range k.keys {
		hs = append(hs, h)
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i] < hs[j] })
	k.limit = hs[sketchCap-1]
	for _, h := range hs[sketchCap:] {
		delete(k.keys, h)
	}
}

// overlap counts, below both sketches' limits, o's keys that k holds too
// and o's keys.
func (k *keySketch) overlap(o *keySketch) (shared, sampled int) {
	limit := k.limit
	if limit == 0 || o.limit != 0 && o.limit < limit {
		limit = o.limit
	}
	for h := range o.keys {
		if limit != 0 && h > limit {
			continue
		}
		sampled++
		if k.keys[h] {
			shared++
		}
	}
	return shared, sampled
}

func (k *keySketch) union(o *keySketch) {
	for h := range o.keys {
		k.addHash(h)
	}
}

// attemptHash is an FNV-1a hash of a handshake's identity.
func attemptHash(a *flows.Attempt) uint64 {
	h := uint64(14695981039346656037)
	mixIn := func(b []byte) {
		for _, c := range b {
			h = (h ^ uint64(c)) * 1099511628211
		}
	}
	c, s := a.Client.Addr().As16(), a.Server.Addr().As16()
	mixIn(c[:])
	mixIn(s[:])
	mixIn([]byte{byte(a.Client.Port() >> 8), byte(a.Client.Port()), byte(a.Server.Port() >> 8), byte(a.Server.Port()),
		byte(a.ISN >> 24), byte(a.ISN >> 16), byte(a.ISN >> 8), byte(a.ISN)})
	return h
}
