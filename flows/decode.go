package flows

import (
	"encoding/binary"
)

// Ethertypes and IP protocol numbers the decoder follows.
const (
	etherIPv4    = 0x0800
	etherIPv6    = 0x86dd
	etherVLAN    = 0x8100
	etherQinQ    = 0x88a8
	etherQinQOld = 0x9100
	etherQinQ2   = 0x9200
	etherMPLS    = 0x8847
	etherMPLSMc  = 0x8848
	etherPPPoE   = 0x8864
	etherTEB     = 0x6558 // transparent Ethernet bridging (GRE, Geneve)
	etherERSPAN2 = 0x88be
	etherERSPAN3 = 0x22eb

	protoIPIP   = 4
	protoTCP    = 6
	protoUDP    = 17
	protoIPv6   = 41
	protoGRE    = 47
	portVXLAN   = 4789
	portGeneve  = 6081
	maxTunnels  = 4
	etherDetect = 0 // "look at the IP version nibble"
)

// decodeResult says what became of a record.
type decodeResult uint8

const (
	resultTCP         decodeResult = iota // seg holds a TCP segment
	resultNotIP                           // not IP at all (ARP, LLDP…)
	resultNotTCP                          // IP, but not TCP (or TCP inside ICMP)
	resultFragment                        // a non-first IP fragment
	resultTruncated                       // captured too short to read a TCP header
	resultMalformed                       // a header contradicts itself
	resultUnknownLink                     // link type neither decoder knows
	resultDuplicate                       // a second copy of a segment just seen
)

// decoder turns records into TCP segments without allocating. It is not
// safe for concurrent use.
type decoder struct {
	fallback *gopacketFallback
	// sumDst is the destination the TCP pseudo-header uses: the IP
	// header's, or the final hop of a source route still under way.
	sumDst Addr
}

// decode fills seg from rec. seg is only meaningful when the result is
// resultTCP.
func (d *decoder) decode(rec *record, seg *Segment) decodeResult {
	*seg = Segment{Time: rec.ts, Iface: uint16(rec.iface)}
	b := rec.data
	var proto uint16
	switch rec.link {
	case LinkEthernet:
		if len(b) < 14 {
			return resultTruncated
		}
		b, proto = etherPayload(b[14:], binary.BigEndian.Uint16(b[12:]))
	case LinkLinuxSLL:
		if len(b) < 16 {
			return resultTruncated
		}
		seg.Dir = sllDirection(binary.BigEndian.Uint16(b))
		if hatype := binary.BigEndian.Uint16(b[2:]); hatype == 824 { // ARPHRD_NETLINK
			return resultNotIP
		}
		b, proto = etherPayload(b[16:], binary.BigEndian.Uint16(b[14:]))
	case LinkLinuxSLL2:
		if len(b) < 20 {
			return resultTruncated
		}
		seg.Dir = sllDirection(uint16(b[10]))
		if hatype := binary.BigEndian.Uint16(b[8:]); hatype == 824 {
			return resultNotIP
		}
		b, proto = etherPayload(b[20:], binary.BigEndian.Uint16(b))
	case LinkRaw, LinkRawOld12, LinkRawOld14, LinkIPv4, LinkIPv6:
		proto = etherDetect
	case LinkNull, LinkLoop:
		if len(b) < 4 {
			return resultTruncated
		}
		proto = nullFamily(b[:4], rec.link == LinkLoop)
		b = b[4:]
	case LinkNFLog:
		b, proto = nflogPayload(b)
	case LinkIPoIB:
		b, proto = ipoibPayload(b)
	default:
		if d.fallback == nil {
			d.fallback = newGopacketFallback()
		}
		var ok bool
		b, proto, ok = d.fallback.ipPayload(rec.link, b)
		if !ok {
			return resultUnknownLink
		}
	}
	if b == nil {
		return resultNotIP
	}
	return d.network(b, proto, seg, 0)
}

// sllDirection maps a Linux cooked-capture packet type to a Direction.
func sllDirection(pkttype uint16) Direction {
	switch pkttype {
	case 0, 1, 2: // PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST
		return DirIncoming
	case 3: // PACKET_OTHERHOST
		return DirOtherHost
	case 4: // PACKET_OUTGOING
		return DirOutgoing
	}
	return DirUnknown
}

