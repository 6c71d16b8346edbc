package flows

import (
	"errors"
	"io"
)

// window is a zero-copy read buffer: need(n) makes n bytes visible at the
// front without copying them out, so record readers can hand out slices that
// stay valid until the next call to need or advance.
type window struct {
	r     io.Reader
	buf   []byte
	start int   // first unread byte in buf
	end   int   // one past the last valid byte in buf
	off   int64 // stream offset of buf[start]
	eof   bool  // r returned io.EOF
	err   error // r returned another error
	limit int   // largest buffer we agree to grow to
}

const (
	windowSize  = 1 << 20
	windowLimit = 64 << 20
)

func newWindow(r io.Reader) *window {
	return &window{r: r, buf: make([]byte, windowSize), limit: windowLimit}
}

// need returns the next n bytes without consuming them. If fewer are left
// in the stream it returns what there is and io.ErrUnexpectedEOF (or io.EOF
// when nothing is left at all). A read error from the underlying reader is
// returned as is.
func (w *window) need(n int) ([]byte, error) {
	if w.end-w.start >= n {
		return w.buf[w.start : w.start+n], nil
	}
	if err := w.fill(n); err != nil && w.end-w.start < n {
		if w.end == w.start && errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return w.buf[w.start:w.end], err
	}
	return w.buf[w.start : w.start+n], nil
}

// advance consumes n bytes that need has made visible.
func (w *window) advance(n int) {
	w.start += n
	w.off += int64(n)
}

// fill reads until at least n bytes are buffered or the reader is done.
func (w *window) fill(n int) error {
	if n > len(w.buf) {
		if n > w.limit {
			return errors.New("record larger than the read limit")
		}
		size := len(w.buf)
		for size < n {
			size *= 2
		}
		grown := make([]byte, size)
		w.end = copy(grown, w.buf[w.start:w.end])
		w.start = 0
		w.buf = grown
	} else if w.start+n > len(w.buf) {
		w.end = copy(w.buf, w.buf[w.start:w.end])
		w.start = 0
	}
	for w.end-w.start < n {
		if w.err != nil {
			return w.err
		}
		if w.eof {
			return io.EOF
		}
		m, err := w.r.Read(w.buf[w.end:])
		w.end += m
		if err == io.EOF {
			w.eof = true
		} else if err != nil {
			w.err = err
		} else if m == 0 && len(w.buf[w.end:]) > 0 {
			// A reader returning 0, nil forever would spin; give up when
			// the io.Reader contract's "discouraged" case repeats. That is
			// a failed read, not the end of the capture: reported, not silent.
			m2, err2 := w.r.Read(w.buf[w.end:])
			w.end += m2
			if m2 == 0 && err2 == nil {
				w.err = io.ErrNoProgress
			} else if err2 == io.EOF {
				w.eof = true
			} else if err2 != nil {
				w.err = err2
			}
		}
	}
	return nil
}
