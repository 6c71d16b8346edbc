package collect

import (
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// afpacketCapture reads all interfaces (or one) with an AF_PACKET datagram
// socket — what tcpdump -i any does — filters TCP on the port in the kernel
// with a BPF program, and writes LINKTYPE_LINUX_SLL2 pcap into a ring of
// files. It needs no tcpdump and no cgo.
type afpacketCapture struct {
	c       *collector
	fd      int
	stopped atomic.Bool
	wg      sync.WaitGroup
	errc    chan error
	ring    *pcapRing
}

const linktypeSLL2 = 276

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func (c *collector) startAFPacket() (capturer, error) {
	// SOCK_CLOEXEC: ss and nstat, started while it is open, must not inherit it.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		if err == unix.EPERM || err == unix.EACCES {
			return nil, ErrNotRoot
		}
		return nil, fmt.Errorf("opening an AF_PACKET socket: %w", err)
	}
	if c.opts.Iface != "any" {
		ifc, err := net.InterfaceByName(c.opts.Iface)
		if err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("interface %q: %w (ip -br link lists them)", c.opts.Iface, err)
		}
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifc.Index}); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("binding to %s: %w", c.opts.Iface, err)
		}
	}
	if err := attachPortFilter(fd, uint16(c.opts.Port)); err != nil {
		unix.Close(fd)
		return nil, err
	}
	tv := unix.Timeval{Usec: 200_000} // wake up to notice stop()
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	ring, err := newPcapRing(c.st, c.plan.capture, pcapHeader(c.opts.Snaplen))
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	a := &afpacketCapture{c: c, fd: fd, errc: make(chan error, 1), ring: ring}
	a.wg.Add(1)
	go a.loop()
	return a, nil
}

// portFilter keeps IPv4 (non-fragment) and IPv6 (TCP right after the fixed
// header) segments from or to port. SOCK_DGRAM data starts at the IP header.
// Jump skips count instructions after the jump: target − (index + 1).
func portFilter(port uint16) []bpf.Instruction {
	p := uint32(port)
	return []bpf.Instruction{
		/* 0 */ bpf.LoadAbsolute{Off: 0, Size: 1}, // version / IHL
		/* 1 */ bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xf0},
		/* 2 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x60, SkipTrue: 10}, // IPv6 → 13
		/* 3 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x40, SkipFalse: 16}, // not IPv4 → drop
		/* 4 */ bpf.LoadAbsolute{Off: 9, Size: 1}, // protocol
		/* 5 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: 6, SkipFalse: 14},
		/* 6 */ bpf.LoadAbsolute{Off: 6, Size: 2}, // fragment offset
		/* 7 */ bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x1fff, SkipTrue: 12},
		/* 8 */ bpf.LoadMemShift{Off: 0}, // X = IHL × 4
		/* 9 */ bpf.LoadIndirect{Off: 0, Size: 2}, // source port
		/* 10 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: p, SkipTrue: 8},
		/* 11 */ bpf.LoadIndirect{Off: 2, Size: 2}, // destination port
		/* 12 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: p, SkipTrue: 6, SkipFalse: 7},
		/* 13 */ bpf.LoadAbsolute{Off: 6, Size: 1}, // IPv6 next header
		/* 14 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: 6, SkipFalse: 5},
		/* 15 */ bpf.LoadAbsolute{Off: 40, Size: 2},
		/* 16 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: p, SkipTrue: 2},
		/* 17 */ bpf.LoadAbsolute{Off: 42, Size: 2},
		/* 18 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: p, SkipFalse: 1},
		/* 19 */ bpf.RetConstant{Val: 0xffff}, // accept
		/* 20 */ bpf.RetConstant{Val: 0}, // drop
	}
}

func attachPortFilter(fd int, port uint16) error {
	raw, err := bpf.Assemble(portFilter(port))
	if err != nil {
		return fmt.Errorf("assembling the capture filter: %w", err)
	}
	filter := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		filter[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	fp := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fp); err != nil {
		return fmt.Errorf("attaching the capture filter: %w", err)
	}
	return nil
}

func (a *afpacketCapture) method() string { return "built-in AF_PACKET capture (LINKTYPE_LINUX_SLL2)" }

func (a *afpacketCapture) failed() <-chan error { return a.errc }

// loop reads packets into the ring until stopped.
func (a *afpacketCapture) loop() {
	defer a.wg.Done()
	snap := a.c.opts.Snaplen
	buf := make([]byte, 65536+20)
	rec := make([]byte, 16+len(buf))
	for !a.stopped.Load() {
		n, from, err := unix.Recvfrom(a.fd, buf[20:], 0)
		if err != nil {
			if err == unix.EAGAIN || err == unix.EINTR {
				continue
			}
			if !a.stopped.Load() {
				a.errc <- fmt.Errorf("reading packets: %w", err)
			}
			return
		}
		now := time.Now()
		ll, _ := from.(*unix.SockaddrLinklayer)
		frame := sll2(buf[:20], ll)
		capLen := min(20+n, snap)
		binary.LittleEndian.PutUint32(rec, uint32(now.Unix()))
		binary.LittleEndian.PutUint32(rec[4:], uint32(now.Nanosecond()))
		binary.LittleEndian.PutUint32(rec[8:], uint32(capLen))
		binary.LittleEndian.PutUint32(rec[12:], uint32(20+n))
		copy(rec[16:], frame[:capLen])
		if err := a.ring.write(rec[:16+capLen]); err != nil {
			a.errc <- err
			return
		}
	}
}

// sll2 fills the 20-byte Linux cooked v2 header in front of the packet.
func sll2(h []byte, ll *unix.SockaddrLinklayer) []byte {
	clear(h[:20])
	if ll != nil {
		// sll_protocol is in network byte order in memory; x/sys read it
		// natively, so writing it back natively restores the wire bytes.
		binary.NativeEndian.PutUint16(h, ll.Protocol)
		binary.BigEndian.PutUint32(h[4:], uint32(ll.Ifindex))
		binary.BigEndian.PutUint16(h[8:], ll.Hatype)
		h[10] = ll.Pkttype
		h[11] = min(ll.Halen, 8)
		copy(h[12:20], ll.Addr[:min(ll.Halen, 8)])
	}
	return h[:cap(h)]
}

func (a *afpacketCapture) stop() (ringStats, error) {
	if a.stopped.Swap(true) {
		return ringStats{}, nil
	}
	a.wg.Wait()
	unix.Close(a.fd)
	kept, err := a.ring.finish()
	return ringStats{rotated: a.ring.rotated, written: a.ring.records, kept: kept}, err
}
