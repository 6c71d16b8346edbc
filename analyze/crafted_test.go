package analyze

// Crafted scenarios for kernels this machine cannot run (2.6.18, 2.6.32,
// 3.10). The captures and snapshots are SYNTHETIC: written by these tests
// with flowstest from the kernel behaviour described in
// docs/kernel-branches.md and docs/kernel-eras.md, not recorded from a real kernel.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halfopen/halfopen/analyze/kernel"
	"github.com/halfopen/halfopen/flows"
	"github.com/halfopen/halfopen/flows/flowstest"
)

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// bundle writes a capture and snapshot files into a temporary bundle
// directory and analyses it.
func bundle(t *testing.T, c *flowstest.Capture, files map[string]string) *Report {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "capture.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WritePcap(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in, err := LoadBundle(dir, SnapshotFiles{})
	if err != nil {
		t.Fatal(err)
	}
	return Run([]Input{in}, Options{List: ListFailed})
}

func listener(t *testing.T, r *Report, server string) *Listener {
	t.Helper()
	for i := range r.Listeners {
		if r.Listeners[i].Server == server {
			return &r.Listeners[i]
		}
	}
	t.Fatalf("no listener %s in report", server)
	return nil
}

func verdict(l *Listener, branch string) *Verdict {
	for i := range l.Verdicts {
		if l.Verdicts[i].Branch == branch {
			return &l.Verdicts[i]
		}
	}
	return nil
}

func sysctlText(kv map[string]string) string {
	var b strings.Builder
	for k, v := range kv {
		fmt.Fprintf(&b, "%s = %s\n", k, v)
	}
	return b.String()
}

func client(i int) string { return fmt.Sprintf("192.0.2.%d:%d", 10+i%200, 40000+i) }

// netstatS writes a net-tools "netstat -s" snippet with the given TcpExt lines.
func netstatS(unix int64, overflows, drops int) string {
	return fmt.Sprintf(`# %d
Tcp:
    1200 active connections openings
    900 passive connection openings
    3 failed connection attempts
TcpExt:
    %d times the listen queue of a socket overflowed
    %d SYNs to LISTEN sockets dropped
    11 packets pruned from receive queue because of socket buffer overrun
`, unix, overflows, drops)
}

