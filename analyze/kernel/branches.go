package kernel

import "strings"

// Branch is one entry of the vocabulary the analyzer attributes failed
// handshakes to: everything halfopen knows about one kernel code path, in
// one record. The analyzer, the reports and the terminal UI look branches
// up here (Lookup) instead of switching on their names.
//
// docs/kernel-branches.md describes each branch per kernel era; IDs are the
// catalogue entries there (anchors such as docs/kernel-branches.md#b04).
// They are for the docs and code comments only: no text a user reads
// carries them.
type Branch struct {
	Name   string // vocabulary name, the "branch" value in reports
	Title  string // short human title
	Family Family // what happened to the handshake
	Drop   bool   // the kernel dropped or refused the SYN or the handshake ACK
	// SynDropCounters marks a silently dropped SYN whose branch the
	// listener's SYN-drop counters (ListenOverflows, ListenDrops,
	// TCPReqQFullDrop, PAWSPassive) can confirm or re-attribute. Branches
	// the packets alone decide (a bad checksum, a broadcast destination)
	// are not marked.
	SynDropCounters bool
	// Limits are the listener limits (ss values and sysctls) that decide
	// the branch, in the order a reader checks them: the UI marks them in
	// the limits panel; reports quote them as evidence for queue branches.
	Limits []Limit
	IDs    []string // catalogue entries in docs/kernel-branches.md, e.g. ["B18","B19","B20","B21"]

	counters []CounterMove             // the counters the branch moves, each with the kernels that count it
	exists   func(Model) bool          // nil: every kernel has the branch
	explain  func(Model, *Explanation) // fills an Explanation (see Explain)
}

// Family groups branches by what happened to the handshake.
type Family string

// Families.
const (
	FamilySynDrop  Family = "syn_drop"   // the listener dropped the SYN without an answer
	FamilyAckDrop  Family = "ack_drop"   // the handshake's final ACK was dropped or refused
	FamilyAnswered Family = "answered"   // the SYN got another answer than a SYN-ACK: a bare ACK or a RST
	FamilyPreTCP   Family = "pre_tcp"    // dropped before TCP saw it: NIC, softnet, netfilter, routing, checksum
	FamilyNotDrop  Family = "not_a_drop" // the server did its part (a syncookie, a SYN-ACK lost after the tap)
	FamilyClient   Family = "client"     // the server answered; the client never completed the handshake
	FamilyUnknown  Family = "unknown"    // the evidence does not single out a branch
)

// Limit names one of a listener's effective limits: an ss value or a
// sysctl that decides a branch.
type Limit string

// Limits.
const (
	LimitBacklog         Limit = "backlog" // listen backlog B (ss Send-Q)
	LimitSomaxconn       Limit = "somaxconn"
	LimitAcceptQueue     Limit = "acceptq" // accept queue capacity B+1
	LimitAcceptDepth     Limit = "depth"   // deepest accept queue seen (ss Recv-Q)
	LimitSynQueue        Limit = "synq"    // SYN queue capacity Qs
	LimitMaxSynBacklog   Limit = "maxsyn"
	LimitSyncookies      Limit = "cookies"
	LimitAbortOnOverflow Limit = "abort"
	LimitTwRecycle       Limit = "recycle"
)

// Sysctl returns the sysctl key behind a limit, or "" for the limits ss
// shows or the model computes.
func (l Limit) Sysctl() string {
	switch l {
	case LimitSomaxconn:
		return SysctlSomaxconn
	case LimitMaxSynBacklog:
		return SysctlMaxSynBacklog
	case LimitSyncookies:
		return SysctlSyncookies
	case LimitAbortOnOverflow:
		return SysctlAbortOnOverflow
	case LimitTwRecycle:
		return SysctlTwRecycle
	}
	return ""
}

// CounterMove is one counter a branch moves and the kernels that count it.
type CounterMove struct {
	Name    string // a Counter… constant
	Kernels string // in words, e.g. "3.7+ and RHEL7"; "all" when every kernel counts it
	on      func(Model) bool
}

// In reports whether the model's kernel moves the counter for the branch.
func (c CounterMove) In(m Model) bool { return c.on == nil || c.on(m) }

