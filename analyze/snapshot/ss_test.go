package snapshot

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func parseSSFile(t *testing.T, rel string) *SSSeries {
	t.Helper()
	s, err := ParseSS(bytes.NewReader(readTestdata(t, rel)), rel)
	if err != nil {
		t.Fatal(err)
	}
	if s.Source != rel {
		t.Errorf("Source = %q", s.Source)
	}
	return s
}

// wantListener is the expected state of a listener of the real capture (testdata/real/capture.sh).
type wantListener struct {
	local        string
	addr         string // "" = wildcard
	port         uint16
	recvQ, sendQ int
}

// realListeners are the 10 listeners capture.sh opened, as `ss -ltn` printed them: Send-Q is the
// backlog passed to listen() (capped by somaxconn=1024 for 9200), Recv-Q the connections left in
// the accept queue (8080: backlog 5 → queue full at B+1 = 6, the other SYNs overflowed).
var realListeners = []wantListener{
	{"0.0.0.0%lo:7000", "", 7000, 1, 10},
	{"0.0.0.0:8080", "", 8080, 6, 5},
	{"127.0.0.1:9000", "127.0.0.1", 9000, 2, 64},
	{"127.0.0.1:9100", "127.0.0.1", 9100, 0, 30},
	{"127.0.0.1:9100", "127.0.0.1", 9100, 0, 20},
	{"0.0.0.0:9200", "", 9200, 0, 1024},
	{"[::ffff:127.0.0.1]:9002", "::ffff:127.0.0.1", 9002, 1, 8},
	{"[::]:8444", "", 8444, 1, 32},
	{"*:8443", "", 8443, 2, 128},
	{"[::1]:9001", "::1", 9001, 1, 16},
}

func checkListeners(t *testing.T, name string, got []Listener, want []wantListener) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d listeners, want %d: %+v", name, len(got), len(want), got)
	}
	for i, w := range want {
		l := got[i]
		var addr string
		if l.Addr.IsValid() {
			addr = l.Addr.String()
		}
		if l.Local != w.local || addr != w.addr || l.Port != w.port || l.RecvQ != w.recvQ || l.SendQ != w.sendQ {
			t.Errorf("%s[%d] = %+v, want %+v", name, i, l, w)
		}
	}
}

func TestParseSSReal(t *testing.T) {
	for _, f := range []string{"real/ss-ltn.txt", "real/ss-ltnp.txt", "real/ss-ltnm.txt", "real/ss-ltan.txt"} {
		s := parseSSFile(t, f)
		if len(s.Blocks) != 1 || !s.Blocks[0].Time.IsZero() {
			t.Fatalf("%s: %d blocks, time %v", f, len(s.Blocks), s.Blocks[0].Time)
		}
		checkListeners(t, f, s.Blocks[0].Listeners, realListeners)
		for _, l := range s.Blocks[0].Listeners {
			hasP := strings.HasPrefix(l.Process, `users:(("python3",pid=`) && strings.HasSuffix(l.Process, "))")
			if hasP != (f == "real/ss-ltnp.txt") {
				t.Errorf("%s %s: Process %q", f, l.Local, l.Process)
			}
			if (l.Drops >= 0) != (f == "real/ss-ltnm.txt") {
				t.Errorf("%s %s: Drops %d", f, l.Local, l.Drops)
			}
		}
	}

	// skmem d24 on the overflowing listener equals what nstat counted (the only listener
	// that dropped anything in the namespace).
	m := parseSSFile(t, "real/ss-ltnm.txt").Blocks[0].Listeners
	nst := parseCountersFile(t, "real/nstat-az.txt")
	lo, _ := nst.Get("TcpExtListenOverflows")
	if m[1].Local != "0.0.0.0:8080" || m[1].Drops != 24 || m[1].Drops != lo {
		t.Errorf("8080 drops %d, nstat ListenOverflows %d, want both 24", m[1].Drops, lo)
	}
	for i, l := range m {
		if i != 1 && l.Drops != 0 {
			t.Errorf("%s: Drops %d, want 0", l.Local, l.Drops)
		}
	}

	// Send-Q of the listener opened with backlog 5000 is somaxconn from sysctl -a.
	sys := parseSysctlFile(t, "real/sysctl-a.txt")
	if sm, _ := sys.Int("net.core.somaxconn"); int64(m[5].SendQ) != sm {
		t.Errorf("9200 Send-Q %d != somaxconn %d", m[5].SendQ, sm)
	}
}

