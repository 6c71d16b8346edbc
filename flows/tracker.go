package flows

import (
	"net/netip"
	"sort"
	"time"
)

// Timing constants of the tracker. They bound how long the tracker waits
// for the next packet of a handshake before deciding its fate.
const (
	synIdleMin      = 8 * time.Second        // after a lone SYN: covers 1 s (Linux), 3 s (Windows) and 6 s (4.4BSD) first retransmits
	synAckIdleMin   = 6 * time.Second        // after a SYN-ACK: 3 s RTO plus the old 200 ms scan timer's lag
	ackSettle       = 6 * time.Second        // after the final ACK: long enough to see an ignored ACK
	resetLinger     = 4 * time.Second        // after a RST: clients that retry the same SYN (Windows)
	maxIdle         = 130 * time.Second      // longest gap any known SYN/SYN-ACK schedule leaves
	connIdle        = 10 * time.Minute       // an open connection with no packets
	timeWaitLen     = 60 * time.Second       // TCP_TIMEWAIT_LEN
	peerMetricsLife = time.Hour              // TCP_METRICS_TIMEOUT: how long Linux trusts a peer
	reorderWindow   = time.Second            // how far a SYN-ACK may precede its SYN in a capture
	answeredAround  = time.Second            // see Context.AnsweredAround
	heldData        = time.Second            // client data unacknowledged this long was held back by the server
	promptReset     = 200 * time.Millisecond // a RST this soon after the client's ACK or data answers it
	triggerWindow   = 200 * time.Millisecond
	unansweredAfter = time.Second // a lone SYN without reply for this long is unanswered
)

// Stats counts what the tracker saw, packet by packet.
type Stats struct {
	SYN              int64 // pure SYNs (SYN without ACK)
	SynAck           int64 // SYN+ACK segments
	RST              int64
	FIN              int64
	Attempts         int64 // attempts reported
	PreExisting      int64 // connections first seen mid-stream (open before the capture)
	SynAckWithoutSYN int64 // SYN-ACKs no SYN in the capture explains
	OptionsCut       int64 // SYNs and SYN-ACKs whose options the snaplen cut
	BadChecksumSYN   int64
	OutOfOrder       int64 // packets timestamped before an earlier packet
	ServerSYN        int64 // split handshakes / simultaneous opens
	OneSided         int64 // attempts the client completed without a SYN-ACK in the capture
	// ClockJumps counts packets stamped far ahead of their neighbours
	// (up to MaxClockJump): they did not move the capture clock.
	ClockJumps   int64
	MaxClockJump time.Duration
	ClockResets  int64 // times packets far behind set the clock back
	// Untracked counts segments that would have opened a flow while the
	// flow budget was used up (see DefaultMaxFlows), and Evicted the lone
	// SYNs given up to make room for newer attempts (counted in Untracked).
	Untracked int64
	Evicted   int64
	// DuplicateSynAcks counts SYN-ACKs identical to the one just before
	// (see onSynAck): copies of a frame, not in SynAck's answers.
	DuplicateSynAcks int64
}

type endpoint struct {
	addr Addr
	port uint16
}

// peerHash keys the per-peer-pair memory (tcp_metrics' view) by a 64-bit
// hash of the two addresses: eight bytes hash and compare much faster than
// thirty-two, and a collision (about 2^-64 per pair) would only lend one
// peer another's "recently connected" history.
func peerHash(server, client Addr) uint64 {
	k := flowKey{a: server, b: client}
	return k.hash()
}

type peerInfo struct{ established, closed int64 }

type stamp struct {
	at int64
	ts uint32
}

// listenerLive holds a listener's gauges while the capture is read.
type listenerLive struct {
	halfOpen, young, pending int32
	lastSynAck               int64 // when it last sent a first SYN-ACK, Unix ns
	// The highest half-open and pending-accept counts at which it still
	// answered a new SYN: a queue at those depths had room.
	maxHalfAnswered, maxPendAnswered int32
}

// Tracker follows handshake attempts segment by segment and calls the
// emit function for each attempt once its fate is known. It is not safe
// for concurrent use.
type Tracker struct {
	flows     []flow
	freeFlows []uint32
	atts      []attemptState
	freeAtts  []uint32
	table     *flowTable
	wheel     timerWheel
	now       int64 // the capture clock, for expiry (see clock.go)
	at        int64 // the current packet's time (not before now): what "ago" is measured from
	clock     captureClock
	last      int64 // the previous packet's time: for counting inversions, and the capture's end
	listeners map[endpoint]uint32
	live      []listenerLive
	peers     map[uint64]peerInfo // by peerHash(server, client)
	stamps    map[Addr]stamp
	pruneAt   int64
	emit      func(*Attempt)
	out       Attempt
	stats     Stats
	maxFlows  int
	untracked map[endpoint]*Untracked
	lone      []loneRef // attempts in creation order (see evictLoneSYN)
	loneHead  int
}

// NewTracker returns a tracker that hands each finished attempt to emit.
// The *Attempt is reused: emit must copy what it keeps.
func NewTracker(emit func(*Attempt)) *Tracker {
	return &Tracker{
		table:     newFlowTable(),
		listeners: make(map[endpoint]uint32),
		peers:     make(map[uint64]peerInfo),
		stamps:    make(map[Addr]stamp),
		emit:      emit,
		maxFlows:  DefaultMaxFlows,
		untracked: make(map[endpoint]*Untracked),
	}
}

// Stats returns the counts so far.
func (t *Tracker) Stats() Stats { return t.stats }

// Open returns how many attempts and connections the tracker holds now.
func (t *Tracker) Open() (attempts, flows int) {
	return len(t.atts) - len(t.freeAtts), t.table.count
}

