package analyze

import (
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strings"

	"github.com/halfopen/halfopen/flows"

	"github.com/halfopen/halfopen/analyze/kernel"
)

// branchAgg folds the attempts a listener's judgements gave one branch.
type branchAgg struct {
	count    int64
	confSum  float64
	examples []Evidence
	halfLo   int // range of Context.HalfOpen over the attempts
	halfHi   int
	pendLo   int // range of Context.PendingAccept
	pendHi   int
	// clients counts attempts per client address, for candidates whose
	// judgement depends on what the address did elsewhere (candSelective).
	clients map[netip.Addr]int64
}

// candFirewall is a drop before TCP that a firewall rule of the snapshots
// matches: the rule decides, whatever the listener counters say.
const candFirewall = "pre_tcp_drop?firewall"

// candSelective is the candidate of a SYN dropped while other clients'
// SYNs got through: a drop before TCP if its client address never got
// through anywhere in the capture (a firewall rule for that source),
// undecided otherwise. Settled in settleSelective once the capture is read.
const candSelective = "pre_tcp_drop?selective"

// candRejectSelective is a SYN answered by RST while other clients' SYNs
// to the same port got SYN-ACKs: the port was open, so a firewall REJECT
// answered, if the client address never got through; a closed moment
// of the listener otherwise.
const candRejectSelective = "pre_tcp_drop?reject"

// candRejected is what candRejectSelective becomes for client addresses
// never answered: a REJECT rule or a listener closed at that moment, as
// the counters decide in adjust.
const candRejected = "pre_tcp_drop?rejected"

// settleSelective decides the selective candidates per client address:
// addresses answered somewhere in the capture are not filtered by a rule.
func (l *listenerAgg) settleSelective() {
	l.settle(candSelective, kernel.Unknown)
	l.settle(candRejectSelective, kernel.ClosedPort)
}

// settle maps a selective candidate to pre_tcp_drop for addresses never
// answered and to otherwise for the rest.
func (l *listenerAgg) settle(cand, otherwise string) {
	sel := l.cands[cand]
	if sel == nil {
		return
	}
	delete(l.cands, cand)
	var answered int64
	for c, n := range sel.clients {
		if l.answeredClients[c] {
			answered += n
		}
	}
	if cand == candRejectSelective && (answered > 0 || l.cands[kernel.ClosedPort] != nil) {
		// Clients that got through at other moments were refused too: the
		// listener was closed for everyone then, not a rule for some.
		answered = sel.count
	}
	move := func(branch string, n int64) {
		if n == 0 {
			return
		}
		agg := l.cands[branch]
		if agg == nil {
			agg = &branchAgg{halfLo: sel.halfLo, halfHi: sel.halfHi, pendLo: sel.pendLo, pendHi: sel.pendHi}
			l.cands[branch] = agg
		}
		agg.count += n
		agg.confSum += sel.confSum * float64(n) / float64(sel.count)
		for _, e := range sel.examples {
			if len(agg.examples) < maxExamples && !hasTemplate(agg.examples, e) {
				agg.examples = append(agg.examples, e)
			}
		}
	}
	unanswered := kernel.PreTCPDrop
	if cand == candRejectSelective {
		unanswered = candRejected
	}
	move(unanswered, sel.count-answered)
	move(otherwise, answered)
	for _, k := range l.kept {
		if k.j.branch != cand {
			continue
		}
		k.j.branch = unanswered
		if answered == sel.count && cand == candRejectSelective {
			k.j.branch, k.j.conf = otherwise, min(k.j.conf, confEven)
			continue
		}
		if l.answeredClients[k.a.Client.Addr()] {
			k.j.branch, k.j.conf = otherwise, min(k.j.conf, confEven)
			if otherwise == kernel.Unknown {
				k.j.conf = confUnknown
			}
			k.j.ev = append(k.j.ev, Evidence{Kind: "packets", Text: "but this client address got through at another moment: not a rule against it", Against: true})
		}
	}
}

const maxExamples = 4

func (b *branchAgg) add(j *judgement) {
	b.count++
	b.confSum += j.conf
	// The first evidence line of a judgement describes the attempt's own
	// packets; the listener keeps the reasoning lines that follow.
	for i, e := range j.ev {
		if i == 0 && len(j.ev) > 1 {
			continue
		}
		if len(b.examples) >= maxExamples {
			break
		}
		if !hasTemplate(b.examples, e) {
			b.examples = append(b.examples, e)
		}
	}
}

