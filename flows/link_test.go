package flows

// Link layers and tunnels: each wraps crafted IP packets the way the link
// type's specification lays them out, then checks the decoder finds the
// inner TCP segment, and that a whole handshake read through that link
// type makes one established attempt.

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/google/gopacket/layers"
)

// wrapper builds one frame of a link type around an IP packet; s is the
// segment inside, for direction-dependent headers.
type wrapper func(t testing.TB, s tseg, ip []byte) []byte

var (
	outerSrc = netip.MustParseAddr("192.0.2.1")
	outerDst = netip.MustParseAddr("192.0.2.2")
)

// sllHeader is Linux cooked v1: packet type, ARPHRD type, address length,
// 8 address bytes, protocol.
func sllHeader(pkttype uint16, proto uint16) []byte {
	h := binary.BigEndian.AppendUint16(nil, pkttype)
	h = binary.BigEndian.AppendUint16(h, 1) // ARPHRD_ETHER
	h = binary.BigEndian.AppendUint16(h, 6)
	h = append(h, 0x02, 0, 0, 0, 0, 1, 0, 0)
	return binary.BigEndian.AppendUint16(h, proto)
}

// sll2Header is Linux cooked v2 (LINKTYPE_LINUX_SLL2, 20 bytes): protocol,
// reserved, interface index, ARPHRD type, packet type, address length,
// 8 address bytes.
func sll2Header(pkttype byte, proto uint16) []byte {
	h := binary.BigEndian.AppendUint16(nil, proto)
	h = binary.BigEndian.AppendUint16(h, 0)
	h = binary.BigEndian.AppendUint32(h, 3) // ifindex
	h = binary.BigEndian.AppendUint16(h, 1) // ARPHRD_ETHER
	h = append(h, pkttype, 6)
	return append(h, 0x02, 0, 0, 0, 0, 1, 0, 0)
}

// serverSide gives the packet type a capture on the server would record:
// the client's packets arrive (PACKET_HOST 0), the server's leave
// (PACKET_OUTGOING 4).
func serverSide(s tseg) byte {
	if s.src.Port() == 80 {
		return 4
	}
	return 0
}

func ipProto(ip []byte) uint16 { return uint16(etherTypeOf(ip)) }

// ipv6Ext puts TCP behind hop-by-hop, destination options and an atomic
// fragment header (offset 0, no more fragments).
func ipv6Ext(t testing.TB, s tseg) []byte {
	ext := []byte{
		60, 0, 1, 4, 0, 0, 0, 0, // hop-by-hop: next dest-opts, PadN
		44, 0, 1, 4, 0, 0, 0, 0, // destination options: next fragment, PadN
		6, 0, 0, 0, 0, 0, 0x12, 0x34, // fragment: next TCP, offset 0, M 0, id
	}
	return ipWrap(t, s.src.Addr(), s.dst.Addr(), 0, layers.IPProtocolIPv6HopByHop, nil, append(ext, s.tcpBytes(t)...))
}

type linkCase struct {
	name     string
	link     LinkType
	v6       bool // craft the inner segments as IPv6
	wrap     wrapper
	ip       func(t testing.TB, s tseg) []byte // inner packet; s.ipPacket when nil
	tunneled bool
	dirs     bool // link reports direction (server-side SLL capture)
}