// TestCrafted2618AcceptQueueYoungRule is the incident halfopen was born
// from: RHEL5 (2.6.18), nginx with backlog 511 but somaxconn 128, so the
// accept queue holds 129. The application stalls; new SYNs are dropped
// while at least two requests are young (young > 1), the first two of a
// burst are answered and their ACKs then meet the full queue. On 2.6.18 a
// SYN dropped at the listener moves no counter; ACK drops do.
func TestCrafted2618AcceptQueueYoungRule(t *testing.T) {
	c := &flowstest.Capture{Link: flowstest.Ethernet}
	server := "10.0.0.1:80"
	// 129 connections complete and send a request the stalled app never reads.
	for i := range 129 {
		k := c.Conn(t0.Add(time.Duration(i)*5*time.Millisecond), client(i), server, uint32(1000+i*7919))
		k.SYN(0).SYNACK(flowstest.Ms(0.2)).ACK(flowstest.Ms(0.4)).Data(flowstest.Ms(0.5), 300).ServerAck(flowstest.Ms(0.6))
	}
	burst := t0.Add(2 * time.Second)
	// The first two SYNs of a burst are answered (young ≤ 1), their ACKs dropped:
	// SYN-ACK retransmits at +3 s and +9 s (3 s RTO on 2.6.18).
	for i := range 2 {
		k := c.Conn(burst.Add(time.Duration(i)*time.Millisecond), client(200+i), server, uint32(5000+i))
		k.SYN(0).SYNACK(flowstest.Ms(0.2)).ACK(flowstest.Ms(0.4)).Data(flowstest.Ms(0.5), 200)
		k.SYNACK(flowstest.Sec(3)).ACK(flowstest.Sec(3.0005)).SYNACK(flowstest.Sec(9)).ACK(flowstest.Sec(9.0005))
	}
	// 18 more SYNs dropped; clients retransmit at +3 s, +9 s.
	for i := range 18 {
		k := c.Conn(burst.Add(time.Duration(i+2)*time.Millisecond), client(300+i), server, uint32(9000+i))
		k.SYN(0).SYN(flowstest.Sec(3)).SYN(flowstest.Sec(9))
	}
	// Something far later so the tracker sees time pass.
	c.Conn(t0.Add(40*time.Second), "198.51.100.1:5000", "10.0.0.1:22", 1).SYN(0).SYNACK(flowstest.Ms(1)).ACK(flowstest.Ms(2))
	unix := burst.Unix()
	netstatSeries := fmt.Sprintf("# %d.5\nActive Internet connections (only servers)\nProto Recv-Q Send-Q Local Address               Foreign Address             State\ntcp      129      0 0.0.0.0:80                  0.0.0.0:*                   LISTEN\n", unix)
	r := bundle(t, c, map[string]string{
		"sysctl.txt": sysctlText(map[string]string{"kernel.osrelease": "2.6.18-419.el5", "net.core.somaxconn": "128",
			"net.ipv4.tcp_max_syn_backlog": "1024", "net.ipv4.tcp_syncookies": "1", "net.ipv4.tcp_abort_on_overflow": "0",
			"net.ipv4.tcp_tw_recycle": "0"}),
		"ss.txt":             netstatSeries,
		"nstat-1-before.txt": netstatS(unix-60, 40, 40),
		"nstat-2-after.txt":  netstatS(unix+60, 46, 46),
	})
	if k := r.Captures[0].Kernel; k == nil || k.Era != kernel.Era2618 || k.Assumed {
		t.Fatalf("kernel = %+v, want era 2.6.18 from sysctl", k)
	}
	l := listener(t, r, server)
	if l.Outcomes["unanswered"] != 18 || l.Outcomes["ack_ignored"] != 2 {
		t.Fatalf("outcomes = %v, want 18 unanswered and 2 ack_ignored", l.Outcomes)
	}
	if len(l.Verdicts) == 0 || l.Verdicts[0].Branch != kernel.AcceptQueueFullSyn {
		t.Fatalf("top verdict = %+v, want accept_queue_full_syn", l.Verdicts)
	}
	top := l.Verdicts[0]
	if top.Attempts != 18 || top.Confidence < 0.7 {
		t.Errorf("top verdict attempts %d confidence %.2f, want 18 and ≥ 0.7", top.Attempts, top.Confidence)
	}
	wantEvidence(t, top.Evidence, "somaxconn 128", "young > 1", "moves no counter")
	if len(top.Fix) == 0 || !strings.Contains(top.Fix[0].Action, "somaxconn") {
		t.Errorf("first fix = %+v, want raising somaxconn first", top.Fix)
	}
	if !strings.Contains(fixText(top.Fix), "Restart") {
		t.Errorf("fix does not say to restart the application: %s", fixText(top.Fix))
	}
	ack := verdict(l, kernel.AcceptQueueFullAck)
	if ack == nil || ack.Attempts != 2 {
		t.Fatalf("want an accept_queue_full_ack verdict for 2 attempts, got %+v", l.Verdicts)
	}
	wantEvidence(t, ack.Evidence, "ListenOverflows +6")
	if !strings.Contains(r.Headline, "accept queue full") {
		t.Errorf("headline %q does not lead with the accept queue", r.Headline)
	}
	if got := l.ServerSchedules[string(ScheduleExp3s)]; got != 2 {
		t.Errorf("server SYN-ACK schedules = %v, want exp-3s for the 2 ignored ACKs", l.ServerSchedules)
	}
}

