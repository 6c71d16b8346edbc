//go:build linux

package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ConnSpec is one group of client connect()s.
type ConnSpec struct {
	Group    string         `json:"group"`
	From     netip.Addr     `json:"from"`
	FromPort int            `json:"from_port,omitempty"` // first fixed source port; 0: ephemeral
	To       netip.AddrPort `json:"to"`
	N        int            `json:"n"`
	Stagger  time.Duration  `json:"stagger,omitempty"`  // between connect() starts
	Parallel bool           `json:"parallel,omitempty"` // false: one after the other
	// SynRetries sets TCP_SYNCNT (the per-socket tcp_syn_retries); the
	// kernel then gives up by itself (ETIMEDOUT). Timeout is a hard
	// deadline on top (0: none).
	SynRetries int           `json:"syn_retries,omitempty"`
	Timeout    time.Duration `json:"timeout,omitempty"`
	// Send is written after connecting (after SendDelay: a late write);
	// then the client waits ReadTimeout for an answer.
	Send        string        `json:"send,omitempty"`
	SendDelay   time.Duration `json:"send_delay,omitempty"`
	ReadTimeout time.Duration `json:"read_timeout,omitempty"`
	// AwaitEOF keeps reading after the answer until the server closes.
	AwaitEOF bool `json:"await_eof,omitempty"`
	// Hold keeps the connection open this long before closing it.
	Hold time.Duration `json:"hold,omitempty"`
	// Abort closes with SO_LINGER 0: the client sends RST instead of FIN.
	Abort bool `json:"abort,omitempty"`
	// TSval records the socket's TCP_TIMESTAMP before closing (note tsval=).
	TSval bool `json:"tsval,omitempty"`
}

// ClientRecord is one line of the client log.
type ClientRecord struct {
	Group     string    `json:"group"`
	Client    string    `json:"client"` // ip:port
	Server    string    `json:"server"`
	Start     time.Time `json:"start"`
	Result    string    `json:"result"` // connected, refused, reset, timeout, error:<errno>
	ConnectMS float64   `json:"connect_ms"`
	Wrote     bool      `json:"wrote,omitempty"`
	Answered  bool      `json:"answered,omitempty"`
	AnswerMS  float64   `json:"answer_ms,omitempty"` // after the write
	ServerFIN bool      `json:"server_fin,omitempty"`
	ClosedBy  string    `json:"closed_by,omitempty"` // client, client-rst, server, reset
	End       time.Time `json:"end"`
	Note      string    `json:"note,omitempty"`
	TSval     uint32    `json:"tsval,omitempty"`
}

// runClients runs one group in namespace ns and logs every connect().
// It returns when every connect() of the group is done.
func runClients(ctx context.Context, ns string, spec ConnSpec, log *labLog) {
	var wg sync.WaitGroup
	for i := 0; i < spec.N; i++ {
		port := 0
		if spec.FromPort != 0 {
			port = spec.FromPort + i
		}
		if spec.Parallel {
			wg.Add(1)
			go func() { defer wg.Done(); log.client(attempt(ctx, ns, spec, port)) }()
		} else {
			log.client(attempt(ctx, ns, spec, port))
		}
		if i < spec.N-1 && spec.Stagger > 0 {
			select {
			case <-time.After(spec.Stagger):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	wg.Wait()
}

// attempt runs one connect() and whatever follows it.
func attempt(ctx context.Context, ns string, spec ConnSpec, port int) ClientRecord {
	r := ClientRecord{Group: spec.Group, Server: spec.To.String(), Client: netip.AddrPortFrom(spec.From, uint16(port)).String()}
	var conn net.Conn
	err := inNetns(ns, func() error {
		d := net.Dialer{KeepAlive: -1, Timeout: spec.Timeout, Control: func(_, _ string, rc syscall.RawConn) error {
			var err error
			cerr := rc.Control(func(fd uintptr) { err = prepareClientSocket(int(fd), spec, port, &r) })
			if cerr != nil {
				return cerr
			}
			return err
		}}
		r.Start = time.Now()
		var err error
		conn, err = d.DialContext(ctx, "tcp", spec.To.String())
		return err
	})
	r.ConnectMS = ms(time.Since(r.Start))
	if err != nil {
		r.Result, r.Note = connectError(err)
		r.End = time.Now()
		return r
	}
	defer func() { r.End = time.Now() }()
	c := conn.(*net.TCPConn)
	r.Client = c.LocalAddr().String()
	r.Result = "connected"
	converse(ctx, c, spec, &r)
	if spec.TSval {
		if rc, err := c.SyscallConn(); err == nil {
			_ = rc.Control(func(fd uintptr) {
				if v, err := unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_TIMESTAMP); err == nil {
					r.TSval = uint32(v)
				}
			})
		}
	}
	if spec.Abort {
		_ = c.SetLinger(0)
		if r.ClosedBy == "" {
			r.ClosedBy = "client-rst"
		}
	} else if r.ClosedBy == "" {
		r.ClosedBy = "client"
	}
	c.Close()
	return r
}

// prepareClientSocket binds the source address (so the port is known even
// if the handshake never completes) and sets TCP_SYNCNT.
func prepareClientSocket(fd int, spec ConnSpec, port int, r *ClientRecord) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fmt.Errorf("SO_REUSEADDR: %w", err)
	}
	if spec.SynRetries > 0 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_SYNCNT, spec.SynRetries); err != nil {
			return fmt.Errorf("TCP_SYNCNT: %w", err)
		}
	}
	_, sa := sockaddr(netip.AddrPortFrom(spec.From, uint16(port)))
	if err := unix.Bind(fd, sa); err != nil {
		return fmt.Errorf("bind %s:%d: %w", spec.From, port, err)
	}
	if la, err := unix.Getsockname(fd); err == nil {
		r.Client = addrPortOf(la).String()
	}
	r.Start = time.Now() // connect(2) follows
	return nil
}