func linkCases() []linkCase {
	eth := func(typ layers.EthernetType) *layers.Ethernet {
		return &layers.Ethernet{SrcMAC: macClient, DstMAC: macServer, EthernetType: typ}
	}
	udpOuter := func(t testing.TB, dport uint16, payload []byte) []byte {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: outerSrc.AsSlice(), DstIP: outerDst.AsSlice()}
		udp := &layers.UDP{SrcPort: 50000, DstPort: layers.UDPPort(dport)}
		if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		return serialize(t, payload, eth(layers.EthernetTypeIPv4), ip, udp)
	}
	return []linkCase{
		{name: "ethernet", link: LinkEthernet, wrap: func(t testing.TB, s tseg, ip []byte) []byte { return ether(t, ip) }},
		{name: "ethernet-ipv6", link: LinkEthernet, v6: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte { return ether(t, ip) }},
		{name: "802.1Q", link: LinkEthernet, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			return serialize(t, ip, eth(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 100, Priority: 3, Type: etherTypeOf(ip)})
		}},
		{name: "QinQ", link: LinkEthernet, v6: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			return serialize(t, ip, eth(layers.EthernetTypeQinQ),
				&layers.Dot1Q{VLANIdentifier: 10, Type: layers.EthernetTypeDot1Q}, &layers.Dot1Q{VLANIdentifier: 20, Type: etherTypeOf(ip)})
		}},
		{name: "MPLS", link: LinkEthernet, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			return serialize(t, ip, eth(layers.EthernetTypeMPLSUnicast),
				&layers.MPLS{Label: 100, TTL: 64}, &layers.MPLS{Label: 200, StackBottom: true, TTL: 64})
		}},
		{name: "MPLS-pseudowire", link: LinkEthernet, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			// Bottom label, zero control word, then a whole Ethernet frame.
			inner := append([]byte{0, 0, 0, 0}, ether(t, ip)...)
			return serialize(t, inner, eth(layers.EthernetTypeMPLSUnicast), &layers.MPLS{Label: 300, StackBottom: true, TTL: 64})
		}},
		{name: "PPPoE", link: LinkEthernet, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			return serialize(t, ip, eth(layers.EthernetTypePPPoESession),
				&layers.PPPoE{Version: 1, Type: 1, Code: layers.PPPoECodeSession, SessionId: 0x11}, &layers.PPP{PPPType: layers.PPPTypeIPv4})
		}},
		{name: "PPPoE-ipv6", link: LinkEthernet, v6: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			return serialize(t, ip, eth(layers.EthernetTypePPPoESession),
				&layers.PPPoE{Version: 1, Type: 1, Code: layers.PPPoECodeSession, SessionId: 0x11}, &layers.PPP{PPPType: layers.PPPTypeIPv6})
		}},
		{name: "802.3-LLC-SNAP", link: LinkEthernet, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			// 802.3 length field, then LLC AA AA 03 and SNAP OUI 0 + ethertype.
			f := append(append([]byte{}, macServer...), macClient...)
			f = binary.BigEndian.AppendUint16(f, uint16(8+len(ip)))
			f = append(f, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00)
			return append(f, ip...)
		}},
		{name: "linux-sll", link: LinkLinuxSLL, dirs: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			return append(sllHeader(uint16(serverSide(s)), ipProto(ip)), ip...)
		}},
		{name: "linux-sll2", link: LinkLinuxSLL2, dirs: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			return append(sll2Header(serverSide(s), ipProto(ip)), ip...)
		}},
		{name: "linux-sll2-ipv6", link: LinkLinuxSLL2, v6: true, dirs: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			return append(sll2Header(serverSide(s), ipProto(ip)), ip...)
		}},
		{name: "raw-ipv4", link: LinkRaw, wrap: func(t testing.TB, s tseg, ip []byte) []byte { return ip }},
		{name: "raw-ipv6", link: LinkRaw, v6: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte { return ip }},
		{name: "linktype-ipv4", link: LinkIPv4, wrap: func(t testing.TB, s tseg, ip []byte) []byte { return ip }},
		{name: "linktype-ipv6", link: LinkIPv6, v6: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte { return ip }},
		{name: "null-little-endian", link: LinkNull, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			return append(binary.LittleEndian.AppendUint32(nil, 2), ip...) // AF_INET on x86
		}},
		{name: "null-big-endian", link: LinkNull, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			return append(binary.BigEndian.AppendUint32(nil, 2), ip...) // AF_INET on a big-endian host
		}},
		{name: "null-darwin-ipv6", link: LinkNull, v6: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			return append(binary.LittleEndian.AppendUint32(nil, 30), ip...) // AF_INET6 on Darwin
		}},
		{name: "null-openbsd-ipv6-big-endian", link: LinkNull, v6: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			return append(binary.BigEndian.AppendUint32(nil, 24), ip...)
		}},
		{name: "loop", link: LinkLoop, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			return append(binary.BigEndian.AppendUint32(nil, 2), ip...)
		}},
		{name: "ipv6-extension-headers", link: LinkEthernet, v6: true, ip: ipv6Ext,
			wrap: func(t testing.TB, s tseg, ip []byte) []byte { return ether(t, ip) }},
		{name: "nflog", link: LinkNFLog, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			// family AF_INET, version 0, resource id; TLVs in host (little) order:
			// NFULA_PREFIX "web\0", then NFULA_PAYLOAD.
			f := []byte{2, 0, 0, 1}
			f = binary.LittleEndian.AppendUint16(f, 8)
			f = binary.LittleEndian.AppendUint16(f, 10)
			f = append(f, 'w', 'e', 'b', 0)
			f = binary.LittleEndian.AppendUint16(f, uint16(4+len(ip)))
			f = binary.LittleEndian.AppendUint16(f, 9)
			return append(f, ip...)
		}},
		{name: "ipoib", link: LinkIPoIB, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			f := make([]byte, 40) // destination and source hardware addresses
			f = binary.BigEndian.AppendUint16(f, ipProto(ip))
			return append(append(f, 0, 0), ip...)
		}},
		{name: "GRE", link: LinkEthernet, tunneled: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			gre := serialize(t, ip, &layers.GRE{Protocol: etherTypeOf(ip), KeyPresent: true, Key: 7, SeqPresent: true, Seq: 1})
			return ether(t, ipWrap(t, outerSrc, outerDst, 64, layers.IPProtocolGRE, nil, gre))
		}},
		{name: "GRE-bridged-ethernet", link: LinkEthernet, tunneled: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			gre := serialize(t, ether(t, ip), &layers.GRE{Protocol: layers.EthernetTypeTransparentEthernetBridging})
			return ether(t, ipWrap(t, outerSrc, outerDst, 64, layers.IPProtocolGRE, nil, gre))
		}},
		{name: "VXLAN", link: LinkEthernet, tunneled: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			vx := serialize(t, ether(t, ip), &layers.VXLAN{ValidIDFlag: true, VNI: 42})
			return udpOuter(t, 4789, vx)
		}},
		{name: "Geneve", link: LinkEthernet, tunneled: true, v6: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			// version 0, options 1 word; protocol TEB; VNI 42; then one
			// option header (class 0x0102, type 0x80, no data).
			gv := []byte{0x01, 0, 0x65, 0x58, 0, 0, 42, 0, 0x01, 0x02, 0x80, 0x00}
			return udpOuter(t, 6081, append(gv, ether(t, ip)...))
		}},
		{name: "IP-in-IP", link: LinkEthernet, tunneled: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			return ether(t, ipWrap(t, outerSrc, outerDst, 64, layers.IPProtocolIPv4, nil, ip))
		}},
		{name: "6in4", link: LinkRaw, v6: true, tunneled: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			return ipWrap(t, outerSrc, outerDst, 64, layers.IPProtocolIPv6, nil, ip)
		}},
		{name: "4in6", link: LinkRaw, tunneled: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			return ipWrap(t, netip.MustParseAddr("2001:db8:ffff::1"), netip.MustParseAddr("2001:db8:ffff::2"), 64, layers.IPProtocolIPv4, nil, ip)
		}},
		{name: "ppp-via-gopacket", link: 9, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			return serialize(t, ip, &layers.PPP{PPPType: layers.PPPTypeIPv4, HasPPTPHeader: true})
		}},
	}
}

