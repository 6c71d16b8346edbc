//go:build linux

package lab

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sort"
	"strings"
	"time"
)

// Spec is the composition of a generated scenario: everything Generate
// drew from the seed. It is stored in lab.json, so a kept bundle says how
// it was made.
type Spec struct {
	Seed      int64         `json:"seed"`
	Stress    string        `json:"stress"` // the main mechanism the composition aims at
	Family    int           `json:"family"`
	Listeners []GenListener `json:"listeners"`
	Groups    []GenGroup    `json:"groups"`
	Events    []GenEvent    `json:"events"`
	Rules     []*Rule       `json:"rules"`
	Parts     []string      `json:"parts"` // one phrase per drawn dimension, for the README
}

// GenListener is one listening socket (a reuseport group has several).
type GenListener struct {
	Name  string     `json:"name"`
	Spec  ListenSpec `json:"spec"`
	Stuck bool       `json:"stuck,omitempty"` // a reuseport member that never accepts
}

// GenGroup is a group of client connect()s starting at AtMS.
type GenGroup struct {
	AtMS int      `json:"at_ms"`
	Conn ConnSpec `json:"conn"`
}

// GenEvent is a change in the middle of the run; a phase snapshot is taken
// just before it, so each phase has one set of mechanisms.
type GenEvent struct {
	AtMS int    `json:"at_ms"`
	Kind string `json:"kind"` // stall, resume, close, reopen, rule-add, rule-del, flood, scan, stop-capture
	Arg  string `json:"arg,omitempty"`
	N    int    `json:"n,omitempty"`
}

// Generate composes a scenario from a seed: the same seed always gives the
// same composition (the kernel's timing still varies a little).
func Generate(seed int64) *Scenario {
	g := &gen{rng: rand.New(rand.NewPCG(uint64(seed), 0x6f7261636c65)), spec: &Spec{Seed: seed, Family: 4}}
	sc := &Scenario{Name: "generated", Seed: seed, Spec: g.spec}
	g.compose(sc)
	sc.Script = g.spec.script
	return sc
}

type gen struct {
	rng  *rand.Rand
	spec *Spec
	srv  netip.Addr
	cli  []netip.Addr
}

func (g *gen) chance(p float64) bool  { return g.rng.Float64() < p }
func (g *gen) between(lo, hi int) int { return lo + g.rng.IntN(hi-lo+1) }

func (g *gen) part(format string, args ...any) {
	g.spec.Parts = append(g.spec.Parts, fmt.Sprintf(format, args...))
}

// stresses are the main mechanisms, each crisp enough that its truth is
// derivable from the kernel's counters.
var stresses = []string{"healthy", "accept-stall", "slow-accept", "never-accept-exit", "spoofed-flood",
	"firewall", "restart", "defer-accept", "reuseport-stuck", "synack-loss", "server-closes",
	"ack-overflow", "timewait-reuse"}

func (g *gen) compose(sc *Scenario) {
	s := g.spec
	s.Stress = stresses[g.rng.IntN(len(stresses))]
	raw := s.Stress == "spoofed-flood"
	if !raw && g.chance(0.25) {
		s.Family = 6
	}
	g.srv, g.cli = serverV4, []netip.Addr{clientV4}
	for i := 3; i <= 6; i++ {
		g.cli = append(g.cli, netip.AddrFrom4([4]byte{10, 77, 0, byte(i)}))
	}
	if s.Family == 6 {
		g.srv, g.cli = serverV6, []netip.Addr{clientV6}
		for i := 3; i <= 6; i++ {
			g.cli = append(g.cli, netip.MustParseAddr(fmt.Sprintf("fd77::%d", i)))
		}
	}
	sc.Net.ClientAddrs = g.cli[1:]
	g.part("IPv%d, main mechanism %s", s.Family, s.Stress)
	g.captureDims(sc)
	g.serverDims(sc)
	g.clientDims()
	g.pathDims(sc)
	if s.Family == 4 && s.Stress != "spoofed-flood" && g.chance(0.15) {
		g.spec.Events = append(g.spec.Events, GenEvent{AtMS: g.between(500, 4000), Kind: "scan", N: g.between(10, 30)})
		g.part("a half-open port scan from %s", clientV4)
	}
	if g.chance(0.1) {
		at := g.between(4000, 8000)
		s.Events = append(s.Events, GenEvent{AtMS: at, Kind: "stop-capture"})
		g.part("capture stopped early, %.1f s in", float64(at)/1000)
	}
	sort.SliceStable(s.Events, func(i, j int) bool { return s.Events[i].AtMS < s.Events[j].AtMS })
	sort.SliceStable(s.Groups, func(i, j int) bool { return s.Groups[i].AtMS < s.Groups[j].AtMS })
}

