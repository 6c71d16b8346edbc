package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/halfopen/halfopen/analyze"
)

// progress draws a one-line progress bar on stderr while captures are read:
// bytes read of the total, packets-independent throughput and an ETA. It
// draws only when stderr is a terminal (or --progress always), never in CI
// logs, and at most every 100 ms.
type progress struct {
	e        *env
	on       bool
	total    int64
	start    time.Time
	mu       sync.Mutex
	consumed []int64 // bytes consumed per input
	lastDraw time.Time
}

func newProgress(e *env, mode string, inputs []analyze.Input, quiet bool) *progress {
	p := &progress{e: e, start: time.Now(), consumed: make([]int64, len(inputs))}
	switch mode {
	case "always":
		p.on = true
	case "never":
		p.on = false
	default:
		p.on = !quiet && e.isTerminal(e.stderr)
	}
	for _, in := range inputs {
		if st, err := os.Stat(in.Path); err == nil && !st.IsDir() {
			p.total += st.Size()
		}
	}
	return p
}

// update records input i's progress; safe from several reading goroutines.
func (p *progress) update(i int, consumed int64) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.consumed[i] = consumed
	now := time.Now()
	if now.Sub(p.lastDraw) < 100*time.Millisecond {
		return
	}
	p.lastDraw = now
	var sum int64
	for _, d := range p.consumed {
		sum += d
	}
	elapsed := now.Sub(p.start).Seconds()
	rate := float64(sum) / max(elapsed, 1e-3)
	line := fmt.Sprintf("reading %s", mb(sum))
	if p.total > 0 {
		frac := min(float64(sum)/float64(p.total), 1)
		const width = 30
		filled := int(frac * width)
		bar := ""
		for k := range width {
			if k < filled {
				bar += "█"
			} else {
				bar += "░"
			}
		}
		eta := time.Duration(float64(p.total-sum) / max(rate, 1) * float64(time.Second)).Round(time.Second)
		line = fmt.Sprintf("%s %3.0f%% %s of %s, %s/s, ETA %s", bar, frac*100, mb(sum), mb(p.total), mb(int64(rate)), eta)
	}
	fmt.Fprintf(p.e.stderr, "\r\x1b[K%s", line)
}

// done clears the bar.
func (p *progress) done() {
	if p.on && !p.lastDraw.IsZero() {
		fmt.Fprint(p.e.stderr, "\r\x1b[K")
	}
}

func mb(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KB", n>>10)
}
