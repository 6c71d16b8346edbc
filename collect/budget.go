package collect

import (
	"errors"
	"fmt"
	"math"
)

// Bounds of --max-size. Below the minimum a bundle holds too little
// capture to be worth sending (and "--max-size 200" meant 200 MB); above
// the maximum halfopen analyze refuses the archive (it unpacks at most
// 16 GB).
const (
	MinMaxSize = 1 << 20
	MaxMaxSize = 16 << 30
)

// CheckMaxSize rejects a --max-size outside the bounds.
func CheckMaxSize(n int64) error {
	switch {
	case n < MinMaxSize:
		return errors.New("too small: at least 1MB")
	case n > MaxMaxSize:
		return errors.New("too large: at most 16GB (halfopen analyze refuses bigger bundles)")
	}
	return nil
}

const (
	manifestReserve = 64 << 10 // manifest.json, preallocated at the start
	minPlan         = 512 << 10
	minFloor        = 256 << 10
	maxFloor        = 1 << 30
	// analyzeSnapshotLimit is analyze/snapshot.MaxSize: the largest
	// snapshot file analyze reads. Every series stays well under it.
	analyzeSnapshotLimit = 64 << 20
	maxSSShare           = 32 << 20
	maxNstatShare        = 16 << 20
	maxOneShotShare      = 16 << 20
)

// plan divides the bundle's size among its parts. Every part has its own
// cap, all inside --max-size; the capture ring gets what is left.
type plan struct {
	total    int64  // bytes the bundle may hold: --max-size, or less when the disk has less room
	shrunk   string // why total is below --max-size; empty when it is not
	floor    int64  // the run stops when fewer bytes than this are free
	oneShots int64  // sysctl.txt, tcp_metrics.txt, … taken at the start, together
	ss       int64  // ss.txt, with the chunk appended while merging at the end
	nstat    int64  // the nstat-NNN.txt series
	capture  int64  // the packet ring; set by setCapture once the one-shots are taken
	endShots int64  // softnet-end.txt and conntrack-stat-end.txt, together
}

// newPlan sizes a run for maxSize bytes on a filesystem with avail bytes
// free of fsSize. It keeps a floor free for the server (5% of the
// filesystem, 256 KB to 1 GB) and room for the work the end of a run
// needs on top of the bundle: merging the ring (a quarter more) or
// writing the archive next to the files (assumed at most half their
// size; checked while it is written). When the disk is short it shrinks
// the plan and says so; below a useful minimum it refuses.
func newPlan(maxSize int64, archive bool, avail, fsSize int64) (plan, error) {
	p := plan{total: maxSize, floor: clamp(fsSize/20, minFloor, maxFloor)}
	num, den := int64(5), int64(4)
	if archive {
		num, den = 3, 2
	}
	room := avail - p.floor
	if need := mulDiv(maxSize, num, den); need > room {
		p.total = mulDiv(max(room, 0), den, num)
		if p.total < minPlan {
			return p, fmt.Errorf("%s free, and collect needs at least %s (%s for the bundle and the work to finish it, %s left free for the server); free some space or write elsewhere with -o",
				sizeText(avail), sizeText(mulDiv(minPlan, num, den)+p.floor), sizeText(mulDiv(minPlan, num, den)), sizeText(p.floor))
		}
		p.shrunk = fmt.Sprintf("--max-size %s shrunk to %s: %s free on the output's filesystem, %s kept free for the server",
			sizeText(maxSize), sizeText(p.total), sizeText(avail), sizeText(p.floor))
	}
	p.oneShots = clamp(p.total/8, 128<<10, maxOneShotShare)
	p.ss = clamp(p.total/10, 64<<10, maxSSShare)
	p.nstat = clamp(p.total/20, 128<<10, maxNstatShare)
	return p, nil
}

// setCapture gives the capture ring what the other parts leave: the
// one-shots are counted as taken (used bytes), the end shots get as much
// as their start counterparts took (endShots) plus slack.
func (p *plan) setCapture(used, endShots int64) {
	p.endShots = endShots + 8<<10
	p.capture = max(p.total-manifestReserve-p.ss-p.nstat-used-p.endShots, 64<<10)
}

// ssChunks is how many chunk files the ss ring holds: when it is full the
// oldest chunk (a quarter of the samples) goes.
const ssChunks = 4

// ssKept is what ss.txt keeps: the share less the chunk that merging the
// ring of chunks at the end holds twice for a moment.
func (p plan) ssKept() int64 { return p.ss * ssChunks / (ssChunks + 1) }

func clamp(v, lo, hi int64) int64 { return min(max(v, lo), hi) }

// mulDiv is v*num/den without overflowing for sizes up to exabytes.
func mulDiv(v, num, den int64) int64 {
	if v > math.MaxInt64/num {
		return v / den * num
	}
	return v * num / den
}

// sizeText prints a byte count as people write it on the command line.
func sizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fGB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0fKB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}
