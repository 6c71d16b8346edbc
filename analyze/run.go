package analyze

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/halfopen/halfopen/analyze/kernel"
	"github.com/halfopen/halfopen/flows"
)

// Input is one capture to analyse.
type Input struct {
	Path      string     // a file, or "-" for standard input
	Name      string     // how reports name it; Path when empty (e.g. bundle.tar.gz/capture.pcap)
	Snapshots *Snapshots // optional server-side snapshots
}

func (in Input) name() string {
	if in.Name != "" {
		return in.Name
	}
	return in.Path
}

// Options tune an analysis.
type Options struct {
	List      ListPolicy
	MaxListed int // per listener; 0 lists every attempt the policy selects
	Parallel  int // captures read at once; 0 means one per CPU
	// Progress, when set, is called from the reading goroutines with the
	// index of the input and the bytes of it consumed so far.
	Progress  func(input int, consumed int64)
	Generator string // e.g. "halfopen 1.0.0", recorded in the report
	// MaxPackets stops reading each capture after that many packets.
	MaxPackets int64
	// MemoryBudget bounds, in bytes, what the analysis of one capture
	// keeps: flows followed at once and listeners aggregated in detail.
	// Past it, new SYNs and listeners are counted, not followed, and the
	// report says so. 0 means DefaultMemoryBudget, negative no limit.
	MemoryBudget int64
	// MaxListeners bounds the listeners a report lists (worst first); the
	// rest are counted in Totals.ListenersOmitted. 0 lists them all.
	MaxListeners int
}

// DefaultMemoryBudget fits an analysis on a machine with 2 GB.
const DefaultMemoryBudget = 1 << 30

// DefaultMaxListeners is how many listeners a report lists by default.
const DefaultMaxListeners = 1000

// budget splits the memory budget: 30 % for flows at about 400 bytes
// each (flow, attempt state, index, timer and queue entries; measured
// RSS is about 1.1 KB a flow with slab growth and the collector's
// tables), 5 % for listener aggregates at about 4 KB each; the rest is
// headroom for the bounded tables and the Go runtime.
func (o Options) budget() (maxFlows, maxListeners int) {
	b := o.MemoryBudget
	switch {
	case b == 0:
		b = DefaultMemoryBudget
	case b < 0:
		return -1, 0
	}
	return int(max(b*3/10/400, 1024)), int(max(b/20/4096, 256))
}

// DefaultMaxListed is how many attempts per listener a report lists by default.
const DefaultMaxListed = 1000

// captureResult is what reading one input produced.
type captureResult struct {
	capture     Capture
	coll        *collector
	first, last int64 // Unix ns of its first and last packet; 0 without packets
}

// Run analyses the inputs and returns the report. A capture that cannot be
// read at all is reported with its Error set; the others are analysed.
func Run(inputs []Input, opts Options) *Report {
	results := make([]captureResult, len(inputs))
	workers := opts.Parallel
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(inputs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = readOne(i, inputs[i], opts)
			}
		}()
	}
	for i := range inputs {
		next <- i
	}
	close(next)
	wg.Wait()
	return assemble(results, opts)
}

// incidentSlack is how far apart two captures may be and still be one
// incident: files a capture rotated into (tcpdump -C/-G) follow each other
// closely.
const incidentSlack = time.Second

// incidents groups the captures that overlap in time (one incident, seen
// in several files or from several places); captures of different times
// are kept apart, so two unrelated captures sharing an ip:port do not
// merge into one figure. It returns each capture's group and a note.
func incidents(results []captureResult) ([]int, []string) {
	group := make([]int, len(results))
	order := make([]int, 0, len(results))
	for i, res := range results {
		group[i] = -1
		if res.first != 0 {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return results[order[a]].first < results[order[b]].first })
	n, end := 0, int64(0)
	for k, i := range order {
		if k == 0 || results[i].first > end+int64(incidentSlack) {
			n++
			end = results[i].last
		}
		end = max(end, results[i].last)
		group[i] = n - 1
	}
	for i := range group {
		if group[i] < 0 { // unreadable or empty: a group of its own
			group[i] = n
			n++
		}
	}
	var notes []string
	if len(order) > 1 {
		spans := make([][]string, n)
		for _, i := range order {
			spans[group[i]] = append(spans[group[i]], results[i].capture.Path)
		}
		var words []string
		for _, sp := range spans {
			if len(sp) > 0 {
				words = append(words, strings.Join(sp, " + "))
			}
		}
		if len(words) > 1 {
			notes = append(notes, fmt.Sprintf("the captures cover %d separate times (%s): listeners are combined only within one time span, never across them", len(words), strings.Join(words, "; ")))
		} else {
			notes = append(notes, fmt.Sprintf("the captures overlap in time (%s): read as one incident, listeners on the same address combined", words[0]))
		}
	}
	return group, notes
}