// TestCrafted2632TwRecyclePAWSBehindNAT: RHEL6 with tcp_tw_recycle=1. Two
// hosts behind one NAT address with different timestamp clocks talk to a
// server that closes connections first (HTTP keepalive off). The server
// remembers the NAT address's last TSval for 60 s; the second host's SYNs
// carry older TSvals and are dropped (PAWSPassive).
func TestCrafted2632TwRecyclePAWSBehindNAT(t *testing.T) {
	c := pawsBehindNAT()
	server := "10.0.0.1:80"
	nstat := func(unix int64, pp int) string {
		return fmt.Sprintf("# %d\n#kernel\nTcpExtSyncookiesSent 0 0.0\nTcpExtPAWSPassive %d 0.0\nTcpExtPAWSActive 0 0.0\nTcpExtListenOverflows 0 0.0\nTcpExtListenDrops 0 0.0\n", unix, pp)
	}
	r := bundle(t, c, map[string]string{
		"sysctl.txt": sysctlText(map[string]string{"kernel.osrelease": "2.6.32-754.el6.x86_64", "net.ipv4.tcp_tw_recycle": "1",
			"net.ipv4.tcp_timestamps": "1", "net.ipv4.tcp_syncookies": "1", "net.core.somaxconn": "128"}),
		"nstat-1-before.txt": nstat(t0.Unix()-30, 3),
		"nstat-2-after.txt":  nstat(t0.Unix()+60, 19),
	})
	l := listener(t, r, server)
	if l.Outcomes["unanswered"] != 4 {
		t.Fatalf("outcomes = %v, want 4 unanswered", l.Outcomes)
	}
	v := l.Verdicts[0]
	if v.Branch != kernel.PAWSPassive || v.Attempts != 4 || v.Confidence < 0.8 {
		t.Fatalf("top verdict = %s ×%d (%.2f), want paws_passive ×4 ≥ 0.8", v.Branch, v.Attempts, v.Confidence)
	}
	wantEvidence(t, v.Evidence, "tcp_tw_recycle = 1", "PAWSPassive +16", "older")
	if !strings.Contains(fixText(v.Fix), "tcp_tw_recycle=0") {
		t.Errorf("fix does not switch tcp_tw_recycle off: %s", fixText(v.Fix))
	}
}

// pawsBehindNAT is the capture of TestCrafted2632TwRecyclePAWSBehindNAT:
// SYNs from one NAT address whose TSvals go backwards after the server
// closed a connection from that address first.
func pawsBehindNAT() *flowstest.Capture {
	c := &flowstest.Capture{Link: flowstest.Ethernet}
	const server = "10.0.0.1:80"
	nat := "203.0.113.7"
	for i := range 5 { // host A: high TSvals, served, server closes first
		k := c.Conn(t0.Add(time.Duration(i)*200*time.Millisecond), fmt.Sprintf("%s:%d", nat, 30000+i), server, uint32(100+i))
		k.TS, k.ClientTS = true, 900_000_000
		k.SYN(0).SYNACK(flowstest.Ms(1)).ACK(flowstest.Ms(2)).Data(flowstest.Ms(3), 200).ServerData(flowstest.Ms(5), 1000)
		k.ServerFIN(flowstest.Ms(6)).ClientFIN(flowstest.Ms(7)).ACK(flowstest.Ms(8))
	}
	for i := range 4 { // host B behind the same NAT: low TSvals, rejected
		k := c.Conn(t0.Add(2*time.Second+time.Duration(i)*100*time.Millisecond), fmt.Sprintf("%s:%d", nat, 31000+i), server, uint32(700+i))
		k.TS, k.ClientTS = true, 10_000
		k.SYN(0).SYN(flowstest.Sec(1)).SYN(flowstest.Sec(3)).SYN(flowstest.Sec(7))
	}
	for i := range 3 { // other clients are fine
		k := c.Conn(t0.Add(3*time.Second+time.Duration(i)*time.Millisecond), client(i), server, uint32(50+i))
		k.TS = true
		k.SYN(0).SYNACK(flowstest.Ms(1)).ACK(flowstest.Ms(2))
	}
	c.Conn(t0.Add(40*time.Second), "198.51.100.1:5000", "10.0.0.1:22", 1).SYN(0).SYNACK(flowstest.Ms(1)).ACK(flowstest.Ms(2))
	return c
}