// QueueLimited reports whether the listener's queue limits decide the
// branch (the listen backlog, the accept or the SYN queue): reports then
// quote the listener's limits as evidence and order the fix by them.
func (b Branch) QueueLimited() bool {
	for _, l := range b.Limits {
		switch l {
		case LimitBacklog, LimitAcceptQueue, LimitSynQueue:
			return true
		}
	}
	return false
}

// DecidedBy reports whether a limit is among the branch's decisive limits.
func (b Branch) DecidedBy(l Limit) bool {
	for _, x := range b.Limits {
		if x == l {
			return true
		}
	}
	return false
}

// Exists reports whether the model's kernel has the branch at all
// (paws_passive is gone from 4.12, backlog_zero exists only on 4.4–6.12…).
// Explain says why not when it does not.
func (b Branch) Exists(m Model) bool { return b.exists == nil || b.exists(m) }

// CounterMoves returns the counters the branch moves on any kernel, each
// with the kernels that count it. Model.Counters filters them for one kernel.
func (b Branch) CounterMoves() []CounterMove { return append([]CounterMove(nil), b.counters...) }

// DocRef is where the docs describe the branch: its section in
// docs/kernel-branches.md, anchored by the branch name.
func (b Branch) DocRef() string { return "docs/kernel-branches.md#" + b.Name }

// Vocabulary names.
const (
	SynQueueFull       = "syn_queue_full"
	Syncookies         = "syncookies"
	AcceptQueueFullSyn = "accept_queue_full_syn"
	AcceptQueueFullAck = "accept_queue_full_ack"
	AcceptQueueFullRst = "accept_queue_full_rst"
	LastQuarter        = "last_quarter"
	PAWSPassive        = "paws_passive"
	PAWSTimewait       = "paws_timewait"
	TimewaitSeq        = "timewait_seq"
	SynToEstablished   = "syn_to_established"
	SynToSynRecv       = "syn_to_synrecv"
	DeferAccept        = "defer_accept"
	BacklogZero        = "backlog_zero"
	BacklogTruncated   = "backlog_truncated"
	BroadcastDst       = "broadcast_dst"
	LSMReject          = "lsm_reject"
	RequestFailure     = "request_failure"
	BadChecksum        = "bad_checksum"
	PreTCPDrop         = "pre_tcp_drop"
	RxDrop             = "rx_drop"
	SynAckLost         = "synack_lost"
	ClosedPort         = "closed_port"
	ClientNeverAcked   = "client_never_acked"
	Unknown            = "unknown"
)

// Limit sets shared by several branches.
var (
	acceptLimits = []Limit{LimitBacklog, LimitSomaxconn, LimitAcceptQueue, LimitAcceptDepth}
	synqLimits   = []Limit{LimitSynQueue, LimitMaxSynBacklog, LimitSyncookies, LimitBacklog}
)

// Counter rules shared by several branches: which kernels count what.
var (
	// SYN-time listener drops move ListenDrops (and ListenOverflows) from
	// 3.7 and in RHEL7 (docs/kernel-eras.md#f8).
	synDropCounted = func(m Model) bool { return m.SynDropCounted }
	reqQFull       = func(m Model) bool { return m.ReqQFullCounters }
	oowRateLimit   = func(m Model) bool { return m.oowRateLimit() }
	threeZero      = func(m Model) bool { return m.threeZeroCounters() }

	listenDropsAtSyn = CounterMove{CounterListenDrops, "3.7+ and RHEL7", synDropCounted}
	retransCounters  = []CounterMove{
		{CounterRetransSegs, "all", nil},
		{CounterTimeouts, "all", nil},
		{CounterSynRetrans, "4.0+", func(m Model) bool { return m.synRetransCounter() }},
	}
	// Drops in IP input and routing (docs/kernel-branches.md#b21);
	// netfilter and conntrack (#b19, #b20) move no counter at all.
	preTCPNetMoves = []CounterMove{
		{CounterIPReversePathFilter, "3.0+", threeZero},
		{CounterIPInAddrErrors, "all", nil},
		{CounterIPInHdrErrors, "all", nil},
		{CounterIPInDiscards, "all", nil},
	}
	// Socket-level filters in tcp_v4_rcv / tcp_v4_do_rcv
	// (docs/kernel-branches.md#b18, checksum apart).
	preTCPSockMoves = []CounterMove{
		{CounterMinTTLDrop, "3.0+", threeZero},
		{CounterBacklogDrop, "3.0–4.3, RHEL6 and RHEL7", func(m Model) bool { return m.backlogDropCounter() }},
		{CounterPFMemallocDrop, "4.11+", func(m Model) bool { return m.pfmemallocCounter() }},
		{CounterMD5NotFound, "2.6.20+", func(m Model) bool { return m.md5() }},
		{CounterMD5Unexpected, "2.6.20+", func(m Model) bool { return m.md5() }},
		{CounterAORequired, "6.7+", func(m Model) bool { return m.tcpAO() }},
		{CounterAOBad, "6.7+", func(m Model) bool { return m.tcpAO() }},
	}
)

