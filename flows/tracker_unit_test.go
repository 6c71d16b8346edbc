package flows

// Unit tests of the tracker's parts: the flow table, the timer wheel and
// classify().

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// tableModel drives a flowTable and a Go map through the same operations.
type tableModel struct {
	t       *testing.T
	tab     *flowTable
	hash    func(*flowKey) uint64
	keys    []flowKey // slab: index -> key, as the tracker's flows
	free    []uint32
	model   map[flowKey]uint32
	present []flowKey // keys in model, for random picks
	pos     map[flowKey]int
}

func keyOf(i int) flowKey {
	var k flowKey
	k.a = AddrOf(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
	k.b = AddrOf(netip.MustParseAddr("10.255.0.1"))
	k.ap, k.bp = uint16(i*7), 80
	return k
}

func (m *tableModel) keyAt(idx uint32) *flowKey { return &m.keys[idx] }

func (m *tableModel) insert(k flowKey) {
	var idx uint32
	if n := len(m.free); n > 0 {
		idx, m.free = m.free[n-1], m.free[:n-1]
	} else {
		m.keys = append(m.keys, flowKey{})
		idx = uint32(len(m.keys) - 1)
	}
	m.keys[idx] = k
	m.tab.insert(m.hash(&k), idx)
	m.model[k] = idx
	m.pos[k] = len(m.present)
	m.present = append(m.present, k)
}

func (m *tableModel) remove(k flowKey) {
	idx := m.model[k]
	m.tab.remove(m.hash(&k), idx)
	m.keys[idx] = flowKey{} // a stale slot must not be found through the table
	m.free = append(m.free, idx)
	delete(m.model, k)
	i := m.pos[k]
	last := m.present[len(m.present)-1]
	m.present[i], m.pos[last] = last, i
	m.present = m.present[:len(m.present)-1]
	delete(m.pos, k)
}

func (m *tableModel) find(k flowKey) {
	m.t.Helper()
	idx, ok := m.tab.find(m.hash(&k), &k, m.keyAt)
	want, wantOK := m.model[k]
	if ok != wantOK || (ok && idx != want) {
		m.t.Fatalf("find(%v) = %d %v, model %d %v", k, idx, ok, want, wantOK)
	}
}

// check verifies the whole table: the count, that every key is found, and
// the linear-probing invariant that backward-shift deletion must keep: no
// empty slot between an entry's home slot and the slot it sits in.
func (m *tableModel) check() {
	m.t.Helper()
	if m.tab.count != len(m.model) {
		m.t.Fatalf("count %d, model %d", m.tab.count, len(m.model))
	}
	used := 0
	seen := map[uint64]bool{}
	for i, s := range m.tab.slots {
		if s == 0 {
			continue
		}
		used++
		if seen[s] {
			m.t.Fatalf("entry %#x stored twice", s)
		}
		seen[s] = true
		for j := m.tab.home(s); j != uint64(i); j = (j + 1) & m.tab.mask {
			if m.tab.slots[j] == 0 {
				m.t.Fatalf("slot %d (home %d) is cut off by the empty slot %d", i, m.tab.home(s), j)
			}
		}
	}
	if used != len(m.model) {
		m.t.Fatalf("%d slots used, model holds %d", used, len(m.model))
	}
	for k := range m.model {
		m.find(k)
	}
}

func TestFlowTableProperty(t *testing.T) {
	hashes := []struct {
		name string
		hash func(*flowKey) uint64
	}{
		{"real-hash", func(k *flowKey) uint64 { return k.hash() }},
		// 13 tags only: long clusters, equal tags with different keys,
		// and tag 0 (home slot 0) so the probe wraps around the table.
		{"colliding-hash", func(k *flowKey) uint64 { return uint64(k.ap%13) << 32 }},
		// 256 tags: many keys per tag, clusters all over the table.
		{"256-tags", func(k *flowKey) uint64 { return uint64(k.ap&0xff) << 32 }},
	}
	for _, hc := range hashes {
		t.Run(hc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(len(hc.name))))
			m := &tableModel{t: t, tab: newFlowTable(), hash: hc.hash, model: map[flowKey]uint32{}, pos: map[flowKey]int{}}
			const space = 6000 // beyond half the initial 4096 slots: the table must grow
			ops, checkEvery := 100000, 1000
			if hc.name != "real-hash" {
				ops, checkEvery = 20000, 2500 // probes are long by design
			}
			// 60% inserts (of absent keys), 25% removes, 15% finds: the
			// population settles near 3500 keys with constant churn.
			maxPop := 0
			for op := range ops {
				k := keyOf(rng.IntN(space))
				switch r := rng.IntN(20); {
				case r < 12:
					if _, ok := m.model[k]; !ok {
						m.insert(k)
					}
				case r < 17 && len(m.present) > 0:
					m.remove(m.present[rng.IntN(len(m.present))])
				default:
					m.find(k)
				}
				maxPop = max(maxPop, len(m.model))
				if op%checkEvery == 0 {
					m.check()
				}
			}
			if maxPop < 3000 || len(m.tab.slots) < 8192 {
				t.Fatalf("population peaked at %d, table %d slots: the test did not exercise growth", maxPop, len(m.tab.slots))
			}
			m.check()
			// Remove everything in random order: every backward shift must
			// leave the rest findable, and the table empty at the end.
			order := slices.Clone(m.present)
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			for i, k := range order {
				m.remove(k)
				if i%97 == 0 {
					m.check()
				}
			}
			m.check()
			for i, s := range m.tab.slots {
				if s != 0 {
					t.Fatalf("slot %d not empty after removing everything", i)
				}
			}
			// Removing an absent entry changes nothing.
			k := keyOf(1)
			m.tab.remove(m.hash(&k), 12345)
			if m.tab.count != 0 {
				t.Fatalf("count %d after removing an absent entry", m.tab.count)
			}
		})
	}
}

