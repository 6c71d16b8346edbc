package analyze

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/halfopen/halfopen/analyze/kernel"
	"github.com/halfopen/halfopen/analyze/snapshot"
	"github.com/halfopen/halfopen/flows"
)

// phase is the step of the handshake where an attempt went wrong.
type phase uint8

const (
	phaseNone        phase = iota // nothing went wrong (or too early to tell)
	phaseSynDropped               // SYNs got no answer at all
	phaseSynAckLost               // the server answered, the client retransmitted anyway
	phaseReset                    // the SYN was answered by RST
	phaseBareAck                  // the SYN was answered by a bare ACK
	phaseAckDropped               // the client's ACK was dropped: SYN-ACK retransmitted after it
	phaseRstAfterAck              // the client's ACK was answered by RST
	phaseNoAck                    // the client never completed the handshake
)

// promptAnswer is how soon a SYN-ACK must follow a SYN to count as its
// answer (rather than an answer to a later retransmit).
const promptAnswer = 500 * time.Millisecond

// phaseOf classifies where an attempt failed.
func phaseOf(a *flows.Attempt) phase {
	switch a.Outcome {
	case flows.Unanswered, flows.UnansweredThenReset:
		return phaseSynDropped
	case flows.Reset:
		return phaseReset
	case flows.AnsweredWithAck:
		return phaseBareAck
	case flows.SynAckUnacked:
		return phaseNoAck
	case flows.AckIgnored:
		return phaseAckDropped
	case flows.ResetAfterAck:
		return phaseRstAfterAck
	case flows.EstablishedAfterRetry:
		switch {
		case a.ServerBareAck != flows.None:
			return phaseBareAck
		case ackWasIgnored(a) || a.DataHeld():
			return phaseAckDropped
		case a.SynAcks > 0 && a.SynAckTimes[0].At <= promptAnswer:
			return phaseSynAckLost
		case a.SYNs > 1:
			return phaseSynDropped
		}
	}
	return phaseNone
}

func ackWasIgnored(a *flows.Attempt) bool {
	for _, s := range a.RecordedSynAcks() {
		if s.AfterAck && !s.Triggered {
			return true
		}
	}
	return false
}

// judgement is one attempt's most likely branch, as far as the attempt
// and what was known when it finished can tell.
type judgement struct {
	branch string
	conf   float64
	ev     []Evidence
	// text asks for evidence sentences. Formatting them costs more than
	// judging, so a flood's millionth attempt is judged without words: only
	// the attempts a report shows need them.
	text bool
}

func (j *judgement) add(kind, format string, args ...any) {
	if j.text {
		j.ev = append(j.ev, Evidence{Kind: kind, Text: fmt.Sprintf(format, args...)})
	}
}

func (j *judgement) against(kind, format string, args ...any) {
	if j.text {
		j.ev = append(j.ev, Evidence{Kind: kind, Text: fmt.Sprintf(format, args...), Against: true})
	}
}

// history is what a listener showed so far in the capture, for judging
// an attempt against the attempts that got through.
type history struct {
	answered          int64 // attempts answered on their first SYN
	maxPendingOK      int   // PendingAccept when a SYN was answered at once, max
	maxHalfOpenOK     int
	provenServed      int64 // answered attempts from peers with a recent completed handshake
	freshServed       int64
	synAcksSeen       int64
	badChecksumOK     int64 // answered attempts whose SYN had a wrong checksum: offload, not corruption
	maxHalfOpenProven int   // HalfOpen when a SYN from a proven peer was answered at once, max
}

