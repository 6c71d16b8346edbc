package flows

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Classic pcap magic numbers as they appear in the first four bytes of a file.
const (
	pcapMagicMicro   = 0xa1b2c3d4
	pcapMagicNano    = 0xa1b23c4d
	pcapMagicKuznet  = 0xa1b2cd34 // "modified" pcap: 8 extra bytes per record header
	pcapHeaderLen    = 24
	pcapRecordLen    = 16
	pcapMaxRecordLen = 262144 // libpcap's MAXIMUM_SNAPLEN; larger claims are corruption
)

// pcapReader reads classic libpcap files.
type pcapReader struct {
	w         *window
	order     binary.ByteOrder
	nanos     bool
	extra     int // extra bytes after each record header (modified pcap)
	link      LinkType
	fcsLen    int // bytes of frame check sequence at the end of each frame
	snaplen   int
	maxRecord int
	badTime   int
	badTimeAt int64
}

func isPcapMagic(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	le, be := binary.LittleEndian.Uint32(b), binary.BigEndian.Uint32(b)
	for _, m := range []uint32{pcapMagicMicro, pcapMagicNano, pcapMagicKuznet} {
		if le == m || be == m {
			return true
		}
	}
	return false
}

func newPcapReader(w *window) (*pcapReader, error) {
	h, err := w.need(pcapHeaderLen)
	if err != nil {
		return nil, &FormatError{Msg: fmt.Sprintf("pcap file header is cut short: %d of %d bytes", len(h), pcapHeaderLen)}
	}
	r := &pcapReader{w: w}
	magicLE := binary.LittleEndian.Uint32(h)
	r.order = binary.LittleEndian
	if magicLE != pcapMagicMicro && magicLE != pcapMagicNano && magicLE != pcapMagicKuznet {
		r.order = binary.BigEndian
	}
	switch r.order.Uint32(h) {
	case pcapMagicNano:
		r.nanos = true
	case pcapMagicKuznet:
		r.extra = 8
	}
	major, minor := r.order.Uint16(h[4:]), r.order.Uint16(h[6:])
	if major != 2 {
		return nil, &FormatError{Msg: fmt.Sprintf("unsupported pcap version %d.%d (only 2.x exists)", major, minor)}
	}
	r.snaplen = int(r.order.Uint32(h[16:]))
	field := r.order.Uint32(h[20:])
	if reserved := field & 0x03ff0000; reserved != 0 {
		return nil, &FormatError{Msg: fmt.Sprintf("pcap link-type field has reserved bits set (0x%08x)", field)}
	}
	r.link = LinkType(field & 0xffff)
	if field&0x04000000 != 0 { // the F bit: FCS length present in the top 4 bits
		r.fcsLen = int(field>>28) * 2
	}
	r.maxRecord = pcapMaxRecordLen
	if r.snaplen > r.maxRecord {
		// Trust a larger snaplen, but no further than the read window
		// can hold: a larger claim is reported as corruption at its offset.
		r.maxRecord = min(r.snaplen, windowLimit-pcapRecordLen-8)
	}
	w.advance(pcapHeaderLen)
	return r, nil
}

func (r *pcapReader) format() string {
	res := "microsecond"
	if r.nanos {
		res = "nanosecond"
	}
	end := "little-endian"
	if r.order == binary.BigEndian {
		end = "big-endian"
	}
	if r.extra > 0 {
		return fmt.Sprintf("pcap (modified, %s)", end)
	}
	return fmt.Sprintf("pcap (%s, %s)", res, end)
}

func (r *pcapReader) problems() []Problem {
	if r.badTime == 0 {
		return nil
	}
	return []Problem{{Offset: r.badTimeAt, Msg: fmt.Sprintf("%d records have a sub-second timestamp field out of range; read as overflowing into the next second", r.badTime)}}
}

func (r *pcapReader) next() (record, error) {
	hlen := pcapRecordLen + r.extra
	off := r.w.off
	h, err := r.w.need(hlen)
	if err != nil {
		if err == io.EOF {
			return record{}, io.EOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return record{}, stopAt(off, "file ends inside a record header (%d of %d bytes)", len(h), hlen)
		}
		return record{}, err
	}
	sec := int64(r.order.Uint32(h[0:]))
	frac := int64(r.order.Uint32(h[4:]))
	incl := int(r.order.Uint32(h[8:]))
	orig := int(r.order.Uint32(h[12:]))
	if incl < 0 || uint32(incl) != r.order.Uint32(h[8:]) || incl > r.maxRecord {
		return record{}, stopAt(off, "corrupt record: header claims %d captured bytes, more than the %d-byte limit; the rest of the file is unreadable", r.order.Uint32(h[8:]), r.maxRecord)
	}
	var ts int64
	if r.nanos {
		if frac >= 1e9 {
			r.noteBadTime(off)
		}
		ts = sec*1e9 + frac
	} else {
		if frac >= 1e6 {
			r.noteBadTime(off)
		}
		ts = sec*1e9 + frac*1e3
	}
	rec, err := r.w.need(hlen + incl)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
			return record{}, stopAt(off, "file ends inside a record: header claims %d bytes, only %d present", incl, len(rec)-hlen)
		}
		return record{}, err
	}
	data := rec[hlen:]
	if r.fcsLen > 0 && len(data) >= r.fcsLen && orig == incl {
		data = data[:len(data)-r.fcsLen]
	}
	if orig < len(data) {
		orig = len(data)
	}
	r.w.advance(hlen + incl)
	return record{data: data, origLen: orig, ts: ts, link: r.link, offset: off}, nil
}

func (r *pcapReader) noteBadTime(off int64) {
	if r.badTime == 0 {
		r.badTimeAt = off
	}
	r.badTime++
}