func (g *gen) captureDims(sc *Scenario) {
	if g.chance(0.2) {
		sc.Capture.Side = "client"
	}
	// This kernel has neither 8021q nor bridge VLAN filtering, so no VLAN
	// tags; a bridge in front of the server is the other link variant.
	switch r := g.rng.Float64(); {
	case r < 0.25:
		sc.Capture.Iface = "any"
	case r < 0.35:
		sc.Net.Bridge = true
		sc.Capture.Iface = []string{"veth", "if", "any"}[g.rng.IntN(3)]
	}
	side := sc.Capture.Side
	if side == "" {
		side = "server"
	}
	iface := sc.Capture.Iface
	if iface == "" {
		iface = "veth"
	}
	bridge := ""
	if sc.Net.Bridge {
		bridge = ", server veth in a bridge"
	}
	g.part("capture on the %s side, interface %s%s", side, iface, bridge)
}

// serverDims draws the listener and the server sysctls for the stress.
func (g *gen) serverDims(sc *Scenario) {
	s := g.spec
	port := 8080
	l := ListenSpec{Name: "app", Addr: addr(g.srv, port), Backlog: g.between(1, 8), Accepting: true, Reply: g.chance(0.8)}
	cookies := 1
	if g.chance(0.3) {
		cookies = 0
	}
	switch s.Stress {
	case "healthy", "firewall", "synack-loss", "restart":
		l.Backlog = g.between(32, 128)
	case "accept-stall":
		l.Accepting = false
		stall := g.between(3000, 7000)
		s.Events = append(s.Events, GenEvent{AtMS: stall, Kind: "resume"})
		if g.chance(0.4) {
			sc.ServerSysctls = append(sc.ServerSysctls, "net.ipv4.tcp_abort_on_overflow=1")
			g.part("tcp_abort_on_overflow=1")
		}
		g.part("listen backlog %d, app not accepting for %.1f s, then accepting", l.Backlog, float64(stall)/1000)
	case "slow-accept":
		l.AcceptEvery = time.Duration(g.between(150, 400)) * time.Millisecond
		g.part("listen backlog %d, the app accepts one connection per %s", l.Backlog, l.AcceptEvery)
	case "never-accept-exit":
		l.Accepting = false
		at := g.between(4000, 7000)
		s.Events = append(s.Events, GenEvent{AtMS: at, Kind: "close"})
		g.part("listen backlog %d, app never accepts and exits (listener closed) at %.1f s", l.Backlog, float64(at)/1000)
	case "spoofed-flood":
		l.Backlog = []int{8, 16, 64, 1024}[g.rng.IntN(4)]
		cookies = g.rng.IntN(3)
		n := g.between(100, 300)
		s.Events = append(s.Events, GenEvent{AtMS: g.between(300, 1500), Kind: "flood", N: n})
		sc.Net.Spoof = true
		sc.ServerSysctls = append(sc.ServerSysctls, "net.ipv4.tcp_synack_retries="+fmt.Sprint(g.between(2, 5)))
		g.part("listen backlog %d, spoofed SYN flood of %d sources", l.Backlog, n)
	case "defer-accept":
		l.DeferAccept = g.between(5, 15)
		l.Backlog = 128
		g.part("TCP_DEFER_ACCEPT %d s", l.DeferAccept)
	case "reuseport-stuck":
		l.ReusePort, l.Backlog = true, g.between(1, 4)
		g.part("SO_REUSEPORT group of 2 (backlog %d each), one member stuck (never accepts)", l.Backlog)
	case "ack-overflow":
		g.ackOverflow(sc, &l)
	case "timewait-reuse":
		g.timewaitReuse(&l)
	case "server-closes":
		l.Backlog, l.ServerCloses = 128, true
		g.part("server closes first%s", map[bool]string{true: " after answering", false: " without sending anything"}[l.Reply])
	}
	if s.Stress == "restart" {
		at := g.between(2500, 5000)
		s.Events = append(s.Events, GenEvent{AtMS: at, Kind: "close"}, GenEvent{AtMS: at + g.between(800, 2500), Kind: "reopen"})
		g.part("listener closed at %.1f s and re-opened", float64(at)/1000)
	}
	if s.Family == 4 && g.chance(0.3) && s.Stress != "spoofed-flood" {
		sc.ServerSysctls = append(sc.ServerSysctls, "net.core.somaxconn="+fmt.Sprint(g.between(2, 64)))
		g.part("somaxconn %s", strings.TrimPrefix(sc.ServerSysctls[len(sc.ServerSysctls)-1], "net.core.somaxconn="))
	}
	sc.ServerSysctls = append(sc.ServerSysctls, fmt.Sprintf("net.ipv4.tcp_syncookies=%d", cookies))
	if cookies != 1 {
		g.part("tcp_syncookies=%d", cookies)
	}
	if cookies == 0 && g.chance(0.3) {
		m := g.between(16, 256)
		sc.ServerSysctls = append(sc.ServerSysctls, fmt.Sprintf("net.ipv4.tcp_max_syn_backlog=%d", m))
		g.part("tcp_max_syn_backlog %d", m)
	}
	s.Listeners = append(s.Listeners, GenListener{Name: "app", Spec: l})
	if s.Stress == "reuseport-stuck" {
		stuck := l
		stuck.Name, stuck.Accepting = "stuck", false
		s.Listeners = append(s.Listeners, GenListener{Name: "stuck", Spec: stuck, Stuck: true})
	}
	if g.chance(0.2) {
		h := ListenSpec{Name: "other", Addr: addr(g.srv, 8081), Backlog: 128, Accepting: true, Reply: true}
		s.Listeners = append(s.Listeners, GenListener{Name: "other", Spec: h})
		g.part("a second, healthy listener on :8081")
	}
}