func TestCanonicalKey(t *testing.T) {
	s := Segment{Src: AddrOf(netip.MustParseAddr("10.0.0.2")), Dst: AddrOf(netip.MustParseAddr("10.0.0.1")), SrcPort: 80, DstPort: 40000}
	k1, fromA1 := canonical(&s)
	s.Src, s.Dst, s.SrcPort, s.DstPort = s.Dst, s.Src, s.DstPort, s.SrcPort
	k2, fromA2 := canonical(&s)
	if k1 != k2 || fromA1 == fromA2 || k1.hash() != k2.hash() {
		t.Errorf("both directions must share one key: %v %v / %v %v", k1, fromA1, k2, fromA2)
	}
	// Same address, ports decide; IPv4 and IPv6 never collide.
	a := AddrOf(netip.MustParseAddr("10.0.0.1"))
	s = Segment{Src: a, Dst: a, SrcPort: 9, DstPort: 8}
	if _, fromA := canonical(&s); fromA {
		t.Errorf("port 9 sorted before port 8")
	}
	if AddrOf(netip.MustParseAddr("::a00:1")) == a || !a.Is4() || a.IP() != netip.MustParseAddr("10.0.0.1") {
		t.Errorf("IPv4 mapping broken")
	}
}

func TestTimerWheelOrder(t *testing.T) {
	var w timerWheel
	var fired []uint32
	fire := func(e timerEntry) { fired = append(fired, e.idx) }
	start := int64(1000 * time.Second)
	at := func(d time.Duration) int64 { return start + int64(d) }
	w.advance(at(0), fire) // not started: nothing happens
	w.schedule(at(500*time.Millisecond), 1, 0)
	w.schedule(at(3200*time.Millisecond), 2, 0)
	w.schedule(at(1900*time.Millisecond), 3, 0)
	w.schedule(at(1100*time.Millisecond), 4, 0)
	w.advance(at(999*time.Millisecond), fire)
	if len(fired) != 0 {
		t.Fatalf("fired %v before the first second ended", fired)
	}
	// A bucket fires once now has left its second: entry 1 (0.5 s) at 1 s.
	w.advance(at(1*time.Second), fire)
	if !slices.Equal(fired, []uint32{1}) {
		t.Fatalf("fired %v, want [1]", fired)
	}
	w.advance(at(1999*time.Millisecond), fire)
	if !slices.Equal(fired, []uint32{1}) {
		t.Fatalf("fired %v at 1.999 s", fired)
	}
	// Second 1 holds 3 and 4 in the order they were scheduled.
	w.advance(at(10*time.Second), fire)
	if !slices.Equal(fired, []uint32{1, 3, 4, 2}) {
		t.Fatalf("fired %v, want [1 3 4 2]", fired)
	}
	// Scheduling in the past lands in the current second.
	w.schedule(at(2*time.Second), 5, 0)
	w.advance(at(10*time.Second+999*time.Millisecond), fire)
	if len(fired) != 4 {
		t.Fatalf("past entry fired before the current second ended: %v", fired)
	}
	w.advance(at(11*time.Second), fire)
	if !slices.Equal(fired, []uint32{1, 3, 4, 2, 5}) {
		t.Fatalf("fired %v", fired)
	}
}

