package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/halfopen/halfopen/flows"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Times are microseconds from the capture's start; epoch is that start, a
// fixed instant so the output never depends on the clock.
var epoch = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC).UnixMicro()

const (
	usMS  = int64(1000)
	usSec = int64(1_000_000)
)

// kind is a scenario: how one attempt plays out and what halfopen must call it.
type kind uint8

const (
	kHealthy       kind = iota // SYN, SYN-ACK, ACK, request, response, FINs: established
	kSynAckRetrans             // first SYN-ACK lost, retransmitted after 1 s, then ACKed: established
	kSynRetry                  // first SYN dropped, the 1 s retransmit answered: established_after_retry
	kUnanswered                // 1-6 SYN retransmits, no reply: unanswered
	kRST                       // closed port: reset
	kFlood                     // spoofed SYN: synack_unacked when answered, else unanswered
	kScan                      // one source probing ports one by one: RST from each (halfopen: a scan)
	kSentinel                  // one healthy connection Tail after the last start
	numKinds
)

// Expected is FILE.expected.json: what halfopen analyze must report for
// the file, derived from how each attempt was built (see kind).
type Expected struct {
	Generator    string                      `json:"generator"`
	Config       Config                      `json:"config"`
	Packets      int64                       `json:"packets"`
	SYN          int64                       `json:"syn"`    // pure SYNs
	SynAck       int64                       `json:"synack"` // SYN+ACK segments
	RST          int64                       `json:"rst"`    // RST segments without SYN
	Attempts     int64                       `json:"attempts"`
	Outcomes     map[string]int64            `json:"outcomes"`
	Listeners    int                         `json:"listeners"`
	PerListener  map[string]map[string]int64 `json:"per_listener"`
	First        string                      `json:"first"`
	Last         string                      `json:"last"`
	Repeats      int64                       `json:"repeats"`        // SYN-ACKs byte-identical to one just before (see repeats)
	Flood        int64                       `json:"flood_attempts"` // attempts from spoofed sources
	Scan         int64                       `json:"scan_attempts"`  // probes of the port scan
	FloodSources int64                       `json:"flood_sources"`
	CaptureBytes int64                       `json:"capture_bytes"` // uncompressed pcap/pcapng bytes
	FileBytes    int64                       `json:"file_bytes,omitempty"`
}

// pkt is one segment of a connection's script.
type pkt struct {
	t        int64 // µs from the capture start
	seq, ack uint32
	n        uint16 // payload bytes
	flags    uint8  // TCP flags (low byte)
	opt      uint8  // optNone...
	srv      bool   // sent by the server
}

// TCP flags (the low byte of the flags field).
const (
	fFIN = 1 << iota
	fSYN
	fRST
	fPSH
	fACK
)

// conn is one attempt: its endpoints and its packets in time order.
type conn struct {
	cli, srv     netip.Addr
	cport, sport uint16
	cttl         uint8
	start, rtt   int64
	cts, sts     uint32    // TSval at start
	ipid         [2]uint16 // client, server
	pkts         []pkt
	next         int
}

func (c *conn) add(t int64, srv bool, flags uint8, seq, ack uint32, n int, opt uint8) {
	c.pkts = append(c.pkts, pkt{t: t, seq: seq, ack: ack, n: uint16(n), flags: flags, opt: opt, srv: srv})
}

// repeats reports whether packet i is byte-identical to one the same side
// sent less than 10 ms before: a SYN-ACK from the request timer and one
// answering a SYN retransmit in the same millisecond, over IPv6 (IPv4
// packets here carry distinct IDs). halfopen takes such a pair for one
// answer, as the SYN-ACK count of tshark does not.
func (c *conn) repeats(i int) bool {
	p := &c.pkts[i]
	if !c.srv.Is6() || p.n != 0 {
		return false
	}
	for j := i - 1; j >= 0 && p.t-c.pkts[j].t < 10*usMS; j-- {
		q := &c.pkts[j]
		if q.srv == p.srv && q.flags == p.flags && q.seq == p.seq && q.ack == p.ack && q.opt == p.opt && q.n == 0 &&
			(q.t-c.start)/usMS == (p.t-c.start)/usMS && max(q.t-c.start-c.rtt, 0)/usMS == max(p.t-c.start-c.rtt, 0)/usMS {
			return true
		}
	}
	return false
}

