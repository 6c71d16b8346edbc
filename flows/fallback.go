package flows

import (
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
	pkt := gopacket.NewPacket(b, lt, gopacket.DecodeOptions{NoCopy: true, Lazy: true})
	if l := pkt.Layer(layers.LayerTypeIPv4); l != nil {
		return append(l.LayerContents(), l.LayerPayload()...), etherIPv4, true
	}
	if l := pkt.Layer(layers.LayerTypeIPv6); l != nil {
		return append(l.LayerContents(), l.LayerPayload()...), etherIPv6, true
	}
	return nil, 0, true
}
