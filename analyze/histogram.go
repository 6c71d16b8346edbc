package analyze

import (
	"math"
	"math/bits"
	"time"
)

// latencyHist is a log-linear histogram of durations: 16 sub-buckets per
// power of two (≤ 6 % error), fixed size, so percentiles are deterministic
// and need no list of samples. Max is exact.
type latencyHist struct {
	counts [64 * 16]uint32
	n      uint64
	max    time.Duration
}

const histSub = 16

func histIndex(us uint64) int {
	if us < histSub {
		return int(us)
	}
	exp := 63 - bits.LeadingZeros64(us) // ≥ 4
	sub := (us >> (exp - 4)) & (histSub - 1)
	return (exp-3)*histSub + int(sub)
}

// histLower is the smallest value (µs) of bucket i.
func histLower(i int) uint64 {
	if i < histSub {
		return uint64(i)
	}
	exp := i/histSub + 3
	sub := uint64(i % histSub)
	return (histSub + sub) << (exp - 4)
}

func (h *latencyHist) add(d time.Duration) {
	if d < 0 {
		return
	}
	us := uint64(d / time.Microsecond)
	h.counts[min(histIndex(us), len(h.counts)-1)]++
	h.n++
	h.max = max(h.max, d)
}

func (h *latencyHist) merge(o *latencyHist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the value at quantile q (0..1): the midpoint of the
// bucket holding it, never above the exact maximum.
func (h *latencyHist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = max(rank, 1)
	if rank >= h.n {
		return h.max
	}
	var seen uint64
	for i, c := range h.counts {
		seen += uint64(c)
		if seen >= rank {
			lo, hi := histLower(i), histLower(i+1)
			mid := time.Duration((lo+hi)/2) * time.Microsecond
			return min(mid, h.max)
		}
	}
	return h.max
}
