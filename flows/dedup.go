package flows

import (
	"encoding/binary"
	"time"
)

// dupWindow is how close in time two identical segments must be to count
// as one frame captured twice. The copies a capture makes of one frame
// (tcpdump -i any on loopback or across a bridge and its ports, a mirror
// port copying both directions of a link) are usually microseconds apart.
// A real retransmission comes later: a tail-loss probe 10 ms at least, a
// SYN, SYN-ACK or data retransmit 200 ms at least; and it differs in the
// IPv4 ID (every stack numbers packets), timestamp or checksum when it can.
const dupWindow = 10 * time.Millisecond

// dupWindowIPID applies to IPv4 segments with a non-zero ID: a retransmit
// carries a new ID, so an identical ID proves a copy even when a busy
// mirror port delivered the second one late (12 ms seen in a public
// industrial-LAN capture). Linux sends SYN-ACKs with ID 0, and those are
// retransmitted byte for byte without timestamps: they get dupWindow.
const dupWindowIPID = 250 * time.Millisecond

// dupSlots sizes the filter: a direct-mapped table, so a lookup costs one
// cache line. More than dupSlots segments inside dupWindow (1.6 Mpps) only
// lets some duplicates through.
const dupSlots = 1 << 14

// dupFilter recognises a segment identical to one seen moments before.
type dupFilter struct {
	slots [dupSlots]struct {
		hash uint64
		at   int64
	}
}

// duplicate reports whether s repeats a segment seen within dupWindow:
// same direction, ports, sequence and acknowledgment numbers, flags,
// window, length, IPv4 ID, TCP checksum and timestamp. The TTL is left
// out: a routed copy of the frame has it decremented.
func (f *dupFilter) duplicate(s *Segment) bool {
	if s.Flags&(FlagSYN|FlagACK) == FlagSYN|FlagACK {
		// Linux sends SYN-ACKs with IP ID 0 and may send the same one
		// twice in a moment (its timer and a retransmitted SYN): the
		// tracker, which knows the SYNs, tells copies from answers.
		return false
	}
	h := segmentHash(s)
	e := &f.slots[h&(dupSlots-1)]
	window := int64(dupWindow)
	if s.IPID != 0 && s.Src.Is4() {
		window = int64(dupWindowIPID)
	}
	if d := s.Time - e.at; e.hash == h && d >= 0 && d < window {
		return true
	}
	e.hash, e.at = h, s.Time
	return false
}

func segmentHash(s *Segment) uint64 {
	a0, a1 := binary.LittleEndian.Uint64(s.Src[:8]), binary.LittleEndian.Uint64(s.Src[8:])
	b0, b1 := binary.LittleEndian.Uint64(s.Dst[:8]), binary.LittleEndian.Uint64(s.Dst[8:])
	ports := uint64(s.SrcPort)<<48 | uint64(s.DstPort)<<32 | uint64(s.Flags)<<16 | uint64(s.Window)
	nums := uint64(s.Seq)<<32 | uint64(s.Ack)
	rest := uint64(s.PayloadLen)<<32 | uint64(s.IPID)<<16 | uint64(s.Checksum)
	ts := uint64(s.Opts.TSval)<<32 | uint64(s.Opts.TSecr)
	// Directional: unlike the flow key, the two directions must differ.
	return mix(a0^hk0, a1^hk1) ^ mix(b0^hk2, b1^hk3) ^ mix(ports^hk4, nums^hk0) ^ mix(rest^hk1, ts^hk3)
}
