package kernel

import (
	"fmt"
	"strings"
	"time"
)

// Era names, in order (see Eras). docs/kernel-eras.md describes each era.
const (
	Era2618   = "2.6.18"    // RHEL5; covers < 2.6.20
	Era2632   = "2.6.32"    // 2.6.20 – 3.0, incl. RHEL6
	Era310    = "3.10"      // 3.1 – 4.3, incl. RHEL7
	Era44     = "4.4-4.9"   // lockless listener, Qs = B, young rule
	Era410    = "4.10-4.11" // SYN dropped whenever accept queue full, tw_recycle still there
	Era412    = "4.12-6.12" // incl. RHEL8/9/10
	Era613    = "6.13+"     // Qs = B+1
	eraCount  = 7
	rtoMax    = 120 * time.Second // TCP_RTO_MAX
	defRetris = 5                 // default tcp_synack_retries in every era
)

// SYN queue formulas (Model.SynQueueFormula): how the kernel sizes the SYN
// queue Qs, docs/kernel-eras.md#syn-queue-capacity. The values are the
// feature boundaries F1–F4 of docs/kernel-eras.md#f1; they label the model
// and never appear in text a user reads.
const (
	SynQueueByMaxSynBacklog = "F1" // ≤2.6.19: a power of two ≥ max(64, tcp_max_syn_backlog)
	SynQueueByFirstBacklog  = "F2" // 2.6.20–4.3: roundup_pow_of_two(max(8, min(B1, M)) + 1)
	SynQueueIsBacklog       = "F3" // 4.4–6.12: Qs = B
	SynQueueIsBacklogPlus1  = "F4" // 6.13+ and the January 2025 stables: Qs = B+1
)

var eraNames = [eraCount]string{Era2618, Era2632, Era310, Era44, Era410, Era412, Era613}

// Eras returns the era names in chronological order.
func Eras() []string {
	out := make([]string, eraCount)
	copy(out, eraNames[:])
	return out
}

func eraIndex(name string) int {
	for i, e := range eraNames {
		if e == name {
			return i
		}
	}
	return -1
}

// Model is what the analyzer needs to know about one kernel: timers, queue rules, which branches
// exist and which counters they move. Build it with ModelFor or Representative.
//
// In the comments of this file Fn is feature boundary n of docs/kernel-eras.md (anchor #fn, e.g.
// docs/kernel-eras.md#f10) and Bnn a catalogue entry of docs/kernel-branches.md (#bnn); [SRC] and
// [ML] say a fact was read in kernel source or in mailing-list/commit text.
type Model struct {
	Version Version
	Era     string
	Name    string // human label, e.g. "Linux 3.10 (RHEL7)", "Linux 6.13+ (modelled as 6.18)"
	// Timers
	SynAckRTO          time.Duration // initial SYN-ACK RTO (F10)
	SynAckRetries      int           // default tcp_synack_retries (5)
	CentralSynAckTimer bool          // ≤3.19: 200 ms scan timer, retransmits may be late (F12; docs/kernel-eras.md#timers)
	ClientSynRetries   int           // default tcp_syn_retries of this kernel as a client (F11)
	LinearSynTimeouts  int           // 4 from 6.5 (tcp_syn_linear_timeouts, F32), else 0
	// Queues
	YoungRule         bool   // SYN dropped on full accept queue only when young > 1 (F6/F7)
	SynQueueFormula   string // one of the SynQueue… formulas
	BacklogZeroDrops  bool   // B=0 drops every SYN with cookies off (B13)
	SomaxconnDefault  int    // 128 up to 5.3, 4096 from 5.4 (F28)
	SomaxconnClamped  bool   // sysctl refuses somaxconn > 65535 (F31)
	BacklogFieldBits  int    // 16 (≤4.0, truncation hazard when unclamped) or 32 (F30)
	SyncookiesDefault int    // kernel default of tcp_syncookies (F18)
	SyncookiesAlways  bool   // tcp_syncookies=2 supported (F24)
	// Branch availability / specifics
	TwRecycle           bool // tcp_tw_recycle exists (≤4.11) → paws_passive possible (F13)
	ProvenPeerExempt    bool // last-quarter exempts proven peers (4.12+, F14)
	PAWSTimewaitCounter bool // 6.16+: TcpExtPAWSTimewait, else TcpExtPAWSEstab (F34)
	// Counters
	SynDropCounted          bool // SYN-time listener drops move ListenDrops (+ListenOverflows) (F8)
	ReqQFullCounters        bool // TCPReqQFullDrop / TCPReqQFullDoCookies exist
	CookieCountsListenDrops bool // cookie SYN-ACK also counted as ListenDrops (F9)
	ChallengeACK            bool // RFC 5961 challenge ACK for SYN on a live socket (B10)
	// Caveats lists what is uncertain for this particular version (vendor backports, unpinned
	// stable releases, distro ABI numbers that hide the stable patch level). Extra field.
	Caveats []string
}

