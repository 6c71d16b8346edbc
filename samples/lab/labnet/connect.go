//go:build linux

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// connectOpts are the connect subcommand's flags.
type connectOpts struct {
	to          netip.AddrPort
	fromIP      netip.Addr
	timeout     time.Duration
	send        string
	readTimeout time.Duration
	awaitEOF    bool
	hold        time.Duration
	tsval       bool
}

// result is one line of client-results.tsv.
type result struct {
	client, server, result string
	connectMS              float64
	start                  time.Time
	note                   string
}

func connect(args []string) error {
	fs := flag.NewFlagSet("connect", flag.ExitOnError)
	to := fs.String("to", "10.77.0.1:8080", "server ip:port or [ipv6]:port")
	n := fs.Int("n", 1, "number of connect()s")
	parallel := fs.Bool("parallel", false, "run the connect()s concurrently (started --stagger apart)")
	stagger := fs.Duration("stagger", 0, "delay between connect() starts (parallel) or between attempts (sequential)")
	fromIP := fs.String("from-ip", "", "bind this source address")
	fromPort := fs.Int("from-port", 0, "bind source ports from-port, from-port+1, ... (0: an ephemeral port)")
	timeout := fs.Duration("timeout", 8*time.Second, "give up a connect() after this long (the kernel retransmits the SYN until then)")
	send := fs.String("send", "", "after connecting send this request and wait for an answer")
	readTimeout := fs.Duration("read-timeout", 5*time.Second, "how long to wait for the answer (and for the server's FIN with --await-eof)")
	awaitEOF := fs.Bool("await-eof", false, "after the answer keep reading until the server closes (server does the active close)")
	hold := fs.Duration("hold", 0, "keep the connection open this long before closing it")
	tsval := fs.Bool("tsval", false, "add the socket's current TCP timestamp value (TCP_TIMESTAMP) to the note before closing")
	results := fs.String("results", "", "append one line per connect() to this client-results.tsv")
	_ = fs.Parse(args)

	var o connectOpts
	var err error
	if o.to, err = parseAddrPort(*to); err != nil {
		return err
	}
	if *fromIP != "" {
		if o.fromIP, err = netip.ParseAddr(*fromIP); err != nil {
			return fmt.Errorf("bad --from-ip %q", *fromIP)
		}
	} else if o.to.Addr().Is4() {
		o.fromIP = netip.IPv4Unspecified()
	} else {
		o.fromIP = netip.IPv6Unspecified()
	}
	o.timeout, o.send, o.readTimeout = *timeout, *send, *readTimeout
	o.awaitEOF, o.hold, o.tsval = *awaitEOF, *hold, *tsval

	var out *os.File
	if *results != "" {
		if out, err = os.OpenFile(*results, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err != nil {
			return err
		}
		defer out.Close()
	}
	var mu sync.Mutex
	record := func(r result) {
		line := fmt.Sprintf("%s\t%s\t%s\t%.3f\t%d\t%s\n", r.client, r.server, r.result, r.connectMS, r.start.UnixNano(), r.note)
		mu.Lock()
		defer mu.Unlock()
		logf("%s", strings.TrimSpace(line))
		if out != nil {
			_, _ = out.WriteString(line)
		}
	}

	var wg sync.WaitGroup
	for i := 0; i < *n; i++ {
		port := 0
		if *fromPort != 0 {
			port = *fromPort + i
		}
		if *parallel {
			wg.Add(1)
			go func() { defer wg.Done(); record(o.attempt(port)) }()
		} else {
			record(o.attempt(port))
		}
		if i < *n-1 && *stagger > 0 {
			time.Sleep(*stagger)
		}
	}
	wg.Wait()
	return nil
}

// attempt runs one connect() and whatever follows it, and reports the result.
func (o connectOpts) attempt(port int) result {
	local := netip.AddrPortFrom(o.fromIP, uint16(port))
	r := result{client: local.String(), server: o.to.String()}
	d := net.Dialer{Timeout: o.timeout, KeepAlive: -1, Control: func(_, _ string, rc syscall.RawConn) error {
		// Bind ourselves so the source port is known even if the
		// handshake never completes.
		var err error
		cerr := rc.Control(func(fd uintptr) {
			if err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
				return
			}
			_, sa := sockaddr(local)
			if err = syscall.Bind(int(fd), sa); err != nil {
				return
			}
			if la, e := syscall.Getsockname(int(fd)); e == nil {
				r.client = addrPortOf(la).String()
			}
			r.start = time.Now() // connect(2) follows: connect_ms excludes socket setup
		})
		if cerr != nil {
			return cerr
		}
		return err
	}}
	r.start = time.Now()
	conn, err := d.Dial("tcp", o.to.String())
	r.connectMS = msf(time.Since(r.start))
	if err != nil {
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			r.result, r.note = "timeout", fmt.Sprintf("no handshake within %s", o.timeout)
		case errors.Is(err, syscall.ETIMEDOUT):
			r.result, r.note = "timeout", "kernel gave up (ETIMEDOUT)"
		case errors.Is(err, syscall.ECONNREFUSED):
			r.result, r.note = "refused", "RST to SYN (ECONNREFUSED)"
		default:
			r.result, r.note = "error:"+errnoName(err), err.Error()
		}
		return r
	}
	c := conn.(*net.TCPConn)
	defer c.Close()
	r.client = c.LocalAddr().String()
	r.result = "connected"
	var notes []string
	if o.send != "" {
		if _, err := c.Write([]byte(o.send)); err != nil {
			return reset(r, "write", err)
		}
		t0 := time.Now()
		data, err := readSome(c, o.readTimeout)
		switch {
		case err != nil:
			return reset(r, fmt.Sprintf("read after %s", ms(time.Since(t0))), err)
		case data == nil:
			notes = append(notes, fmt.Sprintf("no answer within %s", o.readTimeout))
		case len(data) == 0:
			notes = append(notes, "server closed without answering")
		default:
			notes = append(notes, fmt.Sprintf("answer %q after %s", strings.TrimSpace(string(data)), ms(time.Since(t0))))
		}
		if o.awaitEOF && len(data) > 0 {
			t1 := time.Now()
			rest, err := readSome(c, o.readTimeout)
			switch {
			case err != nil:
				return reset(r, "waiting for the server's FIN", err)
			case rest != nil && len(rest) == 0:
				notes = append(notes, fmt.Sprintf("server FIN after %s", ms(time.Since(t1))))
			default:
				notes = append(notes, "no server FIN")
			}
		}
	}
	if o.hold > 0 {
		time.Sleep(o.hold)
	}
	if o.tsval {
		if rc, err := c.SyscallConn(); err == nil {
			_ = rc.Control(func(fd uintptr) {
				if v, err := syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpTimestamp); err == nil {
					notes = append(notes, fmt.Sprintf("tsval=%d", uint32(v)))
				}
			})
		}
	}
	r.note = strings.Join(notes, "; ")
	return r
}

// reset classifies an I/O error after a successful connect().
func reset(r result, when string, err error) result {
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		r.result = "reset"
		r.note = fmt.Sprintf("%s on %s", errnoName(err), when)
	} else {
		r.result = "error:" + errnoName(err)
		r.note = when + ": " + err.Error()
	}
	return r
}

// readSome waits up to timeout for data. It returns (nil, nil) on timeout,
// an empty non-nil slice on EOF, or the bytes read.
func readSome(c net.Conn, timeout time.Duration) ([]byte, error) {
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	var ne net.Error
	switch {
	case n > 0:
		return buf[:n], nil
	case errors.As(err, &ne) && ne.Timeout():
		return nil, nil
	case errors.Is(err, io.EOF):
		return buf[:0], nil
	}
	return nil, err
}

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func ms(d time.Duration) string { return fmt.Sprintf("%.0fms", msf(d)) }