// branches is the table every lookup reads, in the vocabulary's fixed
// order. It is filled in init: the explainers refer back to it.
var branches []Branch

func init() {
	branches = []Branch{
		{
			Name: SynQueueFull, IDs: []string{"B01"}, Family: FamilySynDrop, Drop: true, SynDropCounters: true,
			Title:  "SYN queue full with syncookies off: SYN dropped",
			Limits: synqLimits,
			counters: []CounterMove{
				{CounterReqQFullDrop, "3.2+ (bracketed, UNVERIFIED) and RHEL7", reqQFull},
				listenDropsAtSyn,
			},
			explain: explainSynQueueFull,
		},
		{
			Name: Syncookies, IDs: []string{"B02", "B03"}, Family: FamilyNotDrop,
			Title:  "SYN answered with a syncookie (stateless SYN-ACK)",
			Limits: synqLimits,
			counters: []CounterMove{
				{CounterSyncookiesSent, "all", nil},
				{CounterReqQFullDoCookies, "3.2+ (bracketed, UNVERIFIED) and RHEL7", reqQFull},
				{CounterListenDrops, "3.7–4.6 and RHEL7", func(m Model) bool { return m.CookieCountsListenDrops }},
				{CounterSyncookiesRecv, "all", nil},
				{CounterSyncookiesFailed, "all", nil},
			},
			explain: explainSyncookies,
		},
		{
			Name: AcceptQueueFullSyn, IDs: []string{"B04"}, Family: FamilySynDrop, Drop: true, SynDropCounters: true,
			Title:  "Accept queue full when the SYN arrived: SYN dropped",
			Limits: acceptLimits,
			counters: []CounterMove{
				{CounterListenOverflows, "3.7+ and RHEL7", synDropCounted},
				listenDropsAtSyn,
			},
			explain: explainAcceptSyn,
		},
		{
			Name: AcceptQueueFullAck, IDs: []string{"B07"}, Family: FamilyAckDrop, Drop: true,
			Title:    "Accept queue full when the handshake ACK arrived: ACK dropped, SYN-ACK retransmitted",
			Limits:   acceptLimits,
			counters: []CounterMove{{CounterListenOverflows, "all", nil}, {CounterListenDrops, "all", nil}},
			explain:  explainAcceptAck,
		},
		{
			Name: AcceptQueueFullRst, IDs: []string{"B08"}, Family: FamilyAckDrop, Drop: true,
			Title:  "Accept queue full with tcp_abort_on_overflow=1: handshake ACK answered by RST",
			Limits: append(append([]Limit(nil), acceptLimits...), LimitAbortOnOverflow),
			counters: []CounterMove{
				{CounterListenOverflows, "all", nil}, {CounterListenDrops, "all", nil},
				{CounterEmbryonicRsts, "all", nil}, {CounterOutRsts, "all", nil},
			},
			explain: explainAcceptRst,
		},
		{
			Name: LastQuarter, IDs: []string{"B05"}, Family: FamilySynDrop, Drop: true, SynDropCounters: true,
			Title:    "Last quarter of tcp_max_syn_backlog reserved for proven peers: SYN dropped",
			Limits:   []Limit{LimitMaxSynBacklog, LimitSynQueue, LimitSyncookies},
			counters: []CounterMove{listenDropsAtSyn},
			explain:  explainLastQuarter,
		},
		{
			Name: PAWSPassive, IDs: []string{"B06"}, Family: FamilySynDrop, Drop: true, SynDropCounters: true,
			Title:  "tcp_tw_recycle PAWS check rejected the SYN (timestamp older than the peer's)",
			Limits: []Limit{LimitTwRecycle},
			counters: []CounterMove{
				{CounterPAWSPassive, "up to 4.11", nil},
				listenDropsAtSyn,
			},
			exists:  func(m Model) bool { return m.TwRecycle },
			explain: explainPAWSPassive,
		},
		{
			Name: PAWSTimewait, IDs: []string{"B09"}, Family: FamilyAnswered, Drop: true,
			Title: "SYN hit a TIME-WAIT socket and failed PAWS: answered by a bare ACK",
			counters: []CounterMove{
				{CounterPAWSTimewait, "6.16+", func(m Model) bool { return m.PAWSTimewaitCounter }},
				{CounterPAWSEstab, "up to 6.15", func(m Model) bool { return !m.PAWSTimewaitCounter }},
				{CounterACKSkippedTimeWait, "4.0+, when the answer is rate-limited", oowRateLimit},
			},
			explain: explainPAWSTimewait,
		},
		{
			Name: TimewaitSeq, IDs: []string{"B09"}, Family: FamilyAnswered, Drop: true,
			Title:    "SYN hit a TIME-WAIT socket with an old sequence number: answered by a bare ACK",
			counters: []CounterMove{{CounterACKSkippedTimeWait, "4.0+, when the answer is rate-limited", oowRateLimit}},
			explain:  explainTimewaitSeq,
		},
		{
			Name: SynToEstablished, IDs: []string{"B10"}, Family: FamilyAnswered, Drop: true,
			Title: "SYN for the 4-tuple of a live connection: challenge ACK / silent reset",
			counters: []CounterMove{
				{CounterAbortOnSyn, "up to 3.5", func(m Model) bool { return !m.ChallengeACK }},
				{CounterSYNChallenge, "3.6+ and RHEL7", func(m Model) bool { return m.ChallengeACK }},
				{CounterChallengeACK, "3.6+ and RHEL7", func(m Model) bool { return m.ChallengeACK }},
			},
			explain: explainSynToEstablished,
		},
		{
			Name: SynToSynRecv, IDs: []string{"B11"}, Family: FamilyAnswered, Drop: true,
			Title: "SYN with a new ISN hit a pending request of the same 4-tuple",
			counters: []CounterMove{
				{CounterAttemptFails, "all", nil}, {CounterEmbryonicRsts, "all", nil},
				{CounterACKSkippedSynRecv, "4.0+, when the answer is rate-limited", oowRateLimit},
			},
			explain: explainSynToSynRecv,
		},
		{
			Name: DeferAccept, IDs: []string{"B12"}, Family: FamilyAckDrop, Drop: true,
			Title:    "TCP_DEFER_ACCEPT listener dropped the bare handshake ACK",
			counters: []CounterMove{{CounterDeferAcceptDrop, "3.0+", threeZero}},
			explain:  explainDeferAccept,
		},
		{
			Name: BacklogZero, IDs: []string{"B13"}, Family: FamilySynDrop, Drop: true, SynDropCounters: true,
			Title:    "listen() backlog 0 with syncookies off: every SYN dropped",
			Limits:   synqLimits,
			counters: []CounterMove{{CounterReqQFullDrop, "4.4–6.12", nil}, {CounterListenDrops, "4.4–6.12", nil}},
			exists:   func(m Model) bool { return m.BacklogZeroDrops },
			explain:  explainBacklogZero,
		},
		{
			Name: BacklogTruncated, IDs: []string{"B14"}, Family: FamilySynDrop, Drop: true,
			Title:    "somaxconn > 65535 truncated the backlog modulo 65536",
			Limits:   acceptLimits,
			counters: []CounterMove{{CounterListenOverflows, "where it exists", nil}, {CounterListenDrops, "where it exists", nil}},
			exists:   func(m Model) bool { return m.BacklogFieldBits == 16 && !m.SomaxconnClamped },
			explain:  explainBacklogTruncated,
		},
		{
			Name: BroadcastDst, IDs: []string{"B15"}, Family: FamilySynDrop, Drop: true,
			Title:    "SYN to a broadcast or multicast address dropped",
			counters: []CounterMove{listenDropsAtSyn},
			explain:  explainBroadcast,
		},
		{
			Name: LSMReject, IDs: []string{"B16"}, Family: FamilySynDrop, Drop: true,
			Title:    "Security module (SELinux/Smack) rejected the connection request",
			counters: []CounterMove{listenDropsAtSyn},
			exists:   func(m Model) bool { return m.lsm() },
			explain:  explainLSM,
		},
		{
			Name: RequestFailure, IDs: []string{"B17"}, Family: FamilySynDrop, Drop: true,
			Title:    "Request allocation, return route or SYN-ACK transmit failed",
			counters: []CounterMove{listenDropsAtSyn},
			explain:  explainRequestFailure,
		},
		{
			Name: BadChecksum, IDs: []string{"B18"}, Family: FamilyPreTCP, Drop: true,
			Title: "SYN with a bad TCP checksum dropped",
			counters: []CounterMove{
				{CounterInErrs, "all", nil},
				{CounterInCsumErrors, "3.10+", func(m Model) bool { return m.inCsumErrors() }},
			},
			explain: explainBadChecksum,
		},
		{
			Name: PreTCPDrop, IDs: []string{"B18", "B19", "B20", "B21"}, Family: FamilyPreTCP, Drop: true, SynDropCounters: true,
			Title:    "Dropped before the listener: netfilter, conntrack, rp_filter/not-for-us or a socket-level filter",
			counters: append(append([]CounterMove(nil), preTCPNetMoves...), preTCPSockMoves...),
			explain:  explainPreTCP,
		},
		{
			Name: RxDrop, IDs: []string{"B22", "B23"}, Family: FamilyPreTCP, Drop: true,
			Title:   "Dropped by the NIC ring or softnet backlog (before the capture tap)",
			explain: explainRxDrop,
		},
		{
			Name: SynAckLost, IDs: []string{"B25"}, Family: FamilyNotDrop,
			Title:    "SYN-ACK sent but lost after the capture point",
			counters: retransCounters,
			explain:  explainSynAckLost,
		},
		{
			Name: ClosedPort, Family: FamilyAnswered, Drop: true,
			Title:    "Nothing listens on the port: SYN answered by RST",
			counters: []CounterMove{{CounterOutRsts, "all", nil}},
			explain:  explainClosedPort,
		},
		{
			Name: ClientNeverAcked, Family: FamilyClient,
			Title:    "Server answered but the client never completed the handshake",
			counters: retransCounters,
			explain:  explainClientNeverAcked,
		},
		{
			Name: Unknown, Family: FamilyUnknown, SynDropCounters: true,
			Title:   "Not attributable with the available evidence",
			explain: explainUnknown,
		},
	}
}