// gen holds the generation state.
type gen struct {
	cfg      Config
	rng      *rand.Rand
	portNext []uint16 // per legitimate client: next ephemeral port offset
	exp      *Expected
	perL     map[netip.AddrPort]*[flows.NumOutcomes]int64
	outcomes [flows.NumOutcomes]int64
	first    int64 // times of the first and last packet
	last     int64
}

// Listeners. Healthy traffic goes to the open ones; unanswered clients to
// open[2]; the flood to open[0]; RSTs come from closed ports.
var (
	openPorts   = []hostPort{{1, 443}, {1, 80}, {2, 443}, {3, 5432}}
	closedPorts = []hostPort{{1, 8080}, {3, 3306}}
)

type hostPort struct {
	host byte
	port uint16
}

func (hp hostPort) addrPort(v6 bool) netip.AddrPort {
	if v6 {
		return netip.AddrPortFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 15: hp.host}), hp.port)
	}
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, 0, hp.host}), hp.port)
}

const legitClients = 1 << 16

// Generate writes the capture cfg describes to w and returns its expected
// analysis.
func Generate(w io.Writer, cfg Config) (*Expected, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	out, finish, err := compressor(w, cfg.Compress)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	cw, err := newCapWriter(bw, cfg.Format == "pcapng", cfg.VLAN, cfg.Seed)
	if err != nil {
		return nil, err
	}
	g := &gen{
		cfg:      cfg,
		rng:      rand.New(rand.NewPCG(cfg.Seed, 0x68616c666f70656e)),
		portNext: make([]uint16, legitClients),
		exp:      &Expected{Generator: "halfopen bench/gen", Config: cfg, Outcomes: map[string]int64{}, PerListener: map[string]map[string]int64{}},
		perL:     map[netip.AddrPort]*[flows.NumOutcomes]int64{},
	}
	if err := g.run(cw); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	if err := finish(); err != nil {
		return nil, err
	}
	g.exp.CaptureBytes = cw.bytes
	g.finishExpected()
	return g.exp, nil
}

func compressor(w io.Writer, name string) (io.Writer, func() error, error) {
	switch name {
	case "gzip":
		zw, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
		if err != nil {
			return nil, nil, err
		}
		return zw, zw.Close, nil
	case "zstd":
		zw, err := zstd.NewWriter(w)
		if err != nil {
			return nil, nil, err
		}
		return zw, zw.Close, nil
	}
	return w, func() error { return nil }, nil
}

// event is an entry of the scheduler: a connection's next packet, or the
// next start of a scenario (c == nil).
type event struct {
	t  int64
	id uint64 // ties: arrivals (id = kind) before connections, then creation order
	c  *conn
	k  kind
}