func TestParseNetstatLntReal(t *testing.T) {
	s := parseSSFile(t, "real/netstat-lnt.txt")
	if len(s.Blocks) != 1 {
		t.Fatalf("%d blocks", len(s.Blocks))
	}
	// netstat reads /proc/net/tcp: Recv-Q is the accept queue like ss, Send-Q is not the backlog
	// (SendQ = -1); it prints no "%lo" and shows the v4-mapped bind as plain IPv4.
	want := []wantListener{
		{"0.0.0.0:7000", "", 7000, 1, -1},
		{"0.0.0.0:8080", "", 8080, 6, -1},
		{"127.0.0.1:9000", "127.0.0.1", 9000, 2, -1},
		{"127.0.0.1:9100", "127.0.0.1", 9100, 0, -1},
		{"127.0.0.1:9100", "127.0.0.1", 9100, 0, -1},
		{"0.0.0.0:9200", "", 9200, 0, -1},
		{"127.0.0.1:9002", "127.0.0.1", 9002, 1, -1},
		{":::8444", "", 8444, 1, -1},
		{":::8443", "", 8443, 2, -1},
		{"::1:9001", "::1", 9001, 1, -1},
	}
	checkListeners(t, "netstat-lnt", s.Blocks[0].Listeners, want)
}

func TestParseSSSeriesReal(t *testing.T) {
	for _, f := range []string{"real/ss-series-unix.txt", "real/ss-series-date.txt"} {
		s := parseSSFile(t, f)
		if len(s.Blocks) != 3 {
			t.Fatalf("%s: %d blocks", f, len(s.Blocks))
		}
		for i, b := range s.Blocks {
			if b.Time.Year() != 2026 || b.Time.Location() != time.UTC {
				t.Errorf("%s block %d: time %v", f, i, b.Time)
			}
			if i > 0 && b.Time.Before(s.Blocks[i-1].Time) {
				t.Errorf("%s: block %d earlier than block %d", f, i, i-1)
			}
			if len(b.Listeners) != 10 {
				t.Errorf("%s block %d: %d listeners", f, i, len(b.Listeners))
			}
		}
		// One more client queued on 127.0.0.1:9000 before each sample.
		pts := s.Find(netip.MustParseAddrPort("127.0.0.1:9000"))
		if len(pts) != 3 {
			t.Fatalf("%s: Find 9000: %d points", f, len(pts))
		}
		for i, p := range pts {
			if p.Listener.RecvQ != 3+i || p.Listener.SendQ != 64 || !p.Time.Equal(s.Blocks[i].Time) {
				t.Errorf("%s point %d: %+v", f, i, p)
			}
		}
		if len(s.Notes) != 0 {
			t.Errorf("%s: notes %v", f, s.Notes)
		}
	}
	u := parseSSFile(t, "real/ss-series-unix.txt")
	if ns := u.Blocks[0].Time.Nanosecond(); ns != 467044641 {
		t.Errorf("fraction lost: %d ns", ns)
	}
}

func TestFindReal(t *testing.T) {
	s := parseSSFile(t, "real/ss-ltn.txt")
	cases := []struct {
		server string
		locals []string
	}{
		{"127.0.0.1:8080", []string{"0.0.0.0:8080"}},                     // v4 wildcard
		{"10.1.2.3:8080", []string{"0.0.0.0:8080"}},                      // any v4 address
		{"[::1]:8080", nil},                                              // v4 wildcard does not take IPv6
		{"127.0.0.1:8443", []string{"*:8443"}},                           // dual-stack listener, IPv4 client
		{"[::1]:8443", []string{"*:8443"}},                               // ... and IPv6
		{"127.0.0.1:8444", []string{"[::]:8444"}},                        // "::" may take IPv4 (old ss prints every v6 wildcard so)
		{"[2001:db8::1]:8444", []string{"[::]:8444"}},                    // v6 wildcard
		{"127.0.0.1:9002", []string{"[::ffff:127.0.0.1]:9002"}},          // v4-mapped bind
		{"[::ffff:127.0.0.1]:9002", []string{"[::ffff:127.0.0.1]:9002"}}, // mapped server address is unmapped first
		{"127.0.0.1:9100", []string{"127.0.0.1:9100", "127.0.0.1:9100"}}, // SO_REUSEPORT group
		{"127.0.0.1:7000", []string{"0.0.0.0%lo:7000"}},
		{"[::1]:9001", []string{"[::1]:9001"}},
		{"127.0.0.1:9001", nil},
		{"10.0.0.1:9000", nil}, // bound to 127.0.0.1 only
		{"127.0.0.1:1", nil},
	}
	for _, c := range cases {
		pts := s.Find(netip.MustParseAddrPort(c.server))
		var got []string
		for _, p := range pts {
			got = append(got, p.Listener.Local)
			if !p.Time.IsZero() {
				t.Errorf("%s: time %v", c.server, p.Time)
			}
		}
		if strings.Join(got, ",") != strings.Join(c.locals, ",") {
			t.Errorf("Find(%s) = %v, want %v", c.server, got, c.locals)
		}
	}
	if pts := s.Find(netip.AddrPort{}); pts != nil {
		t.Errorf("Find(zero) = %v", pts)
	}
	var nilSeries *SSSeries
	if pts := nilSeries.Find(netip.MustParseAddrPort("127.0.0.1:80")); pts != nil {
		t.Errorf("nil Find = %v", pts)
	}
}

