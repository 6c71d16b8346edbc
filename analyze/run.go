package analyze

import (
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

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
}

// DefaultMaxListed is how many attempts per listener a report lists by default.
const DefaultMaxListed = 1000

// captureResult is what reading one input produced.
type captureResult struct {
	capture Capture
	coll    *collector
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

// readOne reads one capture into a collector.
func readOne(index int, in Input, opts Options) captureResult {
	srv := newServer(in.Snapshots)
	coll := newCollector(index, opts.List, opts.MaxListed, srv)
	fo := flows.Options{MaxPackets: opts.MaxPackets}
	if opts.Progress != nil {
		fo.Progress = func(n int64) { opts.Progress(index, n) }
	}
	c, err := flows.ReadFile(in.Path, fo, coll.add)
	if err != nil {
		return captureResult{capture: Capture{Index: index, Path: in.name(), file: in.Path, Error: inputError(err), LinkTypes: []string{}, Warnings: []string{}, Snapshots: []string{}, Listeners: []Listener{}}, coll: coll}
	}
	cr := captureReport(index, c)
	cr.Path, cr.file = in.name(), in.Path
	if !srv.kernelKnown {
		srv.pickKernel(measuredSynAckRTO(coll))
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
	kinfo := srv.kinfo
	cr.Kernel = &kinfo
	cr.Warnings = append(cr.Warnings, srv.warnings...)
	if w := srv.ssCoverage(c.First, c.Last); w != "" {
		cr.Warnings = append(cr.Warnings, w)
	}
	if in.Snapshots != nil {
		cr.Snapshots = append(cr.Snapshots, in.Snapshots.Files...)
	}
	return captureResult{capture: cr, coll: coll}
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
		Duplicates:  c.Duplicates,
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
	combined := map[string]*listenerAgg{}
	for _, res := range results {
		c := res.capture
		perCapture := map[string]*listenerAgg{}
		for srv, l := range res.coll.listeners {
			perCapture[srv.String()] = l
		}
		for _, l := range sortedListeners(perCapture) {
			lr := l.report()
			lr.Listed = 0 // attempts are listed once, under the combined view
			c.Listeners = append(c.Listeners, lr)
			key := l.server.String()
			if combined[key] == nil {
				combined[key] = newListenerAgg(l.server)
				combined[key].limits = l.limits
				combined[key].depth = nil // merge adds every capture's samples
			}
			combined[key].merge(l, opts.MaxListed)
		}
		r.Captures = append(r.Captures, c)
		r.Totals.Packets += c.Packets
	}
	r.Totals.Captures = len(results)
	for _, l := range sortedListeners(combined) {
		lr := l.report()
		r.Listeners = append(r.Listeners, lr)
		r.Totals.Attempts += l.attempts
		r.Totals.Failed += l.failed
		if l.failed > 0 {
			r.Totals.FailingListeners++
		}
		for i, n := range l.outcomes {
			r.Totals.Outcomes[flows.Outcome(i).String()] += n
		}
		for b, n := range lr.Branches {
			r.Totals.Branches[b] += n
		}
		kept := append([]*keptAttempt{}, l.kept...)
		sort.Slice(kept, func(i, j int) bool { return kept[i].before(kept[j]) })
		for _, k := range kept {
			r.Attempts = append(r.Attempts, attemptReport(k))
		}
	}
	r.Totals.Listeners = len(r.Listeners)
	sort.SliceStable(r.Attempts, func(i, j int) bool { return r.Attempts[i].firstNS < r.Attempts[j].firstNS })
	r.Headline = headline(r)
	return r
}

// headline is the report's first sentence: who failed whom, how often.
func headline(r *Report) string {
	if r.Totals.Attempts == 0 {
		return "No TCP handshake attempts in the capture."
	}
	if r.Totals.Failed == 0 {
		return fmt.Sprintf("All %d handshake attempts to %d listener(s) succeeded on the first SYN.", r.Totals.Attempts, r.Totals.Listeners)
	}
	worst := r.Listeners[0]
	s := fmt.Sprintf("%d of %d listener(s) failed clients; worst: %s failed %d of %d attempts (%s)",
		r.Totals.FailingListeners, r.Totals.Listeners, worst.Server, worst.Failed, worst.Attempts, Percent(worst.FailureRate))
	if len(worst.Verdicts) > 0 && worst.Verdicts[0].Branch != "unknown" {
		v := worst.Verdicts[0]
		s += fmt.Sprintf(": most likely %s (%s, confidence %.2f)", lowerFirst(v.Title), v.Branch, v.Confidence)
	} else if len(worst.Verdicts) > 0 {
		s += ": the cause is unclear from what was given (add --sysctl, --ss and --nstat snapshots)"
	} else if o := mainFailure(worst.Outcomes); o != "" {
		s += ", mostly " + o
	}
	return s + "."
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
