package flows

// Test helpers: locating the public corpus, crafting TCP segments with
// gopacket, wrapping them in link layers and writing pcap/pcapng files.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

const ms = time.Millisecond

// base is the wall-clock time of every crafted capture's first packet.
var base = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// ---- locating the public corpus ----

// moduleRoot walks up from the test's working directory to the directory
// holding go.mod.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's working directory")
		}
		dir = parent
	}
}

// corpusDir returns the public capture corpus, or skips the test when it is
// absent. The corpus lives outside the repository (../shared/corpus/public
// next to the module root) and is never copied into it; HALFOPEN_CORPUS
// overrides the location.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("HALFOPEN_CORPUS")
	if dir == "" {
		dir = filepath.Join(moduleRoot(t), "..", "shared", "corpus", "public")
	}
	if _, err := os.Stat(filepath.Join(dir, "expected.tsv")); err != nil {
		t.Skipf("public capture corpus not found at %s (it lives outside the repository and is never copied in; set HALFOPEN_CORPUS to its folder): %v", dir, err)
	}
	return dir
}

// ---- reading ----

// readBytes reads a capture from memory and returns the capture and a copy
// of every emitted attempt.
func readBytes(t testing.TB, data []byte) (*Capture, []Attempt) {
	t.Helper()
	var atts []Attempt
	c, err := Read(bytes.NewReader(data), "test", Options{}, func(a *Attempt) { atts = append(atts, *a) })
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return c, atts
}

// onlyAttempt asserts there is exactly one attempt and returns it.
func onlyAttempt(t testing.TB, atts []Attempt) Attempt {
	t.Helper()
	if len(atts) != 1 {
		for _, a := range atts {
			t.Logf("attempt %s -> %s isn %d outcome %s", a.Client, a.Server, a.ISN, a.Outcome)
		}
		t.Fatalf("got %d attempts, want 1", len(atts))
	}
	return atts[0]
}

var offsetRE = regexp.MustCompile(`\(at byte (\d+)\)`)

// warningOffset returns the byte offset the first warning containing sub
// names, or -1.
func warningOffset(c *Capture, sub string) int64 {
	for _, w := range c.Warnings {
		if !strings.Contains(w, sub) {
			continue
		}
		if m := offsetRE.FindStringSubmatch(w); m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			return n
		}
	}
	return -1
}

func countWarnings(c *Capture, sub string) int {
	n := 0
	for _, w := range c.Warnings {
		if strings.Contains(w, sub) {
			n++
		}
	}
	return n
}

func wantFormatError(t testing.TB, err error) *FormatError {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T), want *FormatError", err, err)
	}
	if strings.ContainsAny(fe.Error(), "\r\n") {
		t.Errorf("FormatError is not one line: %q", fe.Error())
	}
	return fe
}

// ---- crafting TCP segments ----

// tseg is one TCP segment to craft.
type tseg struct {
	at         time.Duration // since base
	src, dst   netip.AddrPort
	flags      uint16 // Flag* bits
	seq, ack   uint32
	payload    int
	window     uint16
	ttl        uint8
	synOpts    bool   // MSS 1460, SACK-permitted, TS, NOP, WS 7 (Linux's SYN layout)
	ts         bool   // TS option (alone unless synOpts)
	tsval      uint32 // when ts or synOpts
	tsecr      uint32
	badSum     bool // corrupt the TCP checksum after computing it
	ipOptions  []byte
	tcpOptions []layers.TCPOption // extra options, replacing the defaults
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// tcpLayer builds the gopacket TCP layer for s.
func (s tseg) tcpLayer() *layers.TCP {
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(s.src.Port()),
		DstPort: layers.TCPPort(s.dst.Port()),
		Seq:     s.seq,
		Ack:     s.ack,
		Window:  s.window,
		FIN:     s.flags&FlagFIN != 0,
		SYN:     s.flags&FlagSYN != 0,
		RST:     s.flags&FlagRST != 0,
		PSH:     s.flags&FlagPSH != 0,
		ACK:     s.flags&FlagACK != 0,
		URG:     s.flags&FlagURG != 0,
		ECE:     s.flags&FlagECE != 0,
		CWR:     s.flags&FlagCWR != 0,
		NS:      s.flags&FlagAE != 0,
	}
	if tcp.Window == 0 {
		tcp.Window = 64240
	}
	tsOpt := func() layers.TCPOption {
		v := make([]byte, 8)
		binary.BigEndian.PutUint32(v, s.tsval)
		binary.BigEndian.PutUint32(v[4:], s.tsecr)
		return layers.TCPOption{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: v}
	}
	switch {
	case s.tcpOptions != nil:
		tcp.Options = s.tcpOptions
	case s.synOpts:
		tcp.Options = []layers.TCPOption{
			{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}},
			{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
			tsOpt(),
			{OptionType: layers.TCPOptionKindNop, OptionLength: 1},
			{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}},
		}
	case s.ts:
		tcp.Options = []layers.TCPOption{
			{OptionType: layers.TCPOptionKindNop, OptionLength: 1},
			{OptionType: layers.TCPOptionKindNop, OptionLength: 1},
			tsOpt(),
		}
	}
	return tcp
}

