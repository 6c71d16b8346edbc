package analyze

import (
	"math/bits"
	"net/netip"
	"sort"

	"github.com/halfopen/halfopen/flows"
)

// Floods and scans are traffic that looks like failing clients but is
// not: spoofed SYNs whose sources never finish a handshake, and one
// source probing many ports. They are kept out of the real clients'
// failure rates and reported on their own.
//
// An attempt is a suspect when nothing shows a real client behind it: no
// final ACK, no earlier completed connection from its address, at most two
// SYNs (real clients keep retransmitting), and it was refused, never
// answered or never acknowledged. Suspects are parked until the capture
// ends (or until enough of them were seen to judge), then routed: to a
// scan when their source probed many endpoints, to the listener's flood
// when the listener draws many one-off sources, else back to the listener
// like any other attempt.
const (
	parkCap          = 4096    // suspects held as whole attempts before routing starts on arrival
	sourcesCap       = 1 << 16 // sources followed; later new sources are not followed
	scanMinEndpoints = 10      // distinct host:port probed by one source to call it a scan
	floodMinAttempts = 20      // one-SYN suspects at a listener to consider a flood
	floodMinSources  = 10      // from at least this many sources
	floodSourceSet   = 1 << 16 // sources counted exactly per flood; beyond, "at least"
	scanPortList     = 64      // ports listed per scan
)

// sourceInfo is what one suspect source did.
type sourceInfo struct {
	firstEndpoint netip.AddrPort
	endpoints     map[netip.AddrPort]bool // from the second endpoint, up to scanMinEndpoints, then only counted
	many          int64                   // endpoints beyond the map
	hosts         map[netip.Addr]bool
	ports         map[uint16]bool // until the source is a scanner
	portBits      *[1024]uint64   // from then on: every port, exactly
	nports        int64
	attempts      int64
	open          int64 // probes answered with SYN-ACK
	first         int64
	last          int64
}

func (s *sourceInfo) scanner() bool { return int64(len(s.endpoints))+s.many >= scanMinEndpoints }

// note records one suspect attempt of the source.
func (s *sourceInfo) note(a *flows.Attempt) {
	s.attempts++
	if a.SynAcks > 0 {
		s.open++
	}
	s.first, s.last = min(s.first, a.FirstSYN), max(s.last, a.FirstSYN)
	if s.endpoints == nil {
		if a.Server == s.firstEndpoint {
			return
		}
		s.endpoints = map[netip.AddrPort]bool{s.firstEndpoint: true}
		s.hosts = map[netip.Addr]bool{s.firstEndpoint.Addr(): true}
		s.ports = map[uint16]bool{s.firstEndpoint.Port(): true}
		s.nports = 1
	}
	if !s.endpoints[a.Server] {
		if len(s.endpoints) < scanMinEndpoints {
			s.endpoints[a.Server] = true
		} else {
			s.many++ // an endpoint seen twice beyond the map is counted twice: only "many" matters
		}
	}
	s.addPort(a.Server.Port())
	if len(s.hosts) < scanPortList {
		s.hosts[a.Server.Addr()] = true
	}
}

// addPort counts a probed port: in a small set while the source may be
// an ordinary client, in a 65536-bit set once it scans.
func (s *sourceInfo) addPort(p uint16) {
	if s.portBits == nil && s.scanner() {
		s.portBits = new([1024]uint64)
		for q := range s.ports {
			s.portBits[q/64] |= 1 << (q % 64)
		}
		s.ports = nil
	}
	if s.portBits != nil {
		if s.portBits[p/64]&(1<<(p%64)) == 0 {
			s.portBits[p/64] |= 1 << (p % 64)
			s.nports++
		}
		return
	}
	if !s.ports[p] && len(s.ports) < scanMinEndpoints*4 {
		s.ports[p] = true
		s.nports = int64(len(s.ports))
	}
}

// portList returns the lowest probed ports, up to n.
func (s *sourceInfo) portList(n int) []int {
	out := []int{}
	if s.portBits == nil {
		for p := range s.ports {
			out = append(out, int(p))
		}
		sort.Ints(out)
		return out[:min(n, len(out))]
	}
	for w, bits := range s.portBits {
		for ; bits != 0 && len(out) < n; bits &= bits - 1 {
			out = append(out, w*64+trailingZeros(bits))
		}
	}
	return out
}

// floodStats follows a listener's one-SYN suspects from unproven sources.
type floodStats struct {
	attempts, synAckUnacked, noSACK int64
	perSource                       map[netip.Addr]int32
	sourcesOver                     bool // more sources than floodSourceSet
}

// flooded reports whether a listener's suspects look like a spoofed flood:
// many sources with few attempts each, and either SYN-ACKs nobody acknowledged (a real
// client always does) or SYNs without the SACK option every modern stack
// sends.
func (f *floodStats) flooded() bool {
	if f.attempts < floodMinAttempts || len(f.perSource) < floodMinSources {
		return false
	}
	// Spoofed sources come from a large pool: few attempts each (one, or
	// a handful when the pool is smaller than the flood).
	if int64(len(f.perSource))*3 < f.attempts && !f.sourcesOver {
		return false
	}
	// A handful of SYN-ACKs nobody acknowledged is already telling: with
	// cookies off a full SYN queue answers only its first few spoofed SYNs.
	return f.synAckUnacked >= max(5, f.attempts/20) || f.noSACK*5 >= f.attempts*4
}