// combine merges the views several captures of one incident have of a
// listener. Two captures of the same traffic (one on each end, or a mirror
// port and the host) hold the same handshakes: a view whose sampled
// handshakes mostly appear in the views already taken is not added again.
func combine(views []*listenerAgg, results []captureResult, limit int) (*listenerAgg, string) {
	sort.SliceStable(views, func(i, j int) bool { return views[i].attempts > views[j].attempts })
	out := newListenerAgg(views[0].server)
	out.limits = views[0].limits
	out.depth = nil // merge adds every capture's samples
	var twice []string
	for _, v := range views {
		if shared, sampled := out.sketch.overlap(&v.sketch); out.attempts > 0 && sampled > 0 && shared*2 > sampled {
			for c := range v.captures {
				out.captures[c] = true
				twice = append(twice, results[c].capture.Path)
			}
			continue
		}
		out.merge(v, limit)
		out.sketch.union(&v.sketch)
	}
	if len(twice) == 0 {
		return out, ""
	}
	return out, fmt.Sprintf("%s: the same handshakes appear in %s as in the capture with the most of them; counted once", out.server, strings.Join(twice, ", "))
}

// readOne reads one capture into a collector.
func readOne(index int, in Input, opts Options) captureResult {
	srv := newServer(in.Snapshots)
	maxFlows, maxListeners := opts.budget()
	coll := newCollector(index, opts.List, opts.MaxListed, maxListeners, srv)
	fo := flows.Options{MaxPackets: opts.MaxPackets, MaxFlows: maxFlows}
	if opts.Progress != nil {
		fo.Progress = func(n int64) { opts.Progress(index, n) }
	}
	c, err := flows.ReadFile(in.Path, fo, coll.add)
	if err != nil {
		return captureResult{capture: Capture{Index: index, Path: in.name(), file: in.Path, Error: inputError(err), LinkTypes: []string{}, Warnings: []string{}, Snapshots: []string{}, Listeners: []Listener{}, Scans: []Scan{}}, coll: coll}
	}
	coll.routeParked()
	cr := captureReport(index, c)
	cr.Path, cr.file = in.name(), in.Path
	cr.Scans = coll.sus.scans()
	cr.Untracked = untrackedReport(c.Untracked)
	cr.OtherListeners = coll.others.report()
	if o := cr.OtherListeners; o != nil {
		cr.Warnings = append(cr.Warnings, fmt.Sprintf("memory budget: %d attempts to %d listeners beyond the %d followed in detail were counted without detail (other_listeners)", o.Attempts, o.Listeners, maxListeners))
	}
	if !srv.kernelKnown {
		srv.pickKernel(measuredSynAckRTO(coll))
	}
	cr.Vantage, cr.VantageWhy = coll.vantage()
	srv.vantage = cr.Vantage
	if srv.vantage == VantageClient {
		if srv.snaps.Empty() {
			cr.Warnings = append(cr.Warnings, "the capture was taken on the client side ("+cr.VantageWhy+"): it cannot show whether SYNs reached the server; SYNs the server never answered are not blamed on a server-side branch without the server's snapshots or a capture taken there")
		} else {
			cr.Warnings = append(cr.Warnings, "the capture was taken on the client side ("+cr.VantageWhy+"); the verdicts rest on the server's snapshots given with it")
		}
	}
	for _, l := range coll.listeners {
		srv.finish(l)
		l.limits = srv.limits(l.server)
		for _, p := range srv.ssPoints(l.server) {
			if !p.Time.IsZero() {
				l.depth = append(l.depth, depthSample{p.Time.UnixNano(), p.Listener.RecvQ})
			}
		}
	}
	cr.Warnings = append(cr.Warnings, srv.unseenDrops(coll.listeners, c.Last)...)
	cr.Warnings = append(cr.Warnings, silentHosts(coll.listeners)...)
	kinfo := srv.kinfo
	cr.Kernel = &kinfo
	cr.Warnings = append(cr.Warnings, srv.warnings...)
	if w := srv.ssCoverage(c.First, c.Last); w != "" {
		cr.Warnings = append(cr.Warnings, w)
	}
	if in.Snapshots != nil {
		cr.Snapshots = append(cr.Snapshots, in.Snapshots.Files...)
		cr.Warnings = append(cr.Warnings, in.Snapshots.Notes...)
	}
	return captureResult{capture: cr, coll: coll, first: c.First, last: c.Last}
}

