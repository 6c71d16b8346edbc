package kernel

import (
	"fmt"
	"strings"
	"time"
)

// EraRange is an inclusive range of era names; Lo == Hi when pinned.
type EraRange struct{ Lo, Hi string }

// Clue is one piece of evidence and the era range it implies.
type Clue struct {
	What  string
	Range EraRange
}

type eraClue struct {
	key    string // sysctl key (dotted) or nstat name
	sysctl bool
	// range when present / when absent ("" = no information)
	presLo, presHi string
	absLo, absHi   string
	why            string
}

// Ordered from the most to the least reliable; on conflict a later clue is reported and ignored.
var eraClues = []eraClue{
	{key: SysctlTwRecycle, sysctl: true, presLo: Era2618, presHi: Era410, absLo: Era412, absHi: Era613,
		why: "tcp_tw_recycle removed in 4.12 (4396e46187ca)"},
	{key: SysctlSynLinearTimeouts, sysctl: true, presLo: Era412, presHi: Era613, absLo: Era2618, absHi: Era412,
		why: "tcp_syn_linear_timeouts added in 6.5 (ccce324dabfe)"},
	{key: SysctlRtoMaxMs, sysctl: true, presLo: Era613, presHi: Era613,
		why: "tcp_rto_max_ms added around 6.15 (UNVERIFIED exact release)"},
	{key: SysctlMigrateReq, sysctl: true, presLo: Era412, presHi: Era613, absLo: Era2618, absHi: Era412,
		why: "tcp_migrate_req added in 5.14"},
	{key: SysctlInvalidRatelimit, sysctl: true, presLo: Era310, presHi: Era613, absLo: Era2618, absHi: Era310,
		why: "tcp_invalid_ratelimit added around 4.0"},
	{key: SysctlChallengeACKLimit, sysctl: true, presLo: Era310, presHi: Era613, absLo: Era2618, absHi: Era310,
		why: "tcp_challenge_ack_limit added in 3.6 (RFC 5961)"},
	{key: CounterPAWSTimewait, presLo: Era613, presHi: Era613,
		why: "PAWSTimewait counter added in 6.16 (c449d5f3a3d7)"},
	{key: CounterPAWSOldAck, presLo: Era613, presHi: Era613,
		why: "PAWSOldAck counter added around 6.16"},
	{key: CounterPAWSPassive, presLo: Era2618, presHi: Era410, absLo: Era412, absHi: Era613,
		why: "PAWSPassive counter removed with tcp_tw_recycle in 4.12"},
	{key: CounterMigrateReqSuccess, presLo: Era412, presHi: Era613,
		why: "TCPMigrateReq* counters added in 5.14 (present 5.15.85, absent 5.10.89)"},
	{key: CounterAORequired, presLo: Era412, presHi: Era613,
		why: "TCP-AO counters added around 6.7"},
	{key: CounterRcvQDrop, presLo: Era412, presHi: Era613,
		why: "TCPRcvQDrop added around 4.19"},
	{key: CounterPFMemallocDrop, presLo: Era410, presHi: Era613,
		why: "PFMemallocDrop added between 4.9.115 and 4.11"},
	{key: CounterACKSkippedSynRecv, presLo: Era310, presHi: Era613,
		why: "TCPACKSkipped* counters added around 4.0 (RHEL7 may have backports)"},
	{key: CounterReqQFullDrop, presLo: Era310, presHi: Era613, absLo: Era2618, absHi: Era2632,
		why: "TCPReqQFullDrop added around 3.2 (present in RHEL7, not in RHEL6); a 3.1 kernel also lacks it"},
	{key: CounterInCsumErrors, presLo: Era310, presHi: Era613, absLo: Era2618, absHi: Era310,
		why: "InCsumErrors added in 3.10"},
	{key: CounterFastOpenListenOver, presLo: Era310, presHi: Era613,
		why: "TCP Fast Open listener counters from 3.8"},
	{key: CounterChallengeACK, presLo: Era310, presHi: Era613,
		why: "challenge ACK counters from 3.6 (a RHEL6 backport is possible, UNVERIFIED)"},
	{key: CounterDeferAcceptDrop, presLo: Era2632, presHi: Era613,
		why: "TCPDeferAcceptDrop exists from 3.0 (absent in 2.6.18)"},
	{key: CounterIPReversePathFilter, presLo: Era2632, presHi: Era613,
		why: "IPReversePathFilter exists from 3.0"},
}

