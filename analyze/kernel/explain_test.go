package kernel

import (
	"strings"
	"testing"
)

var explainKernels = []string{
	"2.6.18-419.el5", "2.6.18", "2.6.32.69", "2.6.32-642.6.2.el6", "3.0.1", "3.6.5", "3.10.105", "3.10.0-1160.el7",
	"3.14.40", "3.19.8", "4.1.19", "4.4.0-210-generic", "4.4.178", "4.9.115", "4.10.17", "4.11", "4.18.0-240.el8",
	"5.4.214", "5.10.89", "5.14.0-284.11.1.el9_2", "5.15.177", "6.1.119", "6.12.0-55.el10", "6.13", "6.18.44-fc-v669",
}

func allModels(t *testing.T) []Model {
	var ms []Model
	for _, era := range Eras() {
		m, err := Representative(era)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	for _, k := range explainKernels {
		ms = append(ms, model(k))
	}
	return ms
}

func TestExplainEveryBranchEveryEra(t *testing.T) {
	for _, m := range allModels(t) {
		for _, b := range Branches() {
			e, err := Explain(b.Name, m)
			if err != nil {
				t.Fatalf("%s/%s: %v", m.Name, b.Name, err)
			}
			if e.Branch.Name != b.Name || e.Era != m.Era {
				t.Errorf("%s/%s: header %+v %s", m.Name, b.Name, e.Branch, e.Era)
			}
			if e.Condition == "" || e.Signature == "" || e.Confirm == "" || len(e.Fix) == 0 || len(e.Counters) == 0 {
				t.Errorf("%s/%s: incomplete explanation: %+v", m.Name, b.Name, e)
			}
			if b.Drop && e.Applies {
				for i, f := range e.Fix {
					if f.Action == "" || f.Why == "" {
						t.Errorf("%s/%s: fix step %d incomplete: %+v", m.Name, b.Name, i, f)
					}
				}
				if len(e.WontFix) == 0 || len(e.Functions) == 0 {
					t.Errorf("%s/%s: missing WontFix or Functions", m.Name, b.Name)
				}
			}
			for _, s := range append(append([]string{e.Condition, e.Signature, e.Confirm}, e.Notes...), e.Counters...) {
				if strings.Contains(s, "%!") {
					t.Errorf("%s/%s: formatting error in %q", m.Name, b.Name, s)
				}
			}
		}
	}
}

func TestExplainApplies(t *testing.T) {
	tests := []struct {
		kernel, branch string
		applies        bool
	}{
		{"4.11", PAWSPassive, true},
		{"3.10.0-1160.el7", PAWSPassive, true},
		{"4.12", PAWSPassive, false},
		{"6.18", PAWSPassive, false},
		{"5.15", BacklogZero, true},
		{"4.4.178", BacklogZero, true},
		{"5.15.177", BacklogZero, false},
		{"6.13", BacklogZero, false},
		{"3.10.105", BacklogZero, false},
		{"2.6.32-642.6.2.el6", BacklogTruncated, true},
		{"2.6.18", BacklogTruncated, true},
		{"3.8.13", BacklogTruncated, true},
		{"3.10.0-1160.el7", BacklogTruncated, false},
		{"5.15", BacklogTruncated, false},
		{"2.6.18", LSMReject, false},
		{"2.6.32-642.6.2.el6", LSMReject, true},
		{"2.6.18", AcceptQueueFullSyn, true},
	}
	for _, tc := range tests {
		e, err := Explain(tc.branch, model(tc.kernel))
		if err != nil {
			t.Fatal(err)
		}
		if e.Applies != tc.applies {
			t.Errorf("%s %s Applies = %v, want %v", tc.kernel, tc.branch, e.Applies, tc.applies)
		}
	}
}

func TestExplainSpecifics(t *testing.T) {
	all := func(e Explanation) string {
		parts := []string{e.Condition, e.Signature, e.Confirm}
		parts = append(parts, e.Counters...)
		parts = append(parts, e.Notes...)
		parts = append(parts, e.WontFix...)
		for _, f := range e.Fix {
			parts = append(parts, f.Action, f.Command, f.Why)
		}
		return strings.Join(parts, "\n")
	}
	m2618, _ := Representative(Era2618)
	e, _ := Explain(AcceptQueueFullSyn, m2618)
	if !strings.Contains(e.Condition, "young > 1") {
		t.Errorf("2.6.18 accept_queue_full_syn must state the young>1 rule: %q", e.Condition)
	}
	if !strings.Contains(strings.Join(e.Counters, " "), "no counter moves at SYN time") {
		t.Errorf("2.6.18 accept_queue_full_syn must say no counter moves at SYN time: %q", e.Counters)
	}
	if !strings.Contains(all(e), "65535") {
		t.Errorf("2.6.18 accept-queue fix must warn about somaxconn > 65535 truncation")
	}
	if !strings.Contains(e.Fix[0].Action, "somaxconn") || !strings.Contains(e.Fix[1].Command, "nginx") || !strings.Contains(e.Fix[2].Action, "Restart") {
		t.Errorf("accept-queue fix order: %+v", e.Fix)
	}
	if !strings.Contains(strings.Join(e.WontFix, " "), "tcp_max_syn_backlog") {
		t.Errorf("accept-queue WontFix must name tcp_max_syn_backlog: %v", e.WontFix)
	}

	m613, _ := Representative(Era613)
	e, _ = Explain(SynQueueFull, m613)
	if !strings.Contains(e.Condition, "B+1") {
		t.Errorf("6.13+ syn_queue_full must use B+1: %q", e.Condition)
	}
	e, _ = Explain(AcceptQueueFullSyn, m613)
	if strings.Contains(e.Condition, "young") || strings.Contains(all(e), "wrap") {
		t.Errorf("6.13+ accept_queue_full_syn: no young rule and no truncation warning expected: %q", all(e))
	}

	m310, _ := Representative(Era310)
	e, _ = Explain(SynQueueFull, m310)
	if !strings.Contains(e.Condition, "min(B1, tcp_max_syn_backlog)") || !strings.Contains(all(e), "Restart") {
		t.Errorf("RHEL7 syn_queue_full must give the ≤4.3 formula and the restart: %q", all(e))
	}
	if !strings.Contains(strings.Join(e.Counters, " "), "TCPReqQFullDrop") {
		t.Errorf("RHEL7 syn_queue_full counters: %v", e.Counters)
	}
	e, _ = Explain(SynQueueFull, model("2.6.32-642.6.2.el6"))
	if !strings.Contains(strings.Join(e.Counters, " "), "none") {
		t.Errorf("RHEL6 syn_queue_full: no counters expected: %v", e.Counters)
	}
	e, _ = Explain(SynQueueFull, model("5.15"))
	if !strings.Contains(strings.Join(e.WontFix, " "), "tcp_max_syn_backlog") {
		t.Errorf("4.4+ syn_queue_full: raising tcp_max_syn_backlog does not help: %v", e.WontFix)
	}

	e, _ = Explain(LastQuarter, model("5.15"))
	if !strings.Contains(all(e), "tcp_syncookies=1") || !strings.Contains(all(e), "tcp_max_syn_backlog") || !strings.Contains(e.Signature, "recently seen") {
		t.Errorf("last_quarter 5.15: %q", all(e))
	}
	e, _ = Explain(PAWSPassive, model("4.11"))
	if !strings.Contains(e.Fix[0].Command, "tcp_tw_recycle=0") || !strings.Contains(e.Fix[0].Why, "NAT") {
		t.Errorf("paws_passive fix: %+v", e.Fix)
	}
	e, _ = Explain(PAWSTimewait, model("6.18"))
	if !strings.Contains(strings.Join(e.Counters, " "), "PAWSTimewait") || !strings.Contains(strings.Join(e.WontFix, " "), "tcp_tw_reuse") {
		t.Errorf("paws_timewait 6.18: %q", all(e))
	}
	e, _ = Explain(PAWSTimewait, model("5.15"))
	if !strings.Contains(strings.Join(e.Counters, " "), "PAWSEstab") {
		t.Errorf("paws_timewait 5.15 counter: %v", e.Counters)
	}
	e, _ = Explain(AcceptQueueFullAck, m2618)
	if !strings.Contains(e.Signature, "+3, +9, +21, +45, +93 s") {
		t.Errorf("2.6.18 SYN-ACK schedule: %q", e.Signature)
	}
	e, _ = Explain(AcceptQueueFullAck, model("5.15"))
	if !strings.Contains(e.Signature, "+1, +3, +7, +15, +31 s") {
		t.Errorf("5.15 SYN-ACK schedule: %q", e.Signature)
	}
	e, _ = Explain(BacklogZero, model("5.15"))
	if !strings.Contains(all(e), "5.15.177") {
		t.Errorf("backlog_zero should name the fixed stable releases: %q", all(e))
	}

	if _, err := Explain("no_such_branch", m613); err == nil || !strings.Contains(err.Error(), "syn_queue_full") || !strings.Contains(err.Error(), "client_never_acked") {
		t.Errorf("unknown branch error must list the vocabulary: %v", err)
	}
	if e, err := Explain(SynQueueFull, Model{}); err != nil || e.Condition == "" {
		t.Errorf("zero Model should still explain: %v", err)
	}
}

func TestBranches(t *testing.T) {
	want := "syn_queue_full, syncookies, accept_queue_full_syn, accept_queue_full_ack, accept_queue_full_rst, " +
		"last_quarter, paws_passive, paws_timewait, timewait_seq, syn_to_established, syn_to_synrecv, " +
		"defer_accept, backlog_zero, backlog_truncated, broadcast_dst, lsm_reject, request_failure, " +
		"bad_checksum, pre_tcp_drop, rx_drop, synack_lost, closed_port, client_never_acked, unknown"
	var got []string
	for _, b := range Branches() {
		got = append(got, b.Name)
		if b.Title == "" {
			t.Errorf("%s has no title", b.Name)
		}
	}
	if strings.Join(got, ", ") != want {
		t.Errorf("vocabulary:\n got %s\nwant %s", strings.Join(got, ", "), want)
	}
	b, ok := Lookup(PreTCPDrop)
	if !ok || strings.Join(b.IDs, ",") != "B18,B19,B20,B21" || !b.Drop {
		t.Errorf("Lookup(pre_tcp_drop) = %+v", b)
	}
	b.IDs[0] = "X"
	if b2, _ := Lookup(PreTCPDrop); b2.IDs[0] != "B18" {
		t.Error("Lookup must return a copy")
	}
	for name, drop := range map[string]bool{Syncookies: false, SynAckLost: false, ClientNeverAcked: false, AcceptQueueFullSyn: true, ClosedPort: true, RxDrop: true} {
		if b, _ := Lookup(name); b.Drop != drop {
			t.Errorf("%s Drop = %v", name, b.Drop)
		}
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup(nope) should fail")
	}
}
