//go:build linux

package lab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// CaptureSpec says where tcpdump runs.
type CaptureSpec struct {
	Side  string `json:"side"`  // "server" (default) or "client"
	Iface string `json:"iface"` // "veth" (default), "if" (VLAN sub-interface or bridge) or "any" (SLL2)
}

// Scenario is one reproducible run: the links, the sysctls, the capture
// and a script of actions. Named scenarios write it by hand; Generate
// composes it from a seed.
type Scenario struct {
	Name    string      `json:"name"`
	Seed    int64       `json:"seed,omitempty"`
	About   string      `json:"about"` // README text: what was set up and why
	Net     NetSpec     `json:"net"`
	Capture CaptureSpec `json:"capture"`
	// Sysctls for the server and the client namespace, key=value.
	ServerSysctls []string `json:"server_sysctls,omitempty"`
	ClientSysctls []string `json:"client_sysctls,omitempty"`
	// NstatNames are the bundle's counter file names (before, after).
	NstatNames [2]string          `json:"nstat_names,omitzero"`
	Spec       *Spec              `json:"spec,omitempty"` // generated scenarios: the composition
	Script     func(r *Run) error `json:"-"`
}

// Lab runs scenarios; it numbers namespace pairs so parallel runs in one
// process never collide.
type Lab struct {
	seq atomic.Int64
}

// Phase is a counter snapshot at a boundary of the script.
type Phase struct {
	Name    string           `json:"name"`
	Time    time.Time        `json:"time"`
	Server  map[string]int64 `json:"server_counters"`
	Client  map[string]int64 `json:"client_counters"`
	Rules   map[string]int64 `json:"rule_counters"` // by rule label, both namespaces
	Elapsed time.Duration    `json:"read_ns"`       // how long reading took
}

// Step is one action of the script, for the README and the truth rules.
type Step struct {
	Time time.Time `json:"time"`
	Text string    `json:"text"`
}

// labLog collects everything the run observed, from any goroutine.
type labLog struct {
	mu        sync.Mutex
	Clients   []ClientRecord  `json:"clients"`
	Accepts   []AcceptRecord  `json:"accepts"`
	Listeners []ListenerEvent `json:"listeners"`
	Raw       []RawRecord     `json:"raw"`
	Steps     []Step          `json:"steps"`
}

func (l *labLog) client(r ClientRecord) { l.mu.Lock(); l.Clients = append(l.Clients, r); l.mu.Unlock() }
func (l *labLog) accept(r AcceptRecord) { l.mu.Lock(); l.Accepts = append(l.Accepts, r); l.mu.Unlock() }
func (l *labLog) listener(e ListenerEvent) {
	l.mu.Lock()
	l.Listeners = append(l.Listeners, e)
	l.mu.Unlock()
}
func (l *labLog) raw(r RawRecord) { l.mu.Lock(); l.Raw = append(l.Raw, r); l.mu.Unlock() }
func (l *labLog) step(format string, args ...any) {
	l.mu.Lock()
	l.Steps = append(l.Steps, Step{Time: time.Now(), Text: fmt.Sprintf(format, args...)})
	l.mu.Unlock()
}

// Run is a scenario in progress: the script's handle on the lab.
type Run struct {
	ctx      context.Context
	sc       *Scenario
	pair     *Pair
	dir      string // bundle directory being written
	work     string // scratch directory
	log      *labLog
	srvT     *nsThread
	cliT     *nsThread
	servers  []*Server
	rules    []*Rule
	phases   []Phase
	capture  *tcpdump
	capStop  time.Time
	capStart time.Time
	groups   sync.WaitGroup

	ss      *ssLoop
	qmu     sync.Mutex
	samples []QueueSample
	raw     *rawSender
	verbose func(string)
}

// Ctx is the run's context (cancelled on Ctrl-C or failure).
func (r *Run) Ctx() context.Context { return r.ctx }

// Step records what the script does next.
func (r *Run) Step(format string, args ...any) {
	r.log.step(format, args...)
	if r.verbose != nil {
		r.verbose(fmt.Sprintf(format, args...))
	}
}

// Phase snapshots the counters at a boundary between two mechanisms.
func (r *Run) Phase(name string) error {
	p := Phase{Name: name}
	t0 := time.Now()
	var errS, errC error
	var srv, cli Counters
	r.srvT.do(func() { srv, errS = readCounters() })
	r.cliT.do(func() { cli, errC = readCounters() })
	if err := errors.Join(errS, errC); err != nil {
		return fmt.Errorf("phase %s: %w", name, err)
	}
	p.Time, p.Server, p.Client = srv.Time, srv.Values, cli.Values
	if len(r.rules) > 0 {
		p.Rules = map[string]int64{}
		for _, ns := range []string{r.pair.Srv, r.pair.Cli} {
			rc, err := ruleCounters(r.ctx, ns)
			if err != nil {
				return fmt.Errorf("phase %s: %w", name, err)
			}
			for k, v := range rc {
				p.Rules[k] = v
			}
		}
	}
	p.Elapsed = time.Since(t0)
	r.phases = append(r.phases, p)
	r.Step("phase %s", name)
	return nil
}

