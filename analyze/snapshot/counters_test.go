package snapshot

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

func parseCountersFile(t testing.TB, rel string) *Counters {
	t.Helper()
	c, err := ParseCounters(bytes.NewReader(readTestdata(t, rel)), rel)
	if err != nil {
		t.Fatal(err)
	}
	if c.Source != rel {
		t.Errorf("Source = %q", c.Source)
	}
	return c
}

// The real counter files were taken in one burst with no traffic in the namespace
// (testdata/real/capture.sh): every format must give the same numbers.
func TestParseCountersReal(t *testing.T) {
	want := map[string]int64{
		"TcpExtListenOverflows": 24, // 6 SYNs x 4 (first + 3 retransmits) to the full 8080 queue
		"TcpExtListenDrops":     24,
		"TcpPassiveOpens":       17,
		"TcpActiveOpens":        25,
		"TcpAttemptFails":       2, // two connects to a closed port
		"TcpOutRsts":            2,
		"TcpExtTCPSynRetrans":   18,
		"IpInReceives":          79,
		"IpExtInOctets":         4532,
	}
	formats := map[string]string{
		"real/nstat-az.txt":     FormatNstat,
		"real/nstat-a.txt":      FormatNstat,
		"real/nstat-delta.txt":  FormatNstat,
		"real/nstat-a-json.txt": FormatNstatJSON,
		"real/proc-net.txt":     FormatProcNet,
		"real/netstat-s.txt":    FormatNetstatS,
	}
	parsed := map[string]*Counters{}
	for f, format := range formats {
		c := parseCountersFile(t, f)
		parsed[f] = c
		if c.Format != format {
			t.Errorf("%s: format %q, want %q", f, c.Format, format)
		}
		if !c.Absolute || !c.Time.IsZero() {
			t.Errorf("%s: Absolute %v Time %v", f, c.Absolute, c.Time)
		}
		for k, w := range want {
			if v, ok := c.Get(k); !ok || v != w {
				t.Errorf("%s: %s = %d,%v, want %d", f, k, v, ok, w)
			}
		}
	}
	az := parsed["real/nstat-az.txt"]
	if len(az.Values) < 350 {
		t.Errorf("nstat -az: %d values", len(az.Values))
	}
	if v, ok := az.Get("TcpExtTCPReqQFullDrop"); !ok || v != 0 {
		t.Errorf("-z keeps zeros: TCPReqQFullDrop %d %v", v, ok)
	}
	// nstat text cannot tell -a from a delta: a note says it was assumed absolute.
	if n := az.Notes; len(n) != 1 || n[0] != NoteNstatAssumedAbsolute {
		t.Errorf("nstat notes %v", n)
	}
	// Key-by-key agreement between formats.
	same := func(a, b *Counters, keys map[string]int64) int {
		n := 0
		for k, v := range keys {
			if w, ok := b.Values[k]; ok {
				n++
				if v != w {
					t.Errorf("%s %s=%d, %s %s=%d", a.Source, k, v, b.Source, k, w)
				}
			}
		}
		return n
	}
	if n := same(az, parsed["real/proc-net.txt"], az.Values); n < 300 {
		t.Errorf("nstat -az vs /proc/net: only %d common keys", n)
	}
	json, nsa := parsed["real/nstat-a-json.txt"], parsed["real/nstat-a.txt"]
	if len(json.Values) != len(nsa.Values) || same(nsa, json, nsa.Values) != len(nsa.Values) {
		t.Errorf("nstat -a --json and nstat -a differ: %d vs %d keys", len(json.Values), len(nsa.Values))
	}
	ns := parsed["real/netstat-s.txt"]
	if n := same(ns, az, ns.Values); n < 35 {
		t.Errorf("netstat -s vs nstat -az: only %d common keys of %d", n, len(ns.Values))
	}
	// netstat -s only: static and "Name: value" fields with the section prefix.
	for k, w := range map[string]int64{"IpForwarding": 2, "TcpCurrEstab": 31, "IpOutTransmits": 79, "TcpExtTcpTimeoutRehash": 18, "TcpInErrs": 0, "IpInDiscards": 0} {
		if v, ok := ns.Get(k); !ok || v != w {
			t.Errorf("netstat -s %s = %d,%v, want %d", k, v, ok, w)
		}
	}
	proc := parsed["real/proc-net.txt"]
	if v, _ := proc.Get("TcpMaxConn"); v != -1 {
		t.Errorf("TcpMaxConn = %d, want -1", v)
	}
}

