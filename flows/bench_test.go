package flows

// Benchmarks: the decoder per packet, the tracker per segment (healthy
// traffic and a spoofed SYN flood), and reading a whole pcap from memory.

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"sort"
	"sync"
	"testing"
)

// benchFrames are typical frames for the decoder benchmarks.
func benchFrames(b testing.TB) []struct {
	name string
	rec  record
} {
	c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
	c6 := newConn("[2001:db8::1]:40000", "[2001:db8::2]:80", 1000, 5000)
	syn := c.syn(0)
	data6 := c6.data(0, 1200)
	sll2 := func(s tseg) []byte {
		ip := s.ipPacket(b)
		return append(sll2Header(serverSide(s), ipProto(ip)), ip...)
	}
	vlan := linkCases()[2] // 802.1Q
	return []struct {
		name string
		rec  record
	}{
		{"ethernet-ipv4-syn", record{data: ether(b, syn.ipPacket(b)), link: LinkEthernet}},
		{"ethernet-ipv6-data", record{data: ether(b, data6.ipPacket(b)), link: LinkEthernet}},
		{"vlan-ipv4-syn", record{data: vlan.frame(b, syn), link: LinkEthernet}},
		{"sll2-ipv4-syn", record{data: sll2(syn), link: LinkLinuxSLL2}},
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, f := range benchFrames(b) {
		b.Run(f.name, func(b *testing.B) {
			var d decoder
			var seg Segment
			rec := f.rec
			b.ReportAllocs()
			b.SetBytes(int64(len(rec.data)))
			for b.Loop() {
				if d.decode(&rec, &seg) != resultTCP {
					b.Fatal("not TCP")
				}
			}
		})
	}
}

// The fast path allocates nothing, whatever the link type or tunnel.
func TestDecodeZeroAllocs(t *testing.T) {
	for _, lc := range linkCases() {
		if lc.link == 9 { // PPP goes through gopacket, which allocates
			continue
		}
		c := linkConn(lc.v6)
		rec := record{data: lc.frame(t, c.syn(0)), link: lc.link}
		var d decoder
		var seg Segment
		if n := testing.AllocsPerRun(200, func() { d.decode(&rec, &seg) }); n != 0 {
			t.Errorf("%s: %.1f allocations per decode", lc.name, n)
		}
	}
}

// healthySegments is a synthetic, time-ordered stream of complete
// connections: one starts every 20 µs, each SYN, SYN-ACK, ACK, request,
// ACK, response, FIN, FIN, ACK over 800 µs (about 40 open at a time).
var healthySegments = sync.OnceValue(func() []Segment {
	const conns = 20000
	server := AddrOf(netip.MustParseAddr("10.0.0.1"))
	start := base.UnixNano()
	segs := make([]Segment, 0, conns*9)
	for i := range conns {
		client := AddrOf(netip.AddrFrom4([4]byte{10, 1 + byte(i>>16), byte(i >> 8), byte(i)}))
		cport := uint16(30000 + i%30000)
		t0 := start + int64(i)*20_000
		isn, sisn := uint32(i)*7919, uint32(i)*104729
		ts := TCPOptions{Has: OptTimestamp, TSval: uint32(i)}
		syn := ts
		syn.Has |= OptMSS | OptSACKPerm | OptWScale
		syn.MSS, syn.WScale = 1460, 7
		c2s := func(dt int64, flags uint16, seq, ack, n uint32, o TCPOptions) Segment {
			return Segment{Time: t0 + dt, Src: client, Dst: server, SrcPort: cport, DstPort: 443, Seq: seq, Ack: ack, Flags: flags, PayloadLen: n, Opts: o, Window: 502, TTL: 64}
		}
		s2c := func(dt int64, flags uint16, seq, ack, n uint32, o TCPOptions) Segment {
			return Segment{Time: t0 + dt, Src: server, Dst: client, SrcPort: 443, DstPort: cport, Seq: seq, Ack: ack, Flags: flags, PayloadLen: n, Opts: o, Window: 509, TTL: 64}
		}
		segs = append(segs,
			c2s(0, FlagSYN, isn, 0, 0, syn),
			s2c(100_000, FlagSYN|FlagACK, sisn, isn+1, 0, syn),
			c2s(200_000, FlagACK, isn+1, sisn+1, 0, ts),
			c2s(300_000, FlagACK|FlagPSH, isn+1, sisn+1, 200, ts),
			s2c(400_000, FlagACK, sisn+1, isn+201, 0, ts),
			s2c(500_000, FlagACK|FlagPSH, sisn+1, isn+201, 1000, ts),
			c2s(600_000, FlagACK|FlagFIN, isn+201, sisn+1001, 0, ts),
			s2c(700_000, FlagACK|FlagFIN, sisn+1001, isn+202, 0, ts),
			c2s(800_000, FlagACK, isn+202, sisn+1002, 0, ts),
		)
	}
	sort.SliceStable(segs, func(i, j int) bool { return segs[i].Time < segs[j].Time })
	return segs
})

func BenchmarkTrackerHealthy(b *testing.B) {
	segs := healthySegments()
	emitted := 0
	tr := NewTracker(func(*Attempt) { emitted++ })
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == len(segs) { // start over with a fresh tracker: time cannot go back
			b.StopTimer()
			tr.Finish()
			tr = NewTracker(func(*Attempt) { emitted++ })
			i = 0
			b.StartTimer()
		}
		tr.Add(&segs[i])
		i++
	}
	tr.Finish()
	if emitted == 0 {
		b.Fatal("no attempts")
	}
}

