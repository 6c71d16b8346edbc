//go:build linux

package lab

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"golang.org/x/sys/unix"
)

// RawSYN is one hand-built IPv4 SYN sent through a raw socket. The sending
// kernel knows nothing of it: it answers a SYN-ACK to a local address with
// RST (a port scanner's half-open probe) and drops replies to addresses it
// does not own (a spoofed flood).
type RawSYN struct {
	From  netip.AddrPort
	To    netip.AddrPort
	ISN   uint32
	TSval uint32 // 0: no timestamp option
}

// RawRecord logs one raw SYN sent.
type RawRecord struct {
	Kind  string    `json:"kind"` // flood, scan, crafted
	From  string    `json:"from"`
	To    string    `json:"to"`
	ISN   uint32    `json:"isn"`
	TSval uint32    `json:"tsval,omitempty"`
	Time  time.Time `json:"time"`
}

func (s RawSYN) serialize(ipid uint16) ([]byte, error) {
	if !s.From.Addr().Is4() || !s.To.Addr().Is4() {
		return nil, fmt.Errorf("raw SYN %s -> %s: IPv4 only", s.From, s.To)
	}
	ip := &layers.IPv4{
		Version: 4, IHL: 5, TTL: 64, Id: ipid, Flags: layers.IPv4DontFragment,
		Protocol: layers.IPProtocolTCP,
		SrcIP:    net.IP(s.From.Addr().AsSlice()), DstIP: net.IP(s.To.Addr().AsSlice()),
	}
	opts := []layers.TCPOption{
		{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}},
		{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
	}
	if s.TSval != 0 {
		ts := make([]byte, 8)
		binary.BigEndian.PutUint32(ts, s.TSval)
		opts = append(opts, layers.TCPOption{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: ts})
	}
	opts = append(opts,
		layers.TCPOption{OptionType: layers.TCPOptionKindNop},
		layers.TCPOption{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}})
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(s.From.Port()), DstPort: layers.TCPPort(s.To.Port()),
		Seq: s.ISN, SYN: true, Window: 64240, Options: opts,
	}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		return nil, err
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ip, tcp); err != nil {
		return nil, fmt.Errorf("serialize SYN: %w", err)
	}
	return buf.Bytes(), nil
}

// rawSender owns a raw IPPROTO_RAW socket created in the client namespace.
type rawSender struct {
	fd  int
	rng *rand.Rand
}

func newRawSender(ns string, seed uint64) (*rawSender, error) {
	s := &rawSender{fd: -1, rng: rand.New(rand.NewPCG(seed, 0x686f6c))}
	err := inNetns(ns, func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
		s.fd = fd
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("raw socket: %w", err)
	}
	return s, nil
}

func (s *rawSender) send(syn RawSYN) error {
	b, err := syn.serialize(uint16(s.rng.Uint32()))
	if err != nil {
		return err
	}
	if err := unix.Sendto(s.fd, b, 0, &unix.SockaddrInet4{Addr: syn.To.Addr().As4()}); err != nil {
		return fmt.Errorf("send SYN %s -> %s: %w", syn.From, syn.To, err)
	}
	return nil
}

func (s *rawSender) close() {
	if s.fd >= 0 {
		unix.Close(s.fd)
		s.fd = -1
	}
}

// spoofSource is the i-th address of the spoofed-flood range.
func spoofSource(i int) netip.Addr {
	b := spoofNet.Addr().As4()
	b[2] = byte(1 + i/250)
	b[3] = byte(1 + i%250)
	return netip.AddrFrom4(b)
}