func TestDeltaReal(t *testing.T) {
	before := parseCountersFile(t, "real/nstat-az-before.txt")
	after := parseCountersFile(t, "real/nstat-az.txt")
	delta := parseCountersFile(t, "real/nstat-delta.txt") // plain nstat since just before "before"
	d, err := Delta(before, after)
	if err != nil {
		t.Fatal(err)
	}
	if d.Absolute || d.Format != FormatNstat || len(d.Values) != len(after.Values) {
		t.Errorf("delta: Absolute %v Format %q %d values", d.Absolute, d.Format, len(d.Values))
	}
	if len(d.Notes) != 0 {
		t.Errorf("delta notes %v", d.Notes)
	}
	for k, v := range delta.Values {
		if d.Values[k] != v {
			t.Errorf("Delta %s = %d, nstat delta printed %d", k, d.Values[k], v)
		}
	}
	nonZero := 0
	for k, v := range d.Values {
		if v != 0 {
			nonZero++
			if delta.Values[k] != v {
				t.Errorf("Delta %s = %d, missing from nstat's delta", k, v)
			}
		}
	}
	if nonZero != len(delta.Values) {
		t.Errorf("%d non-zero deltas, nstat printed %d", nonZero, len(delta.Values))
	}
}

func TestDelta(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	abs := func(src string, tm time.Time, kv map[string]int64) *Counters {
		return &Counters{Source: src, Time: tm, Absolute: true, Format: FormatNetstatS, Values: kv}
	}
	before := abs("b.txt", t0, map[string]int64{"TcpExtListenOverflows": 100, "TcpPassiveOpens": 5000, "TcpExtTW": 9, "Gone": 1})
	after := abs("a.txt", t0.Add(time.Minute), map[string]int64{"TcpExtListenOverflows": 130, "TcpPassiveOpens": 5000, "TcpExtTCPReqQFullDrop": 4, "TcpExtTW": 3})
	d, err := Delta(before, after)
	if err != nil {
		t.Fatal(err)
	}
	for k, w := range map[string]int64{"TcpExtListenOverflows": 30, "TcpPassiveOpens": 0, "TcpExtTCPReqQFullDrop": 4, "TcpExtTW": -6} {
		if v, ok := d.Get(k); !ok || v != w {
			t.Errorf("%s = %d,%v want %d", k, v, ok, w)
		}
	}
	if _, ok := d.Get("Gone"); ok {
		t.Error("keys only in before must not appear")
	}
	if !d.Time.Equal(after.Time) || d.Absolute || d.Source != "a.txt - b.txt" {
		t.Errorf("delta meta: %v %v %q", d.Time, d.Absolute, d.Source)
	}
	notes := strings.Join(d.Notes, " | ")
	if !strings.Contains(notes, "1 counters missing in b.txt, taken as 0: TcpExtTCPReqQFullDrop") ||
		!strings.Contains(notes, "1 counters went backwards") || !strings.Contains(notes, "TcpExtTW") {
		t.Errorf("notes %q", notes)
	}

	// A delta passes through; everything else needing two absolutes fails with one-line errors.
	nd := &Counters{Source: "d.txt", Values: map[string]int64{"TcpExtListenDrops": 3}}
	if got, err := Delta(nil, nd); err != nil || got != nd {
		t.Errorf("Delta(nil, delta) = %v, %v", got, err)
	}
	for _, c := range []struct {
		b, a *Counters
		name string
	}{
		{nil, after, "a.txt"},
		{before, nd, "d.txt"},
		{nd, after, "d.txt"},
		{after, before, "b.txt"}, // swapped: after is older
	} {
		_, err := Delta(c.b, c.a)
		checkOneLineErr(t, err, c.name, "")
	}
	if _, err := Delta(before, nil); err == nil {
		t.Error("Delta(before, nil) must fail")
	}
	var nilC *Counters
	if _, ok := nilC.Get("x"); ok {
		t.Error("nil Get")
	}
}

