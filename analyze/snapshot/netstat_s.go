package snapshot

import (
	"strings"
)

// `netstat -s` (net-tools statistics.c) prints each counter of /proc/net/snmp, /proc/net/netstat
// (and /proc/net/snmp6 with -6) either as a sentence from its tables or, for fields it does not
// know, as "Name: value" under the section title (only when non-zero). TcpExt sentences are
// printed only when non-zero, the Tcp/Udp/Ip "number" ones always.
//
// Sentences below are normalised: lower case, single spaces, no trailing '.', the number
// replaced by '#'. Sources: net-tools 2.10 (the binary on this machine, and its statistics.c as
// published in ecki/net-tools), the 1997 original, and net-tools 1.60 outputs quoted in kernel
// mailing-list posts and blog posts (RHEL 5–7 era). Entries marked "guessed" are variants no
// source showed verbatim.
var netstatTables = []struct {
	section   string // "Icmp/in" = inside "ICMP input histogram:"
	name      string // nstat name
	sentences []string
}{
	// ---- Ip (/proc/net/snmp) ----
	{"Ip", "IpInReceives", []string{"# total packets received"}},
	{"Ip", "IpInHdrErrors", []string{"# with invalid headers"}},
	{"Ip", "IpInAddrErrors", []string{"# with invalid addresses"}},
	{"Ip", "IpForwDatagrams", []string{"# forwarded"}},
	{"Ip", "IpInUnknownProtos", []string{"# with unknown protocol"}},
	{"Ip", "IpInDiscards", []string{"# incoming packets discarded"}},
	{"Ip", "IpInDelivers", []string{"# incoming packets delivered"}},
	{"Ip", "IpOutRequests", []string{"# requests sent out"}},
	{"Ip", "IpOutDiscards", []string{"# outgoing packets dropped"}},
	{"Ip", "IpOutNoRoutes", []string{"# dropped because of missing route"}},
	{"Ip", "IpReasmTimeout", []string{"# fragments dropped after timeout"}},
	{"Ip", "IpReasmReqds", []string{"# reassemblies required"}},
	{"Ip", "IpReasmOKs", []string{"# packets reassembled ok"}},
	{"Ip", "IpReasmFails", []string{"# packet reassemblies failed", "# packet reassembles failed"}},
	{"Ip", "IpFragOKs", []string{"# outgoing packets fragmented ok", "# fragments received ok"}},
	{"Ip", "IpFragFails", []string{"# outgoing packets failed fragmentation", "# fragments failed"}},
	{"Ip", "IpFragCreates", []string{"# fragments created"}},
	{"Ip", "IpDefaultTTL", []string{"default ttl is #"}},

	// ---- Icmp ----
	{"Icmp", "IcmpInMsgs", []string{"# icmp messages received"}},
	{"Icmp", "IcmpInErrors", []string{"# input icmp message failed"}},
	{"Icmp", "IcmpOutMsgs", []string{"# icmp messages sent"}},
	{"Icmp", "IcmpOutErrors", []string{"# icmp messages failed"}},
	{"Icmp/in", "IcmpInDestUnreachs", []string{"destination unreachable: #"}},
	{"Icmp/in", "IcmpInTimeExcds", []string{"timeout in transit: #"}},
	{"Icmp/in", "IcmpInParmProbs", []string{"wrong parameters: #"}},
	{"Icmp/in", "IcmpInSrcQuenchs", []string{"source quenches: #", "source quenchs: #"}},
	{"Icmp/in", "IcmpInRedirects", []string{"redirects: #"}},
	{"Icmp/in", "IcmpInEchos", []string{"echo requests: #"}},
	{"Icmp/in", "IcmpInEchoReps", []string{"echo replies: #"}},
	{"Icmp/in", "IcmpInTimestamps", []string{"timestamp request: #"}},
	{"Icmp/in", "IcmpInTimestampReps", []string{"timestamp reply: #"}},
	{"Icmp/in", "IcmpInAddrMasks", []string{"address mask request: #"}},
	{"Icmp/in", "IcmpInAddrMaskReps", []string{"address mask replies: #"}},
	{"Icmp/out", "IcmpOutDestUnreachs", []string{"destination unreachable: #"}},
	{"Icmp/out", "IcmpOutTimeExcds", []string{"time exceeded: #"}},
	{"Icmp/out", "IcmpOutParmProbs", []string{"wrong parameters: #"}},
	{"Icmp/out", "IcmpOutSrcQuenchs", []string{"source quench: #"}},
	{"Icmp/out", "IcmpOutRedirects", []string{"redirect: #"}},
	{"Icmp/out", "IcmpOutEchos", []string{"echo requests: #", "echo request: #"}},
	{"Icmp/out", "IcmpOutEchoReps", []string{"echo replies: #"}},
	{"Icmp/out", "IcmpOutTimestamps", []string{"timestamp requests: #"}},
	{"Icmp/out", "IcmpOutTimestampReps", []string{"timestamp replies: #"}},
	{"Icmp/out", "IcmpOutAddrMasks", []string{"address mask requests: #"}},
	{"Icmp/out", "IcmpOutAddrMaskReps", []string{"address mask replies: #"}},

	// ---- Tcp ----
	{"Tcp", "TcpActiveOpens", []string{"# active connection openings", "# active connections openings", "# active opens"}},
	{"Tcp", "TcpPassiveOpens", []string{"# passive connection openings", "# passive opens"}},
	{"Tcp", "TcpAttemptFails", []string{"# failed connection attempts"}},
	{"Tcp", "TcpEstabResets", []string{"# connection resets received"}},
	{"Tcp", "TcpCurrEstab", []string{"# connections established"}},
	{"Tcp", "TcpInSegs", []string{"# segments received"}},
	{"Tcp", "TcpOutSegs", []string{"# segments sent out", "# segments send out"}},
	{"Tcp", "TcpRetransSegs", []string{"# segments retransmitted", "# segments retransmited"}},
	{"Tcp", "TcpInErrs", []string{"# bad segments received"}},
	{"Tcp", "TcpOutRsts", []string{"# resets sent"}},

	// ---- Udp ----
	{"Udp", "UdpInDatagrams", []string{"# packets received"}},
	{"Udp", "UdpNoPorts", []string{"# packets to unknown port received"}},
	{"Udp", "UdpInErrors", []string{"# packet receive errors"}},
	{"Udp", "UdpOutDatagrams", []string{"# packets sent", "# packets send"}},
	{"Udp", "UdpRcvbufErrors", []string{"# receive buffer errors"}},
	{"Udp", "UdpSndbufErrors", []string{"# send buffer errors"}},

	// ---- TcpExt (/proc/net/netstat) ----
	{"TcpExt", "TcpExtSyncookiesSent", []string{"# syn cookies sent"}},
	{"TcpExt", "TcpExtSyncookiesRecv", []string{"# syn cookies received"}},
	{"TcpExt", "TcpExtSyncookiesFailed", []string{"# invalid syn cookies received"}},
	{"TcpExt", "TcpExtEmbryonicRsts", []string{"# resets received for embryonic syn_recv sockets"}},
	{"TcpExt", "TcpExtPruneCalled", []string{"# packets pruned from receive queue because of socket buffer overrun"}},
	{"TcpExt", "TcpExtRcvPruned", []string{"# packets pruned from receive queue"}},
	{"TcpExt", "TcpExtOfoPruned", []string{"# packets dropped from out-of-order queue because of socket buffer overrun"}},
	{"TcpExt", "TcpExtOutOfWindowIcmps", []string{"# icmp packets dropped because they were out-of-window"}},
	{"TcpExt", "TcpExtLockDroppedIcmps", []string{"# icmp packets dropped because socket was locked"}},
	{"TcpExt", "TcpExtTW", []string{"# tcp sockets finished time wait in fast timer"}},
	{"TcpExt", "TcpExtTWRecycled", []string{"# time wait sockets recycled by time stamp"}},
	{"TcpExt", "TcpExtTWKilled", []string{"# tcp sockets finished time wait in slow timer"}},
	{"TcpExt", "TcpExtPAWSPassive", []string{"# passive connections rejected because of time stamp"}},
	{"TcpExt", "TcpExtPAWSActive", []string{"# active connections rejected because of time stamp"}},
	{"TcpExt", "TcpExtPAWSEstab", []string{
		"# packets rejected in established connections because of timestamp",  // net-tools ≥ 2019-05
		"# packets rejects in established connections because of timestamp",   // older
		"# packetes rejected in established connections because of timestamp", // intermediate typo seen in a net-tools copy
	}},
	{"TcpExt", "TcpExtDelayedACKs", []string{"# delayed acks sent"}},
	{"TcpExt", "TcpExtDelayedACKLocked", []string{"# delayed acks further delayed because of locked socket"}},
	{"TcpExt", "TcpExtDelayedACKLost", []string{"quick ack mode was activated # times"}},
	{"TcpExt", "TcpExtListenOverflows", []string{"# times the listen queue of a socket overflowed"}},
	{"TcpExt", "TcpExtListenDrops", []string{
		"# syns to listen sockets dropped",
		"# syns to listen sockets ignored", // net-tools before 2003-02
	}},
	{"TcpExt", "TcpExtTCPPrequeued", []string{"# packets directly queued to recvmsg prequeue"}},
	{"TcpExt", "TcpExtTCPDirectCopyFromBacklog", []string{"# bytes directly in process context from backlog", "# packets directly received from backlog"}},
	{"TcpExt", "TcpExtTCPDirectCopyFromPrequeue", []string{"# bytes directly received in process context from prequeue", "# packets directly received from prequeue"}},
	{"TcpExt", "TcpExtTCPPrequeueDropped", []string{"# packets dropped from prequeue"}},
	{"TcpExt", "TcpExtTCPHPHits", []string{"# packet headers predicted", "# packets header predicted"}},
	{"TcpExt", "TcpExtTCPHPHitsToUser", []string{"# packet headers predicted and directly queued to user", "# packets header predicted and directly queued to user"}},
	{"TcpExt", "TcpExtSockMallocOOM", []string{"ran # times out of system memory during packet sending"}},
	{"TcpExt", "TcpExtTCPPureAcks", []string{"# acknowledgments not containing data payload received", "# acknowledgments not containing data received" /* guessed */}},
	{"TcpExt", "TcpExtTCPHPAcks", []string{"# predicted acknowledgments"}},
	{"TcpExt", "TcpExtTCPRenoRecovery", []string{"# times recovered from packet loss due to fast retransmit"}},
	{"TcpExt", "TcpExtTCPSackRecovery", []string{"# times recovered from packet loss by selective acknowledgements"}},
	{"TcpExt", "TcpExtTCPSACKReneging", []string{"# bad sack blocks received"}},
	{"TcpExt", "TcpExtTCPFACKReorder", []string{"detected reordering # times using fack"}},
	{"TcpExt", "TcpExtTCPSACKReorder", []string{"detected reordering # times using sack"}},
	{"TcpExt", "TcpExtTCPTSReorder", []string{"detected reordering # times using time stamp"}},
	{"TcpExt", "TcpExtTCPRenoReorder", []string{"detected reordering # times using reno fast retransmit"}},
	{"TcpExt", "TcpExtTCPFullUndo", []string{"# congestion windows fully recovered without slow start", "# congestion windows fully recovered" /* guessed */}},
	{"TcpExt", "TcpExtTCPPartialUndo", []string{"# congestion windows partially recovered using hoe heuristic"}},
	{"TcpExt", "TcpExtTCPDSACKUndo", []string{"# congestion windows recovered without slow start by dsack", "# congestion windows recovered after dsack" /* guessed */}},
	// net-tools prints this one for a field named TCPDSackUndo, which no kernel exports.
	{"TcpExt", "TcpExtTCPDSackUndo", []string{"# congestion window recovered without slow start using dsack"}},
	{"TcpExt", "TcpExtTCPLossUndo", []string{"# congestion windows recovered without slow start after partial ack", "# congestion windows recovered after partial ack"}},
	{"TcpExt", "TcpExtTCPLoss", []string{"# tcp data loss events"}},
	// net-tools' table says "TCPLostRetransmits" (never a kernel name): the kernel's
	// TCPLostRetransmit always prints as "TCPLostRetransmit: N"; the sentence is mapped anyway.
	{"TcpExt", "TcpExtTCPLostRetransmit", []string{"# retransmits lost"}},
	{"TcpExt", "TcpExtTCPRenoFailures", []string{"# timeouts after reno fast retransmit"}},
	{"TcpExt", "TcpExtTCPSackFailures", []string{"# timeouts after sack recovery"}},
	{"TcpExt", "TcpExtTCPLossFailures", []string{"# timeouts in loss state"}},
	{"TcpExt", "TcpExtTCPFastRetrans", []string{"# fast retransmits"}},
	{"TcpExt", "TcpExtTCPForwardRetrans", []string{"# forward retransmits"}},
	{"TcpExt", "TcpExtTCPSlowStartRetrans", []string{"# retransmits in slow start"}},
	{"TcpExt", "TcpExtTCPTimeouts", []string{"# other tcp timeouts"}},
	{"TcpExt", "TcpExtTCPRenoRecoveryFail", []string{"# classic reno fast retransmits failed", "# reno fast retransmits failed"}},
	{"TcpExt", "TcpExtTCPSackRecoveryFail", []string{"# sack retransmits failed"}},
	{"TcpExt", "TcpExtTCPSchedulerFailed", []string{"# times receiver scheduled too late for direct processing"}},
	{"TcpExt", "TcpExtTCPRcvCollapsed", []string{"# packets collapsed in receive queue due to low socket buffer"}},
	{"TcpExt", "TcpExtTCPDSACKOldSent", []string{"# dsacks sent for old packets"}},
	{"TcpExt", "TcpExtTCPDSACKOfoSent", []string{"# dsacks sent for out of order packets"}},
	{"TcpExt", "TcpExtTCPDSACKRecv", []string{"# dsacks received"}},
	{"TcpExt", "TcpExtTCPDSACKOfoRecv", []string{"# dsacks for out of order packets received"}},
	{"TcpExt", "TcpExtTCPAbortOnSyn", []string{"# connections reset due to unexpected syn"}},
	{"TcpExt", "TcpExtTCPAbortOnData", []string{"# connections reset due to unexpected data"}},
	{"TcpExt", "TcpExtTCPAbortOnClose", []string{"# connections reset due to early user close"}},
	{"TcpExt", "TcpExtTCPAbortOnMemory", []string{"# connections aborted due to memory pressure"}},
	{"TcpExt", "TcpExtTCPAbortOnTimeout", []string{"# connections aborted due to timeout"}},
	{"TcpExt", "TcpExtTCPAbortOnLinger", []string{"# connections aborted after user close in linger timeout"}},
	{"TcpExt", "TcpExtTCPAbortFailed", []string{"# times unable to send rst due to no memory"}},
	{"TcpExt", "TcpExtTCPMemoryPressures", []string{"tcp ran low on memory # times"}},

	// ---- IPv6 (netstat -s -6, /proc/net/snmp6); net-tools' names already carry the prefix ----
	{"Ip6", "Ip6InReceives", []string{"# total packets received"}},
	{"Ip6", "Ip6InHdrErrors", []string{"# with invalid headers"}},
	{"Ip6", "Ip6InTooBigErrors", []string{"# with packets too big"}},
	{"Ip6", "Ip6InNoRoutes", []string{"# incoming packets with no route"}},
	{"Ip6", "Ip6InAddrErrors", []string{"# with invalid addresses"}},
	{"Ip6", "Ip6InUnknownProtos", []string{"# with unknown protocol"}},
	{"Ip6", "Ip6InTruncatedPkts", []string{"# with truncated packets"}},
	{"Ip6", "Ip6InDiscards", []string{"# incoming packets discarded"}},
	{"Ip6", "Ip6InDelivers", []string{"# incoming packets delivered"}},
	{"Ip6", "Ip6OutForwDatagrams", []string{"# forwarded"}},
	{"Ip6", "Ip6OutRequests", []string{"# requests sent out"}},
	{"Ip6", "Ip6OutDiscards", []string{"# outgoing packets dropped"}},
	{"Ip6", "Ip6OutNoRoutes", []string{"# dropped because of missing route"}},
	{"Ip6", "Ip6ReasmTimeout", []string{"# fragments dropped after timeout"}},
	{"Ip6", "Ip6ReasmReqds", []string{"# reassemblies required"}},
	{"Ip6", "Ip6ReasmOKs", []string{"# packets reassembled ok"}},
	{"Ip6", "Ip6ReasmFails", []string{"# packet reassemblies failed"}},
	{"Ip6", "Ip6FragOKs", []string{"# outgoing packets fragmented ok"}},
	{"Ip6", "Ip6FragFails", []string{"# outgoing packets failed fragmentation"}},
	{"Ip6", "Ip6FragCreates", []string{"# fragments created"}},
	{"Ip6", "Ip6InMcastPkts", []string{"# incoming multicast packets"}},
	{"Ip6", "Ip6OutMcastPkts", []string{"# outgoing multicast packets"}},
	{"Icmp6", "Icmp6InMsgs", []string{"# icmp messages received"}},
	{"Icmp6", "Icmp6InErrors", []string{"# input icmp message failed"}},
	{"Icmp6", "Icmp6OutMsgs", []string{"# icmp messages sent"}},
	{"Icmp6/in", "Icmp6InDestUnreachs", []string{"destination unreachable: #"}},
	{"Icmp6/in", "Icmp6InPktTooBigs", []string{"packets too big: #"}},
	{"Icmp6/in", "Icmp6InTimeExcds", []string{"received icmpv6 time exceeded: #"}},
	{"Icmp6/in", "Icmp6InParmProblems", []string{"parameter problem: #"}},
	{"Icmp6/in", "Icmp6InEchos", []string{"echo requests: #"}},
	{"Icmp6/in", "Icmp6InEchoReplies", []string{"echo replies: #"}},
	{"Icmp6/in", "Icmp6InGroupMembQueries", []string{"group member queries: #"}},
	{"Icmp6/in", "Icmp6InGroupMembResponses", []string{"group member responses: #"}},
	{"Icmp6/in", "Icmp6InGroupMembReductions", []string{"group member reductions: #"}},
	{"Icmp6/in", "Icmp6InRouterSolicits", []string{"router solicits: #"}},
	{"Icmp6/in", "Icmp6InRouterAdvertisements", []string{"router advertisement: #"}},
	{"Icmp6/in", "Icmp6InNeighborSolicits", []string{"neighbour solicits: #"}},
	{"Icmp6/in", "Icmp6InNeighborAdvertisements", []string{"neighbour advertisement: #"}},
	{"Icmp6/in", "Icmp6InRedirects", []string{"redirects: #"}},
	{"Icmp6/out", "Icmp6OutDestUnreachs", []string{"destination unreachable: #"}},
	{"Icmp6/out", "Icmp6OutPktTooBigs", []string{"packets too big: #"}},
	{"Icmp6/out", "Icmp6OutTimeExcds", []string{"sent icmpv6 time exceeded: #"}},
	{"Icmp6/out", "Icmp6OutParmProblems", []string{"parameter problem: #"}},
	{"Icmp6/out", "Icmp6OutEchos", []string{"echo requests: #"}},
	{"Icmp6/out", "Icmp6OutEchoReplies", []string{"echo replies: #"}},
	{"Icmp6/out", "Icmp6OutGroupMembQueries", []string{"group member queries: #"}},
	{"Icmp6/out", "Icmp6OutGroupMembResponses", []string{"group member responses: #"}},
	{"Icmp6/out", "Icmp6OutGroupMembReductions", []string{"group member reductions: #"}},
	{"Icmp6/out", "Icmp6OutRouterSolicits", []string{"router solicits: #"}},
	{"Icmp6/out", "Icmp6OutRouterAdvertisements", []string{"router advertisement: #"}},
	{"Icmp6/out", "Icmp6OutNeighborSolicits", []string{"neighbor solicits: #"}},
	{"Icmp6/out", "Icmp6OutNeighborAdvertisements", []string{"neighbor advertisements: #"}},
	{"Icmp6/out", "Icmp6OutRedirects", []string{"redirects: #"}},
	{"Udp6", "Udp6InDatagrams", []string{"# packets received"}},
	{"Udp6", "Udp6NoPorts", []string{"# packets to unknown port received"}},
	{"Udp6", "Udp6InErrors", []string{"# packet receive errors"}},
	{"Udp6", "Udp6OutDatagrams", []string{"# packets sent"}},
}