func (t *Tracker) keyAt(idx uint32) *flowKey { return &t.flows[idx].key }

// Add feeds one segment. Segments should come in capture order; small
// time inversions are tolerated.
func (t *Tracker) Add(s *Segment) {
	if s.Time < t.last {
		t.stats.OutOfOrder++
	}
	t.last = s.Time
	t.at = max(s.Time, t.now)
	if now, reset := t.clock.observe(s.Time); reset {
		t.rebase(now)
	} else if now > t.now {
		t.now = now
		t.wheel.start(t.now)
		if t.now/1e9 > t.wheel.sec {
			t.wheel.advance(t.now, t.fire)
		}
	}
	key, fromA := canonical(s)
	h := key.hash()
	idx, found := t.table.find(h, &key, t.keyAt)
	side := int8(sideB)
	if fromA {
		side = sideA
	}
	syn, ack := s.Flags&FlagSYN != 0, s.Flags&FlagACK != 0
	if s.OptionsCut && syn {
		t.stats.OptionsCut++
	}
	switch {
	case syn && !ack:
		t.stats.SYN++
		t.onSYN(s, &key, h, idx, found, side)
	case syn:
		t.stats.SynAck++
		if !found {
			t.stats.SynAckWithoutSYN++
			if t.full() {
				t.stats.Untracked++
				return
			}
			idx = t.newFlow(&key, h, kindConn)
			f := &t.flows[idx]
			f.client = 1 - side
			f.orphanAt, f.orphanSeq, f.orphanAck = s.Time, s.Seq, s.Ack
			t.touch(idx, s, side)
			return
		}
		t.onSynAck(s, idx, side)
	default:
		if s.Flags&FlagRST != 0 {
			t.stats.RST++
		}
		if s.Flags&FlagFIN != 0 {
			t.stats.FIN++
		}
		if !found {
			if s.Flags&FlagRST != 0 {
				return // a lone RST opens nothing
			}
			t.stats.PreExisting++
			if t.full() {
				t.stats.Untracked++
				return
			}
			idx = t.newFlow(&key, h, kindConn)
			t.flows[idx].pre = true
		}
		t.onOther(s, idx, side)
	}
}

// DefaultMaxFlows is how many flows (attempts, connections, closed
// 4-tuples remembered for TIME-WAIT) the tracker holds at once unless told
// otherwise: about 400 MB with the slabs' growth, so an analysis fits a
// machine with 2 GB. Beyond it new SYNs are counted per listener, not
// followed (see Untracked), and a reserve is kept for peers that completed
// a handshake before (real clients, not a flood's spoofed sources).
const DefaultMaxFlows = 1 << 20

// full reports whether the flow budget is used up.
func (t *Tracker) full() bool { return t.maxFlows > 0 && t.table.count >= t.maxFlows }

// reserved reports whether a new SYN may use the reserve kept beyond the
// budget: its client completed a handshake with this server before.
func (t *Tracker) reserved(key *flowKey, side int8) bool {
	if t.table.count >= t.maxFlows+t.maxFlows/16 {
		return false
	}
	client, server := key.b, key.a
	if side == sideA {
		client, server = key.a, key.b
	}
	p, ok := t.peers[peerHash(server, client)]
	return ok && p.established != 0
}

// loneRef names an attempt, in creation order, so that the budget can
// give up the oldest lone SYNs first; first tells a reused slot apart.
type loneRef struct {
	idx   uint32
	first int64
}

// noteLone queues a new attempt for evictLoneSYN, once the budget is half
// used (below that nothing will be evicted and the queue is dropped).
func (t *Tracker) noteLone(idx uint32, first int64) {
	switch {
	case t.maxFlows == 0:
		return
	case t.table.count < t.maxFlows/4:
		t.lone, t.loneHead = t.lone[:0], 0
		return
	case t.table.count < t.maxFlows/2:
		return
	}
	if len(t.lone)-t.loneHead > 2*t.maxFlows {
		t.compactLone(true)
	}
	t.lone = append(t.lone, loneRef{idx, first})
}

// evictLoneSYN makes room for a new attempt when the budget is used up:
// it gives up the oldest open attempt that is still a lone SYN nobody
// acknowledged (a flood's, almost always: a real client's SYN is answered
// within a round trip, or retransmitted), counting it as untracked. It
// reports whether it found one.
func (t *Tracker) evictLoneSYN() bool {
	for t.loneHead < len(t.lone) {
		r := t.lone[t.loneHead]
		t.loneHead++
		f := &t.flows[r.idx]
		if !t.loneAlive(r) {
			continue
		}
		st := &t.atts[f.att-1]
		t.leaveHalfOpen(st)
		key := f.key
		side := f.client
		t.untrackedSYN(&key, side, st.firstSYN)
		t.stats.Evicted++
		t.freeFlow(r.idx)
		t.compactLone(false)
		return true
	}
	t.compactLone(false)
	return false
}

// loneAlive reports whether a queued attempt is still the same one (not a
// reused slot) and still a lone SYN nobody acknowledged.
func (t *Tracker) loneAlive(r loneRef) bool {
	f := &t.flows[r.idx]
	if f.kind != kindAttempt || f.att == 0 {
		return false
	}
	st := &t.atts[f.att-1]
	return st.firstSYN == r.first && st.nSYN == 1 && !st.has(evFinalAck) && !st.has(evClientData)
}

