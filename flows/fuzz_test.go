package flows

// Fuzz targets. Seeds: testdata/fuzz/Fuzz*/ (see testdata/fuzz/README;
// regenerate with HALFOPEN_WRITE_SEEDS=1 go test -run TestWriteFuzzSeeds)
// plus the crafted captures added below.

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket/layers"
)

// fuzzCaptures are small crafted captures covering every container path.
func fuzzCaptures(t testing.TB) map[string][]byte {
	c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
	frames := etherFrames(t, append(c.handshake(0), c.data(3*ms, 20), c.sdata(4*ms, 20), c.sfin(5*ms), c.fin(6*ms)))
	pcap := pcapgoFile(t, layers.LinkTypeEthernet, 65535, false, frames)
	r := newConn("10.0.0.5:40000", "10.0.0.2:80", 7, 9)
	retry := etherFrames(t, []tseg{r.syn(0), r.syn(time.Second), r.synack(1001 * ms), r.synack(2001 * ms), r.ack(2002 * ms), r.srst(2003 * ms)})
	g := newNg(binary.LittleEndian)
	g.iface(1, 0, 9)
	g.iface(101, 0, 0x80|20)
	for i, f := range frames {
		if i%2 == 0 {
			g.epb(0, f.ts, f.data)
		} else {
			g.epb(1, f.ts, f.data[14:])
		}
	}
	var sll2 []frame
	for _, s := range append(c.handshake(0), c.data(3*ms, 5)) {
		ip := s.ipPacket(t)
		sll2 = append(sll2, frame{ts: base.Add(s.at), data: append(sll2Header(serverSide(s), ipProto(ip)), ip...)})
	}
	return map[string][]byte{
		"crafted-healthy-pcap":      pcap,
		"crafted-retry-reset-ns-be": handPcap(binary.BigEndian, true, 1, 65535, retry),
		"crafted-pcapng-2-ifaces":   g.b,
		"crafted-sll2":              handPcap(binary.LittleEndian, false, uint32(LinkLinuxSLL2), 65535, sll2),
		"crafted-gzip":              gzipBytes(t, pcap),
		"crafted-zstd":              zstdBytes(t, pcap),
		"crafted-snaplen-54":        pcapgoFile(t, layers.LinkTypeEthernet, 54, false, frames),
		"crafted-truncated":         pcap[:len(pcap)-7],
	}
}

// checkAttempt returns what is wrong with an emitted attempt.
func checkAttempt(a *Attempt) []string {
	var bad []string
	if a.Outcome >= numOutcomes {
		bad = append(bad, fmt.Sprintf("outcome %d out of range", a.Outcome))
	}
	if a.SYNs < 1 || a.SynAcks < 0 {
		bad = append(bad, fmt.Sprintf("SYNs %d SynAcks %d", a.SYNs, a.SynAcks))
	}
	if !a.Client.IsValid() || !a.Server.IsValid() {
		bad = append(bad, "invalid endpoints")
	}
	offsets := map[string]time.Duration{
		"FinalAck": a.FinalAck, "ClientData": a.ClientData, "ServerData": a.ServerData, "ServerAckData": a.ServerAckData,
		"ServerRST": a.ServerRST, "ClientRST": a.ClientRST, "ServerBareAck": a.ServerBareAck, "ServerSYN": a.ServerSYN,
		"ClientFIN": a.ClientFIN, "ServerFIN": a.ServerFIN, "Last": a.Last, "TimeToSynAck": a.TimeToSynAck(),
		"Prev.ClosedAgo": a.Prev.ClosedAgo, "PeerEstablishedAgo": a.Context.PeerEstablishedAgo,
		"PeerClosedAgo": a.Context.PeerClosedAgo, "PeerStampAgo": a.Context.PeerStampAgo,
	}
	for i, d := range a.RecordedSYNs() {
		offsets[fmt.Sprintf("SYNTimes[%d]", i)] = d
	}
	for i, s := range a.RecordedSynAcks() {
		offsets[fmt.Sprintf("SynAckTimes[%d]", i)] = s.At
	}
	for name, d := range offsets {
		if d < 0 && d != None {
			bad = append(bad, fmt.Sprintf("%s = %v", name, d))
		}
	}
	if a.Last == None {
		bad = append(bad, "Last is None")
	}
	if a.Context.HalfOpen < 0 || a.Context.Young < 0 || a.Context.PendingAccept < 0 || a.Context.Young > a.Context.HalfOpen {
		bad = append(bad, fmt.Sprintf("context %+v", a.Context))
	}
	return bad
}

