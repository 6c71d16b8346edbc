//go:build linux

package lab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a child's stderr and our reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// tcpdump is one running capture.
type tcpdump struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan error
}

// startTcpdump captures on iface ("any" or an interface) in namespace ns
// into file, and waits until tcpdump says it is listening (the machine may
// be busy: up to 20 s).
func startTcpdump(ctx context.Context, ns, iface, file string) (*tcpdump, error) {
	t := &tcpdump{stderr: &syncBuffer{}, done: make(chan error, 1)}
	// Not CommandContext: the capture must be stopped with SIGINT so the
	// file is complete; stop() does that, also on cancellation.
	t.cmd = exec.Command("nsenter", "--net="+nsPath(ns), "tcpdump", "-Z", "root", "-i", iface, "-n", "-U", "-w", file)
	t.cmd.Stderr = t.stderr
	// No Pdeathsig: it fires when the *thread* that forked exits, and the
	// lab's setns threads do exit. Teardown kills whatever runs in the
	// namespaces instead, and RemoveStale cleans up after a crash.
	if err := t.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start tcpdump: %w", err)
	}
	go func() { t.done <- t.cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(t.stderr.String(), "listening on") {
		select {
		case err := <-t.done:
			t.done <- err
			return nil, fmt.Errorf("tcpdump exited (%v): %s", err, strings.TrimSpace(t.stderr.String()))
		case <-ctx.Done():
			t.stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.stop()
			return nil, fmt.Errorf("tcpdump not listening after 20 s: %s", strings.TrimSpace(t.stderr.String()))
		}
	}
	return t, nil
}

// stop ends the capture with SIGINT (tcpdump flushes and closes the file),
// SIGKILL if it does not exit within 5 s. Safe to call twice.
func (t *tcpdump) stop() {
	if t == nil || t.cmd.Process == nil {
		return
	}
	_ = t.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-t.done:
		t.done <- err
	case <-time.After(5 * time.Second):
		_ = t.cmd.Process.Kill()
		t.done <- <-t.done
	}
}

// ssLoop writes `ss -ltn` every 100 ms with a "# <unix time>" header, the
// ss.txt format of a bundle, until stopped.
type ssLoop struct {
	cmd  *exec.Cmd
	stop string // file whose existence ends the loop
	done chan error
}

func startSSLoop(ns, out, stopFile string) (*ssLoop, error) {
	f, err := os.Create(out)
	if err != nil {
		return nil, fmt.Errorf("ss loop: %w", err)
	}
	script := `while [ ! -e "$1" ]; do echo "# $(date +%s.%N)"; ss -ltn; sleep 0.1; done`
	l := &ssLoop{stop: stopFile, done: make(chan error, 1)}
	l.cmd = exec.Command("nsenter", "--net="+nsPath(ns), "sh", "-c", script, "ss-loop", stopFile)
	l.cmd.Stdout = f
	if err := l.cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start ss loop: %w", err)
	}
	go func() { l.done <- l.cmd.Wait(); f.Close() }()
	return l, nil
}

func (l *ssLoop) end() {
	if l == nil {
		return
	}
	_ = os.WriteFile(l.stop, nil, 0o644)
	select {
	case <-l.done:
	case <-time.After(3 * time.Second):
		_ = l.cmd.Process.Kill()
		<-l.done
	}
}

// writeNstat writes `nstat -az` of namespace ns, after a "# <unix time>"
// line, to file (the bundle's counter snapshot format).
func writeNstat(ctx context.Context, ns, file, history string) error {
	cmd := nsCommand(ctx, ns, "nstat", "-az")
	cmd.Env = append(os.Environ(), "NSTAT_HISTORY="+history)
	now := time.Now()
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("nstat in %s: %w", ns, err)
	}
	head := fmt.Sprintf("# %d.%09d\n", now.Unix(), now.Nanosecond())
	return os.WriteFile(file, append([]byte(head), out...), 0o644)
}

// Rule is one iptables/ip6tables rule the scenario added, identified by a
// comment so its counters can be read back.
type Rule struct {
	Label   string    `json:"label"`
	Side    string    `json:"side"` // "server" or "client"
	Family  int       `json:"family"`
	Table   string    `json:"table"`
	Chain   string    `json:"chain"`
	Args    []string  `json:"args"` // match and target, without -A CHAIN
	Added   time.Time `json:"added"`
	Removed time.Time `json:"removed,omitzero"`
	// Drops says what the rule drops, for the truth rules: "syn" (SYNs to
	// the server), "synack" (the server's SYN-ACKs), "ack" (client
	// segments after the SYN), "all".
	Drops string `json:"drops"`
	// Random is true for -m statistic rules: which packet matched is not
	// knowable, only how many.
	Random bool `json:"random,omitempty"`
	// Reject: the rule answers with RST (REJECT --reject-with tcp-reset)
	// instead of dropping.
	Reject bool `json:"reject,omitempty"`
	// Sources limits which client addresses the rule can match (empty: all).
	Sources []string `json:"sources,omitempty"`
	// Ports limits which client source ports the rule can match (empty: all).
	Ports [2]int `json:"ports,omitzero"`
}

func (r *Rule) binary() string {
	if r.Family == 6 {
		return "ip6tables"
	}
	return "iptables"
}

func (r *Rule) spec(op string) []string {
	args := []string{"-w", "-t", r.Table, op, r.Chain}
	args = append(args, r.Args...)
	return append(args, "-m", "comment", "--comment", "hol:"+r.Label)
}

var saveCounter = regexp.MustCompile(`^\[(\d+):(\d+)\] -A (\S+) .*--comment "?hol:([^" ]+)"?`)

// ruleCounters reads the packet counters of every hol: rule in namespace ns.
func ruleCounters(ctx context.Context, ns string) (map[string]int64, error) {
	out := map[string]int64{}
	for _, bin := range []string{"iptables-save", "ip6tables-save"} {
		text, err := outputNS(ctx, ns, bin, "-c")
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(text, "\n") {
			m := saveCounter.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			n, _ := strconv.ParseInt(m[1], 10, 64)
			out[m[4]] += n
		}
	}
	return out, nil
}

// dumpIptables writes iptables -L -v -n -x of both families in ns to file.
func dumpIptables(ctx context.Context, ns, file string) error {
	var b strings.Builder
	for _, bin := range []string{"iptables", "ip6tables"} {
		for _, table := range []string{"filter", "raw"} {
			out, err := outputNS(ctx, ns, bin, "-w", "-t", table, "-L", "-v", "-n", "-x")
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "# %s -t %s -L -v -n -x\n%s\n", bin, table, out)
		}
	}
	return os.WriteFile(file, []byte(b.String()), 0o644)
}

// dumpSysctl writes `sysctl -a` of namespace ns to file.
func dumpSysctl(ctx context.Context, ns, file string) error {
	out, err := nsCommand(ctx, ns, "sysctl", "-a").Output()
	if err != nil && len(out) == 0 {
		return fmt.Errorf("sysctl -a in %s: %w", ns, err)
	}
	return os.WriteFile(file, out, 0o644)
}

// requireTools reports the first missing command the lab needs.
func requireTools() error {
	for _, t := range []string{"ip", "nsenter", "tcpdump", "ss", "nstat", "iptables", "iptables-save", "ip6tables", "ethtool", "sysctl"} {
		if _, err := exec.LookPath(t); err != nil {
			return fmt.Errorf("%s not found (apt-get install -y iproute2 iptables tcpdump ethtool util-linux procps)", t)
		}
	}
	return nil
}

// repoRoot finds the module root from the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