// netstatSentences is netstatTables indexed by section, then normalised sentence.
var netstatSentences = func() map[string]map[string]string {
	m := map[string]map[string]string{}
	for _, e := range netstatTables {
		if m[e.section] == nil {
			m[e.section] = map[string]string{}
		}
		for _, s := range e.sentences {
			m[e.section][s] = e.name
		}
	}
	return m
}()

// knownNetstatSections are section titles netstat -s prints (besides any "...Ext").
var knownNetstatSections = map[string]bool{
	"Ip": true, "Icmp": true, "IcmpMsg": true, "Tcp": true, "Udp": true, "UdpLite": true,
	"Ip6": true, "Icmp6": true, "Udp6": true, "UdpLite6": true, "Tcp6": true, "Sctp": true,
}

// netstatSectionTitle returns "TcpExt" for a section title line "TcpExt:" at column 0.
func netstatSectionTitle(line string) (string, bool) {
	if line == "" || line[0] == ' ' || line[0] == '\t' {
		return "", false
	}
	t := strings.TrimRight(line, " \t")
	if !strings.HasSuffix(t, ":") {
		return "", false
	}
	name := t[:len(t)-1]
	return name, isIdent(name)
}

// isNetstatSection reports a known netstat -s section title line.
func isNetstatSection(line string) bool {
	name, ok := netstatSectionTitle(line)
	return ok && (knownNetstatSections[name] || strings.HasSuffix(name, "Ext"))
}