// checkCapture returns what is wrong with a finished read.
func checkCapture(c *Capture, emitted int64) []string {
	var bad []string
	if c.Stats.Attempts != emitted {
		bad = append(bad, fmt.Sprintf("Stats.Attempts %d, emitted %d", c.Stats.Attempts, emitted))
	}
	if sum := c.TCP + c.NotIP + c.NotTCP + c.Fragments + c.Truncated + c.Malformed + c.UnknownLink + c.Duplicates; sum != c.Packets {
		bad = append(bad, fmt.Sprintf("decode results add up to %d, packets %d", sum, c.Packets))
	}
	if c.Stats.SYN+c.Stats.SynAck > c.TCP || c.Stats.SynAckWithoutSYN < 0 || c.Stats.SynAckWithoutSYN > c.Stats.SynAck {
		bad = append(bad, fmt.Sprintf("stats %+v with %d TCP segments", c.Stats, c.TCP))
	}
	seen := map[LinkType]bool{}
	for _, l := range c.LinkTypes {
		if seen[l] {
			bad = append(bad, fmt.Sprintf("link type %v listed twice", l))
		}
		seen[l] = true
	}
	for _, w := range c.Warnings {
		if w == "" || strings.ContainsAny(w, "\r\n") {
			bad = append(bad, fmt.Sprintf("warning %q", w))
		}
	}
	if c.Damaged && countWarnings(c, "packets before it were analysed") != 1 {
		bad = append(bad, fmt.Sprintf("damaged without one damage warning: %q", c.Warnings))
	}
	return bad
}

func FuzzRead(f *testing.F) {
	for _, data := range fuzzCaptures(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		type result struct {
			c       *Capture
			err     error
			emitted int64
			bad     []string
		}
		done := make(chan result, 1)
		go func() {
			var r result
			r.c, r.err = Read(bytes.NewReader(data), "fuzz", Options{}, func(a *Attempt) {
				r.emitted++
				r.bad = append(r.bad, checkAttempt(a)...)
			})
			done <- r
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("Read did not return within 20 s on %d bytes", len(data))
		}
		for _, b := range r.bad {
			t.Error(b)
		}
		if r.err != nil {
			var fe *FormatError
			if !errors.As(r.err, &fe) || r.c != nil {
				t.Fatalf("error %v (%T) with capture %v: want a *FormatError and no capture", r.err, r.err, r.c != nil)
			}
			if msg := fe.Error(); msg == "" || strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("FormatError %q", msg)
			}
			return
		}
		for _, b := range checkCapture(r.c, r.emitted) {
			t.Error(b)
		}
	})
}

// fuzzFrames are link-layer frames of every kind the decoder knows.
func fuzzFrames(t testing.TB) map[string]struct {
	link uint16
	data []byte
} {
	out := map[string]struct {
		link uint16
		data []byte
	}{}
	for _, lc := range linkCases() {
		c := linkConn(lc.v6)
		out["link-"+lc.name] = struct {
			link uint16
			data []byte
		}{uint16(lc.link), lc.frame(t, c.syn(0))}
	}
	// The input class that made the gopacket fallback write into the
	// record (see TestFallbackIPv6HopByHop): IPv6 with a hop-by-hop header
	// over a link type only gopacket decodes.
	c := linkConn(true)
	hbh := append([]byte{6, 0, 1, 4, 0, 0, 0, 0}, c.syn(0).tcpBytes(t)...)
	ip := ipWrap(t, c.c.Addr(), c.s.Addr(), 64, layers.IPProtocolIPv6HopByHop, nil, hbh)
	out["fallback-ppp-ipv6-hop-by-hop"] = struct {
		link uint16
		data []byte
	}{9, serialize(t, ip, &layers.PPP{PPPType: layers.PPPTypeIPv6, HasPPTPHeader: true})}
	return out
}

