package flows

// Handshake scenarios built packet by packet. Every expected value below
// follows from the segments the test crafts (times, sequence numbers,
// TSvals), not from running the code.

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"
)

const us = time.Microsecond

func wantOutcome(t *testing.T, a Attempt, want Outcome, captureEnded bool) {
	t.Helper()
	if a.Outcome != want || a.CaptureEnded != captureEnded {
		t.Errorf("outcome %s (CaptureEnded %v), want %s (CaptureEnded %v)", a.Outcome, a.CaptureEnded, want, captureEnded)
	}
}

func wantDur(t *testing.T, name string, got, want time.Duration) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}

// far is a packet of an unrelated, already open connection long after
// everything else: it moves the tracker's clock so pending attempts time
// out instead of being cut by the end of the capture.
func far(at time.Duration) tseg {
	o := newConn("192.0.2.200:5555", "192.0.2.201:6666", 1, 1)
	return o.data(at, 10)
}

func TestHealthyHandshake(t *testing.T) {
	c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
	data := capture(t,
		c.syn(0),
		c.synack(10*ms),
		c.ack(20*ms),
		c.data(30*ms, 100),
		c.sack(40*ms), // acknowledges the 100 bytes: ack 1101
		c.sdata(50*ms, 200),
	)
	cp, atts := readBytes(t, data)
	a := onlyAttempt(t, atts)
	wantOutcome(t, a, Established, false)
	if a.Client != ap("10.0.0.1:40000") || a.Server != ap("10.0.0.2:80") {
		t.Errorf("endpoints %s -> %s", a.Client, a.Server)
	}
	if a.ISN != 1000 || a.ServerISN != 5000 {
		t.Errorf("ISN %d / server ISN %d, want 1000 / 5000", a.ISN, a.ServerISN)
	}
	if a.FirstSYN != base.UnixNano() || !a.FirstSYNTime().Equal(base) {
		t.Errorf("FirstSYN %d, want %d", a.FirstSYN, base.UnixNano())
	}
	if a.SYNs != 1 || a.SynAcks != 1 {
		t.Errorf("SYNs %d SynAcks %d, want 1 1", a.SYNs, a.SynAcks)
	}
	wantDur(t, "TimeToSynAck", a.TimeToSynAck(), 10*ms)
	wantDur(t, "FinalAck", a.FinalAck, 20*ms)
	wantDur(t, "ClientData", a.ClientData, 30*ms)
	wantDur(t, "ServerAckData", a.ServerAckData, 40*ms)
	wantDur(t, "ServerData", a.ServerData, 50*ms)
	wantDur(t, "Last", a.Last, 50*ms)
	for name, d := range map[string]time.Duration{"ServerRST": a.ServerRST, "ClientRST": a.ClientRST, "ServerBareAck": a.ServerBareAck,
		"ServerSYN": a.ServerSYN, "ClientFIN": a.ClientFIN, "ServerFIN": a.ServerFIN} {
		wantDur(t, name, d, None)
	}
	// The crafted SYN carries Linux's option set: MSS 1460, SACK-permitted,
	// TS (client TSval 100000 at t=0), NOP, WS 7.
	o := a.SYNOptions
	if o.Has != OptMSS|OptSACKPerm|OptTimestamp|OptWScale || o.MSS != 1460 || o.WScale != 7 || o.TSval != 100000 || o.TSecr != 0 {
		t.Errorf("SYN options %+v", o)
	}
	// Server TSval 7000000 + 10 ms; TSecr echoes the SYN's 100000.
	if so := a.SynAckOptions; so.TSval != 7000010 || so.TSecr != 100000 || so.MSS != 1460 {
		t.Errorf("SYN-ACK options %+v", so)
	}
	if a.SYNTTL != 64 || a.SYNTSvalLast != 100000 || a.SYNOptionsCut || a.SYNData || a.BadChecksum || a.OneSided {
		t.Errorf("SYN details: ttl %d tsvalLast %d cut %v data %v badsum %v onesided %v", a.SYNTTL, a.SYNTSvalLast, a.SYNOptionsCut, a.SYNData, a.BadChecksum, a.OneSided)
	}
	if a.Prev.Seen || a.Context.HalfOpen != 0 || a.Context.PeerEstablishedAgo != None || a.Context.PeerStampAgo != None {
		t.Errorf("unexpected history: prev %+v context %+v", a.Prev, a.Context)
	}
	if cp.Packets != 6 || cp.TCP != 6 || cp.Format != "pcap (microsecond, little-endian)" || cp.Compression != CompressionNone {
		t.Errorf("capture: packets %d tcp %d format %q compression %q", cp.Packets, cp.TCP, cp.Format, cp.Compression)
	}
	if len(cp.LinkTypes) != 1 || cp.LinkTypes[0] != LinkEthernet {
		t.Errorf("link types %v", cp.LinkTypes)
	}
	if cp.First != base.UnixNano() || cp.Last != base.Add(50*ms).UnixNano() {
		t.Errorf("First/Last %d %d", cp.First, cp.Last)
	}
	if cp.Damaged || len(cp.Warnings) != 0 {
		t.Errorf("damaged %v warnings %q", cp.Damaged, cp.Warnings)
	}
	if st := cp.Stats; st.SYN != 1 || st.SynAck != 1 || st.Attempts != 1 || st.PreExisting != 0 || st.SynAckWithoutSYN != 0 {
		t.Errorf("stats %+v", st)
	}
	if a.Outcome.Failed() {
		t.Errorf("established must not count as failed")
	}
}

