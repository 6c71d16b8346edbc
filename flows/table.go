package flows

import (
	"encoding/binary"
	"math/bits"
)

// flowKey is a 4-tuple in canonical order: endpoint a sorts before b, so
// both directions of a connection share one key. It holds no pointers.
type flowKey struct {
	a, b   Addr
	ap, bp uint16
}

// canonical returns the key of seg's connection and whether seg was sent
// by endpoint a.
func canonical(s *Segment) (flowKey, bool) {
	if c := compareEndpoint(&s.Src, s.SrcPort, &s.Dst, s.DstPort); c <= 0 {
		return flowKey{a: s.Src, b: s.Dst, ap: s.SrcPort, bp: s.DstPort}, true
	}
	return flowKey{a: s.Dst, b: s.Src, ap: s.DstPort, bp: s.SrcPort}, false
}

func compareEndpoint(x *Addr, xp uint16, y *Addr, yp uint16) int {
	x0, y0 := binary.BigEndian.Uint64(x[:8]), binary.BigEndian.Uint64(y[:8])
	if x0 != y0 {
		return cmp64(x0, y0)
	}
	x1, y1 := binary.BigEndian.Uint64(x[8:]), binary.BigEndian.Uint64(y[8:])
	if x1 != y1 {
		return cmp64(x1, y1)
	}
	return int(xp) - int(yp)
}

func cmp64(x, y uint64) int {
	if x < y {
		return -1
	}
	return 1
}

// Fixed hash keys: results do not depend on the hash, but a fixed layout
// makes runs reproducible when debugging.
const (
	hk0 = 0xa0761d6478bd642f
	hk1 = 0xe7037ed1a0b428db
	hk2 = 0x8ebc6af09c88c6e3
	hk3 = 0x589965cc75374cc3
	hk4 = 0x1d8e4e27c47d124f
)

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func (k *flowKey) hash() uint64 {
	a0, a1 := binary.LittleEndian.Uint64(k.a[:8]), binary.LittleEndian.Uint64(k.a[8:])
	b0, b1 := binary.LittleEndian.Uint64(k.b[:8]), binary.LittleEndian.Uint64(k.b[8:])
	p := uint64(k.ap)<<16 | uint64(k.bp)
	return mix(a0^hk0, a1^hk1) ^ mix(b0^hk2, b1^hk3) ^ mix(p^hk4, hk0^hk2)
}

// flowTable is an open-addressing hash index from flowKey to a slot in the
// tracker's flow slab. Each slot packs 32 bits of hash and index+1 in one
// word; linear probing with backward-shift deletion keeps probes short
// without tombstones.
type flowTable struct {
	slots []uint64
	mask  uint64
	count int
}

func newFlowTable() *flowTable {
	const initial = 1 << 12
	return &flowTable{slots: make([]uint64, initial), mask: initial - 1}
}

// find returns the index stored for key, using keyAt to compare keys.
func (t *flowTable) find(h uint64, key *flowKey, keyAt func(uint32) *flowKey) (uint32, bool) {
	tag := h >> 32
	for i := spread(tag) & t.mask; ; i = (i + 1) & t.mask {
		s := t.slots[i]
		if s == 0 {
			return 0, false
		}
		if s>>32 == tag {
			idx := uint32(s) - 1
			if *keyAt(idx) == *key {
				return idx, true
			}
		}
	}
}

// insert adds idx under hash h. The caller guarantees the key is absent.
func (t *flowTable) insert(h uint64, idx uint32) {
	if (t.count+1)*2 > len(t.slots) {
		t.grow()
	}
	t.place(h>>32<<32 | uint64(idx+1))
	t.count++
}

func (t *flowTable) place(s uint64) {
	for i := t.home(s); ; i = (i + 1) & t.mask {
		if t.slots[i] == 0 {
			t.slots[i] = s
			return
		}
	}
}

// home is the preferred slot of a packed entry. Only the top 32 bits of the
// hash are kept, so the home slot is derived from them.
func (t *flowTable) home(s uint64) uint64 { return spread(s>>32) & t.mask }

func spread(tag uint64) uint64 { return tag * 0x9e3779b97f4a7c15 >> 20 }

func (t *flowTable) grow() {
	old := t.slots
	t.slots = make([]uint64, len(old)*2)
	t.mask = uint64(len(t.slots) - 1)
	for _, s := range old {
		if s != 0 {
			t.place(s)
		}
	}
}

// remove deletes the entry for idx stored under hash h.
func (t *flowTable) remove(h uint64, idx uint32) {
	want := h>>32<<32 | uint64(idx+1)
	i := t.home(want)
	for t.slots[i] != want {
		if t.slots[i] == 0 {
			return
		}
		i = (i + 1) & t.mask
	}
	// Backward-shift: move later entries of the cluster into the hole when
	// that does not carry them before their home slot.
	for {
		t.slots[i] = 0
		j := i
		for {
			j = (j + 1) & t.mask
			s := t.slots[j]
			if s == 0 {
				t.count--
				return
			}
			home := t.home(s)
			// s may move to i if i lies cyclically in [home, j).
			if (j-home)&t.mask >= (j-i)&t.mask {
				t.slots[i] = s
				i = j
				break
			}
		}
	}
}