// nullFamily reads the address family of a BSD loopback header, which is in
// the capturing host's byte order (LinkNull) or network order (LinkLoop).
func nullFamily(b []byte, network bool) uint16 {
	fam := binary.LittleEndian.Uint32(b)
	if network || fam > 0xffff {
		fam = binary.BigEndian.Uint32(b)
	}
	switch fam {
	case 2:
		return etherIPv4
	case 10, 24, 28, 30: // AF_INET6 on Linux, NetBSD/OpenBSD, FreeBSD, Darwin
		return etherIPv6
	}
	return etherDetect
}

// etherPayload walks VLAN tags, MPLS labels, PPPoE and LLC/SNAP until it
// reaches IP. It returns nil when the frame does not carry IP.
func etherPayload(b []byte, typ uint16) ([]byte, uint16) {
	for range 8 { // bounded: a tag stack deeper than 8 is garbage
		switch typ {
		case etherIPv4, etherIPv6:
			return b, typ
		case etherVLAN, etherQinQ, etherQinQOld, etherQinQ2:
			if len(b) < 4 {
				return nil, 0
			}
			typ, b = binary.BigEndian.Uint16(b[2:]), b[4:]
		case etherMPLS, etherMPLSMc:
			return mplsPayload(b)
		case etherPPPoE:
			if len(b) < 8 {
				return nil, 0
			}
			switch binary.BigEndian.Uint16(b[6:]) {
			case 0x0021:
				return b[8:], etherIPv4
			case 0x0057:
				return b[8:], etherIPv6
			}
			return nil, 0
		default:
			if typ > 1500 || len(b) < 8 {
				return nil, 0
			}
			// An 802.3 length field: only LLC/SNAP can carry IP.
			if b[0] != 0xaa || b[1] != 0xaa || b[2] != 0x03 {
				return nil, 0
			}
			typ, b = binary.BigEndian.Uint16(b[6:]), b[8:]
		}
	}
	return nil, 0
}

// mplsPayload skips the label stack; after the bottom label the payload is
// IP (by version nibble) or, behind a zero control word, Ethernet.
func mplsPayload(b []byte) ([]byte, uint16) {
	for range 16 {
		if len(b) < 4 {
			return nil, 0
		}
		bottom := b[2]&1 == 1
		b = b[4:]
		if !bottom {
			continue
		}
		if len(b) == 0 {
			return nil, 0
		}
		switch b[0] >> 4 {
		case 4:
			return b, etherIPv4
		case 6:
			return b, etherIPv6
		case 0: // pseudowire control word, then an Ethernet frame
			if len(b) < 4+14 {
				return nil, 0
			}
			b = b[4:]
			return etherPayload(b[14:], binary.BigEndian.Uint16(b[12:]))
		}
		return nil, 0
	}
	return nil, 0
}

// nflogPayload finds the NFULA_PAYLOAD attribute of a NFLOG record. TLV
// lengths are in the capturing host's byte order.
func nflogPayload(b []byte) ([]byte, uint16) {
	if len(b) < 4 {
		return nil, 0
	}
	var proto uint16
	switch b[0] {
	case 2:
		proto = etherIPv4
	case 10:
		proto = etherIPv6
	default:
		proto = etherDetect
	}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		if p := nflogFind(b[4:], order); p != nil {
			return p, proto
		}
	}
	return nil, 0
}

func nflogFind(b []byte, order binary.ByteOrder) []byte {
	const nfulaPayload = 9
	for len(b) >= 4 {
		n, typ := int(order.Uint16(b)), order.Uint16(b[2:])&0x7fff
		if n < 4 || n > len(b) {
			return nil
		}
		if typ == nfulaPayload {
			return b[4:n]
		}
		pad := (n + 3) &^ 3
		if pad > len(b) {
			return nil
		}
		b = b[pad:]
	}
	return nil
}

// ipoibPayload handles LINKTYPE_IPOIB: libpcap writes 40 bytes of
// destination and source hardware address before the RFC 4391 4-byte
// encapsulation header (type, reserved); accept the bare 4-byte form too.
func ipoibPayload(b []byte) ([]byte, uint16) {
	if len(b) >= 44 {
		if typ := binary.BigEndian.Uint16(b[40:]); typ == etherIPv4 || typ == etherIPv6 {
			return b[44:], typ
		}
	}
	if len(b) >= 4 {
		return etherPayload(b[4:], binary.BigEndian.Uint16(b))
	}
	return nil, 0
}
