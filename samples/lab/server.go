//go:build linux

package lab

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ListenSpec is one listening socket of the server application.
type ListenSpec struct {
	Name        string         `json:"name"`
	Addr        netip.AddrPort `json:"addr"`
	Backlog     int            `json:"backlog"`                // passed to listen(2) unchanged
	DeferAccept int            `json:"defer_accept,omitempty"` // TCP_DEFER_ACCEPT seconds
	ReusePort   bool           `json:"reuseport,omitempty"`
	// Accepting says whether accept(2) runs from the start; Gate/Open
	// change it later.
	Accepting bool `json:"accepting"`
	// AcceptEvery, when set, paces accept(2): at most one per interval.
	AcceptEvery time.Duration `json:"accept_every,omitempty"`
	// Reply: read one request and answer "OK\n". ServerCloses: close right
	// after answering (or, without Reply, right after accept: FIN without
	// data), so the server does the active close.
	Reply        bool `json:"reply"`
	ServerCloses bool `json:"server_closes,omitempty"`
}

// AcceptRecord is one line of the server's accept log.
type AcceptRecord struct {
	Listener string    `json:"listener"`
	Peer     string    `json:"peer"`
	Accepted time.Time `json:"accepted"`
	Request  int       `json:"request_bytes"`
	Replied  time.Time `json:"replied,omitzero"`
	Closed   time.Time `json:"closed,omitzero"`
	ClosedBy string    `json:"closed_by"` // server, client, reset, timeout
	Note     string    `json:"note,omitempty"`
}

// ListenerEvent records a listening socket opened or closed.
type ListenerEvent struct {
	Listener string         `json:"listener"`
	Addr     netip.AddrPort `json:"addr"`
	Event    string         `json:"event"` // open, close
	Time     time.Time      `json:"time"`
	Backlog  int            `json:"backlog"`
	Inode    uint64         `json:"inode"`
}

// Server is one listening socket and its accept loop.
type Server struct {
	Spec  ListenSpec
	Inode uint64
	ln    net.Listener
	log   *labLog

	mu        sync.Mutex
	cond      *sync.Cond
	accepting bool
	credits   int
	closed    bool
	conns     map[net.Conn]bool
	wg        sync.WaitGroup
}

// openListener creates the socket in the server namespace with raw
// syscalls, so the backlog reaches listen(2) unchanged.
func openListener(ns string, spec ListenSpec, log *labLog) (*Server, error) {
	var fd int
	err := inNetns(ns, func() error {
		var err error
		fd, err = listenSocket(spec)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listener %s %s: %w", spec.Name, spec.Addr, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("listener %s: fstat: %w", spec.Name, err)
	}
	f := os.NewFile(uintptr(fd), "listener "+spec.Name)
	ln, err := net.FileListener(f)
	f.Close() // FileListener works on a dup
	if err != nil {
		return nil, fmt.Errorf("listener %s: %w", spec.Name, err)
	}
	s := &Server{Spec: spec, Inode: st.Ino, ln: ln, log: log, accepting: spec.Accepting, conns: map[net.Conn]bool{}}
	s.cond = sync.NewCond(&s.mu)
	log.listener(ListenerEvent{Listener: spec.Name, Addr: spec.Addr, Event: "open", Time: time.Now(), Backlog: spec.Backlog, Inode: s.Inode})
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

func listenSocket(spec ListenSpec) (int, error) {
	family, sa := sockaddr(spec.Addr)
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	opts := [][3]int{{unix.SOL_SOCKET, unix.SO_REUSEADDR, 1}}
	if spec.ReusePort {
		opts = append(opts, [3]int{unix.SOL_SOCKET, unix.SO_REUSEPORT, 1})
	}
	if spec.DeferAccept > 0 {
		opts = append(opts, [3]int{unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT, spec.DeferAccept})
	}
	if family == unix.AF_INET6 {
		opts = append(opts, [3]int{unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1})
	}
	for _, o := range opts {
		if err := unix.SetsockoptInt(fd, o[0], o[1], o[2]); err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("setsockopt %d/%d: %w", o[0], o[1], err)
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("bind: %w", err)
	}
	if err := unix.Listen(fd, spec.Backlog); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("listen: %w", err)
	}
	return fd, nil
}

// Gate stops or resumes accept(2); n > 0 allows exactly n more accepts
// and then stops again.
func (s *Server) Gate(accepting bool, n int) {
	s.mu.Lock()
	s.accepting = accepting
	s.credits = n
	s.mu.Unlock()
	s.cond.Broadcast()
}

// wait blocks until an accept is allowed; false when the server closed.
func (s *Server) wait() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for !s.closed && !s.accepting && s.credits == 0 {
		s.cond.Wait()
	}
	if s.closed {
		return false
	}
	if !s.accepting {
		s.credits--
	}
	return true
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for s.wait() {
		c, err := s.ln.Accept()
		if err != nil {
			return // listener closed
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetKeepAlive(false) // no keepalive probes in the captures
		}
		rec := AcceptRecord{Listener: s.Spec.Name, Peer: c.RemoteAddr().String(), Accepted: time.Now()}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go s.handle(c, rec)
		if s.Spec.AcceptEvery > 0 {
			time.Sleep(s.Spec.AcceptEvery)
		}
	}
}

// handle serves one accepted connection and logs what became of it.
func (s *Server) handle(c net.Conn, rec AcceptRecord) {
	defer s.wg.Done()
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.log.accept(rec)
	}()
	buf := make([]byte, 4096)
	if s.Spec.Reply {
		_ = c.SetReadDeadline(time.Now().Add(60 * time.Second))
		n, err := c.Read(buf)
		rec.Request = n
		if err != nil {
			rec.Closed, rec.ClosedBy, rec.Note = time.Now(), closedBy(err), "before any request: "+err.Error()
			return
		}
		if _, err := c.Write([]byte("OK\n")); err != nil {
			rec.Closed, rec.ClosedBy, rec.Note = time.Now(), closedBy(err), "answering: "+err.Error()
			return
		}
		rec.Replied = time.Now()
	}
	if s.Spec.ServerCloses {
		rec.Closed, rec.ClosedBy = time.Now(), "server"
		return
	}
	_ = c.SetReadDeadline(time.Now().Add(60 * time.Second))
	_, err := io.Copy(io.Discard, c)
	rec.Closed, rec.ClosedBy = time.Now(), "client"
	if err != nil {
		rec.ClosedBy, rec.Note = closedBy(err), err.Error()
	}
}

func closedBy(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF):
		return "client"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, net.ErrClosed):
		return "server"
	}
	return "error"
}

// CloseListener closes the listening socket (pending handshakes and the
// accept queue go with it); accepted connections stay.
func (s *Server) CloseListener() {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	s.mu.Unlock()
	s.cond.Broadcast()
	if already {
		return
	}
	s.ln.Close()
	s.log.listener(ListenerEvent{Listener: s.Spec.Name, Addr: s.Spec.Addr, Event: "close", Time: time.Now(), Backlog: s.Spec.Backlog, Inode: s.Inode})
}

// shutdown closes the listener and every accepted connection and waits for
// the handlers.
func (s *Server) shutdown() {
	s.CloseListener()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// sockaddr converts an address/port into the socket family and sockaddr.
func sockaddr(ap netip.AddrPort) (int, unix.Sockaddr) {
	if ap.Addr().Is4() || ap.Addr().Is4In6() {
		return unix.AF_INET, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().Unmap().As4()}
	}
	return unix.AF_INET6, &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
}