// Sleep waits, unless the run is cancelled.
func (r *Run) Sleep(d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
}

// Listen opens a listening socket in the server namespace.
func (r *Run) Listen(spec ListenSpec) (*Server, error) {
	s, err := openListener(r.pair.Srv, spec, r.log)
	if err != nil {
		return nil, err
	}
	r.servers = append(r.servers, s)
	r.Step("listen %s on %s backlog %d%s", spec.Name, spec.Addr, spec.Backlog, listenExtras(spec))
	return s, nil
}

func listenExtras(spec ListenSpec) string {
	var x []string
	if spec.DeferAccept > 0 {
		x = append(x, fmt.Sprintf("TCP_DEFER_ACCEPT %d s", spec.DeferAccept))
	}
	if spec.ReusePort {
		x = append(x, "SO_REUSEPORT")
	}
	if !spec.Accepting {
		x = append(x, "not accepting")
	}
	if spec.AcceptEvery > 0 {
		x = append(x, fmt.Sprintf("one accept per %s", spec.AcceptEvery))
	}
	if len(x) == 0 {
		return ""
	}
	return " (" + strings.Join(x, ", ") + ")"
}

// Gate changes whether a server accepts (n > 0: exactly n more accepts).
func (r *Run) Gate(s *Server, accepting bool, n int) {
	s.Gate(accepting, n)
	switch {
	case accepting:
		r.Step("%s: accept() resumes", s.Spec.Name)
	case n > 0:
		r.Step("%s: %d more accept()s", s.Spec.Name, n)
	default:
		r.Step("%s: accept() stops", s.Spec.Name)
	}
}

// CloseListener closes a server's listening socket (the app exits).
func (r *Run) CloseListener(s *Server) {
	s.CloseListener()
	r.Step("%s: listening socket closed", s.Spec.Name)
}

// Group is a running group of client connect()s.
type Group struct{ done chan struct{} }

// Wait blocks until every connect() of the group is finished.
func (g *Group) Wait() { <-g.done }

// Clients starts a group of connect()s in the client namespace.
func (r *Run) Clients(spec ConnSpec) *Group {
	g := &Group{done: make(chan struct{})}
	r.groups.Add(1)
	r.Step("clients %s: %d connect()s from %s to %s", spec.Group, spec.N, spec.From, spec.To)
	go func() {
		defer r.groups.Done()
		defer close(g.done)
		runClients(r.ctx, r.pair.Cli, spec, r.log)
	}()
	return g
}

// SendRaw sends hand-built SYNs from the client namespace, stagger apart.
func (r *Run) SendRaw(kind string, syns []RawSYN, stagger time.Duration) error {
	if r.raw == nil {
		s, err := newRawSender(r.pair.Cli, uint64(r.sc.Seed))
		if err != nil {
			return err
		}
		r.raw = s
	}
	r.Step("%s: %d raw SYNs", kind, len(syns))
	for i, syn := range syns {
		if syn.ISN == 0 {
			syn.ISN = r.raw.rng.Uint32() | 1
		}
		if err := r.raw.send(syn); err != nil {
			return err
		}
		r.log.raw(RawRecord{Kind: kind, From: syn.From.String(), To: syn.To.String(), ISN: syn.ISN, TSval: syn.TSval, Time: time.Now()})
		if stagger > 0 && i < len(syns)-1 {
			if err := r.Sleep(stagger); err != nil {
				return err
			}
		}
	}
	return nil
}

// AddRule installs an iptables rule (its counters are read at each phase).
func (r *Run) AddRule(rule *Rule) error {
	ns := r.pair.Srv
	if rule.Side == "client" {
		ns = r.pair.Cli
	}
	if rule.Table == "" {
		rule.Table = "filter"
	}
	if err := runNS(r.ctx, ns, rule.binary(), rule.spec("-A")...); err != nil {
		return fmt.Errorf("add rule %s: %w", rule.Label, err)
	}
	rule.Added = time.Now()
	r.rules = append(r.rules, rule)
	r.Step("%s rule %s: %s -A %s %s", rule.Side, rule.Label, rule.binary(), rule.Chain, strings.Join(rule.Args, " "))
	return nil
}

