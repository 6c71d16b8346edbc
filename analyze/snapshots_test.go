package analyze

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyBundle copies a sample bundle into a temporary directory, renaming
// files as rename says (old name → new name; "" drops the file).
func copyBundle(t *testing.T, sample string, rename map[string]string) string {
	t.Helper()
	src := filepath.Join("..", "samples", sample)
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Skipf("sample %s: %v", sample, err)
	}
	for _, e := range entries {
		name := e.Name()
		if n, ok := rename[name]; ok {
			name = n
		}
		if name == "" || e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestBundleCounterOrder: nstat files whose names sort "after" before
// "before", or whose names lie, still give the right deltas and verdict;
// snapshots that contradict each other give none, with a warning.
func TestBundleCounterOrder(t *testing.T) {
	const sample = "accept-queue-full-syn"
	cases := []struct {
		name      string
		rename    map[string]string
		wantWarn  string // "" when no warning about the order is expected
		wantDelta bool
	}{
		{"before-after names", map[string]string{"nstat-1-before.txt": "nstat-before.txt", "nstat-2-after.txt": "nstat-after.txt"}, "", true},
		{"swapped names", map[string]string{"nstat-1-before.txt": "nstat-after.txt", "nstat-2-after.txt": "nstat-before.txt"}, "taken as the earlier snapshot", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyBundle(t, sample, c.rename)
			in, err := LoadBundle(dir, SnapshotFiles{})
			if err != nil {
				t.Fatal(err)
			}
			r := Run([]Input{in}, Options{})
			warn := strings.Join(r.Captures[0].Warnings, "\n")
			if c.wantWarn == "" && strings.Contains(warn, "counter snapshots") {
				t.Errorf("unexpected order warning: %s", warn)
			}
			if c.wantWarn != "" && !strings.Contains(warn, c.wantWarn) {
				t.Errorf("warnings %q lack %q", warn, c.wantWarn)
			}
			srv := newServer(in.Snapshots)
			if lo, ok := srv.counter("TcpExtListenOverflows"); !ok || lo <= 0 {
				t.Errorf("ListenOverflows delta = %d (known %v), want > 0", lo, ok)
			}
			l := listener(t, r, "10.77.0.1:8080")
			if len(l.Verdicts) == 0 || l.Verdicts[0].Branch != "accept_queue_full_syn" {
				t.Errorf("verdicts %v, want accept_queue_full_syn first", branchesOf(l.Verdicts))
			}
		})
	}
}

// TestBundleCounterContradiction: counters from another boot (or host)
// than the first snapshot are not evidence: a warning, no counter line.
func TestBundleCounterContradiction(t *testing.T) {
	dir := copyBundle(t, "accept-queue-full-syn", nil)
	// A reboot between the snapshots: TcpPassiveOpens restarted from zero
	// while ListenOverflows grew on the new boot.
	before := filepath.Join(dir, "nstat-1-before.txt")
	b, err := os.ReadFile(before)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "TcpPassiveOpens") {
		t.Skip("sample's before snapshot lacks TcpPassiveOpens")
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "TcpPassiveOpens" {
			line = "TcpPassiveOpens                 9000               0.0"
		}
		out = append(out, line)
	}
	if err := os.WriteFile(before, []byte(strings.Join(out, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := LoadBundle(dir, SnapshotFiles{})
	if err != nil {
		t.Fatal(err)
	}
	r := Run([]Input{in}, Options{})
	warn := strings.Join(r.Captures[0].Warnings, "\n")
	if !strings.Contains(warn, "not used as evidence") {
		t.Errorf("warnings %q lack the contradiction", warn)
	}
	for _, v := range listener(t, r, "10.77.0.1:8080").Verdicts {
		for _, e := range v.Evidence {
			if e.Kind == "counter" {
				t.Errorf("verdict %s still cites counters: %s", v.Branch, e.Text)
			}
		}
	}
}

// TestActiveSpan: a listener's timeline leaves out the odd attempt
// stamped decades away, never a real stretch of activity.
func TestActiveSpan(t *testing.T) {
	per := map[int64]*secondCount{}
	for s := int64(1_750_000_000); s < 1_750_000_600; s++ {
		per[s] = &secondCount{attempts: 3}
	}
	per[4_100_000_000] = &secondCount{attempts: 1} // 2100
	per[1] = &secondCount{attempts: 1}             // 1970
	if f, l := activeSpan(per); f != 1_750_000_000 || l != 1_750_000_599 {
		t.Errorf("span %d–%d, want the 600 busy seconds", f, l)
	}
	// Two busy stretches a week apart are both real.
	for s := int64(1_750_604_800); s < 1_750_605_400; s++ {
		per[s] = &secondCount{attempts: 3}
	}
	if f, l := activeSpan(per); f != 1_750_000_000 || l != 1_750_605_399 {
		t.Errorf("span %d–%d, want both stretches", f, l)
	}
}

// TestBundleManyCounterFiles: a bundle of a long collect run, with more
// counter snapshots than are read, keeps the first and the last by name,
// and says so.
func TestBundleManyCounterFiles(t *testing.T) {
	dir := copyBundle(t, "accept-queue-full-syn", map[string]string{"nstat-1-before.txt": "nstat-0000.txt", "nstat-2-after.txt": "nstat-9999.txt"})
	filler, err := os.ReadFile(filepath.Join(dir, "nstat-0000.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= MaxBundleCounterFiles; i++ {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("nstat-%04d.txt", i)), filler, 0o644)
	}
	b, err := readBundleDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.counters) != MaxBundleCounterFiles || filepath.Base(b.counters[0]) != "nstat-0000.txt" || filepath.Base(b.counters[len(b.counters)-1]) != "nstat-9999.txt" {
		t.Errorf("%d counter files read, first %s, last %s", len(b.counters), b.counters[0], b.counters[len(b.counters)-1])
	}
	if len(b.notes) != 1 || !strings.Contains(b.notes[0], "1026 counter snapshots; the first 512 and the last 512") {
		t.Errorf("notes %q", b.notes)
	}
}