func TestParseCountersCrafted(t *testing.T) {
	cases := []struct {
		file     string
		format   string
		absolute bool
		values   map[string]int64
		absent   []string
	}{
		{"crafted/netstat-s-2.6.18-rhel5.txt", FormatNetstatS, true, map[string]int64{
			"TcpExtListenDrops":               9107, // "... SYNs to LISTEN sockets ignored"
			"TcpExtListenOverflows":           9107,
			"TcpExtPAWSEstab":                 285, // "packets rejects in established ..."
			"TcpExtPAWSPassive":               8316,
			"TcpExtSyncookiesFailed":          7826,
			"TcpActiveOpens":                  600033, // "active connections openings"
			"TcpPassiveOpens":                 541550,
			"TcpOutSegs":                      14240475, // "segments send out"
			"TcpRetransSegs":                  44464,    // "segments retransmited"
			"TcpInErrs":                       28,       // "bad segments received."
			"UdpNoPorts":                      365,      // "... received."
			"IcmpInErrors":                    20,       // "input ICMP message failed."
			"IcmpInDestUnreachs":              3713,
			"IcmpOutDestUnreachs":             3658,
			"IcmpInEchos":                     895,
			"IcmpOutEchoReps":                 895,
			"IpInAddrErrors":                  12,
			"IpInHdrErrors":                   3,
			"IpInDiscards":                    7,
			"TcpExtTCPHPHits":                 41157397, // "packets header predicted"
			"TcpExtTCPHPHitsToUser":           19,
			"TcpExtTCPDirectCopyFromBacklog":  33492,
			"TcpExtTCPDirectCopyFromPrequeue": 10,
			"TcpExtTCPPrequeued":              1489,
			"TcpExtDelayedACKLost":            6953,
			"TcpExtTCPPureAcks":               23219395,
			"TcpExtTCPTimeouts":               174213,
			"TcpExtTCPAbortOnData":            1124,
			"TcpExtTCPMemoryPressures":        0,
		}, []string{"TcpExtTCPReqQFullDrop", "TcpInCsumErrors"}},
		{"crafted/netstat-s-3.10-rhel7.txt", FormatNetstatS, true, map[string]int64{
			"TcpExtListenDrops":              10151,
			"TcpExtListenOverflows":          9107,
			"TcpExtPAWSEstab":                285,
			"TcpExtSyncookiesSent":           1044,
			"TcpExtSyncookiesRecv":           990,
			"TcpExtTCPReqQFullDrop":          5,
			"TcpExtTCPReqQFullDoCookies":     1044,
			"TcpExtTCPBacklogDrop":           53,
			"TcpExtIPReversePathFilter":      106,
			"TcpExtTCPDeferAcceptDrop":       12,
			"TcpExtTCPSYNChallenge":          30,
			"TcpExtTCPTimeouts":              1742135,
			"TcpInCsumErrors":                6,
			"IcmpMsgInType3":                 37132827,
			"IcmpOutEchos":                   512, // "echo request: N" in the output histogram
			"IcmpInTimeExcds":                1,
			"IpExtInCsumErrors":              2,
			"IpForwDatagrams":                1168756774,
			"TcpExtTCPDirectCopyFromBacklog": 33492,
			"UdpRcvbufErrors":                0,
		}, nil},
		{"crafted/netstat-s-modern-paws.txt", FormatNetstatS, true, map[string]int64{
			"TcpExtPAWSEstab":            41, // "packets rejected in established ..."
			"TcpExtPAWSPassive":          7,
			"TcpExtPAWSTimewait":         9,
			"TcpExtTCPReqQFullDrop":      43,
			"TcpExtTCPMigrateReqSuccess": 2,
			"TcpExtTCPACKSkippedSynRecv": 6,
			"TcpExtListenDrops":          120,
			"IpForwarding":               1,
			"IpInAddrErrors":             4,
			"IpInHdrErrors":              2,
			"IpInDiscards":               9,
			"TcpInErrs":                  1,
			"TcpInCsumErrors":            1,
			"TcpOutSegs":                 590000,
			"TcpRetransSegs":             700,
		}, nil},
		{"crafted/proc-net-2.6.18.txt", FormatProcNet, true, map[string]int64{
			"TcpExtListenOverflows": 9107,
			"TcpExtPAWSPassive":     8316,
			"TcpExtTCPAbortOnData":  1124,
			"TcpMaxConn":            -1,
			"TcpRtoMin":             200,
			"IpForwarding":          2,
			"IpInAddrErrors":        12,
			"UdpOutDatagrams":       37679,
		}, []string{"TcpExtTCPReqQFullDrop", "IpExtInOctets"}},
		{"crafted/nstat-delta-prompt.txt", FormatNstat, false, map[string]int64{
			"TcpExtListenOverflows": 7, "TcpExtTCPReqQFullDrop": 0,
		}, nil},
		{"crafted/nstat-az-header.txt", FormatNstat, true, map[string]int64{
			"TcpExtListenDrops": 40, "IpInAddrErrors": 3,
		}, nil},
		{"crafted/nstat-json-pretty.txt", FormatNstatJSON, true, map[string]int64{
			"TcpExtTCPReqQFullDrop": 9, "TcpExtListenDrops": 40,
		}, nil},
	}
	for _, c := range cases {
		got := parseCountersFile(t, c.file)
		if got.Format != c.format || got.Absolute != c.absolute {
			t.Errorf("%s: format %q absolute %v", c.file, got.Format, got.Absolute)
		}
		for k, w := range c.values {
			if v, ok := got.Get(k); !ok || v != w {
				t.Errorf("%s: %s = %d,%v, want %d", c.file, k, v, ok, w)
			}
		}
		for _, k := range c.absent {
			if _, ok := got.Get(k); ok {
				t.Errorf("%s: %s must be absent", c.file, k)
			}
		}
		for k := range got.Values {
			if !isIdent(k) {
				t.Errorf("%s: bad key %q", c.file, k)
			}
		}
	}
	hdr := parseCountersFile(t, "crafted/nstat-az-header.txt")
	if hdr.Time.Unix() != 1795609345 || len(hdr.Notes) != 0 {
		t.Errorf("header time %v notes %v", hdr.Time, hdr.Notes)
	}
	// The 2.6.18 netstat -s lists every TcpExt field 2.6.18 has: sentence or "Name: value".
	old := parseCountersFile(t, "crafted/netstat-s-2.6.18-rhel5.txt")
	if len(old.Values) != 84 {
		t.Errorf("2.6.18 netstat -s: %d values", len(old.Values))
	}
}

