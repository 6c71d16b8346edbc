package kernel

import "fmt"

// Check is one test a SYN meets on its way to (and inside) the listener, in the order of §3.
type Check struct {
	Branch    string   // branch name from the vocabulary
	Condition string   // plain words, this era
	Counters  []string // nstat names moved in this era (empty when none, e.g. 2.6.x SYN-time drops)
	Log       string   // dmesg text if any in this era (§5.4), else ""
}

// nstat counter names used below.
const (
	cListenDrops     = "TcpExtListenDrops"
	cListenOverflows = "TcpExtListenOverflows"
	cReqQFullDrop    = "TcpExtTCPReqQFullDrop"
	cReqQFullCookies = "TcpExtTCPReqQFullDoCookies"
	cCookiesSent     = "TcpExtSyncookiesSent"
	cCookiesRecv     = "TcpExtSyncookiesRecv"
	cCookiesFailed   = "TcpExtSyncookiesFailed"
	cEmbryonicRsts   = "TcpExtEmbryonicRsts"
	cPAWSPassive     = "TcpExtPAWSPassive"
	cPAWSEstab       = "TcpExtPAWSEstab"
	cPAWSTimewait    = "TcpExtPAWSTimewait"
	cACKSkippedTW    = "TcpExtTCPACKSkippedTimeWait"
	cACKSkippedSR    = "TcpExtTCPACKSkippedSynRecv"
	cAbortOnSyn      = "TcpExtTCPAbortOnSyn"
	cSYNChallenge    = "TcpExtTCPSYNChallenge"
	cChallengeACK    = "TcpExtTCPChallengeACK"
	cAttemptFails    = "TcpAttemptFails"
	cDeferAcceptDrop = "TcpExtTCPDeferAcceptDrop"
	cInErrs          = "TcpInErrs"
	cInCsumErrors    = "TcpInCsumErrors"
	cMinTTLDrop      = "TcpExtTCPMinTTLDrop"
	cBacklogDrop     = "TcpExtTCPBacklogDrop"
	cPFMemallocDrop  = "TcpExtPFMemallocDrop"
	cRPFilter        = "TcpExtIPReversePathFilter"
	cIPInAddrErrors  = "IpInAddrErrors"
	cIPInHdrErrors   = "IpInHdrErrors"
	cIPInDiscards    = "IpInDiscards"
	cMD5NotFound     = "TcpExtTCPMD5NotFound"
	cMD5Unexpected   = "TcpExtTCPMD5Unexpected"
	cAORequired      = "TcpExtTCPAORequired"
	cAOBad           = "TcpExtTCPAOBad"
	cSynRetrans      = "TcpExtTCPSynRetrans"
	cRetransSegs     = "TcpRetransSegs"
	cTimeouts        = "TcpExtTCPTimeouts"
	cOutRsts         = "TcpOutRsts"
)

// Counters returns the nstat counters the branch moves in this model's era (nil when none, or for
// a name outside the vocabulary). Non-MIB evidence (softnet_stat, ethtool, conntrack -S, iptables
// counters) is described by Explain, not listed here.
func (m Model) Counters(branch string) []string {
	var c []string
	add := func(ok bool, names ...string) {
		if ok {
			c = append(c, names...)
		}
	}
	switch branch {
	case SynQueueFull:
		add(m.ReqQFullCounters, cReqQFullDrop)
		add(m.SynDropCounted, cListenDrops)
	case Syncookies:
		add(true, cCookiesSent)
		add(m.ReqQFullCounters, cReqQFullCookies)
		add(m.CookieCountsListenDrops, cListenDrops)
		add(true, cCookiesRecv, cCookiesFailed)
	case AcceptQueueFullSyn:
		add(m.SynDropCounted, cListenOverflows, cListenDrops)
	case AcceptQueueFullAck:
		add(true, cListenOverflows, cListenDrops)
	case AcceptQueueFullRst:
		add(true, cListenOverflows, cListenDrops, cEmbryonicRsts, cOutRsts)
	case LastQuarter:
		add(m.SynDropCounted, cListenDrops)
	case PAWSPassive:
		add(m.TwRecycle, cPAWSPassive)
		add(m.TwRecycle && m.SynDropCounted, cListenDrops)
	case PAWSTimewait:
		add(m.PAWSTimewaitCounter, cPAWSTimewait)
		add(!m.PAWSTimewaitCounter, cPAWSEstab)
		add(m.oowRateLimit(), cACKSkippedTW)
	case TimewaitSeq:
		add(m.oowRateLimit(), cACKSkippedTW)
	case SynToEstablished:
		add(!m.ChallengeACK, cAbortOnSyn)
		add(m.ChallengeACK, cSYNChallenge, cChallengeACK)
	case SynToSynRecv:
		add(true, cAttemptFails, cEmbryonicRsts)
		add(m.oowRateLimit(), cACKSkippedSR)
	case DeferAccept:
		add(m.threeZeroCounters(), cDeferAcceptDrop)
	case BacklogZero:
		add(m.BacklogZeroDrops, cReqQFullDrop, cListenDrops)
	case BacklogTruncated:
		if m.BacklogFieldBits == 16 && !m.SomaxconnClamped {
			add(true, cListenOverflows, cListenDrops)
		}
	case BroadcastDst, RequestFailure:
		add(m.SynDropCounted, cListenDrops)
	case LSMReject:
		add(m.lsm() && m.SynDropCounted, cListenDrops)
	case BadChecksum:
		add(true, cInErrs)
		add(m.inCsumErrors(), cInCsumErrors)
	case PreTCPDrop:
		c = append(m.preTCPNetCounters(), m.preTCPSockCounters()...)
	case RxDrop, Unknown:
		return nil
	case SynAckLost, ClientNeverAcked:
		add(true, cRetransSegs, cTimeouts)
		add(m.synRetransCounter(), cSynRetrans)
	case ClosedPort:
		add(true, cOutRsts)
	default:
		return nil
	}
	return c
}