func (h *history) learn(a *flows.Attempt) {
	if a.SynAcks > 0 {
		h.synAcksSeen++
	}
	if a.SynAcks > 0 && a.BadChecksum {
		h.badChecksumOK++
	}
	if a.SynAcks > 0 && a.SynAckTimes[0].At <= promptAnswer && a.SYNs >= 1 {
		h.answered++
		h.maxPendingOK = max(h.maxPendingOK, a.Context.PendingAccept)
		h.maxHalfOpenOK = max(h.maxHalfOpenOK, a.Context.HalfOpen)
		if a.Context.PeerEstablishedAgo != flows.None || a.Context.PeerClosedAgo != flows.None {
			h.provenServed++
			h.maxHalfOpenProven = max(h.maxHalfOpenProven, a.Context.HalfOpen)
		} else {
			h.freshServed++
		}
	}
}

// judge names the most likely branch for one failed attempt.
func (s *server) judge(a *flows.Attempt, ph phase, h *history, text bool) judgement {
	switch ph {
	case phaseSynDropped:
		return s.judgeSynDropped(a, h, text)
	case phaseSynAckLost:
		j := judgement{branch: kernel.SynAckLost, conf: confPlausible, text: text}
		j.add("packets", "SYN-ACK sent %s after the first SYN, yet the client retransmitted its SYN %d time(s): the SYN-ACK did not reach the client", fmtDur(a.SynAckTimes[0].At), a.SYNs-1)
		return j
	case phaseReset:
		return s.judgeReset(a, h, text)
	case phaseBareAck:
		return s.judgeBareAck(a, text)
	case phaseAckDropped:
		return s.judgeAckDropped(a, text)
	case phaseRstAfterAck:
		return s.judgeRstAfterAck(a, text)
	case phaseNoAck:
		return s.judgeNoAck(a, text)
	}
	return judgement{}
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.0f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%d µs", d.Microseconds())
}

// synTimesText words the SYNs of an attempt when printed: "3 SYNs at +0,
// +1.0, +3.0 s" (a Stringer, so judging without text does not build it).
type synTimesText struct{ a *flows.Attempt }

func (t synTimesText) String() string {
	a := t.a
	var parts []string
	for _, t := range a.RecordedSYNs() {
		parts = append(parts, "+"+strings.TrimSuffix(fmt.Sprintf("%.1f", t.Seconds()), ".0"))
	}
	more := ""
	if a.SYNs > flows.MaxTimes {
		more = fmt.Sprintf(" (+%d more)", a.SYNs-flows.MaxTimes)
	}
	return fmt.Sprintf("%d SYN(s) at %s s%s", a.SYNs, strings.Join(parts, ", "), more)
}

