package kernel

import "time"

// EffectiveBacklog returns B = min(listen() argument, net.core.somaxconn) as stored in
// sk_max_ack_backlog (docs/kernel-eras.md#definitions). A negative listen argument behaves as "huge" (the kernel compares it
// as unsigned), so it yields somaxconn. On kernels with a 16-bit field and no sysctl clamp
// (2.6.18, 3.0–3.9, RHEL6; docs/kernel-eras.md#f30, #f31) a B above 65535 is stored modulo 65536 and truncated is true
// (docs/kernel-branches.md#b14). Where the sysctl clamps, a somaxconn above 65535 cannot be set; the result is capped at
// 65535.
func (m Model) EffectiveBacklog(listenArg, somaxconn int) (b int, truncated bool) {
	if somaxconn < 0 {
		somaxconn = 0
	}
	b = somaxconn
	if listenArg >= 0 && listenArg < somaxconn {
		b = listenArg
	}
	if m.BacklogFieldBits == 16 && b > 0xffff {
		if m.SomaxconnClamped {
			return 0xffff, false
		}
		return b & 0xffff, true
	}
	if b > 1<<31-1 {
		b = 1<<31 - 1
	}
	return b, false
}

// AcceptQueueCapacity is the number of established, not yet accepted connections the listener
// holds: sk_acceptq_is_full is "sk_ack_backlog > sk_max_ack_backlog" in every release (docs/kernel-eras.md#f5), so
// the capacity is b+1.
func (m Model) AcceptQueueCapacity(b int) int {
	if b < 0 {
		b = 0
	}
	return b + 1
}

// SynQueueCapacity returns Qs, the number of request socks (SYN_RECV) the listener accepts
// before "SYN queue full" (docs/kernel-branches.md#b01): a non-TW SYN is accepted while qlen < Qs.
//
// By formula (docs/kernel-eras.md#syn-queue-capacity):
//
//	F1 (≤2.6.19, RHEL5): smallest power of two ≥ max(64, M); b1 is ignored.
//	F2 (2.6.20–4.3, RHEL6/7): roundup_pow_of_two(max(8, min(b1, M)) + 1); b1 = B at the first listen().
//	F3 (4.4–6.12): B — pass the current B as b1; maxSynBacklog is ignored.
//	F4 (6.13+, Jan-2025 stables): B + 1.
//
// maxSynBacklog is net.ipv4.tcp_max_syn_backlog (M). A negative b1 is treated as "huge".
func (m Model) SynQueueCapacity(b1, maxSynBacklog int) int {
	if maxSynBacklog < 1 {
		maxSynBacklog = 1
	}
	switch m.SynQueueFormula {
	case SynQueueByMaxSynBacklog:
		return roundupPow2(max(64, maxSynBacklog))
	case SynQueueByFirstBacklog:
		n := maxSynBacklog
		if b1 >= 0 && b1 < n {
			n = b1
		}
		return roundupPow2(max(8, n) + 1)
	case SynQueueIsBacklog:
		return max(b1, 0)
	default:
		return max(b1, 0) + 1
	}
}

func roundupPow2(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}

// LastQuarterThreshold returns T = M − (M>>2): with tcp_syncookies=0 a SYN from an unproven peer
// is dropped when qlen > T (docs/kernel-branches.md#b05), i.e. unproven peers get at most T+1 request socks
// (M=128 → 96, capacity 97; M=256 → 192; M=1024 → 768).
func (m Model) LastQuarterThreshold(maxSynBacklog int) int {
	if maxSynBacklog < 0 {
		maxSynBacklog = 0
	}
	return maxSynBacklog - maxSynBacklog>>2
}

// LastQuarterCanFire reports whether qlen can exceed LastQuarterThreshold while the SYN queue is
// not yet full, i.e. whether the last-quarter rule (#b05) is reachable before the SYN queue is full (#b01). A SYN is only checked while
// qlen ≤ Qs−1, so the rule can fire iff Qs−1 > T (e.g. ≤4.3: B1=128, M=256 → Qs=256, T=192 → yes;
// B1=128, M=1024 → no; 4.4–6.12: iff B > T+1). For F3/F4 pass the current B as b1.
func (m Model) LastQuarterCanFire(b1, maxSynBacklog int) bool {
	return m.SynQueueCapacity(b1, maxSynBacklog)-1 > m.LastQuarterThreshold(maxSynBacklog)
}

// SynAckOffsets returns when the timer retransmits a SYN-ACK, as offsets after the first SYN-ACK:
// R0·(2^n − 1) for n = 1..retries, each interval capped at TCP_RTO_MAX (120 s).
// 1 s eras: +1, +3, +7, +15, +31 s; 3 s eras: +3, +9, +21, +45, +93 s. A negative retries means the
// default tcp_synack_retries. Under SYN-queue pressure the kernel may use fewer retries (docs/kernel-branches.md#b07), and
// on kernels with the central timer (≤3.19) each one may come up to ~R0/2 late.
func (m Model) SynAckOffsets(retries int) []time.Duration {
	if retries < 0 {
		retries = m.SynAckRetries
	}
	out := make([]time.Duration, 0, retries)
	var t time.Duration
	for n := 0; n < retries; n++ {
		t += m.interval(n)
		out = append(out, t)
	}
	return out
}

// SynAckLifetime returns when the request sock is discarded after the first SYN-ACK: the last
// retransmission plus one more (capped) interval — 63 s (R0 = 1 s) or 189 s (R0 = 3 s) at the
// default 5 retries.
func (m Model) SynAckLifetime(retries int) time.Duration {
	if retries < 0 {
		retries = m.SynAckRetries
	}
	var t time.Duration
	for n := 0; n <= retries; n++ {
		t += m.interval(n)
	}
	return t
}

func (m Model) interval(n int) time.Duration {
	if n > 30 {
		return rtoMax
	}
	d := m.SynAckRTO << uint(n)
	if d > rtoMax || d <= 0 {
		return rtoMax
	}
	return d
}
