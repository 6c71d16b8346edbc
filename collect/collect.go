//go:build linux

package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// collector holds one run's state.
type collector struct {
	opts      Options
	st        *stage
	plan      plan
	spawn     *spawner
	ss        *textRing
	nstats    *fileSeries
	manifest  *os.File // reserved at the start so a full disk cannot lose it
	keepStage bool     // the stage is the bundle now (placed, or kept where it is)
	mu        sync.Mutex
	missing   []Missing
	overflow  int
	logw      io.Writer
}

func (c *collector) log(format string, args ...any) {
	if c.logw != nil {
		fmt.Fprintf(c.logw, "halfopen collect: "+format+"\n", args...)
	}
}

// miss records something not collected. Repeats are counted, not listed,
// and the list is bounded: a run of days must not grow its manifest.
func (c *collector) miss(what, why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.missing {
		if c.missing[i].What == what && c.missing[i].Why == why {
			c.missing[i].Times = max(c.missing[i].Times, 1) + 1
			return
		}
	}
	if len(c.missing) >= maxMissing {
		c.overflow++
		return
	}
	c.missing = append(c.missing, Missing{What: what, Why: why})
	c.log("not collected: %s (%s)", what, why)
}

// Run collects until the duration ends or a signal arrives on opts.Stop,
// then writes the bundle and returns its path. Cancelling ctx aborts: the
// children are killed and nothing is written. A run stopped early, by a
// signal, a failed capture or a full disk, still writes a valid bundle.
func Run(ctx context.Context, opts Options) (string, *Manifest, error) {
	opts = withDefaults(opts)
	if err := validate(opts); err != nil {
		return "", nil, err
	}
	if os.Geteuid() != 0 {
		return "", nil, ErrNotRoot
	}
	dest, err := checkDestination(opts.Output, opts.Force)
	if err != nil {
		return "", nil, err
	}
	c := &collector{opts: opts, logw: opts.Log}
	if err := c.prepare(dest); err != nil {
		return "", nil, err
	}
	c.spawn = newSpawner()
	defer func() {
		c.spawn.close()
		if c.manifest != nil {
			c.manifest.Close()
		}
		if c.keepStage {
			c.st.close()
		} else {
			c.st.removeAll()
		}
	}()
	m, err := c.collect(ctx)
	if err != nil {
		return "", nil, err
	}
	out, err := c.finish(ctx, dest, m)
	return out, m, err
}

func validate(o Options) error {
	switch {
	case o.Port <= 0 || o.Port > 65535:
		return fmt.Errorf("--port %d: give the listener's TCP port (1-65535)", o.Port)
	case o.Duration < 0:
		return fmt.Errorf("--duration %s: give a positive duration, or 0 to run until Ctrl-C", o.Duration)
	}
	if err := CheckMaxSize(o.MaxSize); err != nil {
		return fmt.Errorf("--max-size: %w", err)
	}
	return nil
}

// prepare sizes the run for the output's filesystem and makes the stage.
func (c *collector) prepare(dest destination) error {
	var sfs unix.Statfs_t
	if err := unix.Statfs(dest.dir, &sfs); err != nil {
		return fmt.Errorf("-o %s: statfs %s: %w", dest.path, dest.dir, err)
	}
	p, err := newPlan(c.opts.MaxSize, dest.archive, int64(sfs.Bavail)*sfs.Bsize, int64(sfs.Blocks)*sfs.Bsize)
	if err != nil {
		return fmt.Errorf("-o %s: %w", dest.path, err)
	}
	if p.shrunk != "" {
		c.log("%s", p.shrunk)
	}
	st, err := newStage(dest.dir, dest.base)
	if err != nil {
		return err
	}
	c.st, c.plan = st, p
	c.ss = newTextRing(st, "ss.txt", p.ssKept())
	c.nstats = newFileSeries(st, "nstat-%03d.txt", "nstat-NNN.txt", p.nstat)
	return nil
}

