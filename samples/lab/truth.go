//go:build linux

package lab

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The truth rules (samples/README.md "Truth rules"). Outcomes come from
// the lab's own reading of the capture (wire.go), cross-checked with the
// client log. Branches come only from kernel facts: counter deltas per
// phase, iptables rule counters, sysctls, the listener-queue samples read
// from /proc/net/tcp, the listener open/close log and the client and
// accept logs. halfopen's answer is never consulted.

// Branch names (README "Branches"); "none" means there is no failure to
// explain.
const (
	bNone        = "none"
	bSynQFull    = "syn_queue_full"
	bCookies     = "syncookies"
	bAcceptSyn   = "accept_queue_full_syn"
	bAcceptAck   = "accept_queue_full_ack"
	bAcceptRst   = "accept_queue_full_rst"
	bLastQuarter = "last_quarter"
	bPAWSTW      = "paws_timewait"
	bTWSeq       = "timewait_seq"
	bSynToEst    = "syn_to_established"
	bDefer       = "defer_accept"
	bPreTCP      = "pre_tcp_drop"
	bSynAckLost  = "synack_lost"
	bClosedPort  = "closed_port"
	bNeverAcked  = "client_never_acked"
	bUnknown     = "unknown"
)

// guard widens a phase interval: an event this close to a boundary may
// have been counted on either side of it.
const guard = 5 * time.Millisecond

// incompleteAfter: an attempt whose capture ended sooner than this after
// its last event may honestly be called incomplete.
const incompleteAfter = 3 * time.Second

// facts are the kernel facts of one run, indexed for the rules.
type facts struct {
	rec     *Record
	wire    *Wire
	sysctl  map[string]string
	kernel  [2]int // major, minor
	phases  []Phase
	raw     map[string]RawRecord // client ip:port/isn → raw SYN
	clients map[string][]ClientRecord
}

func newFacts(rec *Record, wire *Wire, sysctl map[string]string, kernel string) *facts {
	f := &facts{rec: rec, wire: wire, sysctl: sysctl, phases: rec.Phases, raw: map[string]RawRecord{}, clients: map[string][]ClientRecord{}}
	sort.Slice(f.phases, func(i, j int) bool { return f.phases[i].Time.Before(f.phases[j].Time) })
	f.kernel = parseKernel(kernel)
	for _, r := range rec.Raw {
		f.raw[fmt.Sprintf("%s/%d", r.From, r.ISN)] = r
	}
	for _, c := range rec.Clients {
		f.clients[c.Client] = append(f.clients[c.Client], c)
	}
	return f
}

func parseKernel(s string) [2]int {
	var k [2]int
	parts := strings.SplitN(strings.TrimSpace(s), ".", 3)
	for i := 0; i < 2 && i < len(parts); i++ {
		n := strings.IndexFunc(parts[i], func(r rune) bool { return r < '0' || r > '9' })
		if n < 0 {
			n = len(parts[i])
		}
		k[i], _ = strconv.Atoi(parts[i][:n])
	}
	return k
}

func (f *facts) sysctlInt(key string, def int) int {
	if v, err := strconv.Atoi(f.sysctl[key]); err == nil {
		return v
	}
	return def
}

// delta sums a counter's change over the phase intervals that may hold t.
func (f *facts) delta(t time.Time, side, name string) int64 {
	var d int64
	for _, i := range f.intervals(t) {
		a, b := f.phases[i], f.phases[i+1]
		switch side {
		case "server":
			d += b.Server[name] - a.Server[name]
		case "client":
			d += b.Client[name] - a.Client[name]
		case "rule":
			d += b.Rules[name] - a.Rules[name]
		}
	}
	return d
}

// intervals are the indexes i of the phase intervals (phase i, phase i+1]
// that t falls into, widened by guard.
func (f *facts) intervals(t time.Time) []int {
	var out []int
	for i := 0; i+1 < len(f.phases); i++ {
		if !t.Before(f.phases[i].Time.Add(-guard)) && !t.After(f.phases[i+1].Time.Add(guard)) {
			out = append(out, i)
		}
	}
	if len(out) == 0 && len(f.phases) >= 2 { // before the first or after the last snapshot
		if t.Before(f.phases[0].Time) {
			out = []int{0}
		} else {
			out = []int{len(f.phases) - 2}
		}
	}
	return out
}

