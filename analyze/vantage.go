package analyze

import (
	"fmt"
	"time"

	"github.com/halfopen/halfopen/flows"
)

// Vantage names where a capture was taken, as far as its packets tell.
const (
	VantageServer  = "server"  // on the server: it answers SYNs at once
	VantageClient  = "client"  // on the client: its own ACK follows the SYN-ACK at once
	VantageMiddle  = "middle"  // on the path: both sides' packets arrive routed
	VantageUnknown = "unknown" // too few completed handshakes, or they disagree
)

// vantageVotes gathers, attempt by attempt, what each kind of evidence
// says about where the capture was taken.
type vantageVotes struct {
	linkServer, linkClient int64 // the link layer marked the SYN-ACK (SYN) as sent by this host
	timeServer, timeClient int64 // which side answered "locally" (much faster than the other)
	ttlServer, ttlClient   int64 // which side's packets still carry an initial TTL
	ttlMiddle              int64 // neither does: both were routed to the capture point
}

// localAnswer is how much faster the capturing host's own answer must be
// than the far side's to count as local: a kernel answers in tens of
// microseconds, a network round trip takes longer.
const localAnswer = 4

func (v *vantageVotes) note(a *flows.Attempt) {
	if a.SynAcks == 0 {
		return
	}
	// Only opposite directions vote: both incoming is a host forwarding
	// the traffic, both outgoing a connection over loopback.
	switch {
	case a.SynAckDir == flows.DirOutgoing && a.SYNDir != flows.DirOutgoing:
		v.linkServer++
	case a.SYNDir == flows.DirOutgoing && a.SynAckDir != flows.DirOutgoing:
		v.linkClient++
	}
	if a.SYNs == 1 && a.FinalAck != flows.None && !a.SynAckTimes[0].Triggered {
		d1 := a.SynAckTimes[0].At              // SYN → SYN-ACK
		d2 := a.FinalAck - a.SynAckTimes[0].At // SYN-ACK → ACK
		switch {
		case d1 > 0 && d2 > 0 && d1*localAnswer <= d2 && d2 >= 20*time.Microsecond:
			v.timeServer++
		case d1 > 0 && d2 > 0 && d2*localAnswer <= d1 && d1 >= 20*time.Microsecond:
			v.timeClient++
		}
	}
	synInit, saInit := initialTTL(a.SYNTTL), initialTTL(a.SynAckTTL)
	switch {
	case synInit && !saInit:
		v.ttlClient++
	case saInit && !synInit:
		v.ttlServer++
	case !synInit && !saInit && a.SynAckTTL != 0:
		v.ttlMiddle++
	}
}

func (v *vantageVotes) add(o *vantageVotes) {
	v.linkServer += o.linkServer
	v.linkClient += o.linkClient
	v.timeServer += o.timeServer
	v.timeClient += o.timeClient
	v.ttlServer += o.ttlServer
	v.ttlClient += o.ttlClient
	v.ttlMiddle += o.ttlMiddle
}

// initialTTL reports whether a TTL is one a host starts with (Linux and
// macOS 64, Windows 128, network gear 255): a packet carrying one was not
// routed between its sender and the capture.
func initialTTL(ttl uint8) bool { return ttl == 64 || ttl == 128 || ttl == 255 }

// clear reports whether yes outvotes no decisively among at least min votes.
func clear(yes, no, min int64) bool { return yes >= min && yes >= 4*no }

// decide names the vantage and the reason, strongest evidence first: the
// link layer's direction, then answer timing, then TTLs.
func (v *vantageVotes) decide() (string, string) {
	switch {
	case clear(v.linkServer, v.linkClient, 1):
		return VantageServer, fmt.Sprintf("the capture marks %d SYN-ACK(s) as sent by the capturing host", v.linkServer)
	case clear(v.linkClient, v.linkServer, 1):
		return VantageClient, fmt.Sprintf("the capture marks %d SYN(s) as sent by the capturing host", v.linkClient)
	case clear(v.timeServer, v.timeClient, 3):
		return VantageServer, fmt.Sprintf("in %d of %d handshakes the SYN-ACK followed the SYN at least %d× faster than the client's ACK followed the SYN-ACK: the server answered locally", v.timeServer, v.timeServer+v.timeClient, localAnswer)
	case clear(v.timeClient, v.timeServer, 3):
		return VantageClient, fmt.Sprintf("in %d of %d handshakes the client's ACK followed the SYN-ACK at least %d× faster than the SYN-ACK followed the SYN: the client answered locally", v.timeClient, v.timeServer+v.timeClient, localAnswer)
	case clear(v.ttlServer, v.ttlClient+v.ttlMiddle, 3):
		return VantageServer, fmt.Sprintf("%d SYN-ACK(s) carry an initial TTL while their SYNs were routed", v.ttlServer)
	case clear(v.ttlClient, v.ttlServer+v.ttlMiddle, 3):
		return VantageClient, fmt.Sprintf("%d SYN(s) carry an initial TTL while the SYN-ACKs were routed", v.ttlClient)
	case clear(v.ttlMiddle, v.ttlServer+v.ttlClient, 3):
		return VantageMiddle, fmt.Sprintf("in %d handshakes both the SYN and the SYN-ACK arrived routed (no initial TTL): captured on the path", v.ttlMiddle)
	}
	return VantageUnknown, "too few completed handshakes to tell which side answered locally"
}