// BenchmarkTrackerFlood feeds spoofed SYNs from distinct sources, one
// every 20 µs (50000 a second); each waits 8 s for an answer, so about
// 400000 attempts are open once the flood is under way.
func BenchmarkTrackerFlood(b *testing.B) {
	server := AddrOf(netip.MustParseAddr("10.0.0.1"))
	start := base.UnixNano()
	tr := NewTracker(nil)
	seg := Segment{Dst: server, DstPort: 80, Flags: FlagSYN, Window: 512, TTL: 240}
	b.ReportAllocs()
	var n uint32
	for b.Loop() {
		seg.Time = start + int64(n)*20_000
		seg.Src = AddrOf(netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}))
		seg.SrcPort = uint16(n*2654435761>>16) | 1024
		seg.Seq = n * 2246822519
		tr.Add(&seg)
		n++
	}
	b.StopTimer()
	if open, _ := tr.Open(); n > 500000 && (open < 350000 || open > 470000) {
		b.Errorf("%d attempts open after %d SYNs, expected about 400000", open, n)
	}
}

var (
	benchPcapOnce sync.Once
	benchPcapData []byte
)

// benchPcap is an in-memory pcap of the first 50000 healthy segments
// above, as Ethernet frames with real IPv4/TCP headers (TS on every
// segment), built once.
func benchPcap(tb testing.TB) []byte {
	benchPcapOnce.Do(func() {
		var buf bytes.Buffer
		buf.Write(handPcap(binary.LittleEndian, false, 1, 65535, nil))
		for _, s := range healthySegments()[:50000] {
			ts := tseg{src: netip.AddrPortFrom(s.Src.IP(), s.SrcPort), dst: netip.AddrPortFrom(s.Dst.IP(), s.DstPort),
				flags: s.Flags, seq: s.Seq, ack: s.Ack, payload: int(s.PayloadLen), window: s.Window,
				synOpts: s.Flags&FlagSYN != 0, ts: true, tsval: s.Opts.TSval}
			frame := ether(tb, ts.ipPacket(tb))
			var h [16]byte
			binary.LittleEndian.PutUint32(h[0:], uint32(s.Time/1e9))
			binary.LittleEndian.PutUint32(h[4:], uint32(s.Time%1e9/1e3))
			binary.LittleEndian.PutUint32(h[8:], uint32(len(frame)))
			binary.LittleEndian.PutUint32(h[12:], uint32(len(frame)))
			buf.Write(h[:])
			buf.Write(frame)
		}
		benchPcapData = buf.Bytes()
	})
	return benchPcapData
}

func BenchmarkReadPcap(b *testing.B) {
	data := benchPcap(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var c *Capture
	for b.Loop() {
		var err error
		c, err = Read(bytes.NewReader(data), "bench", Options{}, func(*Attempt) {})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(c.Packets)*float64(b.N)/b.Elapsed().Seconds(), "packets/s")
	if c.Packets != 50000 || c.Stats.Attempts == 0 {
		b.Fatalf("packets %d attempts %d", c.Packets, c.Stats.Attempts)
	}
}

func BenchmarkReadPcapGzip(b *testing.B) {
	data := gzipBytes(b, benchPcap(b))
	b.SetBytes(int64(len(benchPcap(b)))) // MB/s of capture, not of compressed input
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data), "bench", Options{}, nil); err != nil {
			b.Fatal(err)
		}
	}
}