// collect runs the capture and the samplers until something stops them,
// and leaves the bundle's files in the stage.
func (c *collector) collect(ctx context.Context) (*Manifest, error) {
	c.reserveManifest()
	host, _ := os.Hostname()
	m := &Manifest{Tool: "halfopen " + c.opts.Version, Command: c.opts.Args, Hostname: host, Port: c.opts.Port, Iface: c.opts.Iface,
		Snaplen: c.opts.Snaplen, MaxSize: c.plan.total, SizeNote: c.plan.shrunk, KeptFree: c.plan.floor,
		Clock: "UTC wall clock (CLOCK_REALTIME); capture and snapshot times share it"}
	start := &allowance{left: c.plan.oneShots}
	m.Kernel = c.oneShots(ctx, start)
	c.plan.setCapture(c.plan.oneShots-start.left, c.st.size("softnet-start.txt")+c.st.size("conntrack-stat.txt"))
	m.CaptureMax = c.plan.capture
	if ctx.Err() != nil {
		return nil, ErrAborted
	}
	capt, err := c.startCapture(ctx)
	if err != nil {
		return nil, err
	}
	m.Capture = capt.method()
	m.Started = time.Now().UTC().Format(time.RFC3339Nano)
	c.log("capturing tcp port %d on %s with %s for %s (bundle at most %s); Ctrl-C to stop early",
		c.opts.Port, c.opts.Iface, m.Capture, durationText(c.opts.Duration), sizeText(c.plan.total))

	loops, stopLoops := context.WithCancel(ctx)
	defer stopLoops()
	lowDisk := make(chan string, 1)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); c.ssLoop(loops, ctx) }()
	go func() { defer wg.Done(); c.nstatLoop(loops, ctx) }()
	go func() { defer wg.Done(); c.watchDisk(loops, lowDisk) }()
	m.Stopped, m.StopReason = c.wait(ctx, capt.failed(), lowDisk)
	stopLoops()
	wg.Wait()
	if ctx.Err() != nil {
		capt.stop() // its process group is already killed: this reaps it
		return nil, ErrAborted
	}
	c.log("stopping (%s): writing the bundle", m.StopReason)
	c.stopCapture(capt, m)
	if ctx.Err() != nil {
		return nil, ErrAborted
	}
	if err := c.ss.finish(); err != nil {
		c.miss("part of ss.txt", err.Error())
	}
	end := &allowance{left: c.plan.endShots}
	c.finalShots(ctx, end)
	m.Ended = time.Now().UTC().Format(time.RFC3339Nano)
	if ctx.Err() != nil {
		return nil, ErrAborted
	}
	m.Series = append(m.Series, c.ss.info(c.plan.ss), c.nstats.info(), SeriesInfo{
		File: "one-shot files (sysctl.txt, tcp_metrics.txt, ss-ltnp.txt, …)", Cap: c.plan.oneShots + c.plan.endShots,
		Bytes: c.plan.oneShots - start.left + c.plan.endShots - end.left, Samples: start.files + end.files, Dropped: start.cut + end.cut,
		Keeps: "each file whole, or cut after its last whole line once the share is used up"})
	return m, nil
}

// wait blocks until the run should stop and says why.
func (c *collector) wait(ctx context.Context, capFailed <-chan error, lowDisk <-chan string) (by, why string) {
	var timeout <-chan time.Time
	if c.opts.Duration > 0 {
		t := time.NewTimer(c.opts.Duration)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ctx.Done():
		return "abort", "aborted"
	case s := <-c.opts.Stop:
		return "interrupt", signalName(s) + " received"
	case <-timeout:
		return "duration", "--duration " + c.opts.Duration.String() + " elapsed"
	case err := <-capFailed:
		c.miss("part of the capture", fmt.Sprintf("the capture stopped early: %v", err))
		return "capture_failed", err.Error()
	case why := <-lowDisk:
		return "low_disk_space", why
	}
}

func signalName(s os.Signal) string {
	if sig, ok := s.(syscall.Signal); ok && unix.SignalName(sig) != "" {
		return unix.SignalName(sig)
	}
	return s.String()
}

// watchDisk checks the free space every few seconds and reports when it
// falls below the floor kept free for the server.
func (c *collector) watchDisk(ctx context.Context, low chan<- string) {
	t := time.NewTicker(diskCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		avail, _, err := c.st.free()
		if err == nil && avail < c.plan.floor {
			low <- fmt.Sprintf("%s free on the output's filesystem, below the %s kept free for the server", sizeText(avail), sizeText(c.plan.floor))
			return
		}
	}
}

func (c *collector) stopCapture(capt capturer, m *Manifest) {
	rs, err := capt.stop()
	if err != nil {
		c.miss("capture", err.Error())
	}
	m.Truncated = rs.rotated
	m.Series = append(m.Series, SeriesInfo{File: "capture.pcap", Cap: c.plan.capture, Bytes: c.st.size("capture.pcap"),
		Samples: rs.written, Dropped: max(rs.written-rs.kept, 0),
		Keeps: fmt.Sprintf("the newest packets: a ring of %d files; when full, the oldest file is dropped", ringFiles)})
}