// preTCPNetCounters: drops in IP input / routing (B21); netfilter and conntrack (B19/B20) move none.
func (m Model) preTCPNetCounters() []string {
	var c []string
	if m.threeZeroCounters() {
		c = append(c, cRPFilter)
	}
	return append(c, cIPInAddrErrors, cIPInHdrErrors, cIPInDiscards)
}

// preTCPSockCounters: socket-level filters in tcp_v4_rcv / tcp_v4_do_rcv (B18 minus checksum).
func (m Model) preTCPSockCounters() []string {
	var c []string
	if m.threeZeroCounters() {
		c = append(c, cMinTTLDrop)
	}
	if m.backlogDropCounter() {
		c = append(c, cBacklogDrop)
	}
	if m.pfmemallocCounter() {
		c = append(c, cPFMemallocDrop)
	}
	if m.md5() {
		c = append(c, cMD5NotFound, cMD5Unexpected)
	}
	if m.tcpAO() {
		c = append(c, cAORequired, cAOBad)
	}
	return c
}

// SYNPath returns, in order, the tests a SYN meets from the wire to a request sock in this era
// (§3 and the B18–B23 prefix). Entries for checks that do not exist in this era are omitted.
func (m Model) SYNPath() []Check {
	var p []Check
	add := func(branch, cond, log string) {
		p = append(p, Check{Branch: branch, Condition: cond, Counters: m.Counters(branch), Log: log})
	}
	add(RxDrop, "NIC RX ring overflow, XDP drop or per-CPU softnet backlog above net.core.netdev_max_backlog — before the AF_PACKET tap, so such SYNs are not in a server-side capture", "")
	ctLog := "nf_conntrack: table full, dropping packet (conntrack full only)"
	if m.isEL(5) {
		ctLog = "ip_conntrack: table full, dropping packet. (conntrack full only)"
	}
	p = append(p, Check{Branch: PreTCPDrop, Condition: "netfilter/nftables DROP, conntrack table full or INVALID, rp_filter failure, destination not local or frame not for this host (PACKET_OTHERHOST), bad IP header — after the tap: SYN visible, no listener counter moves (netfilter/conntrack drops move no TCP counter at all)",
		Counters: m.preTCPNetCounters(), Log: ctLog})
	add(BadChecksum, "TCP checksum of the incoming SYN is wrong (no RST is sent when a listener exists)", "")
	p = append(p, Check{Branch: PreTCPDrop, Condition: m.socketFilterText(), Counters: m.preTCPSockCounters()})
	add(TimewaitSeq, "4-tuple matches a TIME-WAIT socket and the SYN is neither above rcv_nxt nor carrying a newer timestamp: bare ACK instead of SYN-ACK", "")
	add(PAWSTimewait, "4-tuple matches a TIME-WAIT socket and SYN.TSval < ts_recent (PAWS): bare ACK", "")
	if m.ChallengeACK {
		add(SynToEstablished, "4-tuple matches an established socket: rate-limited challenge ACK (RFC 5961)", "")
	} else {
		add(SynToEstablished, "4-tuple matches an established socket: in-window SYN silently resets it, out-of-window gets a dup ACK", "")
	}
	add(SynToSynRecv, "4-tuple matches a pending request with a different ISN: out-of-window → bare ACK, in-window → RST", "")
	add(BroadcastDst, "destination is a broadcast or multicast address", "")
	if m.BacklogZeroDrops {
		add(BacklogZero, "B = 0 and tcp_syncookies = 0: qlen ≥ 0 is always true, every non-TW SYN takes the queue-full drop", m.floodLog(false))
	}
	qs := m.qsFormula()
	always := ""
	if m.SyncookiesAlways {
		always = "; with tcp_syncookies=2 every non-TW SYN takes the cookie path"
	}
	add(SynQueueFull, fmt.Sprintf("not a TIME-WAIT recycle and qlen ≥ Qs (%s) with tcp_syncookies=0", qs), m.floodLog(false))
	add(Syncookies, "same trigger with tcp_syncookies=1: a cookie SYN-ACK is sent and no request is kept"+always, m.floodLog(true))
	if m.YoungRule {
		add(AcceptQueueFullSyn, "accept queue full (acceptq > B, capacity B+1) AND young > 1 (at least two requests whose SYN-ACK was not yet retransmitted); checked after the cookie decision", "")
	} else {
		add(AcceptQueueFullSyn, "accept queue full (acceptq > B, capacity B+1), unconditionally; checked after the cookie decision, so cookies do not bypass it", "")
	}
	add(RequestFailure, "request sock allocation fails (GFP_ATOMIC)", "")
	if m.lsm() {
		add(LSMReject, "security_inet_conn_request denies the request (SELinux/Smack labeled networking)", "")
	}
	if m.ProvenPeerExempt {
		add(RequestFailure, "no route back to the client (route_req fails; looked up before the last-quarter test)", "")
	}
	if m.TwRecycle {
		cond := "tcp_tw_recycle=1, SYN has a timestamp, a per-IP stamp < 60 s old exists and (stamp − SYN.TSval) > 1"
		if m.tsNoTSReject() {
			cond += "; also a SYN without timestamp when a recent stamp exists"
		}
		add(PAWSPassive, cond, "")
	}
	add(LastQuarter, m.lastQuarterCondition(), m.lastQuarterLog())
	if !m.ProvenPeerExempt {
		add(RequestFailure, "no route back to the client, or SYN-ACK transmit error (request freed)", "")
	} else {
		add(RequestFailure, "SYN-ACK transmit error is ignored (request stays hashed and the timer retransmits)", "")
	}
	return p
}