func TestNstatCommandHint(t *testing.T) {
	cases := []struct {
		line          string
		absolute, hit bool
	}{
		{"$ nstat -az", true, true},
		{"# nstat -a --json", true, true},
		{"[root@web01 ~]# nstat", false, true},
		{"root@web01:~# /usr/sbin/nstat -sz TcpExt*", false, true},
		{"nstat --ignore --zeros", true, true},
		{"nstat -j", false, true},
		{"$ sudo ip netns exec hol-snap-test nstat -az", true, true},
		{"sudo nstat", false, true},
		{"# taken with nstat on web01", false, false},
		{"# 1795609345", false, false},
	}
	for _, c := range cases {
		abs, ok := nstatCommandHint([]string{c.line})
		if abs != c.absolute || ok != c.hit {
			t.Errorf("%q: (%v, %v), want (%v, %v)", c.line, abs, ok, c.absolute, c.hit)
		}
	}
}

func TestParseCountersForms(t *testing.T) {
	cases := []struct {
		name, text string
		format     string
		values     map[string]int64
	}{
		{"nstat grep without #kernel", "TcpExtListenOverflows           24                 0.0\nTcpExtListenDrops 24 0.0\n", FormatNstat,
			map[string]int64{"TcpExtListenOverflows": 24, "TcpExtListenDrops": 24}},
		{"empty delta", "#kernel\n", FormatNstat, map[string]int64{}},
		{"bare command above", "nstat -az\n#kernel\nTcpExtListenDrops 3 0.0\n", FormatNstat, map[string]int64{"TcpExtListenDrops": 3}},
		{"cat above proc", "cat /proc/net/netstat\nTcpExt: A B\nTcpExt: 1 2\n", FormatProcNet, map[string]int64{"TcpExtA": 1, "TcpExtB": 2}},
		{"json with header", "# 1795609345\n{\"kernel\":{\"TcpExtListenDrops\":18446744073709551615}}\n", FormatNstatJSON,
			map[string]int64{"TcpExtListenDrops": -1}},
		{"snmp6 lines", "Ip6InReceives                   \t6\nIp6InDelivers 6\nTcp: RtoAlgorithm RtoMin\nTcp: 1 200\n", FormatProcNet,
			map[string]int64{"Ip6InReceives": 6, "Ip6InDelivers": 6, "TcpRtoAlgorithm": 1, "TcpRtoMin": 200}},
		{"netstat -s with prompt and crlf", "$ netstat -s\r\nTcp:\r\n    3 passive connection openings\r\nTcpExt:\r\n    TCPReqQFullDrop: 5\r\n", FormatNetstatS,
			map[string]int64{"TcpPassiveOpens": 3, "TcpExtTCPReqQFullDrop": 5}},
		{"netstat -s -6", "Ip6:\n    12 total packets received\n    Ip6InOctets: 900\nIcmp6:\n    ICMP input histogram:\n        echo requests: 2\n    ICMP output histogram:\n        echo replies: 2\nUdp6:\n    1 packets received\n", FormatNetstatS,
			map[string]int64{"Ip6InReceives": 12, "Ip6InOctets": 900, "Icmp6InEchos": 2, "Icmp6OutEchoReplies": 2, "Udp6InDatagrams": 1}},
	}
	for _, c := range cases {
		got, err := ParseCounters(strings.NewReader(c.text), c.name)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got.Format != c.format || len(got.Values) != len(c.values) {
			t.Errorf("%s: format %q values %v", c.name, got.Format, got.Values)
		}
		for k, w := range c.values {
			if v := got.Values[k]; v != w {
				t.Errorf("%s: %s = %d, want %d", c.name, k, v, w)
			}
		}
	}
	// A bare command line above nstat output tells absolute from delta.
	for text, abs := range map[string]bool{"nstat -az\n#kernel\nTcpInErrs 0 0.0\n": true, "nstat\n#kernel\nTcpInErrs 0 0.0\n": false} {
		c, err := ParseCounters(strings.NewReader(text), "hint")
		if err != nil || c.Absolute != abs || len(c.Notes) != 0 {
			t.Errorf("%q: %+v %v", text, c, err)
		}
	}
	for name, text := range map[string]string{
		"netstat -s, nothing known": "Ip:\n    whatever\n",
		"proc header only":          "\n",
		"just a time":               "# 1795609345\n",
	} {
		_, err := ParseCounters(strings.NewReader(text), name)
		checkOneLineErr(t, err, name, "not a counter snapshot (nstat, nstat --json or netstat -s)")
	}
}