func (f *facts) phaseNames(t time.Time) string {
	var names []string
	for _, i := range f.intervals(t) {
		names = append(names, f.phases[i].Name+"→"+f.phases[i+1].Name)
	}
	return strings.Join(names, ", ")
}

// listeners are the server's listening sockets bound to ap and open at t.
func (f *facts) listeners(ap netip.AddrPort, t time.Time) []ListenerEvent {
	open := map[uint64]ListenerEvent{}
	for _, e := range f.rec.Listeners {
		if e.Addr != ap || e.Time.After(t) {
			continue
		}
		if e.Event == "open" {
			open[e.Inode] = e
		} else {
			delete(open, e.Inode)
		}
	}
	var out []ListenerEvent
	for _, e := range open {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Inode < out[j].Inode })
	return out
}

func (f *facts) spec(inode uint64) (ListenSpec, bool) {
	for i, ino := range f.rec.Inodes {
		if ino == inode {
			return f.rec.Servers[i], true
		}
	}
	return ListenSpec{}, false
}

// tri is a three-valued answer from the queue samples.
type tri int

const (
	no tri = iota
	maybe
	yes
)

// around returns the queue samples just before and just after t.
func (f *facts) around(t time.Time) (QueueSample, QueueSample, bool) {
	q := f.rec.Queues
	i := sort.Search(len(q), func(i int) bool { return q[i].Time.After(t) })
	if i == 0 || i == len(q) {
		return QueueSample{}, QueueSample{}, false
	}
	return q[i-1], q[i], true
}

func (f *facts) effBacklog(backlog int) int {
	return min(backlog, f.sysctlInt("net.core.somaxconn", 4096))
}

// acceptFull says whether the accept queue of a listener on ap was full at
// t (sk_ack_backlog > backlog; a reuseport group is full for a SYN only if
// the member it hashes to is, so one full member makes it "maybe").
func (f *facts) acceptFull(ap netip.AddrPort, t time.Time) tri {
	ls := f.listeners(ap, t)
	before, after, ok := f.around(t)
	if !ok || len(ls) == 0 {
		return maybe
	}
	full := 0
	for _, l := range ls {
		b := f.effBacklog(l.Backlog)
		x, y := before.AcceptQ[l.Inode] > b, after.AcceptQ[l.Inode] > b
		switch {
		case x && y:
			full += 2
		case x || y:
			full++
		}
	}
	switch {
	case full == 2*len(ls):
		return yes
	case full == 0:
		return no
	}
	return maybe
}

// synQueueLimit is the qlen at which the SYN queue counts as full: qlen >
// backlog on 6.13+ (and the Jan-2025 stables), qlen >= backlog before.
func (f *facts) synQueueLimit(backlog int) int {
	b := f.effBacklog(backlog)
	if f.kernel[0] > 6 || f.kernel[0] == 6 && f.kernel[1] >= 13 {
		return b + 1
	}
	return b
}

// synQueueAt compares the SYN_RECV count of ap's port at t with limit.
func (f *facts) synQueueAt(ap netip.AddrPort, t time.Time, limit int) tri {
	before, after, ok := f.around(t)
	if !ok {
		return maybe
	}
	port := int(ap.Port())
	x, y := before.SynRecv[port] >= limit, after.SynRecv[port] >= limit
	switch {
	case x && y:
		return yes
	case x || y:
		return maybe
	}
	return no
}

func (f *facts) synQueueFull(ap netip.AddrPort, t time.Time) tri {
	ls := f.listeners(ap, t)
	if len(ls) == 0 {
		return maybe
	}
	return f.synQueueAt(ap, t, f.synQueueLimit(ls[0].Backlog))
}

// lastQuarter: syncookies off and qlen > M - M/4 (tcp_max_syn_backlog M).
func (f *facts) lastQuarter(ap netip.AddrPort, t time.Time) tri {
	m := f.sysctlInt("net.ipv4.tcp_max_syn_backlog", 128)
	return f.synQueueAt(ap, t, m-m>>2+1)
}