// note widens the context ranges with one attempt's context.
func (b *branchAgg) note(ctx flows.Context) {
	if b.count == 1 {
		b.halfLo, b.halfHi, b.pendLo, b.pendHi = ctx.HalfOpen, ctx.HalfOpen, ctx.PendingAccept, ctx.PendingAccept
		return
	}
	b.halfLo, b.halfHi = min(b.halfLo, ctx.HalfOpen), max(b.halfHi, ctx.HalfOpen)
	b.pendLo, b.pendHi = min(b.pendLo, ctx.PendingAccept), max(b.pendHi, ctx.PendingAccept)
}

// hasTemplate reports whether list holds an evidence line that differs from
// e only in its numbers: one example per kind of reasoning is enough.
func hasTemplate(list []Evidence, e Evidence) bool {
	t := template(e.Text)
	for _, x := range list {
		if template(x.Text) == t && x.Against == e.Against {
			return true
		}
	}
	return false
}

func template(s string) string {
	var b strings.Builder
	digit := false
	for _, r := range s {
		if r >= '0' && r <= '9' || r == '.' && digit {
			if !digit {
				b.WriteByte('#')
			}
			digit = true
			continue
		}
		digit = false
		b.WriteRune(r)
	}
	return b.String()
}

// contextLine summarises the queue estimates over a candidate's attempts.
func (b *branchAgg) contextLine() string {
	span := func(lo, hi int) string {
		if lo == hi {
			return fmt.Sprint(lo)
		}
		return fmt.Sprintf("%d–%d", lo, hi)
	}
	return fmt.Sprintf("%d attempt(s); when their SYNs arrived, %s handshakes to the port were half-open and %s established connections waited for the application", b.count, span(b.halfLo, b.halfHi), span(b.pendLo, b.pendHi))
}

func hasEvidence(list []Evidence, e Evidence) bool {
	for _, x := range list {
		if x.Text == e.Text {
			return true
		}
	}
	return false
}

// adjustment is what listener-wide evidence (counters, sysctl, era) does
// to one candidate branch: keep or replace it, move its confidence.
type adjustment struct {
	final string
	delta float64
	ev    []Evidence
}

func ev(kind, format string, args ...any) Evidence {
	return Evidence{Kind: kind, Text: fmt.Sprintf(format, args...)}
}

func evAgainst(kind, format string, args ...any) Evidence {
	return Evidence{Kind: kind, Text: fmt.Sprintf(format, args...), Against: true}
}

