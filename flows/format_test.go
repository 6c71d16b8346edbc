package flows

// Container formats (pcap, pcapng, compression) and damaged input.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// handshakeFrames is a complete, served connection as Ethernet frames.
func handshakeFrames(t testing.TB, at time.Duration) []frame {
	c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
	return etherFrames(t, append(c.handshake(at), c.data(at+3*ms, 100), c.sdata(at+4*ms, 100)))
}

func TestPcapVariants(t *testing.T) {
	// A first SYN at a time with sub-microsecond digits.
	first := base.Add(123456789 * time.Nanosecond)
	c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
	frames := etherFrames(t, append(c.handshake(0), c.data(3*ms, 100), c.sdata(4*ms, 100)))
	for i := range frames {
		frames[i].ts = frames[i].ts.Add(123456789 * time.Nanosecond)
	}
	usFirst := base.Add(123456 * time.Microsecond) // what a microsecond file can hold
	for _, tc := range []struct {
		name   string
		data   []byte
		format string
		first  time.Time
	}{
		{"us-le-pcapgo", pcapgoFile(t, layers.LinkTypeEthernet, 65535, false, frames), "pcap (microsecond, little-endian)", usFirst},
		{"ns-le-pcapgo", pcapgoFile(t, layers.LinkTypeEthernet, 65535, true, frames), "pcap (nanosecond, little-endian)", first},
		{"us-be", handPcap(binary.BigEndian, false, 1, 65535, frames), "pcap (microsecond, big-endian)", usFirst},
		{"ns-be", handPcap(binary.BigEndian, true, 1, 65535, frames), "pcap (nanosecond, big-endian)", first},
		{"ns-le", handPcap(binary.LittleEndian, true, 1, 65535, frames), "pcap (nanosecond, little-endian)", first},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cp, atts := readBytes(t, tc.data)
			a := onlyAttempt(t, atts)
			wantOutcome(t, a, Established, false)
			if cp.Format != tc.format {
				t.Errorf("format %q, want %q", cp.Format, tc.format)
			}
			if a.FirstSYN != tc.first.UnixNano() || cp.First != tc.first.UnixNano() {
				t.Errorf("FirstSYN %d First %d, want %d", a.FirstSYN, cp.First, tc.first.UnixNano())
			}
			wantDur(t, "FinalAck", a.FinalAck, 2*ms)
		})
	}
	// The hand-written little-endian pcap is byte for byte what pcapgo writes.
	if !bytes.Equal(handPcap(binary.LittleEndian, false, 1, 65535, frames), pcapgoFile(t, layers.LinkTypeEthernet, 65535, false, frames)) {
		t.Error("handPcap differs from pcapgo's writer")
	}
	if !bytes.Equal(handPcap(binary.LittleEndian, true, 1, 65535, frames), pcapgoFile(t, layers.LinkTypeEthernet, 65535, true, frames)) {
		t.Error("handPcap (ns) differs from pcapgo's writer")
	}
}

// pcapng with two interfaces of different link types and timestamp
// resolutions: 10^-9 s on Ethernet, 2^-20 s on raw IP.
func TestPcapngInterfaces(t *testing.T) {
	c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
	g := newNg(binary.LittleEndian)
	eth := g.iface(1, 0, 9)
	raw := g.iface(101, 0, 0x80|20)
	t1 := base.Add(123456789 * time.Nanosecond)
	g.epb(eth, t1, ether(t, c.syn(0).ipPacket(t)))
	// 3 units of 2^-20 s after base+1 s: 3e9/1048576 = 2861.02 ns.
	sa := c.synack(0).ipPacket(t)
	g.epbUnits(raw, uint64(base.Unix()+1)<<20|3, sa, len(sa))
	t3 := base.Add(time.Second + 5*time.Microsecond)
	g.epb(eth, t3, ether(t, c.ack(0).ipPacket(t)))
	g.epb(eth, t3.Add(time.Millisecond), ether(t, c.data(0, 10).ipPacket(t)))
	// 1 unit after base+2 s: 953.67 ns.
	sd := c.sdata(0, 10).ipPacket(t)
	g.epbUnits(raw, uint64(base.Unix()+2)<<20|1, sd, len(sd))
	cp, atts := readBytes(t, g.b)
	a := onlyAttempt(t, atts)
	wantOutcome(t, a, Established, false)
	if cp.Format != "pcapng (little-endian, 2 interface(s))" {
		t.Errorf("format %q", cp.Format)
	}
	if len(cp.LinkTypes) != 2 || cp.LinkTypes[0] != LinkEthernet || cp.LinkTypes[1] != LinkRaw {
		t.Errorf("link types %v", cp.LinkTypes)
	}
	if a.FirstSYN != t1.UnixNano() || cp.First != t1.UnixNano() {
		t.Errorf("FirstSYN %d First %d, want %d", a.FirstSYN, cp.First, t1.UnixNano())
	}
	if want := base.Add(2*time.Second + 953).UnixNano(); cp.Last != want {
		t.Errorf("Last %d, want %d", cp.Last, want)
	}
	// SYN-ACK at base+1s+2861ns: 1e9 + 2861 - 123456789 ns = 876546.072 µs.
	wantDur(t, "TimeToSynAck", a.TimeToSynAck(), 876546*time.Microsecond)
	// ACK at base+1s+5µs: 1e9 + 5000 - 123456789 = 876548.211 µs.
	wantDur(t, "FinalAck", a.FinalAck, 876548*time.Microsecond)
}