// DelRule removes a rule added by AddRule.
func (r *Run) DelRule(rule *Rule) error {
	ns := r.pair.Srv
	if rule.Side == "client" {
		ns = r.pair.Cli
	}
	if err := runNS(r.ctx, ns, rule.binary(), rule.spec("-D")...); err != nil {
		return fmt.Errorf("delete rule %s: %w", rule.Label, err)
	}
	rule.Removed = time.Now()
	r.Step("%s rule %s removed", rule.Side, rule.Label)
	return nil
}

// Sysctl sets key=value in the server ("server") or client namespace.
func (r *Run) Sysctl(side string, kv ...string) error {
	ns := r.pair.Srv
	if side == "client" {
		ns = r.pair.Cli
	}
	r.Step("%s sysctl %s", side, strings.Join(kv, " "))
	return r.pair.sysctl(r.ctx, ns, kv...)
}

// StopCapture ends the capture now (a capture stopped early); the
// snapshots still run to the end.
func (r *Run) StopCapture() {
	r.capture.stop()
	r.capStop = time.Now()
	r.Step("capture stopped")
}

// WaitSynRecv waits until at least n requests are in SYN_RECV on port.
func (r *Run) WaitSynRecv(port, n int, timeout time.Duration) (int, error) {
	return r.waitQueue(timeout, n, fmt.Sprintf("SYN_RECV on :%d", port), func(s QueueSample) int { return s.SynRecv[port] })
}

// WaitAcceptQ waits until the server's accept queue holds at least n.
func (r *Run) WaitAcceptQ(s *Server, n int, timeout time.Duration) (int, error) {
	return r.waitQueue(timeout, n, "accept queue of "+s.Spec.Name, func(q QueueSample) int { return q.AcceptQ[s.Inode] })
}

func (r *Run) waitQueue(timeout time.Duration, n int, what string, get func(QueueSample) int) (int, error) {
	deadline := time.Now().Add(timeout)
	last := 0
	for {
		var q QueueSample
		var err error
		r.srvT.do(func() { q, err = readQueues() })
		if err != nil {
			return 0, err
		}
		last = get(q)
		if last >= n {
			r.Step("%s reached %d", what, last)
			return last, nil
		}
		if time.Now().After(deadline) {
			r.Step("WARNING: %s stayed at %d (< %d)", what, last, n)
			return last, fmt.Errorf("%s stayed at %d, wanted %d within %s", what, last, n, timeout)
		}
		if err := r.Sleep(20 * time.Millisecond); err != nil {
			return last, err
		}
	}
}

// sample runs the queue sampler until ctx ends.
func (r *Run) sample(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		var q QueueSample
		var err error
		r.srvT.do(func() { q, err = readQueues() })
		if err == nil {
			r.qmu.Lock()
			r.samples = append(r.samples, q)
			r.qmu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Execute runs a scenario in a fresh namespace pair and writes its bundle
// into dir (created; existing files with the same names are replaced).
func (l *Lab) Execute(ctx context.Context, sc *Scenario, dir string, verbose func(string)) (res *Result, err error) {
	if err := requireTools(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bundle dir: %w", err)
	}
	work, err := os.MkdirTemp("", "hol-lab-")
	if err != nil {
		return nil, fmt.Errorf("work dir: %w", err)
	}
	defer os.RemoveAll(work)
	pair, err := newPair(ctx, int(l.seq.Add(1)), sc.Net)
	if err != nil {
		return nil, err
	}
	defer pair.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &Run{ctx: ctx, sc: sc, pair: pair, dir: dir, work: work, log: &labLog{}, verbose: verbose}
	defer r.teardown()
	if err := r.prepare(); err != nil {
		return nil, err
	}
	if err := r.start(); err != nil {
		return nil, err
	}
	sctx, stopSampling := context.WithCancel(ctx)
	sampled := make(chan struct{})
	go func() { defer close(sampled); r.sample(sctx, 50*time.Millisecond) }()
	scriptErr := sc.Script(r)
	r.groups.Wait()
	stopSampling()
	<-sampled
	if scriptErr != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Name, scriptErr)
	}
	if err := r.finish(); err != nil {
		return nil, err
	}
	rec := r.record(scriptErr)
	if err := rec.save(filepath.Join(dir, labFile)); err != nil {
		return nil, err
	}
	return Derive(dir)
}

// prepare applies sysctls and starts the per-namespace threads.
func (r *Run) prepare() error {
	if len(r.sc.ServerSysctls) > 0 {
		if err := r.pair.sysctl(r.ctx, r.pair.Srv, r.sc.ServerSysctls...); err != nil {
			return err
		}
	}
	if len(r.sc.ClientSysctls) > 0 {
		if err := r.pair.sysctl(r.ctx, r.pair.Cli, r.sc.ClientSysctls...); err != nil {
			return err
		}
	}
	var err error
	if r.srvT, err = startNSThread(r.pair.Srv); err != nil {
		return err
	}
	r.cliT, err = startNSThread(r.pair.Cli)
	return err
}