func isBroadcastOrMulticast(ip netip.Addr) bool {
	return ip.IsMulticast() || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

func (s *server) judgeSynDropped(a *flows.Attempt, h *history, text bool) judgement {
	j := judgement{branch: kernel.Unknown, conf: confUnknown, text: text}
	switch a.Outcome {
	case flows.Unanswered:
		j.add("packets", "%s, none answered", synTimesText{a})
	case flows.UnansweredThenReset:
		j.add("packets", "%s: dropped without reply, then answered by RST at +%s s — the listener had closed by then", synTimesText{a}, strings.TrimSuffix(fmt.Sprintf("%.1f", a.ServerRST.Seconds()), ".0"))
	default:
		first := a.SynAckTimes[0].At
		j.add("packets", "%s; the first SYN-ACK came only %s after the first SYN, answering a retransmit", synTimesText{a}, fmtDur(first))
	}
	switch {
	case a.BadChecksum && h.badChecksumOK == 0:
		// Only when no answered SYN had a wrong checksum too: on veth,
		// loopback and with TX offload the sender leaves checksums to
		// hardware that never computes them, and the kernel accepts those.
		j.branch, j.conf = kernel.BadChecksum, confDecisive
		if h.answered == 0 {
			j.conf = confEven
			j.add("packets", "the SYN's TCP checksum is wrong and no SYN to this port was answered to compare with: a real corruption, or checksum offload on the sender's virtual interface")
			return j
		}
		j.add("packets", "the SYN's TCP checksum is wrong while the SYNs the server answered had correct ones: the kernel drops it before any listener code (TcpInErrs/InCsumErrors)")
		return j
	case a.OtherHost:
		j.branch, j.conf = kernel.PreTCPDrop, confClear
		j.add("packets", "the capture marks the SYN PACKET_OTHERHOST: the frame was not addressed to this host (wrong MAC, VIP owned elsewhere)")
		return j
	case isBroadcastOrMulticast(a.Server.Addr()):
		j.branch, j.conf = kernel.BroadcastDst, confDecisive
		j.add("packets", "the SYN is addressed to %s, a broadcast/multicast address", a.Server.Addr())
		return j
	}
	if r := s.firewallRule(a, true); r != nil {
		j.branch, j.conf = candFirewall, confDecisive
		if r.Other != "" || r.Random > 0 {
			j.conf = confClear
		}
		j.add("firewall", "%s matches this SYN: dropped before TCP", r.Describe())
		return j
	}
	ctx := a.Context
	synAt := time.Unix(0, a.FirstSYN)
	if p, ok := s.ssAt(a.Server, synAt, time.Second); ok {
		l := p.Listener
		when := fmtDur(absDur(p.Time.Sub(synAt)))
		if s.ssFull(l) {
			j.branch, j.conf = kernel.AcceptQueueFullSyn, confConfirmed
			if l.SendQ > 0 {
				j.add("ss", "ss %s from the first SYN: Recv-Q %d > Send-Q %d — the accept queue (capacity %d) was full", when, l.RecvQ, l.SendQ, l.SendQ+1)
			} else {
				j.add("ss", "listing %s from the first SYN: Recv-Q %d > %s %d, which bounds the backlog — the accept queue was full", when, l.RecvQ, kernel.SysctlSomaxconn, s.sysctl(kernel.SysctlSomaxconn))
			}
			s.youngNote(&j, ctx)
			return j
		}
		if l.SendQ >= 0 {
			j.against("ss", "ss %s from the first SYN: Recv-Q %d of %d+1 — the accept queue had room", when, l.RecvQ, l.SendQ)
		}
	}
	cookies := s.sysctl(kernel.SysctlSyncookies)
	qs := s.synQueueCapacity(a.Server)
	m := s.sysctl(kernel.SysctlMaxSynBacklog)
	b := s.backlog(a.Server)
	if qs != unknownInt && ctx.HalfOpen >= qs*9/10 && cookies != 1 {
		j.branch, j.conf = kernel.SynQueueFull, confComputed
		j.add("packets", "%d handshakes to this port were half-open (SYN-ACK sent, not completed) when the SYN arrived; the SYN queue holds %d", ctx.HalfOpen, qs)
		if b == 0 && s.model.BacklogZeroDrops {
			j.branch = kernel.BacklogZero
		}
		return j
	}
	if m != unknownInt && cookies == 0 && ctx.HalfOpen > s.model.LastQuarterThreshold(m) {
		proven := ctx.PeerEstablishedAgo != flows.None || ctx.PeerClosedAgo != flows.None
		if !s.model.ProvenPeerExempt || !proven {
			j.branch, j.conf = kernel.LastQuarter, confLikely
			j.add("packets", "%d half-open handshakes when the SYN arrived, above %d = tcp_max_syn_backlog %d − %d/4, with syncookies off", ctx.HalfOpen, s.model.LastQuarterThreshold(m), m, m)
			if s.model.ProvenPeerExempt {
				j.add("packets", "this client IP had no completed connection to the server in the capture (not a proven peer); %d attempts from proven peers were served", h.provenServed)
			}
			return j
		}
	}
	// tcp_tw_recycle exists only up to 4.11: on the kernel assumed or known
	// for the server, not merely on some era the evidence leaves open.
	if ctx.PeerStampAgo != flows.None && a.SYNOptions.Has&flows.OptTimestamp != 0 && int32(ctx.PeerStampTSval-a.SYNOptions.TSval) > 1 && s.model.TwRecycle && s.sysctl(kernel.SysctlTwRecycle) != 0 {
		j.branch, j.conf = kernel.PAWSPassive, confSuggested
		j.add("packets", "the server closed a connection from %s %s before this SYN (last TSval %d); this SYN's TSval %d is older — tcp_tw_recycle's per-peer PAWS check rejects it", a.Client.Addr(), fmtDur(ctx.PeerStampAgo), ctx.PeerStampTSval, a.SYNOptions.TSval)
		if s.sysctl(kernel.SysctlTwRecycle) == 1 {
			j.conf = confConfirmed
			j.add("sysctl", "%s = 1", kernel.SysctlTwRecycle)
		}
		return j
	}
	if b == unknownInt && s.model.Era == kernel.Era2618 {
		b = s.sysctl(kernel.SysctlSomaxconn) // bounds B when nothing shows the backlog
	}
	if b != unknownInt && ctx.PendingAccept >= b+1 {
		j.branch, j.conf = kernel.AcceptQueueFullSyn, confLikely
		j.add("packets", "%d connections to this port had completed the handshake without the server sending anything (not yet accepted) when the SYN arrived; the accept queue holds %d (backlog %d + 1)", ctx.PendingAccept, b+1, b)
		s.youngNote(&j, ctx)
		return j
	}
	// From the capture alone: compare the queues' estimates at this drop
	// with their highest values at SYNs the server answered. A drop while
	// an estimate sits at its ceiling points at that queue.
	proven := ctx.PeerEstablishedAgo != flows.None || ctx.PeerClosedAgo != flows.None
	if ctx.HalfOpen >= 8 && !proven && cookies != 1 && s.eraMayBeAtLeast(kernel.Era412) && h.maxHalfOpenProven*10 >= ctx.HalfOpen*9 {
		// 4.12+: at this queue depth the server still answered peers it had
		// talked to, but not this fresh one — the last-quarter rule's mark.
		j.branch, j.conf = kernel.LastQuarter, confEven
		j.add("packets", "%d half-open handshakes when this SYN from a client IP new to the server arrived; SYNs from peers with a recent completed connection were answered at %d half-open: the last quarter of tcp_max_syn_backlog is kept for proven peers (4.12+)", ctx.HalfOpen, h.maxHalfOpenProven)
		return j
	}
	if ctx.HalfOpen >= 8 && ctx.HalfOpen*10 >= ctx.AnsweredHalfOpen*9 && ctx.HalfOpen > 2*ctx.PendingAccept {
		j.branch, j.conf = kernel.SynQueueFull, confTentative
		if cookies == 0 && m != unknownInt {
			j.branch = kernel.LastQuarter
		}
		j.add("packets", "%d half-open handshakes to this port when the SYN arrived, at the ceiling seen when SYNs were answered (%d): the SYN queue was likely full", ctx.HalfOpen, ctx.AnsweredHalfOpen)
		return j
	}
	if ctx.AnsweredAround && ctx.PendingAccept <= ctx.AnsweredPending && !proven {
		// Selective: this client address never got through while others
		// did at the same moment. A full queue drops whoever comes, and
		// lets through whoever comes when it has room.
		// Other clients' SYNs got through at the same moment and no queue
		// was near its ceiling: the listener was not refusing work.
		j.branch, j.conf = candSelective, confLeaning
		j.add("packets", "other clients' SYNs to this port were answered within a second of this one, at the same queue depths (%d half-open, %d unaccepted), while this client address never completed a handshake: the SYN was dropped before reaching TCP (a firewall rule for this source, conntrack, rp_filter) or on its way", ctx.HalfOpen, ctx.PendingAccept)
		return j
	}
	if ctx.PendingAccept >= 2 && ctx.PendingAccept > ctx.AnsweredPending && h.answered > 0 {
		j.branch, j.conf = kernel.AcceptQueueFullSyn, confEven
		j.add("packets", "%d connections to this port were established but not yet served by the application when the SYN arrived, more than at any SYN the listener answered (%d at most): the accept queue was likely full", ctx.PendingAccept, ctx.AnsweredPending)
		return j
	}
	if h.synAcksSeen == 0 {
		j.branch, j.conf = kernel.PreTCPDrop, confWeak
		j.add("packets", "no SYN to this listener was answered so far, not even by a RST: a firewall, conntrack or routing drop, or a listener that never answers")
		return j
	}
	j.add("packets", "%d half-open and %d unaccepted connections when the SYN arrived: no queue looks full from the capture alone", ctx.HalfOpen, ctx.PendingAccept)
	return j
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func (s *server) judgeReset(a *flows.Attempt, h *history, text bool) judgement {
	if r := s.firewallRule(a, true); r != nil && r.Target == "REJECT" {
		j := judgement{branch: candFirewall, conf: confDecisive, text: text}
		j.add("firewall", "%s matches this SYN: the firewall answered it with RST (REJECT --reject-with tcp-reset), not TCP", r.Describe())
		return j
	}
	proven := a.Context.PeerEstablishedAgo != flows.None || a.Context.PeerClosedAgo != flows.None
	if a.Context.AnsweredAround && !proven {
		j := judgement{branch: candRejectSelective, conf: confLikely, text: text}
		j.add("packets", "the SYN was answered by RST %s after it, while other clients' SYNs to %s got SYN-ACKs within a second: the port was open, so a firewall rule (REJECT --reject-with tcp-reset) answered for this client address", fmtDur(a.ServerRST), a.Server)
		return j
	}
	j := judgement{branch: kernel.ClosedPort, conf: confClear, text: text}
	j.add("packets", "the SYN was answered by RST %s after it: nothing listened on %s", fmtDur(a.ServerRST), a.Server)
	if h.synAcksSeen > 0 {
		j.conf = confEven
		j.add("packets", "other SYNs to this port were answered with SYN-ACK: the listener was closed at that moment (application restart?) or a REJECT --reject-with tcp-reset rule matched")
	}
	return j
}

func (s *server) judgeBareAck(a *flows.Attempt, text bool) judgement {
	p := a.Prev
	j := judgement{branch: kernel.TimewaitSeq, conf: confTentative, text: text}
	j.add("packets", "the SYN was answered by a bare ACK (ack %d, not the SYN's ISN+1 = %d) %s after it", a.BareAckNumber, a.ISN+1, fmtDur(a.ServerBareAck))
	if a.ClientRST != flows.None {
		j.add("packets", "the client answered that ACK with RST %s after the first SYN", fmtDur(a.ClientRST))
	}
	hasTS := a.SYNOptions.Has&flows.OptTimestamp != 0
	switch {
	case p.Seen && p.Open:
		j.branch, j.conf = kernel.SynToEstablished, confClear
		j.add("packets", "a connection on the same 4-tuple was still open in the capture: the kernel answers a SYN for a live connection with a challenge ACK")
	case p.Seen && p.ServerClosedFirst && p.ClosedAgo != flows.None && p.ClosedAgo < 60*time.Second:
		j.add("packets", "the server closed the previous connection on this 4-tuple first, %s before: its TIME-WAIT socket (60 s) was still there", fmtDur(p.ClosedAgo))
		switch {
		case p.HasTS && hasTS && int32(a.SYNOptions.TSval-p.ClientTSval) < 0:
			j.branch, j.conf = kernel.PAWSTimewait, confConfirmed
			j.add("packets", "the SYN's TSval %d is older than the last TSval %d of the previous connection: PAWS rejects it", a.SYNOptions.TSval, p.ClientTSval)
		case int32(a.ISN-p.ClientNextSeq) <= 0:
			j.branch, j.conf = kernel.TimewaitSeq, confClear
			j.add("packets", "the SYN's sequence number %d is not above the old connection's %d, and timestamps do not save it", a.ISN, p.ClientNextSeq)
		default:
			j.conf = confEven
		}
	case p.Seen:
		j.add("packets", "a previous connection on this 4-tuple was seen (closed %s before)", fmtDur(p.ClosedAgo))
	default:
		if hasTS {
			j.branch = kernel.PAWSTimewait
		}
		j.add("packets", "no earlier connection on this 4-tuple is in the capture: a TIME-WAIT socket from before the capture, or a live connection")
	}
	return j
}

// firewallRule returns a DROP or REJECT rule of the server's firewall
// listing that matches a segment of the attempt and counted packets, or
// nil. syn says the segment is the SYN; otherwise rules for SYNs only do
// not apply.
func (s *server) firewallRule(a *flows.Attempt, syn bool) *snapshot.FirewallRule {
	if s.snaps.Firewall == nil {
		return nil
	}
	for i := range s.snaps.Firewall.Rules {
		r := &s.snaps.Firewall.Rules[i]
		if r.Packets > 0 && (syn || !r.SYNOnly) && r.Matches(a.Client, a.Server) {
			return r
		}
	}
	return nil
}

func (s *server) judgeAckDropped(a *flows.Attempt, text bool) judgement {
	if r := s.firewallRule(a, false); r != nil && r.Target == "DROP" {
		j := judgement{branch: candFirewall, conf: confConfirmed, text: text}
		j.add("packets", "the server went on as if the client's ACK never came (SYN-ACK re-sent, data never acknowledged)")
		j.add("firewall", "%s matches the client's ACK and data: dropped before TCP", r.Describe())
		return j
	}
	j := judgement{branch: kernel.AcceptQueueFullAck, conf: confPlausible, text: text}
	n := 0
	for _, sa := range a.RecordedSynAcks() {
		if sa.AfterAck && !sa.Triggered {
			n++
		}
	}
	if n > 0 {
		j.add("packets", "the client completed the handshake %s after the first SYN, yet the server retransmitted its SYN-ACK %d time(s) after that: it dropped the ACK and kept the request", fmtDur(a.FinalAck), n)
		if a.ClientData != flows.None && a.ServerAckData == flows.None {
			j.add("packets", "client data sent at %s was never acknowledged", fmtDur(a.ClientData))
		}
	} else {
		// No request state to retransmit from: the SYN-ACK was a syncookie
		// (or the server forgot the request) and the ACK it got was dropped.
		acked := "was never acknowledged"
		if a.ServerAckData != flows.None {
			acked = fmt.Sprintf("was acknowledged only %s after the first SYN", fmtDur(a.ServerAckData))
		}
		j.add("packets", "the client completed the handshake %s after the first SYN and sent data at %s, sent it %d more time(s), and it %s; the server never retransmitted its SYN-ACK: a stateless (syncookie) SYN-ACK whose ACK the server dropped", fmtDur(a.FinalAck), fmtDur(a.ClientData), a.DataRetransmits, acked)
	}
	if a.Outcome == flows.EstablishedAfterRetry {
		j.add("packets", "a later client ACK or data got through once the queue had room")
	}
	ackAt := time.Unix(0, a.FirstSYN).Add(a.FinalAck)
	if p, ok := s.ssAt(a.Server, ackAt, time.Second); ok && s.ssFull(p.Listener) {
		j.conf = confCorroborated
		j.add("ss", "ss %s from the ACK: Recv-Q %d > Send-Q %d — the accept queue was full", fmtDur(absDur(p.Time.Sub(ackAt))), p.Listener.RecvQ, p.Listener.SendQ)
	}
	if first, ok := s.deferredResend(a); ok {
		j.branch, j.conf = kernel.DeferAccept, confLikely
		j.add("packets", "after the bare ACK the server was silent until it re-sent its SYN-ACK %s after the first one, skipping the %s retransmit its timer would make: a TCP_DEFER_ACCEPT listener holds a bare ACK and re-sends only at the end of its deferral", fmtDur(first), fmtDur(s.model.SynAckRTO))
		if a.ClientData != flows.None && a.ServerAckData != flows.None && a.DataRetransmits == 0 {
			j.conf = confClear
			j.add("packets", "the client's data was acknowledged at once: the listener was waiting for data, not full")
		}
		return j
	}
	switch s.sysctl(kernel.SysctlAbortOnOverflow) {
	case 0:
		j.add("sysctl", "%s = 0: an overflowing ACK is dropped silently", kernel.SysctlAbortOnOverflow)
	case 1:
		j.conf -= confAbortOnOverflow
		j.against("sysctl", "%s = 1 would have answered an overflowing ACK with RST", kernel.SysctlAbortOnOverflow)
	}
	return j
}

func (s *server) judgeRstAfterAck(a *flows.Attempt, text bool) judgement {
	j := judgement{branch: kernel.AcceptQueueFullRst, conf: confPlausible, text: text}
	j.add("packets", "the server sent RST %s after the first SYN, right after the client's handshake ACK, without serving the connection", fmtDur(a.ServerRST))
	switch s.sysctl(kernel.SysctlAbortOnOverflow) {
	case 1:
		j.conf = confConfirmed
		j.add("sysctl", "%s = 1: an ACK that finds the accept queue full is answered by RST", kernel.SysctlAbortOnOverflow)
	case 0:
		j.conf = confDoubtful
		j.against("sysctl", "%s = 0: an accept-queue overflow would drop the ACK silently, not reset", kernel.SysctlAbortOnOverflow)
	}
	return j
}

func (s *server) judgeNoAck(a *flows.Attempt, text bool) judgement {
	j := judgement{branch: kernel.ClientNeverAcked, conf: confPlausible, text: text}
	j.add("packets", "the server answered with %d SYN-ACK(s) but the client never completed the handshake", a.SynAcks)
	if a.ClientRST != flows.None {
		j.add("packets", "the client answered the SYN-ACK with RST: a scanner or a client that gave up")
	} else if a.SYNs == 1 {
		j.add("packets", "a single SYN and no reply to the SYN-ACK: typical of spoofed (flood) sources or a client-side firewall")
	}
	return j
}

// deferredResend recognises TCP_DEFER_ACCEPT on the wire: the client's
// bare ACK came before the server's first retransmit was due, yet the
// server re-sent its SYN-ACK only much later (the deferral skips the
// retransmits while it waits for data). It returns when the first re-sent
// SYN-ACK came, after the first SYN-ACK.
func (s *server) deferredResend(a *flows.Attempt) (time.Duration, bool) {
	sas := a.RecordedSynAcks()
	if len(sas) < 2 || a.FinalAck == flows.None || a.SYNs != 1 {
		return 0, false
	}
	rto := s.model.SynAckRTO
	if rto <= 0 {
		rto = time.Second
	}
	first := sas[0].At
	if a.FinalAck-first >= rto/2 || a.ClientData != flows.None && a.ClientData <= a.FinalAck {
		return 0, false // the ACK came late, or carried data: nothing to defer
	}
	for _, sa := range sas[1:] {
		if sa.Triggered {
			continue
		}
		gap := sa.At - first
		return gap, sa.AfterAck && gap >= rto*2+rto/2
	}
	return 0, false
}

// annotate names a branch for an attempt that got through but took a
// path worth knowing: answered by a syncookie because the SYN queue was
// full, or held by a TCP_DEFER_ACCEPT listener until data came.
func (s *server) annotate(a *flows.Attempt, text bool) (judgement, bool) {
	if a.SynAcks == 0 || a.FinalAck == flows.None {
		return judgement{}, false
	}
	if j, ok := s.cookieAnswer(a, text); ok {
		return j, true
	}
	if first, ok := s.deferredResend(a); ok {
		j := judgement{branch: kernel.DeferAccept, conf: confComputed, text: text}
		j.add("packets", "the bare ACK was held and the SYN-ACK re-sent only %s after the first one: a TCP_DEFER_ACCEPT listener; the connection was taken when data came", fmtDur(first))
		return j, true
	}
	if da, ok := s.counter(kernel.CounterDeferAcceptDrop); ok && da > 0 && a.ClientData != flows.None && a.ClientData-a.FinalAck >= 200*time.Millisecond && a.ServerAckData != flows.None && a.DataRetransmits == 0 {
		j := judgement{branch: kernel.DeferAccept, conf: confClear, text: text}
		j.add("packets", "a bare ACK, then %s of silence until the client's data, acknowledged at once; the kernel counted deferred ACKs (TCPDeferAcceptDrop +%d): a TCP_DEFER_ACCEPT listener held the bare ACK", fmtDur(a.ClientData-a.FinalAck), da)
		return j, true
	}
	return judgement{}, false
}

// cookieAnswer tells whether the SYN-ACK was a syncookie: tcp_syncookies=2
// answers every SYN so; with 1, a SYN finding the SYN queue full (its
// capacity known from ss and sysctl) is; and a cookie SYN-ACK to a SYN
// without timestamps carries only an MSS option, which a normal Linux
// SYN-ACK to a SYN offering SACK or window scaling does not.
func (s *server) cookieAnswer(a *flows.Attempt, text bool) (judgement, bool) {
	cookies := s.sysctl(kernel.SysctlSyncookies)
	j := judgement{branch: kernel.Syncookies, text: text}
	switch qs := s.synQueueCapacity(a.Server); {
	case cookies == 2:
		j.conf = confDecisive
		j.add("sysctl", "%s = 2: every SYN is answered with a syncookie", kernel.SysctlSyncookies)
	case cookies == 1 && qs != unknownInt && a.Context.HalfOpen >= qs:
		j.conf = confConfirmed
		j.add("packets", "%d handshakes to this port were half-open when the SYN arrived, at or above the SYN queue's %d: with tcp_syncookies = 1 the SYN was answered by a syncookie", a.Context.HalfOpen, qs)
	case cookies != 0 && strippedSynAck(a):
		j.conf = confClear
		j.add("packets", "the SYN offered SACK or window scaling without timestamps and the SYN-ACK carried only an MSS option: the mark of a syncookie, which cannot store the other options")
	default:
		return judgement{}, false
	}
	return j, true
}

func strippedSynAck(a *flows.Attempt) bool {
	syn, sa := a.SYNOptions, a.SynAckOptions
	if a.SYNOptionsCut || syn.Has&flows.OptTimestamp != 0 || syn.Has&(flows.OptSACKPerm|flows.OptWScale) == 0 {
		return false
	}
	return sa.Has&flows.OptMSS != 0 && sa.Has&(flows.OptSACKPerm|flows.OptWScale|flows.OptTimestamp) == 0
}

// youngNote adds the young>1 condition of kernels up to 4.9 (and RHEL7) to
// an accept-queue judgement: there a full accept queue drops a SYN only
// while at least two requests are young (SYN-ACK not yet retransmitted).
func (s *server) youngNote(j *judgement, ctx flows.Context) {
	if !s.model.YoungRule {
		return
	}
	if ctx.Young >= 2 {
		j.add("packets", "%d requests to this port were young (SYN-ACK not yet retransmitted): the young > 1 condition of %s held", ctx.Young, s.model.Name)
		return
	}
	// Not evidence against: a request whose ACK the kernel dropped stays
	// young, but looks completed in a capture, so the count is a lower bound.
	j.add("packets", "%s drops a SYN on a full accept queue only while young > 1; the capture shows %d young request(s), a lower bound (requests whose ACK was dropped stay young but look completed)", s.model.Name, ctx.Young)
}
