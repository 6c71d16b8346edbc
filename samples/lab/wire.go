//go:build linux

package lab

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"time"

	"github.com/google/gopacket/pcapgo"
)

// This file is the lab's own minimal reading of a capture: what was on the
// wire, packet by packet, independent of halfopen's decoder and tracker
// (it shares no code with flows/). It knows Ethernet (with 802.1Q tags),
// Linux cooked captures (SLL, SLL2), IPv4 and IPv6 without extension
// headers, and TCP.

// Segment is one TCP segment as captured.
type Segment struct {
	T          time.Time
	Src, Dst   netip.AddrPort
	SYN, ACK   bool
	RST, FIN   bool
	Seq, AckNo uint32
	Len        int
	TSval      uint32
	HasTS      bool
	ipid       uint16
	ifindex    uint32 // SLL2 only: the interface the frame was seen on
}

// Wire is what the lab read from a capture.
type Wire struct {
	LinkType string
	Segments int
	// Duplicates are frames that repeat a packet already seen on another
	// interface within 5 ms (SLL2 says which interface).
	Duplicates int
	First      time.Time
	Last       time.Time
	Attempts   []*WireAttempt
}

// WireSynAck is one SYN-ACK of an attempt.
type WireSynAck struct {
	T        time.Time
	AfterAck bool // sent after the client had ACKed
	ISN      uint32
}

// WireAttempt is one handshake attempt: client 4-tuple + client ISN.
type WireAttempt struct {
	Client, Server netip.AddrPort
	ISN            uint32
	SYNs           []time.Time
	SynAcks        []WireSynAck
	ClientAck      time.Time   // first client segment after a SYN-ACK
	ClientSegs     []time.Time // every client segment after the SYNs
	ClientData     []time.Time // client segments with payload
	ClientDataSeqs map[uint32]int
	ServerAckData  time.Time // server acknowledged client bytes (or FIN)
	ServerData     time.Time
	ServerFIN      time.Time
	ClientFIN      time.Time
	ServerRST      time.Time
	ClientRST      time.Time
	ServerBareAck  time.Time // bare ACK to a SYN before any SYN-ACK
	Last           time.Time
}

// ReadWire reads a pcap file into handshake attempts.
func ReadWire(path string) (*Wire, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read capture: %w", err)
	}
	defer f.Close()
	lt, err := pcapLinkType(f)
	if err != nil {
		return nil, fmt.Errorf("read capture %s: %w", path, err)
	}
	r, err := pcapgo.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("read capture %s: %w", path, err)
	}
	w := &Wire{LinkType: linkName(lt)}
	tr := newWireTracker(w)
	for {
		data, ci, err := r.ZeroCopyReadPacketData()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read capture %s: %w", path, err)
		}
		seg, ok := decodeFrame(lt, data)
		if !ok {
			continue
		}
		seg.T = ci.Timestamp
		tr.add(seg)
	}
	tr.finish()
	return w, nil
}

// Link types (pcap LINKTYPE_* values).
const (
	ltEthernet = 1
	ltSLL      = 113
	ltSLL2     = 276
)

// pcapLinkType reads the link type from the pcap file header and rewinds:
// gopacket's LinkType is 8 bits wide and cannot hold SLL2 (276).
func pcapLinkType(f *os.File) (uint32, error) {
	var h [24]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return 0, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	switch binary.LittleEndian.Uint32(h[:]) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		return binary.LittleEndian.Uint32(h[20:]), nil
	case 0xd4c3b2a1, 0x4d3cb2a1:
		return binary.BigEndian.Uint32(h[20:]), nil
	}
	return 0, fmt.Errorf("not a pcap file (pcapng is not read by the lab)")
}

func linkName(lt uint32) string {
	switch lt {
	case ltEthernet:
		return "ethernet"
	case ltSLL:
		return "sll"
	case ltSLL2:
		return "sll2"
	}
	return fmt.Sprintf("linktype-%d", lt)
}