// The tracker re-checks a deadline when its entry fires and re-arms it when
// it lies further ahead; entries beyond the wheel's horizon fire early for
// that reason. Deadlines must never be reported before they pass, and
// every one must be reported once.
func TestTimerWheelRescheduling(t *testing.T) {
	var w timerWheel
	start := int64(5000 * time.Second)
	deadline := map[uint32]int64{
		1: start + int64(2*time.Second),
		2: start + int64(700*time.Second),  // beyond the 512 s horizon
		3: start + int64(5000*time.Second), // far beyond
		4: start + int64(300*time.Millisecond),
	}
	var now int64
	done := map[uint32]int64{}
	early := 0
	var fire func(e timerEntry)
	fire = func(e timerEntry) {
		if d := deadline[e.idx]; d > now {
			early++
			w.schedule(d, e.idx, e.gen)
			return
		}
		if _, dup := done[e.idx]; dup {
			t.Errorf("entry %d reported twice", e.idx)
		}
		done[e.idx] = now
	}
	w.start(start)
	for idx, d := range deadline {
		w.schedule(d, idx, 0)
	}
	// Move 1 s at a time, then one jump longer than the horizon.
	for now = start; now < start+int64(800*time.Second); now += int64(time.Second) {
		w.advance(now, fire)
	}
	now = start + int64(20000*time.Second)
	w.advance(now, fire)
	for idx, d := range deadline {
		got, ok := done[idx]
		if !ok {
			t.Errorf("entry %d never reported", idx)
			continue
		}
		if got < d || (idx != 3 && got > d+int64(2*time.Second)) {
			t.Errorf("entry %d with deadline +%v reported at +%v", idx, time.Duration(d-start), time.Duration(got-start))
		}
	}
	if early == 0 {
		t.Errorf("far entries were never parked and re-armed")
	}
	if w.sec != now/1e9 {
		t.Errorf("after the jump the wheel is at second %d, want %d", w.sec, now/1e9)
	}
	// fireAll reports what is left regardless of time.
	w.schedule(now+int64(time.Hour), 9, 0)
	var all []uint32
	w.fireAll(func(e timerEntry) { all = append(all, e.idx) })
	if !slices.Equal(all, []uint32{9}) {
		t.Errorf("fireAll fired %v", all)
	}
}

// ---- classify ----

// st builds an attempt state: first SYN at 0, one SYN, then edits.
func st(edit func(a *attemptState)) *attemptState {
	a := &attemptState{nSYN: 1}
	edit(a)
	return a
}

func ev(a *attemptState, e int, d time.Duration) { a.ev[e] = uint32(d/time.Microsecond) + 1 }

func sa(a *attemptState, d time.Duration) {
	a.saOff[a.nSA] = uint32(d / time.Microsecond)
	a.nSA++
}

