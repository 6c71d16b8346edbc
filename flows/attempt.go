package flows

import (
	"net/netip"
	"time"
)

// Outcome is what became of a handshake attempt, as the capture shows it.
// The names are a stable vocabulary: reports and CI gates match on them.
type Outcome uint8

// Outcomes, in the order reports list them.
const (
	Established           Outcome = iota // answered on the first SYN, handshake done
	EstablishedAfterRetry                // got through only after SYN retransmits or an ignored ACK
	Unanswered                           // no reply to any SYN
	Reset                                // server answered the SYN with RST
	UnansweredThenReset                  // SYNs dropped silently, a later one answered by RST
	SynAckUnacked                        // server answered, client never completed
	AckIgnored                           // client ACKed, server kept retransmitting SYN-ACK
	ResetAfterAck                        // server RST after the client's ACK
	AnsweredWithAck                      // SYN answered by a bare ACK only
	Incomplete                           // the capture ended too early to tell
	numOutcomes
)

// NumOutcomes is the number of outcomes, for arrays indexed by Outcome.
const NumOutcomes = int(numOutcomes)

var outcomeNames = [numOutcomes]string{
	"established", "established_after_retry", "unanswered", "reset", "unanswered_then_reset", "synack_unacked",
	"ack_ignored", "reset_after_ack", "answered_with_ack", "incomplete",
}

// String returns the outcome's vocabulary name.
func (o Outcome) String() string {
	if o < numOutcomes {
		return outcomeNames[o]
	}
	return "unknown"
}

// Failed reports whether the outcome is a failure a user would chase: the
// connection did not get through, or got through only after a retry.
func (o Outcome) Failed() bool {
	switch o {
	case Established, Incomplete:
		return false
	}
	return true
}

// Outcomes returns every outcome in report order.
func Outcomes() []Outcome {
	out := make([]Outcome, numOutcomes)
	for i := range out {
		out[i] = Outcome(i)
	}
	return out
}

// ParseOutcome converts a vocabulary name back to an Outcome.
func ParseOutcome(name string) (Outcome, bool) {
	for i, n := range outcomeNames {
		if n == name {
			return Outcome(i), true
		}
	}
	return 0, false
}

// MaxTimes is how many SYN and SYN-ACK times an attempt records; later
// ones are counted but their times are not kept.
const MaxTimes = 8

// None marks an event that did not happen in the offsets of an Attempt.
const None time.Duration = -1

// SynAck is one SYN-ACK of an attempt.
type SynAck struct {
	At time.Duration // since the attempt's first SYN
	// Triggered is set when the SYN-ACK followed a client SYN retransmit
	// closely (the kernel re-answers a repeated SYN at once); otherwise it
	// came from the server's own retransmit timer.
	Triggered bool
	AfterAck  bool // sent after the client's final ACK
	NewISN    bool // its sequence number differs from the first SYN-ACK's
}

// Prev describes what the capture showed on the same 4-tuple before this
// attempt's first SYN.
type Prev struct {
	Seen              bool          // a previous connection on this 4-tuple was seen
	Open              bool          // it was still open (no FIN/RST both ways) when the SYN came
	ServerClosedFirst bool          // the server sent the first FIN: TIME-WAIT is on the server
	ClosedAgo         time.Duration // from the close to this SYN; None while open
	HasTS             bool          // the client used timestamps on it
	ClientTSval       uint32        // the client's last TSval on it (the server's ts_recent)
	ClientNextSeq     uint32        // the server's rcv_nxt when it closed
}

// Context is what the capture showed around the listener when the
// attempt's SYNs arrived. Counts are the maximum over the attempt's SYNs.
type Context struct {
	HalfOpen int // attempts to this listener answered with SYN-ACK, not completed, not expired
	Young    int // of those, how many had not yet had their SYN-ACK retransmitted
	// PendingAccept counts connections to this listener whose handshake
	// completed but whose server application has not sent anything yet,
	// an upper bound on the accept queue.
	PendingAccept int
	// PeerEstablishedAgo is the time since this client IP last completed
	// a handshake with this server IP (the kernel's tcp_metrics "proven
	// peer"); None when never in the capture.
	PeerEstablishedAgo time.Duration
	// PeerClosedAgo is the time since a connection between this client IP
	// and this server IP last closed (when Linux saves tcp_metrics); None
	// when never in the capture.
	PeerClosedAgo time.Duration
	// PeerStampAgo and PeerStampTSval describe the last connection from
	// this client IP that the server closed first (what tcp_tw_recycle
	// remembered per peer); PeerStampAgo is None when there was none.
	PeerStampAgo   time.Duration
	PeerStampTSval uint32
	// AnsweredAround is set when the listener answered another client's
	// SYN with a SYN-ACK within a second of one of this attempt's SYNs.
	AnsweredAround bool
	// AnsweredHalfOpen and AnsweredPending are the highest HalfOpen and
	// PendingAccept at which the listener answered a new SYN, anywhere in
	// the capture up to this attempt's end: a queue at those depths still
	// had room.
	AnsweredHalfOpen, AnsweredPending int
}