var serOpts = gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}

// tcpBytes serialises the TCP header and payload of s with a correct
// checksum for its addresses (the pseudo-header does not depend on IPv6
// extension headers without a routing header).
func (s tseg) tcpBytes(t testing.TB) []byte {
	t.Helper()
	tcp := s.tcpLayer()
	var nl gopacket.NetworkLayer
	if s.src.Addr().Is4() {
		nl = &layers.IPv4{SrcIP: net.IP(s.src.Addr().AsSlice()), DstIP: net.IP(s.dst.Addr().AsSlice()), Protocol: layers.IPProtocolTCP}
	} else {
		nl = &layers.IPv6{SrcIP: net.IP(s.src.Addr().AsSlice()), DstIP: net.IP(s.dst.Addr().AsSlice()), NextHeader: layers.IPProtocolTCP}
	}
	if err := tcp.SetNetworkLayerForChecksum(nl); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, serOpts, tcp, gopacket.Payload(make([]byte, s.payload))); err != nil {
		t.Fatal(err)
	}
	b := append([]byte(nil), buf.Bytes()...)
	if s.badSum {
		b[16] ^= 0x5a
	}
	return b
}

// ipPacket returns the IPv4 or IPv6 packet carrying s.
func (s tseg) ipPacket(t testing.TB) []byte {
	t.Helper()
	return ipWrap(t, s.src.Addr(), s.dst.Addr(), s.ttl, layers.IPProtocolTCP, s.ipOptions, s.tcpBytes(t))
}

// ipWrap puts payload in an IPv4 or IPv6 header of protocol proto.
func ipWrap(t testing.TB, src, dst netip.Addr, ttl uint8, proto layers.IPProtocol, ipOptions []byte, payload []byte) []byte {
	t.Helper()
	if ttl == 0 {
		ttl = 64
	}
	buf := gopacket.NewSerializeBuffer()
	var err error
	if src.Is4() {
		ip := &layers.IPv4{Version: 4, TTL: ttl, Protocol: proto, Flags: layers.IPv4DontFragment, Id: 0x1234,
			SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice())}
		if ipOptions != nil {
			ip.Options = []layers.IPv4Option{{OptionType: ipOptions[0], OptionLength: uint8(len(ipOptions)), OptionData: ipOptions[2:]}}
		}
		err = gopacket.SerializeLayers(buf, serOpts, ip, gopacket.Payload(payload))
	} else {
		ip := &layers.IPv6{Version: 6, HopLimit: ttl, NextHeader: proto, SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice())}
		err = gopacket.SerializeLayers(buf, serOpts, ip, gopacket.Payload(payload))
	}
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

var (
	macClient = net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	macServer = net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
)

func etherTypeOf(ip []byte) layers.EthernetType {
	if ip[0]>>4 == 6 {
		return layers.EthernetTypeIPv6
	}
	return layers.EthernetTypeIPv4
}

