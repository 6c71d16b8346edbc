package flows

import "encoding/binary"

// TCP option kinds.
const (
	tcpOptEOL      = 0
	tcpOptNOP      = 1
	tcpOptMSS      = 2
	tcpOptWScale   = 3
	tcpOptSACKPerm = 4
	tcpOptTS       = 8
	tcpOptMD5      = 19
	tcpOptAO       = 29
	tcpOptMPTCP    = 30
	tcpOptFastOpen = 34
)

// tcp decodes a TCP header. b holds the captured bytes of the IP payload;
// payloadLen is the IP payload length the IP header claims.
func (d *decoder) tcp(b []byte, payloadLen int, seg *Segment) decodeResult {
	if len(b) < 20 {
		return resultTruncated
	}
	hlen := int(b[12]>>4) * 4
	if hlen < 20 {
		return resultMalformed
	}
	seg.SrcPort = binary.BigEndian.Uint16(b)
	seg.DstPort = binary.BigEndian.Uint16(b[2:])
	seg.Seq = binary.BigEndian.Uint32(b[4:])
	seg.Ack = binary.BigEndian.Uint32(b[8:])
	seg.Flags = uint16(b[13]) | uint16(b[12]&1)<<8
	seg.Window = binary.BigEndian.Uint16(b[14:])
	seg.Checksum = binary.BigEndian.Uint16(b[16:])
	if payloadLen > hlen {
		seg.PayloadLen = uint32(payloadLen - hlen)
	}
	if len(b) < hlen {
		seg.OptionsCut = true
		parseOptions(b[20:], &seg.Opts)
	} else {
		parseOptions(b[20:hlen], &seg.Opts)
	}
	if seg.Flags&(FlagSYN|FlagACK) == FlagSYN && seg.Dir != DirOutgoing && len(b) >= payloadLen && payloadLen >= hlen {
		seg.ChecksumBad = !tcpChecksumOK(&seg.Src, &d.sumDst, b[:payloadLen])
	}
	return resultTCP
}

// parseOptions reads the options halfopen uses. It stops at the first
// malformed option, keeping what it read before.
func parseOptions(b []byte, o *TCPOptions) {
	for len(b) > 0 {
		kind := b[0]
		if kind == tcpOptEOL {
			return
		}
		if kind == tcpOptNOP {
			b = b[1:]
			continue
		}
		if len(b) < 2 {
			return
		}
		n := int(b[1])
		if n < 2 || n > len(b) {
			return
		}
		v := b[2:n]
		switch kind {
		case tcpOptMSS:
			if len(v) == 2 {
				o.Has |= OptMSS
				o.MSS = binary.BigEndian.Uint16(v)
			}
		case tcpOptWScale:
			if len(v) == 1 {
				o.Has |= OptWScale
				o.WScale = v[0]
			}
		case tcpOptSACKPerm:
			o.Has |= OptSACKPerm
		case tcpOptTS:
			if len(v) == 8 {
				o.Has |= OptTimestamp
				o.TSval = binary.BigEndian.Uint32(v)
				o.TSecr = binary.BigEndian.Uint32(v[4:])
			}
		case tcpOptFastOpen:
			o.Has |= OptFastOpen
		case tcpOptMPTCP:
			o.Has |= OptMPTCP
		case tcpOptMD5:
			o.Has |= OptMD5
		case tcpOptAO:
			o.Has |= OptAO
		}
		b = b[n:]
	}
}

// tcpChecksumOK verifies the TCP checksum over the pseudo-header (src,
// dst) and the segment.
func tcpChecksumOK(src, dst *Addr, tcp []byte) bool {
	var sum uint64
	if src.Is4() {
		sum += uint64(binary.BigEndian.Uint16(src[12:])) + uint64(binary.BigEndian.Uint16(src[14:]))
		sum += uint64(binary.BigEndian.Uint16(dst[12:])) + uint64(binary.BigEndian.Uint16(dst[14:]))
	} else {
		for i := 0; i < 16; i += 2 {
			sum += uint64(binary.BigEndian.Uint16(src[i:])) + uint64(binary.BigEndian.Uint16(dst[i:]))
		}
	}
	sum += protoTCP + uint64(len(tcp))
	i := 0
	for ; i+8 <= len(tcp); i += 8 {
		v := binary.BigEndian.Uint64(tcp[i:])
		sum += v>>48 + (v>>32)&0xffff + (v>>16)&0xffff + v&0xffff
	}
	for ; i+1 < len(tcp); i += 2 {
		sum += uint64(binary.BigEndian.Uint16(tcp[i:]))
	}
	if i < len(tcp) {
		sum += uint64(tcp[i]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return uint16(sum) == 0xffff
}