func (r *Run) captureNS() (ns, iface string) {
	ns, veth, ifc := r.pair.Srv, r.pair.SrvVeth, r.pair.SrvIf
	if r.sc.Capture.Side == "client" {
		ns, veth, ifc = r.pair.Cli, r.pair.CliVeth, r.pair.CliIf
	}
	switch r.sc.Capture.Iface {
	case "any":
		return ns, "any"
	case "if":
		return ns, ifc
	}
	return ns, veth
}

// start begins the capture, the ss series and the "before" snapshots.
func (r *Run) start() error {
	ns, iface := r.captureNS()
	var err error
	if r.capture, err = startTcpdump(r.ctx, ns, iface, filepath.Join(r.dir, "capture.pcap")); err != nil {
		return err
	}
	r.capStart = time.Now()
	if err := dumpSysctl(r.ctx, r.pair.Srv, filepath.Join(r.dir, "sysctl.txt")); err != nil {
		return err
	}
	uname, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return fmt.Errorf("kernel release: %w", err)
	}
	if err := os.WriteFile(filepath.Join(r.dir, "uname.txt"), uname, 0o644); err != nil {
		return err
	}
	names := r.nstatNames()
	if err := writeNstat(r.ctx, r.pair.Srv, filepath.Join(r.dir, names[0]), filepath.Join(r.work, "nstat.hist")); err != nil {
		return err
	}
	if err := r.Phase("start"); err != nil {
		return err
	}
	ss, err := startSSLoop(r.pair.Srv, filepath.Join(r.dir, "ss.txt"), filepath.Join(r.work, "stop-ss"))
	if err != nil {
		return err
	}
	r.ss = ss
	return nil
}

func (r *Run) nstatNames() [2]string {
	if r.sc.NstatNames[0] != "" {
		return r.sc.NstatNames
	}
	return [2]string{"nstat-1-before.txt", "nstat-2-after.txt"}
}

// finish takes the "after" snapshots and stops the capture.
func (r *Run) finish() error {
	if err := r.Phase("end"); err != nil {
		return err
	}
	names := r.nstatNames()
	if err := writeNstat(r.ctx, r.pair.Srv, filepath.Join(r.dir, names[1]), filepath.Join(r.work, "nstat.hist")); err != nil {
		return err
	}
	r.ss.end()
	r.ss = nil
	if r.capStop.IsZero() {
		time.Sleep(300 * time.Millisecond) // let the last packets reach the file
		r.capture.stop()
		r.capStop = time.Now()
	}
	if len(r.rules) > 0 {
		if err := dumpIptables(r.ctx, r.pair.Srv, filepath.Join(r.dir, "iptables.txt")); err != nil {
			return err
		}
	}
	return nil
}

// teardown stops everything the run started; safe after a failure.
func (r *Run) teardown() {
	r.ss.end()
	r.capture.stop()
	for _, s := range r.servers {
		s.shutdown()
	}
	if r.raw != nil {
		r.raw.close()
	}
	if r.srvT != nil {
		r.srvT.stop()
	}
	if r.cliT != nil {
		r.cliT.stop()
	}
}

// record assembles what the run observed, for lab.json.
func (r *Run) record(scriptErr error) *Record {
	r.log.mu.Lock()
	defer r.log.mu.Unlock()
	rec := &Record{
		Scenario:     *r.sc,
		Pair:         r.pair,
		CaptureStart: r.capStart,
		CaptureStop:  r.capStop,
		Phases:       r.phases,
		Rules:        r.rules,
		Clients:      append([]ClientRecord{}, r.log.Clients...),
		Accepts:      append([]AcceptRecord{}, r.log.Accepts...),
		Listeners:    append([]ListenerEvent{}, r.log.Listeners...),
		Raw:          append([]RawRecord{}, r.log.Raw...),
		Steps:        append([]Step{}, r.log.Steps...),
		Queues:       compressSamples(r.samples),
	}
	for _, s := range r.servers {
		rec.Servers = append(rec.Servers, s.Spec)
		rec.Inodes = append(rec.Inodes, s.Inode)
	}
	if scriptErr != nil {
		rec.ScriptError = scriptErr.Error()
	}
	sort.Slice(rec.Clients, func(i, j int) bool { return rec.Clients[i].Start.Before(rec.Clients[j].Start) })
	return rec
}

// addr is a small helper for scripts: ip:port.
func addr(ip netip.Addr, port int) netip.AddrPort { return netip.AddrPortFrom(ip, uint16(port)) }