// clientDims draws the client groups: count, sources, pace, bursts,
// send-first or wait, late writes, aborts, SYN retries.
func (g *gen) clientDims() {
	s := g.spec
	n := g.between(2, 4)
	for i := 0; i < n; i++ {
		c := ConnSpec{
			Group:    fmt.Sprintf("g%d", i+1),
			From:     g.cli[g.rng.IntN(len(g.cli))],
			To:       s.Listeners[0].Spec.Addr,
			N:        g.between(2, 8),
			Stagger:  time.Duration(g.between(20, 400)) * time.Millisecond,
			Parallel: g.chance(0.7),
		}
		// TCP_SYNCNT on 6.5+ comes on top of 4 linear retransmits: 1 gives
		// up after ~7 s, 2 after ~11 s; otherwise an application deadline.
		if g.chance(0.5) {
			c.SynRetries = g.between(1, 2)
		} else {
			c.Timeout = time.Duration(g.between(2000, 6000)) * time.Millisecond
		}
		if g.chance(0.15) && len(s.Listeners) > 1 && s.Listeners[len(s.Listeners)-1].Name == "other" {
			c.To = s.Listeners[len(s.Listeners)-1].Spec.Addr
		}
		if g.chance(0.25) {
			c.FromPort = 40000 + 100*i
		}
		if g.chance(0.85) {
			c.Send = request
			c.ReadTimeout = time.Duration(g.between(2, 8)) * time.Second
			if g.chance(0.2) || s.Stress == "defer-accept" {
				c.SendDelay = time.Duration(g.between(500, 4500)) * time.Millisecond
			}
		}
		if g.chance(0.2) {
			c.Abort = true
		}
		if s.Stress == "server-closes" && g.chance(0.5) {
			c.SendDelay, c.Send = time.Second, request
		}
		if !c.Parallel {
			shortenSequential(&c)
		}
		at := g.between(0, 5000)
		if i == 0 {
			at = g.between(0, 500)
		}
		s.Groups = append(s.Groups, GenGroup{AtMS: at, Conn: c})
	}
	g.part("%d client groups", n)
}

// shortenSequential keeps a one-after-the-other group within a few
// seconds: its waits add up (8 connects × an 8 s read timeout would
// stretch a scenario to a minute).
func shortenSequential(c *ConnSpec) {
	c.N = min(c.N, 4)
	c.ReadTimeout = min(c.ReadTimeout, 2*time.Second)
	c.SendDelay = min(c.SendDelay, 1500*time.Millisecond)
	c.SynRetries = min(c.SynRetries, 1)
	c.Timeout = min(c.Timeout, 3*time.Second)
}

