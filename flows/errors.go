package flows

import (
	"errors"
	"fmt"
)

// ErrNotCapture is returned (wrapped in a FormatError) when the input is
// neither pcap nor pcapng, compressed or not.
var ErrNotCapture = errors.New("not a pcap or pcapng file")

// FormatError reports input that cannot be read as a capture at all. It is
// fatal for that input: no packet was or will be read from it.
type FormatError struct {
	Offset int64 // byte offset in the (decompressed) stream where the problem is
	Msg    string
	Err    error // an underlying sentinel such as ErrNotCapture, or nil
}

func (e *FormatError) Error() string {
	if e.Offset > 0 {
		return fmt.Sprintf("%s (at byte %d)", e.Msg, e.Offset)
	}
	return e.Msg
}

func (e *FormatError) Unwrap() error { return e.Err }

// Problem describes damage found after the capture started to read: the
// packets before it are kept and the problem becomes a warning.
type Problem struct {
	Offset int64  // byte offset of the damaged record or block
	Msg    string // one line, no file name
}

func (p Problem) String() string {
	return fmt.Sprintf("%s (at byte %d)", p.Msg, p.Offset)
}

// stopError is returned by record readers when the rest of the input cannot
// be trusted. Reading stops and the problem becomes a warning.
type stopError struct{ p Problem }

func (e *stopError) Error() string { return e.p.String() }

func stopAt(off int64, format string, args ...any) error {
	return &stopError{Problem{Offset: off, Msg: fmt.Sprintf(format, args...)}}
}