// The netstat -s (net-tools) sentences of the counters in docs/kernel-counters.md#counters: every
// one maps to its nstat name, in every wording net-tools has used.
func TestSection8Sentences(t *testing.T) {
	sec8 := []struct{ section, line, name string }{
		{"TcpExt", "N times the listen queue of a socket overflowed", "TcpExtListenOverflows"},
		{"TcpExt", "N SYNs to LISTEN sockets dropped", "TcpExtListenDrops"},
		{"TcpExt", "N SYNs to LISTEN sockets ignored", "TcpExtListenDrops"},
		{"TcpExt", "TCPReqQFullDrop: N", "TcpExtTCPReqQFullDrop"},
		{"TcpExt", "TCPReqQFullDoCookies: N", "TcpExtTCPReqQFullDoCookies"},
		{"TcpExt", "N SYN cookies sent", "TcpExtSyncookiesSent"},
		{"TcpExt", "N SYN cookies received", "TcpExtSyncookiesRecv"},
		{"TcpExt", "N invalid SYN cookies received", "TcpExtSyncookiesFailed"},
		{"TcpExt", "N resets received for embryonic SYN_RECV sockets", "TcpExtEmbryonicRsts"},
		{"TcpExt", "N passive connections rejected because of time stamp", "TcpExtPAWSPassive"},
		{"TcpExt", "N active connections rejected because of time stamp", "TcpExtPAWSActive"},
		{"TcpExt", "N packets rejects in established connections because of timestamp", "TcpExtPAWSEstab"},
		{"TcpExt", "N packets rejected in established connections because of timestamp", "TcpExtPAWSEstab"},
		{"TcpExt", "PAWSTimewait: N", "TcpExtPAWSTimewait"},
		{"TcpExt", "N TCP sockets finished time wait in fast timer", "TcpExtTW"},
		{"TcpExt", "N time wait sockets recycled by time stamp", "TcpExtTWRecycled"},
		{"TcpExt", "N TCP sockets finished time wait in slow timer", "TcpExtTWKilled"},
		{"TcpExt", "TCPDeferAcceptDrop: N", "TcpExtTCPDeferAcceptDrop"},
		{"TcpExt", "TCPBacklogDrop: N", "TcpExtTCPBacklogDrop"},
		{"TcpExt", "TCPMinTTLDrop: N", "TcpExtTCPMinTTLDrop"},
		{"TcpExt", "IPReversePathFilter: N", "TcpExtIPReversePathFilter"},
		{"TcpExt", "TCPSYNChallenge: N", "TcpExtTCPSYNChallenge"},
		{"TcpExt", "TCPChallengeACK: N", "TcpExtTCPChallengeACK"},
		{"TcpExt", "TCPACKSkippedSynRecv: N", "TcpExtTCPACKSkippedSynRecv"},
		{"TcpExt", "TCPACKSkippedTimeWait: N", "TcpExtTCPACKSkippedTimeWait"},
		{"TcpExt", "TCPSynRetrans: N", "TcpExtTCPSynRetrans"},
		{"TcpExt", "N other TCP timeouts", "TcpExtTCPTimeouts"},
		{"TcpExt", "TCPFastOpenListenOverflow: N", "TcpExtTCPFastOpenListenOverflow"},
		{"TcpExt", "TCPMigrateReqSuccess: N", "TcpExtTCPMigrateReqSuccess"},
		{"TcpExt", "TCPMigrateReqFailure: N", "TcpExtTCPMigrateReqFailure"},
		{"TcpExt", "PFMemallocDrop: N", "TcpExtPFMemallocDrop"},
		{"Tcp", "N bad segments received", "TcpInErrs"},
		{"Tcp", "InCsumErrors: N", "TcpInCsumErrors"},
		{"Tcp", "N failed connection attempts", "TcpAttemptFails"},
		{"Tcp", "N resets sent", "TcpOutRsts"},
		{"Tcp", "N passive connection openings", "TcpPassiveOpens"},
		{"Ip", "N with invalid addresses", "IpInAddrErrors"},
		{"Ip", "N with invalid headers", "IpInHdrErrors"},
		{"Ip", "N incoming packets discarded", "IpInDiscards"},
	}
	for i, s := range sec8 {
		n := int64(1000 + i)
		text := fmt.Sprintf("%s:\n    %s\n", s.section, reN.ReplaceAllString(s.line, fmt.Sprint(n)))
		c, err := ParseCounters(strings.NewReader(text), "sec8")
		if err != nil {
			t.Errorf("%q: %v", s.line, err)
			continue
		}
		if v, ok := c.Get(s.name); !ok || v != n || len(c.Values) != 1 {
			t.Errorf("%s %q → %v, want %s=%d", s.section, s.line, c.Values, s.name, n)
		}
	}
}

