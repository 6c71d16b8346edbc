package flows

import (
	"io"
	"os"
)

// Extract reads the capture at path again and calls fn for every TCP
// segment keep accepts, in capture order. It is the second pass behind
// attempt detail views (ladder diagrams): the first pass keeps no packets.
// Damage that stops reading ends the walk without an error; a file that is
// not a capture returns the *FormatError.
func Extract(path string, keep func(*Segment) bool, fn func(*Segment)) error {
	if path == "-" {
		return &FormatError{Msg: "the capture came from standard input and cannot be read a second time"}
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rr, _, closer, err := openContainer(f)
	if err != nil {
		return err
	}
	defer closer()
	var (
		dec decoder
		seg Segment
	)
	for {
		rec, err := rr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return nil // damage: the first pass already warned about it
		}
		if dec.decode(&rec, &seg) == resultTCP && keep(&seg) {
			fn(&seg)
		}
	}
}