func linkConn(v6 bool) *conn {
	if v6 {
		return newConn("[2001:db8::1]:40000", "[2001:db8::2]:80", 1000, 5000)
	}
	return newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
}

func (lc linkCase) frame(t testing.TB, s tseg) []byte {
	ip := s.ipPacket(t)
	if lc.ip != nil {
		ip = lc.ip(t, s)
	}
	return lc.wrap(t, s, ip)
}

func TestLinkTypesDecode(t *testing.T) {
	for _, lc := range linkCases() {
		t.Run(lc.name, func(t *testing.T) {
			c := linkConn(lc.v6)
			syn := c.syn(0)
			syn.ttl = 57
			sa := c.synack(0)
			var d decoder
			var seg Segment
			rec := record{data: lc.frame(t, syn), link: lc.link, ts: 42, iface: 1}
			if r := d.decode(&rec, &seg); r != resultTCP {
				t.Fatalf("decode: result %d, want TCP", r)
			}
			if seg.Src.IP() != c.c.Addr() || seg.Dst.IP() != c.s.Addr() || seg.SrcPort != 40000 || seg.DstPort != 80 {
				t.Errorf("endpoints %v:%d -> %v:%d", seg.Src.IP(), seg.SrcPort, seg.Dst.IP(), seg.DstPort)
			}
			if seg.Seq != 1000 || seg.Flags != FlagSYN || seg.Opts.MSS != 1460 || seg.Opts.TSval != 100000 || seg.Opts.WScale != 7 {
				t.Errorf("segment seq %d flags %#x opts %+v", seg.Seq, seg.Flags, seg.Opts)
			}
			if seg.Time != 42 || seg.Iface != 1 || seg.ChecksumBad || seg.OptionsCut || seg.PayloadLen != 0 {
				t.Errorf("time %d iface %d badsum %v cut %v payload %d", seg.Time, seg.Iface, seg.ChecksumBad, seg.OptionsCut, seg.PayloadLen)
			}
			if lc.ip == nil && seg.TTL != 57 {
				t.Errorf("TTL %d, want the inner header's 57", seg.TTL)
			}
			if seg.Tunneled != lc.tunneled {
				t.Errorf("Tunneled %v, want %v", seg.Tunneled, lc.tunneled)
			}
			wantDir := DirUnknown
			if lc.dirs {
				wantDir = DirIncoming
			}
			if seg.Dir != wantDir {
				t.Errorf("SYN direction %d, want %d", seg.Dir, wantDir)
			}
			rec.data = lc.frame(t, sa)
			if r := d.decode(&rec, &seg); r != resultTCP || seg.Flags != FlagSYN|FlagACK {
				t.Fatalf("SYN-ACK: result %d flags %#x", r, seg.Flags)
			}
			if lc.dirs && seg.Dir != DirOutgoing {
				t.Errorf("SYN-ACK direction %d, want outgoing", seg.Dir)
			}
		})
	}
}

