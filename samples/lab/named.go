//go:build linux

package lab

import (
	"fmt"
	"net/netip"
	"sort"
	"time"
)

// Extra client addresses the named scenarios use.
var (
	floodV4 = netip.MustParseAddr("10.77.0.3") // a real client whose SYN-ACKs the client namespace drops
	freshV4 = netip.MustParseAddr("10.77.0.4") // a peer the server never saw
	blockV4 = netip.MustParseAddr("10.77.0.5") // a source a firewall rule blocks
	lossyV4 = netip.MustParseAddr("10.77.0.6") // a source with random loss
)

// script wraps a Run for the named scenarios: the first fatal error stops
// every later call; waits that miss are warnings (recorded as steps).
type script struct {
	r   *Run
	err error
}

func (s *script) ok() bool { return s.err == nil && s.r.ctx.Err() == nil }

func (s *script) phase(name string) {
	if s.ok() {
		s.err = s.r.Phase(name)
	}
}

func (s *script) sleep(d time.Duration) {
	if s.ok() {
		s.err = s.r.Sleep(d)
	}
}

func (s *script) listen(spec ListenSpec) *Server {
	if !s.ok() {
		return nil
	}
	srv, err := s.r.Listen(spec)
	s.err = err
	return srv
}

func (s *script) clients(spec ConnSpec) *Group {
	if !s.ok() {
		g := &Group{done: make(chan struct{})}
		close(g.done)
		return g
	}
	return s.r.Clients(spec)
}

func (s *script) rule(r *Rule) *Rule {
	if s.ok() {
		s.err = s.r.AddRule(r)
	}
	return r
}

func (s *script) unrule(r *Rule) {
	if s.ok() {
		s.err = s.r.DelRule(r)
	}
}

func (s *script) gate(srv *Server, accepting bool, n int) {
	if s.ok() && srv != nil {
		s.r.Gate(srv, accepting, n)
	}
}

func (s *script) raw(kind string, syns []RawSYN, stagger time.Duration) {
	if s.ok() {
		s.err = s.r.SendRaw(kind, syns, stagger)
	}
}

// waitAcceptQ / waitSynRecv: a miss is a warning, the run goes on.
func (s *script) waitAcceptQ(srv *Server, n int) {
	if s.ok() && srv != nil {
		_, _ = s.r.WaitAcceptQ(srv, n, 15*time.Second)
	}
}

func (s *script) waitSynRecv(port, n int) {
	if s.ok() {
		_, _ = s.r.WaitSynRecv(port, n, 15*time.Second)
	}
}

// namedScenario builds a scenario; the script gets a script helper.
func namedScenario(name, about string, sysctls []string, net NetSpec, body func(s *script)) *Scenario {
	return &Scenario{Name: name, About: about, ServerSysctls: sysctls, Net: net, Script: func(r *Run) error {
		s := &script{r: r}
		body(s)
		if s.err == nil {
			s.err = r.ctx.Err()
		}
		return s.err
	}}
}

// Named returns the named scenario, or an error listing the known names.
func Named(name string) (*Scenario, error) {
	all := namedScenarios()
	if mk, ok := all[name]; ok {
		return mk(), nil
	}
	return nil, fmt.Errorf("unknown scenario %q (known: %v)", name, NamedList())
}

