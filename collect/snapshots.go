//go:build linux

package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// sysctlTrees are the /proc/sys subtrees whose values matter for the
// listener code paths (queues, syncookies, timestamps, TIME-WAIT,
// rp_filter, conntrack); all of net.ipv4 is small enough to take whole.
var sysctlTrees = []string{"kernel/osrelease", "kernel/hostname", "net/core", "net/ipv4", "net/ipv6/conf/all", "net/ipv6/conf/default", "net/netfilter"}

// allowance is what a group of one-shot files may still take of the
// bundle's size.
type allowance struct {
	left  int64
	files int64 // files written
	cut   int64 // of which cut short
}

// oneShots takes what is read once at the start, within a; it returns the
// kernel release.
func (c *collector) oneShots(ctx context.Context, a *allowance) string {
	release := ""
	if out, _, err := c.output(ctx, 4<<10, "uname", "-r"); err == nil {
		release = strings.TrimSpace(string(out))
	} else if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		release = strings.TrimSpace(string(b))
	}
	if release != "" {
		c.shot(a, "uname.txt", []byte(release+"\n"), false)
	} else {
		c.miss("uname.txt", "neither uname -r nor /proc/sys/kernel/osrelease answered")
	}
	c.shot(a, "sysctl.txt", sysctlDump(a.left+1), false)
	if out, more, err := c.output(ctx, int(a.left), "ss", "-ltnpm"); err == nil {
		c.shot(a, "ss-ltnp.txt", append([]byte(stamp(time.Now())), out...), more)
	} else {
		c.miss("ss-ltnp.txt (owning process and backlog)", fmt.Sprintf("%v; install iproute2", err))
	}
	if out, more, err := c.output(ctx, int(a.left), "ip", "tcp_metrics", "show"); err == nil {
		c.shot(a, "tcp_metrics.txt", out, more)
	} else {
		c.miss("tcp_metrics.txt (proven peers)", err.Error())
	}
	c.copyProc(a, "/proc/net/stat/nf_conntrack", "conntrack-stat.txt", "conntrack statistics", "nf_conntrack is not loaded")
	c.copyProc(a, "/proc/net/softnet_stat", "softnet-start.txt", "softnet statistics", "")
	return release
}

// finalShots takes what is read once at the end, within a.
func (c *collector) finalShots(ctx context.Context, a *allowance) {
	c.nstat(ctx, time.Now())
	c.copyProc(a, "/proc/net/softnet_stat", "softnet-end.txt", "softnet statistics", "")
	c.copyProc(a, "/proc/net/stat/nf_conntrack", "conntrack-stat-end.txt", "conntrack statistics", "nf_conntrack is not loaded")
}

// shot writes a one-shot file within a. What does not fit (more: the
// command printed more than was read) is cut after the last whole line
// and the manifest says so.
func (c *collector) shot(a *allowance, name string, data []byte, more bool) {
	if int64(len(data)) > a.left {
		data = data[:max(a.left, 0)]
		more = true
	}
	if more {
		if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
			data = data[:i+1]
		} else {
			data = nil
		}
		c.miss(name+" beyond its first "+sizeText(int64(len(data))), "the one-shot files' share of --max-size is used up")
		a.cut++
	}
	if err := c.writeFile(name, data); err != nil {
		c.miss(name, err.Error())
		return
	}
	a.left -= int64(len(data))
	a.files++
}

// writeFile creates a new file in the stage (never through a link).
func (c *collector) writeFile(name string, data []byte) error {
	f, err := c.st.create(name)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		c.st.remove(name)
		return err
	}
	return nil
}

func (c *collector) copyProc(a *allowance, src, name, what, absentWhy string) {
	b, err := readLimited(src, a.left+1)
	if err != nil {
		if absentWhy == "" {
			absentWhy = err.Error()
		}
		c.miss(name+" ("+what+")", absentWhy)
		return
	}
	c.shot(a, name, append([]byte(stamp(time.Now())), b...), false)
}

// readLimited reads at most limit bytes of a /proc file.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, max(limit, 0)))
}

