package flows

import "encoding/binary"

// network decodes IPv4/IPv6 (following tunnels) down to TCP.
func (d *decoder) network(b []byte, proto uint16, seg *Segment, depth int) decodeResult {
	if depth > maxTunnels {
		return resultNotTCP
	}
	if proto == etherDetect {
		if len(b) == 0 {
			return resultTruncated
		}
		switch b[0] >> 4 {
		case 4:
			proto = etherIPv4
		case 6:
			proto = etherIPv6
		default:
			return resultNotIP
		}
	}
	if proto == etherIPv4 {
		return d.ipv4(b, seg, depth)
	}
	return d.ipv6(b, seg, depth)
}

func (d *decoder) ipv4(b []byte, seg *Segment, depth int) decodeResult {
	if len(b) < 20 {
		return resultTruncated
	}
	if b[0]>>4 != 4 {
		return resultMalformed
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 {
		return resultMalformed
	}
	if len(b) < ihl {
		return resultTruncated
	}
	total := int(binary.BigEndian.Uint16(b[2:]))
	switch {
	case total == 0: // TCP segmentation offload on the capturing host
		total = len(b)
	case total < ihl:
		return resultMalformed
	}
	if frag := binary.BigEndian.Uint16(b[6:]); frag&0x1fff != 0 {
		return resultFragment
	}
	payloadLen := total - ihl
	captured := b[ihl:min(len(b), total)]
	seg.Src, seg.Dst = addrFrom4(b[12:16]), addrFrom4(b[16:20])
	d.sumDst = seg.Dst
	if final, ok := ipv4RouteFinal(b[20:ihl]); ok {
		d.sumDst = final
	}
	seg.TTL = b[8]
	seg.IPID = binary.BigEndian.Uint16(b[4:])
	return d.transport(b[9], captured, payloadLen, seg, depth)
}

func (d *decoder) ipv6(b []byte, seg *Segment, depth int) decodeResult {
	if len(b) < 40 {
		return resultTruncated
	}
	if b[0]>>4 != 6 {
		return resultMalformed
	}
	payloadLen := int(binary.BigEndian.Uint16(b[4:]))
	if payloadLen == 0 { // jumbogram or offload: use what was captured
		payloadLen = len(b) - 40
	}
	next := b[6]
	seg.Src, seg.Dst = addrFrom16(b[8:24]), addrFrom16(b[24:40])
	d.sumDst = seg.Dst
	seg.TTL = b[7]
	p := b[40:]
	if len(p) > payloadLen {
		p = p[:payloadLen]
	}
	for range 16 { // bounded extension-header chain
		switch next {
		case 0, 43, 60, 135, 139, 140: // hop-by-hop, routing, dest opts, mobility, HIP, shim6
			if len(p) < 8 {
				return resultTruncated
			}
			n := (int(p[1]) + 1) * 8
			if n > len(p) {
				return resultTruncated
			}
			if next == 43 {
				if final, ok := ipv6RouteFinal(p[:n]); ok {
					d.sumDst = final
				}
			}
			next, p, payloadLen = p[0], p[n:], payloadLen-n
		case 44: // fragment
			if len(p) < 8 {
				return resultTruncated
			}
			if binary.BigEndian.Uint16(p[2:])&0xfff8 != 0 {
				return resultFragment
			}
			next, p, payloadLen = p[0], p[8:], payloadLen-8
		case 51: // authentication header
			if len(p) < 8 {
				return resultTruncated
			}
			n := (int(p[1]) + 2) * 4
			if n > len(p) {
				return resultTruncated
			}
			next, p, payloadLen = p[0], p[n:], payloadLen-n
		default:
			return d.transport(next, p, payloadLen, seg, depth)
		}
	}
	return resultMalformed
}

// ipv4RouteFinal returns the final destination of a loose or strict source
// route option whose route is not yet exhausted. RFC 791/1122: the TCP
// pseudo-header uses that final destination, not the next hop in the
// header's destination field.
func ipv4RouteFinal(opts []byte) (Addr, bool) {
	for len(opts) > 0 {
		switch opts[0] {
		case 0: // end of options
			return Addr{}, false
		case 1: // no-op
			opts = opts[1:]
			continue
		}
		if len(opts) < 2 || int(opts[1]) < 2 || int(opts[1]) > len(opts) {
			return Addr{}, false
		}
		n, ptr := int(opts[1]), 0
		if n >= 3 {
			ptr = int(opts[2])
		}
		if (opts[0] == 131 || opts[0] == 137) && n >= 7 && ptr <= n {
			return addrFrom4(opts[n-4 : n]), true
		}
		opts = opts[n:]
	}
	return Addr{}, false
}

// ipv6RouteFinal returns the final destination named by a routing header
// with segments left (RFC 8200 8.1): the last address of a type 0 or 2
// header, the first entry of a segment routing header (type 4).
func ipv6RouteFinal(rh []byte) (Addr, bool) {
	if len(rh) < 8 || rh[3] == 0 { // no segments left: the header's destination is final
		return Addr{}, false
	}
	switch rh[2] {
	case 0, 2:
		if len(rh) >= 8+16 {
			n := (len(rh) - 8) / 16 * 16
			return addrFrom16(rh[8+n-16 : 8+n]), true
		}
	case 4:
		if len(rh) >= 8+16 {
			return addrFrom16(rh[8:24]), true
		}
	}
	return Addr{}, false
}

// transport dispatches on the IP protocol: TCP, or a tunnel to unwrap.
func (d *decoder) transport(proto byte, b []byte, payloadLen int, seg *Segment, depth int) decodeResult {
	switch proto {
	case protoTCP:
		return d.tcp(b, payloadLen, seg)
	case protoIPIP:
		seg.Tunneled = true
		return d.network(b, etherIPv4, seg, depth+1)
	case protoIPv6:
		seg.Tunneled = true
		return d.network(b, etherIPv6, seg, depth+1)
	case protoGRE:
		inner, typ := grePayload(b)
		if inner == nil {
			return resultNotTCP
		}
		seg.Tunneled = true
		return d.network(inner, typ, seg, depth+1)
	case protoUDP:
		inner, typ := udpTunnelPayload(b)
		if inner == nil {
			return resultNotTCP
		}
		seg.Tunneled = true
		return d.network(inner, typ, seg, depth+1)
	}
	return resultNotTCP
}

// grePayload unwraps GRE (version 0), including ERSPAN and bridged Ethernet.
func grePayload(b []byte) ([]byte, uint16) {
	if len(b) < 4 {
		return nil, 0
	}
	flags, typ := binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
	if flags&0x7 != 0 { // version 1 is PPTP's enhanced GRE
		return nil, 0
	}
	n := 4
	for _, bit := range []uint16{0x8000, 0x2000, 0x1000} { // checksum, key, sequence
		if flags&bit != 0 {
			n += 4
		}
	}
	if len(b) < n {
		return nil, 0
	}
	b = b[n:]
	switch typ {
	case etherIPv4, etherIPv6:
		return b, typ
	case etherTEB:
		return ethernetInner(b)
	case etherERSPAN2:
		if flags&0x1000 != 0 { // type II has a sequence number and an 8-byte header
			if len(b) < 8 {
				return nil, 0
			}
			b = b[8:]
		}
		return ethernetInner(b)
	case etherERSPAN3:
		if len(b) < 12 {
			return nil, 0
		}
		hdr := 12
		if b[11]&1 != 0 { // platform-specific subheader present
			hdr += 8
		}
		if len(b) < hdr {
			return nil, 0
		}
		return ethernetInner(b[hdr:])
	}
	return nil, 0
}

// udpTunnelPayload unwraps VXLAN and Geneve on their IANA ports.
func udpTunnelPayload(b []byte) ([]byte, uint16) {
	if len(b) < 8 {
		return nil, 0
	}
	dport := binary.BigEndian.Uint16(b[2:])
	b = b[8:]
	switch dport {
	case portVXLAN:
		if len(b) < 8 || b[0]&0x08 == 0 {
			return nil, 0
		}
		return ethernetInner(b[8:])
	case portGeneve:
		if len(b) < 8 {
			return nil, 0
		}
		n := 8 + int(b[0]&0x3f)*4
		typ := binary.BigEndian.Uint16(b[2:])
		if len(b) < n {
			return nil, 0
		}
		if typ == etherTEB {
			return ethernetInner(b[n:])
		}
		if typ == etherIPv4 || typ == etherIPv6 {
			return b[n:], typ
		}
	}
	return nil, 0
}

func ethernetInner(b []byte) ([]byte, uint16) {
	if len(b) < 14 {
		return nil, 0
	}
	return etherPayload(b[14:], binary.BigEndian.Uint16(b[12:]))
}