// reserveManifest creates manifest.json and allocates its space now, so
// that a disk filled during the run still leaves room for it.
func (c *collector) reserveManifest() {
	f, err := c.st.create("manifest.json")
	if err != nil {
		c.miss("manifest.json reservation", err.Error())
		return
	}
	unix.Fallocate(int(f.Fd()), 0, 0, manifestReserve) // best effort: not every filesystem can
	c.manifest = f
}

// writeManifest writes m into the reserved manifest.json.
func (c *collector) writeManifest(m *Manifest) error {
	c.mu.Lock()
	m.Missing = append([]Missing{}, c.missing...)
	if c.overflow > 0 {
		m.Missing = append(m.Missing, Missing{What: fmt.Sprintf("%d more things", c.overflow), Why: "the list is bounded; see the log"})
	}
	c.mu.Unlock()
	names, err := c.st.names(false)
	if err != nil {
		return err
	}
	m.Files = names
	mb, _ := json.MarshalIndent(m, "", "  ")
	mb = append(mb, '\n')
	if c.manifest == nil {
		return c.writeFile("manifest.json", mb)
	}
	if _, err := c.manifest.WriteAt(mb, 0); err != nil {
		return fmt.Errorf("writing manifest.json: %w", err)
	}
	if err := c.manifest.Truncate(int64(len(mb))); err != nil {
		return fmt.Errorf("writing manifest.json: %w", err)
	}
	return nil
}

// finish writes the manifest and puts the bundle at the destination. When
// the archive cannot be written for lack of space the bundle is kept as a
// directory instead: never lost. It returns where the bundle is.
func (c *collector) finish(ctx context.Context, dest destination, m *Manifest) (string, error) {
	if ctx.Err() != nil {
		return "", ErrAborted
	}
	if err := c.writeManifest(m); err != nil {
		return "", err
	}
	if !dest.archive {
		if err := dest.placeDir(c.st, dest.base); err != nil {
			return c.keptInStage(err)
		}
		c.keepStage = true
		return dest.path, nil
	}
	guard := func() error {
		if ctx.Err() != nil {
			return ErrAborted
		}
		if avail, _, err := c.st.free(); err == nil && avail < c.plan.floor {
			return errLowSpace
		}
		return nil
	}
	err := writeArchive(c.st, archiveTop(dest.base), guard)
	if errors.Is(err, ErrAborted) {
		return "", ErrAborted
	}
	if err != nil {
		return c.asDirectory(dest, m, err)
	}
	if err := dest.placeArchive(c.st, archiveTmp); err != nil {
		c.st.rename(archiveTmp, dest.base)
		return c.keptInStage(err)
	}
	return dest.path, nil
}

// asDirectory places the bundle as a directory named like the archive
// without its extension, when the archive could not be written.
func (c *collector) asDirectory(dest destination, m *Manifest, archiveErr error) (string, error) {
	m.Archive = fmt.Sprintf("not written (%v): the bundle is this directory", archiveErr)
	c.log("the archive could not be written (%v): keeping the bundle as a directory", archiveErr)
	c.writeManifest(m) // best effort: the manifest written before stays otherwise
	name := archiveTop(dest.base)
	if err := dest.placeDir(c.st, name); err != nil {
		return c.keptInStage(err)
	}
	c.keepStage = true
	return dest.dir + string(os.PathSeparator) + name, nil
}

// keptInStage reports a bundle left in the stage because its destination
// could not take it.
func (c *collector) keptInStage(err error) (string, error) {
	c.keepStage = true
	unix.Fchmod(c.st.fd(), 0o755)
	return c.st.path(), fmt.Errorf("%w; the bundle is kept in %s", err, c.st.path())
}

func withDefaults(o Options) Options {
	if o.Iface == "" {
		o.Iface = "any"
	}
	if o.MaxSize == 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.SSInterval <= 0 {
		o.SSInterval = DefaultSSInterval
	}
	if o.NstatInterval <= 0 {
		o.NstatInterval = DefaultNstatInterval
	}
	if o.Snaplen <= 0 {
		o.Snaplen = DefaultSnaplen
	}
	if o.Output == "" {
		o.Output = "bundle.tar.gz"
	}
	return o
}

func durationText(d time.Duration) string {
	if d <= 0 {
		return "until Ctrl-C"
	}
	return d.String()
}

// stamp is the block header the ss and nstat parsers read: "# <unix time>".
func stamp(t time.Time) string {
	return fmt.Sprintf("# %d.%09d\n", t.Unix(), t.Nanosecond())
}