func TestPcapngSectionsAndBlocks(t *testing.T) {
	c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
	g := newNg(binary.BigEndian)
	g.iface(1, 0, 0) // default resolution: microseconds
	t0 := base.Add(777 * time.Nanosecond)
	g.epb(0, t0, ether(t, c.syn(0).ipPacket(t)))
	undescribed := ether(t, c.syn(0).ipPacket(t))
	g.epbUnits(3, uint64(base.UnixMicro()), undescribed, len(undescribed)) // interface 3 was never described
	g.block(0x0bad, []byte("custom block, skipped"))
	// A second section, little-endian, whose interface 0 is raw IP with
	// if_tsoffset 1000 s: the first section's interfaces are gone.
	le := newNg(binary.LittleEndian)
	body := binary.LittleEndian.AppendUint16(nil, 101)
	body = binary.LittleEndian.AppendUint16(body, 0)
	body = binary.LittleEndian.AppendUint32(body, 0)
	body = binary.LittleEndian.AppendUint16(body, ngOptIfTsoffset)
	body = binary.LittleEndian.AppendUint16(body, 8)
	body = binary.LittleEndian.AppendUint64(body, 1000)
	le.block(ngInterface, body)
	le.res = append(le.res, 0)
	sa := c.synack(0).ipPacket(t)
	le.epb(0, base.Add(-1000*time.Second+time.Millisecond), sa)
	// A simple packet block (no timestamp) for interface 0.
	ack := c.ack(0).ipPacket(t)
	le.block(ngSimplePacket, append(binary.LittleEndian.AppendUint32(nil, uint32(len(ack))), ack...))
	cp, atts := readBytes(t, append(g.b, le.b...))
	if cp.Packets != 3 || cp.Format != "pcapng (little-endian, 2 interface(s))" {
		t.Errorf("packets %d format %q", cp.Packets, cp.Format)
	}
	if countWarnings(cp, "1 packet blocks name an interface that was never described") != 1 {
		t.Errorf("warnings %q", cp.Warnings)
	}
	a := onlyAttempt(t, atts)
	if a.FirstSYN != base.UnixNano() { // microsecond resolution drops the 777 ns
		t.Errorf("FirstSYN %d, want %d", a.FirstSYN, base.UnixNano())
	}
	// if_tsoffset moved the SYN-ACK back to base + 1 ms.
	wantDur(t, "TimeToSynAck", a.TimeToSynAck(), 1*ms)
	// The simple packet block has no timestamp of its own: it takes the
	// previous packet's, base + 1 ms.
	wantDur(t, "FinalAck", a.FinalAck, 1*ms)
	if cp.First != base.UnixNano() || cp.Last != base.Add(time.Millisecond).UnixNano() || cp.Stats.OutOfOrder != 0 {
		t.Errorf("First %d Last %d out of order %d", cp.First, cp.Last, cp.Stats.OutOfOrder)
	}
}

func TestPcapgoNgWriter(t *testing.T) {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	frames := handshakeFrames(t, 0)
	for i := range frames {
		frames[i].ts = frames[i].ts.Add(42 * time.Nanosecond)
	}
	for _, f := range frames {
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: f.ts, CaptureLength: len(f.data), Length: len(f.data)}, f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	cp, atts := readBytes(t, buf.Bytes())
	a := onlyAttempt(t, atts)
	wantOutcome(t, a, Established, false)
	if cp.Format != "pcapng (little-endian, 1 interface(s))" || a.FirstSYN != base.Add(42).UnixNano() {
		t.Errorf("format %q FirstSYN %d", cp.Format, a.FirstSYN)
	}
}

