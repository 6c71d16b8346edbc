package kernel

import (
	"fmt"
	"strings"
	"time"
)

// FixStep is one remediation step.
type FixStep struct {
	Action  string // e.g. "Raise net.core.somaxconn"
	Command string // e.g. "sysctl -w net.core.somaxconn=4096 (persist in /etc/sysctl.d/)"; "" if none
	Why     string // one sentence, era-aware
}

// Explanation is everything the analyzer can say about one branch on one kernel.
type Explanation struct {
	Branch    Branch
	Era       string
	Applies   bool      // false when this era cannot take this branch (e.g. paws_passive on 4.12+)
	Condition string    // the condition in plain words for this era (formulas with the era's numbers)
	Functions []string  // kernel functions, e.g. "tcp_conn_request (net/ipv4/tcp_input.c)"
	Counters  []string  // counters that move in this era, with caveats as text where needed
	Signature string    // what it looks like in a server-side capture
	Confirm   string    // what in sysctl/ss/nstat confirms or rules it out
	Fix       []FixStep // in the order to apply them
	WontFix   []string  // what does NOT fix it
	Notes     []string  // era caveats
}

// Explain describes a branch for the model's kernel, from the branch's
// record: whether the kernel has it (Applies; when not, Condition says why),
// then its explainer. An unknown branch name is an error that lists the
// vocabulary. No text it returns names a catalogue entry (docs/kernel-branches.md):
// TestExplainTextHasNoCatalogueIDs checks every branch on every era.
func Explain(branch string, m Model) (Explanation, error) {
	b, ok := Lookup(branch)
	if !ok {
		return Explanation{}, fmt.Errorf("kernel: unknown branch %q (vocabulary: %s)", branch, vocabulary())
	}
	if m.SynAckRTO == 0 { // zero Model: fall back to a sane default so the text is still meaningful
		m = ModelFor(mustVersion(representative[Era412]))
	}
	e := Explanation{Branch: b, Era: m.Era, Applies: b.Exists(m)}
	b.explain(m, &e)
	if len(e.Counters) == 0 {
		if cs := m.Counters(branch); len(cs) > 0 {
			e.Counters = cs
		} else {
			e.Counters = []string{"no nstat counter moves for this branch in this era"}
		}
	}
	e.Notes = append(e.Notes, m.Caveats...)
	return e, nil
}

const persist = "(persist in /etc/sysctl.d/99-halfopen.conf)"

// --- shared pieces ---

func connRequestFns(m Model) []string {
	fns := []string{"tcp_v4_conn_request (net/ipv4/tcp_ipv4.c)"}
	if m.Version.atLeast(3, 17) || m.isEL(7) {
		fns = append(fns, "tcp_conn_request (net/ipv4/tcp_input.c)")
	}
	return fns
}

func floodFn(m Model) []string {
	switch {
	case m.isEL(7):
		return []string{"tcp_syn_flood_action (net/ipv4/tcp_ipv4.c or tcp_input.c, depending on the RHEL7 backport level)"}
	case m.Version.atLeast(4, 1):
		return []string{"tcp_syn_flood_action (net/ipv4/tcp_input.c)"}
	case m.ReqQFullCounters || m.Version.atLeast(3, 0):
		return []string{"tcp_syn_flood_action (net/ipv4/tcp_ipv4.c)"}
	}
	return nil
}

func queueFns(m Model) []string {
	if m.Version.atLeast(4, 4) {
		return []string{"inet_csk_reqsk_queue_is_full (include/net/inet_connection_sock.h)"}
	}
	return []string{
		"inet_csk_reqsk_queue_is_full / reqsk_queue_is_full (include/net/inet_connection_sock.h, include/net/request_sock.h)",
		"reqsk_queue_alloc (net/core/request_sock.c) — sizes the SYN table at the first listen()",
	}
}

func timerFn(m Model) string {
	if m.CentralSynAckTimer {
		return "inet_csk_reqsk_queue_prune (net/ipv4/inet_connection_sock.c) — central 200 ms listener timer"
	}
	return "reqsk_timer_handler (net/ipv4/inet_connection_sock.c) — per-request timer"
}

func (m Model) timerNote() string {
	if m.CentralSynAckTimer {
		return fmt.Sprintf("SYN-ACK retransmissions come from the central 200 ms listener timer (≤3.19): each may fire up to ~%s late and lateness accumulates.", halfRTO(m))
	}
	return "SYN-ACK retransmissions use per-request timers (4.1+) and are on schedule."
}

func halfRTO(m Model) string {
	return fmt.Sprintf("%.1f s", (m.SynAckRTO / 2).Seconds())
}

func secs(d time.Duration) string { return fmt.Sprintf("%g s", d.Seconds()) }

func syncookiesStep(m Model, why string) FixStep {
	if m.SyncookiesDefault == 0 {
		why += " (this kernel's built-in default is 0; many distributions set 1 in sysctl.conf)"
	}
	return FixStep{
		Action:  "Enable SYN cookies",
		Command: "sysctl -w net.ipv4.tcp_syncookies=1 " + persist,
		Why:     why,
	}
}

func (m Model) somaxconnStep() FixStep {
	return m.somaxconnStepAs("Raise net.core.somaxconn first", "")
}

// somaxconnStepAs builds the somaxconn step with another action text and, if why is not empty,
// another first sentence.
func (m Model) somaxconnStepAs(action, why string) FixStep {
	val := 4096
	if m.SomaxconnDefault >= 4096 {
		val = 16384
	}
	cmd := fmt.Sprintf("sysctl -w net.core.somaxconn=%d %s", val, persist)
	if why == "" {
		why = "The accept-queue limit is B = min(listen() backlog, net.core.somaxconn) (+1 slot)."
	}
	why += fmt.Sprintf(" This kernel's default somaxconn is %d, so a larger application backlog is silently cut to it.", m.SomaxconnDefault)
	if m.BacklogFieldBits == 16 && !m.SomaxconnClamped {
		why += " Keep it ≤ 65535: this kernel stores the backlog in 16 bits without a sysctl clamp, so larger values wrap (branch backlog_truncated)."
	}
	return FixStep{Action: action, Command: cmd, Why: why}
}

func appBacklogStep() FixStep {
	return FixStep{
		Action:  "Raise the application's listen() backlog",
		Command: "nginx: listen 80 backlog=4096;  haproxy: backlog 4096 (frontend/defaults);  Java: new ServerSocket(port, 4096);  systemd socket units: Backlog=4096;  Go's net.Listen already uses somaxconn",
		Why:     "The application's own argument is the other half of min(listen() backlog, somaxconn); many servers default to 511 or 128.",
	}
}

func restartStep(what string) FixStep {
	return FixStep{
		Action:  "Restart the application",
		Command: "systemctl restart <service>",
		Why:     "The backlog is read at listen(); " + what,
	}
}

func acceptFasterStep() FixStep {
	return FixStep{
		Action: "Make the application accept() faster",
		Why:    "A bigger queue only absorbs bursts; if accept() is slower than the arrival rate on average (blocked event loop, too few workers, slow TLS handshakes in the accept thread) the queue refills whatever its size.",
	}
}

func acceptQueueFix(m Model) []FixStep {
	return []FixStep{
		m.somaxconnStep(),
		appBacklogStep(),
		restartStep("raising somaxconn does not change a socket that is already listening."),
		acceptFasterStep(),
	}
}

func acceptQueueWontFix() []string {
	return []string{
		"raising net.ipv4.tcp_max_syn_backlog (it sizes the SYN queue, not the accept queue)",
		"enabling tcp_syncookies (the accept-queue test is made after the cookie decision and again at the ACK)",
		"changing somaxconn without restarting the application (the backlog is fixed at listen())",
	}
}

func (m Model) acceptConfirm() string {
	var s string
	if m.sendQShowsBacklog() {
		s = "ss -ltn for the port: Recv-Q is the accept-queue length and Send-Q is B; Recv-Q = Send-Q+1 means full (capacity B+1)."
	} else {
		s = "ss/netstat -ltn Recv-Q is the accept-queue length; Send-Q does not show the backlog before 2.6.24, so take B from the application config and somaxconn (full at Recv-Q = B+1)."
	}
	if m.SynDropCounted {
		s += " TcpExtListenOverflows and TcpExtListenDrops rising together."
	} else {
		s += " TcpExtListenOverflows/ListenDrops rise only for ACK-time overflows on this kernel."
	}
	if m.skDrops() {
		s += " Per-listener drops: ss -ltnm skmem d<N>."
	}
	return s
}

