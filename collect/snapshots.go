package collect

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
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

// oneShots takes what is read once at the start; it returns the kernel release.
func (c *collector) oneShots() string {
	ctx := context.Background()
	release := ""
	if out, err := run(ctx, "uname", "-r"); err == nil {
		release = strings.TrimSpace(string(out))
	} else if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		release = strings.TrimSpace(string(b))
	}
	if release != "" {
		c.write("uname.txt", []byte(release+"\n"))
	} else {
		c.miss("uname.txt", "neither uname -r nor /proc/sys/kernel/osrelease answered")
	}
	c.write("sysctl.txt", sysctlDump())
	if out, err := run(ctx, "ss", "-ltnpm"); err == nil {
		c.write("ss-ltnp.txt", append([]byte(stamp(time.Now())), out...))
	} else {
		c.miss("ss-ltnp.txt (owning process and backlog)", fmt.Sprintf("%v; install iproute2", err))
	}
	if out, err := run(ctx, "ip", "tcp_metrics", "show"); err == nil {
		c.write("tcp_metrics.txt", out)
	} else {
		c.miss("tcp_metrics.txt (proven peers)", err.Error())
	}
	c.copyProc("/proc/net/stat/nf_conntrack", "conntrack-stat.txt", "conntrack statistics", "nf_conntrack is not loaded")
	c.copyProc("/proc/net/softnet_stat", "softnet-start.txt", "softnet statistics", "")
	return release
}

// finalShots takes what is read once at the end.
func (c *collector) finalShots() {
	c.nstat(time.Now(), true)
	c.copyProc("/proc/net/softnet_stat", "softnet-end.txt", "softnet statistics", "")
	c.copyProc("/proc/net/stat/nf_conntrack", "conntrack-stat-end.txt", "conntrack statistics", "nf_conntrack is not loaded")
}

func (c *collector) write(name string, data []byte) {
	if err := os.WriteFile(c.path(name), data, 0o644); err != nil {
		c.miss(name, err.Error())
	}
}

func (c *collector) copyProc(src, name, what, absentWhy string) {
	b, err := os.ReadFile(src)
	if err != nil {
		if absentWhy == "" {
			absentWhy = err.Error()
		}
		c.miss(name+" ("+what+")", absentWhy)
		return
	}
	c.write(name, append([]byte(stamp(time.Now())), b...))
}

// sysctlDump reads the sysctl trees that matter as "key = value" lines,
// the format of sysctl -a, without running sysctl (absent on minimal hosts).
func sysctlDump() []byte {
	var lines []string
	for _, tree := range sysctlTrees {
		root := filepath.Join("/proc/sys", tree)
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
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
			return nil
		})
	}
	sort.Strings(lines)
	return []byte(strings.Join(lines, "\n") + "\n")
}

// ssLoop samples the listener every SSInterval into ss.txt, each block
// headed by its time. Without ss it falls back to /proc/net/tcp{,6}.
func (c *collector) ssLoop(ctx context.Context) {
	f, err := os.Create(c.path("ss.txt"))
	if err != nil {
		c.miss("ss.txt", err.Error())
		return
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	defer w.Flush()
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
			out, err = exec.Command(ssPath, "-ltnm", filter).Output()
			if err != nil {
				c.miss("an ss sample", err.Error())
				return
			}
		} else {
			out = procListeners(c.opts.Port)
		}
		w.WriteString(stamp(now))
		w.Write(out)
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
func (c *collector) nstatLoop(ctx context.Context) {
	tick := time.NewTicker(c.opts.NstatInterval)
	defer tick.Stop()
	for {
		c.nstat(time.Now(), false)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// nstat writes one absolute counter snapshot, nstat-NNN.txt in order.
func (c *collector) nstat(t time.Time, final bool) {
	c.mu.Lock()
	n := 0
	if entries, err := filepath.Glob(c.path("nstat-*.txt")); err == nil {
		n = len(entries)
	}
	c.mu.Unlock()
	name := fmt.Sprintf("nstat-%03d.txt", n)
	head := stamp(t)
	// -a absolute, -s do not touch the user's history file, -z zeros too.
	if out, err := run(context.Background(), "nstat", "-asz"); err == nil {
		c.write(name, append([]byte(head+"# nstat -asz\n"), out...))
		return
	}
	var b bytes.Buffer
	b.WriteString(head)
	for _, f := range []string{"/proc/net/netstat", "/proc/net/snmp"} {
		data, err := os.ReadFile(f)
		if err != nil {
			c.miss(name, fmt.Sprintf("neither nstat nor %s readable: %v", f, err))
			return
		}
		b.Write(data)
	}
	c.write(name, b.Bytes())
}