// TestEraGhosts: the TSval regressions of pawsBehindNAT on a server
// whose kernel has no tcp_tw_recycle (4.12+, or no snapshot at all, where
// the newest era is assumed) never become paws_passive.
func TestEraGhosts(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"6.18 uname":   {"uname.txt": "6.18.44\n"},
		"no snapshots": {},
	} {
		t.Run(name, func(t *testing.T) {
			r := bundle(t, pawsBehindNAT(), files)
			l := listener(t, r, "10.0.0.1:80")
			if l.Outcomes["unanswered"] != 4 {
				t.Fatalf("outcomes = %v, want 4 unanswered", l.Outcomes)
			}
			for _, v := range l.Verdicts {
				if v.Branch == kernel.PAWSPassive {
					t.Errorf("verdict paws_passive on %s", r.Captures[0].Kernel.Name)
				}
			}
			for _, a := range r.Attempts {
				if a.Branch != nil && *a.Branch == kernel.PAWSPassive {
					t.Errorf("attempt %s blamed on paws_passive", a.Client)
				}
			}
		})
	}
}

// TestCrafted310LastQuarterDropsEveryone: RHEL7 (3.10) with syncookies
// off, tcp_max_syn_backlog 256 and a listen backlog of 128: the SYN queue
// holds roundup_pow_of_two(129) = 256, but once more than 256 − 64 = 192
// requests are pending, every new SYN is dropped — a client that
// completed a connection a second ago included, because with
// tcp_tw_recycle=0 no peer counts as proven before 4.12.
func TestCrafted310LastQuarterDropsEveryone(t *testing.T) {
	c := &flowstest.Capture{Link: flowstest.Ethernet}
	server := "10.0.0.1:443"
	known := c.Conn(t0, "198.51.100.20:50000", server, 42)
	known.SYN(0).SYNACK(flowstest.Ms(1)).ACK(flowstest.Ms(2)).Data(flowstest.Ms(3), 100).ServerData(flowstest.Ms(4), 100)
	known.ClientFIN(flowstest.Ms(5)).ServerFIN(flowstest.Ms(6)).ACK(flowstest.Ms(7))
	flood := t0.Add(time.Second)
	for i := range 200 { // spoofed SYNs: answered, never completed
		k := c.Conn(flood.Add(time.Duration(i)*time.Millisecond), fmt.Sprintf("100.64.%d.%d:%d", i/200, i%200+1, 1024+i), server, uint32(i*104729))
		k.SYN(0).SYNACK(flowstest.Ms(0.1))
	}
	later := flood.Add(500 * time.Millisecond)
	k := c.Conn(later, "198.51.100.20:50001", server, 4242) // the known peer
	k.SYN(0).SYN(flowstest.Sec(1)).SYN(flowstest.Sec(3))
	for i := range 5 { // fresh peers
		k := c.Conn(later.Add(time.Duration(i+1)*time.Millisecond), client(i), server, uint32(777+i))
		k.SYN(0).SYN(flowstest.Sec(1)).SYN(flowstest.Sec(3))
	}
	c.Conn(t0.Add(40*time.Second), "198.51.100.1:5000", "10.0.0.1:22", 1).SYN(0).SYNACK(flowstest.Ms(1)).ACK(flowstest.Ms(2))
	nstat := func(unix int64, ld int) string {
		return fmt.Sprintf("# %d\n#kernel\nTcpExtSyncookiesSent 0 0.0\nTcpExtPAWSActive 0 0.0\nTcpExtPAWSPassive 0 0.0\nTcpExtListenOverflows 0 0.0\nTcpExtListenDrops %d 0.0\nTcpExtTCPReqQFullDrop 0 0.0\nTcpExtTCPReqQFullDoCookies 0 0.0\n", unix, ld)
	}
	ss := fmt.Sprintf("# %d\nState      Recv-Q Send-Q Local Address:Port  Peer Address:Port\nLISTEN     0      128          *:443              *:*\n", later.Unix())
	r := bundle(t, c, map[string]string{
		"sysctl.txt": sysctlText(map[string]string{"kernel.osrelease": "3.10.0-1160.el7.x86_64", "net.ipv4.tcp_syncookies": "0",
			"net.ipv4.tcp_max_syn_backlog": "256", "net.core.somaxconn": "128", "net.ipv4.tcp_tw_recycle": "0"}),
		"ss.txt":             ss,
		"nstat-1-before.txt": nstat(t0.Unix()-10, 0),
		"nstat-2-after.txt":  nstat(t0.Unix()+60, 18),
	})
	l := listener(t, r, server)
	if l.Outcomes["unanswered"] != 6 {
		t.Fatalf("outcomes = %v, want 6 unanswered (the known peer and 5 fresh ones)", l.Outcomes)
	}
	v := l.Verdicts[0]
	if v.Branch != kernel.LastQuarter || v.Attempts != 6 || v.Confidence < 0.75 {
		t.Fatalf("top verdict = %s ×%d (%.2f), want last_quarter ×6 ≥ 0.75; all: %+v", v.Branch, v.Attempts, v.Confidence, l.Verdicts)
	}
	wantEvidence(t, v.Evidence, "ListenDrops +18", "192")
	if l.Limits == nil || l.Limits.SynQueueCapacity == nil || *l.Limits.SynQueueCapacity != 256 {
		t.Errorf("SYN queue capacity = %v, want 256 (3.10: roundup_pow_of_two(min(128,256)+1))", l.Limits)
	}
	if !strings.Contains(fixText(v.Fix), "tcp_syncookies=1") {
		t.Errorf("fix does not enable syncookies: %s", fixText(v.Fix))
	}
}

