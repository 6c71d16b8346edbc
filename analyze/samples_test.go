package analyze

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/halfopen/halfopen/analyze/kernel"
)

// expectedSample is samples/<scenario>/expected.json: what the kernel's
// counters and the client's results say, written by the lab script, never
// from halfopen's output.
type expectedSample struct {
	Scenario  string `json:"scenario"`
	Crafted   bool   `json:"crafted"`
	Listeners []struct {
		Server   string           `json:"server"`
		Branch   string           `json:"branch"`
		Outcomes map[string]int64 `json:"outcomes"`
		Counters map[string]int64 `json:"counters"`
	} `json:"listeners"`
}

func sampleDirs(t *testing.T) []string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join("..", "samples", "*", "expected.json"))
	if len(dirs) == 0 {
		t.Skip("no samples/*/expected.json found")
	}
	for i := range dirs {
		dirs[i] = filepath.Dir(dirs[i])
	}
	sort.Strings(dirs)
	return dirs
}

func readExpected(t *testing.T, dir string) expectedSample {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expectedSample
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return e
}

// TestSamplesWithSnapshots: on every real-kernel sample, each listener's
// outcomes equal what the client saw, its top verdict is the branch the
// kernel's counters confirm, and the counters the lab recorded are the
// deltas halfopen computes from the nstat files.
func TestSamplesWithSnapshots(t *testing.T) {
	for _, dir := range sampleDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			exp := readExpected(t, dir)
			in, err := LoadBundle(dir, SnapshotFiles{})
			if err != nil {
				t.Fatal(err)
			}
			r := Run([]Input{in}, Options{List: ListFailed})
			if k := r.Captures[0].Kernel; k == nil || k.Assumed {
				t.Errorf("kernel = %+v, want it from the sysctl snapshot", k)
			}
			srv := newServer(in.Snapshots)
			for _, el := range exp.Listeners {
				l := listener(t, r, el.Server)
				for o, n := range el.Outcomes {
					if l.Outcomes[o] != n {
						t.Errorf("%s: %s = %d, want %d (all: %v)", el.Server, o, l.Outcomes[o], n, l.Outcomes)
					}
				}
				if sum(el.Outcomes) != l.Attempts {
					t.Errorf("%s: %d attempts, want %d", el.Server, l.Attempts, sum(el.Outcomes))
				}
				for name, want := range el.Counters {
					if got, ok := srv.counter(name); !ok || got != want {
						t.Errorf("counter %s delta = %d (known %v), expected.json says %d", name, got, ok, want)
					}
				}
				if el.Branch == "" {
					for _, v := range l.Verdicts {
						if b, _ := kernel.Lookup(v.Branch); b.Drop {
							t.Errorf("%s: healthy listener got drop verdict %s", el.Server, v.Branch)
						}
					}
					continue
				}
				if len(l.Verdicts) == 0 || l.Verdicts[0].Branch != el.Branch {
					t.Errorf("%s: top verdict %v, want %s", el.Server, branchesOf(l.Verdicts), el.Branch)
					continue
				}
				if c := l.Verdicts[0].Confidence; c < 0.8 {
					t.Errorf("%s: %s confidence %.2f with full snapshots, want ≥ 0.8", el.Server, el.Branch, c)
				}
				if len(l.Verdicts[0].Fix) == 0 {
					t.Errorf("%s: verdict without a fix", el.Server)
				}
			}
		})
	}
}

// TestSamplesCaptureOnly: the same captures without any snapshot give the
// right branch or an honest unknown, never a confident wrong answer, and
// never more confidence than with the snapshots.
func TestSamplesCaptureOnly(t *testing.T) {
	for _, dir := range sampleDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			exp := readExpected(t, dir)
			full, err := LoadBundle(dir, SnapshotFiles{})
			if err != nil {
				t.Fatal(err)
			}
			withSnaps := Run([]Input{full}, Options{})
			bare := Run([]Input{{Path: full.Path}}, Options{})
			for _, el := range exp.Listeners {
				l := listener(t, bare, el.Server)
				if el.Branch == "" {
					for _, v := range l.Verdicts {
						if b, _ := kernel.Lookup(v.Branch); b.Drop {
							t.Errorf("%s: healthy listener got drop verdict %s without snapshots", el.Server, v.Branch)
						}
					}
					continue
				}
				if len(l.Verdicts) == 0 {
					if l.Failed == 0 {
						// The kernel's branch left no failure in these packets
						// (a syncookie answer, a deferred ACK, drops after the
						// capture stopped): nothing to say is the honest answer.
						t.Logf("%s: no failure in the capture, no verdict; snapshots say %s", el.Server, el.Branch)
						continue
					}
					t.Errorf("%s: %d failures and no verdict at all", el.Server, l.Failed)
					continue
				}
				top := l.Verdicts[0]
				ref := listener(t, withSnaps, el.Server).Verdicts[0]
				switch {
				case top.Branch == el.Branch:
					if top.Confidence > ref.Confidence {
						t.Errorf("%s: confidence %.2f without snapshots above %.2f with them", el.Server, top.Confidence, ref.Confidence)
					}
				case top.Branch == kernel.Unknown || top.Confidence <= 0.5:
					t.Logf("%s: capture only says %s (%.2f), snapshots say %s — an honest lower-confidence answer", el.Server, top.Branch, top.Confidence, el.Branch)
				case !isDrop(top.Branch) && !isDrop(el.Branch):
					// e.g. syncookies: the kernel answered statelessly; without
					// counters the capture shows the flood's clients not completing,
					// which is true and accuses the server of nothing.
					t.Logf("%s: capture only says %s (%.2f), snapshots say %s — neither is a server-side drop", el.Server, top.Branch, top.Confidence, el.Branch)
				default:
					t.Errorf("%s: capture only says %s with confidence %.2f, but the kernel says %s", el.Server, top.Branch, top.Confidence, el.Branch)
				}
			}
		})
	}
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

func branchesOf(vs []Verdict) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Branch)
	}
	return out
}

func isDrop(branch string) bool {
	b, _ := kernel.Lookup(branch)
	return b.Drop
}