// rulesFor are the scenario's rules on side that can match a packet of
// client c of kind (syn, ack, synack) at t and whose counter moved.
func (f *facts) rulesFor(side, kind string, c netip.AddrPort, t time.Time) []*Rule {
	var out []*Rule
	for _, r := range f.rec.Rules {
		if r.Side != side || (r.Drops != kind && r.Drops != "all") {
			continue
		}
		if t.Before(r.Added.Add(-guard)) || !r.Removed.IsZero() && t.After(r.Removed.Add(guard)) {
			continue
		}
		if len(r.Sources) > 0 && !contains(r.Sources, c.Addr().String()) {
			continue
		}
		if r.Ports != [2]int{} && (int(c.Port()) < r.Ports[0] || int(c.Port()) > r.Ports[1]) {
			continue
		}
		if f.delta(t, "rule", r.Label) == 0 {
			continue
		}
		out = append(out, r)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// verdict is the truth about one symptom of an attempt.
type verdict struct {
	branches []string
	certain  bool
	why      []string
}

func (v *verdict) add(o verdict) {
	for _, b := range o.branches {
		if !contains(v.branches, b) {
			v.branches = append(v.branches, b)
		}
	}
	v.certain = v.certain && o.certain
	v.why = append(v.why, o.why...)
}

func one(branch string, certain bool, format string, args ...any) verdict {
	return verdict{branches: []string{branch}, certain: certain, why: []string{fmt.Sprintf(format, args...)}}
}

// droppedSYN explains a SYN the server did not answer.
func (f *facts) droppedSYN(a *WireAttempt, t time.Time) verdict {
	for _, r := range f.rulesFor("server", "syn", a.Client, t) {
		if !r.Random && !r.Reject {
			return one(bPreTCP, true, "server iptables rule %s drops every SYN from %s (counter +%d)",
				r.Label, a.Client.Addr(), f.delta(t, "rule", r.Label))
		}
	}
	type cand struct {
		branch string
		q      tri
		why    string
	}
	var cands []cand
	for _, r := range f.rulesFor("server", "syn", a.Client, t) {
		cands = append(cands, cand{bPreTCP, maybe, fmt.Sprintf("random-loss rule %s +%d", r.Label, f.delta(t, "rule", r.Label))})
	}
	ov, qf, ld := f.delta(t, "server", "TcpExtListenOverflows"), f.delta(t, "server", "TcpExtTCPReqQFullDrop"), f.delta(t, "server", "TcpExtListenDrops")
	if ov > 0 {
		cands = append(cands, cand{bAcceptSyn, f.acceptFull(a.Server, t), fmt.Sprintf("ListenOverflows +%d, accept queue full: %s", ov, triText(f.acceptFull(a.Server, t)))})
	}
	if qf > 0 {
		cands = append(cands, cand{bSynQFull, f.synQueueFull(a.Server, t), fmt.Sprintf("TCPReqQFullDrop +%d, SYN queue full: %s", qf, triText(f.synQueueFull(a.Server, t)))})
	}
	if ld-ov-qf > 0 && f.sysctlInt("net.ipv4.tcp_syncookies", 1) == 0 {
		q := f.lastQuarter(a.Server, t)
		cands = append(cands, cand{bLastQuarter, q, fmt.Sprintf("ListenDrops +%d beyond ListenOverflows+TCPReqQFullDrop with syncookies=0, SYN queue past the last quarter: %s", ld-ov-qf, triText(q))})
	}
	where := "phase " + f.phaseNames(t)
	switch len(cands) {
	case 0:
		return one(bUnknown, false, "%s: no counter or rule moved that explains the drop", where)
	case 1:
		return one(cands[0].branch, true, "%s: the only mechanism whose counter moved: %s", where, cands[0].why)
	}
	// Several mechanisms moved in the interval: keep those the queue
	// samples do not rule out.
	var kept []cand
	for _, c := range cands {
		if c.q != no {
			kept = append(kept, c)
		}
	}
	if len(kept) == 0 {
		kept = cands
	}
	v := verdict{certain: len(kept) == 1}
	var whys []string
	for _, c := range cands {
		whys = append(whys, c.why)
	}
	for _, c := range kept {
		if !contains(v.branches, c.branch) {
			v.branches = append(v.branches, c.branch)
		}
	}
	v.certain = len(v.branches) == 1
	v.why = []string{fmt.Sprintf("%s: several mechanisms moved (%s); kept %s", where, strings.Join(whys, "; "), strings.Join(v.branches, ", "))}
	return v
}

func triText(t tri) string {
	return [...]string{"no", "maybe", "yes"}[t]
}

// ignoredAck explains a client ACK/data the server did not take.
func (f *facts) ignoredAck(a *WireAttempt, cookie bool, outcome string) verdict {
	t := a.ClientAck
	for _, r := range f.rulesFor("server", "ack", a.Client, t) {
		if !r.Random {
			return one(bPreTCP, true, "ACK at %s: server iptables rule %s drops it (counter +%d)", clock(t), r.Label, f.delta(t, "rule", r.Label))
		}
	}
	var v verdict
	v.certain = true
	n := 0
	for _, r := range f.rulesFor("server", "ack", a.Client, t) {
		n++
		d := one(bPreTCP, true, "ACK at %s: random-loss rule %s (counter +%d) may have dropped it", clock(t), r.Label, f.delta(t, "rule", r.Label))
		if outcome == "established" {
			// One lost data segment of a connection that got through is
			// not a handshake failure (README "Outcomes").
			d.branches = append(d.branches, bNone)
		}
		v.add(d)
	}
	if ov := f.deltaFrom(t, "TcpExtListenOverflows"); ov > 0 && f.sysctlInt("net.ipv4.tcp_abort_on_overflow", 0) == 0 {
		n++
		b := []string{bAcceptAck}
		if cookie {
			b = append(b, bCookies)
		}
		v.add(verdict{branches: b, certain: true, why: []string{fmt.Sprintf("ACK at %s: ListenOverflows +%d from then on with tcp_abort_on_overflow=0, accept queue full: %s%s",
			clock(t), ov, triText(f.acceptFull(a.Server, t)), map[bool]string{true: " (the SYN-ACK was a syncookie: no request to keep, the ACK is simply dropped)"}[cookie])}})
	}
	if dd := f.deltaFrom(t, "TcpExtTCPDeferAcceptDrop"); dd > 0 && f.deferAccept(a.Server, t) {
		n++
		v.add(one(bDefer, true, "bare ACK at %s to a TCP_DEFER_ACCEPT listener (TCPDeferAcceptDrop +%d)", clock(t), dd))
	}
	switch n {
	case 0:
		return one(bUnknown, false, "ACK at %s ignored but no overflow/defer counter or rule moved", clock(t))
	case 1:
		return v
	}
	v.certain = false
	return v
}

// deltaFrom is a server counter's change from t's interval to the end of
// the run (an ignored ACK is retransmitted, and dropped again, later).
func (f *facts) deltaFrom(t time.Time, name string) int64 {
	iv := f.intervals(t)
	if len(iv) == 0 || len(f.phases) < 2 {
		return 0
	}
	return f.phases[len(f.phases)-1].Server[name] - f.phases[iv[0]].Server[name]
}

func (f *facts) deferAccept(ap netip.AddrPort, t time.Time) bool {
	for _, l := range f.listeners(ap, t) {
		if s, ok := f.spec(l.Inode); ok && s.DeferAccept > 0 {
			return true
		}
	}
	return false
}

// cookieSYN says whether the SYN-ACK answering the SYN at t was a
// syncookie: tcp_syncookies=2 always; =1 when SyncookiesSent moved and the
// SYN queue was full.
func (f *facts) cookieSYN(a *WireAttempt, t time.Time) (tri, string) {
	sent := f.delta(t, "server", "TcpExtSyncookiesSent")
	switch mode := f.sysctlInt("net.ipv4.tcp_syncookies", 1); {
	case mode == 2:
		return yes, fmt.Sprintf("tcp_syncookies=2: every SYN-ACK is a cookie (SyncookiesSent +%d)", sent)
	case mode == 0 || sent == 0:
		return no, ""
	}
	q := f.synQueueFull(a.Server, t)
	return q, fmt.Sprintf("SyncookiesSent +%d in %s, SYN queue full at %s: %s", sent, f.phaseNames(t), clock(t), triText(q))
}

// bareAck explains a SYN answered by a bare ACK.
func (f *facts) bareAck(a *WireAttempt) verdict {
	t := a.ServerBareAck
	if d := f.delta(t, "server", "TcpExtPAWSTimewait") + f.delta(t, "server", "TcpExtPAWSEstab"); d > 0 {
		return one(bPAWSTW, true, "bare ACK at %s: PAWSTimewait/PAWSEstab +%d — the SYN's TSval was older than the TIME-WAIT socket's", clock(t), d)
	}
	if d := f.delta(t, "server", "TcpExtTCPSYNChallenge"); d > 0 {
		return one(bSynToEst, true, "bare ACK at %s: TCPSYNChallenge +%d — a live connection owns the 4-tuple", clock(t), d)
	}
	for _, ac := range f.rec.Accepts {
		if ac.Peer == a.Client.String() && ac.ClosedBy == "server" && ac.Closed.Before(t) && t.Sub(ac.Closed) < time.Minute {
			return one(bTWSeq, true, "bare ACK at %s: the server closed %s first at %s (TIME-WAIT), no PAWS counter moved", clock(t), ac.Peer, clock(ac.Closed))
		}
	}
	return one(bUnknown, false, "bare ACK at %s with no PAWS/challenge counter and no TIME-WAIT known", clock(t))
}

// resetToSYN explains a SYN answered by RST.
func (f *facts) resetToSYN(a *WireAttempt) verdict {
	t := a.ServerRST
	for _, r := range f.rulesFor("server", "syn", a.Client, t) {
		if r.Reject {
			return one(bPreTCP, true, "RST at %s sent by netfilter: rule %s rejects SYNs from %s (counter +%d)", clock(t), r.Label, a.Client.Addr(), f.delta(t, "rule", r.Label))
		}
	}
	if len(f.listeners(a.Server, t)) > 0 {
		return one(bUnknown, false, "RST to a SYN at %s although a listener was open", clock(t))
	}
	for _, e := range f.rec.Listeners {
		if e.Addr == a.Server && e.Event == "close" && e.Time.Before(t) {
			return one(bClosedPort, true, "RST at %s: the listening socket on %s was closed at %s", clock(t), a.Server, clock(e.Time))
		}
	}
	return one(bClosedPort, true, "RST at %s: nothing listened on %s", clock(t), a.Server)
}

// unackedSynAck explains a SYN-ACK the client never acknowledged.
func (f *facts) unackedSynAck(a *WireAttempt) verdict {
	t := a.SynAcks[0].T
	if r, ok := f.raw[fmt.Sprintf("%s/%d", a.Client, a.ISN)]; ok {
		return one(bNeverAcked, true, "the SYN was a raw %s SYN: no socket on the client side (%s)", r.Kind,
			map[bool]string{true: "spoofed source, SYN-ACK routed to a host that does not exist", false: "the client kernel answers the SYN-ACK with RST"}[spoofNet.Contains(a.Client.Addr())])
	}
	for _, r := range f.rulesFor("client", "synack", a.Client, t) {
		return verdict{branches: []string{bSynAckLost, bNeverAcked}, certain: true,
			why: []string{fmt.Sprintf("client iptables rule %s dropped the SYN-ACKs (counter +%d)", r.Label, f.delta(t, "rule", r.Label))}}
	}
	return one(bUnknown, false, "SYN-ACK at %s never acknowledged and no client-side drop known", clock(t))
}

// lostSynAck explains a SYN retransmitted after the server had answered.
func (f *facts) lostSynAck(a *WireAttempt) verdict {
	t := a.SynAcks[0].T
	for _, r := range f.rulesFor("client", "synack", a.Client, t) {
		return verdict{branches: []string{bSynAckLost}, certain: true,
			why: []string{fmt.Sprintf("SYN-ACK at %s dropped on the client side by rule %s (counter +%d); the client retransmitted its SYN", clock(t), r.Label, f.delta(t, "rule", r.Label))}}
	}
	return one(bUnknown, false, "SYN retransmitted after the SYN-ACK at %s, no client-side drop known", clock(t))
}

func clock(t time.Time) string { return t.Format("15:04:05.000") }