func wantEvidence(t *testing.T, evs []Evidence, wants ...string) {
	t.Helper()
	var all []string
	for _, e := range evs {
		all = append(all, e.Text)
	}
	joined := strings.Join(all, "\n")
	for _, w := range wants {
		if !strings.Contains(joined, w) {
			t.Errorf("evidence lacks %q:\n%s", w, joined)
		}
	}
}

func fixText(fs []Fix) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.Action + " " + f.Command + "\n")
	}
	return b.String()
}

var _ = flows.None

// TestCraftedDroppedThenReset: a listener fills its accept queue (three
// connections never served), drops SYNs for 3 s, then closes (RSTs) and
// is started again. The dropped-then-reset attempts carry the branch of
// their drops, never closed_port, and the listener says it closed.
func TestCraftedDroppedThenReset(t *testing.T) {
	c := &flowstest.Capture{Link: flowstest.Ethernet}
	const server = "10.0.0.1:8080"
	for i := range 3 { // fill the accept queue: completed, never served
		c.Conn(t0.Add(time.Duration(i)*10*time.Millisecond), client(i), server, uint32(100+i)).
			SYN(0).SYNACK(flowstest.Ms(0.1)).ACK(flowstest.Ms(0.2))
	}
	for i := 3; i < 7; i++ { // dropped, then the listener is gone
		c.Conn(t0.Add(time.Second+time.Duration(i)*10*time.Millisecond), client(i), server, uint32(100+i)).
			SYN(0).SYN(flowstest.Sec(1)).SYN(flowstest.Sec(2)).SYN(flowstest.Sec(3)).ServerRST(flowstest.Sec(3.0001))
	}
	for i := 7; i < 9; i++ { // after the restart
		c.Conn(t0.Add(6*time.Second+time.Duration(i)*10*time.Millisecond), client(i), server, uint32(100+i)).
			SYN(0).SYNACK(flowstest.Ms(0.1)).ACK(flowstest.Ms(0.2)).ServerData(flowstest.Ms(1), 10)
	}
	r := bundle(t, c, map[string]string{"uname.txt": "6.18.44\n"})
	l := listener(t, r, server)
	if l.Outcomes["unanswered_then_reset"] != 4 || l.Outcomes["reset"] != 0 {
		t.Fatalf("outcomes %v, want 4 unanswered_then_reset", l.Outcomes)
	}
	for _, v := range l.Verdicts {
		if v.Branch == kernel.ClosedPort {
			t.Errorf("verdict closed_port for SYNs that were dropped before the listener closed")
		}
	}
	if l.Closed == nil || l.Closed.Resets != 4 || l.Closed.AnsweringAgain == nil {
		t.Fatalf("closed = %+v, want 4 resets and answering again", l.Closed)
	}
	if want := t0.Add(time.Second + 30*time.Millisecond + 3*time.Second + 100*time.Microsecond).Format(time.RFC3339Nano); l.Closed.At != want {
		t.Errorf("closed at %s, want %s", l.Closed.At, want)
	}
}

