//go:build linux

package main

import (
	"flag"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// gate decides when the accept loop may call accept(2): either freely
// (open) or while it holds credits handed out by SIGUSR1.
type gate struct {
	mu      sync.Mutex
	cond    *sync.Cond
	open    bool
	credits int
}

func newGate(open bool) *gate {
	g := &gate{open: open}
	g.cond = sync.NewCond(&g.mu)
	return g
}

func (g *gate) wait() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for !g.open && g.credits == 0 {
		g.cond.Wait()
	}
	if !g.open {
		g.credits--
	}
}

// add hands out n more accept()s; n <= 0 opens the gate for good.
func (g *gate) add(n int) {
	g.mu.Lock()
	if n <= 0 {
		g.open = true
	} else {
		g.credits += n
	}
	g.mu.Unlock()
	g.cond.Broadcast()
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", "10.77.0.1:8080", "listen address, ip:port or [ipv6]:port")
	backlog := fs.Int("backlog", 128, "listen(2) backlog, passed to the kernel unchanged")
	acceptAfter := fs.Duration("accept-after", 0, "do not accept before this delay has passed")
	noAccept := fs.Bool("no-accept", false, "do not accept until SIGUSR1 or SIGUSR2 arrives")
	batch := fs.Int("accept-batch", 0, "each SIGUSR1 allows this many accept()s (0: accept freely from then on); SIGUSR2 always accepts freely")
	reply := fs.Bool("reply", false, "read one request per connection and answer \"OK\\n\"")
	closeFirst := fs.Bool("close-first", false, "with --reply: close right after answering (server sends FIN first and keeps TIME-WAIT)")
	idle := fs.Duration("idle-timeout", 60*time.Second, "give up on a connection that stays silent this long")
	_ = fs.Parse(args)

	ln, err := listen(*addr, *backlog)
	if err != nil {
		return err
	}
	logf("listening on %s backlog %d", *addr, *backlog)

	g := newGate(!*noAccept && *acceptAfter == 0)
	if !*noAccept && *acceptAfter > 0 {
		time.AfterFunc(*acceptAfter, func() { logf("accept-after elapsed, accepting"); g.add(0) })
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGUSR2)
	go func() {
		for s := range sigs {
			if s == syscall.SIGUSR1 {
				logf("SIGUSR1: allowing %d more accept()s (0 = no limit)", *batch)
				g.add(*batch)
			} else {
				logf("SIGUSR2: accepting freely")
				g.add(0)
			}
		}
	}()

	for {
		g.wait()
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetKeepAlive(false) // no keepalive probes in the captures
		}
		logf("accepted %s", c.RemoteAddr())
		go handle(c, *reply, *closeFirst, *idle)
	}
}

// listen creates the listening socket with raw syscalls so that the
// backlog reaches listen(2) unchanged (net.Listen would pass somaxconn),
// then hands it to the net package for accepting.
func listen(addr string, backlog int) (net.Listener, error) {
	ap, err := parseAddrPort(addr)
	if err != nil {
		return nil, err
	}
	family, sa := sockaddr(ap)
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, syscall.IPPROTO_TCP)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "listener "+addr)
	defer f.Close() // net.FileListener works on a dup
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		return nil, err
	}
	if family == syscall.AF_INET6 {
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 1); err != nil {
			return nil, err
		}
	}
	if err := syscall.Bind(fd, sa); err != nil {
		return nil, err
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		return nil, err
	}
	return net.FileListener(f)
}

// handle serves one accepted connection.
func handle(c net.Conn, reply, closeFirst bool, idle time.Duration) {
	defer c.Close()
	peer := c.RemoteAddr().String()
	buf := make([]byte, 4096)
	if reply {
		_ = c.SetReadDeadline(time.Now().Add(idle))
		n, err := c.Read(buf)
		if err != nil {
			logf("%s: read: %v", peer, err)
			return
		}
		if _, err := c.Write([]byte("OK\n")); err != nil {
			logf("%s: write: %v", peer, err)
			return
		}
		logf("%s: answered a %d-byte request", peer, n)
		if closeFirst {
			logf("%s: closing first", peer)
			return
		}
	}
	// Wait for the client to close (or reset), then close our side.
	_ = c.SetReadDeadline(time.Now().Add(idle))
	_, err := io.Copy(io.Discard, c)
	logf("%s: peer closed (%v)", peer, err)
}
