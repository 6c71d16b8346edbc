package kernel

import (
	"reflect"
	"testing"
	"time"
)

func TestSynQueueCapacity(t *testing.T) {
	tests := []struct {
		name   string
		kernel string
		b1, m  int
		want   int
	}{
		// B01 worked examples, 2.6.20–4.3 (F2).
		{"F2 B1=128 M=256", "3.10.105", 128, 256, 256},
		{"F2 B1=128 M=2048", "3.10.105", 128, 2048, 256},
		{"F2 B1=511", "2.6.32-754.el6", 511, 1024, 512},
		{"F2 B1=512 M=512", "4.3.3", 512, 512, 1024},
		{"F2 B1=512 M=4096", "3.10.0-1160.el7", 512, 4096, 1024},
		{"F2 B1=5 min 16", "3.10.105", 5, 1024, 16},
		{"F2 B1=0 min 16", "4.1.19", 0, 1024, 16},
		{"F2 M smaller than B1", "3.10.105", 4096, 100, 128},
		{"F2 negative B1 is huge", "3.10.105", -1, 256, 512},
		// 2.6.18 (F1): independent of the backlog.
		{"F1 M=256", "2.6.18-419.el5", 5, 256, 256},
		{"F1 M=100", "2.6.18", 4096, 100, 128},
		{"F1 M=10 min 64", "2.6.18", 128, 10, 64},
		// 4.4–6.12 (F3): Qs = B.
		{"F3 B=128", "5.15", 128, 2048, 128},
		{"F3 B=0", "4.9.115", 0, 2048, 0},
		{"F3 B=4096", "6.1.124", 4096, 128, 4096},
		// 6.13+ (F4): Qs = B+1.
		{"F4 B=128", "6.18", 128, 2048, 129},
		{"F4 B=0", "6.13", 0, 2048, 1},
		{"F4 stable 5.15.177", "5.15.177", 128, 2048, 129},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := model(tc.kernel).SynQueueCapacity(tc.b1, tc.m); got != tc.want {
				t.Errorf("%s SynQueueCapacity(%d, %d) = %d, want %d", tc.kernel, tc.b1, tc.m, got, tc.want)
			}
		})
	}
}

func TestLastQuarter(t *testing.T) {
	m := model("5.15")
	for _, tc := range []struct{ M, threshold int }{{128, 96}, {256, 192}, {1024, 768}, {4096, 3072}, {0, 0}, {3, 3}} {
		if got := m.LastQuarterThreshold(tc.M); got != tc.threshold {
			t.Errorf("LastQuarterThreshold(%d) = %d, want %d", tc.M, got, tc.threshold)
		}
	}
	// B05: M=128 → unproven clients get 97 request socks (threshold 96).
	if got := m.LastQuarterThreshold(128) + 1; got != 97 {
		t.Errorf("capacity for unproven peers at M=128 = %d, want 97", got)
	}
	tests := []struct {
		kernel string
		b1, M  int
		want   bool
	}{
		{"3.10.105", 128, 256, true},   // Qs=256 > 192: fires at qlen ≥ 193
		{"3.10.105", 128, 1024, false}, // Qs=256, T=768: never
		{"2.6.18", 128, 1024, true},    // Qs ≥ M always
		{"2.6.18", 128, 64, true},
		{"5.15", 1000, 1024, true},   // B=1000 > T+1=769
		{"5.15", 769, 1024, false},   // qlen max 768 = T: cannot exceed
		{"5.15", 770, 1024, true},    // qlen 769 > 768
		{"5.15", 128, 128, true},     // T=96, Qs=128
		{"5.15", 4096, 16384, false}, // default-ish modern box
		{"6.18", 769, 1024, true},    // Qs = B+1 = 770: qlen 769 > 768
	}
	for _, tc := range tests {
		if got := model(tc.kernel).LastQuarterCanFire(tc.b1, tc.M); got != tc.want {
			t.Errorf("%s LastQuarterCanFire(%d, %d) = %v, want %v", tc.kernel, tc.b1, tc.M, got, tc.want)
		}
	}
}

