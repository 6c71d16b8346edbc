package flows

import (
	"bytes"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// gopacketFallback decodes link types the fast path does not know (PPP,
// 802.11, PFLOG, radiotap…) with gopacket's layer decoders, then hands the
// IP packet back to the fast path. It is slow but only runs for such links.
type gopacketFallback struct{}

func newGopacketFallback() *gopacketFallback { return &gopacketFallback{} }

// ipPayload returns the bytes of the first IP layer gopacket finds.
func (f *gopacketFallback) ipPayload(link LinkType, b []byte) ([]byte, uint16, bool) {
	if link > 255 {
		return nil, 0, false
	}
	lt := layers.LinkType(link)
	if layers.LinkTypeMetadata[lt].Name == "UnknownLinkType" {
		return nil, 0, false
	}
	// gopacket decodes a copy: some of its decoders edit their input in
	// place (RadioTap removes driver padding with an append), and the
	// record aliases the reader's buffer.
	b = bytes.Clone(b)
	pkt := gopacket.NewPacket(b, lt, gopacket.DecodeOptions{NoCopy: true, Lazy: true})
	if l := pkt.Layer(layers.LayerTypeIPv4); l != nil {
		return ipFrom(b, l), etherIPv4, true
	}
	if l := pkt.Layer(layers.LayerTypeIPv6); l != nil {
		return ipFrom(b, l), etherIPv6, true
	}
	return nil, 0, true
}

// ipFrom returns the IP packet of layer l: the record from the layer's
// first byte on, for the fast path to parse (it trims by the IP length and
// walks IPv6 extension headers itself). Gluing the layer's contents and
// payload together would be wrong: gopacket leaves an IPv6 hop-by-hop
// header out of both, and appending in place writes over the record.
func ipFrom(b []byte, l gopacket.Layer) []byte {
	c := l.LayerContents()
	if len(c) > 0 {
		// With NoCopy the layer aliases b: find where it starts.
		if off := cap(b) - cap(c); off >= 0 && off+len(c) <= len(b) && &b[off] == &c[0] {
			return b[off:]
		}
	}
	// Not within b (no gopacket decoder copies today): a fresh copy, with
	// an IPv6 hop-by-hop header's next header in place of its own.
	ip := append(append(make([]byte, 0, len(c)+len(l.LayerPayload())), c...), l.LayerPayload()...)
	if v6, ok := l.(*layers.IPv6); ok && v6.HopByHop != nil && len(ip) >= 40 {
		ip[6] = byte(v6.HopByHop.NextHeader)
	}
	return ip
}