// pathDims draws firewall rules, loss and the client-side SYN-ACK loss.
func (g *gen) pathDims(sc *Scenario) {
	s := g.spec
	first := len(s.Rules) // rules the main mechanism added schedule themselves
	port := fmt.Sprint(s.Listeners[0].Spec.Addr.Port())
	pick := func() netip.Addr { return g.cli[1+g.rng.IntN(len(g.cli)-1)] }
	want := s.Stress == "firewall"
	if want || g.chance(0.15) {
		src := pick()
		switch r := g.rng.IntN(4); r {
		case 0:
			s.Rules = append(s.Rules, &Rule{Label: "block", Side: "server", Family: s.Family, Chain: "INPUT", Drops: "syn", Sources: []string{src.String()},
				Args: []string{"-s", src.String(), "-p", "tcp", "--dport", port, "--syn", "-j", "DROP"}})
			g.part("server firewall drops SYNs from %s", src)
		case 1:
			s.Rules = append(s.Rules, &Rule{Label: "reject", Side: "server", Family: s.Family, Chain: "INPUT", Drops: "syn", Reject: true, Sources: []string{src.String()},
				Args: []string{"-s", src.String(), "-p", "tcp", "--dport", port, "--syn", "-j", "REJECT", "--reject-with", "tcp-reset"}})
			g.part("server firewall rejects SYNs from %s with RST", src)
		case 2:
			p := []string{"0.3", "0.5", "0.7"}[g.rng.IntN(3)]
			s.Rules = append(s.Rules, &Rule{Label: "loss", Side: "server", Family: s.Family, Chain: "INPUT", Drops: "all", Random: true, Sources: []string{src.String()},
				Args: []string{"-s", src.String(), "-p", "tcp", "--dport", port, "-m", "statistic", "--mode", "random", "--probability", p, "-j", "DROP"}})
			g.part("random loss %s of %s's packets at the server (after the capture point)", p, src)
		case 3:
			k := g.between(1, 3)
			s.Rules = append(s.Rules, &Rule{Label: "connlimit", Side: "server", Family: s.Family, Chain: "INPUT", Drops: "syn", Random: true, Sources: []string{src.String()},
				Args: []string{"-s", src.String(), "-p", "tcp", "--dport", port, "--syn", "-m", "connlimit", "--connlimit-above", fmt.Sprint(k), "-j", "DROP"}})
			g.part("connlimit: more than %d connections from %s dropped", k, src)
			// Make sure that source holds connections open.
			s.Groups = append(s.Groups, GenGroup{AtMS: g.between(0, 1000), Conn: ConnSpec{Group: "holders", From: src, To: s.Listeners[0].Spec.Addr,
				N: k + g.between(1, 3), Stagger: 200 * time.Millisecond, Parallel: true, Timeout: 3 * time.Second, Hold: 4 * time.Second}})
		}
	}
	if s.Stress == "synack-loss" || g.chance(0.1) {
		src := pick()
		s.Rules = append(s.Rules, &Rule{Label: "synack-loss", Side: "client", Family: s.Family, Chain: "INPUT", Drops: "synack", Random: true, Sources: []string{src.String()},
			Args: []string{"-d", src.String(), "-p", "tcp", "--sport", port, "--tcp-flags", "SYN,ACK", "SYN,ACK", "-m", "statistic", "--mode", "random", "--probability", "0.5", "-j", "DROP"}})
		g.part("half of the SYN-ACKs to %s lost on the client side", src)
		if !g.hasGroupFrom(src) {
			s.Groups = append(s.Groups, GenGroup{AtMS: g.between(0, 2000), Conn: ConnSpec{Group: "lossy", From: src, To: s.Listeners[0].Spec.Addr, N: g.between(3, 6),
				Stagger: 300 * time.Millisecond, Parallel: true, Timeout: 5 * time.Second, Send: request}})
		}
	}
	for _, r := range s.Rules[first:] {
		if r.Side == "server" && g.chance(0.3) {
			at := g.between(1000, 5000)
			s.Events = append(s.Events, GenEvent{AtMS: at, Kind: "rule-add", Arg: r.Label})
			if g.chance(0.5) {
				s.Events = append(s.Events, GenEvent{AtMS: at + g.between(1500, 4000), Kind: "rule-del", Arg: r.Label})
			}
		} else {
			s.Events = append(s.Events, GenEvent{AtMS: 0, Kind: "rule-add", Arg: r.Label})
		}
	}
	for _, grp := range s.Groups {
		for _, r := range s.Rules[first:] {
			if contains(r.Sources, grp.Conn.From.String()) {
				return
			}
		}
	}
	// Every rule should meet traffic: give the first rule's source a group.
	if len(s.Rules) > first {
		src, _ := netip.ParseAddr(s.Rules[first].Sources[0])
		s.Groups = append(s.Groups, GenGroup{AtMS: g.between(0, 3000), Conn: ConnSpec{Group: "ruled", From: src, To: s.Listeners[0].Spec.Addr, N: g.between(2, 5),
			Stagger: 250 * time.Millisecond, Parallel: true, Timeout: 4 * time.Second, Send: request}})
	}
}