// untrackedReport sums the SYNs the flow budget did not let the tracker
// follow, naming the listeners with the most.
func untrackedReport(us []flows.Untracked) *Untracked {
	if len(us) == 0 {
		return nil
	}
	r := &Untracked{Top: []UntrackedTop{}}
	var first, last int64
	for i, u := range us {
		r.SYNs += u.SYNs
		if u.Server.IsValid() {
			r.Listeners++
		}
		if first == 0 || u.First < first {
			first = u.First
		}
		last = max(last, u.Last)
		if i < 10 {
			srv := ""
			if u.Server.IsValid() {
				srv = u.Server.String()
			}
			r.Top = append(r.Top, UntrackedTop{Server: srv, SYNs: u.SYNs})
		}
	}
	r.First, r.Last = timeString(first), timeString(last)
	return r
}

// silentHosts warns about server hosts that sent nothing at all — no
// SYN-ACK, RST or ACK — to the SYNs that reached them: from the capture
// alone a one-way capture and a host that drops everything look the same.
func silentHosts(listeners map[netip.AddrPort]*listenerAgg) []string {
	type host struct {
		syns     int64
		answered bool
		ports    int
	}
	hosts := map[netip.Addr]*host{}
	for srv, l := range listeners {
		h := hosts[srv.Addr()]
		if h == nil {
			h = &host{}
			hosts[srv.Addr()] = h
		}
		h.ports++
		silent := l.outcomes[flows.Unanswered] + l.outcomes[flows.Incomplete]
		h.syns += l.attempts
		if l.attempts > silent || l.flood.outcomes[flows.SynAckUnacked] > 0 {
			h.answered = true
		}
	}
	var out []string
	for addr, h := range hosts {
		if h.answered || h.syns < 2 {
			continue
		}
		out = append(out, fmt.Sprintf("%s answered none of the %d handshake attempts to its %s: either the capture holds only the traffic towards it (a one-way tap, or a filter such as 'dst host'), or the host was down or dropped everything", addr, h.syns, counted(int64(h.ports), "port", "ports")))
	}
	sort.Strings(out)
	return out
}

// measuredSynAckRTO is the server's initial SYN-ACK retransmit interval as
// the capture shows it (1 s or 3 s), or 0 when no timer retransmit was seen.
func measuredSynAckRTO(c *collector) time.Duration {
	var one, three int64
	for _, l := range c.listeners {
		one += l.serverSched[ScheduleExp1s] + l.serverSched[ScheduleLinear1s]
		three += l.serverSched[ScheduleExp3s]
	}
	switch {
	case three > one:
		return 3 * time.Second
	case one > 0:
		return time.Second
	}
	return 0
}

// inputError words a read failure for a one-line message after the path.
func inputError(err error) string {
	var fe *flows.FormatError
	if errors.As(err, &fe) {
		if errors.Is(err, flows.ErrNotCapture) {
			return fe.Error() + " (halfopen reads what tcpdump -w writes: pcap or pcapng, optionally gzip- or zstd-compressed)"
		}
		return fe.Error() + "; the file cannot be read as a capture"
	}
	return unwrapPathErr(err).Error()
}

// unwrapPathErr drops the "open FILE:" prefix of a *fs.PathError: our
// messages already start with the file name.
func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func captureReport(index int, c *flows.Capture) Capture {
	r := Capture{
		Index:       index,
		Path:        c.Name,
		Format:      c.Format,
		Compression: string(c.Compression),
		Packets:     c.Packets,
		TCPPackets:  c.TCP,
		LinkTypes:   []string{},
		First:       timePtr(c.First),
		Last:        timePtr(c.Last),
		SYN:         c.Stats.SYN,
		SynAck:      c.Stats.SynAck,
		RST:         c.Stats.RST,
		Attempts:    c.Stats.Attempts,
		PreExisting: c.Stats.PreExisting,
		Duplicates:  c.Duplicates + c.Stats.DuplicateSynAcks,
		Damaged:     c.Damaged,
		Warnings:    append([]string{}, c.Warnings...),
		Snapshots:   []string{},
		Listeners:   []Listener{},
	}
	if c.Packets > 0 {
		r.Seconds = float64((c.Last-c.First)/int64(time.Microsecond)) / 1e6
	}
	for _, l := range c.LinkTypes {
		r.LinkTypes = append(r.LinkTypes, l.String())
	}
	return r
}