func TestLinkTypesRead(t *testing.T) {
	for _, lc := range linkCases() {
		t.Run(lc.name, func(t *testing.T) {
			c := linkConn(lc.v6)
			segs := append(c.handshake(0), c.data(3*ms, 100), c.sdata(4*ms, 100))
			var frames []frame
			for _, s := range segs {
				frames = append(frames, frame{ts: base.Add(s.at), data: lc.frame(t, s)})
			}
			cp, atts := readBytes(t, handPcap(binary.LittleEndian, false, uint32(lc.link), 65535, frames))
			a := onlyAttempt(t, atts)
			wantOutcome(t, a, Established, false)
			if a.Client != c.c || a.Server != c.s {
				t.Errorf("attempt %v -> %v", a.Client, a.Server)
			}
			if cp.TCP != 5 || len(cp.LinkTypes) != 1 || cp.LinkTypes[0] != lc.link {
				t.Errorf("TCP %d link types %v", cp.TCP, cp.LinkTypes)
			}
		})
	}
}

// Direction from cooked captures: a SYN seen in promiscuous mode is for
// another host, and the checksum of a SYN the capturing host sent is not
// judged (the NIC fills it in after the capture point).
func TestCookedCaptureDirection(t *testing.T) {
	c := linkConn(false)
	bad := c.syn(0)
	bad.badSum = true
	var d decoder
	var seg Segment
	for _, tc := range []struct {
		pkttype byte
		dir     Direction
		judged  bool
	}{
		{0, DirIncoming, true},  // PACKET_HOST
		{1, DirIncoming, true},  // PACKET_BROADCAST
		{3, DirOtherHost, true}, // PACKET_OTHERHOST
		{4, DirOutgoing, false}, // PACKET_OUTGOING
		{7, DirUnknown, true},
	} {
		ip := bad.ipPacket(t)
		for _, rec := range []record{
			{data: append(sll2Header(tc.pkttype, ipProto(ip)), ip...), link: LinkLinuxSLL2},
			{data: append(sllHeader(uint16(tc.pkttype), ipProto(ip)), ip...), link: LinkLinuxSLL},
		} {
			if r := d.decode(&rec, &seg); r != resultTCP {
				t.Fatalf("pkttype %d: result %d", tc.pkttype, r)
			}
			if seg.Dir != tc.dir || seg.ChecksumBad != tc.judged {
				t.Errorf("%v pkttype %d: dir %d checksumBad %v, want %d %v", rec.link, tc.pkttype, seg.Dir, seg.ChecksumBad, tc.dir, tc.judged)
			}
		}
	}
	// Through the tracker: a SYN for another host sets OtherHost.
	syn := c.syn(0)
	ip := syn.ipPacket(t)
	frames := []frame{{ts: base, data: append(sll2Header(3, ipProto(ip)), ip...)}}
	_, atts := readBytes(t, handPcap(binary.LittleEndian, false, uint32(LinkLinuxSLL2), 65535, frames))
	if a := onlyAttempt(t, atts); !a.OtherHost {
		t.Errorf("OtherHost not set for a PACKET_OTHERHOST SYN")
	}
}