var reN = regexp.MustCompile(`\bN\b`)

var reSentence = regexp.MustCompile(`^[a-z0-9 _:().,'/-]*#[a-z0-9 _:().,'/-]*$`)

func TestNetstatTablesWellFormed(t *testing.T) {
	seen := map[string]string{}
	names := map[string]bool{}
	for _, e := range netstatTables {
		sec, _, _ := strings.Cut(e.section, "/")
		if !strings.HasPrefix(e.name, sec) || !isIdent(e.name) {
			t.Errorf("%s: name %q lacks its section prefix", e.section, e.name)
		}
		if names[e.name] {
			t.Errorf("%s listed twice", e.name)
		}
		names[e.name] = true
		for _, s := range e.sentences {
			if !reSentence.MatchString(s) || strings.Count(s, "#") != 1 || strings.HasSuffix(s, ".") || strings.Contains(s, "  ") {
				t.Errorf("%s: sentence %q not normalised", e.name, s)
			}
			key := e.section + "|" + s
			if prev, ok := seen[key]; ok {
				t.Errorf("%q maps to %s and %s", key, prev, e.name)
			}
			seen[key] = e.name
			// The sentence, printed as net-tools would, parses back to the name.
			line := strings.Replace(s, "#", "77", 1)
			norm, v, ok := normSentence(line)
			if !ok || v != 77 || norm != s {
				t.Errorf("%q does not round-trip: %q %d %v", s, norm, v, ok)
			}
		}
	}
}