// converse sends the request (if any), waits for the answer and, with
// AwaitEOF, for the server's FIN; then holds the connection.
func converse(ctx context.Context, c *net.TCPConn, spec ConnSpec, r *ClientRecord) {
	if spec.Send != "" {
		if spec.SendDelay > 0 && !sleepCtx(ctx, spec.SendDelay) {
			return
		}
		r.Wrote = true
		if _, err := c.Write([]byte(spec.Send)); err != nil {
			ioFailed(r, "write", err)
			return
		}
		t0 := time.Now()
		rt := spec.ReadTimeout
		if rt == 0 {
			rt = 5 * time.Second
		}
		data, err := readSome(c, rt)
		switch {
		case err != nil:
			ioFailed(r, fmt.Sprintf("read after %.0f ms", ms(time.Since(t0))), err)
			return
		case data == nil:
			r.Note = fmt.Sprintf("no answer within %s", rt)
		case len(data) == 0:
			r.ServerFIN, r.ClosedBy, r.Note = true, "server", "server closed without answering"
		default:
			r.Answered, r.AnswerMS = true, ms(time.Since(t0))
		}
		if spec.AwaitEOF && r.Answered {
			rest, err := readSome(c, rt)
			switch {
			case err != nil:
				ioFailed(r, "waiting for the server's FIN", err)
				return
			case rest != nil && len(rest) == 0:
				r.ServerFIN, r.ClosedBy = true, "server"
			}
		}
	}
	if spec.Hold > 0 {
		sleepCtx(ctx, spec.Hold)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}

func ioFailed(r *ClientRecord, when string, err error) {
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		r.Result, r.ClosedBy = "reset", "reset"
		r.Note = fmt.Sprintf("%s on %s", errnoName(err), when)
		return
	}
	r.Result = "error:" + errnoName(err)
	r.Note = when + ": " + err.Error()
}

// connectError classifies a failed connect().
func connectError(err error) (result, note string) {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ETIMEDOUT):
		return "timeout", "kernel gave up (ETIMEDOUT)"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout", "deadline"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused", "RST to SYN (ECONNREFUSED)"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset", "ECONNRESET during connect"
	case errors.Is(err, context.Canceled):
		return "error:canceled", "scenario cancelled"
	}
	return "error:" + errnoName(err), err.Error()
}

// readSome waits up to timeout for data: (nil, nil) on timeout, an empty
// non-nil slice on EOF, else the bytes read.
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

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// addrPortOf converts a sockaddr back (for getsockname).
func addrPortOf(sa unix.Sockaddr) netip.AddrPort {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port))
	}
	return netip.AddrPort{}
}

// errnoName renders an error as its errno name when it wraps one.
func errnoName(err error) string {
	var e syscall.Errno
	if errors.As(err, &e) {
		if n := unix.ErrnoName(e); n != "" {
			return n
		}
		return fmt.Sprintf("ERRNO%d", int(e))
	}
	return strings.ReplaceAll(err.Error(), "\t", " ")
}