func (m Model) isEL(n int) bool { return m.Version.Distro == fmt.Sprintf("el%d", n) }

// eraOf maps a version to its era name by kernel series.
func eraOf(v Version) string {
	switch {
	case !v.atLeast(2, 6, 20):
		return Era2618
	case !v.atLeast(3, 1):
		return Era2632
	case !v.atLeast(4, 4):
		return Era310
	case !v.atLeast(4, 10):
		return Era44
	case !v.atLeast(4, 12):
		return Era410
	case !v.atLeast(6, 13):
		return Era412
	default:
		return Era613
	}
}

// f4Stable is the first stable release of each series that carries 3479c7549fb1 (F4).
// VERIFIED from the stable review series in linux-mailinglist-archives/stable.vger.kernel.org
// ("[PATCH 6.1 16/92] tcp/dccp: allow a connection when sk_max_ack_backlog is zero" in the
// 6.1.125-rc1 series, 2025-01-15; 6.12.10, 6.6.72 same day; 5.15.177 2025-01-21; 5.10.234 and
// 5.4.290 2025-01-30).
var f4Stable = map[[2]int]int{
	{5, 4}: 290, {5, 10}: 234, {5, 15}: 177, {6, 1}: 125, {6, 6}: 72, {6, 12}: 10,
}

