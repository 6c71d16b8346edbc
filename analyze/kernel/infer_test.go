package kernel

import (
	"strings"
	"testing"
	"time"
)

func set(keys ...string) func(string) bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return func(k string) bool { return m[k] }
}

// complete nstat -az snapshot markers (present in every era).
var baseCounters = []string{"TcpExtSyncookiesSent", "TcpExtPAWSActive", "TcpExtListenOverflows", "TcpExtListenDrops"}

func TestInferEra(t *testing.T) {
	tests := []struct {
		name    string
		sysctl  []string
		ctr     []string
		rto     time.Duration
		want    EraRange
		conflct bool
	}{
		{"nothing known", nil, nil, 0, EraRange{Era2618, Era613}, false},
		{"tw_recycle present, ReqQFullDrop absent → 2.6.x",
			[]string{"net.core.somaxconn", "net.ipv4.tcp_tw_recycle"}, append([]string{"TcpExtPAWSPassive"}, baseCounters...), 0,
			EraRange{Era2618, Era2632}, false},
		{"same plus 1 s RTO → RHEL6 era",
			[]string{"net.core.somaxconn", "net.ipv4.tcp_tw_recycle"}, append([]string{"TcpExtPAWSPassive"}, baseCounters...), 1020 * time.Millisecond,
			EraRange{Era2632, Era2632}, false},
		{"3 s RTO alone", nil, nil, 3400 * time.Millisecond, EraRange{Era2618, Era2632}, false},
		{"1 s RTO alone", nil, nil, time.Second, EraRange{Era2632, Era613}, false},
		{"tcp_migrate_req → ≥4.12", []string{"net.ipv4.tcp_migrate_req"}, nil, 0, EraRange{Era412, Era613}, false},
		{"PAWSTimewait counter → 6.13+", nil, []string{"TcpExtPAWSTimewait"}, 0, EraRange{Era613, Era613}, false},
		{"full 6.18 snapshot",
			[]string{"net.core.somaxconn", "net.ipv4.tcp_migrate_req", "net.ipv4.tcp_syn_linear_timeouts", "net.ipv4.tcp_rto_max_ms", "net.ipv4.tcp_invalid_ratelimit", "net.ipv4.tcp_challenge_ack_limit"},
			append([]string{"TcpExtPAWSTimewait", "TcpExtTCPReqQFullDrop", "TcpInCsumErrors", "TcpExtTCPMigrateReqSuccess", "TcpExtTCPAORequired"}, baseCounters...), time.Second,
			EraRange{Era613, Era613}, false},
		{"RHEL7-like snapshot",
			[]string{"net.core.somaxconn", "net.ipv4.tcp_tw_recycle", "net.ipv4.tcp_challenge_ack_limit"},
			append([]string{"TcpExtPAWSPassive", "TcpExtTCPReqQFullDrop", "TcpInCsumErrors"}, baseCounters...), time.Second,
			EraRange{Era310, Era310}, false},
		{"tw_recycle absent, linear timeouts absent → 4.12–6.4",
			[]string{"net.core.somaxconn", "net.ipv4.tcp_migrate_req", "net.ipv4.tcp_invalid_ratelimit", "net.ipv4.tcp_challenge_ack_limit"}, nil, 0,
			EraRange{Era412, Era412}, false},
		{"linear timeouts present, PAWSTimewait absent",
			[]string{"net.core.somaxconn", "net.ipv4.tcp_syn_linear_timeouts", "net.ipv4.tcp_migrate_req", "net.ipv4.tcp_invalid_ratelimit", "net.ipv4.tcp_challenge_ack_limit"},
			append([]string{"TcpExtTCPReqQFullDrop", "TcpInCsumErrors"}, baseCounters...), 0,
			EraRange{Era412, Era613}, false},
		{"4.9 snapshot",
			[]string{"net.core.somaxconn", "net.ipv4.tcp_tw_recycle", "net.ipv4.tcp_invalid_ratelimit", "net.ipv4.tcp_challenge_ack_limit"},
			append([]string{"TcpExtPAWSPassive", "TcpExtTCPReqQFullDrop", "TcpInCsumErrors", "TcpExtTCPACKSkippedSynRecv"}, baseCounters...), time.Second,
			EraRange{Era310, Era410}, false},
		{"netstat -s style snapshot: absence not used",
			nil, []string{"TcpExtListenDrops", "TcpExtSyncookiesSent"}, 0, EraRange{Era2618, Era613}, false},
		{"bare field names and slashed sysctl keys",
			[]string{"net/core/somaxconn", "net/ipv4/tcp_tw_recycle"}, []string{"PAWSPassive", "SyncookiesSent", "PAWSActive", "TCPReqQFullDrop"}, 0,
			EraRange{Era310, Era310}, false},
		{"conflict: tw_recycle present with PAWSTimewait",
			[]string{"net.ipv4.tcp_tw_recycle"}, []string{"TcpExtPAWSTimewait"}, 0,
			EraRange{Era2618, Era410}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var sys, ctr func(string) bool
			if tc.sysctl != nil {
				sys = set(tc.sysctl...)
			}
			if tc.ctr != nil {
				ctr = set(tc.ctr...)
			}
			got, clues := InferEra(sys, ctr, tc.rto)
			if got != tc.want {
				t.Errorf("InferEra = %+v, want %+v; clues:\n%v", got, tc.want, clues)
			}
			conflict := false
			for _, c := range clues {
				if strings.Contains(c.What, "ignored") {
					conflict = true
				}
				if eraIndex(c.Range.Lo) < 0 || eraIndex(c.Range.Hi) < 0 || eraIndex(c.Range.Lo) > eraIndex(c.Range.Hi) {
					t.Errorf("bad clue range %+v", c)
				}
			}
			if conflict != tc.conflct {
				t.Errorf("conflict = %v, want %v; clues %v", conflict, tc.conflct, clues)
			}
			if tc.name != "nothing known" && len(clues) == 0 && tc.want != (EraRange{Era2618, Era613}) {
				t.Errorf("expected clues")
			}
		})
	}
	r := EraRange{Era310, Era410}
	if !r.Contains(Era44) || r.Contains(Era412) || r.Pinned() || !(EraRange{Era613, Era613}).Pinned() {
		t.Error("EraRange helpers")
	}
}