func gzipBytes(t testing.TB, data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstdBytes(t testing.TB, data []byte) []byte {
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer zw.Close()
	return zw.EncodeAll(data, nil)
}

// Compression is detected from the content, whatever the file is called.
func TestCompressedInput(t *testing.T) {
	pcap := pcapgoFile(t, layers.LinkTypeEthernet, 65535, false, handshakeFrames(t, 0))
	var ng bytes.Buffer
	w, _ := pcapgo.NewNgWriter(&ng, layers.LinkTypeEthernet)
	for _, f := range handshakeFrames(t, 0) {
		_ = w.WritePacket(gopacket.CaptureInfo{Timestamp: f.ts, CaptureLength: len(f.data), Length: len(f.data)}, f.data)
	}
	_ = w.Flush()
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string // misleading on purpose
		data   []byte
		comp   Compression
		format string
	}{
		{"capture.pcapng", gzipBytes(t, pcap), CompressionGzip, "pcap (microsecond, little-endian)"},
		{"trace.txt", zstdBytes(t, pcap), CompressionZstd, "pcap (microsecond, little-endian)"},
		{"x.zst", gzipBytes(t, ng.Bytes()), CompressionGzip, "pcapng (little-endian, 1 interface(s))"},
		{"x.gz", zstdBytes(t, ng.Bytes()), CompressionZstd, "pcapng (little-endian, 1 interface(s))"},
		{"x.pcap.gz", pcap, CompressionNone, "pcap (microsecond, little-endian)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name)
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			var atts []Attempt
			cp, err := ReadFile(path, Options{}, func(a *Attempt) { atts = append(atts, *a) })
			if err != nil {
				t.Fatal(err)
			}
			if cp.Compression != tc.comp || cp.Format != tc.format || cp.Name != path {
				t.Errorf("compression %q format %q name %q", cp.Compression, cp.Format, cp.Name)
			}
			wantOutcome(t, onlyAttempt(t, atts), Established, false)
			if cp.Damaged || len(cp.Warnings) != 0 {
				t.Errorf("warnings %q", cp.Warnings)
			}
		})
	}
}

func TestNotACapture(t *testing.T) {
	good := pcapgoFile(t, layers.LinkTypeEthernet, 65535, false, handshakeFrames(t, 0))
	jpeg := []byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00}
	for _, tc := range []struct {
		name    string
		data    []byte
		msg     string
		notCapt bool
	}{
		{"empty", nil, "empty file", true},
		{"text", []byte("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"), "not a pcap or pcapng file", true},
		{"jpeg", jpeg, "not a pcap or pcapng file", true},
		{"three-bytes", []byte{0xd4, 0xc3, 0xb2}, "too short (3 bytes)", true},
		{"xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0x00, 0, 0}, "xz-compressed input is not supported", true},
		{"zip", []byte("PK\x03\x04rest"), "zip-compressed", true},
		{"gzip-of-text", gzipBytes(t, []byte("hello, this is not a capture at all\n")), "not a pcap or pcapng file", true},
		{"gzip-of-3-bytes", gzipBytes(t, []byte{0xd4, 0xc3, 0xb2}), "too short (3 bytes)", true},
		{"gzip-cut-short", gzipBytes(t, good)[:14], "gzip stream is cut short", false},
		{"zstd-cut-short", func() []byte { z := zstdBytes(t, good); return z[:len(z)-3] }(), "zstd stream is cut short", false},
		{"gzip-corrupt", append(gzipBytes(t, []byte("x"))[:10], 0xff, 0xff, 0xff, 0xff), "gzip stream is corrupt", false},
		{"pcap-header-cut", handPcap(binary.LittleEndian, false, 1, 65535, nil)[:10], "pcap file header is cut short", false},
		{"pcap-version-3", func() []byte { b := handPcap(binary.LittleEndian, false, 1, 65535, nil); b[4] = 3; return b }(), "unsupported pcap version 3.4", false},
		{"pcapng-no-bom", func() []byte { b := newNg(binary.LittleEndian).b; b[8] = 0; return b }(), "no byte-order magic", false},
		{"pcapng-shb-cut", newNg(binary.LittleEndian).b[:20], "section header is cut short", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Read(bytes.NewReader(tc.data), "x", Options{}, nil)
			if c != nil {
				t.Errorf("got a capture with an error")
			}
			fe := wantFormatError(t, err)
			if !strings.Contains(fe.Error(), tc.msg) {
				t.Errorf("error %q, want it to mention %q", fe, tc.msg)
			}
			if errors.Is(err, ErrNotCapture) != tc.notCapt {
				t.Errorf("errors.Is(ErrNotCapture) = %v, want %v", !tc.notCapt, tc.notCapt)
			}
		})
	}
	// ReadFile: an empty file, a directory, a missing file.
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.pcap")
	_ = os.WriteFile(empty, nil, 0o644)
	if _, err := ReadFile(empty, Options{}, nil); !errors.Is(err, ErrNotCapture) {
		t.Errorf("empty file: %v", err)
	}
	_, err := ReadFile(dir, Options{}, nil)
	wantFormatError(t, err)
	if _, err := ReadFile(filepath.Join(dir, "missing"), Options{}, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	// A valid header and nothing else is a capture without packets.
	cp, _ := readBytes(t, handPcap(binary.LittleEndian, false, 1, 65535, nil))
	if cp.Packets != 0 || cp.Damaged || countWarnings(cp, "holds no packets") != 1 {
		t.Errorf("empty capture: packets %d warnings %q", cp.Packets, cp.Warnings)
	}
}

