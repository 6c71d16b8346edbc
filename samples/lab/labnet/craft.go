//go:build linux

package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"syscall"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// craftSYN sends one IPv4 SYN, serialised by gopacket, through a raw
// IPPROTO_RAW socket. Its options mimic a Linux SYN (MSS, SACK-permitted,
// timestamps, NOP, window scale) with the chosen TSval and ISN. The local
// kernel knows nothing about it, so it answers any reply to it with a RST.
func craftSYN(args []string) error {
	fs := flag.NewFlagSet("craft-syn", flag.ExitOnError)
	from := fs.String("from", "10.77.0.2:45000", "source ip:port (IPv4)")
	to := fs.String("to", "10.77.0.1:8080", "destination ip:port (IPv4)")
	tsval := fs.Uint("tsval", 1, "TSval of the timestamp option")
	isn := fs.Uint("isn", 0, "initial sequence number (0: random)")
	mss := fs.Uint("mss", 1460, "MSS option")
	_ = fs.Parse(args)

	src, err := parseAddrPort(*from)
	if err != nil {
		return err
	}
	dst, err := parseAddrPort(*to)
	if err != nil {
		return err
	}
	if !src.Addr().Is4() || !dst.Addr().Is4() {
		return fmt.Errorf("craft-syn supports IPv4 only")
	}
	seq := uint32(*isn)
	if seq == 0 {
		seq = rand.Uint32()
	}
	ip := &layers.IPv4{
		Version:  4,
		IHL:      5,
		TTL:      64,
		Id:       uint16(rand.Uint32()),
		Flags:    layers.IPv4DontFragment,
		Protocol: layers.IPProtocolTCP,
		SrcIP:    net.IP(src.Addr().AsSlice()),
		DstIP:    net.IP(dst.Addr().AsSlice()),
	}
	ts := make([]byte, 8)
	binary.BigEndian.PutUint32(ts, uint32(*tsval))
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(src.Port()),
		DstPort: layers.TCPPort(dst.Port()),
		Seq:     seq,
		SYN:     true,
		Window:  64240,
		Options: []layers.TCPOption{
			{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{byte(*mss >> 8), byte(*mss)}},
			{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
			{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: ts},
			{OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}},
		},
	}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		return err
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ip, tcp); err != nil {
		return err
	}

	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, syscall.IPPROTO_RAW)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	if err := syscall.Sendto(fd, buf.Bytes(), 0, &syscall.SockaddrInet4{Addr: dst.Addr().As4()}); err != nil {
		return err
	}
	logf("sent SYN %s -> %s seq=%d tsval=%d (%d bytes)", src, dst, seq, uint32(*tsval), len(buf.Bytes()))
	return nil
}