// counterLine words a set of counter deltas, e.g. "ListenOverflows +12".
func (s *server) counterLine(names ...string) string {
	var parts []string
	for _, n := range names {
		if v, ok := s.counter(n); ok {
			parts = append(parts, fmt.Sprintf("%s %+d", n, v))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("nstat %s: %s", s.deltaText, joinComma(parts))
}

func joinComma(p []string) string {
	out := ""
	for i, s := range p {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}

// synDropCountersVisible reports whether SYN-time listener drops move
// counters on this kernel (3.7+); on older kernels their absence proves nothing.
func (s *server) synDropCountersVisible() bool {
	return s.model.SynDropCounted
}

// counterBranch names the SYN-drop branch the counters point to, or "".
func (s *server) counterBranch(backlog int) (string, []Evidence) {
	lo, okLO := s.counter(kernel.CounterListenOverflows)
	ld, okLD := s.counter(kernel.CounterListenDrops)
	qd, okQD := s.counter(kernel.CounterReqQFullDrop)
	pp, okPP := s.counter(kernel.CounterPAWSPassive)
	rp, _ := s.counter(kernel.CounterIPReversePathFilter)
	ce, _ := s.counter(kernel.CounterInCsumErrors)
	if !okLO && !okLD {
		return "", nil
	}
	line := s.counterLine(kernel.CounterListenOverflows, kernel.CounterListenDrops, kernel.CounterReqQFullDrop, kernel.CounterReqQFullDoCookies, kernel.CounterPAWSPassive, kernel.CounterIPReversePathFilter, kernel.CounterInCsumErrors)
	cookies := s.sysctl(kernel.SysctlSyncookies)
	switch {
	case okPP && pp > 0:
		return kernel.PAWSPassive, []Evidence{ev("counter", "%s: PAWSPassive moved", line)}
	case okQD && qd > 0 && lo == 0:
		if backlog == 0 && s.model.BacklogZeroDrops {
			return kernel.BacklogZero, []Evidence{ev("counter", "%s: TCPReqQFullDrop moved with a zero backlog", line)}
		}
		return kernel.SynQueueFull, []Evidence{ev("counter", "%s: TCPReqQFullDrop moved, ListenOverflows did not", line)}
	case lo > 0 && qd == 0:
		return kernel.AcceptQueueFullSyn, []Evidence{ev("counter", "%s: ListenOverflows moved, TCPReqQFullDrop did not", line)}
	case lo > 0 && qd > 0:
		return "", []Evidence{ev("counter", "%s: both queues overflowed", line)}
	case okLD && ld > 0:
		if cookies == 0 || cookies == unknownInt {
			return kernel.LastQuarter, []Evidence{ev("counter", "%s: ListenDrops moved without ListenOverflows or TCPReqQFullDrop — the last-quarter rule (or an LSM/route/allocation failure) dropped SYNs", line)}
		}
		return kernel.RequestFailure, []Evidence{ev("counter", "%s: ListenDrops moved without a queue overflow", line)}
	case ce > 0:
		return kernel.BadChecksum, []Evidence{ev("counter", "%s: TCP checksum errors moved", line)}
	case okLD && ld == 0 && lo == 0 && (!okQD || qd == 0):
		e := ev("counter", "%s: no listener counter moved while SYNs went unanswered — they were dropped before TCP", line)
		if rp > 0 {
			e.Text += " (IPReversePathFilter moved: rp_filter)"
		}
		return kernel.PreTCPDrop, []Evidence{e}
	}
	_ = okQD
	return "", nil
}

// adjust weighs a candidate branch against listener-wide evidence, then
// makes sure the result is a branch the server's kernel has at all.
func (s *server) adjust(cand string, backlog int, n int64) adjustment {
	if cand == candFirewall {
		// A firewall rule that matches and counted packets outweighs what
		// the listener counters say about other clients at the same time.
		return adjustment{final: kernel.PreTCPDrop}
	}
	if cand == candRejected {
		// Only the counters can tell a REJECT rule from a listener closed
		// at that moment: TCP counts the resets it sends itself.
		if rsts, ok := s.counter(kernel.CounterOutRsts); ok {
			if rsts >= n {
				return adjustment{final: kernel.ClosedPort, delta: confResetsCounted, ev: []Evidence{ev("counter", "%s: TCP itself sent the resets — the listener was closed at that moment, not a firewall rule", s.counterLine(kernel.CounterOutRsts))}}
			}
			return adjustment{final: kernel.PreTCPDrop, delta: confResetsCounted, ev: []Evidence{ev("counter", "%s for %d SYNs answered by RST: TCP sent fewer resets than the capture shows, so a firewall rule answered", s.counterLine(kernel.CounterOutRsts), n)}}
		}
		return adjustment{final: kernel.PreTCPDrop}
	}
	adj := s.weigh(cand, backlog, n)
	if s.clientSideOnly() && silentServerDrop(adj.final) {
		adj.ev = append(adj.ev, evAgainst("capture", "the capture was taken on the client: it cannot show whether these packets reached the server, so %s (a server-side drop) is not claimed; they may have been lost on the way, dropped by a firewall, or dropped by the server — a capture or counters from the server decide", adj.final))
		adj.final, adj.delta = kernel.Unknown, min(adj.delta, 0)-confClientSideOnly
		return adj
	}
	if x, err := kernel.Explain(adj.final, s.model); err == nil && !x.Applies {
		adj.ev = append(adj.ev, evAgainst("kernel", "%s cannot happen on %s: %s", adj.final, s.model.Name, lowerFirst(x.Condition)))
		adj.final, adj.delta = kernel.Unknown, min(adj.delta, 0)-confRuledOut
	}
	return adj
}

// clientSideOnly reports whether all there is comes from the client's
// side: a client-side capture and no snapshot of the server.
func (s *server) clientSideOnly() bool {
	return s.vantage == VantageClient && s.snaps.Empty()
}

// silentServerDrop reports whether a branch says the server dropped
// something without answering: what a client-side capture cannot tell
// from loss on the way. Branches with an answer (RST) or none at all
// (client_never_acked) stay.
func silentServerDrop(branch string) bool {
	switch branch {
	case kernel.ClosedPort, kernel.AcceptQueueFullRst, kernel.Unknown:
		return false
	}
	b, _ := kernel.Lookup(branch)
	return b.Drop || branch == kernel.SynAckLost
}

// weigh weighs a candidate branch against listener-wide evidence:
// counters, sysctls and the kernel era.
func (s *server) weigh(cand string, backlog int, n int64) adjustment {
	adj := adjustment{final: cand}
	cookies := s.sysctl(kernel.SysctlSyncookies)
	if b, _ := kernel.Lookup(cand); b.SynDropCounters {
		if cand == kernel.PAWSPassive && !s.eraMayBeAtMost(kernel.Era410) {
			adj.final, adj.delta = kernel.Unknown, -confRuledOut
			adj.ev = append(adj.ev, evAgainst("kernel", "tcp_tw_recycle and its PAWS check were removed in 4.12; this kernel (%s) cannot drop a SYN that way", s.model.Name))
		}
		if (cand == kernel.SynQueueFull || cand == kernel.BacklogZero) && cookies == 1 {
			adj.final, adj.delta = kernel.Unknown, -confRuledOut
			adj.ev = append(adj.ev, evAgainst("sysctl", "%s = 1: a full SYN queue answers with syncookies instead of dropping", kernel.SysctlSyncookies))
		}
		if cand == kernel.LastQuarter && cookies > 0 {
			adj.final, adj.delta = kernel.Unknown, -confRuledOut
			adj.ev = append(adj.ev, evAgainst("sysctl", "%s = %d disables the last-quarter rule", kernel.SysctlSyncookies, cookies))
		}
		if s.delta == nil {
			return adj
		}
		if pp, ok := s.counter(kernel.CounterPAWSPassive); ok && cand == kernel.PAWSPassive {
			// PAWSPassive is counted in every era that has the branch.
			if pp > 0 {
				adj.delta += confCounterMoved
				adj.ev = append(adj.ev, ev("counter", "%s", s.counterLine(kernel.CounterPAWSPassive)))
			} else {
				adj.final, adj.delta = kernel.Unknown, -confRuledOut
				adj.ev = append(adj.ev, evAgainst("counter", "%s: no passive PAWS rejection was counted", s.counterLine(kernel.CounterPAWSPassive)))
			}
			return adj
		}
		if !s.synDropCountersVisible() {
			adj.ev = append(adj.ev, ev("kernel", "on %s a SYN dropped at the listener moves no counter (ListenOverflows/ListenDrops count SYN-time drops only from 3.7): their absence proves nothing", s.model.Name))
			return adj
		}
		cb, cev := s.counterBranch(backlog)
		adj.ev = append(adj.ev, cev...)
		switch {
		case cb == "":
		case cb == adj.final && cb == kernel.PreTCPDrop:
			// Every listener counter flat while SYNs vanished is the
			// signature of a drop before TCP; the capture alone could not say it.
			adj.delta += confCountersSilent
		case cb == adj.final:
			adj.delta += confCountersAgree
		case adj.final == kernel.Unknown || cand == kernel.PreTCPDrop || cand == kernel.Unknown:
			adj.final, adj.delta = cb, confCountersName
		default:
			adj.ev = append(adj.ev, evAgainst("counter", "the counters point to %s rather than %s", cb, cand))
			adj.final, adj.delta = cb, confCountersOverrule
		}
		return adj
	}
	switch cand {
	case kernel.AcceptQueueFullAck, kernel.AcceptQueueFullRst:
		if lo, ok := s.counter(kernel.CounterListenOverflows); ok {
			line := s.counterLine(kernel.CounterListenOverflows, kernel.CounterListenDrops, kernel.CounterDeferAcceptDrop, kernel.CounterEmbryonicRsts)
			if lo > 0 {
				adj.delta = confOverflowCounted
				adj.ev = append(adj.ev, ev("counter", "%s: the accept queue overflowed", line))
			} else {
				adj.delta = -confNoOverflow
				adj.ev = append(adj.ev, evAgainst("counter", "%s: no accept-queue overflow was counted", line))
				da, _ := s.counter(kernel.CounterDeferAcceptDrop)
				switch {
				case da > 0 && cand == kernel.AcceptQueueFullAck:
					adj.final, adj.delta = kernel.DeferAccept, confDeferInstead
				case cand == kernel.AcceptQueueFullAck && s.synDropCountersVisible():
					// The server behaved as if the ACK never came, and no
					// listener counter moved: it never reached TCP.
					adj.final, adj.delta = kernel.PreTCPDrop, confAckNeverArrived
					adj.ev = append(adj.ev, ev("counter", "%s: the handshake ACK never reached the listener — dropped before TCP (firewall, conntrack) after the capture point", s.counterLine(kernel.CounterListenOverflows, kernel.CounterDeferAcceptDrop)))
				}
			}
		}
	case kernel.DeferAccept:
		if da, ok := s.counter(kernel.CounterDeferAcceptDrop); ok {
			if da > 0 {
				adj.delta = confDeferCounted
				adj.ev = append(adj.ev, ev("counter", "%s", s.counterLine(kernel.CounterDeferAcceptDrop, kernel.CounterListenOverflows)))
			} else if lo, _ := s.counter(kernel.CounterListenOverflows); lo > 0 {
				adj.final, adj.delta = kernel.AcceptQueueFullAck, confOverflowInstead
				adj.ev = append(adj.ev, ev("counter", "%s: an accept-queue overflow, not TCP_DEFER_ACCEPT", s.counterLine(kernel.CounterDeferAcceptDrop, kernel.CounterListenOverflows)))
			}
		}
	case kernel.PAWSTimewait:
		name := kernel.CounterPAWSEstab
		if s.model.PAWSTimewaitCounter {
			name = kernel.CounterPAWSTimewait
		}
		if v, ok := s.counter(name); ok {
			if v > 0 {
				adj.delta = confCounterMoved
				adj.ev = append(adj.ev, ev("counter", "%s", s.counterLine(name)))
			} else {
				adj.delta = -confCounterFlat
				adj.ev = append(adj.ev, evAgainst("counter", "%s: no PAWS rejection counted", s.counterLine(name)))
			}
		}
	case kernel.ClosedPort:
		// TCP counts every RST it sends (TcpOutRsts); a firewall's REJECT
		// with tcp-reset answers for it without touching TCP's counters.
		if rsts, ok := s.counter(kernel.CounterOutRsts); ok {
			if rsts < n {
				adj.final, adj.delta = kernel.PreTCPDrop, confCounterMoved
				adj.ev = append(adj.ev, ev("counter", "%s for %d SYNs answered by RST: TCP sent fewer resets than the capture shows, so a firewall rule (REJECT --reject-with tcp-reset) answered for it", s.counterLine(kernel.CounterOutRsts), n))
			} else {
				adj.delta = confResetsFromTCP
				adj.ev = append(adj.ev, ev("counter", "%s: the resets came from TCP itself, with no listener on the port", s.counterLine(kernel.CounterOutRsts)))
			}
		}
	case kernel.BadChecksum:
		if v, ok := s.counter(kernel.CounterInCsumErrors); ok && v > 0 {
			adj.delta = confCsumCounted
			adj.ev = append(adj.ev, ev("counter", "%s", s.counterLine(kernel.CounterInCsumErrors, kernel.CounterInErrs)))
		}
	}
	return adj
}

// listenerVerdicts turns a listener's candidate branches into verdicts
// (strongest first) and the mapping each candidate took.
func (s *server) listenerVerdicts(l *listenerAgg) ([]Verdict, map[string]adjustment) {
	l.settleSelective()
	backlog := s.backlog(l.server)
	remap := map[string]adjustment{}
	type final struct {
		count   int64
		confSum float64
		ev      []Evidence
	}
	finals := map[string]*final{}
	for _, cand := range sortedBranchKeys(l.cands) {
		agg := l.cands[cand]
		adj := s.adjust(cand, backlog, agg.count)
		remap[cand] = adj
		f := finals[adj.final]
		if f == nil {
			f = &final{}
			finals[adj.final] = f
		}
		f.count += agg.count
		f.confSum += clampConf(agg.confSum/float64(agg.count)+adj.delta) * float64(agg.count)
		summary := ev("packets", "%s", agg.contextLine())
		for _, e := range append(append([]Evidence{summary}, adj.ev...), agg.examples...) {
			if !hasEvidence(f.ev, e) {
				f.ev = append(f.ev, e)
			}
		}
	}
	var out []Verdict
	for name, f := range finals {
		v := Verdict{Branch: name, Attempts: f.count, Confidence: roundConf(f.confSum / float64(f.count)), Evidence: f.ev, Fix: []Fix{}, WontFix: []string{}}
		s.describe(&v, l)
		out = append(out, v)
	}
	sortVerdicts(out)
	return out, remap
}

// sortVerdicts orders verdicts strongest first: branches where the server
// dropped or refused something, then server-side events that are not
// drops (syncookies, a lost SYN-ACK), then clients that never completed,
// then unknown; within a rank by attempts × confidence.
func sortVerdicts(out []Verdict) {
	rank := func(v Verdict) int { return kernel.Rank(v.Branch) }
	sort.Slice(out, func(i, j int) bool {
		if ri, rj := rank(out[i]), rank(out[j]); ri != rj {
			return ri < rj
		}
		wi, wj := float64(out[i].Attempts)*out[i].Confidence, float64(out[j].Attempts)*out[j].Confidence
		if wi != wj {
			return wi > wj
		}
		return out[i].Branch < out[j].Branch
	})
}

// finish decides a listener's verdicts and applies them to its kept
// attempts, so each listed attempt carries its final branch.
func (s *server) finish(l *listenerAgg) {
	l.verdicts, l.remap = s.listenerVerdicts(l)
	if v, ok := s.cookieVerdict(l); ok {
		l.verdicts = mergeVerdict(l.verdicts, v)
		sortVerdicts(l.verdicts)
	}
	for _, k := range l.kept {
		if k.j.branch == "" {
			continue
		}
		adj, ok := l.remap[k.j.branch]
		if !ok {
			continue
		}
		k.j.branch = adj.final
		k.j.conf = roundConf(k.j.conf + adj.delta)
		for _, e := range adj.ev {
			if !hasEvidence(k.j.ev, e) {
				k.j.ev = append(k.j.ev, e)
			}
		}
	}
}

// describe fills a verdict's title, summary, listener-level evidence and fix.
func (s *server) describe(v *Verdict, l *listenerAgg) {
	b, _ := kernel.Lookup(v.Branch)
	v.Title = b.Title
	x, err := kernel.Explain(v.Branch, s.model)
	if err != nil {
		return
	}
	v.Summary = x.Condition
	for _, f := range x.Fix {
		v.Fix = append(v.Fix, Fix{Action: f.Action, Command: f.Command, Why: f.Why})
	}
	v.WontFix = append(v.WontFix, x.WontFix...)
	if lim := s.limits(l.server); lim != nil && b.QueueLimited() {
		v.Evidence = append(v.Evidence, limitsEvidence(lim)...)
		tailorAcceptFix(v, lim)
	}
	if s.kinfo.Era != "" {
		k := ev("kernel", "%s (%s)", s.model.Name, s.kinfo.Source)
		if s.kinfo.Assumed {
			k.Text += ": assumed — evidence that depends on the era is weaker"
		}
		v.Evidence = append(v.Evidence, k)
	}
}

func limitsEvidence(l *Limits) []Evidence {
	var out []Evidence
	if l.Backlog != nil {
		e := ev("ss", "listen backlog (ss Send-Q) %d: accept queue capacity %d", *l.Backlog, *l.Backlog+1)
		if l.MaxAcceptDepth != nil {
			e.Text += fmt.Sprintf(", deepest Recv-Q seen %d", *l.MaxAcceptDepth)
		}
		out = append(out, e)
	}
	var parts []string
	add := func(name string, v *int) {
		if v != nil {
			parts = append(parts, fmt.Sprintf("%s = %d", name, *v))
		}
	}
	add(kernel.SysctlSomaxconn, l.Somaxconn)
	add(kernel.SysctlMaxSynBacklog, l.MaxSynBacklog)
	add(kernel.SysctlSyncookies, l.Syncookies)
	add(kernel.SysctlAbortOnOverflow, l.AbortOnOverflow)
	if len(parts) > 0 {
		out = append(out, ev("sysctl", "%s", joinComma(parts)))
	}
	return out
}

func clampConf(c float64) float64 { return math.Min(confCeiling, math.Max(confFloor, c)) }

func roundConf(c float64) float64 { return math.Round(clampConf(c)*100) / 100 }

func sortedBranchKeys(m map[string]*branchAgg) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]].count != m[keys[j]].count {
			return m[keys[i]].count > m[keys[j]].count
		}
		return keys[i] < keys[j]
	})
	return keys
}