// wantDamage checks a capture stopped at byte off with the given message,
// after keeping the healthy attempt before it.
func wantDamage(t *testing.T, cp *Capture, atts []Attempt, msg string, off int64, packets int64) {
	t.Helper()
	if !cp.Damaged {
		t.Errorf("not marked damaged")
	}
	if got := warningOffset(cp, msg); got != off {
		t.Errorf("warning naming %q at byte %d, want %d; warnings %q", msg, got, off, cp.Warnings)
	}
	if countWarnings(cp, "packets before it were analysed") != 1 {
		t.Errorf("warnings %q", cp.Warnings)
	}
	if cp.Packets != packets {
		t.Errorf("packets %d, want %d", cp.Packets, packets)
	}
	var established int
	for _, a := range atts {
		if a.Outcome == Established && a.ISN == 1000 {
			established++
		}
	}
	if established != 1 {
		t.Errorf("the healthy attempt before the damage was not kept (%d attempts)", len(atts))
	}
}

func TestDamagedPcap(t *testing.T) {
	good := handPcap(binary.LittleEndian, false, 1, 65535, handshakeFrames(t, 0))
	late := newConn("10.0.0.3:40000", "10.0.0.2:80", 3000, 6000)
	t.Run("truncated-mid-record", func(t *testing.T) {
		tail := handPcap(binary.LittleEndian, false, 1, 65535, etherFrames(t, []tseg{late.syn(10 * ms)}))[24:]
		data := append(append([]byte{}, good...), tail[:len(tail)-10]...)
		cp, atts := readBytes(t, data)
		wantDamage(t, cp, atts, "file ends inside a record", int64(len(good)), 5)
	})
	t.Run("truncated-mid-header", func(t *testing.T) {
		data := append(append([]byte{}, good...), 1, 2, 3, 4, 5)
		cp, atts := readBytes(t, data)
		wantDamage(t, cp, atts, "file ends inside a record header (5 of 16 bytes)", int64(len(good)), 5)
	})
	t.Run("length-0xffffffff", func(t *testing.T) {
		hdr := binary.LittleEndian.AppendUint32(nil, uint32(base.Unix()))
		hdr = binary.LittleEndian.AppendUint32(hdr, 0)
		hdr = binary.LittleEndian.AppendUint32(hdr, 0xffffffff)
		hdr = binary.LittleEndian.AppendUint32(hdr, 0xffffffff)
		data := append(append(append([]byte{}, good...), hdr...), make([]byte, 100)...)
		cp, atts := readBytes(t, data)
		wantDamage(t, cp, atts, "header claims 4294967295 captured bytes", int64(len(good)), 5)
	})
	t.Run("timestamp-fraction-out-of-range", func(t *testing.T) {
		data := append([]byte{}, good...)
		off := 24 + 16 + len(handshakeFrames(t, 0)[0].data)  // second record header
		binary.LittleEndian.PutUint32(data[off+4:], 1500000) // µs field ≥ 10^6
		cp, _ := readBytes(t, data)
		if cp.Damaged || warningOffset(cp, "sub-second timestamp field out of range") != int64(off) {
			t.Errorf("warnings %q", cp.Warnings)
		}
	})
}

