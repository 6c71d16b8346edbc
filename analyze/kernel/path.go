package kernel

import "fmt"

// Check is one test a SYN meets on its way to (and inside) the listener, in the order of
// docs/kernel-eras.md#check-order.
type Check struct {
	Branch    string   // branch name from the vocabulary
	Condition string   // plain words, this era
	Counters  []string // nstat names moved in this era (empty when none, e.g. 2.6.x SYN-time drops)
	Log       string   // dmesg text if any in this era (docs/kernel-counters.md#kernel-log), else ""
}

// Counters returns the nstat counters the branch moves in this model's era,
// from the branch's record (nil when none, when the kernel does not have the
// branch, or for a name outside the vocabulary). Non-MIB evidence
// (softnet_stat, ethtool, conntrack -S, iptables counters) is described by
// Explain, not listed here.
func (m Model) Counters(branch string) []string {
	b, ok := Lookup(branch)
	if !ok || !b.Exists(m) {
		return nil
	}
	return m.moved(b.counters)
}

// moved filters counter rules for this model's kernel.
func (m Model) moved(moves []CounterMove) []string {
	var c []string
	for _, mv := range moves {
		if mv.In(m) {
			c = append(c, mv.Name)
		}
	}
	return c
}

// preTCPNetCounters: drops in IP input and routing (docs/kernel-branches.md#b21).
func (m Model) preTCPNetCounters() []string { return m.moved(preTCPNetMoves) }

// preTCPSockCounters: socket-level filters before the listener
// (docs/kernel-branches.md#b18, checksum apart).
func (m Model) preTCPSockCounters() []string { return m.moved(preTCPSockMoves) }

// SYNPath returns, in order, the tests a SYN meets from the wire to a request sock in this era
// (docs/kernel-eras.md#check-order, and before it docs/kernel-branches.md#b18 to #b23). Entries for checks that do not exist in this era are omitted.
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