// vantageCapture builds the same incident seen from either end: clients
// with a 10 ms round trip to a server whose listener drops some SYNs.
// On the server the SYN-ACK follows the SYN within 30 µs and the ACK
// comes a round trip later; on the client it is the other way round.
func vantageCapture(onClient bool) *flowstest.Capture {
	c := &flowstest.Capture{Link: flowstest.Ethernet}
	const server = "10.0.0.1:8080"
	rtt, local := flowstest.Ms(10), flowstest.Ms(0.03)
	d1, d2 := local, rtt
	if onClient {
		d1, d2 = rtt, local
	}
	for i := range 6 {
		c.Conn(t0.Add(time.Duration(i)*100*time.Millisecond), client(i), server, uint32(100+i)).
			SYN(0).SYNACK(d1).ACK(d1+d2).Data(d1+d2+flowstest.Ms(1), 10).ServerAck(d1 + d2 + flowstest.Ms(1) + d1 + d2)
	}
	for i := 6; i < 9; i++ {
		c.Conn(t0.Add(time.Second+time.Duration(i)*10*time.Millisecond), client(i), server, uint32(100+i)).
			SYN(0).SYN(flowstest.Sec(1)).SYN(flowstest.Sec(2)).SYN(flowstest.Sec(3))
	}
	return c
}

// TestVantage: where the capture was taken is told from who answers
// locally; a client-side capture alone never blames a server branch for
// SYNs nobody answered.
func TestVantage(t *testing.T) {
	for _, onClient := range []bool{false, true} {
		r := bundle(t, vantageCapture(onClient), nil)
		want := VantageServer
		if onClient {
			want = VantageClient
		}
		if got := r.Captures[0].Vantage; got != want {
			t.Errorf("vantage %s (%s), want %s", got, r.Captures[0].VantageWhy, want)
		}
		l := listener(t, r, "10.0.0.1:8080")
		if l.Outcomes["unanswered"] != 3 {
			t.Fatalf("outcomes %v", l.Outcomes)
		}
		if !onClient {
			continue
		}
		for _, v := range l.Verdicts {
			if silentServerDrop(v.Branch) {
				t.Errorf("client-side capture blamed on %s", v.Branch)
			}
		}
		if !strings.Contains(strings.Join(r.Captures[0].Warnings, " "), "client side") {
			t.Errorf("no client-side warning: %q", r.Captures[0].Warnings)
		}
	}
}

// TestVantageFromLinkDirection: in a Linux cooked capture (tcpdump -i
// any) the packet direction decides, even where timing cannot (a
// round trip as short as the host's own answer, as over a veth pair).
func TestVantageFromLinkDirection(t *testing.T) {
	for _, onClient := range []bool{false, true} {
		c := &flowstest.Capture{Link: flowstest.SLL2}
		for i := range 4 {
			c.Conn(t0.Add(time.Duration(i)*100*time.Millisecond), client(i), "10.0.0.1:8080", uint32(100+i)).
				SYN(0).SYNACK(flowstest.Ms(0.02)).ACK(flowstest.Ms(0.04))
		}
		for i := range c.Packets {
			fromServer := c.Packets[i].Src.Port() == 8080
			c.Packets[i].Outgoing = fromServer != onClient
		}
		r := bundle(t, c, nil)
		want := VantageServer
		if onClient {
			want = VantageClient
		}
		if got := r.Captures[0].Vantage; got != want {
			t.Errorf("vantage %s (%s), want %s", got, r.Captures[0].VantageWhy, want)
		}
	}
}