func TestDamagedPcapng(t *testing.T) {
	g := newNg(binary.LittleEndian)
	g.iface(1, 0, 9)
	for _, f := range handshakeFrames(t, 0) {
		g.epb(0, f.ts, f.data)
	}
	good := g.b
	t.Run("length-not-multiple-of-4", func(t *testing.T) {
		bad := binary.LittleEndian.AppendUint32(nil, ngEnhancedPacket)
		bad = binary.LittleEndian.AppendUint32(bad, 30)
		bad = append(bad, make([]byte, 22)...)
		cp, atts := readBytes(t, append(append([]byte{}, good...), bad...))
		wantDamage(t, cp, atts, "claims length 30", int64(len(good)), 5)
	})
	t.Run("truncated-mid-block", func(t *testing.T) {
		late := newConn("10.0.0.3:40000", "10.0.0.2:80", 3000, 6000)
		h := &ngBuilder{order: binary.LittleEndian, res: []byte{9}}
		h.epb(0, base.Add(10*ms), ether(t, late.syn(0).ipPacket(t)))
		cp, atts := readBytes(t, append(append([]byte{}, good...), h.b[:len(h.b)-20]...))
		wantDamage(t, cp, atts, "file ends inside a pcapng block", int64(len(good)), 5)
	})
	t.Run("trailing-length-differs", func(t *testing.T) {
		h := &ngBuilder{order: binary.LittleEndian, res: []byte{9}}
		h.epb(0, base.Add(10*ms), []byte{1, 2, 3, 4})
		h.b[len(h.b)-1] = 0x7f
		cp, atts := readBytes(t, append(append([]byte{}, good...), h.b...))
		wantDamage(t, cp, atts, "trailing length", int64(len(good)), 5)
	})
	t.Run("captured-length-beyond-block", func(t *testing.T) {
		h := &ngBuilder{order: binary.LittleEndian, res: []byte{9}}
		h.epb(0, base.Add(10*ms), []byte{1, 2, 3, 4})
		binary.LittleEndian.PutUint32(h.b[20:], 5000) // captured length field
		cp, atts := readBytes(t, append(append([]byte{}, good...), h.b...))
		wantDamage(t, cp, atts, "captured length 5000 exceeds", int64(len(good)), 5)
	})
}

// A snapshot length of 54 keeps Ethernet + IPv4 + the 20-byte TCP header
// and cuts every TCP option.
func TestSnaplenCutsOptions(t *testing.T) {
	data := pcapgoFile(t, layers.LinkTypeEthernet, 54, false, handshakeFrames(t, 0))
	cp, atts := readBytes(t, data)
	a := onlyAttempt(t, atts)
	wantOutcome(t, a, Established, false)
	if !a.SYNOptionsCut || a.SYNOptions.Has != 0 {
		t.Errorf("SYNOptionsCut %v options %+v", a.SYNOptionsCut, a.SYNOptions)
	}
	// The payload length comes from the IP header, not the capture.
	wantDur(t, "ClientData", a.ClientData, 3*ms)
	wantDur(t, "ServerData", a.ServerData, 4*ms)
	if cp.Stats.OptionsCut != 2 || cp.Truncated != 0 || cp.TCP != 5 {
		t.Errorf("OptionsCut %d (SYN and SYN-ACK) truncated %d tcp %d", cp.Stats.OptionsCut, cp.Truncated, cp.TCP)
	}
	if countWarnings(cp, "options cut by the snapshot length") != 1 || len(cp.Warnings) != 1 {
		t.Errorf("warnings %q, want one about cut options", cp.Warnings)
	}
}

