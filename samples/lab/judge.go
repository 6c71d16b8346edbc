//go:build linux

package lab

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Result is a finished scenario: its bundle and its truth.
type Result struct {
	Dir      string
	Expected *Expected
	Record   *Record
	Wire     *Wire
}

// Derive computes a bundle's truth from its lab.json, capture and snapshot
// files, and (re)writes expected.json, client-results.tsv and README.md.
func Derive(dir string) (*Result, error) {
	rec, err := LoadRecord(filepath.Join(dir, labFile))
	if err != nil {
		return nil, err
	}
	wire, err := ReadWire(filepath.Join(dir, "capture.pcap"))
	if err != nil {
		return nil, err
	}
	sysctl, err := readSysctlFile(filepath.Join(dir, "sysctl.txt"))
	if err != nil {
		return nil, err
	}
	kernel := sysctl["kernel.osrelease"]
	f := newFacts(rec, wire, sysctl, kernel)
	exp, err := f.expected(dir)
	if err != nil {
		return nil, err
	}
	if err := exp.write(filepath.Join(dir, "expected.json")); err != nil {
		return nil, err
	}
	if err := writeClientResults(filepath.Join(dir, "client-results.tsv"), rec); err != nil {
		return nil, err
	}
	res := &Result{Dir: dir, Expected: exp, Record: rec, Wire: wire}
	if err := writeReadme(filepath.Join(dir, "README.md"), res, f, rec.Scenario.About); err != nil {
		return nil, err
	}
	return res, nil
}

// expected assembles expected.json.
func (f *facts) expected(dir string) (*Expected, error) {
	names := f.rec.Scenario.NstatNames
	if names[0] == "" {
		names = [2]string{"nstat-1-before.txt", "nstat-2-after.txt"}
	}
	before, err := readNstatFile(filepath.Join(dir, names[0]))
	if err != nil {
		return nil, err
	}
	after, err := readNstatFile(filepath.Join(dir, names[1]))
	if err != nil {
		return nil, err
	}
	e := &Expected{
		Scenario: f.rec.Scenario.Name, Seed: f.rec.Scenario.Seed, Kernel: f.sysctl["kernel.osrelease"],
		Crafted: false, Vantage: "server",
	}
	if f.rec.Scenario.Capture.Side == "client" {
		e.Vantage = "client"
	}
	e.Capture = f.captureFacts(names)
	for _, a := range f.wire.Attempts {
		ea := f.judge(a)
		e.Attempts = append(e.Attempts, ea)
		if !ea.Certain {
			e.Ambiguous = true
		}
	}
	e.Flood, e.Scans = f.floodAndScans()
	e.Listeners = f.listenerSummaries(e.Attempts, counterDeltas(before, after))
	e.Notes = f.notes()
	return e, nil
}

// reportedCounters are the counters expected.json lists per listener.
var reportedCounters = []string{
	"TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtTCPReqQFullDrop", "TcpExtTCPReqQFullDoCookies",
	"TcpExtSyncookiesSent", "TcpExtSyncookiesRecv", "TcpExtSyncookiesFailed", "TcpExtEmbryonicRsts",
	"TcpExtTCPDeferAcceptDrop", "TcpExtPAWSTimewait", "TcpExtPAWSEstab", "TcpExtIPReversePathFilter",
	"TcpExtTCPSYNChallenge", "TcpPassiveOpens", "TcpOutRsts",
}

func counterDeltas(before, after map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for _, n := range reportedCounters {
		if d := after[n] - before[n]; d != 0 {
			out[n] = d
		}
	}
	return out
}