func TestParseSSCrafted(t *testing.T) {
	old := parseSSFile(t, "crafted/ss-old-nostate.txt")
	checkListeners(t, "old-nostate", old.Blocks[0].Listeners, []wantListener{
		{"*:22", "", 22, 0, 128},
		{"127.0.0.1:25", "127.0.0.1", 25, 0, 100},
		{"*:80", "", 80, 129, 128}, // Recv-Q = Send-Q+1: accept queue full
		{":::22", "", 22, 0, 128},
		{"::ffff:10.0.0.1:8080", "::ffff:10.0.0.1", 8080, 0, 50},
	})
	if pts := old.Find(netip.MustParseAddrPort("10.0.0.1:8080")); len(pts) != 1 {
		t.Errorf("old ss mapped listener: %v", pts)
	}
	// Old ss printed IPv4 any as "*": an IPv4 server prefers it to ":::22".
	if pts := old.Find(netip.MustParseAddrPort("192.0.2.1:22")); len(pts) != 1 || pts[0].Listener.Local != "*:22" {
		t.Errorf("old ss *:22 vs :::22: %v", pts)
	}

	r7 := parseSSFile(t, "crafted/ss-rhel7-ltnpm.txt")
	checkListeners(t, "rhel7", r7.Blocks[0].Listeners, []wantListener{
		{"*:443", "", 443, 0, 128},
		{"10.0.0.5:3306", "10.0.0.5", 3306, 51, 50},
		{":::22", "", 22, 0, 128},
	})
	for _, l := range r7.Blocks[0].Listeners {
		if l.Drops != -1 { // skmem without d (kernels before 4.7)
			t.Errorf("rhel7 %s: Drops %d, want -1", l.Local, l.Drops)
		}
	}
	if p := r7.Blocks[0].Listeners[2].Process; p != `users:(("sshd",pid=980,fd=4),("sshd",pid=981,fd=4))` {
		t.Errorf("rhel7 process %q", p)
	}

	ns := parseSSFile(t, "crafted/netstat-lnt-ipv6.txt")
	checkListeners(t, "netstat-ipv6", ns.Blocks[0].Listeners, []wantListener{
		{"0.0.0.0:22", "", 22, 0, -1},
		{"127.0.0.1:631", "127.0.0.1", 631, 11, -1},
		{":::80", "", 80, 0, -1},
		{"::1:631", "::1", 631, 0, -1},
		{"::ffff:10.0.0.1:8080", "::ffff:10.0.0.1", 8080, 3, -1},
	})
	procs := []string{"980/sshd", "", "1201/nginx: master", "", "2222/java"}
	for i, l := range ns.Blocks[0].Listeners {
		if l.Process != procs[i] {
			t.Errorf("netstat %s: Process %q, want %q", l.Local, l.Process, procs[i])
		}
	}
	if pts := ns.Find(netip.MustParseAddrPort("10.0.0.1:80")); len(pts) != 1 || pts[0].Listener.Local != ":::80" {
		t.Errorf("IPv4 server on netstat :::80: %v", pts)
	}

	ew := parseSSFile(t, "crafted/ss-exact-and-wild.txt")
	if len(ew.Blocks) != 2 {
		t.Fatalf("exact-and-wild: %d blocks (repeated column header must split)", len(ew.Blocks))
	}
	if len(ew.Notes) != 1 || !strings.Contains(ew.Notes[0], "1 LISTEN rows skipped") {
		t.Errorf("notes %v (x11-ssh is not a known service, ssh is)", ew.Notes)
	}
	findLocals := func(s *SSSeries, server string) string {
		var got []string
		for _, p := range s.Find(netip.MustParseAddrPort(server)) {
			got = append(got, p.Listener.Local)
		}
		return strings.Join(got, ",")
	}
	for server, want := range map[string]string{
		"10.0.0.1:80":     "10.0.0.1:80,10.0.0.1:80", // exact beats 0.0.0.0 and [::], in both blocks
		"10.0.0.2:80":     "0.0.0.0:80,0.0.0.0:80",
		"[2001:db8::]:80": "[::]:80",
		"10.0.0.9:443":    "*:443",
		"10.0.0.1:22":     "10.0.0.1%eth0:22",
		"[fe80::1]:22":    "[fe80::1]%eth0:22",
		"10.0.0.7:22":     "0.0.0.0:ssh",
	} {
		if got := findLocals(ew, server); got != want {
			t.Errorf("exact-and-wild Find(%s) = %s, want %s", server, got, want)
		}
	}
	if pts := ew.Find(netip.MustParseAddrPort("10.0.0.1:80")); pts[0].Listener.RecvQ != 7 || pts[1].Listener.RecvQ != 9 {
		t.Errorf("blocks out of order: %+v", pts)
	}

	mixed := parseSSFile(t, "crafted/ss-series-mixed.txt")
	wantTimes := []string{"2026-11-25T12:00:01Z", "2026-11-25T12:00:02.5Z", "2026-11-25T12:00:03Z", "2026-11-25T12:00:04Z", "2026-11-25T12:00:05Z"}
	if len(mixed.Blocks) != len(wantTimes) {
		t.Fatalf("mixed: %d blocks", len(mixed.Blocks))
	}
	for i, w := range wantTimes {
		wt, _ := time.Parse(time.RFC3339Nano, w)
		if !mixed.Blocks[i].Time.Equal(wt) {
			t.Errorf("mixed block %d: %v, want %v", i, mixed.Blocks[i].Time, wt)
		}
	}
	if n := len(mixed.Blocks[2].Listeners); n != 0 {
		t.Errorf("block with only a column header: %d listeners", n)
	}
	if q := mixed.Blocks[1].Listeners[0].RecvQ; q != 512 {
		t.Errorf("block 1 Recv-Q %d", q)
	}
	if len(mixed.Notes) != 2 { // zone-less RFC 3339, ambiguous CST
		t.Errorf("mixed notes: %v", mixed.Notes)
	}
}