func (g *gen) hasGroupFrom(a netip.Addr) bool {
	for _, grp := range g.spec.Groups {
		if grp.Conn.From == a {
			return true
		}
	}
	return false
}

// describe is the README's description of a generated scenario.
func (s *Spec) describe() string {
	return fmt.Sprintf("Generated by `lab.Generate(%d)`: %s.", s.Seed, strings.Join(s.Parts, "; "))
}

// script runs the composition: listeners, then groups and events in time
// order, a phase snapshot before every event.
func (s *Spec) script(r *Run) error {
	sc := &script{r: r}
	servers := map[string]*Server{}
	for _, l := range s.Listeners {
		servers[l.Name] = sc.listen(l.Spec)
	}
	rules := map[string]*Rule{}
	for _, rl := range s.Rules {
		rules[rl.Label] = rl
	}
	start := time.Now()
	var groups []*Group
	gi, ei := 0, 0
	for sc.ok() && (gi < len(s.Groups) || ei < len(s.Events)) {
		nextG, nextE := 1<<30, 1<<30
		if gi < len(s.Groups) {
			nextG = s.Groups[gi].AtMS
		}
		if ei < len(s.Events) {
			nextE = s.Events[ei].AtMS
		}
		at := min(nextG, nextE)
		if d := time.Until(start.Add(time.Duration(at) * time.Millisecond)); d > 0 {
			sc.sleep(d)
		}
		if nextE <= nextG {
			s.event(sc, s.Events[ei], servers, rules)
			ei++
			continue
		}
		groups = append(groups, sc.clients(s.Groups[gi].Conn))
		gi++
	}
	for _, g := range groups {
		g.Wait()
	}
	sc.phase("clients-done")
	sc.sleep(time.Second)
	if sc.err == nil {
		sc.err = r.ctx.Err()
	}
	return sc.err
}

func (s *Spec) event(sc *script, e GenEvent, servers map[string]*Server, rules map[string]*Rule) {
	sc.phase(fmt.Sprintf("%s@%d", e.Kind, e.AtMS))
	app := servers["app"]
	switch e.Kind {
	case "resume":
		sc.gate(app, true, 0)
	case "close":
		if sc.ok() && app != nil {
			sc.r.CloseListener(app)
		}
	case "reopen":
		if app != nil {
			spec := app.Spec
			spec.Name = "app-restarted"
			servers["app"] = sc.listen(spec)
		}
	case "rule-add":
		sc.rule(rules[e.Arg])
	case "rule-del":
		sc.unrule(rules[e.Arg])
	case "flood":
		sc.raw("flood", spoofedSYNs(e.N, s.Listeners[0].Spec.Addr), 3*time.Millisecond)
	case "scan":
		var syns []RawSYN
		for p := 8000; p < 8000+e.N; p++ {
			syns = append(syns, RawSYN{From: addr(clientV4, 55000), To: addr(serverV4, p)})
		}
		sc.raw("scan", syns, 30*time.Millisecond)
	case "stop-capture":
		if sc.ok() {
			sc.r.StopCapture()
		}
	case "tw-paws":
		s.twPAWS(sc, e)
	}
}

