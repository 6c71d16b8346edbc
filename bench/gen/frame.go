package main

import (
	"encoding/binary"
	"io"
)

// TCP option sets a segment carries.
const (
	optNone = iota
	optMSS  // MSS only (a SYN-flood tool's SYN)
	optSYN  // Linux SYN / SYN-ACK: MSS, SACK-permitted, timestamps, NOP, window scale
	optTS   // NOP, NOP, timestamps
)

var optLen = [...]int{optNone: 0, optMSS: 4, optSYN: 20, optTS: 12}

// Frame addresses: every client packet comes through the router.
var (
	macServer = [6]byte{0x02, 0, 0, 0, 0, 1}
	macRouter = [6]byte{0x02, 0, 0, 0, 0, 0xfe}
)

const (
	snaplen = 262144
	vlanID  = 100
)

// capWriter encodes packets as Ethernet (optionally 802.1Q) / IPv4 or IPv6
// / TCP frames with correct checksums and random (incompressible) payload,
// in classic pcap (µs) or pcapng records. It is much faster than gopacket's
// serialisation, which matters at 2 M packets.
type capWriter struct {
	w     io.Writer
	ng    bool
	vlan  bool
	buf   []byte
	rnd   uint64 // payload PRNG state (splitmix64)
	bytes int64
}

func newCapWriter(w io.Writer, ng, vlan bool, seed uint64) (*capWriter, error) {
	cw := &capWriter{w: w, ng: ng, vlan: vlan, buf: make([]byte, 4096), rnd: seed * 0x2545f4914f6cdd1d}
	var h []byte
	if ng {
		h = make([]byte, 28+20)
		le := binary.LittleEndian
		// Section Header Block: no options, unknown section length.
		le.PutUint32(h[0:], 0x0a0d0d0a)
		le.PutUint32(h[4:], 28)
		le.PutUint32(h[8:], 0x1a2b3c4d)
		le.PutUint16(h[12:], 1)
		le.PutUint64(h[16:], ^uint64(0))
		le.PutUint32(h[24:], 28)
		// Interface Description Block: Ethernet, default µs resolution.
		le.PutUint32(h[28:], 1)
		le.PutUint32(h[32:], 20)
		le.PutUint16(h[36:], 1)
		le.PutUint32(h[40:], snaplen)
		le.PutUint32(h[44:], 20)
	} else {
		h = make([]byte, 24)
		le := binary.LittleEndian
		le.PutUint32(h[0:], 0xa1b2c3d4)
		le.PutUint16(h[4:], 2)
		le.PutUint16(h[6:], 4)
		le.PutUint32(h[16:], snaplen)
		le.PutUint32(h[20:], 1) // LINKTYPE_ETHERNET
	}
	_, err := w.Write(h)
	cw.bytes += int64(len(h))
	return cw, err
}