func FuzzDecode(f *testing.F) {
	for _, fr := range fuzzFrames(f) {
		f.Add(fr.link, fr.data)
	}
	f.Fuzz(func(t *testing.T, link uint16, data []byte) {
		orig := bytes.Clone(data)
		var d decoder
		var seg Segment
		rec := record{data: data, link: LinkType(link), ts: 1}
		r := d.decode(&rec, &seg)
		if r > resultUnknownLink {
			t.Fatalf("result %d out of range", r)
		}
		if !bytes.Equal(data, orig) {
			t.Fatalf("decode wrote into the record")
		}
		if r == resultTCP && (seg.Flags > 0x1ff || seg.Time != 1) {
			t.Fatalf("segment flags %#x time %d", seg.Flags, seg.Time)
		}
		// Decoding is a function of the bytes: a second decoder agrees.
		var d2 decoder
		var seg2 Segment
		if r2 := d2.decode(&rec, &seg2); r2 != r || (r == resultTCP && seg2 != seg) {
			t.Fatalf("second decode differs: %d %+v vs %d %+v", r2, seg2, r, seg)
		}
	})
}

// ---- seed corpus files ----

// corpusSeeds are the public corpus files whose licence lets us copy bytes
// (BSD-3: gopacket, tcpdump, libpcap, zeek; Unlicense: lwerdna), with how
// many leading bytes to keep (0: whole file).
var corpusSeeds = []struct {
	file string
	keep int
}{
	{"zeek_zeek/testing/btest/Traces/tcp/syn-synack.pcap", 0},
	{"zeek_zeek/testing/btest/Traces/vlan-pcp-dei.pcapng", 0},
	{"zeek_zeek/testing/btest/Traces/nflog-http.pcap", 1024},
	{"zeek_zeek/testing/btest/Traces/erspan.pcap", 2048},
	{"zeek_zeek/testing/btest/Traces/tcp/truncated-header.pcap", 1024},
	{"zeek_zeek/testing/btest/Traces/echo-connections.pcap.gz", 4096},
	{"lwerdna_filesamples/simple_http_sll2.pcap", 2048},
	{"gopacket_gopacket/pcap/test_ethernet.pcap", 0},
	{"gopacket_gopacket/pcapgo/tests/be/test202.pcapng", 0},
	{"the-tcpdump-group_tcpdump/tests/ipoib.pcap", 2048},
	{"the-tcpdump-group_tcpdump/tests/tcp-handshake-nano.pcap", 0},
	{"the-tcpdump-group_libpcap/tests/shb-option-too-long.pcapng", 0},
}

// corpusFile encodes values in Go's fuzz corpus file format.
func corpusFile(vals ...any) []byte {
	var b strings.Builder
	b.WriteString("go test fuzz v1\n")
	for _, v := range vals {
		switch v := v.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%s)\n", strconv.Quote(string(v)))
		case uint16:
			fmt.Fprintf(&b, "uint16(%d)\n", v)
		default:
			panic(fmt.Sprintf("type %T", v))
		}
	}
	return []byte(b.String())
}

// TestWriteFuzzSeeds regenerates testdata/fuzz/{FuzzRead,FuzzDecode}/seed-*
// from the crafted captures and the public corpus. It only runs with
// HALFOPEN_WRITE_SEEDS=1; crasher files found by fuzzing are left alone.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("HALFOPEN_WRITE_SEEDS") == "" {
		t.Skip("set HALFOPEN_WRITE_SEEDS=1 to regenerate the fuzz seed files")
	}
	dir := corpusDir(t)
	write := func(target, name string, content []byte) {
		path := filepath.Join("testdata", "fuzz", target, "seed-"+name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range fuzzCaptures(t) {
		write("FuzzRead", name, corpusFile(data))
	}
	for name, fr := range fuzzFrames(t) {
		write("FuzzDecode", name, corpusFile(fr.link, fr.data))
	}
	for _, s := range corpusSeeds {
		data, err := os.ReadFile(filepath.Join(dir, s.file))
		if err != nil {
			t.Fatal(err)
		}
		if s.keep > 0 && len(data) > s.keep {
			data = data[:s.keep]
		}
		name := "corpus-" + strings.NewReplacer("/", "-", ".", "-").Replace(s.file)
		write("FuzzRead", name, corpusFile(data))
		// Up to 8 frames of the file for the decoder, with their link type.
		f, _ := os.Open(filepath.Join(dir, s.file))
		rr, _, closer, err := openContainer(f)
		if err == nil {
			for i := range 8 {
				rec, err := rr.next()
				if err != nil {
					break
				}
				sum := sha256.Sum256(rec.data)
				write("FuzzDecode", fmt.Sprintf("%s-%d-%x", name, i, sum[:4]), corpusFile(uint16(rec.link), rec.data))
			}
			closer()
		}
		f.Close()
	}
}