// decodeFrame extracts the TCP segment of a frame, if any.
func decodeFrame(lt uint32, b []byte) (Segment, bool) {
	var proto uint16
	var ifindex uint32
	switch lt {
	case ltEthernet:
		if len(b) < 14 {
			return Segment{}, false
		}
		proto, b = binary.BigEndian.Uint16(b[12:]), b[14:]
		for proto == 0x8100 || proto == 0x88a8 {
			if len(b) < 4 {
				return Segment{}, false
			}
			proto, b = binary.BigEndian.Uint16(b[2:]), b[4:]
		}
	case ltSLL:
		if len(b) < 16 {
			return Segment{}, false
		}
		proto, b = binary.BigEndian.Uint16(b[14:]), b[16:]
	case ltSLL2:
		if len(b) < 20 {
			return Segment{}, false
		}
		proto, ifindex, b = binary.BigEndian.Uint16(b[0:]), binary.BigEndian.Uint32(b[4:]), b[20:]
	default:
		return Segment{}, false
	}
	var s Segment
	s.ifindex = ifindex
	var src, dst netip.Addr
	var tcp []byte
	switch proto {
	case 0x0800:
		if len(b) < 20 || b[9] != 6 {
			return s, false
		}
		ihl := int(b[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(b[2:]))
		if total > len(b) || ihl > total {
			total = len(b)
		}
		src, dst = netip.AddrFrom4([4]byte(b[12:16])), netip.AddrFrom4([4]byte(b[16:20]))
		s.ipid = binary.BigEndian.Uint16(b[4:])
		tcp = b[ihl:total]
	case 0x86dd:
		if len(b) < 40 || b[6] != 6 {
			return s, false
		}
		plen := int(binary.BigEndian.Uint16(b[4:]))
		end := min(40+plen, len(b))
		src, dst = netip.AddrFrom16([16]byte(b[8:24])), netip.AddrFrom16([16]byte(b[24:40]))
		tcp = b[40:end]
	default:
		return s, false
	}
	if len(tcp) < 20 {
		return s, false
	}
	off := int(tcp[12]>>4) * 4
	if off < 20 || off > len(tcp) {
		return s, false
	}
	s.Src = netip.AddrPortFrom(src, binary.BigEndian.Uint16(tcp[0:]))
	s.Dst = netip.AddrPortFrom(dst, binary.BigEndian.Uint16(tcp[2:]))
	s.Seq, s.AckNo = binary.BigEndian.Uint32(tcp[4:]), binary.BigEndian.Uint32(tcp[8:])
	fl := tcp[13]
	s.FIN, s.SYN, s.RST, s.ACK = fl&0x01 != 0, fl&0x02 != 0, fl&0x04 != 0, fl&0x10 != 0
	s.Len = len(tcp) - off
	s.TSval, s.HasTS = tsval(tcp[20:off])
	return s, true
}

func tsval(opts []byte) (uint32, bool) {
	for i := 0; i < len(opts); {
		switch opts[i] {
		case 0:
			return 0, false
		case 1:
			i++
			continue
		}
		if i+1 >= len(opts) || opts[i+1] < 2 {
			return 0, false
		}
		if opts[i] == 8 && opts[i+1] == 10 && i+10 <= len(opts) {
			return binary.BigEndian.Uint32(opts[i+2:]), true
		}
		i += int(opts[i+1])
	}
	return 0, false
}

type flowKey struct{ client, server netip.AddrPort }

type dupKey struct {
	src, dst   netip.AddrPort
	seq, ack   uint32
	flags, len int
	ipid       uint16
}

// seenCopy is the last copy of a packet: when and on which interface.
type seenCopy struct {
	t       time.Time
	ifindex uint32
}

type wireTracker struct {
	w       *Wire
	current map[flowKey]*WireAttempt
	seen    map[dupKey]seenCopy
}

func newWireTracker(w *Wire) *wireTracker {
	return &wireTracker{w: w, current: map[flowKey]*WireAttempt{}, seen: map[dupKey]seenCopy{}}
}

func flagBits(s Segment) int {
	b := 0
	for i, f := range []bool{s.SYN, s.ACK, s.RST, s.FIN} {
		if f {
			b |= 1 << i
		}
	}
	return b
}

func (t *wireTracker) add(s Segment) {
	k := dupKey{s.Src, s.Dst, s.Seq, s.AckNo, flagBits(s), s.Len, s.ipid}
	if prev, ok := t.seen[k]; ok && isCopy(prev, s) {
		t.w.Duplicates++
		return
	}
	t.seen[k] = seenCopy{s.T, s.ifindex}
	t.w.Segments++
	if t.w.First.IsZero() {
		t.w.First = s.T
	}
	t.w.Last = s.T
	if s.SYN && !s.ACK {
		t.clientSYN(s)
		return
	}
	if a := t.current[flowKey{s.Src, s.Dst}]; a != nil {
		t.fromClient(a, s)
	} else if a := t.current[flowKey{s.Dst, s.Src}]; a != nil {
		t.fromServer(a, s)
	}
}

// isCopy: the same packet seen again on another interface within 5 ms.
// On one interface an identical frame is a real second transmission (a
// SYN-ACK retransmitted by the timer and again for the client's SYN
// retransmit can leave within microseconds), so it is never a copy.
func isCopy(prev seenCopy, s Segment) bool {
	d := s.T.Sub(prev.t)
	return prev.ifindex != s.ifindex && d >= 0 && d < 5*time.Millisecond
}

func (t *wireTracker) clientSYN(s Segment) {
	key := flowKey{s.Src, s.Dst}
	a := t.current[key]
	if a == nil || a.ISN != s.Seq {
		a = &WireAttempt{Client: s.Src, Server: s.Dst, ISN: s.Seq, ClientDataSeqs: map[uint32]int{}}
		t.current[key] = a
		t.w.Attempts = append(t.w.Attempts, a)
	}
	a.SYNs = append(a.SYNs, s.T)
	a.Last = s.T
}

func (t *wireTracker) fromClient(a *WireAttempt, s Segment) {
	a.Last = s.T
	a.ClientSegs = append(a.ClientSegs, s.T)
	switch {
	case s.RST:
		setOnce(&a.ClientRST, s.T)
		return
	case len(a.SynAcks) > 0 && s.ACK:
		setOnce(&a.ClientAck, s.T)
	}
	if s.Len > 0 {
		a.ClientData = append(a.ClientData, s.T)
		a.ClientDataSeqs[s.Seq]++
	}
	if s.FIN {
		setOnce(&a.ClientFIN, s.T)
	}
}

func (t *wireTracker) fromServer(a *WireAttempt, s Segment) {
	a.Last = s.T
	switch {
	case s.SYN && s.ACK:
		a.SynAcks = append(a.SynAcks, WireSynAck{T: s.T, AfterAck: !a.ClientAck.IsZero(), ISN: s.Seq})
		return
	case s.RST:
		setOnce(&a.ServerRST, s.T)
		return
	}
	if len(a.SynAcks) == 0 && s.ACK && a.ClientAck.IsZero() {
		setOnce(&a.ServerBareAck, s.T)
		return
	}
	if s.ACK && s.AckNo-a.ISN-1 > 0 && s.AckNo-a.ISN-1 < 1<<30 && !a.ClientAck.IsZero() {
		setOnce(&a.ServerAckData, s.T)
	}
	if s.Len > 0 {
		setOnce(&a.ServerData, s.T)
	}
	if s.FIN {
		setOnce(&a.ServerFIN, s.T)
	}
}

func setOnce(t *time.Time, v time.Time) {
	if t.IsZero() {
		*t = v
	}
}

func (t *wireTracker) finish() {
	sort.SliceStable(t.w.Attempts, func(i, j int) bool { return t.w.Attempts[i].SYNs[0].Before(t.w.Attempts[j].SYNs[0]) })
}

// FirstSYN is the attempt's first SYN in the capture.
func (a *WireAttempt) FirstSYN() time.Time { return a.SYNs[0] }

// synsBefore counts the attempt's SYNs before t.
func (a *WireAttempt) synsBefore(t time.Time) int {
	n := 0
	for _, s := range a.SYNs {
		if s.Before(t) {
			n++
		}
	}
	return n
}

// firstAnswer is when the server first answered a SYN (SYN-ACK, RST or bare
// ACK); zero if never.
func (a *WireAttempt) firstAnswer() time.Time {
	var t time.Time
	for _, c := range []time.Time{a.ServerRST, a.ServerBareAck} {
		if !c.IsZero() && (t.IsZero() || c.Before(t)) {
			t = c
		}
	}
	if len(a.SynAcks) > 0 && (t.IsZero() || a.SynAcks[0].T.Before(t)) {
		t = a.SynAcks[0].T
	}
	return t
}

// answersClient: t follows a client segment within 500 ms — the server's
// packet at t is a reply to the client, not something it did on its own.
func (a *WireAttempt) answersClient(t time.Time) bool {
	for _, c := range a.ClientSegs {
		if !c.After(t) && t.Sub(c) < 500*time.Millisecond {
			return true
		}
	}
	return false
}

// retransmittedData reports whether the client sent some payload twice.
func (a *WireAttempt) retransmittedData() bool {
	for _, n := range a.ClientDataSeqs {
		if n > 1 {
			return true
		}
	}
	return false
}
