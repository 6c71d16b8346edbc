//go:build linux

package collect

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// capturer is a running capture.
type capturer interface {
	method() string
	// failed delivers an error if the capture dies before it is stopped.
	failed() <-chan error
	// stop ends the capture and leaves capture.pcap in the bundle.
	stop() (ringStats, error)
}

// startCapture starts tcpdump when present, else the built-in AF_PACKET capture.
func (c *collector) startCapture(ctx context.Context) (capturer, error) {
	if !c.opts.NoTcpdump {
		if path, err := exec.LookPath("tcpdump"); err == nil {
			return c.startTcpdump(ctx, path)
		}
		c.log("tcpdump not found: capturing with the built-in AF_PACKET reader")
	}
	return c.startAFPacket()
}

// tcpdumpCapture runs tcpdump writing pcap to a pipe; halfopen writes the
// ring of files itself. tcpdump so never opens a file (no path it could be
// tricked into following, and no size rounded to its -C megabytes), and
// it gets EPIPE at its next packet if halfopen is gone.
type tcpdumpCapture struct {
	c       *collector
	cmd     *exec.Cmd
	errc    chan error
	done    chan struct{} // tcpdump was waited for
	copied  chan struct{} // the pipe reached EOF; the ring is complete
	ring    *pcapRing
	mu      sync.Mutex
	stderr  strings.Builder
	version string
}

func (c *collector) startTcpdump(ctx context.Context, path string) (capturer, error) {
	// -w - writes pcap to stdout, -U after every packet. -Z root keeps
	// tcpdump's uid: dropping to the tcpdump user would make the kernel
	// reset the death signal that kills tcpdump with halfopen.
	args := []string{"-i", c.opts.Iface, "-s", strconv.Itoa(c.opts.Snaplen), "-n", "-U", "-w", "-",
		"-Z", "root", fmt.Sprintf("tcp port %d", c.opts.Port)}
	t := &tcpdumpCapture{c: c, cmd: command(ctx, path, args...), errc: make(chan error, 2),
		done: make(chan struct{}), copied: make(chan struct{})}
	if out, _, err := c.output(ctx, 4<<10, path, "--version"); err == nil {
		t.version = strings.SplitN(string(out), "\n", 2)[0]
	}
	stdout, err := t.cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("starting tcpdump: %w", err)
	}
	stderr, err := t.cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("starting tcpdump: %w", err)
	}
	if err := c.spawn.start(t.cmd); err != nil {
		return nil, fmt.Errorf("starting tcpdump: %w", err)
	}
	ready := make(chan struct{})
	go t.readStderr(stderr, ready)
	go t.copy(stdout)
	go func() {
		<-t.copied // Wait closes the pipes: read them to the end first
		err := t.cmd.Wait()
		close(t.done)
		if err != nil {
			t.errc <- fmt.Errorf("tcpdump exited: %v: %s", err, strings.TrimSpace(t.output()))
		}
	}()
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
	}
	select {
	case err := <-t.errc:
		return nil, fmt.Errorf("%v (is %q an interface? ip -br link lists them)", err, c.opts.Iface)
	default:
	}
	return t, nil
}

// readStderr keeps tcpdump's messages (its statistics come last) and
// says when it is listening.
func (t *tcpdumpCapture) readStderr(r io.Reader, ready chan struct{}) {
	sc := bufio.NewScanner(r)
	once := sync.Once{}
	for sc.Scan() {
		line := sc.Text()
		t.mu.Lock()
		if t.stderr.Len() < 64<<10 {
			t.stderr.WriteString(line + "\n")
		}
		t.mu.Unlock()
		if strings.Contains(line, "listening on") {
			once.Do(func() { close(ready) })
		}
	}
	once.Do(func() { close(ready) })
}

// copy reads the pcap stream into the ring. After a write error (a full
// disk) it keeps draining the pipe, so tcpdump never blocks and still
// stops in order.
func (t *tcpdumpCapture) copy(r io.Reader) {
	defer close(t.copied)
	br := bufio.NewReaderSize(r, 256<<10)
	hdr := make([]byte, 24)
	if _, err := io.ReadFull(br, hdr); err != nil {
		io.Copy(io.Discard, br)
		return
	}
	ring, err := newPcapRing(t.c.st, t.c.plan.capture, hdr)
	t.ring = ring
	if err != nil {
		t.errc <- err
		io.Copy(io.Discard, br)
		return
	}
	order := byteOrder(hdr)
	rec := make([]byte, 16+maxRecord)
	for {
		if _, err := io.ReadFull(br, rec[:16]); err != nil {
			return
		}
		incl := order.Uint32(rec[8:])
		if incl > maxRecord {
			t.errc <- fmt.Errorf("tcpdump wrote a record of %d bytes: not pcap", incl)
			io.Copy(io.Discard, br)
			return
		}
		if _, err := io.ReadFull(br, rec[16:16+incl]); err != nil {
			return
		}
		if err := t.ring.write(rec[:16+incl]); err != nil {
			t.errc <- err
			io.Copy(io.Discard, br)
			return
		}
	}
}

func (t *tcpdumpCapture) output() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stderr.String()
}

func (t *tcpdumpCapture) method() string {
	if t.version != "" {
		return t.version
	}
	return "tcpdump"
}

func (t *tcpdumpCapture) failed() <-chan error { return t.errc }

var tcpdumpStats = regexp.MustCompile(`(\d+) packets? (captured|received by filter|dropped by kernel)`)

func (t *tcpdumpCapture) stop() (ringStats, error) {
	select {
	case <-t.done:
	default:
		t.cmd.Process.Signal(syscall.SIGINT) // tcpdump flushes and prints its statistics
		select {
		case <-t.done:
		case <-time.After(5 * time.Second):
			killGroup(t.cmd)
			<-t.done
		}
	}
	captured, dropped := int64(-1), int64(0)
	for _, m := range tcpdumpStats.FindAllStringSubmatch(t.output(), -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		switch m[2] {
		case "captured":
			captured = n
		case "dropped by kernel":
			dropped = n
		}
	}
	if dropped > 0 {
		t.c.miss(fmt.Sprintf("%d packets", dropped), "dropped by the kernel during the capture (tcpdump could not keep up): the capture misses them")
	}
	if t.ring == nil {
		_, err := mergeRing(t.c.st, nil, nil)
		return ringStats{}, err
	}
	kept, err := t.ring.finish()
	written := max(t.ring.records, captured)
	return ringStats{rotated: t.ring.rotated || kept < written, written: written, kept: kept}, err
}
