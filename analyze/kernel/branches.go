package kernel

// Branch is one entry of the vocabulary the analyzer attributes unanswered SYNs to.
type Branch struct {
	Name  string   // vocabulary name
	IDs   []string // catalogue ids in drop-branches.md §4, e.g. ["B04"], ["B19","B20","B21"]
	Title string   // short human title
	Drop  bool     // true when the kernel drops/rejects the SYN or the handshake ACK
}

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

var branches = []Branch{
	{SynQueueFull, []string{"B01"}, "SYN queue full with syncookies off: SYN dropped", true},
	{Syncookies, []string{"B02", "B03"}, "SYN answered with a syncookie (stateless SYN-ACK)", false},
	{AcceptQueueFullSyn, []string{"B04"}, "Accept queue full when the SYN arrived: SYN dropped", true},
	{AcceptQueueFullAck, []string{"B07"}, "Accept queue full when the handshake ACK arrived: ACK dropped, SYN-ACK retransmitted", true},
	{AcceptQueueFullRst, []string{"B08"}, "Accept queue full with tcp_abort_on_overflow=1: handshake ACK answered by RST", true},
	{LastQuarter, []string{"B05"}, "Last quarter of tcp_max_syn_backlog reserved for proven peers: SYN dropped", true},
	{PAWSPassive, []string{"B06"}, "tcp_tw_recycle PAWS check rejected the SYN (timestamp older than the peer's)", true},
	{PAWSTimewait, []string{"B09"}, "SYN hit a TIME-WAIT socket and failed PAWS: answered by a bare ACK", true},
	{TimewaitSeq, []string{"B09"}, "SYN hit a TIME-WAIT socket with an old sequence number: answered by a bare ACK", true},
	{SynToEstablished, []string{"B10"}, "SYN for the 4-tuple of a live connection: challenge ACK / silent reset", true},
	{SynToSynRecv, []string{"B11"}, "SYN with a new ISN hit a pending request of the same 4-tuple", true},
	{DeferAccept, []string{"B12"}, "TCP_DEFER_ACCEPT listener dropped the bare handshake ACK", true},
	{BacklogZero, []string{"B13"}, "listen() backlog 0 with syncookies off: every SYN dropped", true},
	{BacklogTruncated, []string{"B14"}, "somaxconn > 65535 truncated the backlog modulo 65536", true},
	{BroadcastDst, []string{"B15"}, "SYN to a broadcast or multicast address dropped", true},
	{LSMReject, []string{"B16"}, "Security module (SELinux/Smack) rejected the connection request", true},
	{RequestFailure, []string{"B17"}, "Request allocation, return route or SYN-ACK transmit failed", true},
	{BadChecksum, []string{"B18"}, "SYN with a bad TCP checksum dropped", true},
	{PreTCPDrop, []string{"B18", "B19", "B20", "B21"}, "Dropped before the listener: netfilter, conntrack, rp_filter/not-for-us or a socket-level filter", true},
	{RxDrop, []string{"B22", "B23"}, "Dropped by the NIC ring or softnet backlog (before the capture tap)", true},
	{SynAckLost, []string{"B25"}, "SYN-ACK sent but lost after the capture point", false},
	{ClosedPort, nil, "Nothing listens on the port: SYN answered by RST", true},
	{ClientNeverAcked, nil, "Server answered but the client never completed the handshake", false},
	{Unknown, nil, "Not attributable with the available evidence", false},
}

// Branches returns the vocabulary in its fixed order.
func Branches() []Branch {
	out := make([]Branch, len(branches))
	for i, b := range branches {
		b.IDs = append([]string(nil), b.IDs...)
		out[i] = b
	}
	return out
}

// Lookup finds a branch by vocabulary name.
func Lookup(name string) (Branch, bool) {
	for _, b := range branches {
		if b.Name == name {
			b.IDs = append([]string(nil), b.IDs...)
			return b, true
		}
	}
	return Branch{}, false
}

func branchNames() []string {
	out := make([]string, len(branches))
	for i, b := range branches {
		out[i] = b.Name
	}
	return out
}