// compactLone drops the consumed head of the lone-SYN queue now and then,
// and with all the entries no longer alive.
func (t *Tracker) compactLone(all bool) {
	if all {
		live := t.lone[:0]
		for _, r := range t.lone[t.loneHead:] {
			if t.loneAlive(r) {
				live = append(live, r)
			}
		}
		t.lone, t.loneHead = live, 0
		return
	}
	if t.loneHead > 4096 && t.loneHead*2 > len(t.lone) {
		n := copy(t.lone, t.lone[t.loneHead:])
		t.lone, t.loneHead = t.lone[:n], 0
	}
}

// untrackedSYN counts a SYN the budget did not let the tracker follow.
func (t *Tracker) untrackedSYN(key *flowKey, side int8, at int64) {
	t.stats.Untracked++
	srv := endpoint{key.b, key.bp}
	if side == sideB {
		srv = endpoint{key.a, key.ap}
	}
	u := t.untracked[srv]
	if u == nil {
		if len(t.untracked) >= maxUntrackedListeners {
			srv = endpoint{} // one bucket for the rest
			if u = t.untracked[srv]; u == nil {
				u = &Untracked{}
				t.untracked[srv] = u
			}
		} else {
			u = &Untracked{Server: netip.AddrPortFrom(srv.addr.IP(), srv.port)}
			t.untracked[srv] = u
		}
	}
	if u.SYNs == 0 || at < u.First {
		u.First = at
	}
	u.Last = max(u.Last, at)
	u.SYNs++
}

// maxUntrackedListeners bounds the listeners untracked SYNs are counted
// for one by one; the rest share one count with no server.
const maxUntrackedListeners = 1 << 16

// Untracked counts the SYNs to one listener that arrived while the flow
// budget was used up: counted, not followed. Server is the zero AddrPort
// for the count of every listener beyond maxUntrackedListeners.
type Untracked struct {
	Server      netip.AddrPort
	SYNs        int64
	First, Last int64 // Unix ns
}

// Untracked returns the SYNs the flow budget did not let the tracker
// follow, per listener, most first.
func (t *Tracker) Untracked() []Untracked {
	out := make([]Untracked, 0, len(t.untracked))
	for _, u := range t.untracked {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].SYNs != out[j].SYNs {
			return out[i].SYNs > out[j].SYNs
		}
		return out[i].Server.Compare(out[j].Server) < 0
	})
	return out
}

// SetMaxFlows sets the flow budget (0: no limit).
func (t *Tracker) SetMaxFlows(n int) { t.maxFlows = n }

// newFlow allocates a flow for key, indexes it and schedules its deadline.
func (t *Tracker) newFlow(key *flowKey, h uint64, kind uint8) uint32 {
	var idx uint32
	if n := len(t.freeFlows); n > 0 {
		idx = t.freeFlows[n-1]
		t.freeFlows = t.freeFlows[:n-1]
	} else {
		t.flows = append(t.flows, flow{})
		idx = uint32(len(t.flows) - 1)
	}
	gen := t.flows[idx].gen + 1
	t.flows[idx] = flow{key: *key, kind: kind, client: -1, firstFIN: -1, gen: gen, last: t.at}
	t.table.insert(h, idx)
	if kind != kindAttempt { // attempts are scheduled once their state exists
		t.reschedule(idx)
	}
	return idx
}

func (t *Tracker) freeFlow(idx uint32) {
	f := &t.flows[idx]
	t.dropPending(f)
	if f.att != 0 {
		t.freeAtts = append(t.freeAtts, f.att-1)
		f.att = 0
	}
	t.table.remove(f.key.hash(), idx)
	f.kind = kindFree
	f.gen++
	t.freeFlows = append(t.freeFlows, idx)
}

func (t *Tracker) newAttempt() uint32 {
	if n := len(t.freeAtts); n > 0 {
		i := t.freeAtts[n-1]
		t.freeAtts = t.freeAtts[:n-1]
		t.atts[i] = attemptState{}
		return i + 1
	}
	t.atts = append(t.atts, attemptState{})
	return uint32(len(t.atts))
}

// touch records what every kind of flow tracks: last activity, the sender's
// timestamp, FINs and RSTs.
func (t *Tracker) touch(idx uint32, s *Segment, side int8) {
	f := &t.flows[idx]
	if s.Time > f.last {
		f.last = s.Time
	}
	if s.Opts.Has&OptTimestamp != 0 && !s.OptionsCut {
		f.lastTS[side] = s.Opts.TSval
		f.tsBits |= 1 << side
	}
	wasClosed := f.closed()
	if s.Flags&FlagFIN != 0 {
		if f.firstFIN < 0 {
			f.firstFIN = side
		}
		f.finBits |= 1 << side
		f.nextSeq[side] = s.Seq + s.PayloadLen + 1
	}
	if s.Flags&FlagRST != 0 {
		f.finBits |= rstAny
	}
	if !wasClosed && f.closed() {
		t.onClose(idx)
	}
}

// onClose runs once when a flow sees its second FIN or a RST.
func (t *Tracker) onClose(idx uint32) {
	f := &t.flows[idx]
	f.closedAt = t.at
	t.dropPending(f)
	if f.client < 0 {
		return
	}
	// Linux saves tcp_metrics (and tcp_tw_recycle stamps) when an
	// established connection closes; a refused or reset handshake leaves
	// nothing behind.
	if f.kind == kindAttempt && !t.atts[f.att-1].has(evFinalAck) {
		return
	}
	server := 1 - f.client
	client, srv := f.endpoint(f.client), f.endpoint(server)
	pk := peerHash(srv.addr, client.addr)
	p := t.peers[pk]
	p.closed = t.at
	t.peers[pk] = p
	if f.firstFIN == server && f.tsBits&(1<<f.client) != 0 {
		t.stamps[client.addr] = stamp{at: t.at, ts: f.lastTS[f.client]}
	}
	if f.kind == kindConn {
		f.kind = kindClosed
		t.reschedule(idx)
	}
}