// assemble builds the report from per-capture results: per-capture
// listeners, the combined listeners, listed attempts and totals.
func assemble(results []captureResult, opts Options) *Report {
	r := &Report{
		Schema:    Schema,
		Generator: opts.Generator,
		Captures:  make([]Capture, 0, len(results)),
		Listeners: []Listener{},
		Attempts:  []Attempt{},
		Totals:    Totals{Outcomes: outcomeMap(&[flows.NumOutcomes]int64{}), Branches: map[string]int64{}},
	}
	group, notes := incidents(results)
	r.Notes = append([]string{}, notes...)
	parts := map[string][]*listenerAgg{} // per incident and address, every capture's view
	for i, res := range results {
		c := res.capture
		perCapture := map[string]*listenerAgg{}
		for srv, l := range res.coll.listeners {
			perCapture[srv.String()] = l
		}
		for n, l := range sortedListeners(perCapture) {
			if opts.MaxListeners == 0 || n < opts.MaxListeners {
				lr := l.report()
				lr.Listed = 0 // attempts are listed once, under the combined view
				c.Listeners = append(c.Listeners, lr)
			}
			key := fmt.Sprintf("%d %s", group[i], l.server)
			parts[key] = append(parts[key], l)
		}
		r.Captures = append(r.Captures, c)
		r.Totals.Packets += c.Packets
		r.Totals.ScanAttempts += res.coll.scanAttempts
		if c.Untracked != nil {
			r.Totals.UntrackedSYNs += c.Untracked.SYNs
		}
		if o := res.coll.others; o.attempts > 0 {
			r.Totals.Attempts += o.attempts
			r.Totals.Failed += o.failed
			for i, n := range o.outcomes {
				r.Totals.Outcomes[flows.Outcome(i).String()] += n
			}
		}
	}
	combined := map[string]*listenerAgg{}
	for _, key := range sortedKeys(parts) {
		l, note := combine(parts[key], results, opts.MaxListed)
		combined[key] = l
		if note != "" {
			r.Notes = append(r.Notes, note)
		}
	}
	r.Totals.Captures = len(results)
	for i, l := range sortedListeners(combined) {
		r.Totals.Attempts += l.attempts
		r.Totals.Failed += l.failed
		r.Totals.FloodAttempts += l.flood.attempts
		r.Totals.Listeners++
		if l.failed > 0 {
			r.Totals.FailingListeners++
		}
		for i, n := range l.outcomes {
			r.Totals.Outcomes[flows.Outcome(i).String()] += n
		}
		if opts.MaxListeners > 0 && i >= opts.MaxListeners {
			// Listed worst first: the ones left out fail least.
			r.Totals.ListenersOmitted++
			for _, v := range l.verdicts {
				r.Totals.Branches[v.Branch] += v.Attempts
			}
			continue
		}
		lr := l.report()
		r.Listeners = append(r.Listeners, lr)
		for b, n := range lr.Branches {
			r.Totals.Branches[b] += n
		}
		kept := append([]*keptAttempt{}, l.kept...)
		sort.Slice(kept, func(i, j int) bool { return kept[i].before(kept[j]) })
		for _, k := range kept {
			r.Attempts = append(r.Attempts, attemptReport(k))
		}
	}
	sort.SliceStable(r.Attempts, func(i, j int) bool { return r.Attempts[i].firstNS < r.Attempts[j].firstNS })
	r.Headline = headline(r)
	return r
}

// headline is the report's first sentence: who failed whom, how often.
// It never says all went well when attempts were cut off or the kernel
// counted drops the capture does not show, and it names the floods and
// scans kept out of the counts.
func headline(r *Report) string {
	t := r.Totals
	incomplete := t.Outcomes[flows.Incomplete.String()]
	var s string
	switch {
	case t.Attempts == 0 && t.FloodAttempts == 0 && t.ScanAttempts == 0:
		s = "No TCP handshake attempts in the capture."
	case t.Failed == 0:
		s = noFailureHeadline(r, incomplete)
	default:
		s = failureHeadline(r)
		if incomplete > 0 {
			s = strings.TrimSuffix(s, ".") + fmt.Sprintf("; %s cut off by the end of the capture.", counted(incomplete, "more attempt was", "more attempts were"))
		}
	}
	return s + suspectsNote(r)
}