// --- branches ---

func explainSynQueueFull(m Model, e *Explanation) {
	e.Condition = fmt.Sprintf("tcp_syncookies=0, the SYN did not recycle a TIME-WAIT socket, and the listener already holds qlen ≥ Qs request socks (SYN_RECV), where %s.", m.qsFormula())
	e.Functions = append(append(connRequestFns(m), queueFns(m)...), floodFn(m)...)
	e.Counters = counterText(m, SynQueueFull, func() []string {
		if !m.SynDropCounted && !m.ReqQFullCounters {
			return []string{"none: on this kernel a SYN-time drop moves no counter (2.6.x/3.0), so flat counters do not rule it out"}
		}
		var c []string
		if m.ReqQFullCounters {
			c = append(c, "TcpExtTCPReqQFullDrop (one per dropped SYN)")
		}
		if m.SynDropCounted {
			c = append(c, "TcpExtListenDrops")
		} else {
			c = append(c, "TcpExtListenDrops does not move at SYN time before 3.7")
		}
		return c
	})
	e.Signature = "The client's SYN and its retransmissions (same ISN, client backoff) get no SYN-ACK while many other handshakes to the same port are half-open (SYN-ACK sent, no ACK yet, SYN-ACKs being retransmitted by timer). Drops are bursty: a later retransmission of the same SYN can succeed once qlen falls. No cookie-shaped SYN-ACKs, since cookies are off."
	conf := "tcp_syncookies=0 (with 1 or 2 the answer is a cookie: branch syncookies). `ss -n state syn-recv sport = :PORT | wc -l` ≈ Qs during the drops."
	switch m.SynQueueFormula {
	case SynQueueByMaxSynBacklog, SynQueueByFirstBacklog:
		conf += " This kernel shows the SYN-queue size nowhere: compute Qs from the first listen() backlog and tcp_max_syn_backlog."
	case SynQueueIsBacklog:
		conf += " ss -ltn Send-Q = B = Qs."
	case SynQueueIsBacklogPlus1:
		conf += " ss -ltn Send-Q = B, Qs = Send-Q+1."
	}
	if log := m.floodLog(false); log != "" {
		conf += " dmesg: \"" + log + "\"."
	}
	e.Confirm = conf
	e.Fix = []FixStep{syncookiesStep(m, "With cookies a full SYN queue answers statelessly instead of dropping; this is the protection against SYN floods.")}
	switch m.SynQueueFormula {
	case SynQueueByMaxSynBacklog:
		e.Fix = append(e.Fix, FixStep{
			Action:  "Raise net.ipv4.tcp_max_syn_backlog",
			Command: "sysctl -w net.ipv4.tcp_max_syn_backlog=4096 " + persist,
			Why:     "On 2.6.18/2.6.19 the SYN queue is sized only from tcp_max_syn_backlog (next power of two ≥ max(64, M)); the listen backlog does not size it.",
		}, restartStep("the SYN table is allocated when the socket starts listening."))
		e.WontFix = []string{"raising net.core.somaxconn or the listen() backlog (they size only the accept queue on this kernel)"}
	case SynQueueByFirstBacklog:
		e.Fix = append(e.Fix,
			FixStep{Action: "Raise net.ipv4.tcp_max_syn_backlog", Command: "sysctl -w net.ipv4.tcp_max_syn_backlog=4096 " + persist,
				Why: "Here Qs = roundup_pow_of_two(max(8, min(B1, M)) + 1): the smaller of the first listen() backlog and tcp_max_syn_backlog decides."},
			m.somaxconnStepAs("Raise net.core.somaxconn", "B1 = min(listen() backlog, somaxconn) at the first listen() is the other input of the SYN-queue size."), appBacklogStep(),
			restartStep("on ≤4.3 the SYN table is sized at the first listen() and never resized, so new limits apply only to a freshly created listener."))
		e.WontFix = []string{
			"raising only one of tcp_max_syn_backlog / the listen backlog (Qs uses min(B1, M))",
			"changing the limits without restarting the application (the table is sized at the first listen())",
			"tcp_abort_on_overflow (it concerns the accept queue at ACK time)",
		}
	default:
		e.Fix = append(e.Fix, m.somaxconnStepAs("Raise net.core.somaxconn", "Here the SYN queue holds B = min(listen() backlog, somaxconn) requests (6.13+: B+1)."), appBacklogStep(),
			restartStep("Qs = B is taken from sk_max_ack_backlog, which only listen() sets."))
		e.WontFix = []string{
			"raising net.ipv4.tcp_max_syn_backlog (4.4+: Qs = B; M only shapes the last-quarter rule and cookies' absence)",
			"tcp_abort_on_overflow (it concerns the accept queue at ACK time)",
		}
	}
	e.Fix = append(e.Fix, FixStep{
		Action:  "Shorten the life of unanswered requests during floods",
		Command: "sysctl -w net.ipv4.tcp_synack_retries=2 " + persist,
		Why:     fmt.Sprintf("A request whose client never ACKs occupies the SYN queue for %s at the default 5 retries (R0 = %s); 2 retries free it after %s.", secs(m.SynAckLifetime(5)), m.rtoText(), secs(m.SynAckLifetime(2))),
	})
	e.Notes = append(e.Notes, "SYNs that recycle a TIME-WAIT socket (same 4-tuple, newer sequence/timestamp) bypass this check in every era.")
	if m.SynQueueFormula == SynQueueByFirstBacklog {
		e.Notes = append(e.Notes, "Qs can exceed tcp_max_syn_backlog (up to about 2·M) because of the +1 and the power-of-two rounding.")
	}
	if m.BacklogZeroDrops {
		e.Notes = append(e.Notes, "B = 0 makes every SYN take this path (branch backlog_zero).")
	}
	if log := m.floodLog(false); log == "" {
		e.Notes = append(e.Notes, "This kernel logs nothing when it drops SYNs with cookies off.")
	} else if m.Version.atLeast(3, 2) || m.isEL(7) {
		e.Notes = append(e.Notes, "The flood message is printed once per listener, so no new dmesg lines does not mean no new drops.")
	}
}

