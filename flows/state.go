package flows

import "time"

// Flow kinds in the tracker's slab.
const (
	kindFree    uint8 = iota
	kindAttempt       // a handshake attempt whose fate is not known yet
	kindConn          // an established (or pre-existing) connection, still open
	kindClosed        // closed; kept for TIME-WAIT memory
)

// Side flags of a flow: endpoint a or b of its canonical key.
const (
	sideA = 0
	sideB = 1
)

// flow is one 4-tuple in the tracker. It follows FINs, RSTs and
// timestamps for every kind, so a connection's close is known whether or
// not its handshake was seen. It holds no pointers.
type flow struct {
	key      flowKey
	kind     uint8
	client   int8 // sideA or sideB; -1 when the handshake was not seen
	firstFIN int8 // side that sent the first FIN; -1 none
	finBits  uint8
	tsBits   uint8 // bit per side: that side used timestamps
	pending  bool  // counted in its listener's PendingAccept
	pre      bool  // first seen mid-connection (already open at capture start)
	gen      uint32
	att      uint32 // attemptState index+1 while kind == kindAttempt
	listener uint32 // listener index+1 when pending
	last     int64  // last packet, Unix ns
	due      int64  // second the live timer entry fires; 0 none
	closedAt int64
	lastTS   [2]uint32
	nextSeq  [2]uint32
	// A SYN-ACK seen before any SYN (one-sided capture, backscatter, or a
	// capture that reordered the handshake): kept so a late SYN can claim it.
	orphanAt  int64
	orphanSeq uint32
	orphanAck uint32
}

const (
	finA   uint8 = 1 << sideA
	finB   uint8 = 1 << sideB
	rstAny uint8 = 4
)

func (f *flow) closed() bool { return f.finBits&rstAny != 0 || f.finBits&(finA|finB) == finA|finB }

// Event slots of an attempt, stored as microsecond offsets + 1 (0 = none).
const (
	evFinalAck = iota
	evClientData
	evServerData
	evServerAckData
	evServerRST
	evClientRST
	evBareAck
	evServerSYN
	evClientFIN
	evServerFIN
	numEvents
)

// Attempt state flags.
const (
	afOptionsCut uint16 = 1 << iota
	afSYNData
	afBadChecksum
	afOtherHost
	afSynAckData
	afHalfOpen // counted in the listener's HalfOpen
	afYoung    // counted in the listener's Young
	afAckIgnored
	afOneSided // the client completed a handshake whose SYN-ACK the capture lacks
	afDataSeq  // dataSeq holds the sequence number of the client's first data
)

// SYN-ACK kind bits.
const (
	saTriggered uint8 = 1 << iota
	saAfterAck
	saNewISN
)

// attemptState is the compact, pointer-free state of an open attempt.
type attemptState struct {
	// Hot: what deadline() and the per-packet paths read, kept together so
	// firing a timer touches one or two cache lines, not four.
	firstSYN  int64
	nSYN      uint32
	nSA       uint32
	lastSYN   uint32 // µs offset of the last SYN (beyond MaxTimes too)
	lastSA    uint32
	prevSYN   uint32 // the one before lastSYN, for the retransmit gap
	prevSA    uint32
	last      uint32
	flags     uint16
	synTTL    uint8
	saTTL     uint8
	synDir    Direction
	saDir     Direction
	around    bool // answeredAround
	ev        [numEvents]uint32
	isn       uint32
	serverISN uint32
	synLen    uint32 // payload carried by the SYN (TFO)
	listener  uint32 // listener index
	// Cold: read when the attempt is settled.
	synOff    [MaxTimes]uint32 // µs from firstSYN
	saOff     [MaxTimes]uint32
	saKind    [MaxTimes]uint8
	synTSLast uint32
	saTSval   uint32 // TSval of the last SYN-ACK
	bareAckNo uint32
	dataSeq   uint32 // sequence number of the client's first data
	dataRetx  uint16 // its retransmissions before the server acknowledged it
	synOpts   TCPOptions
	saOpts    TCPOptions
	ctxHalf   uint32
	ctxYoung  uint32
	ctxPend   uint32
	peerEst   uint32 // ms since the peer's last completed handshake + 1; 0 none
	peerClose uint32 // ms since the peer pair's last close + 1; 0 none
	stampAgo  uint32 // ms since the tw_recycle stamp + 1; 0 none
	stampTS   uint32
	prev      prevState
}

type prevState struct {
	flags   uint8 // pvSeen | pvOpen | pvServerFirst | pvHasTS
	ago     uint32
	ts      uint32
	nextSeq uint32
}

const (
	pvSeen uint8 = 1 << iota
	pvOpen
	pvServerFirst
	pvHasTS
)

// micros converts a non-negative duration in ns to a saturating µs offset.
func micros(ns int64) uint32 {
	if ns <= 0 {
		return 0
	}
	us := ns / 1e3
	if us >= 1<<32-2 {
		return 1<<32 - 2
	}
	return uint32(us)
}

func (a *attemptState) offset(t int64) uint32 { return micros(t - a.firstSYN) }

func (a *attemptState) mark(ev int, t int64) {
	if a.ev[ev] == 0 {
		a.ev[ev] = a.offset(t) + 1
	}
}

func (a *attemptState) has(ev int) bool { return a.ev[ev] != 0 }

// at returns an event's offset in µs; only valid when has(ev).
func (a *attemptState) at(ev int) uint32 { return a.ev[ev] - 1 }

func usDuration(us uint32) time.Duration { return time.Duration(us) * time.Microsecond }

func evDuration(v uint32) time.Duration {
	if v == 0 {
		return None
	}
	return usDuration(v - 1)
}

func msAgo(v uint32) time.Duration {
	if v == 0 {
		return None
	}
	return time.Duration(v-1) * time.Millisecond
}

func agoMillis(ns int64) uint32 {
	ms := ns / 1e6
	if ms < 0 {
		ms = 0
	}
	if ms >= 1<<32-2 {
		ms = 1<<32 - 2
	}
	return uint32(ms) + 1
}