// SYN retransmit schedules, all answered after the last SYN.
func TestSYNRetransmitSchedules(t *testing.T) {
	cases := []struct {
		name string
		syns []time.Duration
	}{
		// Linux before 6.5: initial RTO 1 s, doubling: +1, +2 s.
		{"linux-1s", []time.Duration{0, 1 * time.Second, 3 * time.Second}},
		// Linux 6.5+ tcp_syn_linear_timeouts=4: four 1 s retransmits.
		{"linux-6.5-linear", []time.Duration{0, 1 * time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second}},
		// Windows / old stacks: 3 s then doubling.
		{"3s", []time.Duration{0, 3 * time.Second, 9 * time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
			var segs []tseg
			for _, at := range tc.syns {
				segs = append(segs, c.syn(at))
			}
			last := tc.syns[len(tc.syns)-1]
			segs = append(segs, c.synack(last+1*ms), c.ack(last+2*ms), c.data(last+3*ms, 10), c.sdata(last+4*ms, 10))
			_, atts := readBytes(t, capture(t, segs...))
			a := onlyAttempt(t, atts)
			wantOutcome(t, a, EstablishedAfterRetry, false)
			if a.SYNs != len(tc.syns) {
				t.Errorf("SYNs %d, want %d", a.SYNs, len(tc.syns))
			}
			got := a.RecordedSYNs()
			for i, want := range tc.syns {
				if i >= len(got) || got[i] != want {
					t.Errorf("SYNTimes %v, want %v", got, tc.syns)
					break
				}
			}
			wantDur(t, "TimeToSynAck", a.TimeToSynAck(), last+1*ms)
			wantDur(t, "FinalAck", a.FinalAck, last+2*ms)
			// The last SYN's TSval: 100000 + its time in ms.
			if want := uint32(100000 + last/ms); a.SYNTSvalLast != want {
				t.Errorf("SYNTSvalLast %d, want %d", a.SYNTSvalLast, want)
			}
			if !a.Outcome.Failed() {
				t.Errorf("established_after_retry must count as failed")
			}
		})
	}
}

func TestUnansweredVsIncomplete(t *testing.T) {
	t.Run("timed-out", func(t *testing.T) {
		c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
		cp, atts := readBytes(t, capture(t, c.syn(0), far(100*time.Second)))
		a := onlyAttempt(t, atts)
		// The lone SYN's deadline (8 s) passed long before the capture ended.
		wantOutcome(t, a, Unanswered, false)
		if a.SYNs != 1 || a.SynAcks != 0 || a.ServerRST != None {
			t.Errorf("SYNs %d SynAcks %d ServerRST %v", a.SYNs, a.SynAcks, a.ServerRST)
		}
		if cp.Stats.PreExisting != 1 {
			t.Errorf("PreExisting %d, want 1 (the far packet's connection)", cp.Stats.PreExisting)
		}
	})
	t.Run("retransmitted-at-end", func(t *testing.T) {
		// Two SYNs, then the capture ends 1 s later: a retransmit proves
		// the first went unanswered, but the deadline did not pass.
		c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
		_, atts := readBytes(t, capture(t, c.syn(0), c.syn(1*time.Second)))
		wantOutcome(t, onlyAttempt(t, atts), Unanswered, true)
	})
	t.Run("incomplete", func(t *testing.T) {
		// The capture ends 500 ms after a lone SYN: too early to tell.
		c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
		_, atts := readBytes(t, capture(t, c.syn(0), far(500*ms)))
		a := onlyAttempt(t, atts)
		wantOutcome(t, a, Incomplete, true)
		if a.Outcome.Failed() {
			t.Errorf("incomplete must not count as failed")
		}
	})
}

func TestServerReset(t *testing.T) {
	c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
	// A closed port: RST|ACK with seq 0, ack ISN+1.
	rst := tseg{at: 1 * ms, src: c.s, dst: c.c, flags: FlagRST | FlagACK, seq: 0, ack: 1001}
	cp, atts := readBytes(t, capture(t, c.syn(0), rst))
	a := onlyAttempt(t, atts)
	wantOutcome(t, a, Reset, false)
	wantDur(t, "ServerRST", a.ServerRST, 1*ms)
	if a.SynAcks != 0 || cp.Stats.RST != 1 {
		t.Errorf("SynAcks %d RST %d", a.SynAcks, cp.Stats.RST)
	}
}

func TestBareAck(t *testing.T) {
	// The server answers the SYN with an ACK for another sequence space
	// (a TIME-WAIT socket or a live connection on the 4-tuple).
	bare := func(c *conn, at time.Duration) tseg {
		return tseg{at: at, src: c.s, dst: c.c, flags: FlagACK, seq: 90000, ack: 77777}
	}
	t.Run("answered_with_ack", func(t *testing.T) {
		c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
		_, atts := readBytes(t, capture(t, c.syn(0), bare(c, 1*ms)))
		a := onlyAttempt(t, atts)
		wantOutcome(t, a, AnsweredWithAck, false)
		wantDur(t, "ServerBareAck", a.ServerBareAck, 1*ms)
		if a.BareAckNumber != 77777 {
			t.Errorf("BareAckNumber %d, want 77777", a.BareAckNumber)
		}
	})
	t.Run("rst-then-retry", func(t *testing.T) {
		// The client resets the bogus ACK (seq = its ack number), then
		// retransmits the same SYN 1 s later, which is answered.
		c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
		crst := tseg{at: 1100 * us, src: c.c, dst: c.s, flags: FlagRST, seq: 77777}
		_, atts := readBytes(t, capture(t,
			c.syn(0), bare(c, 1*ms), crst,
			c.syn(1*time.Second), c.synack(1001*ms), c.ack(1002*ms), c.data(1003*ms, 10), c.sdata(1004*ms, 10)))
		a := onlyAttempt(t, atts)
		wantOutcome(t, a, EstablishedAfterRetry, false)
		wantDur(t, "ServerBareAck", a.ServerBareAck, 1*ms)
		wantDur(t, "ClientRST", a.ClientRST, 1100*us)
		wantDur(t, "TimeToSynAck", a.TimeToSynAck(), 1001*ms)
		wantDur(t, "FinalAck", a.FinalAck, 1002*ms)
		if a.SYNs != 2 || a.SynAcks != 1 || a.BareAckNumber != 77777 {
			t.Errorf("SYNs %d SynAcks %d bare %d", a.SYNs, a.SynAcks, a.BareAckNumber)
		}
	})
}