func (f *flow) endpoint(side int8) endpoint {
	if side == sideA {
		return endpoint{f.key.a, f.key.ap}
	}
	return endpoint{f.key.b, f.key.bp}
}

// listenerOf returns the index of the listener a flow's server side is.
func (t *Tracker) listenerOf(f *flow) uint32 {
	ep := f.endpoint(1 - f.client)
	if i, ok := t.listeners[ep]; ok {
		return i
	}
	if len(t.live) >= maxListeners {
		// Past the cap every further listener shares the last entry: its
		// queue estimates mean nothing, its attempts are still followed.
		return uint32(len(t.live) - 1)
	}
	i := uint32(len(t.live))
	t.live = append(t.live, listenerLive{})
	t.listeners[ep] = i
	return i
}

// maxListeners bounds the listeners whose queues the tracker estimates.
const maxListeners = 1 << 20

func (t *Tracker) setPending(f *flow, listener uint32) {
	if !f.pending && !f.closed() {
		f.pending = true
		f.listener = listener + 1
		t.live[listener].pending++
	}
}

func (t *Tracker) dropPending(f *flow) {
	if f.pending {
		f.pending = false
		t.live[f.listener-1].pending--
	}
}

// reschedule makes sure the flow's timer fires by its deadline. A live
// entry that fires no later is kept: firing re-checks the deadline, so most
// packets of a busy attempt cost no timer work.
func (t *Tracker) reschedule(idx uint32) {
	f := &t.flows[idx]
	d := t.deadline(f)
	if f.due != 0 && d/1e9 >= f.due {
		return
	}
	f.gen++
	f.due = t.wheel.schedule(d, idx, f.gen)
}

func (t *Tracker) fire(e timerEntry) {
	f := &t.flows[e.idx]
	if f.gen != e.gen || f.kind == kindFree {
		return
	}
	if d := t.deadline(f); d > t.now {
		f.due = t.wheel.schedule(d, e.idx, f.gen)
		return
	}
	if f.kind == kindAttempt {
		t.settle(e.idx, true)
		return
	}
	t.freeFlow(e.idx)
}

// deadline is when a flow's fate is decided if nothing else arrives.
func (t *Tracker) deadline(f *flow) int64 {
	switch f.kind {
	case kindAttempt:
		return t.atts[f.att-1].deadline()
	case kindClosed:
		return f.closedAt + int64(timeWaitLen)
	}
	return f.last + int64(connIdle)
}

func (a *attemptState) deadline() int64 {
	base := a.firstSYN
	switch {
	case a.has(evBareAck) && a.nSA == 0:
		// A SYN answered by a bare ACK (TIME-WAIT, live connection): the
		// client resets and retries the same SYN once its timer fires.
		return base + int64(usDuration(a.last)+timeWaitLen)
	case a.has(evServerRST) || a.has(evClientRST):
		return base + int64(usDuration(a.last)+resetLinger)
	case a.has(evFinalAck) && a.flags&afAckIgnored == 0:
		if a.has(evServerData) && a.has(evClientData) {
			return base + int64(usDuration(a.last))
		}
		return base + int64(usDuration(a.at(evFinalAck))+ackSettle)
	case a.flags&afAckIgnored != 0 && (a.has(evServerData) || a.has(evServerAckData)):
		return base + int64(usDuration(a.last)+2*time.Second)
	case a.nSA > 0:
		gap := a.lastSA - a.prevSA
		if a.nSA < 2 {
			gap = a.lastSYN - a.prevSYN
		}
		return base + int64(usDuration(max(a.lastSA, a.lastSYN))+idleAfter(gap, synAckIdleMin))
	}
	gap := uint32(0)
	if a.nSYN > 1 {
		gap = a.lastSYN - a.prevSYN
	}
	return base + int64(usDuration(a.lastSYN)+idleAfter(gap, synIdleMin))
}

// idleAfter is how long to wait after a retransmit whose gap to the
// previous one was gap µs: exponential backoff doubles it, so 2.5× covers
// the next one with room for timer lag.
func idleAfter(gapUS uint32, floor time.Duration) time.Duration {
	d := usDuration(gapUS) * 5 / 2
	return min(max(d, floor), maxIdle)
}

// rebase sets the clock back to now after packets stamped far ahead had
// moved it: every pending timer is scheduled again from the new clock.
func (t *Tracker) rebase(now int64) {
	t.now = now
	entries := t.wheel.drain(now)
	for _, e := range entries {
		f := &t.flows[e.idx]
		if f.gen != e.gen || f.kind == kindFree {
			continue
		}
		f.due = 0
		t.reschedule(e.idx)
	}
}

// lastPlausible bounds how far after the clock the capture's last packet
// (in file order) may be and still settle the attempts open at the end: a
// capture often ends with one packet long after the others, but not
// decades after.
const lastPlausible = 24 * time.Hour

// Finish settles every attempt still open, as of the capture's end.
func (t *Tracker) Finish() {
	if t.last > t.now && t.last-t.now <= int64(lastPlausible) {
		t.now = t.last
	}
	t.stats.ClockJumps, t.stats.MaxClockJump, t.stats.ClockResets = t.clock.jumps, time.Duration(t.clock.maxJump), t.clock.resets
	for idx := range t.flows {
		if t.flows[idx].kind == kindAttempt {
			t.settle(uint32(idx), false)
		}
	}
}

// ---- SYN ----