func TestParseSSForms(t *testing.T) {
	cases := []struct {
		name, text string
		want       []wantListener
		blocks     int
	}{
		{"no header (ss -H)", "LISTEN 0 4096 127.0.0.53%lo:53 0.0.0.0:*\nLISTEN 0 4096 [::]:22 [::]:*\n",
			[]wantListener{{"127.0.0.53%lo:53", "127.0.0.53", 53, 0, 4096}, {"[::]:22", "", 22, 0, 4096}}, 1},
		{"netid column (ss -ln)", "Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port\nudp   UNCONN 0      0      0.0.0.0:68 0.0.0.0:*\ntcp   LISTEN 0      511    0.0.0.0:80 0.0.0.0:*\nu_str LISTEN 0      4096   /run/systemd/private 13729 * 0\n",
			[]wantListener{{"0.0.0.0:80", "", 80, 0, 511}}, 1},
		{"crlf and bom", "\ufeffState Recv-Q Send-Q Local Address:Port Peer Address:Port\r\nLISTEN 0 128 0.0.0.0:22 0.0.0.0:*\r\n",
			[]wantListener{{"0.0.0.0:22", "", 22, 0, 128}}, 1},
		{"header only", "State Recv-Q Send-Q Local Address:Port Peer Address:Port\n", nil, 1},
		{"zoned v6", "LISTEN 0 5 [fe80::1%eth0]:22 [::]:*\n", []wantListener{{"[fe80::1%eth0]:22", "fe80::1", 22, 0, 5}}, 1},
		{"bad rows skipped", "State Recv-Q Send-Q Local Address:Port Peer Address:Port\nLISTEN 0 5 300.0.0.1:22 0.0.0.0:*\nLISTEN 0 5 1.2.3.4:99999 0.0.0.0:*\nLISTEN 0 5 1.2.3.4 0.0.0.0:*\nLISTEN x 5 1.2.3.4:1 0.0.0.0:*\n", nil, 1},
	}
	// A time header alone is no ss output (ss prints its column header even with no sockets).
	_, err := ParseSS(strings.NewReader("# 1795609345\n"), "hdr.txt")
	checkOneLineErr(t, err, "hdr.txt", "not an ss")
	for _, c := range cases {
		s, err := ParseSS(strings.NewReader(c.text), c.name)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if len(s.Blocks) != c.blocks {
			t.Errorf("%s: %d blocks", c.name, len(s.Blocks))
			continue
		}
		checkListeners(t, c.name, s.Blocks[0].Listeners, c.want)
	}
}