// A reset that came before the handshake completed belongs to the exchange
// that failed, not to the connection the retried SYN opened: that one is
// open until its own FINs.
func TestResetBeforeRetryDoesNotCloseConnection(t *testing.T) {
	c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
	bare := tseg{at: 1 * ms, src: c.s, dst: c.c, flags: FlagACK, seq: 90000, ack: 77777}
	crst := tseg{at: 1100 * us, src: c.c, dst: c.s, flags: FlagRST, seq: 77777}
	segs := []tseg{c.syn(0), bare, crst, c.syn(1 * time.Second), c.synack(1001 * ms), c.ack(1002 * ms)}
	// No server data: the connection waits in the accept queue.
	// A second client then connects to the same listener at 1.5 s.
	d := newConn("10.0.0.3:40000", "10.0.0.2:80", 3000, 6000)
	segs = append(segs, d.syn(1500*ms))
	// The first connection finally closes at 5 s, server first; it is
	// reused at 20 s.
	segs = append(segs, c.data(2*time.Second, 10), c.sdata(2001*ms, 10), c.sfin(5*time.Second), c.fin(5001*ms), c.sack(5002*ms))
	r := newConn("10.0.0.1:40000", "10.0.0.2:80", 999000, 8000)
	segs = append(segs, r.syn(20*time.Second), r.synack(20001*ms), r.ack(20002*ms))
	_, atts := readBytes(t, capture(t, segs...))
	if len(atts) != 3 {
		t.Fatalf("%d attempts, want 3", len(atts))
	}
	byISN := map[uint32]Attempt{}
	for _, a := range atts {
		byISN[a.ISN] = a
	}
	if got := byISN[3000].Context.PendingAccept; got != 1 {
		t.Errorf("second client's PendingAccept %d, want 1 (the retried connection, completed and not served)", got)
	}
	p := byISN[999000].Prev
	if !p.Seen || p.Open || !p.ServerClosedFirst {
		t.Errorf("prev %+v, want seen, closed, server first", p)
	}
	// Closed at 5.001 s (second FIN), SYN at 20 s.
	wantDur(t, "Prev.ClosedAgo", p.ClosedAgo, 14999*ms)
}

func TestSynAckUnacked(t *testing.T) {
	c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
	// Server timer retransmits at +1, +3, +7 s after the first SYN-ACK.
	sa := []time.Duration{10 * ms, 1010 * ms, 3010 * ms, 7010 * ms}
	segs := []tseg{c.syn(0)}
	for _, at := range sa {
		segs = append(segs, c.synack(at))
	}
	_, atts := readBytes(t, capture(t, append(segs, far(120*time.Second))...))
	a := onlyAttempt(t, atts)
	wantOutcome(t, a, SynAckUnacked, false)
	if a.SynAcks != 4 || a.SynAckRetransmits() != 3 {
		t.Errorf("SynAcks %d retransmits %d, want 4 3", a.SynAcks, a.SynAckRetransmits())
	}
	for i, s := range a.RecordedSynAcks() {
		if s.At != sa[i] || s.Triggered || s.AfterAck || s.NewISN {
			t.Errorf("SYN-ACK %d: %+v, want at %v, untriggered", i, s, sa[i])
		}
	}
	if a.FinalAck != None {
		t.Errorf("FinalAck %v", a.FinalAck)
	}
}

func TestTriggeredSynAck(t *testing.T) {
	// The first SYN-ACK is lost on the way back; the client's retransmit
	// at 1 s is answered 100 µs later: the kernel re-answering a repeated
	// SYN, not its own timer.
	c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
	_, atts := readBytes(t, capture(t,
		c.syn(0), c.synack(10*ms), c.syn(1*time.Second), c.synack(1*time.Second+100*us), c.ack(1*time.Second+200*us),
		c.data(1001*ms, 10), c.sdata(1002*ms, 10)))
	a := onlyAttempt(t, atts)
	wantOutcome(t, a, EstablishedAfterRetry, false)
	sas := a.RecordedSynAcks()
	if len(sas) != 2 || sas[0].Triggered || !sas[1].Triggered || sas[1].At != 1*time.Second+100*us {
		t.Errorf("SYN-ACKs %+v, want the second triggered at 1.0001 s", sas)
	}
	if a.SynAckRetransmits() != 0 {
		t.Errorf("SynAckRetransmits %d, want 0 (a triggered answer is no timer retransmit)", a.SynAckRetransmits())
	}
}

func TestAckIgnored(t *testing.T) {
	build := func(c *conn, serverAcks bool) []tseg {
		segs := []tseg{
			c.syn(0), c.synack(10 * ms), c.ack(20 * ms), c.data(21*ms, 100),
			// The server dropped the ACK and keeps its request: timer
			// retransmits of the SYN-ACK after the client's ACK.
			c.synack(1010 * ms),
		}
		// The client answers the duplicate SYN-ACK with its ACK again.
		segs = append(segs, c.ack(1011*ms))
		if serverAcks {
			// Now the ACK got through: the server acknowledges the data.
			segs = append(segs, c.sack(1020*ms))
		} else {
			segs = append(segs, c.synack(3010*ms), c.ack(3011*ms))
		}
		return append(segs, far(120*time.Second))
	}
	t.Run("ack_ignored", func(t *testing.T) {
		c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
		_, atts := readBytes(t, capture(t, build(c, false)...))
		a := onlyAttempt(t, atts)
		wantOutcome(t, a, AckIgnored, false)
		sas := a.RecordedSynAcks()
		if len(sas) != 3 || sas[0].AfterAck || !sas[1].AfterAck || !sas[2].AfterAck || sas[1].Triggered || sas[2].Triggered {
			t.Errorf("SYN-ACKs %+v, want the 2nd and 3rd after the ACK, untriggered", sas)
		}
		wantDur(t, "FinalAck", a.FinalAck, 20*ms)
		wantDur(t, "ClientData", a.ClientData, 21*ms)
		wantDur(t, "ServerAckData", a.ServerAckData, None)
	})
	t.Run("then-served", func(t *testing.T) {
		c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
		_, atts := readBytes(t, capture(t, build(c, true)...))
		a := onlyAttempt(t, atts)
		wantOutcome(t, a, EstablishedAfterRetry, false)
		wantDur(t, "ServerAckData", a.ServerAckData, 1020*ms)
		if sas := a.RecordedSynAcks(); len(sas) != 2 || !sas[1].AfterAck {
			t.Errorf("SYN-ACKs %+v", sas)
		}
	})
}

func TestResetAfterAck(t *testing.T) {
	c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
	_, atts := readBytes(t, capture(t, c.syn(0), c.synack(10*ms), c.ack(20*ms), c.srst(30*ms)))
	a := onlyAttempt(t, atts)
	wantOutcome(t, a, ResetAfterAck, false)
	wantDur(t, "FinalAck", a.FinalAck, 20*ms)
	wantDur(t, "ServerRST", a.ServerRST, 30*ms)
}

