//go:build linux

package lab

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// nsThread is a goroutine locked to an OS thread inside one namespace; it
// runs functions sent to it (cheap /proc/thread-self/net reads without a
// process per read). The thread is discarded when the executor stops.
type nsThread struct {
	ns   string
	jobs chan func()
	done chan struct{}
}

func startNSThread(ns string) (*nsThread, error) {
	t := &nsThread{ns: ns, jobs: make(chan func()), done: make(chan struct{})}
	ready := make(chan error, 1)
	go func() {
		defer close(t.done)
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		fd, err := unix.Open(nsPath(ns), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ready <- fmt.Errorf("open namespace %s: %w", ns, err)
			return
		}
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
		if err != nil {
			ready <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		ready <- nil
		for job := range t.jobs {
			job()
		}
	}()
	if err := <-ready; err != nil {
		return nil, err
	}
	return t, nil
}

// do runs f on the namespace's thread and waits for it.
func (t *nsThread) do(f func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	t.jobs <- func() { defer wg.Done(); f() }
	wg.Wait()
}

func (t *nsThread) stop() {
	close(t.jobs)
	<-t.done
}

// Counters are nstat-style absolute counter values (TcpExtListenOverflows,
// TcpPassiveOpens, Ip6InReceives, ...) of one namespace at one time.
type Counters struct {
	Time   time.Time        `json:"time"`
	Values map[string]int64 `json:"values"`
}

// readCounters reads /proc/thread-self/net/{snmp,netstat,snmp6}; call it on
// a thread inside the namespace.
func readCounters() (Counters, error) {
	c := Counters{Time: time.Now(), Values: map[string]int64{}}
	for _, f := range []string{"snmp", "netstat"} {
		b, err := os.ReadFile("/proc/thread-self/net/" + f)
		if err != nil {
			return c, fmt.Errorf("read counters: %w", err)
		}
		parsePairedLines(b, c.Values)
	}
	if b, err := os.ReadFile("/proc/thread-self/net/snmp6"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) == 2 {
				if v, err := strconv.ParseInt(f[1], 10, 64); err == nil {
					c.Values[f[0]] = v
				}
			}
		}
	}
	return c, nil
}

// parsePairedLines reads the "Prefix: names" / "Prefix: values" line pairs
// of /proc/net/snmp and /proc/net/netstat into nstat names (prefix+name).
func parsePairedLines(b []byte, into map[string]int64) {
	lines := strings.Split(string(b), "\n")
	for i := 0; i+1 < len(lines); i += 2 {
		names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(names) == 0 || len(names) != len(values) || names[0] != values[0] {
			continue
		}
		prefix := strings.TrimSuffix(names[0], ":")
		for j := 1; j < len(names); j++ {
			if v, err := strconv.ParseInt(values[j], 10, 64); err == nil {
				into[prefix+names[j]] = v
			}
		}
	}
}

// Delta is after − before for every counter that moved.
func Delta(before, after Counters) map[string]int64 {
	d := map[string]int64{}
	for k, v := range after.Values {
		if x := v - before.Values[k]; x != 0 {
			d[k] = x
		}
	}
	return d
}

// QueueSample is the server's listener state at one time, read from
// /proc/net/tcp{,6}: accept-queue length per listening socket (by inode)
// and SYN_RECV requests per local port.
type QueueSample struct {
	Time    time.Time
	AcceptQ map[uint64]int // listening socket inode → sk_ack_backlog
	SynRecv map[int]int    // local port → requests in SYN_RECV
}

// readQueues reads the listener state; call it on a thread in the namespace.
func readQueues() (QueueSample, error) {
	s := QueueSample{Time: time.Now(), AcceptQ: map[uint64]int{}, SynRecv: map[int]int{}}
	for _, f := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile("/proc/thread-self/net/" + f)
		if err != nil {
			return s, fmt.Errorf("read %s: %w", f, err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Scan() // header
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) < 10 {
				continue
			}
			_, portHex, _ := strings.Cut(f[1], ":")
			port, _ := strconv.ParseInt(portHex, 16, 32)
			switch f[3] {
			case "0A": // LISTEN: rx_queue is the accept queue length
				_, rx, _ := strings.Cut(f[4], ":")
				q, _ := strconv.ParseInt(rx, 16, 32)
				ino, _ := strconv.ParseUint(f[9], 10, 64)
				s.AcceptQ[ino] = int(q)
			case "03": // SYN_RECV request
				s.SynRecv[int(port)]++
			}
		}
	}
	return s, nil
}