func explainSyncookies(m Model, e *Explanation) {
	cond := fmt.Sprintf("tcp_syncookies=1 and the SYN queue is full (qlen ≥ Qs, %s): the kernel answers with a cookie SYN-ACK and keeps no request.", m.qsFormula())
	if m.SyncookiesAlways {
		cond += " With tcp_syncookies=2 every non-TW SYN is answered this way regardless of the queue, and no flood message is logged."
	}
	e.Condition = cond
	e.Functions = append(append(connRequestFns(m), floodFn(m)...), "cookie_v4_init_sequence / cookie_v4_check (net/ipv4/syncookies.c)")
	c := []string{"TcpExtSyncookiesSent (one per cookie SYN-ACK)"}
	if m.ReqQFullCounters {
		c = append(c, "TcpExtTCPReqQFullDoCookies (also for every SYN in mode 2)")
	}
	if m.CookieCountsListenDrops {
		c = append(c, "TcpExtListenDrops also counts each cookie sent on this kernel (3.7–4.6, RHEL7)")
	}
	c = append(c, "on the ACK: TcpExtSyncookiesRecv (valid) / TcpExtSyncookiesFailed (invalid)")
	if !m.Version.atLeast(3, 19) || m.isEL(7) {
		c = append(c, "SyncookiesFailed here also counts stray ACKs to the listener (e.g. after an expired request), not only bad cookies")
	}
	e.Counters = c
	sig := "A cookie SYN-ACK is never retransmitted by the server (no request state), and a repeated identical SYN within the same 60 s cookie slot gets the same ISN. "
	if m.isEL(5) {
		e.Notes = append(e.Notes, "RHEL5: whether the 2.6.26 timestamp option encoding was backported is UNVERIFIED; modelled as vanilla 2.6.18 (MSS only).")
	}
	if m.Version.atLeast(2, 6, 26) {
		sig += "If the client SYN had no timestamp, the SYN-ACK carries only MSS (no SACK-permitted, window scale, timestamp, no ECE) — compare with this listener's normal SYN-ACKs; with a client timestamp the options are kept and encoded in the TSval low bits"
		switch {
		case m.Version.atLeast(4, 10):
			sig += " (not decodable on the wire with tcp_timestamps=1 because of the random TS offset; with tcp_timestamps=2: low 4 bits client wscale (0xf none), bit 4 SACK, bit 5 ECN)."
		case m.Version.atLeast(3, 0) || m.isEL(7):
			sig += " (low 4 bits client wscale (0xf none), bit 4 SACK, bit 5 ECN)."
		default:
			sig += " (low 9 bits = snd_wscale | rcv_wscale<<4 | sack<<8)."
		}
	} else {
		sig += "The cookie SYN-ACK carries only the MSS option (2.6.18 clears all other options), regardless of the client's options."
	}
	sig += " The MSS option is the server's normal advertised MSS; the cookie's MSS table value shows later as the server's maximum segment size toward that client."
	e.Signature = sig
	conf := "tcp_syncookies=1 (or 2); SyncookiesSent rising"
	if m.ReqQFullCounters {
		conf += " with TCPReqQFullDoCookies"
	}
	if log := m.floodLog(true); log != "" {
		conf += "; dmesg \"" + log + "\""
	}
	e.Confirm = conf + "."
	e.Fix = []FixStep{
		{Action: "Keep tcp_syncookies=1", Command: "sysctl -w net.ipv4.tcp_syncookies=1 " + persist,
			Why: "Cookies are not a drop: they keep answering when the SYN queue overflows; turning them off converts these answers into syn_queue_full drops."},
	}
	switch m.SynQueueFormula {
	case SynQueueByMaxSynBacklog:
		e.Fix = append(e.Fix, FixStep{Action: "Raise net.ipv4.tcp_max_syn_backlog so cookies stay the exception", Command: "sysctl -w net.ipv4.tcp_max_syn_backlog=4096 " + persist,
			Why: "Cookie connections lose window scaling and SACK on this kernel; a larger SYN queue avoids them under normal load."})
	case SynQueueByFirstBacklog:
		e.Fix = append(e.Fix, FixStep{Action: "Raise tcp_max_syn_backlog and the listen backlog so cookies stay the exception", Command: "sysctl -w net.ipv4.tcp_max_syn_backlog=4096; raise somaxconn and the application backlog; restart the application",
			Why: "Qs = roundup_pow_of_two(max(8, min(B1, M)) + 1) is fixed at the first listen()."})
	default:
		e.Fix = append(e.Fix, FixStep{Action: "Raise net.core.somaxconn and the application backlog so cookies stay the exception", Command: "sysctl -w net.core.somaxconn=16384; application backlog ≥ that; restart the application",
			Why: "On 4.4+ the SYN queue holds B (6.13+: B+1) requests, so B decides when cookies start."})
	}
	if m.SyncookiesAlways {
		e.Fix = append(e.Fix, FixStep{Action: "Use tcp_syncookies=1 instead of 2 unless always-stateless is intended", Command: "sysctl -w net.ipv4.tcp_syncookies=1 " + persist,
			Why: "Mode 2 makes every handshake a cookie: no SYN-ACK retransmission and options only through timestamps."})
	}
	e.WontFix = []string{"setting tcp_syncookies=0 (turns these answers into drops)", "tcp_abort_on_overflow"}
	if m.SynQueueFormula == SynQueueIsBacklog || m.SynQueueFormula == SynQueueIsBacklogPlus1 {
		e.WontFix = append(e.WontFix, "raising only tcp_max_syn_backlog (4.4+: the SYN queue is B)")
	}
	e.Notes = append(e.Notes,
		fmt.Sprintf("A cookie ACK is validated only if this listener sent a cookie within the last %s; if the final ACK is lost the client's first data segment is validated instead.", m.cookieValidWindow()),
		"If the accept queue is also full, no cookie SYN-ACK is sent (accept_queue_full_syn) or the cookie ACK overflows at syn_recv_sock (ListenOverflows, silent).",
	)
}

func explainAcceptSyn(m Model, e *Explanation) {
	if m.YoungRule {
		e.Condition = "The accept queue is full (acceptq > B: B+1 established connections wait for accept()) AND young > 1: at least two request socks whose SYN-ACK has not been retransmitted yet (younger than the first SYN-ACK timeout, " + m.rtoText() + "). Checked after the SYN-queue/cookie decision."
	} else {
		e.Condition = "The accept queue is full (acceptq > B: B+1 established connections wait for accept()); the SYN is dropped unconditionally. Checked after the SYN-queue/cookie decision, so cookies do not bypass it."
	}
	e.Functions = append(connRequestFns(m), "sk_acceptq_is_full (include/net/sock.h)")
	if m.YoungRule {
		e.Functions = append(e.Functions, "inet_csk_reqsk_queue_young (include/net/inet_connection_sock.h)")
	}
	if m.SynDropCounted {
		e.Counters = []string{"TcpExtListenOverflows", "TcpExtListenDrops (both also move for accept_queue_full_ack: indistinguishable by counters alone)"}
	} else {
		e.Counters = []string{"none: no counter moves at SYN time on this kernel (ListenOverflows/ListenDrops count SYN-time drops only from 3.7); they still move for ACK-time overflows"}
	}
	sig := "SYNs get no SYN-ACK while established-but-unaccepted connections to the port pile up: handshakes complete but the server application sends nothing (no banner/response) for a long time, often with accept_queue_full_ack patterns (SYN-ACK retransmits after the client's ACK) on other connections. A retransmitted SYN succeeds once accept() drains the queue."
	if m.YoungRule {
		sig += " Because of the young>1 rule, with few incoming SYNs some are still answered while the queue is full, and their ACK then hits accept_queue_full_ack."
	}
	e.Signature = sig
	e.Confirm = m.acceptConfirm()
	e.Fix = acceptQueueFix(m)
	e.WontFix = append(acceptQueueWontFix(), "tcp_abort_on_overflow (it acts on the handshake ACK, not on the SYN)")
	if m.YoungRule {
		e.Notes = append(e.Notes, "young > 1 rule (≤4.9 vanilla, RHEL7, 4.4.y before 4.4.178): a SYN is dropped only when the accept queue is full and at least two requests are still young; otherwise it is answered and the ACK meets the full queue later.")
	} else {
		e.Notes = append(e.Notes, "Since 5ea8ea2cb7f1 (4.10; backported to 4.4.178, 3.16.81 and late 4.9.y) the SYN is dropped whenever the accept queue is full.")
	}
	if !m.SynDropCounted {
		e.Notes = append(e.Notes, "On this kernel no counter moves at SYN time: the absence of ListenOverflows/ListenDrops does not exclude this branch.")
	}
	if m.BacklogFieldBits == 16 && !m.SomaxconnClamped {
		e.Notes = append(e.Notes, "somaxconn > 65535 truncates the backlog on this kernel (backlog_truncated): a tiny B fills at low load.")
	}
}

func explainAcceptAck(m Model, e *Explanation) {
	e.Condition = fmt.Sprintf("The client's handshake ACK (or first data segment) finds the accept queue full (acceptq > B, capacity B+1) and tcp_abort_on_overflow=0: the ACK is dropped, the request stays in the SYN queue marked acked, and the SYN-ACK timer keeps retransmitting (R0 = %s, %d retries).", m.rtoText(), m.SynAckRetries)
	e.Functions = []string{"tcp_check_req (net/ipv4/tcp_minisocks.c)", "tcp_v4_syn_recv_sock (net/ipv4/tcp_ipv4.c)", "sk_acceptq_is_full (include/net/sock.h)", timerFn(m)}
	c := []string{"TcpExtListenOverflows and TcpExtListenDrops, one each per dropped ACK/data segment"}
	if !m.Version.atLeast(3, 19) || m.isEL(7) {
		c = append(c, "with syncookies enabled, late ACKs after the request expired also move TcpExtSyncookiesFailed on this kernel")
	}
	e.Counters = c
	e.Signature = fmt.Sprintf("SYN → SYN-ACK → client ACK (present in the capture) → SYN-ACK retransmitted at %s after the first, each answered by a client dup-ACK; client data segments retransmitted without ACK. When accept() makes room the next ACK/data completes the handshake; if the request expires (~%s) the client's next segment gets a RST from the listener. %s",
		m.offsetsText(), secs(m.SynAckLifetime(m.SynAckRetries)), m.timerNote())
	e.Confirm = m.acceptConfirm() + " tcp_abort_on_overflow=0. TCPDeferAcceptDrop not moving (else defer_accept)."
	e.Fix = acceptQueueFix(m)
	e.WontFix = append(acceptQueueWontFix(), "setting tcp_abort_on_overflow=1 (it only turns the silent retry into RSTs: accept_queue_full_rst)")
	pressure := "qlen ≥ Qs/2"
	if m.Version.atLeast(4, 4) {
		pressure = "2·qlen > max(8, B)"
	}
	e.Notes = append(e.Notes,
		"Under SYN-queue pressure ("+pressure+") the kernel allows fewer SYN-ACK retries (down to 2), so the retransmit series can stop early.",
		"Same picture, other causes: TCP_DEFER_ACCEPT (defer_accept), the ACK dropped before TCP (pre_tcp_drop, bad_checksum), an ACK that does not match the request (wrong ack number → RST; out-of-window/PAWS → bare ACK), an MD5/AO mismatch, or the ACK delivered to another host (ECMP/LB).",
	)
}