// cookieVerdict reports syncookies at work on a listener: the counters show
// cookie SYN-ACKs while the listener was under SYN-queue pressure. It is
// not a drop — legitimate clients were answered statelessly — but it says
// the SYN queue overflowed, and why some handshakes look odd.
func (s *server) cookieVerdict(l *listenerAgg) (Verdict, bool) {
	sent, okSent := s.counter(kernel.CounterSyncookiesSent)
	doCookies, _ := s.counter(kernel.CounterReqQFullDoCookies)
	n := max(sent, doCookies)
	if !okSent || n <= 0 {
		return Verdict{}, false
	}
	pressure := l.cands[kernel.ClientNeverAcked] != nil || l.cands[kernel.SynQueueFull] != nil || l.hist.maxHalfOpenOK > 0
	if !pressure {
		return Verdict{}, false
	}
	v := Verdict{Branch: kernel.Syncookies, Attempts: n, Confidence: confDecisive, Fix: []Fix{}, WontFix: []string{}}
	v.Evidence = append(v.Evidence,
		ev("counter", "%s: cookie SYN-ACKs were sent because the SYN queue was full", s.counterLine(kernel.CounterSyncookiesSent, kernel.CounterSyncookiesRecv, kernel.CounterSyncookiesFailed, kernel.CounterReqQFullDoCookies)))
	if agg := l.cands[kernel.ClientNeverAcked]; agg != nil {
		v.Evidence = append(v.Evidence, ev("packets", "%d handshakes to this port were answered but never completed (half-open %d–%d): they filled the SYN queue", agg.count, agg.halfLo, agg.halfHi))
	}
	if c := s.sysctl(kernel.SysctlSyncookies); c != unknownInt {
		v.Evidence = append(v.Evidence, ev("sysctl", "%s = %d", kernel.SysctlSyncookies, c))
	}
	s.describe(&v, l)
	return v, true
}