// Rank orders branches for reports, strongest claim first: 0 where the
// server dropped or refused something, 1 for server-side events that are
// not drops (a syncookie, a SYN-ACK lost after the tap) and for names
// outside the vocabulary, 2 where the client never completed (the server
// did its part), 3 for unknown.
func Rank(name string) int {
	b, _ := Lookup(name)
	switch {
	case b.Drop:
		return 0
	case b.Family == FamilyClient:
		return 2
	case b.Family == FamilyUnknown:
		return 3
	}
	return 1
}

// Branches returns the vocabulary in its fixed order.
func Branches() []Branch {
	out := make([]Branch, len(branches))
	for i, b := range branches {
		out[i] = b.copy()
	}
	return out
}

// Lookup finds a branch by vocabulary name.
func Lookup(name string) (Branch, bool) {
	for _, b := range branches {
		if b.Name == name {
			return b.copy(), true
		}
	}
	return Branch{}, false
}

// copy keeps callers from changing the table through shared slices.
func (b Branch) copy() Branch {
	b.IDs = append([]string(nil), b.IDs...)
	b.Limits = append([]Limit(nil), b.Limits...)
	b.counters = append([]CounterMove(nil), b.counters...)
	return b
}

func branchNames() []string {
	out := make([]string, len(branches))
	for i, b := range branches {
		out[i] = b.Name
	}
	return out
}

// vocabulary lists the names for error messages.
func vocabulary() string { return strings.Join(branchNames(), ", ") }