// ModelFor builds the model for a concrete version. The era is chosen by kernel series (every
// version maps to exactly one era: 2.6.19 → "2.6.18", 3.0 → "2.6.32", 4.0 → "3.10" …), but every
// field is computed from the exact version and distro, applying each feature boundary (docs/kernel-eras.md#feature-boundaries) separately.
// RHEL kernels (Distro elN) get the behaviour the spec read in the RHEL trees (RHEL6 642, RHEL7
// 1160, RHEL8 240); later RHEL8+ kernels are modelled by their base version with a caveat.
func ModelFor(v Version) Model {
	m := Model{Version: v, Era: eraOf(v), SynAckRetries: defRetris}
	el5, el6, el7 := v.Distro == "el5", v.Distro == "el6", v.Distro == "el7"
	ge := v.atLeast
	var cav []string

	if v.Major == 2 && v.Minor == 4 {
		cav = append(cav, "Linux 2.4 is older than anything the spec read; modelled as 2.6.18")
	}
	if v.Distro == "" && v.Patch == 0 && v.Stable == 0 && strings.ContainsAny(strings.TrimPrefix(v.Release, v.numeric()), "-+~_") &&
		(v.atLeast(3, 0) || v.series(2, 6)) {
		cav = append(cav, "release "+v.Release+" carries a distribution ABI suffix with patch level 0: the stable point "+
			"release (and so stable backports such as the SYN drop on a full accept queue in 4.4.178 or the B+1 SYN queue in 5.15.177) is unknown; prefer sysctl/nstat evidence")
	}

	// F10: initial SYN-ACK (and SYN) RTO. 9ad7c049f0f7 → 3.1 [ML]. RHEL6 642 already 1 s [SRC];
	// RHEL5 UNVERIFIED → 3 s as vanilla 2.6.18.
	switch {
	case el6 || ge(3, 1):
		m.SynAckRTO = time.Second
	default:
		m.SynAckRTO = 3 * time.Second
	}
	if el6 {
		cav = append(cav, "RHEL6: 1 s TCP_TIMEOUT_INIT was read in 2.6.32-642 (RHEL 6.8); which earlier RHEL6 minor release first had it is UNVERIFIED")
	}
	if el5 {
		cav = append(cav, "RHEL5: only vanilla 2.6.18 was read; RHEL5 backports (SYN-table sizing, Send-Q, RTO) are UNVERIFIED — 3 s RTO and the 2.6.18 SYN-queue sizing assumed")
	}

	// F12: central listener timer until 3.19, per-request timers from 4.1 (fa76ce7328b2).
	// 4.0 is inside the bracket 3.19.8→4.1.19; treated as central. RHEL7 keeps the 3.10 design.
	m.CentralSynAckTimer = !ge(4, 1)

	// F11: tcp_syn_retries 5 → 6 in 3.7; RHEL6 keeps 5 [SRC].
	m.ClientSynRetries = 6
	if !ge(3, 7) || el6 || el5 {
		m.ClientSynRetries = 5
	}
	// F32: ccce324dabfe, 6.5 [ML].
	if ge(6, 5) {
		m.LinearSynTimeouts = 4
	}

	// F6/F7: young > 1 rule. 5ea8ea2cb7f1 in 4.10; stable backports 4.4.178 (VERIFIED, see doc.go),
	// 3.16.81 (VERIFIED: "Linux 3.16.81" announcement lists it), 4.9.167 (UNVERIFIED pin).
	// RHEL7 1160 still has the young rule, RHEL8 has F7 [SRC].
	switch {
	case el7:
		m.YoungRule = true
	case ge(4, 10):
		m.YoungRule = false
	case v.series(4, 4):
		m.YoungRule = v.Patch < 178
	case v.series(4, 9):
		m.YoungRule = v.Patch < 167
		if v.Patch > 115 && v.Patch < 167 {
			cav = append(cav, "4.9.y: the 2019 backport of 5ea8ea2cb7f1 (drop SYN whenever the accept queue is full) is assumed from 4.9.167 (UNVERIFIED); 4.9.115 still has the young>1 rule")
		}
	case v.series(3, 16):
		m.YoungRule = v.Patch < 81
	default:
		m.YoungRule = true
	}

	// SYN queue formula F1–F4.
	switch {
	case !ge(2, 6, 20): // includes RHEL5 (UNVERIFIED whether RHEL5 backported F2)
		m.SynQueueFormula = SynQueueByMaxSynBacklog
	case !ge(4, 4): // includes RHEL6, RHEL7
		m.SynQueueFormula = SynQueueByFirstBacklog
	case ge(6, 13):
		m.SynQueueFormula = SynQueueIsBacklogPlus1
	default:
		m.SynQueueFormula = SynQueueIsBacklog
		if p, ok := f4Stable[[2]int{v.Major, v.Minor}]; ok && v.Patch >= p {
			m.SynQueueFormula = SynQueueIsBacklogPlus1
		}
	}
	m.BacklogZeroDrops = m.SynQueueFormula == SynQueueIsBacklog
	if m.SynQueueFormula == SynQueueIsBacklog && (v.Distro == "el9" || v.Distro == "el10") {
		cav = append(cav, "RHEL9/10: whether Red Hat backported 3479c7549fb1 (SYN queue full ⇔ qlen > B) is UNVERIFIED; modelled as the base version (qlen ≥ B)")
	}

	// F28: SOMAXCONN 4096 from 5.4 (RHEL8 4.18 = 128 [SRC]).
	m.SomaxconnDefault = 128
	if ge(5, 4) {
		m.SomaxconnDefault = 4096
	}
	// F30: sk_max_ack_backlog unsigned short ≤3.19, u32 by 4.1 (4.0 in the bracket → 16).
	m.BacklogFieldBits = 32
	if !ge(4, 1) {
		m.BacklogFieldBits = 16
	}
	// F31: sysctl clamp at 65535 — see doc.go. Not in 2.6.18, 3.0–3.9, RHEL6-642; present in
	// 2.6.32.69 and 3.10.105 / RHEL7 [SRC]; gone once the field is 32 bits (no extra2 in
	// torvalds/linux sysctl_net_core.c; 4.15 accepts 196602 per valyala/tcplisten#5).
	switch {
	case el6 || el5:
		m.SomaxconnClamped = false
	case el7:
		m.SomaxconnClamped = true
	case v.series(2, 6, 32):
		m.SomaxconnClamped = v.Stable >= 69
		if v.Stable > 0 && v.Stable < 69 {
			cav = append(cav, "2.6.32.y: the somaxconn clamp was read in 2.6.32.69 only; earlier 2.6.32.y assumed unclamped (UNVERIFIED)")
		}
	case ge(3, 10) && !ge(4, 1):
		m.SomaxconnClamped = true
	default:
		m.SomaxconnClamped = false
	}
	if v.series(3, 9) {
		cav = append(cav, "3.9: whether sysctl refuses somaxconn > 65535 is UNVERIFIED; modelled unclamped")
	}

	// F18: kernel default tcp_syncookies (distributions often set 1 in sysctl.conf).
	m.SyncookiesDefault = 1
	if !ge(2, 6, 34) || el5 || el6 {
		m.SyncookiesDefault = 0
	}
	if v.atLeast(2, 6, 33) && !v.atLeast(3, 0) && v.Distro == "" {
		cav = append(cav, "syncookies kernel default for 2.6.33–2.6.39 is UNVERIFIED (bracket 2.6.32.69=0 → 3.0.1=1)")
	}
	// F24: tcp_syncookies=2: 3.12 (secondary source, see doc.go), RHEL7 yes.
	m.SyncookiesAlways = ge(3, 12) || el7

	// F13/F14/F34.
	m.TwRecycle = !ge(4, 12)
	m.ProvenPeerExempt = ge(4, 12)
	m.PAWSTimewaitCounter = ge(6, 16)

	// Counters. F8 (3.7; bracket 3.6.5→3.8.13, UNVERIFIED exact), RHEL7 yes, RHEL6 no.
	m.SynDropCounted = ge(3, 7) || el7
	if v.series(3, 7) {
		cav = append(cav, "3.7: SYN-time ListenDrops/ListenOverflows counting is bracketed 3.6.5→3.8.13; assumed present")
	}
	m.ReqQFullCounters = ge(3, 2) || el7
	if v.series(3, 1) || v.series(3, 2) {
		cav = append(cav, "TCPReqQFullDrop/DoCookies appeared between 3.0.1 and 3.6.5 (UNVERIFIED exact release; 3.2 assumed)")
	}
	m.CookieCountsListenDrops = (ge(3, 7) && !ge(4, 7)) || el7
	m.ChallengeACK = ge(3, 6) || el7
	if el6 {
		cav = append(cav, "RHEL6: RFC 5961 challenge ACKs may have been backported (UNVERIFIED); modelled as vanilla 2.6.32")
	}
	if v.Distro == "el8" || v.Distro == "el9" || v.Distro == "el10" {
		cav = append(cav, strings.ToUpper(v.Distro[:2])+v.Distro[2:]+": modelled by its base version; Red Hat backports can move any boundary — prefer sysctl/nstat evidence")
	}

	m.Caveats = cav
	m.Name = modelName(v)
	return m
}