// sysctlDump reads the sysctl trees that matter as "key = value" lines,
// the format of sysctl -a, without running sysctl (absent on minimal
// hosts). It stops reading past limit bytes: a host with thousands of
// interfaces has thousands of net.ipv4.conf entries.
func sysctlDump(limit int64) []byte {
	var lines []string
	var size int64
	for _, tree := range sysctlTrees {
		root := filepath.Join("/proc/sys", tree)
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if size > limit {
				return filepath.SkipAll
			}
			if err != nil || d.IsDir() {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return nil // write-only or permission-restricted keys
			}
			key := strings.ReplaceAll(strings.TrimPrefix(p, "/proc/sys/"), "/", ".")
			val := strings.Join(strings.Fields(strings.TrimSpace(string(b))), "\t")
			lines = append(lines, key+" = "+val)
			size += int64(len(key) + len(val) + 4)
			return nil
		})
	}
	sort.Strings(lines)
	return []byte(strings.Join(lines, "\n") + "\n")
}

// ssLoop samples the listener every SSInterval into ss.txt, each block
// headed by its time, until ctx ends. Without ss it falls back to
// /proc/net/tcp{,6}. Children run under run (the abort context), so
// the end of sampling never kills an ss half-way through its answer.
func (c *collector) ssLoop(ctx, run context.Context) {
	ssPath, lookErr := exec.LookPath("ss")
	if lookErr != nil {
		c.miss("ss.txt listen backlog (Send-Q)", "ss not found (install iproute2); sampling /proc/net/tcp, which shows the accept-queue length but not the backlog")
	}
	filter := fmt.Sprintf("( sport = :%d )", c.opts.Port)
	tick := time.NewTicker(c.opts.SSInterval)
	defer tick.Stop()
	for {
		now := time.Now()
		var out []byte
		if lookErr == nil {
			var err error
			out, _, err = c.output(run, 64<<10, ssPath, "-ltnm", filter)
			if err != nil {
				c.miss("ss samples after "+now.UTC().Format(time.RFC3339), err.Error())
				return
			}
		} else {
			out = procListeners(c.opts.Port)
		}
		if err := c.ss.add(append([]byte(stamp(now)), out...)); err != nil {
			c.miss("ss samples after "+now.UTC().Format(time.RFC3339), err.Error())
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// procListeners renders LISTEN rows of /proc/net/tcp{,6} for port as
// netstat -lnt does (Recv-Q is the accept queue; Send-Q is not the backlog).
func procListeners(port int) []byte {
	var b bytes.Buffer
	b.WriteString("Proto Recv-Q Send-Q Local Address           Foreign Address         State\n")
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 5 || f[3] != "0A" { // 0A = TCP_LISTEN
				continue
			}
			local := f[1]
			i := strings.LastIndexByte(local, ':')
			var p int
			fmt.Sscanf(local[i+1:], "%X", &p)
			if p != port {
				continue
			}
			var rx int
			q := strings.SplitN(f[4], ":", 2)
			if len(q) == 2 {
				fmt.Sscanf(q[1], "%X", &rx)
			}
			proto := "tcp"
			addr := "0.0.0.0"
			if strings.HasSuffix(file, "6") {
				proto, addr = "tcp6", "::"
			}
			fmt.Fprintf(&b, "%-5s %6d %6d %-23s %-23s LISTEN\n", proto, rx, 0, fmt.Sprintf("%s:%d", addr, port), "0.0.0.0:*")
		}
	}
	return b.Bytes()
}

// nstatLoop snapshots the counters at the start and every NstatInterval.
func (c *collector) nstatLoop(ctx, run context.Context) {
	tick := time.NewTicker(c.opts.NstatInterval)
	defer tick.Stop()
	for {
		c.nstat(run, time.Now())
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// nstat adds one absolute counter snapshot to the nstat-NNN.txt series.
func (c *collector) nstat(ctx context.Context, t time.Time) {
	head := stamp(t)
	var b bytes.Buffer
	// -a absolute, -s do not touch the user's history file, -z zeros too.
	if out, _, err := c.output(ctx, 4<<20, "nstat", "-asz"); err == nil {
		b.WriteString(head + "# nstat -asz\n")
		b.Write(out)
	} else {
		b.WriteString(head)
		for _, f := range []string{"/proc/net/netstat", "/proc/net/snmp"} {
			data, err := readLimited(f, 4<<20)
			if err != nil {
				c.miss("nstat snapshots", fmt.Sprintf("neither nstat nor %s readable: %v", f, rootCause(err)))
				return
			}
			b.Write(data)
		}
	}
	if err := c.nstats.add(b.Bytes()); err != nil {
		c.miss("nstat snapshots", rootCause(err))
	}
}

// rootCause is the innermost error ("no space left on device"): the
// words that repeat when the same thing fails again, so the manifest
// counts repeats instead of listing each.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}