func TestEffectiveBacklog(t *testing.T) {
	tests := []struct {
		kernel         string
		arg, somaxconn int
		want           int
		trunc          bool
	}{
		{"3.10.0-1160.el7", 511, 128, 128, false},
		{"3.10.0-1160.el7", 100, 128, 100, false},
		{"3.10.0-1160.el7", -1, 128, 128, false},
		{"3.10.0-1160.el7", -1, 70000, 65535, false}, // clamped kernel: cannot exceed 65535
		{"2.6.32-642.6.2.el6", -1, 65536, 0, true},   // B14: wraps to 0
		{"2.6.32-642.6.2.el6", 70000, 70000, 4464, true},
		{"2.6.18", -1, 65535, 65535, false},
		{"3.0.1", -1, 131072, 0, true},
		{"5.15", -1, 196602, 196602, false}, // 32-bit field
		{"5.15", 0, 4096, 0, false},
		{"5.15", 511, -5, 0, false},
	}
	for _, tc := range tests {
		b, tr := model(tc.kernel).EffectiveBacklog(tc.arg, tc.somaxconn)
		if b != tc.want || tr != tc.trunc {
			t.Errorf("%s EffectiveBacklog(%d, %d) = %d, %v; want %d, %v", tc.kernel, tc.arg, tc.somaxconn, b, tr, tc.want, tc.trunc)
		}
	}
	for _, k := range []string{"2.6.18", "3.10.0-1160.el7", "5.15", "6.18"} {
		if got := model(k).AcceptQueueCapacity(128); got != 129 {
			t.Errorf("%s AcceptQueueCapacity(128) = %d, want 129", k, got)
		}
		if got := model(k).AcceptQueueCapacity(0); got != 1 {
			t.Errorf("%s AcceptQueueCapacity(0) = %d, want 1", k, got)
		}
	}
}

func secsList(xs ...float64) []time.Duration {
	out := make([]time.Duration, len(xs))
	for i, x := range xs {
		out[i] = time.Duration(x * float64(time.Second))
	}
	return out
}

func TestSynAckTimers(t *testing.T) {
	tests := []struct {
		kernel   string
		retries  int
		offsets  []time.Duration
		lifetime time.Duration
	}{
		{"5.15", 5, secsList(1, 3, 7, 15, 31), 63 * time.Second},
		{"3.10.0-1160.el7", -1, secsList(1, 3, 7, 15, 31), 63 * time.Second},
		{"2.6.32-754.el6", 5, secsList(1, 3, 7, 15, 31), 63 * time.Second},
		{"2.6.32.69", 5, secsList(3, 9, 21, 45, 93), 189 * time.Second},
		{"2.6.18-419.el5", 5, secsList(3, 9, 21, 45, 93), 189 * time.Second},
		{"3.0.1", 2, secsList(3, 9), 21 * time.Second},
		{"6.18", 0, secsList(), time.Second},
		// 120 s cap on each interval: 3,6,12,24,48,96,120(not 192) and one more 120 before discard.
		{"2.6.32.69", 7, secsList(3, 9, 21, 45, 93, 189, 309), 429 * time.Second},
		// 1 s RTO, 8 retries: 1,2,4,8,16,32,64,120(cap from 128), then 120.
		{"5.15", 8, secsList(1, 3, 7, 15, 31, 63, 127, 247), 367 * time.Second},
	}
	for _, tc := range tests {
		m := model(tc.kernel)
		if got := m.SynAckOffsets(tc.retries); !reflect.DeepEqual(got, tc.offsets) {
			t.Errorf("%s SynAckOffsets(%d) = %v, want %v", tc.kernel, tc.retries, got, tc.offsets)
		}
		if got := m.SynAckLifetime(tc.retries); got != tc.lifetime {
			t.Errorf("%s SynAckLifetime(%d) = %v, want %v", tc.kernel, tc.retries, got, tc.lifetime)
		}
	}
}
