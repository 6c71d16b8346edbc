//go:build linux

package lab

// TestKernelOracle: the real kernel as the test oracle. It runs seeded
// random scenarios (Generate) in network namespaces, derives the truth per
// attempt from kernel facts only, and scores halfopen with and without the
// snapshots. Needs root, ip netns and the lab's tools; skips, saying why,
// elsewhere.
//
//	HALFOPEN_ORACLE_N=30                   number of seeds (default 3; seeds 1..N)
//	HALFOPEN_ORACLE_SEEDS=7,12,99          exactly these seeds (replay)
//	HALFOPEN_ORACLE_RANDOM=3               add 3 fresh random seeds (printed)
//	HALFOPEN_ORACLE_PARALLEL=2             scenarios at once (1–3)
//	HALFOPEN_ORACLE_REPORT_ONLY=1          print the scores, do not fail
//	HALFOPEN_ORACLE_FLOOR=60               minimum capture-only agreement, %
//	HALFOPEN_ORACLE_KEEP=DIR               copy every failing scenario's bundle to DIR/regress-<seed>

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// captureOnlyFloor is the capture-only agreement (percent) below which the
// oracle fails; raise it as halfopen improves.
const captureOnlyFloor = 85

func TestKernelOracle(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the kernel oracle runs real scenarios (10–25 s each)")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: the kernel oracle creates network namespaces, iptables rules and captures")
	}
	if err := requireTools(); err != nil {
		t.Skipf("kernel oracle: %v", err)
	}
	probe := fmt.Sprintf("%sprobe", namePrefix(os.Getpid()))
	if out, err := exec.Command("ip", "netns", "add", probe).CombinedOutput(); err != nil {
		t.Skipf("kernel oracle: cannot create network namespaces here (ip netns add: %s)", strings.TrimSpace(string(out)))
	}
	_ = exec.Command("ip", "netns", "del", probe).Run()
	RemoveStale()

	seeds, err := oracleSeeds()
	if err != nil {
		t.Fatal(err)
	}
	if len(seeds) == 0 {
		t.Skip("HALFOPEN_ORACLE_N=0 and no HALFOPEN_ORACLE_SEEDS: no scenarios to run")
	}
	parallel := envInt("HALFOPEN_ORACLE_PARALLEL", 2)
	parallel = max(1, min(parallel, 3))
	fmt.Printf("oracle seeds: %s (replay: HALFOPEN_ORACLE_SEEDS=%s go test ./samples/lab -run TestKernelOracle)\n", joinSeeds(seeds), joinSeeds(seeds))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	scores := runOracle(ctx, t, seeds, parallel)
	if ctx.Err() != nil {
		t.Fatal("interrupted; namespaces removed")
	}
	sum := Summarize(scores)
	fmt.Print(sum.Table())
	reportOnly := os.Getenv("HALFOPEN_ORACLE_REPORT_ONLY") == "1"
	floor := float64(envInt("HALFOPEN_ORACLE_FLOOR", captureOnlyFloor))
	if sum.Snap[Wrong] > 0 && !reportOnly {
		t.Errorf("%d attempts with a wrong answer although halfopen had the snapshots (keep one as a sample: sudo go run ./samples/lab/cmd/lab keep --seed N samples/regress-N)", sum.Snap[Wrong])
	}
	if agree := sum.CaptureOnlyAgree(); agree < floor && !reportOnly {
		t.Errorf("capture-only agreement %.0f%% is below the floor %.0f%%", agree, floor)
	}
	fmt.Println(sum.LastLine())
}

// runOracle runs the seeds, parallel at a time, and scores each.
func runOracle(ctx context.Context, t *testing.T, seeds []int64, parallel int) []*Score {
	l := &Lab{}
	work := t.TempDir()
	keep := os.Getenv("HALFOPEN_ORACLE_KEEP")
	var mu sync.Mutex
	var scores []*Score
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for _, seed := range seeds {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if ctx.Err() != nil {
				return
			}
			start := time.Now()
			dir := filepath.Join(work, fmt.Sprintf("seed-%d", seed))
			res, err := l.Execute(ctx, Generate(seed), dir, nil)
			if err != nil {
				t.Errorf("seed %d: %v", seed, err)
				return
			}
			s, err := ScoreBundle(dir, res.Expected)
			if err != nil {
				t.Errorf("seed %d: %v", seed, err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			fmt.Printf("%s (%s, %s)\n", s.Line(), res.Record.Scenario.Spec.Stress, time.Since(start).Round(100*time.Millisecond))
			for _, m := range s.Misses {
				if m.Grade == Wrong {
					fmt.Printf("    %s wrong %s %s %s: want %s, got %s\n", m.Mode, m.Role, m.Client, m.FirstSYN, m.Want, m.Got)
				}
			}
			if s.Snap[Wrong] > 0 && keep != "" {
				if err := copyDir(dir, filepath.Join(keep, fmt.Sprintf("regress-%d", seed))); err != nil {
					t.Errorf("keep seed %d: %v", seed, err)
				}
			}
			scores = append(scores, s)
		}()
	}
	wg.Wait()
	sort.Slice(scores, func(i, j int) bool { return scores[i].Seed < scores[j].Seed })
	return scores
}

// oracleSeeds reads the seed list from the environment.
func oracleSeeds() ([]int64, error) {
	var seeds []int64
	if s := os.Getenv("HALFOPEN_ORACLE_SEEDS"); s != "" {
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
			if err != nil || n == 0 {
				return nil, fmt.Errorf("HALFOPEN_ORACLE_SEEDS: bad seed %q", f)
			}
			seeds = append(seeds, n)
		}
	} else {
		for i := 1; i <= envInt("HALFOPEN_ORACLE_N", 3); i++ {
			seeds = append(seeds, int64(i))
		}
	}
	for range envInt("HALFOPEN_ORACLE_RANDOM", 0) {
		seeds = append(seeds, 1000+rand.Int64N(1<<40))
	}
	return seeds, nil
}

func joinSeeds(seeds []int64) string {
	var s []string
	for _, n := range seeds {
		s = append(s, strconv.FormatInt(n, 10))
	}
	return strings.Join(s, ",")
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func copyDir(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
