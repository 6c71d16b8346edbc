package collect

import (
	"strings"
	"testing"
)

// TestNewPlan: the parts' caps fit inside --max-size, each snapshot series
// stays well under what analyze reads, a short disk shrinks the plan
// (saying so) and a disk too short for a useful bundle refuses it.
func TestNewPlan(t *testing.T) {
	const big = 1 << 40
	tests := []struct {
		name            string
		maxSize         int64
		archive         bool
		avail, fsSize   int64
		wantTotal       int64 // 0: refused
		wantShrunk      bool
		wantFloor       int64
		wantErrContains string
	}{
		{"default on a big disk", DefaultMaxSize, true, big / 2, big, DefaultMaxSize, false, maxFloor, ""},
		{"largest on a big disk", MaxMaxSize, false, big / 2, big, MaxMaxSize, false, maxFloor, ""},
		{"smallest", MinMaxSize, true, big / 2, big, MinMaxSize, false, maxFloor, ""},
		{"2 MB tmpfs, archive", DefaultMaxSize, true, 2 << 20, 2 << 20, (2<<20 - minFloor) * 2 / 3, true, minFloor, ""},
		{"2 MB tmpfs, directory", DefaultMaxSize, false, 2 << 20, 2 << 20, (2<<20 - minFloor) * 4 / 5, true, minFloor, ""},
		{"10 GB disk, 1 GB free", DefaultMaxSize, true, 1 << 30, 10 << 30, DefaultMaxSize, false, 512 << 20, ""},
		{"10 GB disk, 700 MB free", DefaultMaxSize, true, 700 << 20, 10 << 30, (700<<20 - 512<<20) * 2 / 3, true, 512 << 20, ""},
		{"10 GB disk, 300 MB free: under the floor", DefaultMaxSize, true, 300 << 20, 10 << 30, 0, false, 512 << 20, "512.0MB left free for the server"},
		{"512 KB tmpfs", DefaultMaxSize, true, 512 << 10, 512 << 10, 0, false, minFloor, "collect needs at least"},
		{"full disk", DefaultMaxSize, true, 0, big, 0, false, maxFloor, "free some space or write elsewhere with -o"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newPlan(tt.maxSize, tt.archive, tt.avail, tt.fsSize)
			if p.floor != tt.wantFloor {
				t.Errorf("floor = %d, want %d", p.floor, tt.wantFloor)
			}
			if tt.wantTotal <= 0 {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrContains) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("err = %v, want one line containing %q", err, tt.wantErrContains)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.total != tt.wantTotal || (p.shrunk != "") != tt.wantShrunk {
				t.Fatalf("total %d shrunk %q, want %d shrunk=%v", p.total, p.shrunk, tt.wantTotal, tt.wantShrunk)
			}
			p.setCapture(p.oneShots, 4<<10) // one-shots used their whole share
			if sum := manifestReserve + p.oneShots + p.endShots + p.ss + p.nstat + p.capture; sum > p.total {
				t.Errorf("parts add up to %d, over the total %d: %+v", sum, p.total, p)
			}
			if p.capture < p.total/5 {
				t.Errorf("the capture gets %d of %d: the snapshots crowd it out", p.capture, p.total)
			}
			for name, v := range map[string]int64{"ss": p.ss, "nstat": p.nstat, "one-shots": p.oneShots} {
				if v > analyzeSnapshotLimit/2 {
					t.Errorf("%s share %d is not well under analyze's %d", name, v, analyzeSnapshotLimit)
				}
			}
			if p.ssKept() >= p.ss {
				t.Errorf("ss keeps %d of its share %d: no room for the merge", p.ssKept(), p.ss)
			}
		})
	}
}

// TestCheckMaxSize: the library refuses what the flag parser refuses.
func TestCheckMaxSize(t *testing.T) {
	for _, n := range []int64{-1, 0, 1, MinMaxSize - 1, MaxMaxSize + 1, 1 << 62} {
		if CheckMaxSize(n) == nil {
			t.Errorf("CheckMaxSize(%d) accepted it", n)
		}
	}
	for _, n := range []int64{MinMaxSize, DefaultMaxSize, MaxMaxSize} {
		if err := CheckMaxSize(n); err != nil {
			t.Errorf("CheckMaxSize(%d): %v", n, err)
		}
	}
}