func explainAcceptRst(m Model, e *Explanation) {
	e.Condition = "As accept_queue_full_ack (handshake ACK finds acceptq > B, capacity B+1) but tcp_abort_on_overflow=1: the kernel answers the ACK with a RST and removes the request."
	e.Functions = []string{"tcp_check_req (net/ipv4/tcp_minisocks.c) — embryonic_reset", "tcp_v4_syn_recv_sock (net/ipv4/tcp_ipv4.c)", "sk_acceptq_is_full (include/net/sock.h)"}
	emb := "TcpExtEmbryonicRsts (4.4+: when the request was unlinked)"
	if !m.Version.atLeast(4, 4) {
		emb = "TcpExtEmbryonicRsts"
	}
	e.Counters = []string{"TcpExtListenOverflows", "TcpExtListenDrops", emb, "TcpOutRsts"}
	e.Signature = "SYN, SYN-ACK, client ACK, then a server RST whose sequence number is the ACK's acknowledgement number; the client sees ECONNRESET on its first read or write. No SYN-ACK retransmissions."
	e.Confirm = m.acceptConfirm() + " net.ipv4.tcp_abort_on_overflow=1."
	e.Fix = append(acceptQueueFix(m), FixStep{
		Action:  "Return tcp_abort_on_overflow to 0 unless fail-fast is wanted",
		Command: "sysctl -w net.ipv4.tcp_abort_on_overflow=0 " + persist,
		Why:     "With 0 a short burst is absorbed: the ACK is retried through SYN-ACK retransmissions instead of resetting the client.",
	})
	e.WontFix = acceptQueueWontFix()
}

func explainLastQuarter(m Model, e *Explanation) {
	e.Condition = m.lastQuarterCondition() + ". The rule is reachable only if the SYN queue can hold more than M − (M>>2) + 1 requests (Qs − 1 > M − (M>>2))."
	e.Functions = connRequestFns(m)
	if m.metricsProven() {
		e.Functions = append(e.Functions, "tcp_peer_is_proven (net/ipv4/tcp_metrics.c)")
	} else {
		e.Functions = append(e.Functions, "inet_getpeer (net/ipv4/inetpeer.c) — only inside the tcp_tw_recycle test")
	}
	if m.SynDropCounted {
		e.Counters = []string{"TcpExtListenDrops only (no TCPReqQFullDrop, no ListenOverflows)"}
	} else {
		e.Counters = []string{"none on this kernel (SYN-time drops move no counter before 3.7)"}
	}
	sig := "Like syn_queue_full but below the full level: while qlen is between M − M/4 and Qs, SYNs "
	if m.ProvenPeerExempt {
		sig += "from client IPs the server has not completed a connection with in the last hour are dropped, while SYNs from recently seen IPs still get SYN-ACKs."
	} else {
		sig += "from every client are dropped (no peer counts as proven with tcp_tw_recycle=0), even though the SYN queue is not full."
	}
	e.Signature = sig
	conf := "tcp_syncookies=0 (any other value disables the rule). Compare M with the SYN-queue size: the rule cannot fire if Qs − 1 ≤ M − M/4."
	if m.SynDropCounted {
		conf += " ListenDrops rising without TCPReqQFullDrop or ListenOverflows."
	}
	if m.ProvenPeerExempt {
		conf += " `ip tcp_metrics show` lists the proven peers."
	}
	if l := m.lastQuarterLog(); l != "" {
		conf += " Possibly \"" + l + "\" in the kernel log."
	} else {
		conf += " The \"drop open request\" message is net_dbg_ratelimited on 4.x+: effectively never visible."
	}
	e.Confirm = conf
	raise := FixStep{
		Action:  "Raise net.ipv4.tcp_max_syn_backlog above the SYN-queue size",
		Command: "sysctl -w net.ipv4.tcp_max_syn_backlog=<at least 4/3 of Qs> " + persist,
		Why:     "The rule fires when qlen > M − M/4; with M ≥ 4/3·Qs the SYN queue fills before it can.",
	}
	switch m.SynQueueFormula {
	case SynQueueByMaxSynBacklog:
		raise.Why = "On 2.6.18 Qs ≥ M always, so the rule fires before the queue is full whatever M is; a larger M only moves the threshold up (M − M/4)."
	case SynQueueByFirstBacklog:
		raise.Why = "Here Qs = roundup_pow_of_two(max(8, min(B1, M)) + 1) can reach ~2·M; making M ≥ 2·B1 keeps Qs − 1 below M − M/4. Restart the application afterwards (≤4.3 sizes the table at listen())."
	case SynQueueIsBacklog:
		raise.Why = "Here Qs = B, so M ≥ 4/3·B (e.g. B=4096 → M ≥ 5462) keeps the rule from firing before the queue is full."
	case SynQueueIsBacklogPlus1:
		raise.Why = "Here Qs = B+1, so M ≥ 4/3·(B+1) keeps the rule from firing before the queue is full."
	}
	e.Fix = []FixStep{
		syncookiesStep(m, "Any non-zero tcp_syncookies disables the last-quarter rule and turns a full SYN queue into cookies instead of drops."),
		raise,
	}
	e.WontFix = []string{"raising only somaxconn or the listen backlog (it does not move M − M/4; on 4.4+ a larger B even makes the rule reachable)"}
	if m.TwRecycle {
		e.WontFix = append(e.WontFix, "enabling tcp_tw_recycle to make peers \"proven\" (it breaks clients behind NAT: paws_passive)")
	}
	if m.ProvenPeerExempt {
		e.Notes = append(e.Notes, "4.12+: the route is looked up first, so peers with a tcp_metrics RTT (local IP, client IP) refreshed within 1 h (TCP_METRICS_TIMEOUT) are exempt; tcp_no_metrics_save=1 disables that.")
	} else {
		e.Notes = append(e.Notes, "≤4.11: the proven-peer exemption needs a route/peer that is only looked up inside the tcp_tw_recycle test, so with tcp_tw_recycle=0 every client is unproven.")
	}
}

