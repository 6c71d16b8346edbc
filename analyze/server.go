package analyze

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/halfopen/halfopen/analyze/kernel"
	"github.com/halfopen/halfopen/analyze/snapshot"
)

// server is what is known about the server of one capture before and after
// reading it: its kernel, sysctls, counter deltas and ss samples.
type server struct {
	snaps       *Snapshots
	model       kernel.Model
	kernelKnown bool // from a version, not inferred
	kinfo       Kernel
	eraRange    kernel.EraRange
	delta       map[string]int64 // counter deltas over the snapshots; nil when unknown
	deltaText   string           // how the deltas were obtained
	counterHas  map[string]bool  // counter names present in any snapshot
	sysctlVals  *snapshot.Sysctl
	warnings    []string
	ssCache     map[netip.AddrPort][]snapshot.ListenerPoint
	vantage     string // where the capture was taken (Vantage*), set once it is read
}

// unknownInt marks a sysctl that no snapshot gave.
const unknownInt = -1

func newServer(s *Snapshots) *server {
	srv := &server{snaps: s, ssCache: map[netip.AddrPort][]snapshot.ListenerPoint{}, counterHas: map[string]bool{}}
	if s == nil {
		s = &Snapshots{}
		srv.snaps = s
	}
	srv.sysctlVals = s.Sysctl
	if s.SS != nil {
		for _, n := range s.SS.Notes {
			srv.warnings = append(srv.warnings, "ss snapshot: "+n)
		}
	}
	srv.loadCounters()
	srv.pickKernel(0)
	return srv
}

// sysctl returns an integer sysctl, or unknownInt.
func (s *server) sysctl(key string) int {
	if s.sysctlVals == nil {
		return unknownInt
	}
	v, ok := s.sysctlVals.Int(key)
	if !ok {
		return unknownInt
	}
	return int(v)
}

// loadCounters turns the counter snapshots into deltas. Absolute
// snapshots are put in the order their content proves (counters only
// grow); snapshots that contradict each other give no delta at all.
func (s *server) loadCounters() {
	cs := s.snaps.Counters
	for _, c := range cs {
		for k := range c.Values {
			s.counterHas[k] = true
		}
		for _, n := range c.Notes {
			if n == snapshot.NoteNstatAssumedAbsolute && len(cs) > 1 {
				continue // two snapshots are read as before/after; their content is checked
			}
			s.warnings = append(s.warnings, fmt.Sprintf("%s: %s", filepath.Base(c.Source), n))
		}
	}
	var abs []*snapshot.Counters
	for _, c := range cs {
		if !c.Absolute {
			if s.delta == nil {
				s.delta = map[string]int64{}
			}
			for k, v := range c.Values {
				s.delta[k] += v
			}
			s.deltaText = "nstat deltas in " + c.Source
		} else {
			abs = append(abs, c)
		}
	}
	if s.delta != nil {
		return
	}
	switch {
	case len(abs) >= 2:
		ord := snapshot.OrderCounters(abs)
		s.warnings = append(s.warnings, ord.Warnings...)
		if !ord.Usable {
			return
		}
		first, last := ord.Snapshots[0], ord.Snapshots[len(ord.Snapshots)-1]
		d := snapshot.Subtract(first, last)
		for _, n := range d.Notes {
			s.warnings = append(s.warnings, "counter deltas: "+n)
		}
		s.delta = d.Values
		s.deltaText = fmt.Sprintf("between %s and %s", first.Source, last.Source)
	case len(abs) == 1:
		s.warnings = append(s.warnings, fmt.Sprintf("only one absolute counter snapshot (%s): counters since boot cannot be tied to the capture; give one taken before and one after", abs[0].Source))
	}
}

// counter returns a counter's delta and whether it is known: a delta exists
// and the counter appears in a snapshot (it may not exist on old kernels).
func (s *server) counter(name string) (int64, bool) {
	if s.delta == nil {
		return 0, false
	}
	if v, ok := s.delta[name]; ok {
		return v, true
	}
	// netstat -s omits zero TcpExt counters; a known snapshot format with
	// the counter absent means zero when the kernel has it.
	return 0, s.counterHas[name] || s.countersComplete()
}

func (s *server) countersComplete() bool {
	return s.counterHas[kernel.CounterSyncookiesSent] && s.counterHas[kernel.CounterPAWSActive]
}

