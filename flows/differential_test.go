package flows

// Differential check of the fast decoder against gopacket on every
// Ethernet packet of the public corpus.

import (
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// gopacketTCP returns the TCP layer gopacket decodes when the packet is
// Ethernet, any number of 802.1Q tags, one IPv4 or IPv6 header, then TCP.
func gopacketTCP(data []byte) (*layers.TCP, gopacket.NetworkLayer, bool) {
	pkt := gopacket.NewPacket(data, layers.LinkTypeEthernet, gopacket.Default)
	ls := pkt.Layers()
	if len(ls) < 3 || ls[0].LayerType() != layers.LayerTypeEthernet {
		return nil, nil, false
	}
	i := 1
	for i < len(ls) && ls[i].LayerType() == layers.LayerTypeDot1Q {
		i++
	}
	if i+1 >= len(ls) {
		return nil, nil, false
	}
	nl, ok := ls[i].(gopacket.NetworkLayer)
	if !ok || (ls[i].LayerType() != layers.LayerTypeIPv4 && ls[i].LayerType() != layers.LayerTypeIPv6) {
		return nil, nil, false
	}
	tcp, ok := ls[i+1].(*layers.TCP)
	// gopacket adds the TCP layer even when decoding it failed, followed
	// by a DecodeFailure layer (a header shorter than 20 bytes, a data
	// offset below 5, a bad option length): that is no TCP header.
	if ok && i+2 < len(ls) && ls[i+2].LayerType() == gopacket.LayerTypeDecodeFailure {
		return nil, nil, false
	}
	return tcp, nl, ok
}

func TestDifferentialGopacket(t *testing.T) {
	dir, rows := loadCorpus(t)
	total := 0
	for _, row := range rows {
		compared, err := diffFile(t, filepath.Join(dir, row.file))
		if err != nil {
			continue // files that are no captures at all; TestPublicCorpus covers them
		}
		total += compared
	}
	t.Logf("%d TCP packets compared", total)
	// The corpus holds well over 100000 Ethernet TCP packets (the StopDDoS
	// floods and cip.pcap alone); a much smaller number means the
	// comparison silently stopped running.
	if total < 100000 {
		t.Errorf("only %d packets compared", total)
	}
}

// diffFile compares every Ethernet packet of one file.
func diffFile(t *testing.T, path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rr, _, closer, err := openContainer(f)
	if err != nil {
		return 0, err
	}
	defer closer()
	var (
		dec      decoder
		seg      Segment
		compared int
		failures int
	)
	for n := 1; ; n++ {
		rec, err := rr.next()
		if err != nil {
			var stop *stopError
			if err != io.EOF && !errors.As(err, &stop) {
				t.Errorf("%s: %v", path, err)
			}
			return compared, nil
		}
		if rec.link != LinkEthernet {
			continue
		}
		data := append([]byte(nil), rec.data...)
		tcp, nl, ok := gopacketTCP(data)
		if !ok {
			continue
		}
		compared++
		res := dec.decode(&rec, &seg)
		bad := func(format string, args ...any) {
			failures++
			if failures <= 5 {
				t.Errorf("%s packet %d: "+format, append([]any{filepath.Base(path), n}, args...)...)
			}
		}
		if res != resultTCP {
			bad("gopacket decodes TCP, halfopen says %v", res)
			continue
		}
		src, _ := netip.AddrFromSlice(nl.NetworkFlow().Src().Raw())
		dst, _ := netip.AddrFromSlice(nl.NetworkFlow().Dst().Raw())
		if seg.Src.IP() != src.Unmap() || seg.Dst.IP() != dst.Unmap() {
			bad("addresses %v -> %v, gopacket %v -> %v", seg.Src.IP(), seg.Dst.IP(), src, dst)
		}
		if seg.SrcPort != uint16(tcp.SrcPort) || seg.DstPort != uint16(tcp.DstPort) {
			bad("ports %d -> %d, gopacket %d -> %d", seg.SrcPort, seg.DstPort, tcp.SrcPort, tcp.DstPort)
		}
		if seg.Seq != tcp.Seq || seg.Ack != tcp.Ack || seg.Window != tcp.Window {
			bad("seq/ack/win %d/%d/%d, gopacket %d/%d/%d", seg.Seq, seg.Ack, seg.Window, tcp.Seq, tcp.Ack, tcp.Window)
		}
		if want := gopacketFlags(tcp); seg.Flags != want {
			bad("flags %#x, gopacket %#x", seg.Flags, want)
		}
		hasTS, tsval, tsecr := false, uint32(0), uint32(0)
		for _, o := range tcp.Options {
			if o.OptionType == layers.TCPOptionKindTimestamps && len(o.OptionData) == 8 {
				hasTS, tsval, tsecr = true, binary.BigEndian.Uint32(o.OptionData), binary.BigEndian.Uint32(o.OptionData[4:])
				break
			}
		}
		if got := seg.Opts.Has&OptTimestamp != 0; got != hasTS || (hasTS && (seg.Opts.TSval != tsval || seg.Opts.TSecr != tsecr)) {
			bad("TS %v %d/%d, gopacket %v %d/%d", got, seg.Opts.TSval, seg.Opts.TSecr, hasTS, tsval, tsecr)
		}
	}
}

func gopacketFlags(tcp *layers.TCP) uint16 {
	var f uint16
	for _, b := range []struct {
		set  bool
		flag uint16
	}{
		{tcp.FIN, FlagFIN}, {tcp.SYN, FlagSYN}, {tcp.RST, FlagRST}, {tcp.PSH, FlagPSH}, {tcp.ACK, FlagACK},
		{tcp.URG, FlagURG}, {tcp.ECE, FlagECE}, {tcp.CWR, FlagCWR}, {tcp.NS, FlagAE},
	} {
		if b.set {
			f |= b.flag
		}
	}
	return f
}