func modelName(v Version) string {
	num := fmt.Sprintf("%d.%d", v.Major, v.Minor)
	if v.Major == 2 {
		num = fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
		if v.Stable > 0 {
			num += fmt.Sprintf(".%d", v.Stable)
		}
	} else if v.Patch > 0 {
		num += fmt.Sprintf(".%d", v.Patch)
	}
	if v.Distro != "" {
		return fmt.Sprintf("Linux %s (RHEL%s)", num, strings.TrimPrefix(v.Distro, "el"))
	}
	return "Linux " + num
}

// representative versions per era (the kernels most servers of that era ran, or the tree the
// spec read).
var representative = map[string]string{
	Era2618: "2.6.18-419.el5",
	Era2632: "2.6.32-754.el6",
	Era310:  "3.10.0-1160.el7",
	Era44:   "4.9",
	Era410:  "4.11",
	Era412:  "5.15",
	Era613:  "6.18",
}

// Representative returns the model used for an era when only the era is known:
// 2.6.18 → RHEL5 (2.6.18-419.el5), 2.6.32 → RHEL6 (2.6.32-754.el6), 3.10 → RHEL7 (3.10.0-1160.el7),
// 4.4-4.9 → 4.9 (pre-backport: young rule), 4.10-4.11 → 4.11, 4.12-6.12 → 5.15, 6.13+ → 6.18.
func Representative(era string) (Model, error) {
	rs, ok := representative[era]
	if !ok {
		return Model{}, fmt.Errorf("kernel: unknown era %q (want one of %s)", era, strings.Join(Eras(), ", "))
	}
	m := ModelFor(mustVersion(rs))
	m.Name = fmt.Sprintf("Linux %s (modelled as %s)", era, strings.TrimPrefix(m.Name, "Linux "))
	return m, nil
}

// --- derived facts used by the path, counters and explanations ---