// ackOverflow: the handshakes of a held group complete on the client side
// while a client-side rule holds back their ACK and data; a fill group
// then fills the accept queue; the rule goes, and the held ACKs meet a full
// accept queue (B07, or B08 with tcp_abort_on_overflow=1); later the app
// accepts.
func (g *gen) ackOverflow(sc *Scenario, l *ListenSpec) {
	s := g.spec
	l.Accepting, l.Backlog, l.Reply = false, g.between(1, 4), true
	held := g.between(2, 4)
	to := l.Addr
	from := g.cli[0]
	rule := holdRule("hold-ack", from, 41000, 41000+held-1, to)
	s.Rules = append(s.Rules, rule)
	s.Groups = append(s.Groups,
		GenGroup{AtMS: 0, Conn: ConnSpec{Group: "held", From: from, FromPort: 41000, To: to, N: held, Parallel: true, Stagger: 50 * time.Millisecond,
			Timeout: 5 * time.Second, Send: request, ReadTimeout: 15 * time.Second}},
		GenGroup{AtMS: 400, Conn: ConnSpec{Group: "fill", From: from, FromPort: 41100, To: to, N: l.Backlog + 1, Parallel: true, Stagger: 20 * time.Millisecond,
			Send: request, ReadTimeout: 15 * time.Second}})
	release, resume := g.between(1000, 1500), g.between(4000, 9000)
	s.Events = append(s.Events, GenEvent{AtMS: 0, Kind: "rule-add", Arg: rule.Label}, GenEvent{AtMS: release, Kind: "rule-del", Arg: rule.Label},
		GenEvent{AtMS: resume, Kind: "resume"})
	abort := g.chance(0.4)
	if abort {
		sc.ServerSysctls = append(sc.ServerSysctls, "net.ipv4.tcp_abort_on_overflow=1")
	}
	sc.ServerSysctls = append(sc.ServerSysctls, "net.ipv4.tcp_synack_retries="+fmt.Sprint(g.between(2, 5)))
	g.part("listen backlog %d, app not accepting; %d handshakes' ACKs held back on the client until %d connections filled the accept queue (released at %.1f s, accepting at %.1f s, tcp_abort_on_overflow=%d)",
		l.Backlog, held, l.Backlog+1, float64(release)/1000, float64(resume)/1000, map[bool]int{true: 1}[abort])
}

// timewaitReuse: the server closes first (TIME-WAIT on the server); the
// same client ports connect again — some with a real connect() (newer
// TSval: the TIME-WAIT socket accepts it), one with a hand-built SYN whose
// TSval is older than the last one (PAWS: bare ACK, client RST, retry).
func (g *gen) timewaitReuse(l *ListenSpec) {
	s := g.spec
	l.Backlog, l.Reply, l.ServerCloses = 128, true, true
	n := g.between(2, 4)
	to, from := l.Addr, clientV4
	if s.Family == 6 {
		from = clientV6
	}
	s.Groups = append(s.Groups,
		GenGroup{AtMS: 0, Conn: ConnSpec{Group: "tw-first", From: from, FromPort: 45000, To: to, N: n, Stagger: 100 * time.Millisecond, Send: request, AwaitEOF: true, TSval: true}},
		GenGroup{AtMS: 3000, Conn: ConnSpec{Group: "tw-reuse", From: from, FromPort: 45000, To: to, N: n, Stagger: 100 * time.Millisecond, Send: request, AwaitEOF: true}})
	if s.Family == 4 {
		s.Events = append(s.Events, GenEvent{AtMS: 1500, Kind: "tw-paws", Arg: "tw-first", N: 45000 + n - 1})
		g.part("server closes first; %d client ports reconnect 3 s later (TIME-WAIT reuse), port %d first gets a hand-built SYN with an old TSval", n, 45000+n-1)
		return
	}
	g.part("server closes first; %d client ports reconnect 3 s later (TIME-WAIT reuse)", n)
}

// twPAWS sends a SYN with an older TSval than the last one the client
// used on port e.N (from the client log) to the server's TIME-WAIT socket.
func (s *Spec) twPAWS(sc *script, e GenEvent) {
	if !sc.ok() {
		return
	}
	var last ClientRecord
	sc.r.log.mu.Lock()
	for _, c := range sc.r.log.Clients {
		if c.Group == e.Arg && strings.HasSuffix(c.Client, fmt.Sprintf(":%d", e.N)) {
			last = c
		}
	}
	sc.r.log.mu.Unlock()
	if last.TSval == 0 {
		sc.r.Step("WARNING: no TSval recorded for port %d: no PAWS SYN sent", e.N)
		return
	}
	from, err := netip.ParseAddrPort(last.Client)
	if err != nil {
		sc.err = fmt.Errorf("tw-paws: %w", err)
		return
	}
	sc.raw("crafted", []RawSYN{{From: from, To: s.Listeners[0].Spec.Addr, ISN: 1000000, TSval: last.TSval - 100000}}, 0)
}