// pickKernel chooses the kernel model: kernel.osrelease, --kernel or
// uname.txt, else inferred from snapshot keys and the SYN-ACK RTO measured
// in the capture (0 when unknown), marked assumed.
func (s *server) pickKernel(synAckRTO time.Duration) {
	var release, source string
	if s.sysctlVals != nil && s.sysctlVals.KernelRelease() != "" {
		release, source = s.sysctlVals.KernelRelease(), "sysctl kernel.osrelease"
	} else if s.snaps.Kernel != "" {
		release, source = s.snaps.Kernel, s.snaps.KernelSrc
	}
	if release != "" {
		if v, err := kernel.ParseVersion(release); err == nil {
			s.model, s.kernelKnown = kernel.ModelFor(v), true
			s.eraRange = kernel.EraRange{Lo: s.model.Era, Hi: s.model.Era}
			s.kinfo = Kernel{Era: s.model.Era, Name: s.model.Name, Version: release, Source: source, Evidence: []string{}}
			s.kinfo.Evidence = append(s.kinfo.Evidence, s.model.Caveats...)
			return
		}
		s.warnings = append(s.warnings, fmt.Sprintf("kernel version %q (from %s) not understood; inferring the era instead", release, source))
	}
	var sysHas func(string) bool
	if s.sysctlVals != nil {
		sysHas = s.sysctlVals.Has
	}
	var ctrHas func(string) bool
	if len(s.counterHas) > 0 {
		ctrHas = func(k string) bool { return s.counterHas[k] }
	}
	rng, clues := kernel.InferEra(sysHas, ctrHas, synAckRTO)
	s.eraRange = rng
	// Assume the newest era the evidence allows: modern kernels are the
	// common case, and the report says the choice was an assumption.
	m, err := kernel.Representative(rng.Hi)
	if err != nil {
		m, _ = kernel.Representative(kernel.Era412)
	}
	s.model = m
	s.kinfo = Kernel{Era: m.Era, Name: m.Name, Source: "inferred", Assumed: true, Evidence: []string{}}
	for _, c := range clues {
		s.kinfo.Evidence = append(s.kinfo.Evidence, c.What)
	}
	if rng.Lo == rng.Hi {
		s.kinfo.Evidence = append(s.kinfo.Evidence, "era pinned to "+rng.Lo)
	} else {
		s.kinfo.Evidence = append(s.kinfo.Evidence, fmt.Sprintf("era between %s and %s; assumed %s (give --kernel or a sysctl -a snapshot to pin it)", rng.Lo, rng.Hi, m.Era))
	}
}

// eraAtMost reports whether the server's era may be at or before era.
func (s *server) eraMayBeAtMost(era string) bool {
	return eraIndex(s.eraRange.Lo) <= eraIndex(era)
}

// eraMayBeAtLeast reports whether the server's era may be at or after era.
func (s *server) eraMayBeAtLeast(era string) bool {
	return eraIndex(s.eraRange.Hi) >= eraIndex(era)
}

func eraIndex(era string) int {
	for i, e := range kernel.Eras() {
		if e == era {
			return i
		}
	}
	return -1
}

// ssPoints returns the ss samples of a listener (cached).
func (s *server) ssPoints(srv netip.AddrPort) []snapshot.ListenerPoint {
	if s.snaps.SS == nil {
		return nil
	}
	if p, ok := s.ssCache[srv]; ok {
		return p
	}
	p := s.snaps.SS.Find(srv)
	sort.SliceStable(p, func(i, j int) bool { return p[i].Time.Before(p[j].Time) })
	s.ssCache[srv] = p
	return p
}

// ssAt returns the ss sample of a listener nearest to t within window, and
// whether the series has timestamps at all (untimed single snapshots are
// returned with ok when nothing timed exists).
func (s *server) ssAt(srv netip.AddrPort, t time.Time, window time.Duration) (snapshot.ListenerPoint, bool) {
	pts := s.ssPoints(srv)
	if len(pts) == 0 {
		return snapshot.ListenerPoint{}, false
	}
	i := sort.Search(len(pts), func(i int) bool { return !pts[i].Time.Before(t) })
	best, bestD := -1, window+1
	for _, j := range []int{i - 1, i} {
		if j < 0 || j >= len(pts) || pts[j].Time.IsZero() {
			continue
		}
		d := pts[j].Time.Sub(t)
		if d < 0 {
			d = -d
		}
		if d < bestD {
			best, bestD = j, d
		}
	}
	if best < 0 {
		return snapshot.ListenerPoint{}, false
	}
	return pts[best], true
}