func (t *Tracker) onSYN(s *Segment, key *flowKey, h uint64, idx uint32, found bool, side int8) {
	var prev prevState
	if found {
		f := &t.flows[idx]
		switch {
		case f.kind == kindAttempt && f.client == side:
			st := &t.atts[f.att-1]
			if s.Seq == st.isn {
				t.addSYN(idx, st, s, side)
				return
			}
			// A new ISN on the same 4-tuple: a new connect() reusing the port.
			// The client gave this attempt up: its fate is settled (the
			// capture did not end, so CaptureEnded must not be set).
			// Only a handshake that completed left a connection behind.
			if st.has(evFinalAck) {
				prev = t.prevOf(f, side)
			}
			t.settle(idx, true)
			idx, found = t.table.find(h, key, t.keyAt)
		case f.kind == kindAttempt:
			// The server side sent a SYN of its own: split handshake or
			// simultaneous open. It is not a new attempt.
			t.stats.ServerSYN++
			t.atts[f.att-1].mark(evServerSYN, s.Time)
			t.touch(idx, s, side)
			return
		case f.claimedBy(s):
			// The SYN-ACK the capture put before this SYN is part of this
			// handshake, not a previous connection.
		default:
			prev = t.prevOf(f, side)
		}
	}
	var orphan flow
	if found {
		orphan = t.flows[idx]
		t.dropPending(&t.flows[idx])
	} else {
		if t.full() && !t.evictLoneSYN() && !t.reserved(key, side) {
			t.untrackedSYN(key, side, s.Time)
			return
		}
		idx = t.newFlow(key, h, kindAttempt)
		t.noteLone(idx, s.Time)
	}
	f := &t.flows[idx]
	gen := f.gen
	*f = flow{key: *key, kind: kindAttempt, client: side, firstFIN: -1, gen: gen, last: s.Time}
	f.att = t.newAttempt()
	st := &t.atts[f.att-1]
	st.firstSYN, st.isn, st.synLen = s.Time, s.Seq, s.PayloadLen
	st.synOpts, st.synTTL, st.synDir = s.Opts, s.TTL, s.Dir
	st.prev = prev
	st.listener = t.listenerOf(f)
	if s.PayloadLen > 0 {
		st.flags |= afSYNData
	}
	if s.OptionsCut {
		st.flags |= afOptionsCut
	}
	t.peerContext(f, st)
	t.addSYN(idx, st, s, side)
	// A SYN-ACK the capture put before this SYN belongs to it.
	if orphan.claimedBy(s) {
		t.stats.SynAckWithoutSYN-- // counted when it came; this SYN explains it
		t.onSynAck(&Segment{Time: s.Time, Seq: orphan.orphanSeq, Ack: orphan.orphanAck, Flags: FlagSYN | FlagACK}, idx, 1-side)
	}
}

// claimedBy reports whether SYN s explains the SYN-ACK this flow was
// opened by (a capture that reordered the handshake).
func (f *flow) claimedBy(s *Segment) bool {
	return f.orphanAt != 0 && f.orphanAck == s.Seq+1 && abs64(s.Time-f.orphanAt) < int64(reorderWindow)
}

// prevOf describes the connection a flow held before a new SYN from side.
func (t *Tracker) prevOf(f *flow, client int8) prevState {
	p := prevState{flags: pvSeen}
	server := 1 - client
	if f.closed() {
		p.ago = agoMillis(t.at - f.closedAt)
	} else {
		p.flags |= pvOpen
	}
	if f.firstFIN == server {
		p.flags |= pvServerFirst
	}
	if f.tsBits&(1<<client) != 0 {
		p.flags |= pvHasTS
		p.ts = f.lastTS[client]
	}
	p.nextSeq = f.nextSeq[client]
	return p
}

// peerContext records what the server knew about this client's IP.
func (t *Tracker) peerContext(f *flow, st *attemptState) {
	client, server := f.endpoint(f.client), f.endpoint(1-f.client)
	if p, ok := t.peers[peerHash(server.addr, client.addr)]; ok {
		if p.established != 0 && t.at-p.established < int64(peerMetricsLife) {
			st.peerEst = agoMillis(t.at - p.established)
		}
		if p.closed != 0 && t.at-p.closed < int64(peerMetricsLife) {
			st.peerClose = agoMillis(t.at - p.closed)
		}
	}
	if sp, ok := t.stamps[client.addr]; ok && t.at-sp.at < int64(timeWaitLen) {
		st.stampAgo, st.stampTS = agoMillis(t.at-sp.at), sp.ts
	}
	if t.at > t.pruneAt {
		t.prunePeers()
	}
}

// prunePeers forgets peers older than the kernel would remember them.
func (t *Tracker) prunePeers() {
	t.pruneAt = t.at + int64(time.Minute)
	if len(t.peers) > 4096 {
		for k, p := range t.peers {
			if t.at-max(p.established, p.closed) > int64(peerMetricsLife) {
				delete(t.peers, k)
			}
		}
	}
	for k, sp := range t.stamps {
		if t.at-sp.at > int64(timeWaitLen) {
			delete(t.stamps, k)
		}
	}
}

// addSYN counts a SYN (first or retransmitted) and samples the listener.
func (t *Tracker) addSYN(idx uint32, st *attemptState, s *Segment, side int8) {
	off := st.offset(s.Time)
	if st.nSYN < MaxTimes {
		st.synOff[st.nSYN] = off
	}
	if st.nSYN > 0 {
		st.prevSYN = st.lastSYN
	}
	st.lastSYN, st.last = off, max(st.last, off)
	st.nSYN++
	if s.Opts.Has&OptTimestamp != 0 {
		st.synTSLast = s.Opts.TSval
	}
	if s.ChecksumBad {
		st.flags |= afBadChecksum
		t.stats.BadChecksumSYN++
	}
	if s.Dir == DirOtherHost {
		st.flags |= afOtherHost
	}
	l := &t.live[st.listener]
	if l.lastSynAck != 0 && s.Time-l.lastSynAck <= int64(answeredAround) {
		st.around = true
	}
	st.ctxHalf = max(st.ctxHalf, uint32(max(l.halfOpen, 0)))
	st.ctxYoung = max(st.ctxYoung, uint32(max(l.young, 0)))
	st.ctxPend = max(st.ctxPend, uint32(max(l.pending, 0)))
	t.touch(idx, s, side)
	t.reschedule(idx)
}

