package flows

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// pcapng block types this reader understands; all others are skipped.
const (
	ngSectionHeader    = 0x0A0D0D0A
	ngInterface        = 0x00000001
	ngObsoletePacket   = 0x00000002
	ngSimplePacket     = 0x00000003
	ngEnhancedPacket   = 0x00000006
	ngByteOrderMagic   = 0x1A2B3C4D
	ngMaxBlockLen      = 16 << 20
	ngOptEndOfOpt      = 0
	ngOptIfTsresol     = 9
	ngOptIfTsoffset    = 14
	ngMinBlockLen      = 12
	ngSectionHeaderLen = 24 // through the section length field
)

func isPcapngMagic(b []byte) bool {
	return len(b) >= 4 && binary.LittleEndian.Uint32(b) == ngSectionHeader
}

// ngInterfaceInfo holds what a record needs from its Interface Description Block.
type ngInterfaceInfo struct {
	link     LinkType
	snaplen  int
	unitsSec uint64 // timestamp units per second
	offset   int64  // if_tsoffset, seconds
}

// pcapngReader reads pcapng files: several sections, several interfaces per
// section, each with its own link type and timestamp resolution.
type pcapngReader struct {
	w        *window
	order    binary.ByteOrder
	ifaces   []ngInterfaceInfo
	sections int
	bigEnd   bool
	ifaceSum int // interfaces seen over all sections (for the format line)
	notes    []Problem
	badIface int
	lastTS   int64 // time of the last packet read, for blocks without one
}

func newPcapngReader(w *window) (*pcapngReader, error) {
	r := &pcapngReader{w: w}
	if err := r.readSectionHeader(true); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *pcapngReader) format() string {
	end := "little-endian"
	if r.bigEnd {
		end = "big-endian"
	}
	return fmt.Sprintf("pcapng (%s, %d interface(s))", end, r.ifaceSum)
}

func (r *pcapngReader) problems() []Problem {
	p := r.notes
	if r.badIface > 0 {
		p = append(p, Problem{Msg: fmt.Sprintf("%d packet blocks name an interface that was never described; skipped", r.badIface)})
	}
	return p
}

// readSectionHeader reads an SHB at the current position. first marks the
// file's first block: damage there is fatal, later it stops the file.
func (r *pcapngReader) readSectionHeader(first bool) error {
	off := r.w.off
	fail := func(format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		if first {
			return &FormatError{Offset: off, Msg: msg}
		}
		return stopAt(off, "%s", msg)
	}
	h, err := r.w.need(ngSectionHeaderLen)
	if err != nil {
		if !first && err == io.EOF {
			return io.EOF
		}
		return fail("pcapng section header is cut short: %d of %d bytes", len(h), ngSectionHeaderLen)
	}
	var order binary.ByteOrder
	switch {
	case binary.LittleEndian.Uint32(h[8:]) == ngByteOrderMagic:
		order = binary.LittleEndian
	case binary.BigEndian.Uint32(h[8:]) == ngByteOrderMagic:
		order = binary.BigEndian
	default:
		return fail("pcapng section header has no byte-order magic")
	}
	blen := int(order.Uint32(h[4:]))
	major, minor := order.Uint16(h[12:]), order.Uint16(h[14:])
	if major != 1 || minor != 0 {
		return fail("unsupported pcapng version %d.%d (only 1.0 is defined)", major, minor)
	}
	if blen < ngSectionHeaderLen+4 || blen%4 != 0 || blen > ngMaxBlockLen {
		return fail("pcapng section header has an impossible length %d", blen)
	}
	b, err := r.w.need(blen)
	if err != nil {
		return fail("file ends inside the pcapng section header (%d of %d bytes)", len(b), blen)
	}
	if order.Uint32(b[blen-4:]) != uint32(blen) {
		return fail("pcapng section header's trailing length %d differs from its length %d", order.Uint32(b[blen-4:]), blen)
	}
	if err := walkOptions(b[ngSectionHeaderLen:blen-4], order, nil); err != nil {
		return fail("pcapng section header: %v", err)
	}
	r.order = order
	r.bigEnd = order == binary.BigEndian
	r.ifaces = r.ifaces[:0]
	r.sections++
	r.w.advance(blen)
	return nil
}

// walkOptions checks an option list and calls fn for each option.
func walkOptions(b []byte, order binary.ByteOrder, fn func(code uint16, val []byte)) error {
	for len(b) >= 4 {
		code, n := order.Uint16(b), int(order.Uint16(b[2:]))
		if code == ngOptEndOfOpt {
			return nil
		}
		padded := (n + 3) &^ 3
		if 4+padded > len(b) {
			return fmt.Errorf("option %d claims %d bytes, only %d left in the block", code, n, len(b)-4)
		}
		if fn != nil {
			fn(code, b[4:4+n])
		}
		b = b[4+padded:]
	}
	return nil
}

func (r *pcapngReader) next() (record, error) {
	for {
		off := r.w.off
		h, err := r.w.need(8)
		if err != nil {
			if err == io.EOF {
				return record{}, io.EOF
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return record{}, stopAt(off, "file ends inside a block header (%d of 8 bytes)", len(h))
			}
			return record{}, err
		}
		typ := r.order.Uint32(h)
		if typ == ngSectionHeader {
			if err := r.readSectionHeader(false); err != nil {
				return record{}, err
			}
			continue
		}
		blen := int(r.order.Uint32(h[4:]))
		if blen < ngMinBlockLen || blen%4 != 0 || blen > ngMaxBlockLen {
			return record{}, stopAt(off, "corrupt pcapng block: type 0x%08x claims length %d; the rest of the file is unreadable", typ, r.order.Uint32(h[4:]))
		}
		b, err := r.w.need(blen)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return record{}, stopAt(off, "file ends inside a pcapng block: type 0x%08x claims %d bytes, only %d present", typ, blen, len(b))
			}
			return record{}, err
		}
		if tail := r.order.Uint32(b[blen-4:]); tail != uint32(blen) {
			return record{}, stopAt(off, "corrupt pcapng block: type 0x%08x length %d but trailing length %d", typ, blen, tail)
		}
		body := b[8 : blen-4]
		rec, ok, err := r.block(typ, body, off)
		r.w.advance(blen)
		if err != nil {
			return record{}, err
		}
		if ok {
			return rec, nil
		}
	}
}