func TestPortReuse(t *testing.T) {
	for _, serverFirst := range []bool{true, false} {
		name := "client-closes-first"
		if serverFirst {
			name = "server-closes-first"
		}
		t.Run(name, func(t *testing.T) {
			c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
			segs := append(c.handshake(0), c.data(10*ms, 100), c.sdata(20*ms, 300))
			if serverFirst {
				segs = append(segs, c.sfin(1*time.Second), c.fin(1001*ms), c.sack(1002*ms))
			} else {
				segs = append(segs, c.fin(1*time.Second), c.sfin(1001*ms), c.ack(1002*ms))
			}
			// The last client segment is its FIN (server first) or its final
			// ACK (client first); its TSval is 100000 + its time in ms.
			lastClientTS := c.ctsval(1001 * ms)
			if !serverFirst {
				lastClientTS = c.ctsval(1002 * ms)
			}
			// The server's rcv_nxt after the client's FIN: ISN + 1 + 100 data + 1 FIN.
			clientNext := c.isn + 1 + 100 + 1
			r := newConn("10.0.0.1:40000", "10.0.0.2:80", 3000000, 9000)
			segs = append(segs, append(r.handshake(10*time.Second), r.data(10003*ms, 5), r.sdata(10004*ms, 5))...)
			cp, atts := readBytes(t, capture(t, segs...))
			if len(atts) != 2 {
				t.Fatalf("%d attempts, want 2", len(atts))
			}
			first, second := atts[0], atts[1]
			if first.ISN != 1000 || second.ISN != 3000000 {
				t.Fatalf("ISNs %d %d", first.ISN, second.ISN)
			}
			wantOutcome(t, first, Established, false)
			wantOutcome(t, second, Established, false)
			if first.Prev.Seen {
				t.Errorf("first attempt has a previous connection: %+v", first.Prev)
			}
			p := second.Prev
			if !p.Seen || p.Open || p.ServerClosedFirst != serverFirst || !p.HasTS {
				t.Errorf("prev %+v, want seen, closed, ServerClosedFirst=%v, HasTS", p, serverFirst)
			}
			if p.ClientTSval != lastClientTS {
				t.Errorf("Prev.ClientTSval %d, want %d", p.ClientTSval, lastClientTS)
			}
			if p.ClientNextSeq != clientNext {
				t.Errorf("Prev.ClientNextSeq %d, want %d", p.ClientNextSeq, clientNext)
			}
			// Closed by the second FIN at 1.001 s; the new SYN came at 10 s.
			wantDur(t, "Prev.ClosedAgo", p.ClosedAgo, 8999*ms)
			ctx := second.Context
			wantDur(t, "PeerClosedAgo", ctx.PeerClosedAgo, 8999*ms)
			// The first handshake completed at 2 ms.
			wantDur(t, "PeerEstablishedAgo", ctx.PeerEstablishedAgo, 9998*ms)
			if serverFirst {
				// tcp_tw_recycle's per-peer stamp: the client's last TSval
				// on the connection the server closed first.
				wantDur(t, "PeerStampAgo", ctx.PeerStampAgo, 8999*ms)
				if ctx.PeerStampTSval != lastClientTS {
					t.Errorf("PeerStampTSval %d, want %d", ctx.PeerStampTSval, lastClientTS)
				}
			} else {
				wantDur(t, "PeerStampAgo", ctx.PeerStampAgo, None)
			}
			if cp.Stats.FIN != 2 || cp.Stats.SYN != 2 {
				t.Errorf("stats %+v", cp.Stats)
			}
		})
	}
}

func TestPreExistingConnection(t *testing.T) {
	c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
	cp, atts := readBytes(t, capture(t, c.data(0, 100), c.sack(1*ms), c.sdata(2*ms, 500), c.ack(3*ms)))
	if len(atts) != 0 {
		t.Errorf("%d attempts from a connection without a handshake", len(atts))
	}
	if cp.Stats.PreExisting != 1 || cp.TCP != 4 {
		t.Errorf("PreExisting %d TCP %d, want 1 4", cp.Stats.PreExisting, cp.TCP)
	}
}

func TestReorderedSynAck(t *testing.T) {
	c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
	// The capture put the SYN-ACK 100 µs before the SYN it answers.
	cp, atts := readBytes(t, capture(t, c.synack(0), c.syn(100*us), c.ack(200*us), c.data(300*us, 10), c.sdata(400*us, 10)))
	a := onlyAttempt(t, atts)
	wantOutcome(t, a, Established, false)
	if a.SynAcks != 1 || a.ServerISN != 5000 || a.FirstSYN != base.Add(100*us).UnixNano() {
		t.Errorf("SynAcks %d ServerISN %d FirstSYN %d", a.SynAcks, a.ServerISN, a.FirstSYN)
	}
	wantDur(t, "FinalAck", a.FinalAck, 100*us)
	// Nothing preceded the handshake on this 4-tuple: the early SYN-ACK
	// is part of it, not a previous connection.
	if a.Prev.Seen || a.Prev.Open {
		t.Errorf("reordered handshake reported a previous connection: %+v", a.Prev)
	}
	if cp.Stats.SynAckWithoutSYN != 0 || countWarnings(cp, "SYNs the capture does not hold") != 0 {
		t.Errorf("SynAckWithoutSYN %d, warnings %q: the SYN-ACK's SYN is in the capture", cp.Stats.SynAckWithoutSYN, cp.Warnings)
	}
}

func TestOneSidedCapture(t *testing.T) {
	c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
	// Only the client's packets: its ACK acknowledges SYN-ACK seq 5000.
	cp, atts := readBytes(t, capture(t, c.syn(0), c.ack(1*ms), c.data(2*ms, 50), c.ack(30*ms), c.fin(1*time.Second)))
	a := onlyAttempt(t, atts)
	wantOutcome(t, a, Established, false)
	if !a.OneSided || a.SynAcks != 0 || a.ServerISN != 5000 {
		t.Errorf("OneSided %v SynAcks %d ServerISN %d", a.OneSided, a.SynAcks, a.ServerISN)
	}
	wantDur(t, "FinalAck", a.FinalAck, 1*ms)
	if cp.Stats.OneSided != 1 || countWarnings(cp, "one direction only") != 1 {
		t.Errorf("OneSided stat %d warnings %q", cp.Stats.OneSided, cp.Warnings)
	}
}