func (f *facts) captureFacts(names [2]string) ExpCapture {
	c := ExpCapture{LinkType: f.wire.LinkType, DuplicateFrames: f.wire.Duplicates, NstatFiles: names[:]}
	switch f.rec.Scenario.Capture.Iface {
	case "any":
		c.Interface = "any"
	case "if":
		c.Interface = f.rec.Pair.SrvIf
		if f.rec.Scenario.Capture.Side == "client" {
			c.Interface = f.rec.Pair.CliIf
		}
	default:
		c.Interface = f.rec.Pair.SrvVeth
		if f.rec.Scenario.Capture.Side == "client" {
			c.Interface = f.rec.Pair.CliVeth
		}
	}
	if n := len(f.phases); n > 0 && f.phases[n-1].Time.Sub(f.rec.CaptureStop) > time.Second {
		c.StoppedEarly = true
		c.DropsAfterCapture = f.phases[n-1].Server["TcpExtListenDrops"] - f.valueAt(f.rec.CaptureStop, "TcpExtListenDrops")
	}
	return c
}

// valueAt is a server counter at the last phase snapshot not after t.
func (f *facts) valueAt(t time.Time, name string) int64 {
	var v int64
	for _, p := range f.phases {
		if !p.Time.After(t) {
			v = p.Server[name]
		}
	}
	return v
}

func (f *facts) role(a *WireAttempt) string {
	if r, ok := f.raw[fmt.Sprintf("%s/%d", a.Client, a.ISN)]; ok {
		return r.Kind
	}
	return "client"
}

// judge is the truth about one attempt.
func (f *facts) judge(a *WireAttempt) ExpAttempt {
	e := ExpAttempt{Client: a.Client.String(), Server: a.Server.String(), ISN: a.ISN,
		FirstSYN: a.FirstSYN().UTC().Format(time.RFC3339Nano), Role: f.role(a)}
	var owhy string
	e.Outcomes, owhy = f.outcome(a)
	v := f.branch(a, e.Outcomes[0])
	e.Branches, e.Certain = v.branches, v.certain
	why := append([]string{owhy}, v.why...)
	if c, ok := f.clientOf(a); ok {
		e.ClientResult = c.Result
		if msg := consistent(c, e.Outcomes[0]); msg != "" {
			e.Certain = false
			why = append(why, msg)
		} else {
			why = append(why, "client: "+c.Result+clientNote(c))
		}
	}
	e.Why = strings.Join(why, "; ")
	return e
}

func clientNote(c ClientRecord) string {
	if c.Note == "" {
		return ""
	}
	return " (" + c.Note + ")"
}

// clientOf finds the connect() that sent this attempt's first SYN.
func (f *facts) clientOf(a *WireAttempt) (ClientRecord, bool) {
	if f.role(a) != "client" {
		return ClientRecord{}, false // a raw SYN: no connect() behind it
	}
	var best ClientRecord
	bestD := 2 * time.Second
	for _, c := range f.clients[a.Client.String()] {
		d := a.FirstSYN().Sub(c.Start)
		if d > -50*time.Millisecond && d < bestD {
			best, bestD = c, max(d, 0)
		}
	}
	return best, bestD < 2*time.Second
}

// consistent cross-checks the capture's outcome with the client's result.
func consistent(c ClientRecord, outcome string) string {
	ok := true
	switch c.Result {
	case "connected":
		ok = outcome != "unanswered" && outcome != "reset" && outcome != "unanswered_then_reset" && outcome != "answered_with_ack"
	case "refused":
		ok = outcome == "reset" || outcome == "unanswered_then_reset"
	case "timeout":
		ok = outcome == "unanswered" || outcome == "synack_unacked" || outcome == "incomplete"
	}
	if ok {
		return ""
	}
	return fmt.Sprintf("the client says %s but the capture shows %s: marked uncertain", c.Result, outcome)
}

