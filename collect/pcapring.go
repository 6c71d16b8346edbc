//go:build linux

package collect

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// ringFiles is how many files the capture ring holds: when it is full the
// oldest file (a quarter of the packets) goes.
const ringFiles = 4

// maxRecord bounds one pcap record: tcpdump's largest snaplen.
const maxRecord = 262144

// ringStats tells what became of the packets captured.
type ringStats struct {
	rotated bool  // the ring dropped its oldest packets
	written int64 // records captured
	kept    int64 // records in capture.pcap
}

// errNoPackets says the capture is empty; the bundle is still valid.
var errNoPackets = errors.New("no packet was captured: nothing reached the port during the run (the capture is empty)")

// pcapRing writes a capture into a ring of files .ring.NNNNNN.pcap in the
// stage, each starting with the same pcap header. halfopen writes every
// file itself (tcpdump writes to a pipe), so each is created O_EXCL and
// O_NOFOLLOW, and the ring's size is exact: a file is closed before the
// record that would make it exceed its share.
type pcapRing struct {
	st      *stage
	perFile int64
	hdr     []byte
	files   []string // oldest first
	seq     int
	cur     *os.File
	w       *bufio.Writer
	size    int64
	rotated bool // the ring dropped its oldest file
	records int64
}

// newPcapRing starts the ring with its first file: the header is on disk
// from the start, so a disk filled later still leaves a valid capture.
func newPcapRing(st *stage, budget int64, hdr []byte) (*pcapRing, error) {
	r := &pcapRing{st: st, perFile: max(budget/ringFiles, 4<<10), hdr: append([]byte(nil), hdr...)}
	if err := r.next(); err != nil {
		return r, err
	}
	return r, r.w.Flush()
}

// write appends one record (its 16-byte header and data).
func (r *pcapRing) write(rec []byte) error {
	if r.cur == nil || r.size+int64(len(rec)) > r.perFile && r.size > int64(len(r.hdr)) {
		if err := r.next(); err != nil {
			return err
		}
	}
	if _, err := r.w.Write(rec); err != nil {
		return fmt.Errorf("writing the capture: %w", err)
	}
	r.size += int64(len(rec))
	r.records++
	return nil
}

// next closes the current file and starts a new one, dropping the oldest
// when the ring is full.
func (r *pcapRing) next() error {
	if err := r.closeFile(); err != nil {
		return err
	}
	if len(r.files) == ringFiles {
		if err := r.st.remove(r.files[0]); err != nil {
			return err
		}
		r.files = r.files[1:]
		r.rotated = true
	}
	name := fmt.Sprintf(".ring.%06d.pcap", r.seq)
	r.seq++
	f, err := r.st.create(name)
	if err != nil {
		return err
	}
	r.files = append(r.files, name)
	r.cur, r.w, r.size = f, bufio.NewWriterSize(f, 256<<10), int64(len(r.hdr))
	if _, err := r.w.Write(r.hdr); err != nil {
		return fmt.Errorf("writing the capture: %w", err)
	}
	return nil
}

func (r *pcapRing) closeFile() error {
	if r.cur == nil {
		return nil
	}
	err := r.w.Flush()
	if cerr := r.cur.Close(); err == nil {
		err = cerr
	}
	r.cur, r.w = nil, nil
	if err != nil {
		return fmt.Errorf("writing the capture: %w", err)
	}
	return nil
}

// finish closes the ring and merges it into capture.pcap. It returns the
// records in capture.pcap.
func (r *pcapRing) finish() (int64, error) {
	closeErr := r.closeFile()
	n, err := mergeRing(r.st, r.files, r.hdr)
	r.files = nil
	return n, errors.Join(closeErr, err)
}