// run merges every in-flight connection's packets in time order through a
// min-heap; connections are created only when their start comes, so memory
// is bounded by the attempts in flight.
func (g *gen) run(cw *capWriter) error {
	if !g.cfg.FirstAt.IsZero() {
		if err := g.absurdFirst(cw); err != nil {
			return err
		}
	}
	counts := [numKinds]int{kHealthy: g.cfg.Healthy, kSynAckRetrans: g.cfg.SynAckRetrans, kSynRetry: g.cfg.SynRetry,
		kUnanswered: g.cfg.Unanswered, kRST: g.cfg.RST, kFlood: g.cfg.Flood, kScan: g.cfg.ScanPorts, kSentinel: 1}
	var next [numKinds]int
	g.exp.Flood, g.exp.FloodSources = int64(g.cfg.Flood), int64(min(g.cfg.FloodSources, g.cfg.Flood))
	dur := g.cfg.Duration.Microseconds()
	// startOf spreads a scenario's n starts evenly over the duration with
	// jitter; the times increase with i.
	startOf := func(k kind, i int) int64 {
		if k == kSentinel {
			return dur + g.cfg.Tail.Microseconds()
		}
		return int64((float64(i) + g.rng.Float64()) * float64(dur) / float64(counts[k]))
	}
	var h evHeap
	for k := range numKinds {
		if counts[k] > 0 {
			h.push(event{t: startOf(k, 0), id: uint64(k), k: k})
		}
	}
	id := uint64(numKinds)
	first := true
	for len(h) > 0 {
		e := &h[0]
		if e.c == nil {
			k := e.k
			c := g.newConn(k, next[k], e.t)
			next[k]++
			id++
			if next[k] < counts[k] {
				e.t = startOf(k, next[k])
				h.down(0)
			} else {
				h.pop()
			}
			h.push(event{t: c.pkts[0].t, id: id, c: c})
			continue
		}
		c := e.c
		p := &c.pkts[c.next]
		if err := cw.write(c, p); err != nil {
			return err
		}
		if first {
			g.first, first = p.t, false
		}
		g.last = p.t
		if c.repeats(c.next) {
			g.exp.Packets++
			g.exp.Repeats++
		} else {
			g.count(p)
		}
		c.next++
		if c.next < len(c.pkts) {
			e.t = c.pkts[c.next].t
			h.down(0)
		} else {
			h.pop()
		}
	}
	return nil
}

func (g *gen) count(p *pkt) {
	e := g.exp
	e.Packets++
	switch {
	case p.flags&(fSYN|fACK) == fSYN:
		e.SYN++
	case p.flags&fSYN != 0:
		e.SynAck++
	case p.flags&fRST != 0:
		e.RST++
	}
}

// outcome records attempt c's expected outcome.
func (g *gen) outcome(c *conn, o flows.Outcome) {
	ap := netip.AddrPortFrom(c.srv, c.sport)
	m := g.perL[ap]
	if m == nil {
		m = new([flows.NumOutcomes]int64)
		g.perL[ap] = m
	}
	m[o]++
	g.outcomes[o]++
	g.exp.Attempts++
}

func (g *gen) finishExpected() {
	for _, o := range flows.Outcomes() {
		g.exp.Outcomes[o.String()] = g.outcomes[o]
	}
	for ap, m := range g.perL {
		out := map[string]int64{}
		for _, o := range flows.Outcomes() {
			if m[o] > 0 {
				out[o.String()] = m[o]
			}
		}
		g.exp.PerListener[ap.String()] = out
	}
	g.exp.Listeners = len(g.perL)
	stamp := func(t int64) string { return time.UnixMicro(epoch + t).UTC().Format(time.RFC3339Nano) }
	g.exp.First, g.exp.Last = stamp(g.first), stamp(g.last)
}

// ---- random helpers ----

func (g *gen) between(lo, hi int64) int64 { return lo + g.rng.Int64N(hi-lo+1) }
func (g *gen) chance(p float64) bool      { return g.rng.Float64() < p }

// logUniform draws from lo..hi with a log-uniform distribution.
func (g *gen) logUniform(lo, hi float64) int64 {
	return int64(math.Exp(math.Log(lo) + g.rng.Float64()*(math.Log(hi)-math.Log(lo))))
}

// mix is a fixed hash for per-address properties.
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	return x ^ x>>33
}

// ---- scenarios ----