func TestFragmentsAndNonTCP(t *testing.T) {
	c := linkConn(false)
	s := c.syn(0)
	// IPv4 fragment at offset 185*8 bytes: it has no TCP header.
	frag := serialize(t, make([]byte, 64), &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, FragOffset: 185,
		SrcIP: c.c.Addr().AsSlice(), DstIP: c.s.Addr().AsSlice()})
	// IPv6 fragment header with offset 8 (in 8-byte units): also not first.
	frag6 := ipWrap(t, netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2"), 64, layers.IPProtocolIPv6Fragment, nil,
		append([]byte{6, 0, 0, 8 << 3, 0, 0, 0, 1}, make([]byte, 32)...))
	udp := func() []byte {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: outerSrc.AsSlice(), DstIP: outerDst.AsSlice()}
		u := &layers.UDP{SrcPort: 53, DstPort: 53}
		_ = u.SetNetworkLayerForChecksum(ip)
		return serialize(t, []byte("dns?"), ip, u)
	}()
	arp := serialize(t, nil, &layers.Ethernet{SrcMAC: macClient, DstMAC: macServer, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: 1, SourceHwAddress: macClient, SourceProtAddress: []byte{10, 0, 0, 1}, DstHwAddress: make([]byte, 6), DstProtAddress: []byte{10, 0, 0, 2}})
	shortTCP := ether(t, s.ipPacket(t))[:14+20+12]
	badOffset := ether(t, s.ipPacket(t))
	badOffset[14+20+12] = 0x30 // TCP data offset 3 words: below the minimum of 5
	frames := []frame{
		{ts: base, data: ether(t, frag)},
		{ts: base, data: ether(t, frag6)},
		{ts: base, data: ether(t, udp)},
		{ts: base, data: arp},
		{ts: base, data: shortTCP},
		{ts: base, data: badOffset},
		{ts: base, data: append([]byte{0xde, 0xad}, make([]byte, 60)...)},
	}
	data := handPcap(binary.LittleEndian, false, 1, 65535, frames)
	data = append(data, handPcap(binary.LittleEndian, false, 147, 65535, []frame{{ts: base, data: []byte{1, 2, 3}}})[24:]...)
	cp, atts := readBytes(t, data)
	if len(atts) != 0 {
		t.Errorf("%d attempts", len(atts))
	}
	// The last Ethernet frame's type field is 0x0000, an 802.3 length,
	// without LLC/SNAP: not IP. The record appended from the second file
	// is still link type 1 (a pcap has one link type), 3 bytes: truncated.
	if cp.Fragments != 2 || cp.NotTCP != 1 || cp.NotIP != 2 || cp.Truncated != 2 || cp.Malformed != 1 || cp.TCP != 0 || cp.Packets != 8 {
		t.Errorf("fragments %d notTCP %d notIP %d truncated %d malformed %d tcp %d packets %d",
			cp.Fragments, cp.NotTCP, cp.NotIP, cp.Truncated, cp.Malformed, cp.TCP, cp.Packets)
	}
	if countWarnings(cp, "malformed") != 1 || countWarnings(cp, "cut by the snapshot length before the end of their TCP header") != 1 {
		t.Errorf("warnings %q", cp.Warnings)
	}
	// A link type neither decoder knows.
	var d decoder
	var seg Segment
	if r := d.decode(&record{data: s.ipPacket(t), link: 147}, &seg); r != resultUnknownLink {
		t.Errorf("link 147: result %d, want unknown link", r)
	}
	if r := d.decode(&record{data: s.ipPacket(t), link: 4000}, &seg); r != resultUnknownLink {
		t.Errorf("link 4000: result %d, want unknown link", r)
	}
	cp, _ = readBytes(t, handPcap(binary.LittleEndian, false, 147, 65535, []frame{{ts: base, data: s.ipPacket(t)}}))
	if cp.UnknownLink != 1 || countWarnings(cp, "link type halfopen cannot decode") != 1 {
		t.Errorf("unknown link %d warnings %q", cp.UnknownLink, cp.Warnings)
	}
}