// outcome reads the attempt's outcome from the capture (README
// "Outcomes"); the first is the lab's reading, the others also acceptable.
func (f *facts) outcome(a *WireAttempt) ([]string, string) {
	end := f.wire.Last
	if len(a.SynAcks) == 0 {
		switch {
		case !a.ServerRST.IsZero() && a.synsBefore(a.ServerRST) > 1:
			return []string{"unanswered_then_reset"}, fmt.Sprintf("%d SYNs unanswered, then one answered by RST", a.synsBefore(a.ServerRST)-1)
		case !a.ServerRST.IsZero():
			return []string{"reset"}, "server answered the SYN with RST"
		case !a.ServerBareAck.IsZero():
			return []string{"answered_with_ack"}, "server answered the SYN with a bare ACK"
		case len(a.SYNs) == 1 && end.Sub(a.SYNs[0]) < incompleteAfter:
			return []string{"incomplete", "unanswered"}, fmt.Sprintf("one SYN, no answer, capture ended %.1f s later", end.Sub(a.SYNs[0]).Seconds())
		}
		return []string{"unanswered"}, fmt.Sprintf("%d SYNs, no answer", len(a.SYNs))
	}
	if a.ClientAck.IsZero() {
		if len(a.SynAcks) == 1 && a.ClientRST.IsZero() && a.ServerRST.IsZero() && end.Sub(a.SynAcks[0].T) < incompleteAfter {
			return []string{"synack_unacked", "incomplete"}, "SYN-ACK not acknowledged before the capture ended"
		}
		return []string{"synack_unacked"}, fmt.Sprintf("%d SYN-ACKs, never acknowledged", len(a.SynAcks))
	}
	afterAck := false
	for _, s := range a.SynAcks {
		afterAck = afterAck || s.AfterAck
	}
	servedBy := func(t time.Time) bool {
		for _, e := range []time.Time{a.ServerAckData, a.ServerData, a.ServerFIN} {
			if !e.IsZero() && !e.After(t) {
				return true
			}
		}
		return false
	}
	served := !a.ServerAckData.IsZero() || !a.ServerData.IsZero() || !a.ServerFIN.IsZero()
	if !a.ServerRST.IsZero() && !a.ServerRST.Before(a.ClientAck) && !afterAck && !servedBy(a.ServerRST) {
		if a.answersClient(a.ServerRST) {
			return []string{"reset_after_ack"}, "server RST right after the client's ACK"
		}
		// A RST out of the blue, long after the handshake: the connection
		// was established and later reset (e.g. the app closed its
		// listener with the connection still in the accept queue).
		return []string{"established", "reset_after_ack"}, "handshake completed; the server reset the connection later, not in reply to the client"
	}
	switch {
	case afterAck && served:
		return []string{"established_after_retry"}, "SYN-ACK retransmitted after the client's ACK, later served"
	case afterAck:
		return []string{"ack_ignored"}, "SYN-ACK retransmitted after the client's ACK, never served"
	case !served && a.retransmittedData():
		return []string{"ack_ignored"}, "client data retransmitted, server never acknowledged it"
	case len(a.SYNs) > 1:
		return []string{"established_after_retry"}, fmt.Sprintf("handshake completed after %d SYNs", len(a.SYNs))
	case a.retransmittedData():
		// README: held-back client data makes it a retry; one lost data
		// segment is not a handshake failure. The capture cannot tell the
		// two apart, so both readings are acceptable.
		return []string{"established", "established_after_retry"}, "handshake completed; the client had to retransmit data before the server acknowledged it"
	case !a.ServerRST.IsZero() && a.ServerRST.Before(a.ClientAck):
		return []string{"established_after_retry"}, "handshake completed after a RST detour"
	}
	if len(a.ClientData) > 0 && !served && f.wire.Last.Sub(a.ClientData[0]) < incompleteAfter {
		// The client's data was still unacknowledged when the capture
		// ended: whether the server took the connection is not known yet.
		return []string{"established", "incomplete"}, "handshake completed on the first SYN; the capture ended before the server acknowledged the client's data"
	}
	return []string{"established"}, "handshake completed on the first SYN"
}