// mergeRing turns the ring files (oldest first) into capture.pcap without
// copying the whole capture: the oldest file is renamed, cut back to its
// last whole record (a killed writer leaves half a record), and the
// others are appended and deleted one by one. A failed append (a full
// disk) cuts capture.pcap back to its last whole record and deletes the
// rest: the bundle keeps a valid capture. hdr is the header of an empty
// capture when there is no file at all.
func mergeRing(st *stage, files []string, hdr []byte) (int64, error) {
	if len(files) == 0 {
		return 0, errors.Join(writeEmptyCapture(st, hdr), errNoPackets)
	}
	if err := st.rename(files[0], "capture.pcap"); err != nil {
		for _, f := range files {
			st.remove(f)
		}
		return 0, errors.Join(err, writeEmptyCapture(st, hdr))
	}
	n, err := trimPcap(st, "capture.pcap")
	for _, f := range files[1:] {
		if err == nil {
			var m int64
			m, err = appendRecords(st, "capture.pcap", f)
			n += m
		}
		st.remove(f)
	}
	if err == nil && n == 0 {
		err = errNoPackets
	}
	return n, err
}

func writeEmptyCapture(st *stage, hdr []byte) error {
	if len(hdr) != 24 {
		hdr = emptyHeader()
	}
	f, err := st.create("capture.pcap")
	if err != nil {
		return err
	}
	_, err = f.Write(hdr)
	return errors.Join(err, f.Close())
}

// trimPcap cuts a pcap file after its last whole record and counts them.
func trimPcap(st *stage, name string) (int64, error) {
	f, err := st.open(name)
	if err != nil {
		return 0, err
	}
	hdr := make([]byte, 24)
	if _, err := io.ReadFull(f, hdr); err != nil {
		f.Close()
		return 0, fmt.Errorf("%s: no pcap header", name)
	}
	n, good, err := scanRecords(bufio.NewReaderSize(f, 1<<20), byteOrder(hdr), io.Discard)
	f.Close()
	if err != nil {
		return n, err
	}
	if st.size(name) != 24+good {
		w, err := st.openAppend(name)
		if err != nil {
			return n, err
		}
		err = w.Truncate(24 + good)
		return n, errors.Join(err, w.Close())
	}
	return n, nil
}

// appendRecords appends the records of src (after its header) to dst.
func appendRecords(st *stage, dst, src string) (int64, error) {
	in, err := st.open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	hdr := make([]byte, 24)
	if _, err := io.ReadFull(in, hdr); err != nil {
		return 0, nil // a file cut before its header holds no packet
	}
	out, err := st.openAppend(dst)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	good := st.size(dst)
	bw := bufio.NewWriterSize(out, 1<<20)
	n, _, err := scanRecords(bufio.NewReaderSize(in, 1<<20), byteOrder(hdr), bw)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		out.Truncate(good)
		return 0, fmt.Errorf("merging the capture ring: %w", err)
	}
	return n, nil
}

// scanRecords copies whole records from r to w and returns how many and
// their bytes. A record cut short, or one too large to be real, ends the
// scan: what follows it cannot be trusted.
func scanRecords(r io.Reader, order binary.ByteOrder, w io.Writer) (n, bytes int64, err error) {
	rh := make([]byte, 16)
	data := make([]byte, maxRecord)
	for {
		if _, err := io.ReadFull(r, rh); err != nil {
			return n, bytes, nil
		}
		incl := order.Uint32(rh[8:])
		if incl > maxRecord {
			return n, bytes, nil
		}
		if _, err := io.ReadFull(r, data[:incl]); err != nil {
			return n, bytes, nil
		}
		if _, err := w.Write(rh); err != nil {
			return n, bytes, err
		}
		if _, err := w.Write(data[:incl]); err != nil {
			return n, bytes, err
		}
		n++
		bytes += 16 + int64(incl)
	}
}

func byteOrder(hdr []byte) binary.ByteOrder {
	if m := binary.LittleEndian.Uint32(hdr); m == 0xa1b2c3d4 || m == 0xa1b23c4d {
		return binary.LittleEndian
	}
	return binary.BigEndian
}

// emptyHeader is a nanosecond LINKTYPE_LINUX_SLL2 pcap header.
func emptyHeader() []byte {
	return pcapHeader(262144)
}

// pcapHeader is the header the built-in capture writes.
func pcapHeader(snaplen int) []byte {
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr, 0xa1b23c4d) // nanosecond pcap
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], uint32(snaplen))
	binary.LittleEndian.PutUint32(hdr[20:], linktypeSLL2)
	return hdr
}