// ---- SYN-ACK ----

func (t *Tracker) onSynAck(s *Segment, idx uint32, side int8) {
	t.touch(idx, s, side)
	f := &t.flows[idx]
	if f.kind != kindAttempt || side == f.client {
		return
	}
	st := &t.atts[f.att-1]
	// The SYN-ACK must acknowledge the SYN (and any Fast Open data).
	if d := s.Ack - (st.isn + 1); d > st.synLen {
		return
	}
	off := st.offset(s.Time)
	if st.nSA > 0 && s.Seq == st.serverISN && s.Opts.TSval == st.saTSval && off-st.lastSA < micros(int64(dupWindow)) {
		// The same SYN-ACK again within microseconds: a copy of the frame
		// (-i any, a mirror port) or the kernel answering a retransmitted
		// SYN in the very moment its timer fired. Either way one answer.
		if st.lastSYN+micros(int64(dupWindow)) < st.lastSA || st.nSYN < 2 {
			t.stats.DuplicateSynAcks++
		}
		return
	}
	st.saTSval = s.Opts.TSval
	var kind uint8
	if st.nSA > 0 && s.Seq != st.serverISN {
		kind |= saNewISN
	}
	if st.nSA > 0 && st.lastSYN >= st.lastSA && off-st.lastSYN <= micros(int64(triggerWindow)) && st.nSYN > 1 {
		kind |= saTriggered
	}
	if st.has(evFinalAck) {
		kind |= saAfterAck
	}
	if st.nSA < MaxTimes {
		st.saOff[st.nSA], st.saKind[st.nSA] = off, kind
	}
	if st.nSA == 0 {
		st.saOpts, st.saTTL, st.saDir = s.Opts, s.TTL, s.Dir
		if s.OptionsCut {
			st.flags |= afOptionsCut
		}
	} else {
		st.prevSA = st.lastSA
	}
	if s.PayloadLen > 0 {
		st.flags |= afSynAckData
	}
	st.serverISN = s.Seq
	st.lastSA, st.last = off, max(st.last, off)
	st.nSA++
	l := &t.live[st.listener]
	switch {
	case st.nSA == 1:
		l.maxHalfAnswered = max(l.maxHalfAnswered, l.halfOpen)
		l.maxPendAnswered = max(l.maxPendAnswered, l.pending)
		st.flags |= afHalfOpen | afYoung
		l.halfOpen++
		l.young++
		l.lastSynAck = s.Time
	case kind&saTriggered == 0 && st.flags&afYoung != 0:
		st.flags &^= afYoung
		l.young--
	}
	if kind&saAfterAck != 0 && kind&saTriggered == 0 && !st.has(evServerAckData) && !st.has(evServerData) {
		// The server still holds a request although the client completed:
		// it dropped the final ACK.
		st.flags |= afAckIgnored
		if st.flags&afHalfOpen == 0 {
			st.flags |= afHalfOpen
			l.halfOpen++
		}
	}
	t.reschedule(idx)
}

// ---- everything else ----

func (t *Tracker) onOther(s *Segment, idx uint32, side int8) {
	t.touch(idx, s, side)
	f := &t.flows[idx]
	switch f.kind {
	case kindAttempt:
		st := &t.atts[f.att-1]
		st.last = max(st.last, st.offset(s.Time))
		if side == f.client {
			t.clientSegment(f, st, s)
		} else {
			t.serverSegment(f, st, s)
		}
		t.reschedule(idx)
	default:
		if f.pending && side != f.client && s.PayloadLen > 0 {
			t.dropPending(f)
		}
	}
}

func (t *Tracker) clientSegment(f *flow, st *attemptState, s *Segment) {
	if s.Flags&FlagRST != 0 {
		st.mark(evClientRST, s.Time)
		t.leaveHalfOpen(st)
		return
	}
	if s.PayloadLen > 0 {
		t.clientData(st, s)
	}
	if s.Flags&FlagFIN != 0 {
		st.mark(evClientFIN, s.Time)
	}
	if s.Flags&FlagACK != 0 && st.nSA == 0 && !st.has(evFinalAck) && s.Ack != 0 && s.Seq == st.isn+1+st.synLen && !st.has(evBareAck) {
		// The client acknowledges a SYN-ACK the capture never saw: only
		// the client's direction was captured.
		st.flags |= afOneSided
		st.serverISN = s.Ack - 1
		t.stats.OneSided++
	}
	if s.Flags&FlagACK != 0 && (st.nSA > 0 || st.flags&afOneSided != 0) && s.Ack == st.serverISN+1 && !st.has(evFinalAck) {
		st.mark(evFinalAck, s.Time)
		if f.finBits == rstAny {
			// A RST before the handshake completed ended an earlier
			// exchange on the 4-tuple (the client resetting a TIME-WAIT
			// ACK, a refused SYN retried): the connection opened now is
			// open until its own FINs or RST.
			f.finBits, f.closedAt = 0, 0
		}
		t.leaveHalfOpen(st)
		t.setPending(f, st.listener)
		server, client := f.endpoint(1-f.client), f.endpoint(f.client)
		pk := peerHash(server.addr, client.addr)
		p := t.peers[pk]
		p.established = s.Time
		t.peers[pk] = p
	}
}