// newConn builds attempt i of kind k starting at t.
func (g *gen) newConn(k kind, i int, t int64) *conn {
	switch k {
	case kFlood:
		return g.flood(i, t)
	case kScan:
		return g.scanProbe(i, t)
	}
	v6 := k != kSentinel && g.chance(g.cfg.IPv6)
	var hp hostPort
	switch k {
	case kUnanswered:
		hp = openPorts[2]
	case kRST:
		hp = closedPorts[g.rng.IntN(len(closedPorts))]
	case kSentinel:
		hp = openPorts[0]
	default:
		hp = openPorts[g.rng.IntN(len(openPorts))]
	}
	c := g.legitConn(hp.addrPort(v6), t)
	isn, sisn := g.rng.Uint32(), g.rng.Uint32()
	proc := g.between(20, 80) // server's SYN-ACK (or RST) latency
	switch k {
	case kHealthy, kSentinel:
		c.add(t, false, fSYN, isn, 0, 0, optSYN)
		c.add(t+proc, true, fSYN|fACK, sisn, isn+1, 0, optSYN)
		g.exchange(c, t+proc+c.rtt, isn+1, sisn+1)
		g.outcome(c, flows.Established)
	case kSynAckRetrans:
		// The first SYN-ACK is lost on its way; the client's SYN timer
		// (3 s) has not fired when the server's (1 s) retransmits it.
		c.add(t, false, fSYN, isn, 0, 0, optSYN)
		c.add(t+proc, true, fSYN|fACK, sisn, isn+1, 0, optSYN)
		sa2 := t + proc + usSec + g.between(0, 4*usMS)
		c.add(sa2, true, fSYN|fACK, sisn, isn+1, 0, optSYN)
		g.exchange(c, sa2+c.rtt, isn+1, sisn+1)
		g.outcome(c, flows.Established)
	case kSynRetry:
		// The first SYN is dropped by the server; the Linux retransmit
		// one second later is answered.
		c.add(t, false, fSYN, isn, 0, 0, optSYN)
		t2 := t + usSec + g.between(0, 4*usMS)
		c.add(t2, false, fSYN, isn, 0, 0, optSYN)
		c.add(t2+proc, true, fSYN|fACK, sisn, isn+1, 0, optSYN)
		g.exchange(c, t2+proc+c.rtt, isn+1, sisn+1)
		g.outcome(c, flows.EstablishedAfterRetry)
	case kUnanswered:
		for _, s := range g.linuxSYNs(t, int(g.between(1, 6))) {
			c.add(s, false, fSYN, isn, 0, 0, optSYN)
		}
		g.outcome(c, flows.Unanswered)
	case kRST:
		c.add(t, false, fSYN, isn, 0, 0, optSYN)
		c.add(t+proc, true, fRST|fACK, 0, isn+1, 0, optNone)
		g.outcome(c, flows.Reset)
	}
	sortPkts(c.pkts)
	return c
}

// absurdFirst writes one lone SYN stamped cfg.FirstAt, from a client no
// other packet uses: halfopen must not let it stop its clock, and calls it
// incomplete (its capture ends, by the other packets' clock, before it).
func (g *gen) absurdFirst(cw *capWriter) error {
	t := g.cfg.FirstAt.UnixMicro() - epoch
	c := &conn{srv: openPorts[0].addrPort(false).Addr(), sport: openPorts[0].port, cli: netip.AddrFrom4([4]byte{192, 0, 2, 99}), cport: 50000,
		cttl: 60, start: t, rtt: 1000, cts: 1, sts: 1, ipid: [2]uint16{7, 0}}
	c.add(t, false, fSYN, 99, 0, 0, optSYN)
	if err := cw.write(c, &c.pkts[0]); err != nil {
		return err
	}
	g.count(&c.pkts[0])
	g.outcome(c, flows.Incomplete)
	return nil
}

// scanProbe is probe i of a port scan from one source: ports 1..60000 of
// host 10.3.0.1, then of 10.3.0.2, and so on; each closed port answers RST.
func (g *gen) scanProbe(i int, t int64) *conn {
	host := netip.AddrFrom4([4]byte{10, 3, byte((i / 60000) >> 8), byte(1 + i/60000)})
	c := &conn{srv: host, sport: uint16(1 + i%60000), cli: netip.AddrFrom4([4]byte{198, 51, 100, 66}), cport: 40000,
		cttl: 52, start: t, rtt: 2000, cts: g.rng.Uint32(), sts: g.rng.Uint32(),
		ipid: [2]uint16{uint16(g.rng.Uint32()), 0}}
	isn := g.rng.Uint32()
	c.add(t, false, fSYN, isn, 0, 0, optMSS)
	c.add(t+g.between(20, 80), true, fRST|fACK, 0, isn+1, 0, optNone)
	g.exp.Attempts++
	g.exp.Scan++
	return c
}

