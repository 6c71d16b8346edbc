package analyze

// Confidence is how sure a verdict is that its branch dropped the
// handshakes, from 0 to 1. It is not a measured probability: the levels
// below were set by hand, judgement by judgement, as a ranking of kinds of
// evidence, and have not been fitted to data. The samples
// (samples/*/expected.json, where the kernel's own counters give the
// answer) and the lab's kernel oracle check the branches they lead to, and
// that weak evidence stays at or below even, not the numbers themselves.
// What earns each level:
//
//   - the packets say where the handshake stopped (the phase: SYN
//     unanswered, ACK ignored, RST after ACK…); that alone is plausible,
//   - a mechanism the packets show with one reading (a bare ACK on a live
//     4-tuple, a RST with no listener, a stripped cookie SYN-ACK) is clear,
//   - a snapshot taken at that moment that states the cause (ss showing the
//     accept queue full, a sysctl that selects the branch) confirms it,
//   - one observation only that branch produces (a matching firewall rule
//     that counted packets, a broadcast destination, tcp_syncookies=2) is
//     decisive,
//   - estimates from the capture alone (queue depths reconstructed from
//     the packets, comparisons with other clients) stay at or below even.
//
// Listener-wide evidence then moves a judgement by the adjustments further
// down (counters that agree raise it, a sysctl or a kernel that rules the
// branch out drops it to unknown), and the result is kept within
// [confFloor, confCeiling]: nothing here is ever certain.
//
// Reports show confidences with two decimals; sample and golden tests
// depend on these exact values, so a change here is a change of output.
const (
	confCeiling = 0.97 // the most a verdict may claim
	confFloor   = 0.05 // the least: a verdict is never "impossible", only ruled out to unknown

	// One observation that only this branch produces: a firewall rule
	// that matches and counted packets, a SYN to a broadcast address, a
	// bad checksum where SYNs with good ones were answered,
	// tcp_syncookies=2, the kernel counting cookie SYN-ACKs.
	confDecisive = 0.9
	// The packets' picture and a snapshot taken at that moment agree: the
	// ACK was ignored and ss shows the accept queue full at the ACK. (A
	// near-duplicate of confConfirmed and confDecisive, kept for its
	// output; it sits between them because two sources agree.)
	confCorroborated = 0.88
	// A snapshot or a packet detail states the cause: ss shows the accept
	// queue full at the SYN, tcp_abort_on_overflow=1 with a RST after the
	// ACK, tcp_tw_recycle=1 with an older TSval, a TSval below the
	// TIME-WAIT socket's, the SYN queue at or above its computed capacity
	// with cookies on.
	confConfirmed = 0.85
	// The packets show a mechanism with one reading: PACKET_OTHERHOST, a
	// RST with no listener, a bare ACK on a 4-tuple still open or with an
	// old sequence number, a stripped cookie SYN-ACK, a held bare ACK
	// released by data.
	confClear = 0.8
	// The packets against a capacity computed from the snapshots: half-open
	// handshakes at 90% of the SYN queue's capacity; a deferred SYN-ACK.
	confComputed = 0.75
	// Packets and a threshold from the snapshots, or counters alone: the
	// last-quarter threshold crossed, unaccepted connections at the
	// backlog, a RST only some clients got, a drop the capture does not
	// show but the counters count.
	confLikely = 0.7
	// The packets show the pattern and the kernel has the mechanism, but
	// the sysctl that enables it is unknown (tcp_tw_recycle's PAWS check).
	confSuggested = 0.65
	// The packets say where the handshake stopped, not why: SYN-ACK lost,
	// ACK ignored, RST after the ACK, the client never acknowledging.
	confPlausible = 0.6
	// Other clients got through at the same moment and queue depths: a
	// drop aimed at this client, source not yet settled.
	confLeaning = 0.55
	// Queue estimates from the capture alone, or evidence both ways: also
	// the cap for a candidate the rest of the capture contradicts.
	confEven = 0.5
	// A pattern with more than one reading: a bare ACK without an earlier
	// connection in the capture, half-open handshakes at the highest depth
	// seen when SYNs were answered.
	confTentative = 0.45
	// Only an absence: no SYN to the listener was answered at all.
	confWeak = 0.35
	// A snapshot speaks against the obvious branch and nothing better is
	// known (a RST after the ACK with tcp_abort_on_overflow=0).
	confDoubtful = 0.3
	// Nothing singles out a branch.
	confUnknown = 0.2
)

// Adjustments by listener-wide evidence: counters, sysctls and the kernel
// (see server.weigh and server.adjust). Positive values raise a verdict,
// the ruled-out ones are subtracted.
const (
	// A sysctl, the kernel era or a flat counter rules the branch out: the
	// verdict becomes unknown, this much lower.
	confRuledOut = 0.3
	// A client-side capture without server snapshots cannot claim a silent
	// server-side drop: unknown, this much lower.
	confClientSideOnly = 0.2
	// The listener's SYN-drop counters name the same branch as the packets.
	confCountersAgree = 0.2
	// Every listener counter stayed flat while SYNs vanished: the
	// signature of a drop before TCP that the capture alone could only
	// suspect.
	confCountersSilent = 0.45
	// The counters name a branch for an unknown or pre-TCP candidate.
	confCountersName = 0.35
	// The counters point to another branch than the packets: it is taken,
	// with little more confidence than the packets had.
	confCountersOverrule = 0.1
	// The branch's own counter moved (PAWSPassive, PAWSEstab/Timewait), or
	// TcpOutRsts shows the RSTs were not all TCP's.
	confCounterMoved = 0.1
	// The branch's own counter stayed flat where it would count.
	confCounterFlat = 0.15
	// ListenOverflows moved for an ACK the server ignored.
	confOverflowCounted = 0.25
	// ListenOverflows stayed flat for an ACK the server ignored.
	confNoOverflow = 0.35
	// TCPDeferAcceptDrop moved for a deferred-accept verdict.
	confDeferCounted = 0.35
	// The counters turn an ignored ACK into TCP_DEFER_ACCEPT.
	confDeferInstead = 0.2
	// The counters turn TCP_DEFER_ACCEPT into an accept-queue overflow.
	confOverflowInstead = 0.3
	// No listener counter moved for an ignored ACK: dropped before TCP.
	confAckNeverArrived = 0.15
	// TcpOutRsts decides between a closed listener and a REJECT rule.
	confResetsCounted = 0.2
	// TcpOutRsts confirms that TCP itself refused the SYNs.
	confResetsFromTCP = 0.3
	// TcpInCsumErrors moved with a bad-checksum verdict (the packets
	// already showed the checksum).
	confCsumCounted = 0.05
	// tcp_abort_on_overflow=1 makes a silently ignored ACK less likely.
	confAbortOnOverflow = 0.25
)