// spoofedSYN adds a flood tool's SYN (no options but MSS, no retransmit)
// from src, optionally answered by the server.
func spoofedSYN(c *flowstest.Capture, at time.Time, src, server string, isn uint32, answered bool) {
	k := c.Conn(at, src, server, isn)
	c.Add(flowstest.Packet{Time: at, Src: k.Client, Dst: k.Server, Flags: flows.FlagSYN, Seq: isn, MSS: 1460, WScale: -1, TTL: 50})
	if answered {
		k.SYNACK(flowstest.Ms(0.05))
	}
}

// TestFloodAndScan: a spoofed SYN flood and a port scan (synthetic) are
// reported as such and kept out of the real clients' failures; real
// outages that resemble them are not hidden.
func TestFloodAndScan(t *testing.T) {
	const server = "10.0.0.1:443"
	realClients := func(c *flowstest.Capture) {
		for i := range 5 {
			c.Conn(t0.Add(time.Duration(i)*time.Second), client(i), server, uint32(10+i)).
				SYN(0).SYNACK(flowstest.Ms(0.05)).ACK(flowstest.Ms(5)).Data(flowstest.Ms(6), 50).ServerAck(flowstest.Ms(11))
		}
	}
	t.Run("flood", func(t *testing.T) {
		c := &flowstest.Capture{Link: flowstest.Ethernet}
		realClients(c)
		for i := range 200 {
			spoofedSYN(c, t0.Add(time.Duration(i)*20*time.Millisecond), fmt.Sprintf("198.18.%d.%d:%d", i/250, 1+i%250, 1024+i), server, uint32(5000+i), i < 50)
		}
		c.Conn(t0.Add(30*time.Second), client(9), "10.0.0.1:22", 1).SYN(0).SYNACK(flowstest.Ms(1)).ACK(flowstest.Ms(2))
		r := bundle(t, c, nil)
		l := listener(t, r, server)
		if l.Flood == nil || l.Flood.Attempts != 200 || l.Flood.Sources != 200 || l.Flood.Outcomes["synack_unacked"] != 50 {
			t.Fatalf("flood = %+v, want 200 attempts from 200 sources, 50 answered", l.Flood)
		}
		if l.Failed != 0 || l.Attempts != 5 || r.Totals.FailingListeners != 0 || r.Totals.FloodAttempts != 200 {
			t.Errorf("listener %d of %d failed, failing listeners %d, flood attempts %d; want the flood kept apart", l.Failed, l.Attempts, r.Totals.FailingListeners, r.Totals.FloodAttempts)
		}
		if l.FailureRateAll < 0.9 {
			t.Errorf("all-inclusive failure rate %.2f", l.FailureRateAll)
		}
	})
	t.Run("scan", func(t *testing.T) {
		c := &flowstest.Capture{Link: flowstest.Ethernet}
		realClients(c)
		for p := range 100 {
			k := c.Conn(t0.Add(time.Duration(p)*time.Millisecond), fmt.Sprintf("203.0.113.66:%d", 33000), fmt.Sprintf("10.0.0.1:%d", 1000+p), uint32(9000+p))
			k.SYN(0).ServerRST(flowstest.Ms(0.05))
		}
		k := c.Conn(t0.Add(200*time.Millisecond), "203.0.113.66:33000", server, 99999)
		k.SYN(0).SYNACK(flowstest.Ms(0.05)).ClientRST(flowstest.Ms(0.1), 100000)
		r := bundle(t, c, nil)
		sc := r.Captures[0].Scans
		if len(sc) != 1 || sc[0].Source != "203.0.113.66" || sc[0].Ports != 101 || sc[0].Open != 1 || sc[0].Attempts != 101 {
			t.Fatalf("scans %+v, want one from 203.0.113.66 over 101 ports, 1 open", sc)
		}
		if r.Totals.Listeners != 1 || r.Totals.FailingListeners != 0 || r.Totals.ScanAttempts != 101 {
			t.Errorf("%d listeners (%d failing), %d scan attempts; want the scanned ports kept out", r.Totals.Listeners, r.Totals.FailingListeners, r.Totals.ScanAttempts)
		}
	})
	t.Run("outage-not-a-flood", func(t *testing.T) {
		for _, retries := range []int{0, 3} {
			c := &flowstest.Capture{Link: flowstest.Ethernet}
			realClients(c)
			for i := range 40 {
				k := c.Conn(t0.Add(10*time.Second+time.Duration(i)*50*time.Millisecond), fmt.Sprintf("192.0.2.%d:%d", 100+i, 45000+i), server, uint32(700+i))
				k.SYN(0)
				for r := 1; r <= retries; r++ {
					k.SYN(flowstest.Sec(float64(int(1) << (r - 1))))
				}
			}
			c.Conn(t0.Add(30*time.Second), client(9), "10.0.0.1:22", 1).SYN(0).SYNACK(flowstest.Ms(1)).ACK(flowstest.Ms(2))
			r := bundle(t, c, nil)
			l := listener(t, r, server)
			if l.Flood != nil || l.Failed != 40 {
				t.Errorf("retries %d: flood %+v, failed %d; 40 real clients with a modern SYN (SACK) failed", retries, l.Flood, l.Failed)
			}
		}
	})
}

