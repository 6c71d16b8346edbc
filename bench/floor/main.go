// Command floor runs the reference loops halfopen's speed is judged
// against, each over the same capture so they can be timed side by side:
//
//	floor [--mode M] FILE
//
//	floor       the floor: walk classic pcap records through a big buffered
//	            reader and read the TCP flags byte at a fixed offset
//	            (Ethernet + IPv4 without options; other frames are skipped)
//	pcapgo      the same check over pcapgo's ZeroCopyReadPacketData
//	dlp         gopacket DecodingLayerParser (Ethernet, IPv4, IPv6, TCP)
//	newpacket   gopacket.PacketSource / NewPacket with default options
//	decompress  only decompress a .gz or .zst file to io.Discard (klauspost/compress)
//	flows       halfopen's packet reader and tracker without the report
//	            (flows.ReadFile); prints the most attempts open at once
//
// It prints one line: the mode, packets, pure SYNs counted and bytes.
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/halfopen/halfopen/flows"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

const bufSize = 1 << 20

type result struct {
	packets, syn, bytes int64
	extra               string
}

func main() {
	mode := flag.String("mode", "floor", "floor, pcapgo, dlp, newpacket, decompress or flows")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: floor [--mode floor|pcapgo|dlp|newpacket|decompress|flows] FILE")
		os.Exit(2)
	}
	path := flag.Arg(0)
	modes := map[string]func(string) (result, error){
		"floor": floor, "pcapgo": viaPcapgo, "dlp": dlp, "newpacket": newPacket, "decompress": decompress, "flows": viaFlows,
	}
	run, ok := modes[*mode]
	if !ok {
		fmt.Fprintf(os.Stderr, "floor: unknown mode %q\n", *mode)
		os.Exit(2)
	}
	start := time.Now()
	r, err := run(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	fmt.Printf("mode=%s packets=%d syn=%d bytes=%d seconds=%.3f%s\n", *mode, r.packets, r.syn, r.bytes, time.Since(start).Seconds(), r.extra)
}

// synAt reports whether frame d is Ethernet + IPv4 (no options) + TCP with
// SYN set and ACK clear, reading fixed offsets only.
func synAt(d []byte) bool {
	return len(d) >= 14+20+14 && d[12] == 0x08 && d[13] == 0x00 && d[14] == 0x45 && d[23] == 6 &&
		d[14+20+13]&0x12 == 0x02
}

// floor walks classic little-endian pcap records (µs or ns) by hand.
func floor(path string) (result, error) {
	var r result
	f, err := os.Open(path)
	if err != nil {
		return r, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, bufSize)
	h, err := br.Peek(24)
	if err != nil {
		return r, fmt.Errorf("pcap header: %w", err)
	}
	if m := binary.LittleEndian.Uint32(h); m != 0xa1b2c3d4 && m != 0xa1b23c4d {
		return r, errors.New("not a little-endian classic pcap file")
	}
	if binary.LittleEndian.Uint32(h[20:]) != 1 {
		return r, errors.New("link type is not Ethernet")
	}
	br.Discard(24)
	r.bytes = 24
	for {
		h, err := br.Peek(16)
		if len(h) < 16 {
			if err == io.EOF && len(h) == 0 {
				return r, nil
			}
			return r, fmt.Errorf("record %d: %v", r.packets+1, err)
		}
		n := 16 + int(binary.LittleEndian.Uint32(h[8:]))
		rec, err := br.Peek(n)
		if err != nil {
			return r, fmt.Errorf("record %d: %v", r.packets+1, err)
		}
		r.packets++
		if synAt(rec[16:]) {
			r.syn++
		}
		br.Discard(n)
		r.bytes += int64(n)
	}
}

// packetReader is what pcapgo's pcap and pcapng readers share.
type packetReader interface {
	gopacket.PacketDataSource
	gopacket.ZeroCopyPacketDataSource
}

// openPcapgo opens path with pcapgo's reader for pcap or pcapng.
func openPcapgo(path string) (packetReader, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(f, bufSize)
	magic, _ := br.Peek(4)
	var pr packetReader
	if bytes.Equal(magic, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		pr, err = pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
	} else {
		pr, err = pcapgo.NewReader(br)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return pr, func() { f.Close() }, nil
}

func viaPcapgo(path string) (result, error) {
	var r result
	pr, done, err := openPcapgo(path)
	if err != nil {
		return r, err
	}
	defer done()
	for {
		data, ci, err := pr.ZeroCopyReadPacketData()
		if err == io.EOF {
			return r, nil
		} else if err != nil {
			return r, err
		}
		r.packets++
		r.bytes += int64(ci.CaptureLength)
		if synAt(data) {
			r.syn++
		}
	}
}

func dlp(path string) (result, error) {
	var r result
	pr, done, err := openPcapgo(path)
	if err != nil {
		return r, err
	}
	defer done()
	var (
		eth     layers.Ethernet
		ip4     layers.IPv4
		ip6     layers.IPv6
		tcp     layers.TCP
		payload gopacket.Payload
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &ip6, &tcp, &payload)
	parser.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 8)
	for {
		data, ci, err := pr.ZeroCopyReadPacketData()
		if err == io.EOF {
			return r, nil
		} else if err != nil {
			return r, err
		}
		r.packets++
		r.bytes += int64(ci.CaptureLength)
		_ = parser.DecodeLayers(data, &decoded)
		for _, t := range decoded {
			if t == layers.LayerTypeTCP && tcp.SYN && !tcp.ACK {
				r.syn++
			}
		}
	}
}

// newPacket decodes every packet the way gopacket's PacketSource does by
// default (copying, eager decoding).
func newPacket(path string) (result, error) {
	var r result
	pr, done, err := openPcapgo(path)
	if err != nil {
		return r, err
	}
	defer done()
	src := gopacket.NewPacketSource(pr, layers.LayerTypeEthernet)
	for {
		p, err := src.NextPacket()
		if err == io.EOF {
			return r, nil
		} else if err != nil {
			return r, err
		}
		r.packets++
		r.bytes += int64(p.Metadata().CaptureLength)
		if l := p.Layer(layers.LayerTypeTCP); l != nil {
			if t := l.(*layers.TCP); t.SYN && !t.ACK {
				r.syn++
			}
		}
	}
}

// decompress reads a gzip or zstd file to io.Discard with the decoders'
// default settings.
func decompress(path string) (result, error) {
	var r result
	f, err := os.Open(path)
	if err != nil {
		return r, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, bufSize)
	magic, _ := br.Peek(4)
	var src io.Reader
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return r, err
		}
		defer zr.Close()
		src = zr
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return r, err
		}
		defer zr.Close()
		src = zr
	default:
		return r, errors.New("neither gzip nor zstd")
	}
	r.bytes, err = io.Copy(io.Discard, src)
	return r, err
}

// viaFlows runs halfopen's reader and tracker alone.
func viaFlows(path string) (result, error) {
	var r result
	var attempts int64
	c, err := flows.ReadFile(path, flows.Options{}, func(*flows.Attempt) { attempts++ })
	if err != nil {
		return r, err
	}
	r.packets, r.syn = c.Packets, c.Stats.SYN
	r.extra = fmt.Sprintf(" attempts=%d peak_open=%d", attempts, c.PeakOpen)
	return r, nil
}
