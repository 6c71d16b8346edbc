package analyze

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/halfopen/halfopen/flows"
)

// Rung is one packet of an attempt's ladder diagram.
type Rung struct {
	At         time.Duration // since the attempt's first SYN
	FromClient bool
	Flags      string // e.g. "SYN", "SYN,ACK", "ACK,PSH"
	Seq, Ack   uint32 // relative to the client's and the server's ISN
	Len        uint32
	TSval      uint32
	TSecr      uint32
	HasTS      bool
	Options    string // "mss 1460, ws 7, sack, ts" on SYN/SYN-ACK
	Note       string // "retransmit", "timer", "after ACK"…
}

// maxRungs bounds a ladder: the handshake and its aftermath, not a transfer.
const maxRungs = 64

// Ladder reads the attempt's packets back from its capture: every segment
// of its 4-tuple from its first SYN to its last packet (plus a second).
func Ladder(r *Report, a *Attempt) ([]Rung, error) {
	if a.Capture < 0 || a.Capture >= len(r.Captures) {
		return nil, fmt.Errorf("attempt refers to capture %d of %d", a.Capture, len(r.Captures))
	}
	client, err1 := netip.ParseAddrPort(a.Client)
	server, err2 := netip.ParseAddrPort(a.Server)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("attempt endpoints %q, %q are not ip:port", a.Client, a.Server)
	}
	ca, sa := flows.AddrOf(client.Addr()), flows.AddrOf(server.Addr())
	start := a.firstNS - int64(time.Second)
	end := a.firstNS + int64(lastOffset(a)) + int64(time.Second)
	var rungs []Rung
	var serverISN uint32
	haveISN := false
	keep := func(s *flows.Segment) bool {
		if s.Time < start || s.Time > end || len(rungs) >= maxRungs {
			return false
		}
		fwd := s.Src == ca && s.Dst == sa && s.SrcPort == client.Port() && s.DstPort == server.Port()
		rev := s.Src == sa && s.Dst == ca && s.SrcPort == server.Port() && s.DstPort == client.Port()
		return fwd || rev
	}
	err := flows.Extract(r.Captures[a.Capture].File(), keep, func(s *flows.Segment) {
		fromClient := s.Src == ca && s.SrcPort == client.Port()
		if fromClient && s.Flags&flows.FlagSYN != 0 && s.Flags&flows.FlagACK == 0 && s.Seq != a.ISN {
			return // another attempt on this 4-tuple
		}
		if !fromClient && s.Flags&flows.FlagSYN != 0 && !haveISN {
			serverISN, haveISN = s.Seq, true
		}
		g := Rung{At: time.Duration(s.Time - a.firstNS), FromClient: fromClient, Flags: flagString(s.Flags), Len: s.PayloadLen}
		if fromClient {
			g.Seq = s.Seq - a.ISN
			if s.Flags&flows.FlagACK != 0 {
				g.Ack = s.Ack - serverISN
			}
		} else {
			g.Seq = s.Seq - serverISN
			if s.Flags&flows.FlagACK != 0 {
				g.Ack = s.Ack - a.ISN
			}
		}
		if s.Opts.Has&flows.OptTimestamp != 0 {
			g.HasTS, g.TSval, g.TSecr = true, s.Opts.TSval, s.Opts.TSecr
		}
		if s.Flags&flows.FlagSYN != 0 {
			g.Options = optionString(s.Opts, s.OptionsCut)
		}
		rungs = append(rungs, g)
	})
	annotate(rungs)
	return rungs, err
}

func lastOffset(a *Attempt) time.Duration {
	var last float64
	for _, v := range a.SYNTimes {
		last = max(last, v)
	}
	for _, s := range a.SynAckTimes {
		last = max(last, s.At)
	}
	for _, p := range []*float64{a.Events.FinalAck, a.Events.ClientData, a.Events.ServerData, a.Events.ServerRST, a.Events.ClientRST, a.Events.ServerBareAck, a.Events.ClientFIN, a.Events.ServerFIN} {
		if p != nil {
			last = max(last, *p)
		}
	}
	return time.Duration(last * float64(time.Millisecond))
}

// annotate marks retransmits and SYN-ACKs after the client's ACK.
func annotate(rungs []Rung) {
	var synSeen, saSeen, acked bool
	for i := range rungs {
		g := &rungs[i]
		switch {
		case g.Flags == "SYN" && g.FromClient:
			if synSeen {
				g.Note = "retransmit"
			}
			synSeen = true
		case strings.HasPrefix(g.Flags, "SYN,ACK") && !g.FromClient:
			if saSeen {
				g.Note = "retransmit"
				if acked {
					g.Note = "retransmit after the client's ACK"
				}
			}
			saSeen = true
		case g.FromClient && saSeen && strings.Contains(g.Flags, "ACK") && !acked:
			acked = true
		}
	}
}

func flagString(f uint16) string {
	names := []struct {
		bit  uint16
		name string
	}{{flows.FlagSYN, "SYN"}, {flows.FlagACK, "ACK"}, {flows.FlagFIN, "FIN"}, {flows.FlagRST, "RST"}, {flows.FlagPSH, "PSH"}, {flows.FlagURG, "URG"}, {flows.FlagECE, "ECE"}, {flows.FlagCWR, "CWR"}}
	var parts []string
	for _, n := range names {
		if f&n.bit != 0 {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, ",")
}

func optionString(o flows.TCPOptions, cut bool) string {
	var parts []string
	if o.Has&flows.OptMSS != 0 {
		parts = append(parts, fmt.Sprintf("mss %d", o.MSS))
	}
	if o.Has&flows.OptWScale != 0 {
		parts = append(parts, fmt.Sprintf("ws %d", o.WScale))
	}
	if o.Has&flows.OptSACKPerm != 0 {
		parts = append(parts, "sack")
	}
	if o.Has&flows.OptTimestamp != 0 {
		parts = append(parts, "ts")
	}
	if o.Has&flows.OptFastOpen != 0 {
		parts = append(parts, "tfo")
	}
	if cut {
		parts = append(parts, "options cut by snaplen")
	}
	return strings.Join(parts, ", ")
}