// Attempt is one handshake attempt: a client 4-tuple plus the client's ISN.
// Offsets are from the first SYN; None marks an event that did not happen.
type Attempt struct {
	Client, Server netip.AddrPort
	ISN            uint32
	ServerISN      uint32
	FirstSYN       int64 // Unix nanoseconds

	SYNs         int // SYN packets, retransmits included
	SYNTimes     [MaxTimes]time.Duration
	SYNOptions   TCPOptions // of the first SYN
	SYNTSvalLast uint32
	SYNTTL       uint8 // IP TTL / hop limit of the first SYN as captured
	SynAckTTL    uint8 // and of the first SYN-ACK (0 without one)
	// SYNDir and SynAckDir are the link layer's word on who sent the
	// first SYN and SYN-ACK (Linux cooked captures say; others do not).
	SYNDir, SynAckDir Direction
	// SYNOptionsCut is set when the snapshot length cut the SYN's options.
	SYNOptionsCut bool
	SYNData       bool // the SYN carried data (TCP Fast Open)
	BadChecksum   bool // a SYN arrived with a wrong TCP checksum
	OtherHost     bool // the SYN was not addressed to the capturing host (Linux cooked capture)

	SynAcks       int // SYN-ACK packets, retransmits included
	SynAckTimes   [MaxTimes]SynAck
	SynAckOptions TCPOptions // of the first SYN-ACK
	SynAckData    bool
	// OneSided is set when the client completed the handshake although the
	// capture holds no SYN-ACK: only the client's direction was captured.
	OneSided bool

	FinalAck      time.Duration // the client's ACK completing the handshake
	ClientData    time.Duration // first client payload
	ServerData    time.Duration // first server payload
	ServerAckData time.Duration // first server ACK covering client payload
	ServerRST     time.Duration
	ClientRST     time.Duration
	ServerBareAck time.Duration // a server ACK (no SYN) before any SYN-ACK
	BareAckNumber uint32
	ServerSYN     time.Duration // the server sent a SYN of its own (split handshake)
	ClientFIN     time.Duration
	ServerFIN     time.Duration
	Last          time.Duration // last packet of the attempt
	// DataRetransmits counts the client's retransmissions of its first
	// data segment before the server acknowledged it (or ever).
	DataRetransmits int

	Context Context
	Prev    Prev
	Outcome Outcome
	// CaptureEnded is set when the capture ended before the attempt's fate
	// was settled by time; the outcome then reflects what was seen so far.
	CaptureEnded bool
}

// FirstSYNTime returns the first SYN's time.
func (a *Attempt) FirstSYNTime() time.Time { return time.Unix(0, a.FirstSYN).UTC() }

// RecordedSYNs returns the recorded SYN offsets (at most MaxTimes).
func (a *Attempt) RecordedSYNs() []time.Duration { return a.SYNTimes[:min(a.SYNs, MaxTimes)] }

// RecordedSynAcks returns the recorded SYN-ACKs (at most MaxTimes).
func (a *Attempt) RecordedSynAcks() []SynAck { return a.SynAckTimes[:min(a.SynAcks, MaxTimes)] }

// TimeToSynAck is the time from the first SYN to the first SYN-ACK, or None.
func (a *Attempt) TimeToSynAck() time.Duration {
	if a.SynAcks == 0 {
		return None
	}
	return a.SynAckTimes[0].At
}

// SynAckRetransmits counts SYN-ACKs sent by the server's timer (not
// triggered by a client SYN retransmit), after the first.
func (a *Attempt) SynAckRetransmits() int {
	n := 0
	for i, s := range a.RecordedSynAcks() {
		if i > 0 && !s.Triggered {
			n++
		}
	}
	return n
}

// DataHeld reports whether the server acknowledged the client's first
// data only after it came again and again for a second or more: the
// server held the connection back (see classifyCompleted).
func (a *Attempt) DataHeld() bool {
	return a.DataRetransmits >= 2 && a.ClientData != None && a.ServerAckData != None && a.ServerAckData-a.ClientData >= heldData
}