func (m Model) lsm() bool          { return m.Version.atLeast(2, 6, 20) } // absent from 2.6.18 conn_request; present by 2.6.32 [SRC]
func (m Model) lockless() bool     { return m.Version.atLeast(4, 4) && !m.isEL(7) }
func (m Model) inCsumErrors() bool { return m.Version.atLeast(3, 10) }
func (m Model) threeZeroCounters() bool {
	// TCPDeferAcceptDrop, TCPMinTTLDrop, IPReversePathFilter exist from 3.0 [SRC 3.0.1];
	// TCPBacklogDrop also in RHEL6.
	return m.Version.atLeast(3, 0)
}
func (m Model) md5() bool { return m.Version.atLeast(2, 6, 20) } // TCP-MD5 (RFC 2385) from 2.6.20
func (m Model) backlogDropCounter() bool {
	return !m.lockless() && (m.threeZeroCounters() || m.isEL(6))
}
func (m Model) oowRateLimit() bool      { return m.Version.atLeast(4, 0) } // tcp_invalid_ratelimit, TCPACKSkipped* (F35, 4.0-ish)
func (m Model) synRetransCounter() bool { return m.Version.atLeast(4, 0) }
func (m Model) pfmemallocCounter() bool { return m.Version.atLeast(4, 11) }
func (m Model) tcpAO() bool             { return m.Version.atLeast(6, 7) }
func (m Model) skDrops() bool           { return m.Version.atLeast(4, 7) } // ss -ltnm d<N> (F37)
func (m Model) metricsProven() bool     { return m.Version.atLeast(3, 6) } // tcp_peer_is_proven
func (m Model) tsNoTSReject() bool      { return m.Version.atLeast(3, 19) || m.isEL(7) }
func (m Model) cookieValidWindow() string {
	if m.Version.atLeast(4, 4) {
		return "2 min (TCP_SYNCOOKIE_VALID)"
	}
	return "3 s"
}
func (m Model) sendQShowsBacklog() bool { return m.Version.atLeast(2, 6, 24) }

// qsExample renders the SYN queue capacity formula of this model with an example.
func (m Model) qsFormula() string {
	switch m.SynQueueFormula {
	case SynQueueByMaxSynBacklog:
		return "Qs = smallest power of two ≥ max(64, tcp_max_syn_backlog), independent of the listen backlog (e.g. M=1024 → Qs=1024)"
	case SynQueueByFirstBacklog:
		return fmt.Sprintf("Qs = roundup_pow_of_two(max(8, min(B1, tcp_max_syn_backlog)) + 1), B1 = backlog at the first listen(), minimum 16 (e.g. B1=128, M=256 → %d; B1=511, M=1024 → %d; B1=5 → %d)",
			m.SynQueueCapacity(128, 256), m.SynQueueCapacity(511, 1024), m.SynQueueCapacity(5, 1024))
	case SynQueueIsBacklog:
		return "Qs = B = min(listen backlog, net.core.somaxconn): the SYN queue is full when qlen ≥ B (B=0 ⇒ always full)"
	default:
		return "Qs = B+1 with B = min(listen backlog, net.core.somaxconn): the SYN queue is full when qlen > B (B=0 still admits one request)"
	}
}

func (m Model) rtoText() string {
	return fmt.Sprintf("%d s", int(m.SynAckRTO/time.Second))
}

func (m Model) offsetsText() string {
	var parts []string
	for _, d := range m.SynAckOffsets(m.SynAckRetries) {
		parts = append(parts, fmt.Sprintf("+%g", d.Seconds()))
	}
	return strings.Join(parts, ", ") + " s"
}

// floodLog returns the "Possible SYN flooding" dmesg text for this kernel (docs/kernel-counters.md#kernel-log), or "" when the
// kernel logs nothing in that mode. the port/address are written as <port>/<addr> placeholders.
func (m Model) floodLog(cookies bool) string {
	v := m.Version
	action := "Dropping request"
	if cookies {
		action = "Sending cookies"
	}
	switch {
	case (!v.atLeast(2, 6, 33) && v.Distro == "") || m.isEL(5) || m.isEL(6):
		if !cookies {
			return ""
		}
		return "possible SYN flooding on port <port>. Sending cookies. (KERN_INFO, at most once per 60 s)"
	case !v.atLeast(3, 2) && !m.isEL(7):
		return "TCP: Possible SYN flooding on port <port>. " + action + ". (every full-queue SYN, net_ratelimit)"
	case !v.atLeast(3, 17) && !m.isEL(7):
		return "TCP: TCP: Possible SYN flooding on port <port>. " + action + ".  Check SNMP counters. (once per listen())"
	case v.atLeast(6, 2) || m.isEL(10) || (m.isEL(9) && v.rhelBuild() >= 284):
		return "TCP: request_sock_TCP: Possible SYN flooding on port <addr>:<port>. " + action + ". (e.g. 0.0.0.0:80; IPv6: request_sock_TCPv6 … [::]:80; once per listener)"
	default:
		return "TCP: request_sock_TCP: Possible SYN flooding on port <port>. " + action + ".  Check SNMP counters. (IPv6: request_sock_TCPv6; once per listener)"
	}
}