// branch explains the attempt's failure symptoms from kernel facts.
func (f *facts) branch(a *WireAttempt, outcome string) verdict {
	v := verdict{certain: true}
	symptoms := 0
	ans := a.firstAnswer()
	var drops verdict
	drops.certain = true
	var first, last time.Time
	for i, t := range a.SYNs {
		answered := !ans.IsZero() && (i == len(a.SYNs)-1 || !a.SYNs[i+1].Before(ans))
		if answered || !ans.IsZero() && t.After(ans) {
			break
		}
		d := f.droppedSYN(a, t)
		for _, w := range d.why {
			if !contains(drops.why, w) {
				drops.why = append(drops.why, w)
			}
		}
		d.why = nil
		drops.add(d)
		if first.IsZero() {
			first = t
		}
		last = t
		symptoms++
	}
	if symptoms > 0 {
		drops.why = []string{fmt.Sprintf("%d SYNs unanswered (%s…%s): %s", symptoms, clock(first), clock(last), strings.Join(drops.why, "; "))}
		v.add(drops)
	}
	switch {
	case len(a.SynAcks) == 0 && !a.ServerRST.IsZero():
		if symptoms == 0 {
			v.add(f.resetToSYN(a))
			symptoms++
		} else {
			r := f.resetToSYN(a)
			v.why = append(v.why, "then "+strings.Join(r.why, "; "))
		}
	case len(a.SynAcks) == 0 && !a.ServerBareAck.IsZero():
		v.add(f.bareAck(a))
		symptoms++
	case len(a.SynAcks) > 0 && a.ClientAck.IsZero():
		v.add(f.unackedSynAck(a))
		symptoms++
	case len(a.SynAcks) > 0:
		symptoms += f.afterSynAck(a, outcome, &v)
	}
	if symptoms == 0 {
		v.branches = []string{bNone}
		if outcome != "established" && outcome != "incomplete" {
			v.certain = false
			v.branches = []string{bNone, bUnknown}
			v.why = append(v.why, "no failure symptom found for a failed outcome")
		}
	}
	return v
}

// afterSynAck covers attempts the server answered and the client ACKed:
// lost SYN-ACKs, ignored or reset ACKs, defer-accept, syncookies.
func (f *facts) afterSynAck(a *WireAttempt, outcome string, v *verdict) int {
	n := 0
	if a.synsBefore(a.SynAcks[0].T.Add(time.Millisecond)) < len(a.SYNs) && f.role(a) == "client" {
		v.add(f.lostSynAck(a))
		n++
	}
	answered := a.SYNs[max(0, a.synsBefore(a.SynAcks[0].T)-1)]
	cq, cwhy := f.cookieSYN(a, answered)
	if late := f.lateReset(a, outcome); late != nil {
		v.add(*late)
		return n + 1
	}
	switch outcome {
	case "reset_after_ack":
		t := a.ClientAck
		if f.sysctlInt("net.ipv4.tcp_abort_on_overflow", 0) == 1 && f.deltaFrom(t, "TcpExtListenOverflows") > 0 && f.deltaFrom(t, "TcpExtEmbryonicRsts") > 0 {
			v.add(one(bAcceptRst, true, "ACK at %s answered by RST: tcp_abort_on_overflow=1, ListenOverflows +%d, EmbryonicRsts +%d",
				clock(t), f.deltaFrom(t, "TcpExtListenOverflows"), f.deltaFrom(t, "TcpExtEmbryonicRsts")))
		} else {
			v.add(one(bUnknown, false, "ACK at %s answered by RST without overflow counters", clock(t)))
		}
		return n + 1
	case "ack_ignored", "established_after_retry", "established":
		if ignored(a) {
			v.add(f.ignoredAck(a, cq == yes, outcome))
			n++ // a cookie answer below stays acceptable too
		}
	}
	if f.bareAckDeferred(a) {
		d := one(bDefer, true, "bare ACK at %s to a TCP_DEFER_ACCEPT listener dropped (TCPDeferAcceptDrop +%d); the data completed the handshake",
			clock(a.ClientAck), f.deltaFrom(a.ClientAck, "TcpExtTCPDeferAcceptDrop"))
		if outcome == "established" {
			d.branches = append(d.branches, bNone)
		}
		v.add(d)
		n++
	}
	if cq == yes || n == 0 && cq == maybe {
		c := one(bCookies, cq == yes, "answered by a syncookie: %s", cwhy)
		if cq == maybe {
			c.branches = append(c.branches, bNone)
		}
		v.add(c)
		n++
	}
	return n
}