func TestMoreEncapsulations(t *testing.T) {
	eth := func(typ layers.EthernetType) *layers.Ethernet {
		return &layers.Ethernet{SrcMAC: macClient, DstMAC: macServer, EthernetType: typ}
	}
	greOuter := func(t testing.TB, proto layers.EthernetType, seq bool, payload []byte) []byte {
		gre := serialize(t, payload, &layers.GRE{Protocol: proto, SeqPresent: seq, Seq: 9})
		return ether(t, ipWrap(t, outerSrc, outerDst, 64, layers.IPProtocolGRE, nil, gre))
	}
	cases := []linkCase{
		{name: "ERSPAN-II", link: LinkEthernet, tunneled: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			hdr := []byte{0x10, 0x64, 0x00, 0x01, 0, 0, 0, 0} // version 1, VLAN 100, session 1
			return greOuter(t, 0x88be, true, append(hdr, ether(t, ip)...))
		}},
		{name: "ERSPAN-III", link: LinkEthernet, tunneled: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			hdr := []byte{0x20, 0x64, 0x00, 0x01, 0, 0, 0, 42, 0, 0, 0, 0} // version 2, timestamp 42, no subheader
			return greOuter(t, 0x22eb, true, append(hdr, ether(t, ip)...))
		}},
		{name: "ERSPAN-III-subheader", link: LinkEthernet, tunneled: true, v6: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			hdr := []byte{0x20, 0x64, 0x00, 0x01, 0, 0, 0, 42, 0, 0, 0, 1} // O bit: 8-byte platform subheader follows
			hdr = append(hdr, 0, 0, 0, 0, 0, 0, 0, 0)
			return greOuter(t, 0x22eb, true, append(hdr, ether(t, ip)...))
		}},
		{name: "MPLS-ipv6", link: LinkEthernet, v6: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			return serialize(t, ip, eth(layers.EthernetTypeMPLSUnicast), &layers.MPLS{Label: 5, StackBottom: true, TTL: 64})
		}},
		{name: "Geneve-ipv4-payload", link: LinkEthernet, tunneled: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			gv := []byte{0x00, 0, 0x08, 0x00, 0, 0, 42, 0} // protocol IPv4: no inner Ethernet
			ipo := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: outerSrc.AsSlice(), DstIP: outerDst.AsSlice()}
			udp := &layers.UDP{SrcPort: 50000, DstPort: 6081}
			_ = udp.SetNetworkLayerForChecksum(ipo)
			return serialize(t, append(gv, ip...), eth(layers.EthernetTypeIPv4), ipo, udp)
		}},
		{name: "nflog-ipv6-big-endian", link: LinkNFLog, v6: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			f := []byte{10, 0, 0, 1} // AF_INET6; TLVs in a big-endian host's order
			f = binary.BigEndian.AppendUint16(f, uint16(4+len(ip)))
			f = binary.BigEndian.AppendUint16(f, 9)
			return append(f, ip...)
		}},
		{name: "ipoib-bare", link: LinkIPoIB, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			return append([]byte{0x08, 0x00, 0, 0}, ip...) // RFC 4391 encapsulation header only
		}},
		{name: "sll-vlan", link: LinkLinuxSLL, dirs: true, wrap: func(t testing.TB, s tseg, ip []byte) []byte {
			h := sllHeader(uint16(serverSide(s)), 0x8100)
			h = append(h, 0x00, 0x64)
			h = binary.BigEndian.AppendUint16(h, ipProto(ip))
			return append(h, ip...)
		}},
	}
	for _, lc := range cases {
		t.Run(lc.name, func(t *testing.T) {
			c := linkConn(lc.v6)
			var d decoder
			var seg Segment
			rec := record{data: lc.frame(t, c.syn(0)), link: lc.link}
			if r := d.decode(&rec, &seg); r != resultTCP {
				t.Fatalf("result %d", r)
			}
			if seg.Src.IP() != c.c.Addr() || seg.DstPort != 80 || seg.Flags != FlagSYN || seg.Tunneled != lc.tunneled || seg.ChecksumBad {
				t.Errorf("segment %v:%d -> %v:%d flags %#x tunneled %v badsum %v", seg.Src.IP(), seg.SrcPort, seg.Dst.IP(), seg.DstPort, seg.Flags, seg.Tunneled, seg.ChecksumBad)
			}
		})
	}
	// Garbage after the outer headers is not TCP and not a crash.
	for _, frame := range [][]byte{
		greOuter(t, 0x88be, true, []byte{1, 2}),
		greOuter(t, 0x22eb, false, []byte{1, 2, 3}),
		greOuter(t, 0x9999, false, nil),
		ether(t, ipWrap(t, outerSrc, outerDst, 64, layers.IPProtocolGRE, nil, []byte{0, 1, 8, 0})), // GRE version 1
	} {
		var d decoder
		var seg Segment
		if r := d.decode(&record{data: frame, link: LinkEthernet}, &seg); r != resultNotTCP {
			t.Errorf("bad tunnel payload: result %d, want not TCP", r)
		}
	}
}

