package analyze

import (
	"strings"
	"testing"
)

func gateReport() *Report {
	return &Report{
		Totals: Totals{Attempts: 200, Failed: 7, Outcomes: map[string]int64{"established": 190, "unanswered": 5, "ack_ignored": 2, "incomplete": 3}},
		Listeners: []Listener{
			{Server: "10.0.0.1:80", Attempts: 100, Failed: 6, FailureRate: 0.06, Branches: map[string]int64{"accept_queue_full_syn": 5, "accept_queue_full_ack": 1}},
			{Server: "10.0.0.1:443", Attempts: 100, Failed: 1, FailureRate: 0.01, Branches: map[string]int64{"unknown": 1}},
		},
	}
}

func TestGates(t *testing.T) {
	r := gateReport()
	tests := []struct {
		cond string
		trip string // substring of the reason; "" = does not trip
	}{
		{"unanswered", "5 attempts ended unanswered"},
		{"reset", ""},
		{"failed", "7 attempts failed"},
		{"outcome=reset,ack_ignored", "2 attempts ended ack_ignored"},
		{"outcome=reset", ""},
		{"branch=accept_queue_full_*", "10.0.0.1:80: 1 attempts blamed on accept_queue_full_ack"},
		{"branch=syn_queue_full", ""},
		{"rate>5%", "10.0.0.1:80: failure rate 6.00%"},
		{"rate>6%", ""},
		{"rate>=6%", "10.0.0.1:80"},
		{"rate>0.5%", "10.0.0.1:80"},
		{"rate > 0.05", "10.0.0.1:80"},
		{"unanswered>0", "unanswered = 5, > 0"},
		{"unanswered>5", ""},
		{"failed>=7", "failed = 7"},
		{"attempts<10", ""},
		{"incomplete=3", "incomplete = 3"},
	}
	for _, tt := range tests {
		g, err := ParseGate(tt.cond)
		if err != nil {
			t.Fatalf("ParseGate(%q): %v", tt.cond, err)
		}
		got := g.Check(r)
		switch {
		case tt.trip == "" && got != "":
			t.Errorf("%q tripped: %s", tt.cond, got)
		case tt.trip != "" && !strings.Contains(got, tt.trip):
			t.Errorf("%q: reason %q, want it to contain %q", tt.cond, got, tt.trip)
		}
	}
}

func TestParseGateErrors(t *testing.T) {
	for _, bad := range []string{"", "bogus", "outcome=nope", "branch=[", "rate>x", "failed>5%", "speed>3"} {
		if _, err := ParseGate(bad); err == nil {
			t.Errorf("ParseGate(%q) accepted", bad)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseGate(%q) error is not one line: %q", bad, err)
		}
	}
}

func TestCheckGatesOrderAndPrefix(t *testing.T) {
	var gates []Gate
	for _, c := range []string{"ack_ignored", "reset", "unanswered"} {
		g, _ := ParseGate(c)
		gates = append(gates, g)
	}
	got := CheckGates(gates, gateReport())
	if len(got) != 2 || !strings.HasPrefix(got[0], "--fail-on ack_ignored:") || !strings.HasPrefix(got[1], "--fail-on unanswered:") {
		t.Fatalf("CheckGates = %q", got)
	}
}