// lateReset explains an established connection the server reset later on
// its own: its listening socket was closed just before (the queued
// connection was reset with it) — not a handshake failure.
func (f *facts) lateReset(a *WireAttempt, outcome string) *verdict {
	if outcome != "established" || a.ServerRST.IsZero() || a.ServerRST.Before(a.ClientAck) || a.answersClient(a.ServerRST) {
		return nil
	}
	for _, e := range f.rec.Listeners {
		// The close is logged when close(2) returns, just after the RSTs
		// it caused: compare without a sign.
		if d := a.ServerRST.Sub(e.Time); e.Addr == a.Server && e.Event == "close" && d > -200*time.Millisecond && d < 200*time.Millisecond {
			v := one(bNone, true, "RST at %s: the listening socket closed at %s with the connection still in its accept queue (never accepted)", clock(a.ServerRST), clock(e.Time))
			v.branches = append(v.branches, bClosedPort)
			return &v
		}
	}
	v := one(bNone, false, "RST at %s long after the handshake, no listener close just before it", clock(a.ServerRST))
	v.branches = append(v.branches, bUnknown)
	return &v
}

// ignored: the server retransmitted its SYN-ACK after the client's ACK, or
// never acknowledged data the client had to retransmit.
func ignored(a *WireAttempt) bool {
	for _, s := range a.SynAcks {
		if s.AfterAck {
			return true
		}
	}
	return a.retransmittedData() && (a.ServerAckData.IsZero() || a.ServerAckData.After(a.ClientData[len(a.ClientData)-1]))
}

// bareAckDeferred: the client's first segment after the SYN-ACK was a bare
// ACK to a TCP_DEFER_ACCEPT listener and TCPDeferAcceptDrop moved.
func (f *facts) bareAckDeferred(a *WireAttempt) bool {
	if !f.deferAccept(a.Server, a.ClientAck) {
		return false
	}
	if len(a.ClientData) > 0 && !a.ClientData[0].After(a.ClientAck) {
		return false
	}
	return f.deltaFrom(a.ClientAck, "TcpExtTCPDeferAcceptDrop") > 0
}

