// Package flowstest crafts packet captures for tests, benchmarks and the
// capture generator: TCP segments over Ethernet, Linux cooked v1/v2 or raw
// IP, written as pcap or pcapng. Captures made with it are synthetic: say
// so wherever they stand in for a real kernel's behaviour.
package flowstest

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sort"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/halfopen/halfopen/flows"
)

// Packet is one TCP segment to craft.
type Packet struct {
	Time     time.Time
	Src, Dst netip.AddrPort
	Flags    uint16 // flows.FlagSYN | flows.FlagACK ...
	Seq, Ack uint32
	Window   uint16
	Payload  int    // payload bytes (zeros)
	MSS      uint16 // 0: no MSS option
	WScale   int    // <0: no window-scale option
	SACKPerm bool
	TS       bool // timestamp option with TSval/TSecr
	TSval    uint32
	TSecr    uint32
	TTL      uint8 // 64 when zero
	VLAN     uint16
	Outgoing bool // Linux cooked captures: PACKET_OUTGOING instead of PACKET_HOST
}

// Link types Capture can write.
const (
	Ethernet = flows.LinkEthernet
	SLL      = flows.LinkLinuxSLL
	SLL2     = flows.LinkLinuxSLL2
	RawIP    = flows.LinkRaw
)

// Capture is a list of packets and how to write them.
type Capture struct {
	Link    flows.LinkType
	Nanos   bool // pcap with nanosecond timestamps
	Snaplen int  // cut frames to this many bytes (0: 262144)
	Packets []Packet
	// KeepOrder writes packets in the order added; by default they are
	// written in time order, as a capture would hold them.
	KeepOrder bool
}

// ordered returns the packets in the order to write them.
func (c *Capture) ordered() []Packet {
	if c.KeepOrder {
		return c.Packets
	}
	ps := append([]Packet{}, c.Packets...)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Time.Before(ps[j].Time) })
	return ps
}

// Add appends packets.
func (c *Capture) Add(p ...Packet) { c.Packets = append(c.Packets, p...) }

var (
	macClient = net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
	macServer = net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
)

// Frame serialises p for link type link.
func Frame(p Packet, link flows.LinkType) ([]byte, error) {
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(p.Src.Port()), DstPort: layers.TCPPort(p.Dst.Port()),
		Seq: p.Seq, Ack: p.Ack, Window: p.Window,
		FIN: p.Flags&flows.FlagFIN != 0, SYN: p.Flags&flows.FlagSYN != 0, RST: p.Flags&flows.FlagRST != 0,
		PSH: p.Flags&flows.FlagPSH != 0, ACK: p.Flags&flows.FlagACK != 0, URG: p.Flags&flows.FlagURG != 0,
		ECE: p.Flags&flows.FlagECE != 0, CWR: p.Flags&flows.FlagCWR != 0, NS: p.Flags&flows.FlagAE != 0,
	}
	if p.Window == 0 {
		tcp.Window = 64240
	}
	if p.MSS != 0 {
		tcp.Options = append(tcp.Options, layers.TCPOption{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: be16(p.MSS)})
	}
	if p.SACKPerm {
		tcp.Options = append(tcp.Options, layers.TCPOption{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2})
	}
	if p.TS {
		d := make([]byte, 8)
		binary.BigEndian.PutUint32(d, p.TSval)
		binary.BigEndian.PutUint32(d[4:], p.TSecr)
		tcp.Options = append(tcp.Options, layers.TCPOption{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: d})
	}
	if p.WScale >= 0 && (p.MSS != 0 || p.SACKPerm || p.TS) && p.Flags&flows.FlagSYN != 0 {
		tcp.Options = append(tcp.Options,
			layers.TCPOption{OptionType: layers.TCPOptionKindNop},
			layers.TCPOption{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{byte(p.WScale)}})
	}
	ttl := p.TTL
	if ttl == 0 {
		ttl = 64
	}
	var ip gopacket.NetworkLayer
	ethType := layers.EthernetTypeIPv4
	if p.Src.Addr().Is4() {
		ip4 := &layers.IPv4{Version: 4, TTL: ttl, Protocol: layers.IPProtocolTCP, SrcIP: p.Src.Addr().AsSlice(), DstIP: p.Dst.Addr().AsSlice(), Flags: layers.IPv4DontFragment}
		ip = ip4
	} else {
		ethType = layers.EthernetTypeIPv6
		ip = &layers.IPv6{Version: 6, HopLimit: ttl, NextHeader: layers.IPProtocolTCP, SrcIP: p.Src.Addr().AsSlice(), DstIP: p.Dst.Addr().AsSlice()}
	}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		return nil, err
	}
	var stack []gopacket.SerializableLayer
	switch link {
	case flows.LinkEthernet:
		src, dst := macClient, macServer
		if p.Outgoing {
			src, dst = dst, src
		}
		eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: ethType}
		if p.VLAN != 0 {
			eth.EthernetType = layers.EthernetTypeDot1Q
			stack = append(stack, eth, &layers.Dot1Q{VLANIdentifier: p.VLAN, Type: ethType})
		} else {
			stack = append(stack, eth)
		}
	case flows.LinkLinuxSLL, flows.LinkLinuxSLL2, flows.LinkRaw:
	default:
		return nil, fmt.Errorf("flowstest: cannot write link type %s", link)
	}
	stack = append(stack, ip.(gopacket.SerializableLayer), tcp, gopacket.Payload(make([]byte, p.Payload)))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, stack...); err != nil {
		return nil, err
	}
	body := buf.Bytes()
	switch link {
	case flows.LinkLinuxSLL:
		return append(sllHeader(p, uint16(ethType)), body...), nil
	case flows.LinkLinuxSLL2:
		return append(sll2Header(p, uint16(ethType)), body...), nil
	}
	return body, nil
}

