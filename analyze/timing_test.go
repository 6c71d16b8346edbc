package analyze

import (
	"testing"
	"time"
)

func secs(v ...float64) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, s := range v {
		out[i] = time.Duration(s * float64(time.Second))
	}
	return out
}

func TestFitSchedule(t *testing.T) {
	tests := []struct {
		name    string
		offsets []time.Duration
		want    Schedule
		linear  int
	}{
		{"single SYN", secs(0), ScheduleNone, 0},
		{"Linux 3.7-6.4 client", secs(0, 1, 3, 7, 15, 31, 63), ScheduleExp1s, 1},
		{"Linux with timer lag", secs(0, 1.03, 3.1, 7.2), ScheduleExp1s, 1},
		{"Linux 6.5+ linear retries (measured on 6.18: +1.007, +2.031, +3.059)", secs(0, 1.007, 2.031, 3.059), ScheduleLinear1s, 3},
		{"Linux 6.5+ full", secs(0, 1, 2, 3, 4, 5, 7, 11), ScheduleLinear1s, 5},
		{"Linux <=3.0 / Windows", secs(0, 3, 9, 21, 45), ScheduleExp3s, 1},
		{"Windows two retries", secs(0, 3, 9), ScheduleExp3s, 1},
		{"one retransmit after 1 s", secs(0, 1), ScheduleExp1s, 1},
		{"200 ms RTO (tcp_syn_rto tuned)", secs(0, 0.2, 0.6, 1.4), ScheduleExpOther, 1},
		{"crafted irregular gaps", secs(0, 6.4, 9.3, 12.1), ScheduleIrregular, 0},
		{"equal 2 s gaps", secs(0, 2, 4, 6), ScheduleIrregular, 0},
		{"zero gap", secs(0, 0), ScheduleIrregular, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FitSchedule(tt.offsets)
			if got.Name != tt.want {
				t.Fatalf("FitSchedule(%v) = %q, want %q", tt.offsets, got.Name, tt.want)
			}
			if tt.linear != 0 && got.Linear != tt.linear {
				t.Errorf("linear = %d, want %d", got.Linear, tt.linear)
			}
			if got.Name != ScheduleNone && got.Describe(false) == "" {
				t.Errorf("no description for %q", got.Name)
			}
		})
	}
}

func TestLatencyHistQuantiles(t *testing.T) {
	var h latencyHist
	// 1..1000 ms uniformly: p50 ≈ 500 ms, p90 ≈ 900 ms, p99 ≈ 990 ms.
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.9, 900 * time.Millisecond}, {0.99, 990 * time.Millisecond}} {
		got := h.quantile(c.q)
		if err := float64(got-c.want) / float64(c.want); err < -0.07 || err > 0.07 {
			t.Errorf("quantile(%.2f) = %v, want %v ±7%%", c.q, got, c.want)
		}
	}
	if h.quantile(1) != time.Second || h.max != time.Second {
		t.Errorf("max = %v / %v, want exactly 1s", h.quantile(1), h.max)
	}
	var small latencyHist
	small.add(3 * time.Microsecond)
	if got := small.quantile(0.5); got != 3*time.Microsecond {
		t.Errorf("tiny value: got %v, want 3µs exactly", got)
	}
	var empty latencyHist
	if empty.quantile(0.5) != 0 {
		t.Error("empty histogram should give 0")
	}
	var merged latencyHist
	merged.merge(&h)
	merged.merge(&small)
	if merged.n != 1001 || merged.max != time.Second {
		t.Errorf("merge: n=%d max=%v", merged.n, merged.max)
	}
}

func TestHistIndexMonotonic(t *testing.T) {
	prev := -1
	for us := uint64(0); us < 1<<22; us += 1 + us/50 {
		i := histIndex(us)
		if i < prev {
			t.Fatalf("histIndex(%d) = %d < previous %d", us, i, prev)
		}
		if lo := histLower(i); lo > us {
			t.Fatalf("histLower(%d) = %d above the value %d", i, lo, us)
		}
		if hi := histLower(i + 1); hi <= us {
			t.Fatalf("value %d not below the next bucket's lower bound %d", us, hi)
		}
		prev = i
	}
}
