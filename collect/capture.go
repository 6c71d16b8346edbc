package collect

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
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
	// stop ends the capture and leaves capture.pcap in the bundle; rotated
	// reports whether the ring wrapped and the oldest packets were lost.
	stop() (rotated bool, err error)
}

// startCapture starts tcpdump when present, else the built-in AF_PACKET capture.
func (c *collector) startCapture() (capturer, error) {
	if !c.opts.NoTcpdump {
		if path, err := exec.LookPath("tcpdump"); err == nil {
			return c.startTcpdump(path)
		}
		c.log("tcpdump not found: capturing with the built-in AF_PACKET reader")
	}
	return c.startAFPacket()
}

// tcpdumpCapture runs tcpdump writing a ring of files.
type tcpdumpCapture struct {
	c       *collector
	cmd     *exec.Cmd
	errc    chan error
	done    chan struct{}
	mu      sync.Mutex
	stderr  strings.Builder
	version string
}

func (c *collector) startTcpdump(path string) (capturer, error) {
	perFile := max(c.opts.MaxSize/ringFiles/1_000_000, 1) // -C counts millions of bytes
	args := []string{"-i", c.opts.Iface, "-s", strconv.Itoa(c.opts.Snaplen), "-n", "-U",
		"-w", c.path("ring.pcap"), "-C", strconv.FormatInt(perFile, 10), "-W", strconv.Itoa(ringFiles),
		"-Z", "root", fmt.Sprintf("tcp port %d", c.opts.Port)}
	t := &tcpdumpCapture{c: c, cmd: exec.Command(path, args...), errc: make(chan error, 1), done: make(chan struct{})}
	if out, err := exec.Command(path, "--version").CombinedOutput(); err == nil {
		t.version = strings.SplitN(string(out), "\n", 2)[0]
	}
	stderr, err := t.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := t.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting tcpdump: %w", err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			t.mu.Lock()
			t.stderr.WriteString(line + "\n")
			t.mu.Unlock()
			if strings.Contains(line, "listening on") {
				once.Do(func() { close(ready) })
			}
		}
		once.Do(func() { close(ready) })
	}()
	go func() {
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

func (t *tcpdumpCapture) stop() (bool, error) {
	select {
	case <-t.done:
	default:
		t.cmd.Process.Signal(syscall.SIGINT) // tcpdump flushes and prints its statistics
		select {
		case <-t.done:
		case <-time.After(5 * time.Second):
			t.cmd.Process.Kill()
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
	files, _ := filepath.Glob(t.c.path("ring.pcap*"))
	merged, err := mergePcaps(files, t.c.path("capture.pcap"))
	for _, f := range files {
		os.Remove(f)
	}
	return captured >= 0 && merged < captured, err
}

// mergePcaps concatenates the records of pcap files written by one capture
// (same header), oldest first, into out. It returns the records written.
func mergePcaps(files []string, out string) (int64, error) {
	type part struct {
		path  string
		first int64
	}
	var parts []part
	for _, f := range files {
		if ts, ok := firstRecordTime(f); ok {
			parts = append(parts, part{f, ts})
		}
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].first < parts[j].first })
	if len(parts) == 0 {
		// Keep the bundle valid: an empty capture says "no packets" itself.
		hdr := emptyHeader(files)
		if err := os.WriteFile(out, hdr, 0o644); err != nil {
			return 0, err
		}
		return 0, errors.New("no packet was captured: nothing reached the port during the run (the capture is empty)")
	}
	w, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	defer w.Close()
	bw := bufio.NewWriterSize(w, 1<<20)
	var records int64
	for i, p := range parts {
		f, err := os.Open(p.path)
		if err != nil {
			return records, err
		}
		hdr := make([]byte, 24)
		if _, err := io.ReadFull(f, hdr); err != nil {
			f.Close()
			continue
		}
		if i == 0 {
			bw.Write(hdr)
		}
		n, err := copyRecords(bw, bufio.NewReaderSize(f, 1<<20), byteOrder(hdr))
		records += n
		f.Close()
		if err != nil {
			return records, err
		}
	}
	return records, bw.Flush()
}

func byteOrder(hdr []byte) binary.ByteOrder {
	if m := binary.LittleEndian.Uint32(hdr); m == 0xa1b2c3d4 || m == 0xa1b23c4d {
		return binary.LittleEndian
	}
	return binary.BigEndian
}

// copyRecords copies whole records; a record cut by a killed writer is dropped.
func copyRecords(w io.Writer, r io.Reader, order binary.ByteOrder) (int64, error) {
	var n int64
	rh := make([]byte, 16)
	for {
		if _, err := io.ReadFull(r, rh); err != nil {
			return n, nil
		}
		incl := order.Uint32(rh[8:])
		if incl > 1<<20 {
			return n, nil
		}
		data := make([]byte, incl)
		if _, err := io.ReadFull(r, data); err != nil {
			return n, nil
		}
		if _, err := w.Write(rh); err != nil {
			return n, err
		}
		if _, err := w.Write(data); err != nil {
			return n, err
		}
		n++
	}
}

func firstRecordTime(path string) (int64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	buf := make([]byte, 24+16)
	if _, err := io.ReadFull(f, buf); err != nil {
		return 0, false
	}
	order := byteOrder(buf)
	sec, frac := int64(order.Uint32(buf[24:])), int64(order.Uint32(buf[28:]))
	return sec*1e9 + frac, true
}

// emptyHeader returns the pcap header of the first readable file, or a
// nanosecond LINKTYPE_LINUX_SLL2 header.
func emptyHeader(files []string) []byte {
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil && len(b) >= 24 {
			return b[:24]
		}
	}
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr, 0xa1b23c4d)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 262144)
	binary.LittleEndian.PutUint32(hdr[20:], linktypeSLL2)
	return hdr
}
