package flows

// timerWheel schedules flow deadlines in one-second buckets. Deadlines are
// re-checked when they fire, so an entry may fire early (far deadlines are
// parked in the last bucket) and stale entries are skipped by generation.
type timerWheel struct {
	buckets [wheelSize][]timerEntry
	sec     int64 // all buckets before this second have fired
	started bool
}

const wheelSize = 512 // seconds of horizon; must be a power of two

type timerEntry struct {
	idx uint32
	gen uint32
}

// start puts the wheel's clock at now's second unless it already runs. The
// tracker calls it with the first packet's time: otherwise the first
// deadline scheduled (10 minutes ahead for a connection already open at
// capture start) would become the wheel's origin and every earlier
// deadline would fire only then.
func (w *timerWheel) start(now int64) {
	if !w.started {
		w.sec, w.started = now/1e9, true
	}
}

// schedule arranges for (idx, gen) to fire at or after Unix time at (ns).
// It returns the second of the bucket the entry went to.
func (w *timerWheel) schedule(at int64, idx, gen uint32) int64 {
	sec := at / 1e9
	if !w.started {
		w.sec, w.started = sec, true
	}
	if sec < w.sec {
		sec = w.sec
	}
	if sec >= w.sec+wheelSize {
		sec = w.sec + wheelSize - 1
	}
	b := &w.buckets[sec&(wheelSize-1)]
	*b = append(*b, timerEntry{idx, gen})
	return sec
}

// advance fires every bucket whose second is before now's second.
func (w *timerWheel) advance(now int64, fire func(timerEntry)) {
	if !w.started {
		return
	}
	target := now / 1e9
	steps := 0
	for w.sec < target && steps < wheelSize {
		w.fireBucket(w.sec, fire)
		w.sec++
		steps++
	}
	if w.sec < target { // a jump longer than the horizon: everything is due
		w.sec = target
	}
}

// fireAll fires every pending entry regardless of time (end of capture).
func (w *timerWheel) fireAll(fire func(timerEntry)) {
	for i := range w.buckets {
		w.fireBucket(int64(i), fire)
	}
}

func (w *timerWheel) fireBucket(sec int64, fire func(timerEntry)) {
	b := &w.buckets[sec&(wheelSize-1)]
	// fire may schedule into this very bucket (re-arming a parked entry);
	// take the slice first so those land in a fresh one.
	entries := *b
	*b = nil
	for _, e := range entries {
		fire(e)
	}
	if cap(entries) <= 1024 && *b == nil {
		*b = entries[:0] // reuse the backing array
	}
}

// drain empties the wheel and puts its clock at now's second, returning
// every entry it held (for rescheduling after the clock was set back).
func (w *timerWheel) drain(now int64) []timerEntry {
	var out []timerEntry
	for i := range w.buckets {
		out = append(out, w.buckets[i]...)
		w.buckets[i] = w.buckets[i][:0]
	}
	w.sec, w.started = now/1e9, true
	return out
}