func TestListenerContext(t *testing.T) {
	const n = 5
	server := "10.0.0.2:80"
	var segs []tseg
	// n clients get a SYN-ACK and never complete (SYN flood victims or
	// lost ACKs): n requests half-open at the listener.
	for i := range n {
		c := newConn(netip.AddrPortFrom(netip.MustParseAddr("10.1.0.1"), uint16(41000+i)).String(), server, uint32(100+i), uint32(200+i))
		at := time.Duration(i) * 10 * ms
		segs = append(segs, c.syn(at), c.synack(at+1*ms))
	}
	// m clients complete the handshake; the application never writes.
	const m = 3
	for i := range m {
		c := newConn(netip.AddrPortFrom(netip.MustParseAddr("10.2.0.1"), uint16(42000+i)).String(), server, uint32(300+i), uint32(400+i))
		segs = append(segs, c.handshake(60*ms+time.Duration(i)*ms)...)
	}
	// One served connection does not count as pending.
	served := newConn("10.3.0.1:43000", server, 500, 600)
	segs = append(segs, served.handshake(70*ms)...)
	segs = append(segs, served.sdata(75*ms, 100))
	// Another listener's half-open request does not count either.
	other := newConn("10.4.0.1:44000", "10.0.0.2:443", 700, 800)
	segs = append(segs, other.syn(80*ms), other.synack(81*ms))
	// The probe SYN at 100 ms, answered and completed.
	probe := newConn("10.9.0.1:45000", server, 900, 1000)
	segs = append(segs, probe.handshake(100*ms)...)
	// At 1.5 s two of the half-open requests have their SYN-ACK
	// retransmitted by the server's timer: no longer young.
	r0 := newConn("10.1.0.1:41000", server, 100, 200)
	r1 := newConn("10.1.0.1:41001", server, 101, 201)
	segs = append(segs, r0.synack(1010*ms), r1.synack(1020*ms))
	probe2 := newConn("10.9.0.2:45001", server, 910, 1010)
	segs = append(segs, probe2.syn(1500*ms), probe2.synack(1501*ms))
	_, atts := readBytes(t, capture(t, segs...))
	byISN := map[uint32]Attempt{}
	for _, a := range atts {
		byISN[a.ISN] = a
	}
	p := byISN[900]
	if p.Context.HalfOpen != n || p.Context.Young != n || p.Context.PendingAccept != m {
		t.Errorf("probe context %+v, want HalfOpen %d Young %d PendingAccept %d", p.Context, n, n, m)
	}
	p2 := byISN[910]
	// The first probe completed and was not served: m+1 pending.
	if p2.Context.HalfOpen != n || p2.Context.Young != n-2 || p2.Context.PendingAccept != m+1 {
		t.Errorf("second probe context %+v, want HalfOpen %d Young %d PendingAccept %d", p2.Context, n, n-2, m+1)
	}
}

func TestBadChecksumSYN(t *testing.T) {
	c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
	bad := c.syn(0)
	bad.badSum = true
	cp, atts := readBytes(t, capture(t, bad, c.syn(1*time.Second), c.synack(1001*ms), c.ack(1002*ms)))
	a := onlyAttempt(t, atts)
	if !a.BadChecksum || cp.Stats.BadChecksumSYN != 1 {
		t.Errorf("BadChecksum %v stat %d, want true 1", a.BadChecksum, cp.Stats.BadChecksumSYN)
	}
	wantOutcome(t, a, EstablishedAfterRetry, false)
}