func explainPAWSPassive(m Model, e *Explanation) {
	e.Functions = append(connRequestFns(m), "tcp_remember_stamp / tcp_tw_remember_stamp (net/ipv4/tcp_minisocks.c) — stamp written on server-side TIME-WAIT")
	if m.metricsProven() {
		e.Functions = append(e.Functions, "tcp_peer_is_proven(…, paws_check) (net/ipv4/tcp_metrics.c)")
	} else {
		e.Functions = append(e.Functions, "inet_getpeer (net/ipv4/inetpeer.c)")
	}
	if !e.Applies {
		e.Condition = "Not possible on this kernel: tcp_tw_recycle and the PAWSPassive test were removed in 4.12 (4396e46187ca); the sysctl key and the PAWSPassive counter no longer exist."
		e.Counters = []string{"none: TcpExtPAWSPassive does not exist from 4.12"}
		e.Signature = "Does not occur. TSval regressions per client IP on this kernel matter only for a SYN hitting a TIME-WAIT socket of the same 4-tuple (paws_timewait)."
		e.Confirm = "sysctl net.ipv4.tcp_tw_recycle is absent (4.12+)."
		e.Fix = []FixStep{{Action: "Nothing to change on the server", Why: "The mechanism does not exist on 4.12+; look at paws_timewait or the queue branches instead."}}
		e.WontFix = []string{"anything tcp_tw_recycle-related (the knob is gone)"}
		return
	}
	cond := "net.ipv4.tcp_tw_recycle=1, the SYN carries a timestamp, the route check passes, and the kernel remembers a timestamp for the client IP stamped less than 60 s ago (TCP_PAWS_MSL) with (remembered TSval − SYN.TSval) > 1 (TCP_PAWS_WINDOW)"
	if m.tsNoTSReject() {
		cond += "; on this kernel also a SYN without a timestamp when such a recent stamp exists"
	}
	e.Condition = cond + ". The stamp is written when a connection from that IP enters TIME-WAIT on the server (the server closed first)."
	if m.SynDropCounted {
		e.Counters = []string{"TcpExtPAWSPassive", "TcpExtListenDrops"}
	} else {
		e.Counters = []string{"TcpExtPAWSPassive (ListenDrops does not move at SYN time before 3.7)"}
	}
	e.Signature = "Client IP X had a connection that the server closed first less than 60 s earlier, with last TSval T; a new SYN from X (any source port) with a TSval older than T−1 gets no answer, and its retransmissions keep failing until 60 s after the stamp. Typical with many clients behind one NAT address (their clocks differ) or clients running Linux 4.10 (per-connection random TS offsets). The analyzer can compute T per source IP from the capture. No log line."
	e.Confirm = "sysctl net.ipv4.tcp_tw_recycle = 1 (the key exists only ≤4.11) and tcp_timestamps ≥ 1; TcpExtPAWSPassive > 0 and rising. Ruled out by tcp_tw_recycle=0."
	e.Fix = []FixStep{
		{Action: "Disable tcp_tw_recycle", Command: "sysctl -w net.ipv4.tcp_tw_recycle=0 " + persist,
			Why: "Per-IP timestamp checks are wrong whenever several hosts share an IP (NAT, load balancers) — never enable it on a server reachable through NAT."},
		{Action: "Reduce server-side TIME-WAIT instead, if that was the reason for tw_recycle",
			Why: "Let clients close first or use keep-alive; on outgoing connections use tcp_tw_reuse, which is safe and client-side only."},
	}
	e.WontFix = []string{"raising somaxconn / tcp_max_syn_backlog (no queue is involved)", "tcp_tw_reuse on the server (it only affects outgoing connect())"}
	e.Notes = append(e.Notes, "The knob was removed in 4.12 (4396e46187ca), partly because 4.10's random timestamp offsets broke it for all clients.")
}

func (m Model) twFunctions() []string {
	return []string{"tcp_timewait_state_process (net/ipv4/tcp_minisocks.c)", "tcp_v4_rcv → tcp_v4_timewait_ack (net/ipv4/tcp_ipv4.c)"}
}

func twFix() []FixStep {
	return []FixStep{
		{Action: "Keep the TIME-WAIT on the client: let the client close first or use keep-alive",
			Why: "TIME-WAIT lives on the side that closes first; a server that closes every connection (HTTP without keep-alive, short RPCs) keeps each 4-tuple for 60 s."},
		{Action: "On the clients, widen the ephemeral port range",
			Command: "sysctl -w net.ipv4.ip_local_port_range=\"10240 65000\" (on the client) " + persist,
			Why:     "Fewer reuses of the same source port within 60 s means fewer SYNs meeting the server's TIME-WAIT."},
		{Action: "Keep TCP timestamps on at both ends",
			Command: "sysctl -w net.ipv4.tcp_timestamps=1",
			Why:     "A SYN with a newer timestamp than the old connection is accepted as a new incarnation even when its sequence number is lower."},
	}
}

func twWontFix() []string {
	return []string{
		"net.ipv4.tcp_tw_reuse on the server (it applies only to outgoing connect(), i.e. the client side)",
		"tcp_tw_recycle (removed in 4.12, breaks NAT clients before that)",
		"raising somaxconn or tcp_max_syn_backlog (no queue is involved)",
	}
}

func explainPAWSTimewait(m Model, e *Explanation) {
	e.Condition = "The SYN's 4-tuple matches a TIME-WAIT socket (the server closed a connection with the same client IP:port less than 60 s earlier), timestamps were used on the old connection, and SYN.TSval < the old ts_recent (PAWS): the SYN is not accepted as a new incarnation and the server sends a bare ACK."
	e.Functions = m.twFunctions()
	c := []string{"TcpExtPAWSEstab (TIME-WAIT PAWS rejects are counted there before 6.16)"}
	if m.PAWSTimewaitCounter {
		c = []string{"TcpExtPAWSTimewait (6.16+)"}
	}
	if m.oowRateLimit() {
		c = append(c, "TcpExtTCPACKSkippedTimeWait when the answering ACK is rate-limited")
	}
	e.Counters = c
	e.Signature = fmt.Sprintf("SYN → the server replies with a plain ACK whose acknowledgement number ≠ SYN.seq+1 (it acknowledges the old connection) → the client answers RST (seq = that ack number) → the RST kills the TIME-WAIT socket (tcp_rfc1337=0) → the client's SYN retransmission about %s later succeeds. The new SYN's TSval is below the last TSval of the old connection on that 4-tuple.", m.rtoText())
	e.Confirm = "The previous connection on the same 4-tuple was actively closed by the server (server FIN first) less than 60 s earlier; " + strings.Join(c, ", ") + "; many sockets in `ss -tan state time-wait`."
	e.Fix = twFix()
	e.WontFix = twWontFix()
	e.Notes = append(e.Notes, "Not a silent drop: the handshake is delayed by one client SYN retransmission.")
	if m.Version.atLeast(4, 10) {
		e.Notes = append(e.Notes, "Linux timestamp offsets: per connection in 4.10.0, per (saddr, daddr) from 4.11 (28ee1b746f49), per 4-tuple again with 165573e41f2f (2026, 6.12.y/6.18.y stables).")
	}
}

func explainTimewaitSeq(m Model, e *Explanation) {
	e.Condition = "The SYN's 4-tuple matches a TIME-WAIT socket and the SYN is not acceptable as a new incarnation: its sequence number is not above the old connection's rcv_nxt and it carries no newer timestamp (e.g. a client without timestamps reusing the port with a random, lower ISN). The server answers with a bare ACK."
	e.Functions = m.twFunctions()
	if m.oowRateLimit() {
		e.Counters = []string{"no specific counter; TcpExtTCPACKSkippedTimeWait when the answering ACK is rate-limited"}
	} else {
		e.Counters = []string{"no counter moves (the ACK is not rate-limited before 4.0)"}
	}
	e.Signature = fmt.Sprintf("SYN → server bare ACK with an acknowledgement number from the old connection → client RST → client's SYN retransmission %s later succeeds. Classic with Windows clients (no timestamps, random ISNs: about half of all port reuses) and NAT port reuse.", m.rtoText())
	e.Confirm = "The server did the active close of the previous connection on the same 4-tuple less than 60 s before; `ss -tan state time-wait` shows many TIME-WAIT sockets; no PAWS counter moves."
	e.Fix = twFix()
	e.WontFix = twWontFix()
}