// minDataRetransmit is the shortest gap after which a repeat of the
// client's first data segment counts as a retransmission: Linux's RTO
// floor is 200 ms; closer repeats are copies, not the client giving up on
// an acknowledgment.
const minDataRetransmit = 150 * time.Millisecond

// clientData notes the client's payload: the first data segment, and how
// often the client sent it again while the server had not acknowledged it.
func (t *Tracker) clientData(st *attemptState, s *Segment) {
	switch {
	case !st.has(evClientData):
		st.mark(evClientData, s.Time)
		st.flags |= afDataSeq
		st.dataSeq = s.Seq
	case st.flags&afDataSeq == 0:
		st.flags |= afDataSeq
		st.dataSeq = s.Seq
	case s.Seq == st.dataSeq && !st.has(evServerAckData) && st.offset(s.Time) >= st.at(evClientData)+micros(int64(minDataRetransmit)):
		if st.dataRetx < 1<<16-1 {
			st.dataRetx++
		}
	}
}

func (t *Tracker) serverSegment(f *flow, st *attemptState, s *Segment) {
	if s.Flags&FlagRST != 0 {
		st.mark(evServerRST, s.Time)
		t.leaveHalfOpen(st)
		return
	}
	if s.PayloadLen > 0 {
		st.mark(evServerData, s.Time)
		t.dropPending(f)
	}
	if s.Flags&FlagFIN != 0 {
		st.mark(evServerFIN, s.Time)
	}
	if s.Flags&FlagACK == 0 {
		return
	}
	if st.nSA == 0 {
		if !st.has(evBareAck) {
			st.bareAckNo = s.Ack
		}
		st.mark(evBareAck, s.Time)
		return
	}
	if int32(s.Ack-(st.isn+1+st.synLen)) > 0 {
		st.mark(evServerAckData, s.Time)
	}
}

func (t *Tracker) leaveHalfOpen(st *attemptState) {
	t.leaveHalfOpenKeepYoung(st)
	t.leaveYoung(st)
}

func (t *Tracker) leaveHalfOpenKeepYoung(st *attemptState) {
	if st.flags&afHalfOpen != 0 {
		st.flags &^= afHalfOpen
		t.live[st.listener].halfOpen--
	}
}

func (t *Tracker) leaveYoung(st *attemptState) {
	if st.flags&afYoung != 0 {
		st.flags &^= afYoung
		t.live[st.listener].young--
	}
}

// ---- settling ----

// settle decides an attempt's outcome, emits it and turns the flow into
// a connection (if it got through) or frees it. timedOut says whether the
// attempt's fate is settled (its deadline passed, or a new SYN replaced
// it) rather than cut short by the end of the capture.
func (t *Tracker) settle(idx uint32, timedOut bool) {
	f := &t.flows[idx]
	st := &t.atts[f.att-1]
	if !timedOut && st.deadline() <= t.now {
		timedOut = true
	}
	t.leaveHalfOpen(st)
	t.build(f, st, timedOut)
	t.stats.Attempts++
	if t.emit != nil {
		t.emit(&t.out)
	}
	switch t.out.Outcome {
	case Established, EstablishedAfterRetry:
		t.freeAtts = append(t.freeAtts, f.att-1)
		f.att = 0
		f.kind = kindConn
		if f.closed() {
			f.kind = kindClosed
		}
		t.reschedule(idx)
	default:
		t.freeFlow(idx)
	}
}

// build fills t.out from an attempt's state.
func (t *Tracker) build(f *flow, st *attemptState, timedOut bool) {
	a := &t.out
	*a = Attempt{}
	client, server := f.endpoint(f.client), f.endpoint(1-f.client)
	a.Client = netip.AddrPortFrom(client.addr.IP(), client.port)
	a.Server = netip.AddrPortFrom(server.addr.IP(), server.port)
	a.ISN, a.ServerISN, a.FirstSYN = st.isn, st.serverISN, st.firstSYN
	a.SYNs, a.SynAcks = int(st.nSYN), int(st.nSA)
	for i := range min(st.nSYN, MaxTimes) {
		a.SYNTimes[i] = usDuration(st.synOff[i])
	}
	for i := range min(st.nSA, MaxTimes) {
		k := st.saKind[i]
		a.SynAckTimes[i] = SynAck{At: usDuration(st.saOff[i]), Triggered: k&saTriggered != 0, AfterAck: k&saAfterAck != 0, NewISN: k&saNewISN != 0}
	}
	a.SYNOptions, a.SynAckOptions, a.SYNTSvalLast, a.SYNTTL = st.synOpts, st.saOpts, st.synTSLast, st.synTTL
	a.SynAckTTL, a.SYNDir, a.SynAckDir = st.saTTL, st.synDir, st.saDir
	a.SYNOptionsCut = st.flags&afOptionsCut != 0
	a.SYNData = st.flags&afSYNData != 0
	a.BadChecksum = st.flags&afBadChecksum != 0
	a.OtherHost = st.flags&afOtherHost != 0
	a.SynAckData = st.flags&afSynAckData != 0
	a.OneSided = st.flags&afOneSided != 0
	a.FinalAck = evDuration(st.ev[evFinalAck])
	a.ClientData = evDuration(st.ev[evClientData])
	a.ServerData = evDuration(st.ev[evServerData])
	a.ServerAckData = evDuration(st.ev[evServerAckData])
	a.ServerRST = evDuration(st.ev[evServerRST])
	a.ClientRST = evDuration(st.ev[evClientRST])
	a.ServerBareAck = evDuration(st.ev[evBareAck])
	a.BareAckNumber = st.bareAckNo
	a.ServerSYN = evDuration(st.ev[evServerSYN])
	a.ClientFIN = evDuration(st.ev[evClientFIN])
	a.ServerFIN = evDuration(st.ev[evServerFIN])
	a.Last = usDuration(st.last)
	a.DataRetransmits = int(st.dataRetx)
	a.Context = Context{
		HalfOpen: int(st.ctxHalf), Young: int(st.ctxYoung), PendingAccept: int(st.ctxPend),
		PeerEstablishedAgo: msAgo(st.peerEst), PeerClosedAgo: msAgo(st.peerClose),
		PeerStampAgo: msAgo(st.stampAgo), PeerStampTSval: st.stampTS,
		AnsweredAround:   st.around || t.answeredAfter(st),
		AnsweredHalfOpen: int(t.live[st.listener].maxHalfAnswered),
		AnsweredPending:  int(t.live[st.listener].maxPendAnswered),
	}
	p := st.prev
	a.Prev = Prev{
		Seen: p.flags&pvSeen != 0, Open: p.flags&pvOpen != 0, ServerClosedFirst: p.flags&pvServerFirst != 0,
		HasTS: p.flags&pvHasTS != 0, ClientTSval: p.ts, ClientNextSeq: p.nextSeq, ClosedAgo: msAgo(p.ago),
	}
	a.Outcome, a.CaptureEnded = classify(st, timedOut, t.now)
}

