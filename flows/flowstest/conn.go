package flowstest

import (
	"net/netip"
	"time"

	"github.com/halfopen/halfopen/flows"
)

// Conn writes one connection's packets into a capture with times relative
// to a base, tracking sequence numbers and timestamps so tests read like a
// ladder diagram:
//
//	c := cap.Conn(t0, "10.0.0.2:40000", "10.0.0.1:80", 1000)
//	c.SYN(0).SYNACK(ms(1)).ACK(ms(2)).Data(ms(3), 100)
type Conn struct {
	cap            *Capture
	base           time.Time
	Client, Server netip.AddrPort
	ISN, SISN      uint32
	cnext, snext   uint32 // next sequence numbers once the handshake is done
	TS             bool   // add timestamp options
	ClientTS       uint32 // client TSval at base; advances 1 per ms
	ServerTS       uint32
	TTL            uint8
}

// Conn starts a connection from client to server with client ISN isn.
func (c *Capture) Conn(base time.Time, client, server string, isn uint32) *Conn {
	return &Conn{cap: c, base: base, Client: netip.MustParseAddrPort(client), Server: netip.MustParseAddrPort(server),
		ISN: isn, SISN: isn ^ 0x5a5a0000 + 7, cnext: isn + 1, ClientTS: 1000000, ServerTS: 5000000}
}

func (k *Conn) at(d time.Duration) time.Time { return k.base.Add(d) }

func (k *Conn) tsAt(d time.Duration, server bool) uint32 {
	if server {
		return k.ServerTS + uint32(d/time.Millisecond)
	}
	return k.ClientTS + uint32(d/time.Millisecond)
}

func (k *Conn) client(d time.Duration, flags uint16, seq, ack uint32, payload int) Packet {
	p := Packet{Time: k.at(d), Src: k.Client, Dst: k.Server, Flags: flags, Seq: seq, Ack: ack, Payload: payload, WScale: -1, TTL: k.TTL}
	if k.TS {
		p.TS, p.TSval = true, k.tsAt(d, false)
	}
	return p
}

func (k *Conn) server(d time.Duration, flags uint16, seq, ack uint32, payload int) Packet {
	p := Packet{Time: k.at(d), Src: k.Server, Dst: k.Client, Flags: flags, Seq: seq, Ack: ack, Payload: payload, WScale: -1}
	if k.TS {
		p.TS, p.TSval = true, k.tsAt(d, true)
	}
	return p
}

// SYN sends (or retransmits) the client's SYN at d.
func (k *Conn) SYN(d time.Duration) *Conn {
	p := k.client(d, flows.FlagSYN, k.ISN, 0, 0)
	p.MSS, p.SACKPerm, p.WScale = 1460, true, 7
	k.cap.Add(p)
	return k
}

// SYNACK sends (or retransmits) the server's SYN-ACK at d.
func (k *Conn) SYNACK(d time.Duration) *Conn {
	p := k.server(d, flows.FlagSYN|flows.FlagACK, k.SISN, k.ISN+1, 0)
	p.MSS, p.SACKPerm, p.WScale = 1460, true, 7
	k.cap.Add(p)
	k.snext = k.SISN + 1
	return k
}

// ACK sends the client's handshake (or later pure) ACK at d.
func (k *Conn) ACK(d time.Duration) *Conn {
	ack := k.snext
	if ack == 0 { // no SYN-ACK in the capture (one-sided): acknowledge the one it would carry
		ack = k.SISN + 1
	}
	k.cap.Add(k.client(d, flows.FlagACK, k.cnext, ack, 0))
	return k
}

// Data sends n bytes from the client at d.
func (k *Conn) Data(d time.Duration, n int) *Conn {
	k.cap.Add(k.client(d, flows.FlagACK|flows.FlagPSH, k.cnext, k.snext, n))
	k.cnext += uint32(n)
	return k
}

// ServerData sends n bytes from the server at d, acknowledging the client.
func (k *Conn) ServerData(d time.Duration, n int) *Conn {
	k.cap.Add(k.server(d, flows.FlagACK|flows.FlagPSH, k.snext, k.cnext, n))
	k.snext += uint32(n)
	return k
}

// ServerAck acknowledges the client's data at d.
func (k *Conn) ServerAck(d time.Duration) *Conn {
	k.cap.Add(k.server(d, flows.FlagACK, k.snext, k.cnext, 0))
	return k
}

// ServerRST resets from the server at d (acknowledging the SYN when no
// SYN-ACK was sent, as a closed port does).
func (k *Conn) ServerRST(d time.Duration) *Conn {
	if k.snext == 0 {
		k.cap.Add(k.server(d, flows.FlagRST|flows.FlagACK, 0, k.ISN+1, 0))
		return k
	}
	k.cap.Add(k.server(d, flows.FlagRST, k.snext, 0, 0))
	return k
}

// ClientRST resets from the client at d with sequence seq.
func (k *Conn) ClientRST(d time.Duration, seq uint32) *Conn {
	k.cap.Add(k.client(d, flows.FlagRST, seq, 0, 0))
	return k
}

// BareAck answers the SYN with a bare ACK carrying ack (TIME-WAIT, challenge ACK).
func (k *Conn) BareAck(d time.Duration, seq, ack uint32) *Conn {
	k.cap.Add(k.server(d, flows.FlagACK, seq, ack, 0))
	return k
}

// ClientFIN and ServerFIN close one direction at d.
func (k *Conn) ClientFIN(d time.Duration) *Conn {
	k.cap.Add(k.client(d, flows.FlagFIN|flows.FlagACK, k.cnext, k.snext, 0))
	k.cnext++
	return k
}

// ServerFIN closes the server's direction at d.
func (k *Conn) ServerFIN(d time.Duration) *Conn {
	k.cap.Add(k.server(d, flows.FlagFIN|flows.FlagACK, k.snext, k.cnext, 0))
	k.snext++
	return k
}

// Ms is a shorthand for milliseconds.
func Ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

// Sec is a shorthand for seconds.
func Sec(n float64) time.Duration { return time.Duration(n * float64(time.Second)) }