func (f *floodStats) note(a *flows.Attempt) {
	f.attempts++
	if a.Outcome == flows.SynAckUnacked {
		f.synAckUnacked++
	}
	if a.SYNOptions.Has&flows.OptSACKPerm == 0 && !a.SYNOptionsCut {
		f.noSACK++
	}
	if f.perSource == nil {
		f.perSource = map[netip.Addr]int32{}
	}
	src := a.Client.Addr()
	if n, ok := f.perSource[src]; ok || len(f.perSource) < floodSourceSet {
		f.perSource[src] = n + 1
	} else {
		f.sourcesOver = true
	}
}

// floodBucket counts the attempts routed to a listener's flood.
type floodBucket struct {
	attempts    int64
	outcomes    [flows.NumOutcomes]int64
	first, last int64
	sources     map[netip.Addr]bool
	sourcesOver bool
}

func (b *floodBucket) add(a *flows.Attempt) {
	b.attempts++
	b.outcomes[a.Outcome]++
	if b.first == 0 || a.FirstSYN < b.first {
		b.first = a.FirstSYN
	}
	b.last = max(b.last, a.FirstSYN)
	if b.sources == nil {
		b.sources = map[netip.Addr]bool{}
	}
	if len(b.sources) < floodSourceSet {
		b.sources[a.Client.Addr()] = true
	} else if !b.sources[a.Client.Addr()] {
		b.sourcesOver = true
	}
}

func (b *floodBucket) merge(o *floodBucket) {
	if o.attempts == 0 {
		return
	}
	if b.attempts == 0 || o.first < b.first {
		b.first = o.first
	}
	b.last = max(b.last, o.last)
	b.attempts += o.attempts
	for i, n := range o.outcomes {
		b.outcomes[i] += n
	}
	for s := range o.sources {
		if b.sources == nil {
			b.sources = map[netip.Addr]bool{}
		}
		b.sources[s] = true
	}
	b.sourcesOver = b.sourcesOver || o.sourcesOver
}

func (b *floodBucket) report() *Flood {
	if b.attempts == 0 {
		return nil
	}
	return &Flood{
		Sources: int64(len(b.sources)), SourcesAtLeast: b.sourcesOver, Attempts: b.attempts,
		First: timeString(b.first), Last: timeString(b.last), Outcomes: outcomeMap(&b.outcomes),
	}
}

// suspects parks and routes one capture's suspect attempts.
type suspects struct {
	parked  []flows.Attempt
	routing bool // parked is full: route on arrival
	sources map[netip.Addr]*sourceInfo
	floods  map[netip.AddrPort]*floodStats
}

// suspect reports whether nothing in the attempt itself shows a real
// client: it never completed. Whether its source is a scanner (any
// source) or a spoofed one (never completed anything: see
// floodCandidate) is decided from the sources' whole behaviour.
func suspect(a *flows.Attempt) bool {
	if a.FinalAck != flows.None || a.OneSided || a.SYNs > 2 {
		return false
	}
	switch a.Outcome {
	case flows.Reset, flows.SynAckUnacked, flows.Unanswered:
		return true
	}
	return false
}

// floodCandidate reports whether a suspect can belong to a flood: one
// SYN, never answered by RST (a closed port is a scan's or a real client's
// business, not a flood's to hide).
func floodCandidate(a *flows.Attempt) bool {
	return a.SYNs == 1 && (a.Outcome == flows.Unanswered || a.Outcome == flows.SynAckUnacked) &&
		a.Context.PeerEstablishedAgo == flows.None && a.Context.PeerClosedAgo == flows.None
}

// note records a suspect in the per-source and per-listener statistics.
func (s *suspects) note(a *flows.Attempt) *sourceInfo {
	if s.sources == nil {
		s.sources = map[netip.Addr]*sourceInfo{}
		s.floods = map[netip.AddrPort]*floodStats{}
	}
	src := a.Client.Addr()
	si := s.sources[src]
	if si == nil && len(s.sources) < sourcesCap {
		// Most suspect sources (a flood's) send one SYN: the maps are
		// made only for a source that probes a second endpoint.
		si = &sourceInfo{firstEndpoint: a.Server, first: a.FirstSYN}
		s.sources[src] = si
	}
	if si != nil {
		si.note(a)
	}
	if floodCandidate(a) {
		f := s.floods[a.Server]
		if f == nil {
			f = &floodStats{}
			s.floods[a.Server] = f
		}
		f.note(a)
	}
	return si
}

// route says where a suspect goes once enough is known.
type route uint8

const (
	toListener route = iota
	toScan
	toFlood
)

func (s *suspects) route(a *flows.Attempt) route {
	if si := s.sources[a.Client.Addr()]; si != nil && si.scanner() {
		return toScan
	}
	if f := s.floods[a.Server]; f != nil && floodCandidate(a) && f.flooded() {
		return toFlood
	}
	return toListener
}

// scans reports the sources that probed many endpoints, most ports first.
func (s *suspects) scans() []Scan {
	out := []Scan{}
	for src, si := range s.sources {
		if !si.scanner() {
			continue
		}
		sc := Scan{Source: src.String(), Ports: si.nports, Hosts: int64(len(si.hosts)), HostsAtLeast: len(si.hosts) >= scanPortList,
			Attempts: si.attempts, Open: si.open, First: timeString(si.first), Last: timeString(si.last), PortList: si.portList(scanPortList)}
		out = append(out, sc)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Ports != out[j].Ports {
			return out[i].Ports > out[j].Ports
		}
		return out[i].Source < out[j].Source
	})
	return out
}

func trailingZeros(v uint64) int { return bits.TrailingZeros64(v) }