// legitConn sets up a real client's connection to server at t.
func (g *gen) legitConn(server netip.AddrPort, t int64) *conn {
	ci := g.rng.IntN(legitClients)
	h := mix(uint64(ci) ^ g.cfg.Seed)
	off := g.portNext[ci]
	g.portNext[ci] = (off + 1) % 28232
	c := &conn{
		srv: server.Addr(), sport: server.Port(),
		cport: 32768 + uint16((h+uint64(off))%28232), // Linux's ip_local_port_range
		cttl:  64 - uint8(h>>32%24),
		start: t, rtt: g.logUniform(200, 80_000),
		cts: g.rng.Uint32(), sts: g.rng.Uint32(),
		ipid: [2]uint16{uint16(g.rng.Uint32()), uint16(g.rng.Uint32())},
	}
	if server.Addr().Is6() {
		c.cli = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0x0c, 14: byte(ci >> 8), 15: byte(ci)})
	} else {
		c.cli = netip.AddrFrom4([4]byte{172, 16, byte(ci >> 8), byte(ci)})
	}
	return c
}

// linuxSYNs is a Linux client's SYN times: the first at t, then retries
// retransmits 1, 2, 4… s apart (tcp_syn_retries), each a little late.
func (g *gen) linuxSYNs(t int64, retries int) []int64 {
	ts := []int64{t}
	for r := range retries {
		t += usSec<<r + g.between(0, 4*usMS)
		ts = append(ts, t)
	}
	return ts
}

// exchange plays a request/response and a close after the client's final
// ACK at ack. cseq and sseq are the next sequence numbers of each side.
func (g *gen) exchange(c *conn, ack int64, cseq, sseq uint32) {
	const mss = 1400
	rtt := c.rtt
	c.add(ack, false, fACK, cseq, sseq, 0, optTS)
	t := ack + g.between(5, 30)
	for rest := int(g.between(100, 2*mss)); rest > 0; {
		n := min(rest, mss)
		rest -= n
		fl := uint8(fACK)
		if rest == 0 {
			fl |= fPSH
		}
		c.add(t, false, fl, cseq, sseq, n, optTS)
		cseq += uint32(n)
		t += wire(n)
	}
	t += g.logUniform(100, 20_000) // the server thinks
	var lastAck int64
	seg := 0
	for rest := int(g.between(200, 47*mss/10)); rest > 0; seg++ {
		n := min(rest, mss)
		rest -= n
		fl := uint8(fACK)
		if rest == 0 {
			fl |= fPSH
		}
		c.add(t, true, fl, sseq, cseq, n, optTS)
		sseq += uint32(n)
		if seg%2 == 1 || rest == 0 { // the client ACKs every second segment
			lastAck = max(t+rtt, lastAck+1)
			c.add(lastAck, false, fACK, cseq, sseq, 0, optTS)
		}
		t += wire(n)
	}
	t = lastAck + g.logUniform(100, 50_000)
	if g.chance(0.5) { // the client closes first
		c.add(t, false, fFIN|fACK, cseq, sseq, 0, optTS)
		cseq++
		t += g.between(20, 200)
		c.add(t, true, fFIN|fACK, sseq, cseq, 0, optTS)
		sseq++
		c.add(t+rtt, false, fACK, cseq, sseq, 0, optTS)
	} else { // the server closes first (keep-alive timeout)
		c.add(t, true, fFIN|fACK, sseq, cseq, 0, optTS)
		sseq++
		c.add(t+rtt, false, fFIN|fACK, cseq, sseq, 0, optTS)
		cseq++
		c.add(t+rtt+g.between(10, 60), true, fACK, sseq, cseq, 0, optTS)
	}
}

// wire is the time n payload bytes take at 1 Gbit/s, at least 1 µs.
func wire(n int) int64 { return 1 + int64(n+66)/125 }