// noFailureHeadline words a report without failed attempts.
func noFailureHeadline(r *Report, incomplete int64) string {
	t := r.Totals
	for _, l := range r.Listeners {
		if l.Failed == 0 && len(l.Verdicts) > 0 && isDropBranch(l.Verdicts[0].Branch) {
			v := l.Verdicts[0]
			return fmt.Sprintf("No handshake failed in the capture, but the kernel counted drops it does not show: %s most likely %s (%s, confidence %.2f).",
				l.Server, lowerFirst(v.Title), v.Branch, v.Confidence)
		}
	}
	done := t.Attempts - incomplete
	listeners := counted(int64(t.Listeners), "listener", "listeners")
	switch {
	case t.Attempts == 0:
		return "No handshake attempt from a real client in the capture."
	case done == 0:
		return fmt.Sprintf("The capture ended before any of its %s to %s finished.", counted(t.Attempts, "handshake attempt", "handshake attempts"), listeners)
	case done == 1 && incomplete == 0:
		return fmt.Sprintf("The only handshake attempt (to %s) succeeded on the first SYN.", listeners)
	case incomplete > 0:
		return fmt.Sprintf("All %s to %s succeeded on the first SYN; %s cut off by the end of the capture.",
			counted(done, "completed handshake attempt", "completed handshake attempts"), listeners, counted(incomplete, "more attempt was", "more attempts were"))
	}
	return fmt.Sprintf("All %d handshake attempts to %s succeeded on the first SYN.", t.Attempts, listeners)
}

// failureHeadline words a report with failed attempts.
func failureHeadline(r *Report) string {
	t := r.Totals
	worst := r.Listeners[0]
	s := fmt.Sprintf("%d of %s failed clients; worst: %s failed %d of %s (%s)",
		t.FailingListeners, counted(int64(t.Listeners), "listener", "listeners"), worst.Server, worst.Failed, counted(worst.Attempts, "attempt", "attempts"), Percent(worst.FailureRate))
	if len(worst.Verdicts) > 0 && worst.Verdicts[0].Branch != kernel.Unknown {
		v := worst.Verdicts[0]
		s += fmt.Sprintf(": most likely %s (%s, confidence %.2f)", lowerFirst(v.Title), v.Branch, v.Confidence)
	} else if len(worst.Verdicts) > 0 {
		s += ": the cause is unclear from what was given (add --sysctl, --ss and --nstat snapshots)"
	} else if o := mainFailure(worst.Outcomes); o != "" {
		s += ", mostly " + o
	}
	return s + "."
}

// suspectsNote names the floods and scans kept out of the counts.
func suspectsNote(r *Report) string {
	var parts []string
	for _, l := range r.Listeners {
		if f := l.Flood; f != nil {
			at := ""
			if f.SourcesAtLeast {
				at = "at least "
			}
			parts = append(parts, fmt.Sprintf("a spoofed SYN flood against %s (%s from %s%s)", l.Server,
				counted(f.Attempts, "SYN", "SYNs"), at, counted(f.Sources, "source", "sources")))
		}
	}
	for _, c := range r.Captures {
		for _, sc := range c.Scans {
			parts = append(parts, fmt.Sprintf("a port scan from %s (%s)", sc.Source, counted(sc.Ports, "port", "ports")))
		}
	}
	if t := r.Totals.UntrackedSYNs; t > 0 {
		parts = append(parts, fmt.Sprintf("%s past the memory budget, counted but not followed", counted(t, "SYN", "SYNs")))
	}
	if len(parts) == 0 {
		return ""
	}
	if len(parts) > 3 {
		parts = append(parts[:3], fmt.Sprintf("%d more", len(parts)-3))
	}
	return " Not counted as clients: " + strings.Join(parts, "; ") + "."
}

// counted words a count with the right noun: "1 listener", "3 listeners".
func counted(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func isDropBranch(name string) bool {
	b, ok := kernel.Lookup(name)
	return ok && b.Drop
}

// mainFailure names the most frequent failed outcome of a listener.
func mainFailure(outcomes map[string]int64) string {
	best, n := "", int64(0)
	for _, o := range outcomeOrder {
		if o.Failed() && outcomes[o.String()] > n {
			best, n = o.String(), outcomes[o.String()]
		}
	}
	return best
}

// Percent formats a 0..1 rate for people: 0%, <0.1%, 2.5%, 33%.
func Percent(rate float64) string {
	p := rate * 100
	switch {
	case p == 0:
		return "0%"
	case p < 0.1:
		return "<0.1%"
	case p < 10:
		return fmt.Sprintf("%.1f%%", p)
	}
	return fmt.Sprintf("%.0f%%", p)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	if len(r) > 1 && r[1] >= 'A' && r[1] <= 'Z' { // an acronym: keep it
		return s
	}
	return strings.ToLower(string(r[0])) + string(r[1:])
}