func hasNetstatSection(lines []string) bool {
	for _, l := range lines {
		if isNetstatSection(l) {
			return true
		}
	}
	return false
}

// normSentence lower-cases a netstat -s line, collapses blanks, drops a trailing '.', and
// replaces its first number by '#'.
func normSentence(t string) (string, int64, bool) {
	f := strings.Fields(t)
	idx := -1
	for i, x := range f {
		if isDigits(strings.TrimSuffix(x, ".")) {
			idx = i
			break
		}
	}
	if idx < 0 {
		return "", 0, false
	}
	v, ok := parseCounterValue(strings.TrimSuffix(f[idx], "."))
	if !ok {
		return "", 0, false
	}
	f[idx] = "#"
	return strings.TrimSuffix(strings.ToLower(strings.Join(f, " ")), "."), v, true
}

// parseGenericField reads net-tools' fallback "Name: value" line.
func parseGenericField(t string) (string, int64, bool) {
	name, val, ok := strings.Cut(t, ":")
	if !ok || !isIdent(name) {
		return "", 0, false
	}
	v, ok := parseCounterValue(strings.TrimSpace(val))
	return name, v, ok
}

func parseNetstatS(lines []string, c *Counters) {
	section, hist := "", ""
	for _, line := range lines {
		if name, ok := netstatSectionTitle(line); ok {
			section, hist = name, ""
			continue
		}
		t := strings.TrimSpace(line)
		switch strings.ToLower(t) {
		case "icmp input histogram:":
			hist = "/in"
			continue
		case "icmp output histogram:":
			hist = "/out"
			continue
		}
		if section == "" || t == "" {
			continue
		}
		if name, v, ok := parseGenericField(t); ok {
			if !strings.HasPrefix(name, section) {
				name = section + name
			}
			c.Values[name] = v
			continue
		}
		norm, v, ok := normSentence(t)
		if !ok {
			continue
		}
		if hist != "" {
			if name, ok := netstatSentences[section+hist][norm]; ok {
				c.Values[name] = v
				continue
			}
		}
		if name, ok := netstatSentences[section][norm]; ok {
			c.Values[name] = v
		}
	}
}