func explainSynToEstablished(m Model, e *Explanation) {
	if m.ChallengeACK {
		e.Condition = "A SYN arrives for the 4-tuple of a live (ESTABLISHED or half-dead) socket: RFC 5961 — the kernel answers with a rate-limited challenge ACK and keeps the old connection."
		e.Functions = []string{"tcp_validate_incoming (net/ipv4/tcp_input.c)", "tcp_send_challenge_ack (net/ipv4/tcp_input.c)"}
		e.Signature = "SYN → bare ACK in the old connection's sequence space → client RST → the RST closes the stale socket → the client's retransmitted SYN succeeds. If the challenge ACK is rate-limited (tcp_challenge_ack_limit) the SYN just goes unanswered."
	} else {
		e.Condition = "A SYN arrives for the 4-tuple of a live socket: an in-window SYN silently resets the existing connection (no packet back); an out-of-window SYN gets a duplicate ACK."
		e.Functions = []string{"tcp_rcv_established / tcp_validate_incoming (net/ipv4/tcp_input.c)"}
		e.Signature = "SYN unanswered (the old connection is silently torn down), the client's retransmitted SYN succeeds; or a duplicate ACK for an out-of-window SYN."
	}
	e.Confirm = "`ss -tn` shows an ESTABLISHED (or CLOSE-WAIT) socket with the same 4-tuple; " + strings.Join(m.Counters(SynToEstablished), ", ") + " rising."
	e.Fix = []FixStep{
		{Action: "Detect dead peers sooner with TCP keepalive", Command: "application: SO_KEEPALIVE; sysctl -w net.ipv4.tcp_keepalive_time=600 " + persist,
			Why: "Half-dead connections (client rebooted, NAT state expired) keep the 4-tuple busy until the server notices."},
		{Action: "Make NAT/load balancers keep port mappings longer than the server's idle timeouts",
			Why: "A NAT that recycles a source port while the server still holds the old connection produces exactly this collision."},
	}
	e.WontFix = []string{"raising somaxconn / tcp_max_syn_backlog", "syncookies"}
	if m.ChallengeACK {
		e.Notes = append(e.Notes, "tcp_challenge_ack_limit was global in 3.x/4.x; later changes (per-socket limits) are UNVERIFIED here.")
	}
}

func explainSynToSynRecv(m Model, e *Explanation) {
	cond := "A SYN with a different ISN matches a pending request (SYN_RECV) of the same 4-tuple: out of window ⇒ the server sends a bare ACK (PAWSEstab if PAWS failed); in window ⇒ RST and the request is dropped. A SYN with the same ISN (a retransmission) makes the server retransmit its SYN-ACK"
	if m.oowRateLimit() {
		cond += " (at most once per tcp_invalid_ratelimit, 500 ms; else TCPACKSkippedSynRecv)"
	}
	e.Condition = cond + "."
	e.Functions = []string{"tcp_check_req (net/ipv4/tcp_minisocks.c)"}
	e.Signature = "Two SYNs on the same 4-tuple with different ISNs within the request's lifetime: the second is answered by a bare ACK or by a RST instead of a SYN-ACK."
	e.Confirm = "TcpAttemptFails and TcpExtEmbryonicRsts rising (in-window case); the capture shows the earlier pending handshake on the same 4-tuple."
	e.Fix = []FixStep{
		{Action: "Do not reuse a source port while an earlier attempt is pending", Command: "client: no fixed source port; sysctl -w net.ipv4.ip_local_port_range=\"10240 65000\"",
			Why: fmt.Sprintf("A pending request lives up to %s here; a new ISN on the same 4-tuple collides with it.", secs(m.SynAckLifetime(m.SynAckRetries)))},
		{Action: "Check NAT/LB port allocation", Why: "Middleboxes that map two client connections to the same public port within seconds cause this collision."},
	}
	e.WontFix = []string{"raising somaxconn / tcp_max_syn_backlog"}
}

func explainDeferAccept(m Model, e *Explanation) {
	e.Condition = "The listener uses TCP_DEFER_ACCEPT (nginx `listen … deferred`, haproxy `defer-accept`): while the request's timeout count is below the defer period, a bare handshake ACK (no data) is dropped and the request marked acked."
	e.Functions = []string{"tcp_check_req (net/ipv4/tcp_minisocks.c)", timerFn(m)}
	if !m.threeZeroCounters() {
		e.Counters = []string{"none on this kernel (TcpExtTCPDeferAcceptDrop exists from 3.0)"}
	}
	e.Signature = "Client ACK, then the server stays silent: no SYN-ACK retransmissions at " + m.offsetsText() + " (unlike accept_queue_full_ack). When the client sends data the connection completes normally; clients of server-speaks-first protocols (SMTP, FTP, SSH, MySQL) wait, get one late SYN-ACK at the end of the defer period and are then dropped."
	conf := "Application config shows deferred/defer-accept; no ListenOverflows."
	if m.threeZeroCounters() {
		conf = "TcpExtTCPDeferAcceptDrop rising; " + conf
	}
	e.Confirm = conf
	e.Fix = []FixStep{
		{Action: "Remove TCP_DEFER_ACCEPT where the server speaks first", Command: "nginx: drop `deferred` from the listen directive; haproxy: remove `defer-accept` from the bind line; restart",
			Why: "Those clients never send data before the server does, so every handshake waits out the defer period."},
		{Action: "Keep it only for client-speaks-first protocols (HTTP)", Why: "There the first data segment completes the handshake at once."},
	}
	e.WontFix = []string{"raising somaxconn / tcp_max_syn_backlog", "tcp_abort_on_overflow"}
}

func explainBacklogZero(m Model, e *Explanation) {
	e.Functions = append(append(connRequestFns(m), queueFns(m)...), floodFn(m)...)
	if !e.Applies {
		switch m.SynQueueFormula {
		case SynQueueIsBacklogPlus1:
			e.Condition = "Not on this kernel: with 3479c7549fb1 (6.13, and 5.4.290/5.10.234/5.15.177/6.1.125/6.6.72/6.12.10) the SYN queue holds B+1 requests, so listen(fd, 0) still admits one pending handshake and one queued connection."
		default:
			e.Condition = "Not on this kernel: before 4.4 the SYN queue is sized with a minimum of 16 (or from tcp_max_syn_backlog), so B = 0 only limits the accept queue to one connection (see accept_queue_full_syn/ack)."
		}
		e.Counters = []string{"not applicable"}
		e.Signature = "Not applicable; with B = 0 the accept queue holds one connection, so a slow accept() shows accept-queue symptoms at the second connection."
		e.Confirm = "ss -ltn Send-Q = 0 for the port would show B = 0."
		e.Fix = []FixStep{{Action: "Use a listen() backlog ≥ 1 anyway", Command: "application: listen(fd, SOMAXCONN) or a configured backlog", Why: "A one-slot accept queue overflows at the first burst."}}
		e.WontFix = []string{"raising tcp_max_syn_backlog"}
		return
	}
	e.Condition = "listen(fd, 0) (or B truncated to 0) and tcp_syncookies=0: the SYN-queue test qlen ≥ B is 0 ≥ 0, always true, so every non-TW SYN takes the queue-full drop."
	e.Counters = []string{"TcpExtTCPReqQFullDrop and TcpExtListenDrops, one each per SYN"}
	if l := m.floodLog(false); l != "" {
		e.Counters = append(e.Counters, "one dmesg line: \""+l+"\"")
	}
	e.Signature = "Every SYN to the port (and every retransmission) is unanswered — no SYN-ACK ever — while other ports of the same host work."
	e.Confirm = "ss -ltn Send-Q = 0 for the port and tcp_syncookies=0; TCPReqQFullDrop grows by one per client SYN."
	e.Fix = []FixStep{
		{Action: "Give listen() a real backlog", Command: "application: listen(fd, SOMAXCONN) / nginx backlog=511 / systemd Backlog=; then restart",
			Why: "On 4.4–6.12 the SYN queue is B requests, so B = 0 means no SYN is ever accepted with cookies off."},
		syncookiesStep(m, "With cookies every SYN is answered statelessly even when B = 0."),
		{Action: "Upgrade the kernel", Command: "6.13+, or stable ≥ 5.4.290 / 5.10.234 / 5.15.177 / 6.1.125 / 6.6.72 / 6.12.10",
			Why: "3479c7549fb1 (\"allow a connection when sk_max_ack_backlog is zero\") makes the SYN queue B+1."},
	}
	e.WontFix = []string{"raising net.core.somaxconn (B = min(0, somaxconn) = 0)", "raising tcp_max_syn_backlog (not used for Qs on 4.4+)"}
}