// A source-routed SYN is checksummed against its final destination (RFC
// 791/1122): the pseudo-header uses the last address of the route option,
// not the next hop in the IP header.
func TestSourceRouteChecksum(t *testing.T) {
	for _, kind := range []byte{131, 137} { // LSRR, SSRR
		final := netip.MustParseAddr("10.9.9.9")
		s := tseg{src: ap("10.0.0.1:40000"), dst: netip.AddrPortFrom(final, 80), flags: FlagSYN, seq: 1000}
		tcp := s.tcpBytes(t) // checksummed for 10.0.0.1 -> 10.9.9.9
		// The option: type, length 7, pointer 4, then the final hop.
		opt := append([]byte{kind, 7, 4}, final.AsSlice()...)
		opt = append(opt, 0) // EOL pad to 8 bytes
		ip := ipWrap(t, netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.254"), 64, 6, nil, tcp)
		// Splice the option into the IPv4 header by hand (IHL 5 -> 7).
		pkt := append(append(append([]byte{}, ip[:20]...), opt...), ip[20:]...)
		pkt[0] = 0x47
		pkt[2], pkt[3] = byte(len(pkt)>>8), byte(len(pkt))
		var seg Segment
		var d decoder
		if r := d.decode(&record{data: pkt, link: LinkRaw}, &seg); r != resultTCP {
			t.Fatalf("decode: %v", r)
		}
		if seg.Dst.IP() != netip.MustParseAddr("10.0.0.254") {
			t.Errorf("Dst %v, want the header's destination", seg.Dst.IP())
		}
		if seg.ChecksumBad {
			t.Errorf("option %d: a correct checksum over the final destination was flagged bad", kind)
		}
		pkt[len(pkt)-4] ^= 0xff // now really corrupt: the checksum's first byte
		d.decode(&record{data: pkt, link: LinkRaw}, &seg)
		if !seg.ChecksumBad {
			t.Errorf("option %d: corrupt checksum not flagged", kind)
		}
	}
}

// The ack/data offsets of the healthy handshake are microsecond-exact even
// for timestamps that do not fall on a millisecond.
func TestOffsetsMicrosecondExact(t *testing.T) {
	c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
	_, atts := readBytes(t, capture(t, c.syn(7*us), c.synack(1234*us), c.ack(2345*us)))
	a := onlyAttempt(t, atts)
	wantDur(t, "TimeToSynAck", a.TimeToSynAck(), 1227*us)
	wantDur(t, "FinalAck", a.FinalAck, 2338*us)
	if a.FirstSYN != base.Add(7*us).UnixNano() {
		t.Errorf("FirstSYN %d", a.FirstSYN)
	}
}

func TestOutcomeNames(t *testing.T) {
	want := "established established_after_retry unanswered reset unanswered_then_reset synack_unacked ack_ignored reset_after_ack answered_with_ack incomplete"
	var names []string
	for _, o := range Outcomes() {
		names = append(names, o.String())
		back, ok := ParseOutcome(o.String())
		if !ok || back != o {
			t.Errorf("ParseOutcome(%q) = %v %v", o, back, ok)
		}
	}
	if strings.Join(names, " ") != want || len(Outcomes()) != NumOutcomes {
		t.Errorf("outcomes %v", names)
	}
	if Outcome(NumOutcomes).String() != "unknown" {
		t.Errorf("out-of-range outcome name %q", Outcome(NumOutcomes).String())
	}
	if _, ok := ParseOutcome("bogus"); ok {
		t.Error("ParseOutcome accepted a bogus name")
	}
}

// How long a request counts as half-open must not depend on what the
// capture's first packet was. Here the capture opens with a packet of a
// connection already established (whose idle timeout is 10 minutes), then
// five SYN-ACKed requests 10 s apart, never completed. Each is settled as
// synack_unacked 6 s after its SYN-ACK (no retransmit), so a SYN at 100 s
// finds none of them half-open.
func TestHalfOpenExpiresAfterPreExistingStart(t *testing.T) {
	for _, preFirst := range []bool{false, true} {
		var segs []tseg
		if preFirst {
			segs = append(segs, far(0))
		}
		for i := range 5 {
			c := newConn(netip.AddrPortFrom(netip.MustParseAddr("10.1.0.1"), uint16(41000+i)).String(), "10.0.0.2:80", uint32(100+i), uint32(200+i))
			at := time.Duration(i) * 10 * time.Second
			segs = append(segs, c.syn(at), c.synack(at+1*ms))
		}
		probe := newConn("10.9.0.1:45000", "10.0.0.2:80", 900, 1000)
		segs = append(segs, probe.syn(100*time.Second), probe.synack(100*time.Second+ms))
		_, atts := readBytes(t, capture(t, segs...))
		if len(atts) != 6 {
			t.Fatalf("%d attempts", len(atts))
		}
		for _, a := range atts {
			if a.ISN == 900 && (a.Context.HalfOpen != 0 || a.Context.Young != 0) {
				t.Errorf("capture starting with a pre-existing connection: %v: probe context %+v, want no half-open request", preFirst, a.Context)
			}
			if a.ISN != 900 && (a.Outcome != SynAckUnacked || a.CaptureEnded) {
				t.Errorf("attempt %d: %s CaptureEnded %v", a.ISN, a.Outcome, a.CaptureEnded)
			}
		}
	}
}

// IPv6 routing headers with segments left: the pseudo-header uses the
// final destination (RFC 8200 8.1), the last address of a type 0 or 2
// header, the first segment of a segment routing header.
func TestIPv6RoutingHeaderChecksum(t *testing.T) {
	src, hop, final := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::ff"), netip.MustParseAddr("2001:db8::2")
	for _, tc := range []struct {
		name       string
		typ, left  byte
		sumDst     netip.Addr // the destination the sender checksummed for
		wantBadSum bool
	}{
		{"type0", 0, 1, final, false},
		{"type2", 2, 1, final, false},
		{"srh", 4, 1, final, false},
		{"srh-done", 4, 0, hop, false}, // no segments left: the header's destination is final
		{"type0-wrong-sum", 0, 1, hop, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tseg{src: netip.AddrPortFrom(src, 40000), dst: netip.AddrPortFrom(tc.sumDst, 80), flags: FlagSYN, seq: 1000}
			rh := []byte{6, 2, tc.typ, tc.left, 0, 0, 0, 0}
			rh = append(rh, final.AsSlice()...)
			pkt := ipWrap(t, src, hop, 64, 43, nil, append(rh, s.tcpBytes(t)...))
			var d decoder
			var seg Segment
			if r := d.decode(&record{data: pkt, link: LinkRaw}, &seg); r != resultTCP {
				t.Fatalf("result %d", r)
			}
			if seg.Dst.IP() != hop || seg.ChecksumBad != tc.wantBadSum {
				t.Errorf("dst %v checksumBad %v, want %v %v", seg.Dst.IP(), seg.ChecksumBad, hop, tc.wantBadSum)
			}
		})
	}
}

// Segmentation offload on the capturing host leaves IPv4 total length 0
// (and IPv6 payload length 0): the payload is what was captured.
func TestOffloadedLengths(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		c := linkConn(v6)
		ip := c.data(0, 1000).ipPacket(t)
		if v6 {
			ip[4], ip[5] = 0, 0
		} else {
			ip[2], ip[3] = 0, 0
		}
		var d decoder
		var seg Segment
		if r := d.decode(&record{data: ip, link: LinkRaw}, &seg); r != resultTCP || seg.PayloadLen != 1000 {
			t.Errorf("v6 %v: result %d payload %d, want 1000", v6, r, seg.PayloadLen)
		}
	}
	// A total length shorter than the IPv4 header contradicts itself.
	ip := linkConn(false).syn(0).ipPacket(t)
	ip[2], ip[3] = 0, 12
	var d decoder
	var seg Segment
	if r := d.decode(&record{data: ip, link: LinkRaw}, &seg); r != resultMalformed {
		t.Errorf("total length 12: result %d, want malformed", r)
	}
	ip[0] = 0x43 // IHL 3 words
	if r := d.decode(&record{data: ip, link: LinkRaw}, &seg); r != resultMalformed {
		t.Errorf("IHL 3: result %d, want malformed", r)
	}
	if r := d.decode(&record{data: []byte{0x50, 1, 2}, link: LinkRaw}, &seg); r != resultNotIP {
		t.Errorf("version 5: result %d, want not IP", r)
	}
	if r := d.decode(&record{data: nil, link: LinkRaw}, &seg); r != resultNotIP && r != resultTruncated {
		t.Errorf("empty raw packet: result %d", r)
	}
}