// floodAndScans summarises the raw SYNs the lab sent.
func (f *facts) floodAndScans() (*ExpFlood, []ExpScan) {
	var flood *ExpFlood
	sources := map[string]bool{}
	scans := map[string]map[string]bool{}
	for _, r := range f.rec.Raw {
		switch r.Kind {
		case "flood":
			if flood == nil {
				flood = &ExpFlood{Server: r.To}
			}
			flood.SYNs++
			sources[strings.Split(r.From, ":")[0]] = true
		case "scan":
			src := r.From[:strings.LastIndex(r.From, ":")]
			if scans[src] == nil {
				scans[src] = map[string]bool{}
			}
			scans[src][r.To] = true
		}
	}
	if flood != nil {
		flood.Sources = len(sources)
	}
	var out []ExpScan
	for src, ports := range scans {
		s := ExpScan{Source: src, Ports: len(ports)}
		for p := range ports {
			for _, e := range f.rec.Listeners {
				if e.Addr.String() == p && e.Event == "open" {
					s.Open++
					break
				}
			}
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return flood, out
}

// listenerSummaries groups the real clients' attempts per server ip:port
// (the fields analyze/samples_test.go reads). Flood and scan attempts are
// not counted (they are in flood and scans); ports only a scan touched are
// not listeners.
func (f *facts) listenerSummaries(atts []ExpAttempt, counters map[string]int64) []ExpListener {
	byServer := map[string]*ExpListener{}
	branchVotes := map[string]map[string]int{}
	var order []string
	for _, a := range atts {
		if a.Role == "scan" && !f.everListened(a.Server) {
			continue
		}
		if a.Role == "flood" || a.Role == "scan" {
			// Not clients (README "Not clients"): in flood / scans, not in
			// the listener's outcomes. Make sure the listener is listed.
			if byServer[a.Server] == nil {
				byServer[a.Server] = &ExpListener{Server: a.Server, Outcomes: map[string]int64{}, Counters: map[string]int64{}}
				branchVotes[a.Server] = map[string]int{}
				order = append(order, a.Server)
			}
			continue
		}
		l := byServer[a.Server]
		if l == nil {
			l = &ExpListener{Server: a.Server, Outcomes: map[string]int64{}, Counters: map[string]int64{}}
			byServer[a.Server] = l
			branchVotes[a.Server] = map[string]int{}
			order = append(order, a.Server)
		}
		l.Outcomes[a.Outcomes[0]]++
		if a.Certain && a.Branches[0] != bNone {
			branchVotes[a.Server][a.Branches[0]]++
		}
	}
	sort.Strings(order)
	var out []ExpListener
	for i, s := range order {
		l := byServer[s]
		l.Branch = topVote(branchVotes[s])
		if l.Branch != "" || i == 0 {
			for k, v := range counters {
				l.Counters[k] = v
			}
		}
		f.listenerEvents(l)
		out = append(out, *l)
	}
	return out
}

// topVote is a listener's branch: the most common server-side drop among
// its attempts; else syncookies if cookies answered some; else the most
// common other branch (client_never_acked, synack_lost, ...).
func topVote(votes map[string]int) string {
	best := func(keep func(string) bool) string {
		b, n := "", 0
		for k, c := range votes {
			if keep(k) && (c > n || c == n && k < b) {
				b, n = k, c
			}
		}
		return b
	}
	if b := best(isDrop); b != "" {
		return b
	}
	if votes[bCookies] > 0 {
		return bCookies
	}
	return best(func(string) bool { return true })
}

// isDrop: the branch is a server-side drop or refusal (README "Branches"),
// not a healthy answer or something the client side did.
func isDrop(b string) bool {
	switch b {
	case bNone, bCookies, bSynAckLost, bNeverAcked, bUnknown:
		return false
	}
	return true
}

func (f *facts) everListened(server string) bool {
	for _, e := range f.rec.Listeners {
		if e.Addr.String() == server {
			return true
		}
	}
	return false
}

// listenerEvents adds the closes and re-opens during the capture.
func (f *facts) listenerEvents(l *ExpListener) {
	opened := false
	for _, e := range f.rec.Listeners {
		if e.Addr.String() != l.Server {
			continue
		}
		switch {
		case e.Event == "close" && !e.Time.After(f.rec.CaptureStop):
			l.ClosedAt = append(l.ClosedAt, e.Time.UTC().Format(time.RFC3339Nano))
		case e.Event == "open" && opened:
			l.ReopenedAt = append(l.ReopenedAt, e.Time.UTC().Format(time.RFC3339Nano))
		}
		if e.Event == "open" {
			opened = true
		}
	}
	l.NotListening = !opened
}

func (f *facts) notes() string {
	var b strings.Builder
	b.WriteString("Truth from the kernel only (samples/README.md \"Truth rules\"): outcomes from the lab's own reading of capture.pcap, cross-checked with the client log; branches from counter deltas per phase (lab.json phases), iptables rule counters, sysctls, listener-queue samples and the listener/accept/client logs.")
	if f.rec.ScriptError != "" {
		b.WriteString(" Script warning: " + f.rec.ScriptError + ".")
	}
	return b.String()
}

// Digest is a one-line digest of a bundle's truth: outcomes and branches.
func Digest(e *Expected) string {
	outcomes, branches := map[string]int64{}, map[string]int64{}
	uncertain := 0
	for _, a := range e.Attempts {
		outcomes[a.Outcomes[0]]++
		branches[a.Branches[0]]++
		if !a.Certain {
			uncertain++
		}
	}
	return fmt.Sprintf("outcomes: %s; branches: %s; %d uncertain", formatMap(outcomes), formatMap(branches), uncertain)
}

// SamplesDir is the repository's samples/ directory.
func SamplesDir() (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "samples"), nil
}
