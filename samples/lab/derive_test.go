//go:build linux

package lab

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestDeriveReproducesSamples: the truth rules, run again on every
// committed sample's lab.json and capture, give the committed
// expected.json (no root needed). A change to the rules that moves a
// sample's truth fails here until the sample is re-derived on purpose
// (go run ./samples/lab/cmd/lab truth samples/NAME).
func TestDeriveReproducesSamples(t *testing.T) {
	labs, _ := filepath.Glob(filepath.Join("..", "*", labFile))
	if len(labs) == 0 {
		t.Skip("no samples/*/lab.json")
	}
	for _, l := range labs {
		src := filepath.Dir(l)
		t.Run(filepath.Base(src), func(t *testing.T) {
			want, err := ReadExpected(filepath.Join(src, "expected.json"))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := copyDir(src, dir); err != nil {
				t.Fatal(err)
			}
			res, err := Derive(dir)
			if err != nil {
				t.Fatal(err)
			}
			got := res.Expected
			if len(got.Attempts) != len(want.Attempts) {
				t.Fatalf("%d attempts, expected.json has %d", len(got.Attempts), len(want.Attempts))
			}
			for i := range got.Attempts {
				g, w := got.Attempts[i], want.Attempts[i]
				if g.Client != w.Client || !reflect.DeepEqual(g.Outcomes, w.Outcomes) || !reflect.DeepEqual(g.Branches, w.Branches) || g.Certain != w.Certain {
					t.Errorf("attempt %s: derived %v %v certain=%v, expected.json %v %v certain=%v", w.Client, g.Outcomes, g.Branches, g.Certain, w.Outcomes, w.Branches, w.Certain)
				}
			}
			for i := range got.Listeners {
				if i < len(want.Listeners) && got.Listeners[i].Branch != want.Listeners[i].Branch {
					t.Errorf("listener %s: branch %q, expected.json %q", got.Listeners[i].Server, got.Listeners[i].Branch, want.Listeners[i].Branch)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
				t.Errorf("no README.md written: %v", err)
			}
		})
	}
}

// TestReadWireCounts: the lab's own capture reader sees the duplicated
// frames of the bridge sample and none in a single-interface capture.
func TestReadWireCounts(t *testing.T) {
	dup, err := ReadWire(filepath.Join("..", "duplicated-frames", "capture.pcap"))
	if err != nil {
		t.Skip(err)
	}
	if dup.LinkType != "sll2" || dup.Duplicates == 0 {
		t.Errorf("duplicated-frames: link %s, %d duplicates; want sll2 with duplicates", dup.LinkType, dup.Duplicates)
	}
	one, err := ReadWire(filepath.Join("..", "healthy", "capture.pcap"))
	if err != nil {
		t.Skip(err)
	}
	if one.LinkType != "ethernet" || one.Duplicates != 0 || len(one.Attempts) != 20 {
		t.Errorf("healthy: link %s, %d duplicates, %d attempts; want ethernet, 0, 20", one.LinkType, one.Duplicates, len(one.Attempts))
	}
}
