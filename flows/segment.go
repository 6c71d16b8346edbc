package flows

import (
	"net/netip"
)

// Addr is an IP address in 16 bytes; IPv4 is stored IPv4-mapped
// (::ffff:a.b.c.d). It is comparable and free of pointers, so flow keys and
// tables built from it cost the garbage collector nothing.
type Addr [16]byte

var v4Prefix = [12]byte{10: 0xff, 11: 0xff}

func addrFrom4(b []byte) Addr {
	var a Addr
	copy(a[:12], v4Prefix[:])
	copy(a[12:], b[:4])
	return a
}

func addrFrom16(b []byte) Addr {
	var a Addr
	copy(a[:], b[:16])
	return a
}

// Is4 reports whether a holds an IPv4 address.
func (a Addr) Is4() bool { return [12]byte(a[:12]) == v4Prefix }

// IP converts a to a netip.Addr (IPv4 unmapped).
func (a Addr) IP() netip.Addr { return netip.AddrFrom16(a).Unmap() }

// AddrOf converts a netip.Addr to an Addr.
func AddrOf(ip netip.Addr) Addr { return Addr(ip.As16()) }

// TCP header flags.
const (
	FlagFIN uint16 = 1 << iota
	FlagSYN
	FlagRST
	FlagPSH
	FlagACK
	FlagURG
	FlagECE
	FlagCWR
	FlagAE // the former NS bit, AccECN
)

// Option presence bits in TCPOptions.Has.
const (
	OptMSS uint8 = 1 << iota
	OptWScale
	OptSACKPerm
	OptTimestamp
	OptFastOpen
	OptMPTCP
	OptMD5
	OptAO
)

// TCPOptions holds the TCP options halfopen cares about.
type TCPOptions struct {
	Has    uint8 // OptMSS | OptWScale | ...
	WScale uint8
	MSS    uint16
	TSval  uint32
	TSecr  uint32
}

// Direction from the capturing host's point of view, when the link layer
// says (Linux cooked captures do; Ethernet does not).
type Direction uint8

// Directions reported by Linux cooked captures.
const (
	DirUnknown   Direction = iota
	DirIncoming            // addressed to this host (unicast, broadcast or multicast)
	DirOtherHost           // seen in promiscuous mode, not for this host
	DirOutgoing            // sent by this host
)

// Segment is one decoded TCP segment: everything the handshake tracker
// needs and nothing it does not. It holds no pointers.
type Segment struct {
	Time       int64 // Unix nanoseconds
	Src, Dst   Addr
	SrcPort    uint16
	DstPort    uint16
	Seq, Ack   uint32
	Flags      uint16
	Window     uint16
	PayloadLen uint32 // from the IP length, not the captured length
	Opts       TCPOptions
	TTL        uint8
	IPID       uint16 // IPv4 identification (0 for IPv6)
	Checksum   uint16 // TCP checksum as captured
	Dir        Direction
	// OptionsCut is set when the snapshot length cut the TCP options:
	// Opts holds what was captured and must be treated as unknown.
	OptionsCut bool
	// ChecksumBad is set for SYNs whose TCP checksum is wrong; it is only
	// computed for pure SYNs that were captured whole and were not sent
	// by the capturing host (outgoing checksums are often offloaded).
	ChecksumBad bool
	Tunneled    bool // decoded from inside a tunnel (IP-in-IP, GRE, VXLAN…)
	Iface       uint16
}

// Has reports whether all of the flags in f are set.
func (s *Segment) Has(f uint16) bool { return s.Flags&f == f }