func TestDamagedGzip(t *testing.T) {
	good := pcapgoFile(t, layers.LinkTypeEthernet, 65535, false, handshakeFrames(t, 0))
	late := newConn("10.0.0.3:40000", "10.0.0.2:80", 3000, 6000)
	t.Run("corrupt-member-after-valid-data", func(t *testing.T) {
		// A second gzip member whose deflate data is garbage (block type 3
		// is reserved), after a member holding a complete capture.
		bad := gzipBytes(t, []byte("x"))[:10]
		bad = append(bad, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
		cp, atts := readBytes(t, append(gzipBytes(t, good), bad...))
		if !cp.Damaged || countWarnings(cp, "reading stopped") != 1 || cp.Compression != CompressionGzip {
			t.Errorf("damaged %v warnings %q", cp.Damaged, cp.Warnings)
		}
		if cp.Packets != 5 || len(atts) != 1 || atts[0].Outcome != Established {
			t.Errorf("packets %d attempts %d: the capture before the corruption was not kept", cp.Packets, len(atts))
		}
	})
	t.Run("bad-crc", func(t *testing.T) {
		z := gzipBytes(t, good)
		z[len(z)-8] ^= 0xff // CRC-32 in the trailer
		cp, atts := readBytes(t, z)
		if !cp.Damaged || countWarnings(cp, "reading stopped") != 1 || cp.Packets != 5 || len(atts) != 1 {
			t.Errorf("damaged %v packets %d attempts %d warnings %q", cp.Damaged, cp.Packets, len(atts), cp.Warnings)
		}
	})
	t.Run("truncated-stream", func(t *testing.T) {
		// Many more packets after the healthy handshake, so that a cut in
		// the middle of the compressed stream falls after it.
		var frames []frame
		for i := range 2000 {
			late.c = netip.AddrPortFrom(late.c.Addr(), uint16(20000+i))
			frames = append(frames, etherFrames(t, []tseg{late.syn(10*ms + time.Duration(i)*ms)})...)
		}
		all := append(append([]byte{}, good...), handPcap(binary.LittleEndian, false, 1, 65535, frames)[24:]...)
		z := gzipBytes(t, all)
		cp, atts := readBytes(t, z[:len(z)*2/3])
		if !cp.Damaged || len(cp.Warnings) == 0 || cp.Packets < 5 || cp.Packets >= 2005 {
			t.Errorf("damaged %v packets %d warnings %q", cp.Damaged, cp.Packets, cp.Warnings)
		}
		if len(atts) < 1 || atts[0].Outcome != Established || atts[0].ISN != 1000 {
			t.Errorf("the healthy attempt was not kept")
		}
	})
	t.Run("zstd-cut-after-data", func(t *testing.T) {
		// Several zstd frames: the first holds the healthy handshake, the
		// last is cut short.
		var frames []frame
		for i := range 200 {
			late.c = netip.AddrPortFrom(late.c.Addr(), uint16(30000+i))
			frames = append(frames, etherFrames(t, []tseg{late.syn(10*ms + time.Duration(i)*ms)})...)
		}
		z := append(zstdBytes(t, good), zstdBytes(t, handPcap(binary.LittleEndian, false, 1, 65535, frames)[24:])...)
		cp, atts := readBytes(t, z[:len(z)-5])
		if !cp.Damaged || cp.Compression != CompressionZstd || cp.Packets < 5 || cp.Packets >= 205 {
			t.Errorf("damaged %v packets %d warnings %q", cp.Damaged, cp.Packets, cp.Warnings)
		}
		if len(atts) < 1 || atts[0].ISN != 1000 || atts[0].Outcome != Established {
			t.Errorf("the healthy attempt was not kept")
		}
	})
}

func TestReadOptions(t *testing.T) {
	// 70000 minimal raw-IP SYNs: enough to pass the every-65536-packets
	// progress point once.
	s := tseg{src: ap("10.0.0.1:1"), dst: ap("10.0.0.2:80"), flags: FlagSYN}
	pkt := s.ipPacket(t)
	var buf bytes.Buffer
	buf.Write(handPcap(binary.LittleEndian, false, uint32(LinkRaw), 65535, nil))
	const n = 70000
	for i := range n {
		binary.BigEndian.PutUint16(pkt[20:], uint16(i)) // source port
		pkt[15] = byte(i >> 16)                         // and address: 70000 distinct clients
		var h [16]byte
		binary.LittleEndian.PutUint32(h[0:], uint32(base.Unix()))
		binary.LittleEndian.PutUint32(h[4:], uint32(i))
		binary.LittleEndian.PutUint32(h[8:], uint32(len(pkt)))
		binary.LittleEndian.PutUint32(h[12:], uint32(len(pkt)))
		buf.Write(h[:])
		buf.Write(pkt)
	}
	var progress []int64
	cp, err := Read(bytes.NewReader(buf.Bytes()), "x", Options{Progress: func(n int64) { progress = append(progress, n) }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Packets != n || cp.Stats.SYN != n || cp.Stats.Attempts != n {
		t.Errorf("packets %d SYN %d attempts %d", cp.Packets, cp.Stats.SYN, cp.Stats.Attempts)
	}
	if len(progress) != 1 || progress[0] <= 0 || progress[0] > int64(buf.Len()) {
		t.Errorf("progress calls %v", progress)
	}
	// All n attempts were still open when the last one arrived (a lone SYN
	// waits 8 s; these span 70 ms); the peak is sampled after every batch.
	if cp.PeakOpen != n {
		t.Errorf("PeakOpen %d, want %d", cp.PeakOpen, n)
	}
	// A serial run gives the same result.
	serial, err := Read(bytes.NewReader(buf.Bytes()), "x", Options{Serial: true}, nil)
	if err != nil || serial.Stats != cp.Stats || serial.PeakOpen != cp.PeakOpen || serial.Packets != cp.Packets {
		t.Errorf("serial run differs: %+v vs %+v", serial.Stats, cp.Stats)
	}
	cp, err = Read(bytes.NewReader(buf.Bytes()), "x", Options{MaxPackets: 10}, nil)
	if err != nil || cp.Packets != 10 || cp.Stats.Attempts != 10 {
		t.Errorf("MaxPackets 10: %v packets %d", err, cp.Packets)
	}
}

// Records larger than the initial 4 MB read window are read whole; a
// record larger than the window may ever grow is reported at its offset.
func TestLargeRecords(t *testing.T) {
	c := newConn("10.0.0.1:40000", "10.0.0.2:80", 1000, 5000)
	syn := ether(t, c.syn(0).ipPacket(t))
	big := append(append([]byte{}, syn...), make([]byte, 5<<20)...) // Ethernet padding after the IP packet
	frames := []frame{{ts: base, data: big}}
	for _, s := range []tseg{c.synack(1 * ms), c.ack(2 * ms), c.data(3*ms, 10), c.sdata(4*ms, 10)} {
		frames = append(frames, frame{ts: base.Add(s.at), data: ether(t, s.ipPacket(t))})
	}
	good := handPcap(binary.LittleEndian, false, 1, 0xffffffff, frames)
	cp, atts := readBytes(t, good)
	wantOutcome(t, onlyAttempt(t, atts), Established, false)
	if cp.Packets != 5 || cp.Damaged {
		t.Errorf("packets %d damaged %v", cp.Packets, cp.Damaged)
	}
	hdr := binary.LittleEndian.AppendUint32(nil, uint32(base.Unix()))
	hdr = binary.LittleEndian.AppendUint32(hdr, 0)
	hdr = binary.LittleEndian.AppendUint32(hdr, 100<<20)
	hdr = binary.LittleEndian.AppendUint32(hdr, 100<<20)
	cp, atts = readBytes(t, append(append([]byte{}, good...), hdr...))
	wantDamage(t, cp, atts, "header claims 104857600 captured bytes", int64(len(good)), 5)
}

// stallingReader returns its data a few bytes at a time, with a
// "no data, no error" read before each chunk, and then stalls for good.
type stallingReader struct {
	data  []byte
	calls int
}

func (r *stallingReader) Read(p []byte) (int, error) {
	r.calls++
	if r.calls%2 == 1 || len(r.data) == 0 {
		return 0, nil
	}
	n := copy(p[:min(len(p), 7)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// One empty read is tolerated; a reader that keeps returning nothing stops
// the reading with a warning rather than passing for the end of the file.
func TestStallingReader(t *testing.T) {
	data := handPcap(binary.LittleEndian, false, 1, 65535, handshakeFrames(t, 0))
	var atts []Attempt
	cp, err := Read(&stallingReader{data: data}, "x", Options{}, func(a *Attempt) { atts = append(atts, *a) })
	if err != nil {
		t.Fatal(err)
	}
	if cp.Packets != 5 || len(atts) != 1 {
		t.Errorf("packets %d attempts %d", cp.Packets, len(atts))
	}
	if !cp.Damaged || countWarnings(cp, "no data") != 1 {
		t.Errorf("damaged %v warnings %q: a stalled reader must not pass for a clean end", cp.Damaged, cp.Warnings)
	}
}

func TestPcapOddities(t *testing.T) {
	frames := handshakeFrames(t, 0)
	t.Run("fcs", func(t *testing.T) {
		// Link-type field with the F bit and an FCS length of 2 half-words:
		// every frame ends with 4 bytes of FCS that must be dropped.
		var withFCS []frame
		for _, f := range frames {
			withFCS = append(withFCS, frame{ts: f.ts, data: append(append([]byte{}, f.data...), 0xde, 0xad, 0xbe, 0xef)})
		}
		data := handPcap(binary.LittleEndian, false, 1|0x04000000|2<<28, 65535, withFCS)
		w := newWindow(bytes.NewReader(data))
		if _, err := w.need(4); err != nil {
			t.Fatal(err)
		}
		r, err := newPcapReader(w)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := r.next()
		if err != nil || !bytes.Equal(rec.data, frames[0].data) || rec.link != LinkEthernet {
			t.Errorf("record %d bytes link %v err %v, want the frame without its FCS", len(rec.data), rec.link, err)
		}
		_, atts := readBytes(t, data)
		wantOutcome(t, onlyAttempt(t, atts), Established, false)
	})
	t.Run("modified-pcap", func(t *testing.T) {
		// Kuznetsov's patched libpcap: magic a1b2cd34, 8 more bytes (ifindex,
		// protocol, pkt_type, pad) after each record header.
		var b []byte
		b = binary.LittleEndian.AppendUint32(b, pcapMagicKuznet)
		b = append(b, handPcap(binary.LittleEndian, false, 1, 65535, nil)[4:]...)
		for _, f := range frames {
			b = binary.LittleEndian.AppendUint32(b, uint32(f.ts.Unix()))
			b = binary.LittleEndian.AppendUint32(b, uint32(f.ts.Nanosecond()/1000))
			b = binary.LittleEndian.AppendUint32(b, uint32(len(f.data)))
			b = binary.LittleEndian.AppendUint32(b, uint32(len(f.data)))
			b = append(b, 2, 0, 0, 0, 0x08, 0x00, 0, 0)
			b = append(b, f.data...)
		}
		cp, atts := readBytes(t, b)
		wantOutcome(t, onlyAttempt(t, atts), Established, false)
		if cp.Format != "pcap (modified, little-endian)" {
			t.Errorf("format %q", cp.Format)
		}
	})
	t.Run("pcapng-obsolete-packet-block", func(t *testing.T) {
		g := newNg(binary.LittleEndian)
		g.iface(1, 0, 0)
		for _, f := range frames {
			us := uint64(f.ts.UnixMicro())
			body := binary.LittleEndian.AppendUint16(nil, 0) // interface
			body = binary.LittleEndian.AppendUint16(body, 0) // drops
			body = binary.LittleEndian.AppendUint32(body, uint32(us>>32))
			body = binary.LittleEndian.AppendUint32(body, uint32(us))
			body = binary.LittleEndian.AppendUint32(body, uint32(len(f.data)))
			body = binary.LittleEndian.AppendUint32(body, uint32(len(f.data)))
			g.block(ngObsoletePacket, append(body, f.data...))
		}
		_, atts := readBytes(t, g.b)
		a := onlyAttempt(t, atts)
		wantOutcome(t, a, Established, false)
		if a.FirstSYN != base.UnixNano() {
			t.Errorf("FirstSYN %d", a.FirstSYN)
		}
	})
	t.Run("pcapng-bad-interface", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			body []byte
			msg  string
		}{
			{"tsresol-10^-25", func() []byte {
				b := binary.LittleEndian.AppendUint16(nil, 1)
				b = append(b, 0, 0, 0, 0, 0, 0)
				b = binary.LittleEndian.AppendUint16(b, ngOptIfTsresol)
				b = binary.LittleEndian.AppendUint16(b, 1)
				return append(b, 25, 0, 0, 0)
			}(), "unusable if_tsresol 0x19"},
			{"too-short", []byte{1, 0, 0, 0}, "interface description block too short"},
			{"option-overrun", func() []byte {
				b := binary.LittleEndian.AppendUint16(nil, 1)
				b = append(b, 0, 0, 0, 0, 0, 0)
				b = binary.LittleEndian.AppendUint16(b, 2) // if_name
				b = binary.LittleEndian.AppendUint16(b, 200)
				return append(b, 'e', 't', 'h', '0')
			}(), "option 2 claims 200 bytes"},
		} {
			g := newNg(binary.LittleEndian)
			off := int64(len(g.b))
			g.block(ngInterface, tc.body)
			cp, _ := readBytes(t, g.b)
			if !cp.Damaged || warningOffset(cp, tc.msg) != off {
				t.Errorf("%s: warnings %q, want %q at byte %d", tc.name, cp.Warnings, tc.msg, off)
			}
		}
	})
}