// classify turns what an attempt saw into its outcome. end is the latest
// packet time of the capture so far.
func classify(st *attemptState, timedOut bool, end int64) (Outcome, bool) {
	waited := end - st.firstSYN
	if st.flags&afOneSided != 0 && st.nSA == 0 && !st.has(evServerRST) {
		if st.nSYN > 1 {
			return EstablishedAfterRetry, false
		}
		return Established, false
	}
	if st.nSA == 0 {
		switch {
		case st.has(evServerRST) && st.nSYN >= 2 && st.at(evServerRST) >= st.synOff[1]:
			// The RST answered a retransmitted SYN: the SYNs before it were
			// dropped (the listener closed or restarted meanwhile).
			return UnansweredThenReset, false
		case st.has(evServerRST):
			return Reset, false
		case st.has(evBareAck):
			return AnsweredWithAck, false
		case timedOut || st.nSYN >= 2 || waited >= int64(unansweredAfter):
			return Unanswered, !timedOut
		}
		return Incomplete, true
	}
	if !st.has(evFinalAck) {
		sinceSA := end - (st.firstSYN + int64(usDuration(st.saOff[0])))
		if timedOut || st.nSA >= 2 || st.has(evClientRST) || st.has(evServerRST) || sinceSA >= int64(unansweredAfter) {
			return SynAckUnacked, !timedOut
		}
		return Incomplete, true
	}
	return classifyCompleted(st, timedOut)
}

// classifyCompleted decides the fate of an attempt whose client sent the
// final ACK. The server proves it took the connection by payload or a FIN
// (the application accepted it) or by acknowledging client data (the
// kernel completed the handshake); without such proof, client data the
// server never acknowledged means the ACK and data were dropped.
func classifyCompleted(st *attemptState, timedOut bool) (Outcome, bool) {
	ack := st.at(evFinalAck)
	before := func(ev int) bool { return st.has(ev) && (!st.has(evServerRST) || st.at(ev) <= st.at(evServerRST)) }
	served := before(evServerData) || before(evServerAckData) || before(evServerFIN)
	if st.has(evServerRST) && st.at(evServerRST) >= ack && !served && st.flags&afAckIgnored == 0 {
		// A RST in reply to the ACK (or the data right after it) is the
		// handshake refused (tcp_abort_on_overflow). A RST that comes
		// later on its own is a queued connection reset when its listener
		// closed: the handshake had succeeded.
		last := ack
		if st.has(evClientData) {
			last = max(last, st.at(evClientData))
		}
		if st.at(evServerRST) <= last+micros(int64(promptReset)) {
			return ResetAfterAck, false
		}
		return Established, false
	}
	if st.flags&afAckIgnored != 0 {
		if served {
			return EstablishedAfterRetry, false
		}
		return AckIgnored, !timedOut
	}
	if st.has(evClientData) && !served && st.flags&afOneSided == 0 {
		// No SYN-ACK retransmit (a syncookie leaves no request to
		// retransmit from), yet the data was never acknowledged.
		if st.dataRetx > 0 || timedOut {
			return AckIgnored, !timedOut
		}
		return Incomplete, true
	}
	if st.dataRetx >= 2 && served && st.flags&afOneSided == 0 && st.has(evServerAckData) &&
		st.at(evServerAckData) >= st.at(evClientData)+micros(int64(heldData)) {
		// Acknowledged only after the client sent its data again and
		// again for a second or more: the server held the connection back
		// (a syncookie's ACK meeting a full accept queue). A lost data
		// segment or two is ordinary loss, not a handshake failure.
		return EstablishedAfterRetry, false
	}
	if st.nSYN > 1 || st.has(evBareAck) || st.has(evServerRST) && st.at(evServerRST) < ack {
		return EstablishedAfterRetry, false
	}
	return Established, false
}

// answeredAfter reports whether the listener sent a first SYN-ACK to
// another attempt after this attempt's first SYN and within a second of
// its last one: "other SYNs in the same second were answered".
func (t *Tracker) answeredAfter(st *attemptState) bool {
	l := &t.live[st.listener]
	last := st.firstSYN + int64(usDuration(st.lastSYN))
	return l.lastSynAck > st.firstSYN && l.lastSynAck <= last+int64(answeredAround) && st.nSA == 0
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
