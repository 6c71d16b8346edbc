package flows

// record is one captured frame as a record reader returns it. data aliases
// the reader's buffer and is valid until the reader's next call.
type record struct {
	data    []byte
	origLen int
	ts      int64 // Unix nanoseconds
	link    LinkType
	iface   int
	offset  int64 // byte offset of the record header in the stream
}

// recordReader is implemented by the pcap and pcapng readers.
type recordReader interface {
	// next returns the next record. It returns io.EOF at a clean end, a
	// *stopError when the rest of the stream is damaged, and any other
	// error when the underlying reader failed.
	next() (record, error)
	// format names the container, e.g. "pcap (microsecond, little-endian)".
	format() string
	// problems returns damage that did not stop reading (e.g. bad
	// timestamps), to be reported as warnings.
	problems() []Problem
}