// Link types decoded through gopacket hand back the IP packet. gopacket
// strips an IPv6 hop-by-hop header from the IPv6 layer's payload, so the
// header and the payload are not contiguous: gluing them back together in
// place wrote over the record, and the packet lost its hop-by-hop header
// while the next-header field still announced one.
func TestFallbackIPv6HopByHop(t *testing.T) {
	c := linkConn(true)
	s := c.syn(0)
	hbh := []byte{6, 0, 1, 4, 0, 0, 0, 0} // next TCP, PadN
	ip := ipWrap(t, c.c.Addr(), c.s.Addr(), 64, layers.IPProtocolIPv6HopByHop, nil, append(hbh, s.tcpBytes(t)...))
	for _, link := range []LinkType{9} { // PPP
		frame := serialize(t, ip, &layers.PPP{PPPType: layers.PPPTypeIPv6, HasPPTPHeader: true})
		orig := bytes.Clone(frame)
		var d decoder
		var seg Segment
		r := d.decode(&record{data: frame, link: link}, &seg)
		if !bytes.Equal(frame, orig) {
			t.Errorf("link %v: decode wrote into the record", link)
		}
		if r != resultTCP || seg.Seq != 1000 || seg.Flags != FlagSYN || seg.Opts.MSS != 1460 || seg.ChecksumBad {
			t.Errorf("link %v: result %d seq %d flags %#x mss %d badsum %v", link, r, seg.Seq, seg.Flags, seg.Opts.MSS, seg.ChecksumBad)
		}
	}
}
