package flows

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Compression names a container's compression, detected from its first bytes.
type Compression string

// Compressions halfopen reads.
const (
	CompressionNone Compression = ""
	CompressionGzip Compression = "gzip"
	CompressionZstd Compression = "zstd"
)

var (
	magicGzip = []byte{0x1f, 0x8b}
	magicZstd = []byte{0x28, 0xb5, 0x2f, 0xfd}
	// Compressions we recognise but do not read, so the error can say what to do.
	magicUnsupported = []struct {
		magic []byte
		name  string
		tool  string
	}{
		{[]byte{0xfd, '7', 'z', 'X', 'Z', 0x00}, "xz", "xz -d"},
		{[]byte{'B', 'Z', 'h'}, "bzip2", "bunzip2"},
		{[]byte{0x04, 0x22, 0x4d, 0x18}, "lz4", "lz4 -d"},
		{[]byte{'P', 'K', 0x03, 0x04}, "zip", "unzip"},
	}
)

// openContainer sniffs r, strips gzip/zstd, and returns a record reader for
// the pcap or pcapng inside. The returned closer stops any decompression
// goroutine; call it when done reading.
func openContainer(r io.Reader) (recordReader, Compression, func(), error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(8)
	if len(head) == 0 {
		return nil, "", nil, &FormatError{Msg: "empty file: not a pcap or pcapng file", Err: ErrNotCapture}
	}
	var (
		comp    Compression
		payload io.Reader = br
		closer            = func() {}
	)
	switch {
	case bytes.HasPrefix(head, magicGzip):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "", nil, &FormatError{Msg: fmt.Sprintf("gzip header is unreadable: %v", err)}
		}
		comp = CompressionGzip
		payload, closer = readAhead(zr, func() { zr.Close() })
	case bytes.HasPrefix(head, magicZstd):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<30))
		if err != nil {
			return nil, "", nil, &FormatError{Msg: fmt.Sprintf("zstd header is unreadable: %v", err)}
		}
		comp = CompressionZstd
		payload, closer = readAhead(zr, zr.Close)
	default:
		for _, u := range magicUnsupported {
			if bytes.HasPrefix(head, u.magic) {
				return nil, "", nil, &FormatError{Msg: fmt.Sprintf("%s-compressed input is not supported: decompress it first (%s)", u.name, u.tool), Err: ErrNotCapture}
			}
		}
	}
	w := newWindow(payload)
	magic, err := w.need(4)
	if err != nil && len(magic) < 4 {
		closer()
		if comp != CompressionNone && w.err != nil {
			// The decompressor failed before yielding 4 bytes: say so
			// rather than call the capture inside too short.
			if errors.Is(w.err, io.ErrUnexpectedEOF) {
				return nil, comp, nil, &FormatError{Msg: fmt.Sprintf("%s stream is cut short before the capture's first bytes", comp)}
			}
			return nil, comp, nil, &FormatError{Msg: fmt.Sprintf("%s stream is corrupt: %v", comp, w.err)}
		}
		return nil, comp, nil, &FormatError{Msg: fmt.Sprintf("too short (%d bytes) to be a pcap or pcapng file", len(magic)), Err: ErrNotCapture}
	}
	var rr recordReader
	switch {
	case isPcapMagic(magic):
		rr, err = newPcapReader(w)
	case isPcapngMagic(magic):
		rr, err = newPcapngReader(w)
	default:
		err = &FormatError{Msg: "not a pcap or pcapng file", Err: ErrNotCapture}
	}
	if err != nil {
		closer()
		return nil, comp, nil, err
	}
	return rr, comp, closer, nil
}

// readAhead runs src in its own goroutine so decompression overlaps with
// decoding on another core. Chunks travel through a small channel; the
// returned closer stops the goroutine early.
func readAhead(src io.Reader, closeSrc func()) (io.Reader, func()) {
	const chunkSize = 1 << 20
	ra := &aheadReader{
		chunks: make(chan aheadChunk, 4),
		free:   make(chan []byte, 6),
		done:   make(chan struct{}),
	}
	for range 6 {
		ra.free <- make([]byte, chunkSize)
	}
	ra.wg.Add(1)
	go func() {
		defer ra.wg.Done()
		defer close(ra.chunks)
		for {
			var buf []byte
			select {
			case buf = <-ra.free:
			case <-ra.done:
				return
			}
			n, err := fillChunk(src, buf)
			select {
			case ra.chunks <- aheadChunk{buf[:n], err}:
			case <-ra.done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var once sync.Once
	return ra, func() {
		once.Do(func() {
			close(ra.done)
			ra.wg.Wait()
			closeSrc()
		})
	}
}

type aheadChunk struct {
	data []byte
	err  error
}

type aheadReader struct {
	chunks chan aheadChunk
	free   chan []byte
	done   chan struct{}
	wg     sync.WaitGroup
	cur    []byte
	whole  []byte
	err    error
}

func (a *aheadReader) Read(p []byte) (int, error) {
	for len(a.cur) == 0 {
		if a.whole != nil {
			a.free <- a.whole[:cap(a.whole)]
			a.whole = nil
		}
		if a.err != nil {
			return 0, a.err
		}
		c, ok := <-a.chunks
		if !ok {
			a.err = io.EOF
			return 0, io.EOF
		}
		a.cur, a.whole, a.err = c.data, c.data, c.err
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// fillChunk reads until buf is full or src fails. Unlike io.ReadFull it
// passes io.ErrUnexpectedEOF from src through untouched: from a decompressor
// that means a truncated stream, not a short final chunk.
func fillChunk(src io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := src.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
		if m == 0 {
			return n, io.ErrNoProgress
		}
	}
	return n, nil
}