// flood builds spoofed attempt i: source i mod FloodSources, so every
// source sends once before any sends twice, each time from a new port.
func (g *gen) flood(i int, t int64) *conn {
	k := g.cfg.FloodSources
	s := uint64(i % k)
	h := mix(s ^ g.cfg.Seed<<1)
	v6 := float64(h%10_000) < g.cfg.IPv6*10_000
	scr := uint32(s) * 0x9e3779b1 // a bijection: distinct sources, scattered
	c := &conn{
		cport: 1024 + uint16((h+uint64(i/k))%64_000),
		cttl:  30 + uint8(h>>40%30),
		start: t, rtt: 0,
		cts: g.rng.Uint32(), sts: g.rng.Uint32(),
		ipid: [2]uint16{uint16(h), uint16(g.rng.Uint32())},
	}
	victim := openPorts[0].addrPort(v6)
	c.srv, c.sport = victim.Addr(), victim.Port()
	if v6 {
		c.cli = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0x0f, 12: byte(scr >> 24), 13: byte(scr >> 16), 14: byte(scr >> 8), 15: byte(scr)})
	} else {
		v := 100<<24 | 64<<16 | scr&(1<<22-1) // 100.64.0.0/10
		c.cli = netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	isn := g.rng.Uint32()
	retries := 0
	if g.chance(g.cfg.FloodRetrans) {
		retries = int(g.between(1, 3))
	}
	syns := g.linuxSYNs(t, retries)
	for _, s := range syns {
		c.add(s, false, fSYN, isn, 0, 0, optMSS)
	}
	if g.chance(g.cfg.FloodAnswered) {
		sisn := g.rng.Uint32()
		inc := 0
		for _, sa := range linuxSynAcks(syns, int(g.between(0, 3)), g.between(20, 80)) {
			if sa.inc != inc { // a new request socket picks a new ISN
				inc, sisn = sa.inc, g.rng.Uint32()
			}
			c.add(sa.t, true, fSYN|fACK, sisn, isn+1, 0, optSYN)
		}
		g.outcome(c, flows.SynAckUnacked)
	} else {
		g.outcome(c, flows.Unanswered)
	}
	sortPkts(c.pkts)
	return c
}

type synAck struct {
	t   int64
	inc int // which request socket sent it
}

// linuxSynAcks is a Linux listener's answer to SYNs at syns (one client
// ISN): a request socket answers at once and retransmits on its timer (1,
// 2, 4… s apart, retries times) before it is dropped; a retransmitted SYN
// that finds it alive is answered at once and restarts the timer at the
// current backoff (tcp_check_req); one that comes after the drop opens a
// new request socket.
func linuxSynAcks(syns []int64, retries int, delay int64) []synAck {
	var (
		out      []synAck
		alive    bool
		timeouts int
		expires  int64
		inc      int
	)
	for i := 0; ; {
		if alive && (i == len(syns) || expires <= syns[i]) {
			if timeouts >= retries {
				alive = false
				continue
			}
			timeouts++
			out = append(out, synAck{expires, inc})
			expires += usSec << timeouts
			continue
		}
		if i == len(syns) {
			return out
		}
		t := syns[i] + delay
		i++
		if !alive {
			alive, timeouts = true, 0
			inc++
			out = append(out, synAck{t, inc})
			expires = t + usSec
			continue
		}
		out = append(out, synAck{t, inc})
		expires = t + usSec<<timeouts
	}
}

func sortPkts(ps []pkt) {
	// insertion sort: scripts are short and nearly sorted; stable.
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].t < ps[j-1].t; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// evHeap is a binary min-heap of events by (t, id).
type evHeap []event

func (h evHeap) less(i, j int) bool {
	return h[i].t < h[j].t || h[i].t == h[j].t && h[i].id < h[j].id
}

func (h *evHeap) push(e event) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *evHeap) pop() {
	s := *h
	n := len(s) - 1
	s[0] = s[n]
	s[n] = event{}
	*h = s[:n]
	if n > 0 {
		h.down(0)
	}
}

func (h evHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func (e *Expected) String() string {
	return fmt.Sprintf("%d packets, %d SYN, %d SYN-ACK, outcomes %v, %d listeners", e.Packets, e.SYN, e.SynAck, e.Outcomes, e.Listeners)
}