// block interprets one block body. ok reports whether it produced a record.
func (r *pcapngReader) block(typ uint32, body []byte, off int64) (record, bool, error) {
	switch typ {
	case ngInterface:
		return record{}, false, r.interfaceBlock(body, off)
	case ngEnhancedPacket:
		if len(body) < 20 {
			return record{}, false, stopAt(off, "enhanced packet block too short (%d bytes)", len(body))
		}
		id := int(r.order.Uint32(body))
		ts := uint64(r.order.Uint32(body[4:]))<<32 | uint64(r.order.Uint32(body[8:]))
		capLen, origLen := int(r.order.Uint32(body[12:])), int(r.order.Uint32(body[16:]))
		return r.packet(id, ts, capLen, origLen, body[20:], off)
	case ngSimplePacket:
		if len(body) < 4 {
			return record{}, false, stopAt(off, "simple packet block too short (%d bytes)", len(body))
		}
		origLen := int(r.order.Uint32(body))
		capLen := min(origLen, len(body)-4)
		if len(r.ifaces) > 0 && r.ifaces[0].snaplen > 0 {
			capLen = min(capLen, r.ifaces[0].snaplen)
		}
		// A simple packet block has no timestamp: give it the previous
		// packet's rather than 1970, which would break the capture's
		// first/last times and the tracker's clock.
		prev := r.lastTS
		rec, ok, err := r.packet(0, 0, capLen, origLen, body[4:], off)
		rec.ts, r.lastTS = prev, prev
		return rec, ok, err
	case ngObsoletePacket:
		if len(body) < 20 {
			return record{}, false, stopAt(off, "packet block too short (%d bytes)", len(body))
		}
		id := int(r.order.Uint16(body))
		ts := uint64(r.order.Uint32(body[4:]))<<32 | uint64(r.order.Uint32(body[8:]))
		capLen, origLen := int(r.order.Uint32(body[12:])), int(r.order.Uint32(body[16:]))
		return r.packet(id, ts, capLen, origLen, body[20:], off)
	}
	return record{}, false, nil
}

func (r *pcapngReader) interfaceBlock(body []byte, off int64) error {
	if len(body) < 8 {
		return stopAt(off, "interface description block too short (%d bytes)", len(body))
	}
	info := ngInterfaceInfo{
		link:     LinkType(r.order.Uint16(body)),
		snaplen:  int(r.order.Uint32(body[4:])),
		unitsSec: 1e6,
	}
	var optErr error
	err := walkOptions(body[8:], r.order, func(code uint16, val []byte) {
		switch code {
		case ngOptIfTsresol:
			if len(val) < 1 {
				return
			}
			units, ok := tsresolUnits(val[0])
			if !ok {
				optErr = fmt.Errorf("unusable if_tsresol 0x%02x", val[0])
				return
			}
			info.unitsSec = units
		case ngOptIfTsoffset:
			if len(val) >= 8 {
				info.offset = int64(r.order.Uint64(val))
			}
		}
	})
	if err == nil {
		err = optErr
	}
	if err != nil {
		return stopAt(off, "interface description block: %v", err)
	}
	r.ifaces = append(r.ifaces, info)
	r.ifaceSum++
	return nil
}

// tsresolUnits converts an if_tsresol byte to timestamp units per second.
func tsresolUnits(b byte) (uint64, bool) {
	exp := uint64(b & 0x7f)
	if b&0x80 != 0 {
		if exp > 63 {
			return 0, false
		}
		return 1 << exp, true
	}
	if exp > 19 {
		return 0, false
	}
	u := uint64(1)
	for range exp {
		u *= 10
	}
	return u, true
}

func (r *pcapngReader) packet(id int, ts uint64, capLen, origLen int, data []byte, off int64) (record, bool, error) {
	if id < 0 || id >= len(r.ifaces) {
		r.badIface++
		return record{}, false, nil
	}
	if capLen < 0 || capLen > len(data) {
		return record{}, false, stopAt(off, "corrupt packet block: captured length %d exceeds the %d bytes in the block", capLen, len(data))
	}
	ifc := r.ifaces[id]
	if origLen < capLen {
		origLen = capLen
	}
	r.lastTS = ngTime(ts, ifc)
	return record{
		data:    data[:capLen],
		origLen: origLen,
		ts:      r.lastTS,
		link:    ifc.link,
		iface:   id,
		offset:  off,
	}, true, nil
}

// ngTime converts a pcapng timestamp in interface units to Unix nanoseconds.
func ngTime(ts uint64, ifc ngInterfaceInfo) int64 {
	sec := ts / ifc.unitsSec
	frac := ts % ifc.unitsSec
	var ns uint64
	if ifc.unitsSec == 1e9 {
		ns = frac
	} else if ifc.unitsSec < 1e9 && 1e9%ifc.unitsSec == 0 {
		ns = frac * (1e9 / ifc.unitsSec)
	} else {
		ns = uint64(float64(frac) * 1e9 / float64(ifc.unitsSec))
	}
	const maxSec = math.MaxInt64/1_000_000_000 - 1
	if sec > maxSec {
		sec = maxSec
	}
	return int64(sec)*1e9 + int64(ns) + ifc.offset*1e9
}