func TestNamesAndHelpers(t *testing.T) {
	for l, want := range map[LinkType]string{LinkLinuxSLL2: "linux-sll2", LinkEthernet: "ethernet", 127: "radiotap", 3000: "linktype-3000"} {
		if l.String() != want {
			t.Errorf("%d: %q, want %q", l, l.String(), want)
		}
	}
	s := Segment{Flags: FlagSYN | FlagACK}
	if !s.Has(FlagSYN) || !s.Has(FlagSYN|FlagACK) || s.Has(FlagSYN|FlagRST) {
		t.Errorf("Has broken for %#x", s.Flags)
	}
	if micros(-5) != 0 || micros(1<<62) != 1<<32-2 || agoMillis(-1) != 1 || agoMillis(1<<62) != 1<<32-1 {
		t.Errorf("saturation: %d %d %d %d", micros(-5), micros(1<<62), agoMillis(-1), agoMillis(1<<62))
	}
	a := Attempt{SYNs: 12, SynAcks: 0}
	if len(a.RecordedSYNs()) != MaxTimes || a.TimeToSynAck() != None || len(a.RecordedSynAcks()) != 0 {
		t.Errorf("recorded %d, TimeToSynAck %v", len(a.RecordedSYNs()), a.TimeToSynAck())
	}
	p := Problem{Offset: 7, Msg: "bad"}
	if p.String() != "bad (at byte 7)" || (&stopError{p}).Error() != p.String() {
		t.Errorf("problem %q", p.String())
	}
	if (&FormatError{Msg: "m"}).Error() != "m" || (&FormatError{Msg: "m", Offset: 3}).Error() != "m (at byte 3)" {
		t.Errorf("FormatError text")
	}
}

// Peers the kernel would have forgotten (tcp_metrics lives an hour) are
// pruned once more than 4096 are held; recent ones are kept.
func TestPeerPruning(t *testing.T) {
	tr := NewTracker(nil)
	at := func(d time.Duration) int64 { return base.Add(d).UnixNano() }
	add := func(s tseg) {
		var seg Segment
		var d decoder
		if d.decode(&record{data: s.ipPacket(t), link: LinkRaw, ts: at(s.at)}, &seg) != resultTCP {
			t.Fatal("decode")
		}
		tr.Add(&seg)
	}
	for i := range 5000 {
		c := newConn(netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 40000).String(), "10.0.0.2:80", 1, 2)
		c.ts = false
		for _, s := range c.handshake(time.Duration(i) * time.Millisecond) {
			add(s)
		}
	}
	if len(tr.peers) != 5000 {
		t.Fatalf("%d peers", len(tr.peers))
	}
	recent := newConn("10.2.0.1:40000", "10.0.0.2:80", 1, 2)
	for _, s := range recent.handshake(90 * time.Minute) {
		add(s)
	}
	// The recent handshake's SYN ran the pruning pass (at most one a
	// minute): only the peer it then established is left.
	if len(tr.peers) != 1 {
		t.Errorf("%d peers left, want the recent one only", len(tr.peers))
	}
	tr.Finish()
}

// A client that gives up and connects again from the same port with a new
// ISN ends the first attempt: its fate is settled by the client, not cut
// short by the end of the capture.
func TestNewISNSupersedesAttempt(t *testing.T) {
	first := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
	second := newConn("10.0.0.1:40000", "10.0.0.2:80", 900000, 7000)
	_, atts := readBytes(t, capture(t, first.syn(0), first.syn(1*time.Second),
		second.syn(2*time.Second), second.synack(2001*ms), second.ack(2002*ms), second.data(2003*ms, 10), second.sdata(2004*ms, 10)))
	if len(atts) != 2 {
		t.Fatalf("%d attempts", len(atts))
	}
	wantOutcome(t, atts[0], Unanswered, false)
	if atts[0].ISN != 1000 || atts[0].SYNs != 2 {
		t.Errorf("first attempt ISN %d SYNs %d", atts[0].ISN, atts[0].SYNs)
	}
	wantOutcome(t, atts[1], Established, false)
	// An attempt that never completed left no connection behind: the new
	// one has no previous connection (a SYN answered by a bare ACK must not
	// be read as hitting a live connection).
	if p := atts[1].Prev; p.Seen || p.Open {
		t.Errorf("second attempt prev %+v, want none", p)
	}
}

// retransmitted returns a copy of s sent again at at (same sequence
// numbers and payload, a later timestamp).
func retransmitted(s tseg, c *conn, at time.Duration) tseg {
	s.at = at
	if s.ts {
		s.tsval = c.ctsval(at)
	}
	return s
}