func TestClassify(t *testing.T) {
	sec := int64(time.Second)
	cases := []struct {
		name     string
		st       *attemptState
		timedOut bool
		end      int64 // last packet time of the capture
		want     Outcome
		ended    bool
		why      string
	}{
		{"lone-syn-early-end", st(func(a *attemptState) {}), false, sec / 2, Incomplete, true,
			"0.5 s is less than the 1 s a lone SYN needs to count as unanswered"},
		{"lone-syn-1s", st(func(a *attemptState) {}), false, sec, Unanswered, true,
			"1 s without reply is unanswered, though the deadline had not passed"},
		{"lone-syn-timed-out", st(func(a *attemptState) {}), true, 9 * sec, Unanswered, false, "the deadline passed"},
		{"retransmitted-syn", st(func(a *attemptState) { a.nSYN = 2 }), false, sec / 2, Unanswered, true,
			"a retransmit shows the first SYN went unanswered"},
		{"server-rst", st(func(a *attemptState) { ev(a, evServerRST, ms) }), false, sec / 2, Reset, false, "RST answers the SYN"},
		{"rst-beats-bare-ack", st(func(a *attemptState) { ev(a, evBareAck, ms); ev(a, evServerRST, 2*ms) }), false, sec, Reset, false,
			"a RST is the server's answer even after a bare ACK"},
		{"bare-ack", st(func(a *attemptState) { ev(a, evBareAck, ms) }), false, sec / 2, AnsweredWithAck, false, "only an ACK came back"},
		{"synack-early-end", st(func(a *attemptState) { sa(a, 10*ms) }), false, sec / 2, Incomplete, true,
			"0.49 s after the SYN-ACK is too early to call it unacked"},
		{"synack-1s", st(func(a *attemptState) { sa(a, 10*ms) }), false, sec + int64(10*ms), SynAckUnacked, true,
			"1 s after the SYN-ACK without the client's ACK"},
		{"synack-retransmitted", st(func(a *attemptState) { sa(a, 10*ms); sa(a, 1010*ms) }), false, sec + int64(20*ms), SynAckUnacked, true,
			"the server retransmitted: it saw no ACK"},
		{"synack-client-rst", st(func(a *attemptState) { sa(a, 10*ms); ev(a, evClientRST, 11*ms) }), false, sec / 10, SynAckUnacked, true,
			"the client reset instead of completing"},
		{"synack-timed-out", st(func(a *attemptState) { sa(a, 10*ms) }), true, 10 * sec, SynAckUnacked, false, "the deadline passed"},
		{"established", st(func(a *attemptState) { sa(a, 10*ms); ev(a, evFinalAck, 20*ms) }), false, sec / 10, Established, false, "SYN, SYN-ACK, ACK"},
		{"established-after-syn-retry", st(func(a *attemptState) { a.nSYN = 2; sa(a, 1010*ms); ev(a, evFinalAck, 1020*ms) }), false, 2 * sec,
			EstablishedAfterRetry, false, "it took a second SYN"},
		{"established-after-bare-ack", st(func(a *attemptState) { ev(a, evBareAck, ms); sa(a, 1010*ms); ev(a, evFinalAck, 1020*ms) }), false, 2 * sec,
			EstablishedAfterRetry, false, "the first answer was a bare ACK"},
		{"established-after-rst", st(func(a *attemptState) { ev(a, evServerRST, ms); sa(a, 3010*ms); ev(a, evFinalAck, 3020*ms) }), false, 4 * sec,
			EstablishedAfterRetry, false, "the first SYN was refused, a later one answered"},
		{"reset-after-ack", st(func(a *attemptState) { sa(a, 10*ms); ev(a, evFinalAck, 20*ms); ev(a, evServerRST, 30*ms) }), false, sec,
			ResetAfterAck, false, "the server reset the completed connection before serving it"},
		{"served-then-rst", st(func(a *attemptState) {
			sa(a, 10*ms)
			ev(a, evFinalAck, 20*ms)
			ev(a, evServerData, 25*ms)
			ev(a, evServerRST, 30*ms)
		}), false, sec, Established, false, "data before the RST: an ordinary abortive close"},
		{"ack-ignored", st(func(a *attemptState) {
			sa(a, 10*ms)
			ev(a, evFinalAck, 20*ms)
			sa(a, 1010*ms)
			a.flags |= afAckIgnored
		}), true, 20 * sec, AckIgnored, false, "the server kept retransmitting its SYN-ACK after the ACK"},
		{"ack-ignored-at-end", st(func(a *attemptState) {
			sa(a, 10*ms)
			ev(a, evFinalAck, 20*ms)
			sa(a, 1010*ms)
			a.flags |= afAckIgnored
		}), false, 2 * sec, AckIgnored, true, "same, capture ended before the deadline"},
		{"ack-ignored-then-served", st(func(a *attemptState) {
			sa(a, 10*ms)
			ev(a, evFinalAck, 20*ms)
			sa(a, 1010*ms)
			a.flags |= afAckIgnored
			ev(a, evServerAckData, 1100*ms)
		}), true, 20 * sec, EstablishedAfterRetry, false, "a later ACK got through"},
		{"server-closed-first", st(func(a *attemptState) {
			sa(a, 10*ms)
			ev(a, evFinalAck, 20*ms)
			ev(a, evServerFIN, 25*ms)
			ev(a, evClientData, 3*time.Second)
			ev(a, evServerRST, 3*time.Second+ms)
		}), true, 20 * sec, Established, false, "the server's FIN proves the application accepted; the RST answers a write on a closed socket"},
		{"dropped-then-reset", st(func(a *attemptState) {
			a.nSYN = 4
			a.synOff = [MaxTimes]uint32{0, 1e6, 2e6, 3e6}
			ev(a, evServerRST, 3*time.Second+ms)
		}), true, 10 * sec, UnansweredThenReset, false, "three SYNs dropped, the fourth answered by RST"},
		{"reset-then-retry-reset", st(func(a *attemptState) {
			a.nSYN = 2
			a.synOff = [MaxTimes]uint32{0, 5e5}
			ev(a, evServerRST, ms)
		}), true, 10 * sec, Reset, false, "the first SYN was refused at once: a closed port, the client retried"},
		{"cookie-ack-dropped", st(func(a *attemptState) {
			sa(a, 10*ms)
			ev(a, evFinalAck, 20*ms)
			ev(a, evClientData, 21*ms)
			a.dataRetx = 3
		}), true, 20 * sec, AckIgnored, false, "data retransmitted, never acknowledged, no SYN-ACK retransmit: a syncookie's ACK dropped"},
		{"data-unacked-at-end", st(func(a *attemptState) {
			sa(a, 10*ms)
			ev(a, evFinalAck, 20*ms)
			ev(a, evClientData, 21*ms)
		}), false, sec / 10, Incomplete, true, "the capture ended before the server could acknowledge"},
		{"data-acked-after-retransmit", st(func(a *attemptState) {
			sa(a, 10*ms)
			ev(a, evFinalAck, 20*ms)
			ev(a, evClientData, 21*ms)
			a.dataRetx = 3
			ev(a, evServerAckData, 2*time.Second)
		}), true, 20 * sec, EstablishedAfterRetry, false, "the server acknowledged the data only seconds later, after three retransmissions"},
		{"data-lost-once", st(func(a *attemptState) {
			sa(a, 10*ms)
			ev(a, evFinalAck, 20*ms)
			ev(a, evClientData, 21*ms)
			a.dataRetx = 1
			ev(a, evServerAckData, 250*ms)
		}), true, 20 * sec, Established, false, "one lost data segment is not a handshake failure"},
		{"one-sided", st(func(a *attemptState) { a.flags |= afOneSided; ev(a, evFinalAck, ms) }), false, sec / 10, Established, false,
			"the client completed a handshake the capture saw one side of"},
		{"one-sided-retry", st(func(a *attemptState) { a.nSYN = 3; a.flags |= afOneSided; ev(a, evFinalAck, 3*time.Second) }), false, 4 * sec,
			EstablishedAfterRetry, false, "…after SYN retransmits"},
	}
	for _, tc := range cases {
		got, ended := classify(tc.st, tc.timedOut, tc.end)
		if got != tc.want || ended != tc.ended {
			t.Errorf("%s: %s (CaptureEnded %v), want %s (%v): %s", tc.name, got, ended, tc.want, tc.ended, tc.why)
		}
	}
}