func explainBacklogTruncated(m Model, e *Explanation) {
	e.Functions = []string{"__sys_listen / sys_listen (net/socket.c)", "inet_listen (net/ipv4/af_inet.c) — stores sk_max_ack_backlog", "sysctl net.core.somaxconn (net/core/sysctl_net_core.c)"}
	if !e.Applies {
		if m.BacklogFieldBits != 16 {
			e.Condition = "Not on this kernel: sk_max_ack_backlog is 32 bits (4.1+), so a somaxconn above 65535 is stored as is."
		} else {
			e.Condition = "Not on this kernel: the sysctl refuses net.core.somaxconn > 65535 (\"Invalid argument\"), so the 16-bit backlog cannot wrap."
		}
		e.Counters = []string{"not applicable"}
		e.Signature = "Not applicable."
		e.Confirm = "Compare ss -ltn Send-Q with min(application backlog, somaxconn)."
		e.Fix = []FixStep{{Action: "Nothing to change for truncation", Why: "This kernel cannot truncate the backlog."}}
		e.WontFix = []string{"none"}
		return
	}
	e.Condition = "net.core.somaxconn > 65535 (the sysctl does not refuse it on this kernel) and the application asks for a backlog above 65535 (listen(fd, -1) or a large value): B is stored modulo 65536 in the 16-bit sk_max_ack_backlog — somaxconn=65536 with listen(fd, -1) gives B = 0, 70000 gives 4464."
	if m.SynDropCounted {
		e.Counters = []string{"as accept_queue_full_syn/ack: TcpExtListenOverflows, TcpExtListenDrops"}
	} else {
		e.Counters = []string{"TcpExtListenOverflows/ListenDrops for ACK-time overflows only (SYN-time drops are not counted before 3.7)"}
	}
	e.Signature = "Accept-queue symptoms at low load: SYNs unanswered or SYN-ACKs retransmitted after the client's ACK (accept_queue_full_syn/ack) with only a handful of connections pending."
	if m.sendQShowsBacklog() {
		e.Confirm = "sysctl net.core.somaxconn > 65535 and ss -ltn Send-Q for the port is small or 0 (it shows the truncated B)."
	} else {
		e.Confirm = "sysctl net.core.somaxconn > 65535 and an accept queue (ss/netstat Recv-Q) that overflows at a few connections (Send-Q does not show B before 2.6.24)."
	}
	e.Fix = []FixStep{
		{Action: "Set somaxconn to at most 65535", Command: "sysctl -w net.core.somaxconn=65535 " + persist,
			Why: "This kernel keeps the backlog in an unsigned short without a sysctl clamp (2.6.18, 3.0–3.9, RHEL6)."},
		restartStep("the truncated value stays until the socket listens again."),
	}
	e.WontFix = []string{"raising somaxconn further (it wraps again)", "raising tcp_max_syn_backlog"}
}

func explainBroadcast(m Model, e *Explanation) {
	e.Condition = "The SYN's destination is a broadcast (limited or subnet) or multicast (224.0.0.0/4) address; tcp_v4_conn_request drops it before any queue test."
	e.Functions = []string{"tcp_v4_conn_request (net/ipv4/tcp_ipv4.c)"}
	e.Signature = "SYN with a broadcast/class-D destination address, never answered."
	e.Confirm = "Destination address of the SYN in the capture; ListenDrops rising (3.7+) with nothing else."
	e.Fix = []FixStep{{Action: "Fix the addressing", Why: "A client, scanner or NAT/LB rule is sending TCP to a broadcast or multicast address; TCP cannot be answered there."}}
	e.WontFix = []string{"any queue or syncookie setting"}
}

func explainLSM(m Model, e *Explanation) {
	e.Functions = append(connRequestFns(m), "security_inet_conn_request (security/security.c)")
	if !e.Applies {
		e.Condition = "Not on this kernel: 2.6.18's tcp_v4_conn_request has no security_inet_conn_request hook."
		e.Counters = []string{"not applicable"}
		e.Signature = "Not applicable."
		e.Confirm = "Not applicable; on RHEL5 check audit.log anyway if SELinux labeled networking is configured (backports UNVERIFIED)."
		e.Fix = []FixStep{{Action: "Nothing to change", Why: "The hook does not exist on this kernel."}}
		e.WontFix = []string{"none"}
		return
	}
	e.Condition = "security_inet_conn_request() refuses the request: SELinux labeled networking (NetLabel/CIPSO/CALIPSO, IPsec labels) or Smack denies the peer's label for this socket."
	e.Signature = "Selective silent drops: only some peers or labels fail; nothing on the wire distinguishes it from other silent drops."
	e.Confirm = "AVC denials in the audit log (`ausearch -m avc -ts recent`), `getenforce` = Enforcing, labeled networking configured (`netlabelctl`, `semanage`); ListenDrops rising (3.7+) without queue counters."
	e.Fix = []FixStep{{Action: "Fix the security policy for this peer/port", Command: "ausearch -m avc -ts recent | audit2allow -M local; review, then semodule -i local.pp",
		Why: "The drop is a policy decision; queues and sysctls are not involved."}}
	e.WontFix = []string{"any queue or syncookie setting"}
}

func explainRequestFailure(m Model, e *Explanation) {
	cond := "Inside the listener the request cannot be completed: request-sock allocation fails (GFP_ATOMIC under memory pressure), no route back to the client exists (policy routing, missing return route), or sending the SYN-ACK fails (e.g. an OUTPUT rule returning an error)"
	if m.Version.atLeast(4, 4) {
		cond += "; a transmit error is ignored on this kernel — the request stays and every timer retransmission meets the same obstacle; an ICMP error for a pending request removes it (tcp_req_err)"
	} else {
		cond += "; a transmit error frees the request at once"
	}
	e.Condition = cond + "."
	e.Functions = append(connRequestFns(m), "inet_csk_route_req (net/ipv4/inet_connection_sock.c)", "tcp_v4_send_synack (net/ipv4/tcp_ipv4.c)")
	e.Signature = "SYN visible, no SYN-ACK in the capture: SYN-ACKs dropped in OUTPUT/POSTROUTING or by a qdisc never reach the egress tap."
	conf := "`ip route get <client-ip> from <server-ip>`; OUTPUT/POSTROUTING rule counters; `tc -s qdisc` drops; page-allocation failures in dmesg."
	if m.SynDropCounted {
		conf = "ListenDrops rising without TCPReqQFullDrop or ListenOverflows; " + conf
	}
	e.Confirm = conf
	e.Fix = []FixStep{
		{Action: "Fix the return route", Command: "ip route get <client-ip> from <server-ip>; ip rule show", Why: "With policy routing or multiple uplinks the reply may have no valid route."},
		{Action: "Fix egress filtering and qdisc drops", Command: "iptables -L OUTPUT -v -n; nft list ruleset; tc -s qdisc show", Why: "A SYN-ACK dropped on the way out looks like an ignored SYN."},
		{Action: "Relieve atomic-allocation pressure", Command: "sysctl -w vm.min_free_kbytes=<larger> " + persist, Why: "Request socks are allocated in softirq context and fail first under memory pressure."},
	}
	e.WontFix = []string{"raising somaxconn / tcp_max_syn_backlog", "syncookies"}
}

func explainBadChecksum(m Model, e *Explanation) {
	e.Condition = "The TCP checksum of the incoming SYN is wrong: the segment is discarded in tcp_v4_rcv before any socket lookup (no RST)."
	e.Functions = []string{"tcp_v4_rcv (net/ipv4/tcp_ipv4.c) — tcp_checksum_complete"}
	e.Signature = "An incoming SYN whose TCP checksum is wrong in a capture taken on the server's interface, never answered. Outgoing packets with 'wrong' checksums are just checksum-offload artefacts and do not count."
	conf := "TcpInErrs rising"
	if m.inCsumErrors() {
		conf += " together with TcpInCsumErrors"
	}
	e.Confirm = conf + "."
	e.Fix = []FixStep{
		{Action: "Find where the packet is corrupted", Command: "ethtool -S <if> (rx crc errors); test with ethtool -K <if> rx off",
			Why: "Bad cables/optics, a faulty NIC or driver receive-offload bug, or a middlebox rewriting headers without fixing the checksum."},
	}
	e.WontFix = []string{"any queue or syncookie setting"}
}