// TestCapturesTogether: two captures read in one run are one incident
// only when their times overlap; the same traffic captured twice is
// counted once.
func TestCapturesTogether(t *testing.T) {
	write := func(c *flowstest.Capture) string {
		f, err := os.CreateTemp(t.TempDir(), "*.pcap")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := c.WritePcap(f); err != nil {
			t.Fatal(err)
		}
		return f.Name()
	}
	incident := func(base time.Time, failing bool, isn uint32) string {
		c := &flowstest.Capture{Link: flowstest.Ethernet}
		for i := range 10 {
			k := c.Conn(base.Add(time.Duration(i)*100*time.Millisecond), client(i), "10.0.0.1:80", isn+uint32(i))
			if failing && i%2 == 0 {
				k.SYN(0).SYN(flowstest.Sec(1)).SYN(flowstest.Sec(3))
				continue
			}
			k.SYN(0).SYNACK(flowstest.Ms(0.1)).ACK(flowstest.Ms(2))
		}
		return write(c)
	}
	t.Run("unrelated", func(t *testing.T) {
		a, b := incident(t0, true, 100), incident(t0.Add(24*time.Hour), false, 500)
		r := Run([]Input{{Path: a}, {Path: b}}, Options{})
		if len(r.Listeners) != 2 {
			t.Fatalf("%d listeners, want the two captures' 10.0.0.1:80 kept apart", len(r.Listeners))
		}
		if r.Listeners[0].FailureRate != 0.5 || r.Listeners[1].FailureRate != 0 {
			t.Errorf("failure rates %.2f and %.2f, want 0.50 and 0", r.Listeners[0].FailureRate, r.Listeners[1].FailureRate)
		}
		if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "2 separate times") {
			t.Errorf("notes %q", r.Notes)
		}
	})
	t.Run("same-traffic-twice", func(t *testing.T) {
		a := incident(t0, true, 100)
		r := Run([]Input{{Path: a}, {Path: a}}, Options{})
		if len(r.Listeners) != 1 || r.Listeners[0].Attempts != 10 || r.Listeners[0].Failed != 5 {
			t.Fatalf("listeners %d, attempts %d, failed %d; want one listener with 10 attempts counted once", len(r.Listeners), r.Listeners[0].Attempts, r.Listeners[0].Failed)
		}
		if !strings.Contains(strings.Join(r.Notes, " "), "counted once") {
			t.Errorf("notes %q", r.Notes)
		}
	})
	t.Run("one-incident-two-halves", func(t *testing.T) {
		a, b := incident(t0, true, 100), incident(t0.Add(500*time.Millisecond), false, 9000)
		r := Run([]Input{{Path: a}, {Path: b}}, Options{})
		if len(r.Listeners) != 1 || r.Listeners[0].Attempts != 20 {
			t.Fatalf("%d listeners, want one with 20 attempts", len(r.Listeners))
		}
	})
}