// NamedList is every named scenario, sorted.
func NamedList() []string {
	var out []string
	for n := range namedScenarios() {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func namedScenarios() map[string]func() *Scenario {
	return map[string]func() *Scenario{
		"healthy":                  healthy,
		"accept-queue-full-syn":    func() *Scenario { return acceptQueueFullSyn("accept-queue-full-syn", serverV4, clientV4, "") },
		"ipv6-accept-queue-full":   func() *Scenario { return acceptQueueFullSyn("ipv6-accept-queue-full", serverV6, clientV6, "") },
		"client-side-capture":      func() *Scenario { return acceptQueueFullSyn("client-side-capture", serverV4, clientV4, "client") },
		"nstat-order":              nstatOrder,
		"capture-ends-early":       captureEndsEarly,
		"accept-queue-full-ack":    func() *Scenario { return acceptQueueFullAck("accept-queue-full-ack", 0) },
		"accept-queue-full-rst":    func() *Scenario { return acceptQueueFullAck("accept-queue-full-rst", 1) },
		"syn-queue-full-nocookies": func() *Scenario { return synQueueFull("syn-queue-full-nocookies", 0) },
		"syn-queue-full-cookies":   func() *Scenario { return synQueueFull("syn-queue-full-cookies", 1) },
		"last-quarter":             lastQuarter,
		"timewait-paws":            timewaitPAWS,
		"firewall-drop":            firewallDrop,
		"mixed-listeners":          mixedListeners,
		"server-closes-first":      serverClosesFirst,
		"dropped-then-reset":       droppedThenReset,
		"cookie-ack-dropped":       cookieAckDropped,
		"syncookies-served":        syncookiesServed,
		"spoofed-syn-flood":        spoofedSynFlood,
		"port-scan":                portScan,
		"defer-accept":             deferAccept,
		"pre-tcp-drop-partial":     preTCPDropPartial,
		"duplicated-frames":        duplicatedFrames,
		"listener-restart":         listenerRestart,
	}
}

const request = "GET /"

func healthy() *Scenario {
	return namedScenario("healthy", `Baseline: nothing goes wrong. A listener on 10.77.0.1:8080 (listen backlog 128) accepts at once and
answers every request with `+"`OK`"+`; the client (10.77.0.2) opens 20 connections one after the other
(100 ms apart), sends `+"`GET /`"+`, reads the answer and closes (the client sends the first FIN).`, nil, NetSpec{}, func(s *script) {
		s.listen(ListenSpec{Name: "app", Addr: addr(serverV4, 8080), Backlog: 128, Accepting: true, Reply: true})
		s.clients(ConnSpec{Group: "c", From: clientV4, To: addr(serverV4, 8080), N: 20, Stagger: 100 * time.Millisecond, Send: request, ReadTimeout: 3 * time.Second}).Wait()
		s.sleep(time.Second)
	})
}

// acceptQueueFullSyn: B04 — SYNs dropped while the accept queue is full.
func acceptQueueFullSyn(name string, srvIP, cliIP netip.Addr, side string) *Scenario {
	about := `B04 (accept queue full at SYN time). The listener uses listen backlog **2**, so its accept queue holds 3
connections (full when Recv-Q > Send-Q); the application does not call accept() at first.

1. Ports 40000–40002 connect (200 ms apart): the handshakes complete and fill the accept queue.
2. Once the accept queue holds 3, ports 40100–40103 connect with a 3.5 s connect timeout: every SYN (first and
   retransmits at +1, +2, +3 s — linear SYN timeouts of 6.x) is dropped (tcp_conn_request: accept queue
   full ⇒ ListenOverflows++, ListenDrops++, drop); the application gives up after 3.5 s.
3. 0.5 s later ports 40200–40202 connect with TCP_SYNCNT 8: dropped the same way until the application
   starts accepting (after group 2 gave up); the next SYN retransmission gets a SYN-ACK.

Phases: full (only ListenOverflows/ListenDrops move) → accepting.`
	if side == "client" {
		about += `

The capture is taken in the **client** namespace (vantage client): it shows the client's SYNs and the
server's answers as the client saw them.`
	}
	if srvIP.Is6() {
		about = "IPv6 variant. " + about
	}
	sc := namedScenario(name, about, nil, NetSpec{}, func(s *script) {
		to := addr(srvIP, 8080)
		app := s.listen(ListenSpec{Name: "app", Addr: to, Backlog: 2, Reply: true})
		fill := s.clients(ConnSpec{Group: "fill", From: cliIP, FromPort: 40000, To: to, N: 3, Parallel: true, Stagger: 200 * time.Millisecond, Send: request, ReadTimeout: 25 * time.Second})
		s.waitAcceptQ(app, 3)
		s.phase("accept-queue-full")
		giveup := s.clients(ConnSpec{Group: "giveup", From: cliIP, FromPort: 40100, To: to, N: 4, Parallel: true, Stagger: 200 * time.Millisecond, Timeout: 3500 * time.Millisecond, Send: request})
		s.sleep(500 * time.Millisecond)
		retry := s.clients(ConnSpec{Group: "retry", From: cliIP, FromPort: 40200, To: to, N: 3, Parallel: true, Stagger: 200 * time.Millisecond, SynRetries: 8, Send: request, ReadTimeout: 10 * time.Second})
		giveup.Wait()
		s.sleep(500 * time.Millisecond)
		s.phase("accepting")
		s.gate(app, true, 0)
		fill.Wait()
		retry.Wait()
		s.sleep(time.Second)
	})
	sc.Capture.Side = side
	return sc
}

func nstatOrder() *Scenario {
	sc := acceptQueueFullSyn("nstat-order", serverV4, clientV4, "")
	sc.NstatNames = [2]string{"nstat-before.txt", "nstat-after.txt"}
	sc.About = "The counter files are named `nstat-before.txt` and `nstat-after.txt`: sorted by name, \"after\" comes first. A reader must order them by their `# <unix time>` headers (or by content), not by name.\n\n" + sc.About
	return sc
}

func captureEndsEarly() *Scenario {
	return namedScenario("capture-ends-early", `The capture stops while the accept queue is overflowing: the SYNs dropped after that are in the
counters (nstat after, ss) but not in the capture. Listener backlog 2, app not accepting; ports
40000–40002 fill the accept queue, ports 40100–40105 connect with a 4.5 s connect timeout and are dropped; the
capture stops 1.5 s after they started, the drops go on for 3.5 s more.`, nil, NetSpec{}, func(s *script) {
		to := addr(serverV4, 8080)
		app := s.listen(ListenSpec{Name: "app", Addr: to, Backlog: 2, Reply: true})
		fill := s.clients(ConnSpec{Group: "fill", From: clientV4, FromPort: 40000, To: to, N: 3, Parallel: true, Stagger: 100 * time.Millisecond, Send: request, ReadTimeout: 12 * time.Second})
		s.waitAcceptQ(app, 3)
		s.phase("accept-queue-full")
		giveup := s.clients(ConnSpec{Group: "dropped", From: clientV4, FromPort: 40100, To: to, N: 6, Parallel: true, Stagger: 100 * time.Millisecond, Timeout: 4500 * time.Millisecond, Send: request})
		s.sleep(1500 * time.Millisecond)
		if s.ok() {
			s.r.StopCapture()
		}
		s.phase("capture-stopped")
		giveup.Wait()
		s.phase("accepting")
		s.gate(app, true, 0)
		fill.Wait()
	})
}

// holdRule drops everything but the SYN of client ports lo..hi in the
// client namespace (the final ACK and data are held back).
func holdRule(label string, from netip.Addr, lo, hi int, to netip.AddrPort) *Rule {
	return &Rule{Label: label, Side: "client", Family: family(from), Chain: "OUTPUT", Drops: "ack",
		Sources: []string{from.String()}, Ports: [2]int{lo, hi},
		Args: []string{"-p", "tcp", "-s", from.String(), "--sport", fmt.Sprintf("%d:%d", lo, hi), "-d", to.Addr().String(), "--dport", fmt.Sprint(to.Port()), "!", "--syn", "-j", "DROP"}}
}

func family(a netip.Addr) int {
	if a.Is4() {
		return 4
	}
	return 6
}

// acceptQueueFullAck: B07 (abort=0) / B08 (abort=1).
func acceptQueueFullAck(name string, abort int) *Scenario {
	about := `B07 (accept queue full when the handshake's final ACK arrives, ` + "`tcp_abort_on_overflow=0`" + `).
Listen backlog **4** (accept queue holds 5), application not accepting, ` + "`tcp_synack_retries=3`" + ` so an ignored
request expires inside the run. On 6.x a SYN is dropped as soon as the accept queue is full (B04), so
the SYN must pass while there is room and the ACK arrive when there is none: a client-side rule holds
back everything but the SYN of ports 41000–41002 until ports 41100–41104 have filled the accept queue.
Then each ACK/data segment of 41000–41002 is dropped (ListenOverflows++) and the server retransmits its
SYN-ACKs. The app then accepts 2 connections (two held ports complete on their next retransmission),
later all.`
	if abort == 1 {
		about = `B08 (accept queue full at the final ACK with ` + "`tcp_abort_on_overflow=1`" + `). Same construction as
accept-queue-full-ack: the first held-back segment of each of ports 41000–41002 that reaches the server
finds the accept queue full and is answered with a RST (EmbryonicRsts++, ListenOverflows++).`
	}
	return namedScenario(name, about, []string{fmt.Sprintf("net.ipv4.tcp_abort_on_overflow=%d", abort), "net.ipv4.tcp_synack_retries=3"}, NetSpec{}, func(s *script) {
		to := addr(serverV4, 8080)
		app := s.listen(ListenSpec{Name: "app", Addr: to, Backlog: 4, Reply: true})
		hold := s.rule(holdRule("hold-ack", clientV4, 41000, 41002, to))
		held := s.clients(ConnSpec{Group: "held", From: clientV4, FromPort: 41000, To: to, N: 3, Parallel: true, Stagger: 100 * time.Millisecond, Timeout: 5 * time.Second, Send: request, ReadTimeout: 40 * time.Second})
		s.waitSynRecv(8080, 3)
		fill := s.clients(ConnSpec{Group: "fill", From: clientV4, FromPort: 41100, To: to, N: 5, Parallel: true, Stagger: 20 * time.Millisecond, Send: request, ReadTimeout: 40 * time.Second})
		s.waitAcceptQ(app, 5)
		s.phase("accept-queue-full")
		s.unrule(hold)
		if abort == 1 {
			held.Wait()
			s.phase("accepting")
			s.gate(app, true, 0)
			fill.Wait()
			return
		}
		s.sleep(4500 * time.Millisecond)
		s.gate(app, false, 2)
		s.sleep(15 * time.Second)
		s.phase("accepting")
		s.gate(app, true, 0)
		held.Wait()
		fill.Wait()
		s.sleep(time.Second)
	})
}

// synackDropRule drops the server's SYN-ACKs to a client address in the
// client namespace: that client's handshakes stay half-open on the server.
func synackDropRule(label string, client netip.Addr, port int) *Rule {
	return &Rule{Label: label, Side: "client", Family: family(client), Chain: "INPUT", Drops: "synack", Sources: []string{client.String()},
		Args: []string{"-d", client.String(), "-p", "tcp", "--sport", fmt.Sprint(port), "-j", "DROP"}}
}

func synQueueFull(name string, cookies int) *Scenario {
	about := `B01 (SYN queue full, syncookies off). Listen backlog **8**, ` + "`tcp_syncookies=0`" + `; on 6.13+ the SYN queue
is full when qlen > backlog, i.e. it holds 9 requests. 10.77.0.3 opens 9 connections whose SYN-ACKs the
client namespace drops (they stay in SYN_RECV on the server). Then 10.77.0.2 ports 40100–40103
(3.5 s connect timeout) are dropped silently (TCPReqQFullDrop); ports 40200–40202 (TCP_SYNCNT 8) get through
after the flood gave up and its requests were reset.`
	if cookies == 1 {
		about = `B02 (SYN queue full, syncookies on). The same 9 half-open handshakes from 10.77.0.3 (listen backlog 8)
with ` + "`tcp_syncookies=1`" + `: 10.77.0.2 ports 40100–40104 are answered with cookie SYN-ACKs (SyncookiesSent),
their ACKs validated (SyncookiesRecv) and they connect normally.`
	}
	return namedScenario(name, about, []string{fmt.Sprintf("net.ipv4.tcp_syncookies=%d", cookies)}, NetSpec{ClientAddrs: []netip.Addr{floodV4}}, func(s *script) {
		to := addr(serverV4, 8080)
		s.listen(ListenSpec{Name: "app", Addr: to, Backlog: 8, Accepting: true, Reply: true})
		drop := s.rule(synackDropRule("drop-synack-to-flood", floodV4, 8080))
		flood := s.clients(ConnSpec{Group: "half-open", From: floodV4, FromPort: 50000, To: to, N: 9, Parallel: true, Stagger: 20 * time.Millisecond, Timeout: 8 * time.Second})
		s.waitSynRecv(8080, 9)
		s.phase("syn-queue-full")
		if cookies == 1 {
			s.clients(ConnSpec{Group: "legit", From: clientV4, FromPort: 40100, To: to, N: 5, Stagger: 200 * time.Millisecond, Timeout: 3500 * time.Millisecond, Send: request}).Wait()
			flood.Wait()
			s.unrule(drop)
			s.phase("flood-gone")
			s.sleep(3 * time.Second)
			return
		}
		giveup := s.clients(ConnSpec{Group: "giveup", From: clientV4, FromPort: 40100, To: to, N: 4, Parallel: true, Stagger: 100 * time.Millisecond, Timeout: 3500 * time.Millisecond, Send: request})
		s.sleep(500 * time.Millisecond)
		retry := s.clients(ConnSpec{Group: "retry", From: clientV4, FromPort: 40200, To: to, N: 3, Parallel: true, Stagger: 100 * time.Millisecond, SynRetries: 8, Send: request})
		flood.Wait()
		giveup.Wait()
		s.unrule(drop)
		s.phase("flood-gone")
		retry.Wait()
		s.sleep(time.Second)
	})
}

func lastQuarter() *Scenario {
	return namedScenario("last-quarter", `B05 (the "last quarter" rule, syncookies off). `+"`tcp_syncookies=0`, `tcp_max_syn_backlog`"+` M = **16**,
listen backlog **20** (the SYN queue itself never fills). tcp_conn_request drops a SYN from an *unproven*
peer when M − qlen < M/4, i.e. once 13 requests are pending; a peer is proven (4.12+) when tcp_metrics
holds an RTT for it. 10.77.0.2 completes one connection first (proven); 10.77.0.3 opens 13 half-open
handshakes (SYN-ACKs dropped in the client namespace); the fresh peer 10.77.0.4 is dropped (ListenDrops
only), the proven 10.77.0.2 is served.`, []string{"net.ipv4.tcp_syncookies=0", "net.ipv4.tcp_max_syn_backlog=16"},
		NetSpec{ClientAddrs: []netip.Addr{floodV4, freshV4}}, func(s *script) {
			to := addr(serverV4, 8080)
			s.listen(ListenSpec{Name: "app", Addr: to, Backlog: 20, Accepting: true, Reply: true})
			s.clients(ConnSpec{Group: "prove", From: clientV4, To: to, N: 1, Send: request}).Wait()
			s.sleep(500 * time.Millisecond)
			drop := s.rule(synackDropRule("drop-synack-to-flood", floodV4, 8080))
			flood := s.clients(ConnSpec{Group: "half-open", From: floodV4, FromPort: 50000, To: to, N: 13, Parallel: true, Stagger: 20 * time.Millisecond, Timeout: 8 * time.Second})
			s.waitSynRecv(8080, 13)
			s.phase("last-quarter")
			fresh := s.clients(ConnSpec{Group: "fresh", From: freshV4, FromPort: 40100, To: to, N: 3, Parallel: true, Stagger: 100 * time.Millisecond, Timeout: 3500 * time.Millisecond, Send: request})
			s.sleep(200 * time.Millisecond)
			s.clients(ConnSpec{Group: "proven", From: clientV4, FromPort: 40200, To: to, N: 3, Stagger: 300 * time.Millisecond, Timeout: 3500 * time.Millisecond, Send: request}).Wait()
			fresh.Wait()
			flood.Wait()
			s.unrule(drop)
			s.phase("flood-gone")
			s.sleep(3 * time.Second)
		})
}

func timewaitPAWS() *Scenario {
	return namedScenario("timewait-paws", `B09 (SYN to a TIME-WAIT socket rejected by PAWS). The listener answers `+"`OK`"+` and then **closes first**
(the server keeps the TIME-WAIT socket). 10.77.0.2:45000 connects and is closed by the server; a SYN on
the same 4-tuple with an **older** TSval (the client's last TSval − 100000, ISN 1000000) is built by
hand and sent through a raw socket: PAWS reject ⇒ PAWSTimewait++ and a bare ACK; the client kernel
answers it with RST, which kills the TIME-WAIT socket; a real connect() from the same port then
succeeds. Port 45001: immediate reuse with a newer TSval is accepted by the TIME-WAIT socket.`, nil, NetSpec{}, func(s *script) {
		to := addr(serverV4, 8080)
		s.listen(ListenSpec{Name: "app", Addr: to, Backlog: 128, Accepting: true, Reply: true, ServerCloses: true})
		s.clients(ConnSpec{Group: "first", From: clientV4, FromPort: 45000, To: to, N: 1, Send: request, AwaitEOF: true, TSval: true}).Wait()
		s.sleep(500 * time.Millisecond)
		s.phase("timewait")
		if s.ok() {
			var ts uint32
			s.r.log.mu.Lock()
			for _, c := range s.r.log.Clients {
				if c.Group == "first" {
					ts = c.TSval
				}
			}
			s.r.log.mu.Unlock()
			s.raw("crafted", []RawSYN{{From: addr(clientV4, 45000), To: to, ISN: 1000000, TSval: ts - 100000}}, 0)
		}
		s.sleep(500 * time.Millisecond)
		s.phase("after-paws")
		s.clients(ConnSpec{Group: "again", From: clientV4, FromPort: 45000, To: to, N: 1, Send: request, AwaitEOF: true}).Wait()
		s.clients(ConnSpec{Group: "first2", From: clientV4, FromPort: 45001, To: to, N: 1, Send: request, AwaitEOF: true}).Wait()
		s.sleep(500 * time.Millisecond)
		s.clients(ConnSpec{Group: "reuse2", From: clientV4, FromPort: 45001, To: to, N: 1, Send: request, AwaitEOF: true}).Wait()
		s.sleep(time.Second)
	})
}

func firewallDrop() *Scenario {
	return namedScenario("firewall-drop", `B19 (netfilter drop). The listener is healthy, but the server namespace has `+"`iptables -A INPUT -p tcp --dport 8080 --syn -j DROP`"+`:
the SYNs (and retransmits) are in the capture (the AF_PACKET tap runs before netfilter), get no answer,
and no TCP counter moves; only the rule's packet counter counts them.`, nil, NetSpec{}, func(s *script) {
		to := addr(serverV4, 8080)
		s.listen(ListenSpec{Name: "app", Addr: to, Backlog: 128, Accepting: true, Reply: true})
		s.rule(&Rule{Label: "drop-syn", Side: "server", Family: 4, Chain: "INPUT", Drops: "syn", Args: []string{"-p", "tcp", "--dport", "8080", "--syn", "-j", "DROP"}})
		s.phase("firewall")
		s.clients(ConnSpec{Group: "c", From: clientV4, FromPort: 40100, To: to, N: 5, Parallel: true, Stagger: 100 * time.Millisecond, Timeout: 3500 * time.Millisecond, Send: request}).Wait()
		s.sleep(time.Second)
	})
}

func mixedListeners() *Scenario {
	return namedScenario("mixed-listeners", `Three ports in one capture: :8080 accept queue full (listen backlog 2, app not accepting until the end:
SYNs dropped), :8081 healthy, :8082 closed (nothing listens: RST).`, nil, NetSpec{}, func(s *script) {
		full := s.listen(ListenSpec{Name: "full", Addr: addr(serverV4, 8080), Backlog: 2, Reply: true})
		s.listen(ListenSpec{Name: "ok", Addr: addr(serverV4, 8081), Backlog: 128, Accepting: true, Reply: true})
		fill := s.clients(ConnSpec{Group: "fill", From: clientV4, FromPort: 40000, To: addr(serverV4, 8080), N: 3, Parallel: true, Stagger: 100 * time.Millisecond, Send: request, ReadTimeout: 15 * time.Second})
		s.waitAcceptQ(full, 3)
		s.phase("accept-queue-full")
		giveup := s.clients(ConnSpec{Group: "giveup", From: clientV4, FromPort: 40100, To: addr(serverV4, 8080), N: 3, Parallel: true, Stagger: 200 * time.Millisecond, Timeout: 3500 * time.Millisecond, Send: request})
		s.clients(ConnSpec{Group: "healthy", From: clientV4, FromPort: 40300, To: addr(serverV4, 8081), N: 5, Stagger: 200 * time.Millisecond, Send: request}).Wait()
		s.clients(ConnSpec{Group: "closed", From: clientV4, FromPort: 40400, To: addr(serverV4, 8082), N: 3, Stagger: 200 * time.Millisecond, Timeout: 3500 * time.Millisecond}).Wait()
		giveup.Wait()
		s.phase("accepting")
		s.gate(full, true, 0)
		fill.Wait()
		s.sleep(time.Second)
	})
}

func serverClosesFirst() *Scenario {
	return namedScenario("server-closes-first", `A healthy server that closes first. :8080 accepts and at once closes the connection without sending
anything (FIN without data); the client writes its request 1 s later and gets the normal RST (the
socket is gone on the server). :8081 answers the request and then closes first; the client writes a
second time and also meets a RST. Every handshake is fine: nothing should be blamed.`, nil, NetSpec{}, func(s *script) {
		s.listen(ListenSpec{Name: "fin-no-data", Addr: addr(serverV4, 8080), Backlog: 128, Accepting: true, ServerCloses: true})
		s.listen(ListenSpec{Name: "reply-then-fin", Addr: addr(serverV4, 8081), Backlog: 128, Accepting: true, Reply: true, ServerCloses: true})
		a := s.clients(ConnSpec{Group: "late-write", From: clientV4, FromPort: 40000, To: addr(serverV4, 8080), N: 5, Parallel: true, Stagger: 200 * time.Millisecond, Send: request, SendDelay: time.Second, ReadTimeout: 3 * time.Second})
		b := s.clients(ConnSpec{Group: "reply", From: clientV4, FromPort: 40100, To: addr(serverV4, 8081), N: 5, Parallel: true, Stagger: 200 * time.Millisecond, Send: request, ReadTimeout: 3 * time.Second, Hold: time.Second})
		a.Wait()
		b.Wait()
		s.sleep(time.Second)
	})
}

func droppedThenReset() *Scenario {
	return namedScenario("dropped-then-reset", `SYNs dropped, then refused. Listen backlog 1 (accept queue holds 2), the app never accepts: ports
40000–40001 fill the accept queue; ports 40100–40102 (TCP_SYNCNT 8) are dropped silently (accept queue
full, ListenOverflows) for ~3.5 s; then the application exits (listening socket closed: the queued
connections are reset) and the next SYN retransmission of each is answered by RST (ECONNREFUSED).`, nil, NetSpec{}, func(s *script) {
		to := addr(serverV4, 8080)
		app := s.listen(ListenSpec{Name: "app", Addr: to, Backlog: 1, Reply: true})
		fill := s.clients(ConnSpec{Group: "fill", From: clientV4, FromPort: 40000, To: to, N: 2, Parallel: true, Stagger: 100 * time.Millisecond, Send: request, ReadTimeout: 10 * time.Second})
		s.waitAcceptQ(app, 2)
		s.phase("accept-queue-full")
		dropped := s.clients(ConnSpec{Group: "dropped", From: clientV4, FromPort: 40100, To: to, N: 3, Parallel: true, Stagger: 100 * time.Millisecond, SynRetries: 8, Send: request})
		s.sleep(3500 * time.Millisecond)
		s.phase("listener-closed")
		if s.ok() {
			s.r.CloseListener(app)
		}
		dropped.Wait()
		fill.Wait()
		s.sleep(time.Second)
	})
}

func cookieAckDropped() *Scenario {
	return namedScenario("cookie-ack-dropped", "`tcp_syncookies=2` (every SYN answered by a cookie, no request stored), listen backlog 1 (accept queue holds 2), app\n"+`never accepts. A client-side rule holds back everything but the SYN of ports 42000–42002: they get
cookie SYN-ACKs while the accept queue has room. Ports 42100–42101 then complete and fill the accept
queue. When the rule is removed the held ACK/data of 42000–42002 is a valid cookie, but
tcp_get_cookie_sock finds the accept queue full: ListenOverflows++, the segment is dropped. A cookie
SYN-ACK is never retransmitted; the client's data retransmissions are never acknowledged. Never
established on the server.`, []string{"net.ipv4.tcp_syncookies=2"}, NetSpec{}, func(s *script) {
		to := addr(serverV4, 8080)
		app := s.listen(ListenSpec{Name: "app", Addr: to, Backlog: 1, Reply: true})
		hold := s.rule(holdRule("hold-ack", clientV4, 42000, 42002, to))
		held := s.clients(ConnSpec{Group: "held", From: clientV4, FromPort: 42000, To: to, N: 3, Parallel: true, Stagger: 100 * time.Millisecond, Timeout: 5 * time.Second, Send: request, ReadTimeout: 9 * time.Second, Abort: true})
		s.sleep(600 * time.Millisecond)
		fill := s.clients(ConnSpec{Group: "fill", From: clientV4, FromPort: 42100, To: to, N: 2, Parallel: true, Stagger: 50 * time.Millisecond, Send: request, ReadTimeout: 11 * time.Second, Abort: true})
		s.waitAcceptQ(app, 2)
		s.phase("accept-queue-full")
		s.unrule(hold)
		held.Wait()
		fill.Wait()
		s.phase("clients-gone")
		s.sleep(time.Second)
	})
}

// spoofedSYNs are n SYNs from n spoofed sources to ap.
func spoofedSYNs(n int, to netip.AddrPort) []RawSYN {
	out := make([]RawSYN, n)
	for i := range out {
		out[i] = RawSYN{From: addr(spoofSource(i), 30000+i), To: to}
	}
	return out
}

func syncookiesServed() *Scenario {
	return namedScenario("syncookies-served", `B02 with a real flood: 300 spoofed sources (10.99.0.0/16, raw SYNs from the client namespace; the
server routes them back to the client namespace, which owns none of them, so nobody answers the
SYN-ACKs) fill the SYN queue of a listener with backlog 16 (`+"`tcp_syncookies=1`"+`). Five real clients
from 10.77.0.2 then connect one after the other: answered by cookie SYN-ACKs and served.`, []string{"net.ipv4.tcp_syncookies=1"}, NetSpec{Spoof: true}, func(s *script) {
		to := addr(serverV4, 8080)
		s.listen(ListenSpec{Name: "app", Addr: to, Backlog: 16, Accepting: true, Reply: true})
		s.phase("flood")
		s.raw("flood", spoofedSYNs(300, to), 2*time.Millisecond)
		s.waitSynRecv(8080, 17)
		s.phase("syn-queue-full")
		s.clients(ConnSpec{Group: "real", From: clientV4, FromPort: 40100, To: to, N: 5, Stagger: 300 * time.Millisecond, Timeout: 3500 * time.Millisecond, Send: request}).Wait()
		s.sleep(3 * time.Second)
	})
}

func spoofedSynFlood() *Scenario {
	return namedScenario("spoofed-syn-flood", `A spoofed SYN flood the server absorbs: 300 sources in 10.99.0.0/16, one raw SYN each (nobody answers
the SYN-ACKs: the client namespace does not own those addresses). Listen backlog 1024 and the default
tcp_max_syn_backlog, `+"`tcp_syncookies=0`"+`: the 300 requests fit, the SYN-ACKs are retransmitted (1, 3 s…)
and never acknowledged. Four real clients connect meanwhile and are served.`, []string{"net.ipv4.tcp_syncookies=0"}, NetSpec{Spoof: true}, func(s *script) {
		to := addr(serverV4, 8080)
		s.listen(ListenSpec{Name: "app", Addr: to, Backlog: 1024, Accepting: true, Reply: true})
		s.phase("flood")
		s.raw("flood", spoofedSYNs(300, to), 3*time.Millisecond)
		s.clients(ConnSpec{Group: "real", From: clientV4, FromPort: 40100, To: to, N: 4, Stagger: 500 * time.Millisecond, Timeout: 3500 * time.Millisecond, Send: request}).Wait()
		s.sleep(3 * time.Second)
	})
}

func portScan() *Scenario {
	return namedScenario("port-scan", `A half-open port scan: 10.77.0.2 sends one raw SYN to each of ports 8000–8039 of the server (like
`+"`nmap -sS`"+`). Only :8010 listens: it answers SYN-ACK, which the client kernel resets (no socket); every
closed port answers RST. Three real clients use :8010 normally. Expected: a scan, not 39 failing
listeners.`, nil, NetSpec{}, func(s *script) {
		s.listen(ListenSpec{Name: "app", Addr: addr(serverV4, 8010), Backlog: 128, Accepting: true, Reply: true})
		real := s.clients(ConnSpec{Group: "real", From: clientV4, FromPort: 40100, To: addr(serverV4, 8010), N: 3, Stagger: 700 * time.Millisecond, Send: request})
		var syns []RawSYN
		for p := 8000; p < 8040; p++ {
			syns = append(syns, RawSYN{From: addr(clientV4, 55000), To: addr(serverV4, p)})
		}
		s.raw("scan", syns, 20*time.Millisecond)
		real.Wait()
		s.sleep(time.Second)
	})
}

func deferAccept() *Scenario {
	return namedScenario("defer-accept", `B12 (TCP_DEFER_ACCEPT). The listener sets TCP_DEFER_ACCEPT 10 s. Clients connect and send their
request only 4 s later: the bare handshake ACK is dropped (TCPDeferAcceptDrop++) and the request kept
(no SYN-ACK retransmits during the defer period); the data then completes the handshake and is
answered. Not an overflow (no ListenOverflows).`, nil, NetSpec{}, func(s *script) {
		to := addr(serverV4, 8080)
		s.listen(ListenSpec{Name: "app", Addr: to, Backlog: 128, DeferAccept: 10, Accepting: true, Reply: true})
		s.clients(ConnSpec{Group: "late-request", From: clientV4, FromPort: 40100, To: to, N: 4, Parallel: true, Stagger: 300 * time.Millisecond, Send: request, SendDelay: 4 * time.Second}).Wait()
		s.sleep(time.Second)
	})
}

func preTCPDropPartial() *Scenario {
	return namedScenario("pre-tcp-drop-partial", `B19 for some sources only, queues nowhere near full. The server namespace drops SYNs from 10.77.0.5
(`+"`iptables -A INPUT -s 10.77.0.5 -p tcp --syn -j DROP`"+`) and half of all packets from 10.77.0.6
(`+"`-m statistic --mode random --probability 0.5`"+`); 10.77.0.2 connects in the same seconds and is
answered at once.`, nil, NetSpec{ClientAddrs: []netip.Addr{blockV4, lossyV4}}, func(s *script) {
		to := addr(serverV4, 8080)
		s.listen(ListenSpec{Name: "app", Addr: to, Backlog: 128, Accepting: true, Reply: true})
		s.rule(&Rule{Label: "block-10.77.0.5", Side: "server", Family: 4, Chain: "INPUT", Drops: "syn", Sources: []string{blockV4.String()},
			Args: []string{"-s", blockV4.String(), "-p", "tcp", "--syn", "-j", "DROP"}})
		s.rule(&Rule{Label: "loss-10.77.0.6", Side: "server", Family: 4, Chain: "INPUT", Drops: "all", Random: true, Sources: []string{lossyV4.String()},
			Args: []string{"-s", lossyV4.String(), "-p", "tcp", "-m", "statistic", "--mode", "random", "--probability", "0.5", "-j", "DROP"}})
		s.phase("firewall")
		a := s.clients(ConnSpec{Group: "blocked", From: blockV4, FromPort: 40100, To: to, N: 3, Parallel: true, Stagger: 300 * time.Millisecond, Timeout: 3500 * time.Millisecond, Send: request})
		b := s.clients(ConnSpec{Group: "lossy", From: lossyV4, FromPort: 40200, To: to, N: 6, Parallel: true, Stagger: 200 * time.Millisecond, Timeout: 4500 * time.Millisecond, Send: request, ReadTimeout: 8 * time.Second})
		c := s.clients(ConnSpec{Group: "fine", From: clientV4, FromPort: 40300, To: to, N: 6, Parallel: true, Stagger: 250 * time.Millisecond, Send: request})
		a.Wait()
		b.Wait()
		c.Wait()
		s.sleep(time.Second)
	})
}

func duplicatedFrames() *Scenario {
	sc := namedScenario("duplicated-frames", `A healthy server on a container-style host: the server's veth is a port of a bridge that holds the
server's addresses, and the capture is taken with `+"`tcpdump -i any`"+` (SLL2). Every frame is seen twice:
once on the veth and once on the bridge. Ten healthy connections.`, nil, NetSpec{Bridge: true}, func(s *script) {
		to := addr(serverV4, 8080)
		s.listen(ListenSpec{Name: "app", Addr: to, Backlog: 128, Accepting: true, Reply: true})
		s.clients(ConnSpec{Group: "c", From: clientV4, FromPort: 40100, To: to, N: 10, Stagger: 150 * time.Millisecond, Send: request}).Wait()
		s.sleep(time.Second)
	})
	sc.Capture.Iface = "any"
	return sc
}

func listenerRestart() *Scenario {
	return namedScenario("listener-restart", `The application restarts: its listening socket on :8080 is closed 2.5 s into a steady stream of
connects (one every 250 ms) and opened again 1.5 s later. The connects in between get RST
(ECONNREFUSED); the others are served.`, nil, NetSpec{}, func(s *script) {
		spec := ListenSpec{Name: "app", Addr: addr(serverV4, 8080), Backlog: 128, Accepting: true, Reply: true}
		app := s.listen(spec)
		g := s.clients(ConnSpec{Group: "steady", From: clientV4, FromPort: 40100, To: spec.Addr, N: 24, Stagger: 250 * time.Millisecond, Parallel: true, Timeout: 2500 * time.Millisecond, Send: request})
		s.sleep(2500 * time.Millisecond)
		s.phase("listener-closed")
		if s.ok() {
			s.r.CloseListener(app)
		}
		s.sleep(1500 * time.Millisecond)
		spec.Name = "app-restarted"
		s.listen(spec)
		s.phase("listener-reopened")
		g.Wait()
		s.sleep(time.Second)
	})
}
