package kernel

import (
	"slices"
	"strings"
	"testing"
)

func pathIndex(p []Check, branch string) int {
	for i, c := range p {
		if c.Branch == branch {
			return i
		}
	}
	return -1
}

func TestSYNPathOrder(t *testing.T) {
	for _, era := range Eras() {
		m, _ := Representative(era)
		p := m.SYNPath()
		if len(p) == 0 {
			t.Fatalf("%s: empty SYN path", era)
		}
		for _, c := range p {
			if _, ok := Lookup(c.Branch); !ok {
				t.Errorf("%s: check with unknown branch %q", era, c.Branch)
			}
			if c.Condition == "" {
				t.Errorf("%s: %s has no condition", era, c.Branch)
			}
		}
		sq, ck, aq, lq := pathIndex(p, SynQueueFull), pathIndex(p, Syncookies), pathIndex(p, AcceptQueueFullSyn), pathIndex(p, LastQuarter)
		if !(pathIndex(p, RxDrop) == 0 && sq > 0 && sq < ck && ck < aq && aq < lq) {
			t.Errorf("%s: wrong order rx=%d synq=%d cookies=%d acceptq=%d lastq=%d", era, pathIndex(p, RxDrop), sq, ck, aq, lq)
		}
		if pp := pathIndex(p, PAWSPassive); (pp >= 0) != m.TwRecycle {
			t.Errorf("%s: paws_passive present=%v, TwRecycle=%v", era, pp >= 0, m.TwRecycle)
		} else if pp >= 0 && !(aq < pp && pp < lq) {
			t.Errorf("%s: paws_passive must come between the accept-queue and last-quarter checks", era)
		}
		if bz := pathIndex(p, BacklogZero); (bz >= 0) != m.BacklogZeroDrops {
			t.Errorf("%s: backlog_zero present=%v", era, bz >= 0)
		}
		if l := pathIndex(p, LSMReject); (l >= 0) != (era != Era2618) {
			t.Errorf("%s: lsm_reject present=%v", era, l >= 0)
		}
	}
}

func TestSYNPathEraSpecifics(t *testing.T) {
	old, _ := Representative(Era2618)
	p := old.SYNPath()
	if c := p[pathIndex(p, SynQueueFull)]; len(c.Counters) != 0 || c.Log != "" {
		t.Errorf("2.6.18 SYN-queue drop must move no counter and log nothing, got %v %q", c.Counters, c.Log)
	}
	if c := p[pathIndex(p, Syncookies)]; !strings.Contains(c.Log, "possible SYN flooding on port") || !slices.Contains(c.Counters, "TcpExtSyncookiesSent") {
		t.Errorf("2.6.18 cookie check: %+v", c)
	}
	if c := p[pathIndex(p, AcceptQueueFullSyn)]; !strings.Contains(c.Condition, "young > 1") || len(c.Counters) != 0 {
		t.Errorf("2.6.18 accept-queue check: %+v", c)
	}
	r7, _ := Representative(Era310)
	p = r7.SYNPath()
	if c := p[pathIndex(p, SynQueueFull)]; !slices.Equal(c.Counters, []string{"TcpExtTCPReqQFullDrop", "TcpExtListenDrops"}) || !strings.Contains(c.Log, "request_sock_TCP") {
		t.Errorf("RHEL7 SYN-queue check: %+v", c)
	}
	m := model("3.10.105")
	p = m.SYNPath()
	if c := p[pathIndex(p, SynQueueFull)]; !strings.HasPrefix(c.Log, "TCP: TCP: Possible SYN flooding") {
		t.Errorf("vanilla 3.10 log: %q", c.Log)
	}
	n, _ := Representative(Era613)
	p = n.SYNPath()
	if c := p[pathIndex(p, SynQueueFull)]; !strings.Contains(c.Condition, "B+1") || !strings.Contains(c.Log, "<addr>:<port>") {
		t.Errorf("6.13+ SYN-queue check: %+v", c)
	}
	if c := p[pathIndex(p, AcceptQueueFullSyn)]; strings.Contains(c.Condition, "young") {
		t.Errorf("6.13+ must not have the young rule: %q", c.Condition)
	}
	if c := p[pathIndex(p, LastQuarter)]; !strings.Contains(c.Condition, "proven") {
		t.Errorf("6.13+ last quarter must mention proven peers: %q", c.Condition)
	}
}

func TestCounters(t *testing.T) {
	tests := []struct {
		kernel, branch string
		want           []string
	}{
		{"2.6.32-642.6.2.el6", SynQueueFull, nil},
		{"2.6.32-642.6.2.el6", AcceptQueueFullSyn, nil},
		{"2.6.32-642.6.2.el6", AcceptQueueFullAck, []string{"TcpExtListenOverflows", "TcpExtListenDrops"}},
		{"3.10.0-1160.el7", Syncookies, []string{"TcpExtSyncookiesSent", "TcpExtTCPReqQFullDoCookies", "TcpExtListenDrops", "TcpExtSyncookiesRecv", "TcpExtSyncookiesFailed"}},
		{"4.9.115", Syncookies, []string{"TcpExtSyncookiesSent", "TcpExtTCPReqQFullDoCookies", "TcpExtSyncookiesRecv", "TcpExtSyncookiesFailed"}},
		{"5.15", SynQueueFull, []string{"TcpExtTCPReqQFullDrop", "TcpExtListenDrops"}},
		{"5.15", BacklogZero, []string{"TcpExtTCPReqQFullDrop", "TcpExtListenDrops"}},
		{"6.18", BacklogZero, nil},
		{"5.15", PAWSPassive, nil},
		{"4.11", PAWSPassive, []string{"TcpExtPAWSPassive", "TcpExtListenDrops"}},
		{"6.15", PAWSTimewait, []string{"TcpExtPAWSEstab", "TcpExtTCPACKSkippedTimeWait"}},
		{"6.18", PAWSTimewait, []string{"TcpExtPAWSTimewait", "TcpExtTCPACKSkippedTimeWait"}},
		{"3.5", SynToEstablished, []string{"TcpExtTCPAbortOnSyn"}},
		{"3.10.105", BadChecksum, []string{"TcpInErrs", "TcpInCsumErrors"}},
		{"5.15", RxDrop, nil},
		{"5.15", "no_such_branch", nil},
		{"2.6.18", LSMReject, nil},
	}
	for _, tc := range tests {
		if got := model(tc.kernel).Counters(tc.branch); !slices.Equal(got, tc.want) {
			t.Errorf("%s Counters(%s) = %v, want %v", tc.kernel, tc.branch, got, tc.want)
		}
	}
	if c := model("3.10.105").Counters(PreTCPDrop); !slices.Contains(c, "TcpExtTCPBacklogDrop") {
		t.Errorf("≤4.3 pre-TCP drops should include TCPBacklogDrop: %v", c)
	}
	if c := model("5.15").Counters(PreTCPDrop); slices.Contains(c, "TcpExtTCPBacklogDrop") {
		t.Errorf("4.4+ listeners never use the socket backlog for SYNs: %v", c)
	}
}