// serialize runs gopacket's serialiser over ls, ending with a raw payload.
func serialize(t testing.TB, payload []byte, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, serOpts, append(ls, gopacket.Payload(payload))...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// ether wraps an IP packet in Ethernet II.
func ether(t testing.TB, ip []byte) []byte {
	return serialize(t, ip, &layers.Ethernet{SrcMAC: macClient, DstMAC: macServer, EthernetType: etherTypeOf(ip)})
}

// ---- conversations ----

// conn crafts the segments of one TCP connection, keeping sequence numbers
// consistent. Client and server TSvals advance one per millisecond.
type conn struct {
	c, s         netip.AddrPort
	isn, sisn    uint32
	csent, ssent uint32 // payload bytes (and FINs) sent after the SYN
	ts           bool
	cts0, sts0   uint32
}

func newConn(client, server string, isn, sisn uint32) *conn {
	return &conn{c: ap(client), s: ap(server), isn: isn, sisn: sisn, ts: true, cts0: 100000, sts0: 7000000}
}

func (c *conn) ctsval(at time.Duration) uint32 { return c.cts0 + uint32(at/ms) }
func (c *conn) ststval(at time.Duration) uint32 {
	return c.sts0 + uint32(at/ms)
}

func (c *conn) fromClient(at time.Duration, flags uint16, payload int) tseg {
	s := tseg{at: at, src: c.c, dst: c.s, flags: flags, seq: c.isn + 1 + c.csent, ack: c.sisn + 1 + c.ssent, payload: payload,
		ts: c.ts, tsval: c.ctsval(at), tsecr: c.ststval(at)}
	c.csent += uint32(payload)
	if flags&FlagFIN != 0 {
		c.csent++
	}
	return s
}

func (c *conn) fromServer(at time.Duration, flags uint16, payload int) tseg {
	s := tseg{at: at, src: c.s, dst: c.c, flags: flags, seq: c.sisn + 1 + c.ssent, ack: c.isn + 1 + c.csent, payload: payload,
		ts: c.ts, tsval: c.ststval(at), tsecr: c.ctsval(at)}
	c.ssent += uint32(payload)
	if flags&FlagFIN != 0 {
		c.ssent++
	}
	return s
}

// syn is the client's SYN (or a retransmit of it: same ISN).
func (c *conn) syn(at time.Duration) tseg {
	return tseg{at: at, src: c.c, dst: c.s, flags: FlagSYN, seq: c.isn, synOpts: c.ts, tsval: c.ctsval(at)}
}

// synack is the server's SYN-ACK.
func (c *conn) synack(at time.Duration) tseg {
	return tseg{at: at, src: c.s, dst: c.c, flags: FlagSYN | FlagACK, seq: c.sisn, ack: c.isn + 1, synOpts: c.ts,
		tsval: c.ststval(at), tsecr: c.ctsval(0)}
}

func (c *conn) ack(at time.Duration) tseg          { return c.fromClient(at, FlagACK, 0) }
func (c *conn) data(at time.Duration, n int) tseg  { return c.fromClient(at, FlagACK|FlagPSH, n) }
func (c *conn) fin(at time.Duration) tseg          { return c.fromClient(at, FlagACK|FlagFIN, 0) }
func (c *conn) sack(at time.Duration) tseg         { return c.fromServer(at, FlagACK, 0) }
func (c *conn) sdata(at time.Duration, n int) tseg { return c.fromServer(at, FlagACK|FlagPSH, n) }
func (c *conn) sfin(at time.Duration) tseg         { return c.fromServer(at, FlagACK|FlagFIN, 0) }
func (c *conn) srst(at time.Duration) tseg {
	s := c.fromServer(at, FlagRST|FlagACK, 0)
	s.ts = false
	return s
}
func (c *conn) handshake(at time.Duration) []tseg { // SYN, SYN-ACK after 1 ms, ACK after 2 ms
	return []tseg{c.syn(at), c.synack(at + 1*ms), c.ack(at + 2*ms)}
}

// ---- frames and capture files ----

// binOrder is binary.LittleEndian or binary.BigEndian.
type binOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// frame is one record to write.
type frame struct {
	ts   time.Time
	data []byte
	orig int // original length; len(data) when 0
}

func (f frame) origLen() int {
	if f.orig > 0 {
		return f.orig
	}
	return len(f.data)
}

// etherFrames turns segments into Ethernet frames at base+at, in the order given.
func etherFrames(t testing.TB, segs []tseg) []frame {
	t.Helper()
	out := make([]frame, len(segs))
	for i, s := range segs {
		out[i] = frame{ts: base.Add(s.at), data: ether(t, s.ipPacket(t))}
	}
	return out
}

// pcapgoFile writes frames with gopacket's pcapgo writer (little-endian,
// microsecond or nanosecond).
func pcapgoFile(t testing.TB, link layers.LinkType, snaplen uint32, nanos bool, frames []frame) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if nanos {
		w = pcapgo.NewWriterNanos(&buf)
	}
	if err := w.WriteFileHeader(snaplen, link); err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		data := f.data
		if snaplen > 0 && len(data) > int(snaplen) {
			data = data[:snaplen]
		}
		ci := gopacket.CaptureInfo{Timestamp: f.ts, CaptureLength: len(data), Length: f.origLen()}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// capture writes segments as an Ethernet pcap (microseconds).
func capture(t testing.TB, segs ...tseg) []byte {
	t.Helper()
	return pcapgoFile(t, layers.LinkTypeEthernet, 65535, false, etherFrames(t, segs))
}

// handPcap writes a classic pcap by hand, for what pcapgo cannot write:
// big-endian files and link types above 255 (LINKTYPE_LINUX_SLL2).
func handPcap(order binOrder, nanos bool, link uint32, snaplen uint32, frames []frame) []byte {
	var b []byte
	magic := uint32(pcapMagicMicro)
	if nanos {
		magic = pcapMagicNano
	}
	b = order.AppendUint32(b, magic)
	b = order.AppendUint16(b, 2)
	b = order.AppendUint16(b, 4)
	b = order.AppendUint32(b, 0) // thiszone
	b = order.AppendUint32(b, 0) // sigfigs
	b = order.AppendUint32(b, snaplen)
	b = order.AppendUint32(b, link)
	for _, f := range frames {
		data := f.data
		if snaplen > 0 && len(data) > int(snaplen) {
			data = data[:snaplen]
		}
		frac := uint32(f.ts.Nanosecond() / 1000)
		if nanos {
			frac = uint32(f.ts.Nanosecond())
		}
		b = order.AppendUint32(b, uint32(f.ts.Unix()))
		b = order.AppendUint32(b, frac)
		b = order.AppendUint32(b, uint32(len(data)))
		b = order.AppendUint32(b, uint32(f.origLen()))
		b = append(b, data...)
	}
	return b
}

// ---- pcapng by hand ----

// ngBuilder writes pcapng blocks in either byte order, with interfaces
// of any link type and if_tsresol (pcapgo's writer fixes tsresol at 10^-9).
type ngBuilder struct {
	order binOrder
	b     []byte
	res   []byte // if_tsresol per interface
}

func newNg(order binOrder) *ngBuilder {
	g := &ngBuilder{order: order}
	body := order.AppendUint32(nil, ngByteOrderMagic)
	body = order.AppendUint16(body, 1)
	body = order.AppendUint16(body, 0)
	body = order.AppendUint64(body, ^uint64(0)) // section length unknown
	g.block(ngSectionHeader, body)
	return g
}

// block appends a block with the given type and body (padded to 4 bytes).
func (g *ngBuilder) block(typ uint32, body []byte) {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	g.b = g.order.AppendUint32(g.b, typ)
	g.b = g.order.AppendUint32(g.b, n)
	g.b = append(g.b, body...)
	g.b = g.order.AppendUint32(g.b, n)
}

// iface adds an interface; tsresol 0 means the default (10^-6), written as no option.
func (g *ngBuilder) iface(link uint16, snaplen uint32, tsresol byte) int {
	body := g.order.AppendUint16(nil, link)
	body = g.order.AppendUint16(body, 0)
	body = g.order.AppendUint32(body, snaplen)
	if tsresol != 0 {
		body = g.order.AppendUint16(body, ngOptIfTsresol)
		body = g.order.AppendUint16(body, 1)
		body = append(body, tsresol, 0, 0, 0)
		body = g.order.AppendUint16(body, 0) // opt_endofopt
		body = g.order.AppendUint16(body, 0)
	}
	g.block(ngInterface, body)
	g.res = append(g.res, tsresol)
	return len(g.res) - 1
}

// epbUnits writes an enhanced packet block with a raw timestamp in the
// interface's units.
func (g *ngBuilder) epbUnits(iface int, units uint64, data []byte, orig int) {
	body := g.order.AppendUint32(nil, uint32(iface))
	body = g.order.AppendUint32(body, uint32(units>>32))
	body = g.order.AppendUint32(body, uint32(units))
	body = g.order.AppendUint32(body, uint32(len(data)))
	body = g.order.AppendUint32(body, uint32(orig))
	body = append(body, data...)
	g.block(ngEnhancedPacket, body)
}

// epb writes a packet at time ts, converting to the interface's units.
func (g *ngBuilder) epb(iface int, ts time.Time, data []byte) {
	res := g.res[iface]
	var units uint64
	ns := uint64(ts.UnixNano())
	switch {
	case res == 0:
		units = ns / 1000
	case res&0x80 != 0:
		// units of 2^-exp seconds: whole seconds shifted, plus the fraction rounded down
		exp := res & 0x7f
		sec, frac := ns/1e9, ns%1e9
		units = sec<<exp | frac<<exp/1e9
	default:
		div := uint64(1)
		for range 9 - int(res) {
			div *= 10
		}
		units = ns / div
	}
	g.epbUnits(iface, units, data, len(data))
}