// backlog returns the listener's backlog B from ss Send-Q (the largest
// seen), or unknownInt.
func (s *server) backlog(srv netip.AddrPort) int {
	b := unknownInt
	for _, p := range s.ssPoints(srv) {
		// Before 2.6.24 Send-Q of a listener is not its backlog (≈0).
		if p.Listener.SendQ > 0 || p.Listener.SendQ == 0 && s.model.Era != kernel.Era2618 {
			b = max(b, p.Listener.SendQ)
		}
	}
	return b
}

// maxAcceptDepth is the largest ss Recv-Q seen for the listener.
func (s *server) maxAcceptDepth(srv netip.AddrPort) int {
	d := unknownInt
	for _, p := range s.ssPoints(srv) {
		d = max(d, p.Listener.RecvQ)
	}
	return d
}

// ssFull reports whether a sample shows the accept queue full: Recv-Q
// above Send-Q (the backlog), or — when Send-Q does not carry the backlog
// (netstat, kernels before 2.6.24) — above somaxconn, which bounds it.
func (s *server) ssFull(l snapshot.Listener) bool {
	if l.SendQ > 0 || l.SendQ == 0 && s.model.Era != kernel.Era2618 {
		return l.RecvQ > l.SendQ
	}
	if smc := s.sysctl(kernel.SysctlSomaxconn); smc != unknownInt {
		return l.RecvQ > smc
	}
	return false
}

// limits reports the listener's effective queue limits.
func (s *server) limits(srv netip.AddrPort) *Limits {
	l := &Limits{}
	var src []string
	set := func(p **int, v int) {
		if v != unknownInt {
			vv := v
			*p = &vv
		}
	}
	b := s.backlog(srv)
	set(&l.Backlog, b)
	if b != unknownInt {
		src = append(src, "ss")
		set(&l.AcceptQueueCapacity, s.model.AcceptQueueCapacity(b))
	}
	set(&l.MaxAcceptDepth, s.maxAcceptDepth(srv))
	set(&l.Somaxconn, s.sysctl(kernel.SysctlSomaxconn))
	set(&l.MaxSynBacklog, s.sysctl(kernel.SysctlMaxSynBacklog))
	set(&l.Syncookies, s.sysctl(kernel.SysctlSyncookies))
	set(&l.AbortOnOverflow, s.sysctl(kernel.SysctlAbortOnOverflow))
	set(&l.TwRecycle, s.sysctl(kernel.SysctlTwRecycle))
	if s.sysctlVals != nil {
		src = append(src, "sysctl")
	}
	if q := s.synQueueCapacity(srv); q != unknownInt {
		set(&l.SynQueueCapacity, q)
	}
	if len(src) == 0 {
		return nil
	}
	l.Source = strings.Join(src, "+")
	return l
}

// synQueueCapacity computes Qs for the listener when B (and M where the era
// needs it) are known.
func (s *server) synQueueCapacity(srv netip.AddrPort) int {
	b := s.backlog(srv)
	m := s.sysctl(kernel.SysctlMaxSynBacklog)
	switch s.model.SynQueueFormula {
	case kernel.SynQueueByMaxSynBacklog:
		if m == unknownInt {
			return unknownInt
		}
		return s.model.SynQueueCapacity(b, m)
	case kernel.SynQueueByFirstBacklog:
		if m == unknownInt || b == unknownInt {
			return unknownInt
		}
		return s.model.SynQueueCapacity(b, m)
	}
	if b == unknownInt {
		return unknownInt
	}
	return s.model.SynQueueCapacity(b, max(m, 0))
}

// ssCoverage returns a warning when the ss samples do not overlap the capture.
func (s *server) ssCoverage(first, last int64) string {
	if s.snaps.SS == nil || first == 0 {
		return ""
	}
	var lo, hi time.Time
	for _, b := range s.snaps.SS.Blocks {
		if b.Time.IsZero() {
			continue
		}
		if lo.IsZero() || b.Time.Before(lo) {
			lo = b.Time
		}
		if b.Time.After(hi) {
			hi = b.Time
		}
	}
	if lo.IsZero() {
		return "ss snapshot has no time headers: its queue depths cannot be lined up with the capture (use the '# <unix time>' block headers)"
	}
	cf, cl := time.Unix(0, first), time.Unix(0, last)
	if hi.Before(cf) || lo.After(cl) {
		return fmt.Sprintf("ss samples (%s–%s UTC) do not overlap the capture (%s–%s UTC): clocks differ or they are from another time; ss depths are not used per attempt",
			lo.UTC().Format("15:04:05"), hi.UTC().Format("15:04:05"), cf.UTC().Format("15:04:05"), cl.UTC().Format("15:04:05"))
	}
	return ""
}