// TestCompositeFates: the server closing first, SYNs dropped and later
// reset, and a syncookie's ACK dropped, as packets.
func TestCompositeFates(t *testing.T) {
	t.Run("server-closes-first", func(t *testing.T) {
		c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
		segs := append(c.handshake(0), c.sfin(5*ms), c.ack(6*ms), c.data(3*time.Second, 20), c.srst(3*time.Second+ms), far(60*time.Second))
		_, atts := readBytes(t, capture(t, segs...))
		wantOutcome(t, onlyAttempt(t, atts), Established, false)
	})
	t.Run("dropped-then-reset", func(t *testing.T) {
		c := newConn("10.0.0.1:40001", "10.0.0.2:80", 2000, 0)
		segs := []tseg{c.syn(0), c.syn(time.Second), c.syn(2 * time.Second), c.syn(3 * time.Second), c.srst(3*time.Second + ms), far(60 * time.Second)}
		_, atts := readBytes(t, capture(t, segs...))
		a := onlyAttempt(t, atts)
		wantOutcome(t, a, UnansweredThenReset, false)
		wantDur(t, "ServerRST", a.ServerRST, 3*time.Second+ms)
	})
	t.Run("cookie-ack-dropped", func(t *testing.T) {
		c := newConn("10.0.0.1:40002", "10.0.0.2:80", 3000, 9000)
		d := c.data(3*ms, 100)
		segs := append(c.handshake(0), d)
		for _, at := range []time.Duration{210 * ms, 630 * ms, 1470 * ms, 3150 * ms} {
			segs = append(segs, retransmitted(d, c, at))
		}
		segs = append(segs, far(60*time.Second))
		_, atts := readBytes(t, capture(t, segs...))
		a := onlyAttempt(t, atts)
		wantOutcome(t, a, AckIgnored, false)
		if a.DataRetransmits != 4 || a.SynAcks != 1 {
			t.Errorf("data retransmits %d, SYN-ACKs %d; want 4 and 1", a.DataRetransmits, a.SynAcks)
		}
	})
	t.Run("cookie-ack-dropped-then-accepted", func(t *testing.T) {
		c := newConn("10.0.0.1:40003", "10.0.0.2:80", 4000, 9000)
		d := c.data(3*ms, 100)
		segs := append(c.handshake(0), d, retransmitted(d, c, 210*ms), retransmitted(d, c, 630*ms), retransmitted(d, c, 1470*ms), c.sack(1471*ms), far(60*time.Second))
		_, atts := readBytes(t, capture(t, segs...))
		wantOutcome(t, onlyAttempt(t, atts), EstablishedAfterRetry, false)
	})
	t.Run("data-lost-twice", func(t *testing.T) {
		// Random loss took the data twice: acknowledged 0.6 s later.
		c := newConn("10.0.0.1:40006", "10.0.0.2:80", 7000, 9000)
		d := c.data(3*ms, 100)
		segs := append(c.handshake(0), d, retransmitted(d, c, 210*ms), retransmitted(d, c, 630*ms), c.sack(631*ms), far(60*time.Second))
		_, atts := readBytes(t, capture(t, segs...))
		wantOutcome(t, onlyAttempt(t, atts), Established, false)
	})
	t.Run("data-lost-once", func(t *testing.T) {
		// Ordinary loss of the first data segment: the handshake was fine.
		c := newConn("10.0.0.1:40005", "10.0.0.2:80", 6000, 9000)
		d := c.data(3*ms, 100)
		segs := append(c.handshake(0), d, retransmitted(d, c, 210*ms), c.sack(211*ms), far(60*time.Second))
		_, atts := readBytes(t, capture(t, segs...))
		wantOutcome(t, onlyAttempt(t, atts), Established, false)
	})
	t.Run("healthy-data-acked", func(t *testing.T) {
		c := newConn("10.0.0.1:40004", "10.0.0.2:80", 5000, 9000)
		segs := append(c.handshake(0), c.data(3*ms, 100), c.sack(4*ms), far(60*time.Second))
		_, atts := readBytes(t, capture(t, segs...))
		wantOutcome(t, onlyAttempt(t, atts), Established, false)
	})
}

// TestAbsurdTimestamps: one frame stamped decades ahead (first, or in the
// middle) or behind does not stop expiry: memory stays with the attempts
// really open, attempts settle by time, and the frames are counted.
func TestAbsurdTimestamps(t *testing.T) {
	const n = 4000 // lone SYNs from distinct sources, 50 ms apart (200 s)
	build := func(absurdAt int, offset time.Duration) []tseg {
		var segs []tseg
		for i := range n {
			if i == absurdAt {
				c := newConn("192.0.2.1:1", "10.0.0.2:80", 1, 0)
				segs = append(segs, c.syn(offset))
			}
			c := newConn(netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 40000).String(), "10.0.0.2:80", uint32(i+10), 0)
			segs = append(segs, c.syn(time.Duration(i)*50*time.Millisecond))
		}
		return segs
	}
	for _, tc := range []struct {
		name     string
		absurdAt int
		offset   time.Duration
	}{
		{"far-future-first", 0, 75 * 365 * 24 * time.Hour},
		{"far-future-middle", n / 2, 75 * 365 * 24 * time.Hour},
		{"far-past-first", 0, -50 * 365 * 24 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, atts := readBytes(t, capture(t, build(tc.absurdAt, tc.offset)...))
			// 8 s of lone SYNs at 20/s are open at once; allow slack for
			// the recovery from a clock set far back.
			if c.PeakOpen > 600 {
				t.Errorf("peak %d attempts open at once, want the ~160 a lone SYN's 8 s hold", c.PeakOpen)
			}
			unanswered := 0
			for _, a := range atts {
				if a.Outcome == Unanswered && !a.CaptureEnded {
					unanswered++
				}
			}
			if unanswered < n-200 {
				t.Errorf("%d of %d lone SYNs settled by time as unanswered", unanswered, n)
			}
			if c.Stats.ClockJumps+c.Stats.ClockResets == 0 || !strings.Contains(strings.Join(c.Warnings, " "), "capture clock") {
				t.Errorf("absurd timestamp not reported: stats %+v, warnings %q", c.Stats, c.Warnings)
			}
		})
	}
}

// TestFlowBudget: past the flow budget new SYNs are counted per listener,
// not followed; a client that completed a handshake before still gets in
// (the reserve), so a flood cannot hide the real clients.
func TestFlowBudget(t *testing.T) {
	var segs []tseg
	real := newConn("10.9.9.9:40000", "10.0.0.2:80", 7, 70)
	segs = append(segs, real.handshake(0)...)
	for i := range 1000 {
		c := newConn(netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 40000).String(), "10.0.0.2:80", uint32(i+10), 0)
		segs = append(segs, c.syn(10*time.Millisecond+time.Duration(i)*time.Millisecond))
	}
	again := newConn("10.9.9.9:40001", "10.0.0.2:80", 8, 80)
	segs = append(segs, again.handshake(1200*time.Millisecond)...)
	segs = append(segs, far(120*time.Second))
	var atts []Attempt
	c, err := Read(bytes.NewReader(capture(t, segs...)), "budget", Options{MaxFlows: 100}, func(a *Attempt) { atts = append(atts, *a) })
	if err != nil {
		t.Fatal(err)
	}
	if len(atts) > 110 || c.PeakFlows > 110 {
		t.Errorf("%d attempts followed, %d flows at the peak; want about the budget of 100", len(atts), c.PeakFlows)
	}
	if len(c.Untracked) != 1 || c.Untracked[0].Server != ap("10.0.0.2:80") || c.Untracked[0].SYNs+int64(len(atts)) != 1002 {
		t.Errorf("untracked %+v with %d attempts; want the rest of 1002 SYNs counted for 10.0.0.2:80", c.Untracked, len(atts))
	}
	found := false
	for _, a := range atts {
		if a.Client == ap("10.9.9.9:40001") && a.Outcome == Established {
			found = true
		}
	}
	if !found {
		t.Error("the returning client was not followed although the budget keeps a reserve for it")
	}
	if !strings.Contains(strings.Join(c.Warnings, " "), "memory budget") {
		t.Errorf("warnings %q", c.Warnings)
	}
}
