package flows

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"
)

// Capture describes one capture as it was read: its format, what it held,
// and any damage found. Attempts are delivered separately, as they finish.
type Capture struct {
	Name        string
	Format      string
	Compression Compression
	Packets     int64
	TCP         int64 // TCP segments decoded
	// Duplicates counts segments dropped as a second copy of a frame the
	// capture already held (see dupWindow); they are not in TCP.
	Duplicates  int64
	NotIP       int64
	NotTCP      int64
	Fragments   int64 // non-first IP fragments (no TCP header to read)
	Truncated   int64 // packets cut before the end of their TCP header
	Malformed   int64
	UnknownLink int64
	LinkTypes   []LinkType // in order of first appearance
	First, Last int64      // Unix ns of the earliest and latest packet
	Stats       Stats
	PeakOpen    int // most attempts open at once
	PeakFlows   int // most flows held at once
	// Untracked are the SYNs the flow budget let the tracker count but not
	// follow, per listener (see Tracker.Untracked).
	Untracked []Untracked
	// Damaged is set when reading stopped early because the input was cut
	// short or corrupt; the packets before the damage were analysed.
	Damaged  bool
	Warnings []string
}

// Options tunes reading.
type Options struct {
	// Progress, when set, is called now and then with the number of input
	// bytes consumed so far (compressed bytes for compressed input).
	Progress func(consumed int64)
	// MaxPackets stops after that many packets when positive.
	MaxPackets int64
	// Serial reads, decodes and tracks on one goroutine. By default
	// decoding runs on a second core; the results are the same.
	Serial bool
	// KeepDuplicates keeps every copy of a frame captured twice (see
	// dupWindow); by default the second copy is dropped and counted.
	KeepDuplicates bool
	// MaxFlows is the tracker's flow budget: 0 for DefaultMaxFlows, -1
	// for no limit.
	MaxFlows int
}

// ReadFile reads the capture at path ("-" for standard input).
func ReadFile(path string, opts Options, emit func(*Attempt)) (*Capture, error) {
	if path == "-" {
		return Read(os.Stdin, "-", opts, emit)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, &FormatError{Msg: "is a directory, not a capture file"}
	}
	return Read(f, path, opts, emit)
}

// Read reads a capture from r. name labels the capture in results. The
// returned error is non-nil only when r is not a readable capture at all
// (a *FormatError) or could not be read from its start; damage found later
// becomes a warning in Capture.
func Read(r io.Reader, name string, opts Options, emit func(*Attempt)) (*Capture, error) {
	counted := &countingReader{r: r}
	rr, comp, closer, err := openContainer(counted)
	if err != nil {
		return nil, err
	}
	defer closer()
	c := &Capture{Name: name, Format: rr.format(), Compression: comp}
	tr := NewTracker(emit)
	switch {
	case opts.MaxFlows > 0:
		tr.SetMaxFlows(opts.MaxFlows)
	case opts.MaxFlows < 0:
		tr.SetMaxFlows(0)
	}
	if opts.Serial {
		readRecords(rr, c, counted, opts, func(b []Segment) []Segment {
			c.track(tr, b)
			return b[:0]
		})
	} else {
		pipeline(rr, c, counted, opts, tr)
	}
	c.Format = rr.format()
	tr.Finish()
	c.Stats = tr.Stats()
	c.Untracked = tr.Untracked()
	for _, p := range rr.problems() {
		c.Warnings = append(c.Warnings, p.String())
	}
	c.addDecodeWarnings()
	return c, nil
}

// batchSize is how many segments travel together from the decoding
// goroutine to the tracking one: enough to make the hand-over cheap, few
// enough to stay in cache.
const batchSize = 1024

// pipeline reads and decodes on one goroutine and tracks on the calling
// one, so the two halves use both cores. Segments keep capture order, so
// the result equals a serial run.
func pipeline(rr recordReader, c *Capture, counted *countingReader, opts Options, tr *Tracker) {
	const inFlight = 4
	full := make(chan []Segment, inFlight)
	free := make(chan []Segment, inFlight+2)
	for range inFlight + 2 {
		free <- make([]Segment, 0, batchSize)
	}
	go func() {
		defer close(full)
		readRecords(rr, c, counted, opts, func(b []Segment) []Segment {
			full <- b
			return (<-free)[:0]
		})
	}()
	for b := range full {
		c.track(tr, b)
		free <- b
	}
}

// track feeds a batch to the tracker and notes the peaks.
func (c *Capture) track(tr *Tracker, b []Segment) {
	for i := range b {
		tr.Add(&b[i])
	}
	open, flows := tr.Open()
	c.PeakOpen, c.PeakFlows = max(c.PeakOpen, open), max(c.PeakFlows, flows)
}

