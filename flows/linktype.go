package flows

import "fmt"

// LinkType is a LINKTYPE_ value from a pcap header or pcapng interface.
// gopacket's layers.LinkType is a uint8 and cannot hold LINKTYPE_LINUX_SLL2
// (276), so halfopen keeps its own.
type LinkType uint16

// Link types the fast decoder handles. Others go through gopacket.
const (
	LinkNull      LinkType = 0   // BSD loopback, host-endian address family
	LinkEthernet  LinkType = 1   // Ethernet II / 802.3
	LinkRaw       LinkType = 101 // raw IPv4 or IPv6
	LinkRawOld12  LinkType = 12  // DLT_RAW on some BSDs
	LinkRawOld14  LinkType = 14  // DLT_RAW on OpenBSD
	LinkLoop      LinkType = 108 // OpenBSD loopback, network-order family
	LinkLinuxSLL  LinkType = 113 // Linux cooked v1 (tcpdump -i any, libpcap < 1.10)
	LinkIPv4      LinkType = 228
	LinkIPv6      LinkType = 229
	LinkNFLog     LinkType = 239 // Linux netfilter NFLOG
	LinkIPoIB     LinkType = 242 // IP over InfiniBand
	LinkLinuxSLL2 LinkType = 276 // Linux cooked v2 (tcpdump -i any, libpcap ≥ 1.10)
)

var linkNames = map[LinkType]string{
	LinkNull:      "null",
	LinkEthernet:  "ethernet",
	LinkRaw:       "raw",
	LinkRawOld12:  "raw",
	LinkRawOld14:  "raw",
	LinkLoop:      "loop",
	LinkLinuxSLL:  "linux-sll",
	LinkIPv4:      "ipv4",
	LinkIPv6:      "ipv6",
	LinkNFLog:     "nflog",
	LinkIPoIB:     "ipoib",
	LinkLinuxSLL2: "linux-sll2",
	9:             "ppp",
	50:            "ppp-hdlc",
	104:           "c-hdlc",
	105:           "ieee802.11",
	117:           "pflog",
	119:           "prism",
	127:           "radiotap",
}

// String returns a short lower-case name, e.g. "linux-sll2", or "linktype-N".
func (l LinkType) String() string {
	if n, ok := linkNames[l]; ok {
		return n
	}
	return fmt.Sprintf("linktype-%d", uint16(l))
}