func (m Model) socketFilterText() string {
	sock := "IP_MINTTL, IPsec policy, socket BPF filter"
	switch {
	case m.tcpAO():
		sock += ", TCP-MD5/TCP-AO key mismatch"
	case m.md5():
		sock += ", TCP-MD5 key mismatch"
	}
	sock += ", SYN+FIN (silently discarded, no counter)"
	if !m.lockless() {
		sock += ", listener owned by a user thread with its socket backlog over rcvbuf+sndbuf"
		if m.backlogDropCounter() {
			sock += " (TCPBacklogDrop)"
		}
	}
	if m.pfmemallocCounter() {
		sock += ", pfmemalloc skb to a non-memalloc socket"
	}
	return sock
}

func (m Model) lastQuarterCondition() string {
	base := "tcp_syncookies=0, not a TIME-WAIT recycle, qlen > M − (M>>2) (M = tcp_max_syn_backlog, e.g. M=128 → qlen > 96, M=1024 → qlen > 768)"
	switch {
	case m.ProvenPeerExempt:
		return base + " and the client IP is not proven (no tcp_metrics RTT for it refreshed within the last hour)"
	case m.TwRecycle && m.Version.atLeast(3, 19) || m.TwRecycle && m.isEL(7):
		return base + "; with tcp_tw_recycle=0 every client counts as unproven; with tcp_tw_recycle=1 the rule never runs"
	default:
		return base + "; with tcp_tw_recycle=0 every client counts as unproven; with tcp_tw_recycle=1 it runs only for SYNs without timestamps"
	}
}

func (m Model) lastQuarterLog() string {
	switch {
	case !m.Version.atLeast(2, 6, 20):
		return "TCP: drop open request from <ip>/<port> (KERN_DEBUG, only with CONFIG_NETDEBUG)"
	case !m.Version.atLeast(4, 0) || m.isEL(7):
		return "TCP: drop open request from <ip>/<port> (KERN_DEBUG via LIMIT_NETDEBUG; needs net.core.warnings=1, usually not in syslog)"
	default:
		return ""
	}
}
