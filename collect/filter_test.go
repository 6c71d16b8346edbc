//go:build linux

package collect

import (
	"encoding/binary"
	"testing"

	"golang.org/x/net/bpf"
)

// TestPortFilter runs the capture filter in x/net/bpf's VM on crafted
// IPv4/IPv6 headers: a wrong jump offset would keep or drop the wrong packets.
func TestPortFilter(t *testing.T) {
	vm, err := bpf.NewVM(portFilter(8080))
	if err != nil {
		t.Fatal(err)
	}
	v4 := func(ihl int, proto byte, frag uint16, sport, dport uint16) []byte {
		b := make([]byte, ihl*4+20)
		b[0] = 0x40 | byte(ihl)
		b[9] = proto
		binary.BigEndian.PutUint16(b[6:], frag)
		binary.BigEndian.PutUint16(b[ihl*4:], sport)
		binary.BigEndian.PutUint16(b[ihl*4+2:], dport)
		return b
	}
	v6 := func(next byte, sport, dport uint16) []byte {
		b := make([]byte, 60)
		b[0] = 0x60
		b[6] = next
		binary.BigEndian.PutUint16(b[40:], sport)
		binary.BigEndian.PutUint16(b[42:], dport)
		return b
	}
	tests := []struct {
		name string
		pkt  []byte
		keep bool
	}{
		{"v4 to port", v4(5, 6, 0x4000, 40000, 8080), true},
		{"v4 from port", v4(5, 6, 0, 8080, 40000), true},
		{"v4 with options to port", v4(8, 6, 0, 40000, 8080), true},
		{"v4 other port", v4(5, 6, 0, 40000, 80), false},
		{"v4 udp to port", v4(5, 17, 0, 40000, 8080), false},
		{"v4 non-first fragment", v4(5, 6, 0x0010, 40000, 8080), false},
		{"v6 to port", v6(6, 40000, 8080), true},
		{"v6 from port", v6(6, 8080, 40000), true},
		{"v6 other port", v6(6, 40000, 443), false},
		{"v6 udp", v6(17, 40000, 8080), false},
		{"arp", []byte{0x00, 0x01, 0x08, 0x00}, false},
	}
	for _, tt := range tests {
		n, err := vm.Run(tt.pkt)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if (n > 0) != tt.keep {
			t.Errorf("%s: filter returned %d, want keep=%v", tt.name, n, tt.keep)
		}
	}
}