// InferEra narrows the server's kernel era from snapshot evidence (docs/kernel-eras.md#inferring-the-era). Any argument may be
// nil/zero. sysctlHas reports whether a sysctl key exists (queried dotted, e.g.
// "net.ipv4.tcp_tw_recycle", and slashed, "net/ipv4/tcp_tw_recycle"); counterHas whether an nstat
// counter exists (queried as "TcpExtPAWSPassive" and as the bare field "PAWSPassive").
//
// Presence is always evidence. Absence is used only when the snapshot looks complete: for sysctl,
// when net.core.somaxconn or net.ipv4.tcp_syncookies is present; for counters, when both
// TcpExtSyncookiesSent and TcpExtPAWSActive are present (they exist in every era and are usually
// zero, so they appear only in nstat -az or /proc/net/netstat, not in netstat -s, which omits
// zero TcpExt counters).
//
// synAckRTO is the measured first SYN-ACK retransmission interval: ≈1 s ⇒ 3.1+ or RHEL6,
// ≈3 s ⇒ ≤3.0 vanilla or RHEL5 (central-timer lateness up to R0/2 is tolerated).
//
// A Linux client's linear SYN retries (6.5+) describe the client's kernel, not the server's, so
// they are deliberately not an input here.
//
// Clues are applied from the most to the least reliable; a clue that contradicts the range built
// so far (e.g. a vendor backport) is returned with "ignored (conflict)" in What and does not
// narrow the range.
func InferEra(sysctlHas, counterHas func(string) bool, synAckRTO time.Duration) (EraRange, []Clue) {
	lo, hi := 0, eraCount-1
	var clues []Clue
	apply := func(what string, l, h string) {
		li, hiI := eraIndex(l), eraIndex(h)
		r := EraRange{l, h}
		if max(lo, li) > min(hi, hiI) {
			clues = append(clues, Clue{What: what + " — ignored (conflicts with stronger evidence; vendor backport?)", Range: r})
			return
		}
		lo, hi = max(lo, li), min(hi, hiI)
		clues = append(clues, Clue{What: what, Range: r})
	}
	sysHas := func(k string) bool {
		if sysctlHas == nil {
			return false
		}
		return sysctlHas(k) || sysctlHas(strings.ReplaceAll(k, ".", "/"))
	}
	ctrHas := func(k string) bool {
		if counterHas == nil {
			return false
		}
		if counterHas(k) {
			return true
		}
		for _, p := range []string{"TcpExt", "Tcp", "Ip"} {
			if strings.HasPrefix(k, p) && counterHas(strings.TrimPrefix(k, p)) {
				return true
			}
		}
		return false
	}
	sysComplete := sysHas(SysctlSomaxconn) || sysHas(SysctlSyncookies)
	ctrComplete := ctrHas(CounterSyncookiesSent) && ctrHas(CounterPAWSActive)

	for _, c := range eraClues {
		has, complete, kind := ctrHas(c.key), ctrComplete, "nstat counter"
		if c.sysctl {
			has, complete, kind = sysHas(c.key), sysComplete, "sysctl"
		}
		switch {
		case has && c.presLo != "":
			apply(fmt.Sprintf("%s %s present (%s)", kind, c.key, c.why), c.presLo, c.presHi)
		case !has && complete && c.absLo != "":
			apply(fmt.Sprintf("%s %s absent (%s)", kind, c.key, c.why), c.absLo, c.absHi)
		}
	}

	switch {
	case synAckRTO >= 700*time.Millisecond && synAckRTO < 2*time.Second:
		apply(fmt.Sprintf("first SYN-ACK retransmission after %v ≈ 1 s initial RTO (3.1+ or RHEL6)", synAckRTO.Round(time.Millisecond)), Era2632, Era613)
	case synAckRTO >= 2*time.Second && synAckRTO <= 5*time.Second:
		apply(fmt.Sprintf("first SYN-ACK retransmission after %v ≈ 3 s initial RTO (≤3.0 vanilla or RHEL5)", synAckRTO.Round(time.Millisecond)), Era2618, Era2632)
	}
	return EraRange{eraNames[lo], eraNames[hi]}, clues
}

// Contains reports whether era lies within the range.
func (r EraRange) Contains(era string) bool {
	i, lo, hi := eraIndex(era), eraIndex(r.Lo), eraIndex(r.Hi)
	return i >= 0 && lo >= 0 && hi >= 0 && lo <= i && i <= hi
}

// Pinned reports whether the range names a single era.
func (r EraRange) Pinned() bool { return r.Lo == r.Hi && r.Lo != "" }