func explainPreTCP(m Model, e *Explanation) {
	socketLevel := m.socketFilterText()
	e.Condition = "The SYN reached the host (it is in the capture) but was dropped before the listener: an iptables/nftables DROP, conntrack table full or an INVALID-state rule, rp_filter failure / destination not local / frame not for this host / bad IP header, or a socket-level filter — " + socketLevel + "."
	e.Functions = []string{"netfilter hooks NF_INET_PRE_ROUTING / NF_INET_LOCAL_IN", "nf_conntrack_in (net/netfilter/nf_conntrack_core.c)", "fib_validate_source (net/ipv4/fib_frontend.c)", "tcp_v4_rcv / tcp_v4_do_rcv (net/ipv4/tcp_ipv4.c)"}
	c := []string{"netfilter and conntrack drops move no TCP counter: use iptables -L -v -n / nft list ruleset counters and conntrack -S (drop, early_drop, invalid)"}
	c = append(c, m.Counters(PreTCPDrop)...)
	e.Counters = c
	e.Signature = "SYN visible in the server-side capture, never answered, and no listener counter (ListenDrops, TCPReqQFullDrop, ListenOverflows) moves. A destination MAC that is not the server's (PACKET_OTHERHOST, promiscuous capture, VIP owned by another node) or a destination IP not on the host also points here."
	conntrackLog := "\"nf_conntrack: table full, dropping packet\""
	if m.isEL(5) {
		conntrackLog = "\"ip_conntrack: table full, dropping packet.\""
	}
	e.Confirm = "Rule counters in the ruleset; net.netfilter.nf_conntrack_count ≈ nf_conntrack_max and " + conntrackLog + " in dmesg; rp_filter=1 with asymmetric routing and IPReversePathFilter rising (\"martian source\" with log_martians=1); destination MAC/IP in the capture."
	ctMax := "sysctl -w net.netfilter.nf_conntrack_max=<larger> " + persist + ", or exempt the port in the raw table (-j NOTRACK / notrack)"
	if m.isEL(5) {
		ctMax = "sysctl -w net.ipv4.netfilter.ip_conntrack_max=<larger> " + persist
	}
	e.Fix = []FixStep{
		{Action: "Find the dropping rule", Command: "iptables -L -v -n -t raw; iptables -L -v -n; nft list ruleset", Why: "A DROP rule is invisible to TCP; only its counter shows it."},
		{Action: "Raise the conntrack limit or stop tracking the port", Command: ctMax, Why: "A full conntrack table drops new SYNs in bursts at high connection rates."},
		{Action: "Use loose reverse-path filtering on asymmetric paths", Command: "sysctl -w net.ipv4.conf.all.rp_filter=2 " + persist, Why: "Strict rp_filter drops packets that arrive on an interface other than the route back."},
		{Action: "Fix address ownership", Why: "If the SYN's destination MAC or IP is not this host's (VRRP/VIP moved, wrong ARP), the kernel discards it silently."},
	}
	e.WontFix = []string{"raising somaxconn / tcp_max_syn_backlog", "syncookies"}
}

func explainRxDrop(m Model, e *Explanation) {
	e.Condition = "The SYN was dropped by the NIC RX ring/driver/XDP or by the per-CPU softnet backlog (over net.core.netdev_max_backlog, with RPS/netif_rx) — before the AF_PACKET tap."
	e.Functions = []string{"enqueue_to_backlog (net/core/dev.c)", "driver RX ring / XDP program"}
	e.Counters = []string{"no nstat counter: /proc/net/softnet_stat column 2 (softnet), ip -s link RX dropped/missed, ethtool -S rx_missed_errors / rx_no_buffer_count / rx_fifo_errors"}
	e.Signature = "Not visible in a server-side capture at all. If the SYN is present in a capture taken on the server, this branch is ruled out; it remains possible only for captures taken upstream (SPAN/TAP/LB), or when the server capture shows a client SYN retransmission without the earlier SYN."
	e.Confirm = "softnet_stat dropped column or NIC drop counters rising during the incident."
	e.Fix = []FixStep{
		{Action: "Enlarge the NIC RX ring", Command: "ethtool -G <if> rx 4096", Why: "Bursts overflow a small ring before the kernel polls it."},
		{Action: "Raise the softnet backlog", Command: "sysctl -w net.core.netdev_max_backlog=16384 " + persist, Why: "RPS/netif_rx queues per CPU are limited by netdev_max_backlog."},
		{Action: "Spread receive work across CPUs", Command: "check /proc/interrupts; configure RSS/RPS", Why: "One overloaded CPU drops while others idle."},
	}
	e.WontFix = []string{"any listener queue or syncookie setting"}
}

func explainSynAckLost(m Model, e *Explanation) {
	e.Condition = "The server sent the SYN-ACK (it is in the capture) but it never reached the client: lost after the capture point (NIC TX, path, client-side firewall)."
	e.Functions = []string{timerFn(m), "tcp_v4_send_synack (net/ipv4/tcp_ipv4.c)"}
	rl := "each client SYN retransmission triggers an immediate SYN-ACK retransmission"
	if m.oowRateLimit() {
		rl += " (at most one per 500 ms)"
	}
	e.Signature = fmt.Sprintf("SYN-ACK present; the client keeps retransmitting its SYN and %s, in addition to the timer retransmissions at %s.", rl, m.offsetsText())
	e.Confirm = "NIC TX errors (ip -s link, ethtool -S), path loss/MTU issues, client firewall logs; only retransmission counters move."
	e.Fix = []FixStep{
		{Action: "Check the transmit side and the path", Command: "ip -s link show <if>; ethtool -S <if>; mtr/traceroute from the server to the client", Why: "The kernel did its part; the packet is lost below or beyond the host."},
		{Action: "Check the client-side firewall/NAT", Why: "A stateful firewall that dropped the outgoing SYN's state discards the SYN-ACK."},
	}
	e.WontFix = []string{"any server queue or syncookie setting"}
}

func explainClosedPort(m Model, e *Explanation) {
	e.Condition = "No socket listens on the destination address and port (service down, restarting, or bound to another address such as 127.0.0.1): the kernel answers the SYN with RST+ACK."
	e.Functions = []string{"tcp_v4_rcv → no_tcp_socket → tcp_v4_send_reset (net/ipv4/tcp_ipv4.c)"}
	e.Signature = "SYN → RST/ACK from the server with ack = SYN.seq+1, immediately; the client reports ECONNREFUSED. An iptables REJECT --reject-with tcp-reset looks identical."
	e.Confirm = "`ss -ltn` shows no listener for that address:port at the time; TcpOutRsts rising; check for REJECT rules."
	e.Fix = []FixStep{
		{Action: "Start the service or fix its bind address/port", Command: "ss -ltnp; systemctl status <service>", Why: "Nothing accepted connections on that address:port."},
		{Action: "Avoid listener gaps during restarts", Why: "Use socket activation or SO_REUSEPORT handover so the port is never closed during deploys."},
	}
	e.WontFix = []string{"any queue or syncookie setting"}
}

func explainClientNeverAcked(m Model, e *Explanation) {
	e.Condition = fmt.Sprintf("The server answered with a SYN-ACK and retransmitted it by timer, but no ACK came back before the request expired (~%s): spoofed or flood sources, loss toward the client, a client firewall, or asymmetric routing.", secs(m.SynAckLifetime(m.SynAckRetries)))
	e.Functions = []string{timerFn(m)}
	e.Signature = fmt.Sprintf("SYN → SYN-ACK, SYN-ACK retransmissions at %s, no client ACK and usually no client SYN retransmission (spoofed sources never retransmit). Many such sources at once is a SYN flood.", m.offsetsText())
	e.Confirm = "Source addresses that never complete handshakes; syn-recv sockets piling up (`ss -n state syn-recv`); TCPTimeouts/RetransSegs rising."
	e.Fix = []FixStep{
		syncookiesStep(m, "If this is a flood, cookies keep legitimate clients served when the SYN queue fills."),
		{Action: "Check the path back to real clients", Why: "For legitimate clients the SYN-ACK is lost or filtered on the way (see synack_lost)."},
	}
	e.WontFix = []string{"raising the accept queue (handshakes never complete)"}
}

func explainUnknown(m Model, e *Explanation) {
	e.Condition = "The available evidence does not single out one branch."
	e.Signature = "Unanswered or delayed handshakes without a distinguishing pattern."
	e.Confirm = "Collect before and after the incident: `sysctl -a`, `ss -ltnm`, `nstat -az` (twice, to get deltas), dmesg, iptables/nft counters, /proc/net/softnet_stat, and a capture on the server and, if possible, upstream."
	e.Fix = []FixStep{{Action: "Collect the missing evidence", Command: "nstat -az > before; …; nstat -az > after; ss -ltnm; sysctl -a", Why: "Counter deltas and listener queue sizes decide between the remaining branches."}}
	e.WontFix = []string{"changing settings blindly"}
}

func counterText(m Model, branch string, f func() []string) []string {
	if f != nil {
		return f()
	}
	return m.Counters(branch)
}