// readRecords reads and decodes records into batches of segments, handing
// each full batch to flush, which returns an empty batch to fill next.
func readRecords(rr recordReader, c *Capture, counted *countingReader, opts Options, flush func([]Segment) []Segment) {
	var (
		dec      decoder
		dups     = new(dupFilter)
		seenLink = map[LinkType]bool{}
		batch    = make([]Segment, 0, batchSize)
	)
	defer func() {
		if len(batch) > 0 {
			flush(batch)
		}
	}()
	for {
		rec, err := rr.next()
		if err != nil {
			var stop *stopError
			switch {
			case err == io.EOF:
			case errors.As(err, &stop):
				c.Damaged = true
				c.Warnings = append(c.Warnings, stop.p.String()+"; packets before it were analysed")
			default:
				c.Damaged = true
				c.Warnings = append(c.Warnings, fmt.Sprintf("reading stopped: %v; packets before it were analysed", err))
			}
			return
		}
		c.Packets++
		if !seenLink[rec.link] {
			seenLink[rec.link] = true
			c.LinkTypes = append(c.LinkTypes, rec.link)
		}
		if c.First == 0 || rec.ts < c.First {
			c.First = rec.ts
		}
		if rec.ts > c.Last {
			c.Last = rec.ts
		}
		batch = batch[:len(batch)+1]
		res := dec.decode(&rec, &batch[len(batch)-1])
		if res == resultTCP && !opts.KeepDuplicates && dups.duplicate(&batch[len(batch)-1]) {
			c.Duplicates++
			res = resultDuplicate
		}
		switch res {
		case resultTCP:
			c.TCP++
		case resultNotIP:
			c.NotIP++
		case resultNotTCP:
			c.NotTCP++
		case resultFragment:
			c.Fragments++
		case resultTruncated:
			c.Truncated++
		case resultMalformed:
			c.Malformed++
		case resultUnknownLink:
			c.UnknownLink++
		}
		if res != resultTCP {
			batch = batch[:len(batch)-1]
		} else if len(batch) == cap(batch) {
			batch = flush(batch)
		}
		if c.Packets&0xffff == 0 && opts.Progress != nil {
			opts.Progress(counted.n.Load())
		}
		if opts.MaxPackets > 0 && c.Packets >= opts.MaxPackets {
			return
		}
	}
}

func (c *Capture) addDecodeWarnings() {
	warn := func(n int64, format string) {
		if n > 0 {
			c.Warnings = append(c.Warnings, fmt.Sprintf(format, n))
		}
	}
	warn(c.Duplicates, "%d TCP segments were captured twice (the same frame seen on two interfaces, tcpdump -i any on loopback, or a mirror port): each was counted once")
	warn(c.Stats.OptionsCut, "%d SYN or SYN-ACK segments had their TCP options cut by the snapshot length; their options are treated as unknown (capture with -s 0 or a snaplen ≥ 128)")
	warn(c.Truncated, "%d packets were cut by the snapshot length before the end of their TCP header and were skipped")
	warn(c.UnknownLink, "%d packets have a link type halfopen cannot decode and were skipped")
	warn(c.Malformed, "%d packets have malformed IP or TCP headers and were skipped")
	warn(c.Stats.OutOfOrder, "%d packets are timestamped before a packet that precedes them in the file; intervals around them may be off")
	if c.Stats.ClockJumps > 0 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%d packets are stamped far ahead of their neighbours (up to %s): they did not move the capture clock, and attempts they begin are timed from their own stamps", c.Stats.ClockJumps, c.Stats.MaxClockJump.Round(time.Second)))
	}
	warn(c.Stats.ClockResets, "%d times packets far ahead had moved the capture clock and the packets after them did not follow: the clock was set back to theirs")
	if c.Stats.Untracked > 0 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("memory budget: with %d flows held, %d segments that would have opened more (SYNs, mostly: %d lone SYNs given up for newer ones included) were counted, not followed; the SYNs are summarised per listener (untracked), outside the attempts, and SYN-ACKs answering them go unmatched (raise --memory-budget to follow them)", c.PeakFlows, c.Stats.Untracked, c.Stats.Evicted))
	}
	warn(c.Stats.OneSided, "%d attempts were completed by the client although the capture holds no SYN-ACK for them: the capture seems to hold one direction only (asymmetric routing or a capture filter); their outcome comes from the client's packets")
	if c.Stats.SynAckWithoutSYN > 0 && c.Stats.SynAckWithoutSYN*2 > c.Stats.SynAck && c.Stats.Untracked == 0 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%d of %d SYN-ACKs answer SYNs the capture does not hold: the capture may hold the server's direction only, or be backscatter", c.Stats.SynAckWithoutSYN, c.Stats.SynAck))
	}
	if c.Packets == 0 && !c.Damaged {
		c.Warnings = append(c.Warnings, "the capture holds no packets")
	}
}

// countingReader counts bytes read, for progress reporting. The count is
// read from another goroutine when progress runs concurrently.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