// tailorAcceptFix orders an accept-queue fix by what the snapshots show
// limits the queue: B = min(listen() backlog, somaxconn). When the
// application asked for less than somaxconn, its backlog is the limit and
// goes first; when B equals somaxconn, somaxconn caps it and goes first.
func tailorAcceptFix(v *Verdict, lim *Limits) {
	switch v.Branch {
	case kernel.AcceptQueueFullSyn, kernel.AcceptQueueFullAck, kernel.AcceptQueueFullRst:
	default:
		return
	}
	if lim.Backlog == nil || lim.Somaxconn == nil {
		return
	}
	b, smc := *lim.Backlog, *lim.Somaxconn
	find := func(sub string) int {
		for i, f := range v.Fix {
			if strings.Contains(f.Action, sub) {
				return i
			}
		}
		return -1
	}
	is, ia := find("somaxconn"), find("listen() backlog")
	if is < 0 || ia < 0 {
		return
	}
	if b < smc {
		v.Fix[ia].Why = fmt.Sprintf("The listener's backlog is %d (ss Send-Q) while net.core.somaxconn is already %d: the application's listen() argument is the limit. ", b, smc) + v.Fix[ia].Why
		v.Fix[is].Why = fmt.Sprintf("Already %d here; raise it only if the application asks for more than that. ", smc) + v.Fix[is].Why
		v.Fix[is].Action = strings.TrimSuffix(v.Fix[is].Action, " first")
		if ia > is {
			step := v.Fix[ia]
			copy(v.Fix[is+1:ia+1], v.Fix[is:ia])
			v.Fix[is] = step
		}
		return
	}
	v.Fix[is].Why = fmt.Sprintf("The listener's backlog %d equals net.core.somaxconn: somaxconn caps it, whatever the application asks. ", b) + v.Fix[is].Why
}

// mergeVerdict adds v to vs, or folds it into the verdict of the same
// branch: attempts judged so from packets and the counters' account.
func mergeVerdict(vs []Verdict, v Verdict) []Verdict {
	for i := range vs {
		if vs[i].Branch != v.Branch {
			continue
		}
		vs[i].Confidence = max(vs[i].Confidence, v.Confidence)
		for _, e := range v.Evidence {
			if !hasEvidence(vs[i].Evidence, e) {
				vs[i].Evidence = append(vs[i].Evidence, e)
			}
		}
		return vs
	}
	return append(vs, v)
}
