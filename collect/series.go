//go:build linux

package collect

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// textRing is a series of text samples (ss.txt) that keeps the newest:
// like the capture ring, so that the samples kept cover the packets kept.
// It writes chunk files .NAME.N in the stage; when a new chunk would make
// more than ssChunks, the oldest is deleted. finish joins the chunks into
// NAME. Each sample is one write, so what is on disk is whole samples.
type textRing struct {
	st      *stage
	name    string
	chunk   int64 // bytes per chunk
	chunks  []ringChunk
	cur     *os.File
	seq     int
	samples int64
	dropped int64
	err     error // the first write error; the ring stops at it
}

type ringChunk struct {
	name    string
	size    int64
	samples int64
}

func newTextRing(st *stage, name string, kept int64) *textRing {
	return &textRing{st: st, name: name, chunk: max(kept/ssChunks, 1)}
}

// add appends one sample. A write error (a full disk) stops the series;
// the chunk is cut back to its last whole sample.
func (r *textRing) add(sample []byte) error {
	if r.err != nil {
		return r.err
	}
	if int64(len(sample)) > r.chunk {
		r.dropped++
		return nil
	}
	if r.cur == nil || r.chunks[len(r.chunks)-1].size+int64(len(sample)) > r.chunk {
		if err := r.next(); err != nil {
			r.err = err
			return err
		}
	}
	c := &r.chunks[len(r.chunks)-1]
	if _, err := r.cur.Write(sample); err != nil {
		r.cur.Truncate(c.size)
		r.err = fmt.Errorf("writing %s: %w", r.name, err)
		return r.err
	}
	c.size += int64(len(sample))
	c.samples++
	r.samples++
	return nil
}

// next starts a new chunk, deleting the oldest when the ring is full.
func (r *textRing) next() error {
	if r.cur != nil {
		r.cur.Close()
		r.cur = nil
	}
	if len(r.chunks) == ssChunks {
		if err := r.st.remove(r.chunks[0].name); err != nil {
			return err
		}
		r.dropped += r.chunks[0].samples
		r.chunks = r.chunks[1:]
	}
	name := fmt.Sprintf(".%s.%d", r.name, r.seq)
	r.seq++
	f, err := r.st.create(name)
	if err != nil {
		return err
	}
	r.cur = f
	r.chunks = append(r.chunks, ringChunk{name: name})
	return nil
}

// finish joins the chunks, oldest first, into the series file: the oldest
// is renamed, the others appended and deleted one by one, so the disk
// holds at most one chunk twice.
func (r *textRing) finish() error {
	if r.cur != nil {
		r.cur.Close()
		r.cur = nil
	}
	if len(r.chunks) == 0 {
		return r.err
	}
	if err := r.st.rename(r.chunks[0].name, r.name); err != nil {
		return err
	}
	rest := r.chunks[1:]
	r.chunks = nil
	return errors.Join(r.err, appendFiles(r.st, r.name, rest))
}

// appendFiles appends chunks to name and deletes them. On a write error
// name is cut back to its last whole chunk and the rest are deleted.
func appendFiles(st *stage, name string, chunks []ringChunk) error {
	var firstErr error
	for _, c := range chunks {
		if firstErr == nil {
			firstErr = appendFile(st, name, c.name)
		}
		st.remove(c.name)
	}
	return firstErr
}

func appendFile(st *stage, dst, src string) error {
	out, err := st.openAppend(dst)
	if err != nil {
		return err
	}
	defer out.Close()
	good := st.size(dst)
	in, err := st.open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if _, err := io.Copy(out, in); err != nil {
		out.Truncate(good)
		return fmt.Errorf("appending to %s: %w", dst, err)
	}
	return nil
}

func (r *textRing) info(cap int64) SeriesInfo {
	return SeriesInfo{File: r.name, Cap: cap, Bytes: r.st.size(r.name), Samples: r.samples, Dropped: r.dropped,
		Keeps: "the newest samples: when full, the oldest quarter is dropped (like the capture ring)"}
}

// fileSeries is a series of snapshot files (nstat-NNN.txt) that keeps the
// first and the newest: analyze takes its counter deltas from the
// earliest and the latest snapshot, so those two must survive; the
// snapshots in between go first, oldest first.
type fileSeries struct {
	st      *stage
	pattern string // fmt pattern of the file names, with one %03d
	label   string // the series' files, for the manifest
	cap     int64
	files   []ringChunk // kept, oldest first; files[0] is the first snapshot
	bytes   int64
	seq     int
	dropped int64
}

func newFileSeries(st *stage, pattern, label string, cap int64) *fileSeries {
	return &fileSeries{st: st, pattern: pattern, label: label, cap: cap}
}

// add writes one snapshot, making room by deleting the oldest but the
// first. A snapshot that does not fit next to the first is dropped.
func (s *fileSeries) add(data []byte) error {
	size := int64(len(data))
	for s.bytes+size > s.cap && len(s.files) > 1 {
		victim := s.files[1]
		if err := s.st.remove(victim.name); err != nil {
			return err
		}
		s.files = append(s.files[:1], s.files[2:]...)
		s.bytes -= victim.size
		s.dropped++
	}
	name := fmt.Sprintf(s.pattern, s.seq)
	s.seq++
	if s.bytes+size > s.cap {
		s.dropped++
		return fmt.Errorf("%s: %s does not fit in the series' %s", name, sizeText(size), sizeText(s.cap))
	}
	f, err := s.st.create(name)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		s.st.remove(name)
		s.dropped++
		return fmt.Errorf("writing %s: %w", name, err)
	}
	s.files = append(s.files, ringChunk{name: name, size: size, samples: 1})
	s.bytes += size
	return nil
}

func (s *fileSeries) info() SeriesInfo {
	return SeriesInfo{File: s.label, Cap: s.cap, Bytes: s.bytes,
		Samples: int64(s.seq), Dropped: s.dropped,
		Keeps: "the first and the newest snapshots: when full, the oldest but the first is dropped"}
}