func be16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

func pktType(p Packet) uint16 {
	if p.Outgoing {
		return 4
	}
	return 0
}

// sllHeader is the 16-byte Linux cooked v1 header.
func sllHeader(p Packet, proto uint16) []byte {
	h := make([]byte, 16)
	binary.BigEndian.PutUint16(h, pktType(p))
	binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(h[4:], 6)
	copy(h[6:], macClient)
	binary.BigEndian.PutUint16(h[14:], proto)
	return h
}

// sll2Header is the 20-byte Linux cooked v2 header (LINKTYPE_LINUX_SLL2).
func sll2Header(p Packet, proto uint16) []byte {
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h, proto)
	binary.BigEndian.PutUint32(h[4:], 2) // interface index
	binary.BigEndian.PutUint16(h[8:], 1) // ARPHRD_ETHER
	h[10] = byte(pktType(p))
	h[11] = 6
	copy(h[12:], macClient)
	return h
}

// WritePcap writes the capture as classic pcap.
func (c *Capture) WritePcap(w io.Writer) error {
	snap := c.snaplen()
	if c.Link > 255 {
		return c.writePcapByHand(w, snap)
	}
	pw := pcapgo.NewWriter(w)
	if c.Nanos {
		pw = pcapgo.NewWriterNanos(w)
	}
	if err := pw.WriteFileHeader(uint32(snap), layers.LinkType(c.Link)); err != nil {
		return err
	}
	for _, p := range c.ordered() {
		data, err := Frame(p, c.Link)
		if err != nil {
			return err
		}
		ci := gopacket.CaptureInfo{Timestamp: p.Time, Length: len(data), CaptureLength: min(len(data), snap)}
		if err := pw.WritePacket(ci, data[:ci.CaptureLength]); err != nil {
			return err
		}
	}
	return nil
}

// writePcapByHand writes pcap for link types gopacket's uint8 LinkType
// cannot name (LINKTYPE_LINUX_SLL2 is 276).
func (c *Capture) writePcapByHand(w io.Writer, snap int) error {
	h := make([]byte, 24)
	magic := uint32(0xa1b2c3d4)
	if c.Nanos {
		magic = 0xa1b23c4d
	}
	binary.LittleEndian.PutUint32(h, magic)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], uint32(snap))
	binary.LittleEndian.PutUint32(h[20:], uint32(c.Link))
	if _, err := w.Write(h); err != nil {
		return err
	}
	for _, p := range c.ordered() {
		data, err := Frame(p, c.Link)
		if err != nil {
			return err
		}
		n := min(len(data), snap)
		rh := make([]byte, 16)
		binary.LittleEndian.PutUint32(rh, uint32(p.Time.Unix()))
		frac := p.Time.Nanosecond() / 1000
		if c.Nanos {
			frac = p.Time.Nanosecond()
		}
		binary.LittleEndian.PutUint32(rh[4:], uint32(frac))
		binary.LittleEndian.PutUint32(rh[8:], uint32(n))
		binary.LittleEndian.PutUint32(rh[12:], uint32(len(data)))
		if _, err := w.Write(append(rh, data[:n]...)); err != nil {
			return err
		}
	}
	return nil
}

// WritePcapng writes the capture as pcapng with one interface.
func (c *Capture) WritePcapng(w io.Writer) error {
	if c.Link > 255 {
		return fmt.Errorf("flowstest: pcapng writing of link type %s is not supported", c.Link)
	}
	snap := c.snaplen()
	nw, err := pcapgo.NewNgWriterInterface(w, pcapgo.NgInterface{LinkType: layers.LinkType(c.Link), SnapLength: uint32(snap), TimestampResolution: 9}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		return err
	}
	for _, p := range c.ordered() {
		data, err := Frame(p, c.Link)
		if err != nil {
			return err
		}
		ci := gopacket.CaptureInfo{Timestamp: p.Time, Length: len(data), CaptureLength: min(len(data), snap)}
		if err := nw.WritePacket(ci, data[:ci.CaptureLength]); err != nil {
			return err
		}
	}
	return nw.Flush()
}

func (c *Capture) snaplen() int {
	if c.Snaplen > 0 {
		return c.Snaplen
	}
	return 262144
}