// write encodes packet p of connection c.
func (cw *capWriter) write(c *conn, p *pkt) error {
	v6 := c.srv.Is6()
	l2 := 14
	if cw.vlan {
		l2 = 18
	}
	ipLen := 20
	if v6 {
		ipLen = 40
	}
	tcpLen := 20 + optLen[p.opt]
	frameLen := l2 + ipLen + tcpLen + int(p.n)
	hdr, trailer := 16, 0
	if cw.ng {
		hdr, trailer = 28, 4+(4-frameLen%4)%4
	}
	total := hdr + frameLen + trailer
	b := cw.buf[:total]
	clear(b[:hdr+l2+ipLen+tcpLen])
	ts := uint64(epoch + p.t)
	le := binary.LittleEndian
	if cw.ng {
		le.PutUint32(b[0:], 6) // Enhanced Packet Block
		le.PutUint32(b[4:], uint32(total))
		le.PutUint32(b[8:], 0)
		le.PutUint32(b[12:], uint32(ts>>32))
		le.PutUint32(b[16:], uint32(ts))
		le.PutUint32(b[20:], uint32(frameLen))
		le.PutUint32(b[24:], uint32(frameLen))
		clear(b[hdr+frameLen:])
		le.PutUint32(b[total-4:], uint32(total))
	} else {
		le.PutUint32(b[0:], uint32(ts/1e6))
		le.PutUint32(b[4:], uint32(ts%1e6))
		le.PutUint32(b[8:], uint32(frameLen))
		le.PutUint32(b[12:], uint32(frameLen))
	}
	f := b[hdr : hdr+frameLen]
	be := binary.BigEndian

	// Ethernet
	if p.srv {
		copy(f[0:], macRouter[:])
		copy(f[6:], macServer[:])
	} else {
		copy(f[0:], macServer[:])
		copy(f[6:], macRouter[:])
	}
	etype := uint16(0x0800)
	if v6 {
		etype = 0x86dd
	}
	if cw.vlan {
		be.PutUint16(f[12:], 0x8100)
		be.PutUint16(f[14:], vlanID)
		be.PutUint16(f[16:], etype)
	} else {
		be.PutUint16(f[12:], etype)
	}

	// IP
	src, dst, sport, dport, ttl := c.cli, c.srv, c.cport, c.sport, c.cttl
	side := 0
	if p.srv {
		src, dst, sport, dport, ttl = c.srv, c.cli, c.sport, c.cport, 64
		side = 1
	}
	ip := f[l2 : l2+ipLen]
	tcp := f[l2+ipLen:]
	segLen := tcpLen + int(p.n)
	var pseudo uint64
	if v6 {
		be.PutUint32(ip[0:], 6<<28)
		be.PutUint16(ip[4:], uint16(segLen))
		ip[6], ip[7] = 6, ttl
		s, d := src.As16(), dst.As16()
		copy(ip[8:], s[:])
		copy(ip[24:], d[:])
		pseudo = sum(ip[8:40], uint64(segLen)+6)
	} else {
		ip[0] = 0x45
		be.PutUint16(ip[2:], uint16(ipLen+segLen))
		be.PutUint16(ip[4:], c.ipid[side])
		c.ipid[side]++
		be.PutUint16(ip[6:], 0x4000) // don't fragment
		ip[8], ip[9] = ttl, 6
		s, d := src.As4(), dst.As4()
		copy(ip[12:], s[:])
		copy(ip[16:], d[:])
		be.PutUint16(ip[10:], fold(sum(ip, 0)))
		pseudo = sum(ip[12:20], uint64(segLen)+6)
	}

	// TCP
	be.PutUint16(tcp[0:], sport)
	be.PutUint16(tcp[2:], dport)
	be.PutUint32(tcp[4:], p.seq)
	be.PutUint32(tcp[8:], p.ack)
	tcp[12] = byte(tcpLen/4) << 4
	tcp[13] = p.flags
	win := uint16(502) // 64256 bytes at window scale 7
	if p.flags&fSYN != 0 {
		win = 64240
	}
	if p.flags&fRST != 0 {
		win = 0
	}
	be.PutUint16(tcp[14:], win)
	c.options(tcp[20:tcpLen], p)
	s := sum(tcp[:tcpLen], pseudo)
	s += cw.payload(tcp[tcpLen:segLen])
	be.PutUint16(tcp[16:], fold(s))

	_, err := cw.w.Write(b)
	cw.bytes += int64(total)
	return err
}

// options writes p's TCP options into o.
func (c *conn) options(o []byte, p *pkt) {
	be := binary.BigEndian
	mss := uint16(1460)
	if c.srv.Is6() {
		mss = 1440
	}
	switch p.opt {
	case optMSS:
		o[0], o[1] = 2, 4
		be.PutUint16(o[2:], mss)
	case optSYN:
		o[0], o[1] = 2, 4
		be.PutUint16(o[2:], mss)
		o[4], o[5] = 4, 2
		c.timestamps(o[6:], p)
		o[16], o[17], o[18], o[19] = 1, 3, 3, 7
	case optTS:
		o[0], o[1] = 1, 1
		c.timestamps(o[2:], p)
	}
}

// timestamps writes a timestamp option: each side's clock ticks once a
// millisecond; TSecr echoes the other side's clock one RTT ago.
func (c *conn) timestamps(o []byte, p *pkt) {
	o[0], o[1] = 8, 10
	mine, theirs := c.cts, c.sts
	if p.srv {
		mine, theirs = theirs, mine
	}
	el := p.t - c.start
	binary.BigEndian.PutUint32(o[2:], mine+uint32(el/usMS))
	if p.flags&(fSYN|fACK) != fSYN { // a SYN echoes nothing
		back := max(el-c.rtt, 0)
		binary.BigEndian.PutUint32(o[6:], theirs+uint32(back/usMS))
	}
}

// payload fills b with pseudo-random bytes and returns their checksum sum.
func (cw *capWriter) payload(b []byte) uint64 {
	var s uint64
	x := cw.rnd
	next := func() uint64 {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		return z ^ z>>31
	}
	i := 0
	for ; i+8 <= len(b); i += 8 {
		z := next()
		binary.BigEndian.PutUint64(b[i:], z)
		s += z>>32 + z&0xffffffff
	}
	if i < len(b) {
		var tail [8]byte
		binary.BigEndian.PutUint64(tail[:], next())
		copy(b[i:], tail[:])
		s = sum(b[i:], s)
	}
	cw.rnd = x
	return s
}

// sum adds b's big-endian 16-bit words to s (one's-complement, unfolded).
// b must start at an even offset of the checksummed data.
func sum(b []byte, s uint64) uint64 {
	for len(b) >= 8 {
		v := binary.BigEndian.Uint64(b)
		s += v>>32 + v&0xffffffff
		b = b[8:]
	}
	for len(b) >= 2 {
		s += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0]) << 8
	}
	return s
}

// fold turns an unfolded sum into the checksum field's value.
func fold(s uint64) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}
