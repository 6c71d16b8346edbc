package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/halfopen/halfopen/analyze"
	"github.com/klauspost/compress/gzip"
)

// Bounds on unpacking a bundle archive. gzip inflates at most about 1000
// to 1; a capture of handshakes inflates 3 to 10, so 100 times the
// archive is ample for a real bundle and stops a small hostile one early
// (a 2.7 KB archive once wrote 15 GiB). The floor lets small bundles
// through whatever their ratio; the ceiling holds for huge archives.
const (
	bundleRatio      = 100
	bundleFloorBytes = 64 << 20
	bundleCeilBytes  = 16 << 30
)

// maxArchiveCounterFiles bounds the counter snapshots unpacked (files,
// not bytes: the budget bounds those). LoadBundle reads the first and the
// last of them; an archive is read in its order, so it keeps more.
const maxArchiveCounterFiles = 16 * analyze.MaxBundleCounterFiles

// bundleLimits bound what an archive may unpack to; tests use small ones.
type bundleLimits struct {
	ratio, floor, ceil int64
	snapshot           int64 // per snapshot file
}

var defaultBundleLimits = bundleLimits{bundleRatio, bundleFloorBytes, bundleCeilBytes, analyze.MaxBundleSnapshotBytes}

// budget is how many bytes an archive of size compressed bytes may
// unpack to.
func (l bundleLimits) budget(size int64) int64 {
	return min(max(size*l.ratio, l.floor), l.ceil)
}

// isTarball reports whether path is a gzip-compressed tar archive (a
// bundle from halfopen collect), by content: a gzip stream whose first
// block carries the ustar magic. Only regular files are opened: reading a
// FIFO would block, or take bytes the capture reader needs.
func isTarball(path string) bool {
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if head, _ := br.Peek(2); !bytes.Equal(head, []byte{0x1f, 0x8b}) {
		return false
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return false
	}
	block := make([]byte, 512)
	if _, err := io.ReadFull(zr, block); err != nil {
		return false
	}
	return bytes.HasPrefix(block[257:], []byte("ustar"))
}

// unpacked is a bundle archive unpacked into a scratch directory.
type unpacked struct {
	dir   string   // holds capture.* and the snapshots
	notes []string // entries skipped, and why
}

// unpackBundle extracts the files halfopen reads from a bundle archive
// (analyze.BundleFile: capture.*, the snapshots), from the archive's
// root or its one top folder, into a new scratch directory; nothing else
// is written, links never. It stops at the budget of bytes actually
// written, refuses entries whose declared size is beyond it before
// writing any, and refuses sparse entries (a few bytes declaring
// gigabytes of holes).
func unpackBundle(s *scratch, path string) (unpacked, error) {
	return unpackWith(s, path, defaultBundleLimits)
}

func unpackWith(s *scratch, path string, lim bundleLimits) (unpacked, error) {
	f, err := os.Open(path)
	if err != nil {
		return unpacked{}, unwrapPath(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return unpacked{}, unwrapPath(err)
	}
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return unpacked{}, fmt.Errorf("corrupt bundle archive: %v", err)
	}
	root, err := s.mkdir()
	if err != nil {
		return unpacked{}, err
	}
	budget := lim.budget(st.Size())
	// Skipping an entry halfopen does not read still inflates it: the
	// whole stream gets the budget too, which bounds the time spent.
	stream := &cappedReader{r: zr, left: budget + lim.floor}
	u := unpacker{s: s, root: root, budget: budget, snapshotMax: lim.snapshot, seen: map[string]bool{}}
	if err := u.run(tar.NewReader(stream)); err != nil {
		s.discard(root)
		return unpacked{}, err
	}
	if !u.capture {
		s.discard(root)
		return unpacked{}, errors.New("the archive holds no capture.* file: not a halfopen bundle")
	}
	return unpacked{dir: root, notes: u.notes}, nil
}

type unpacker struct {
	s           *scratch
	root        string
	budget      int64           // bytes still allowed
	snapshotMax int64           // per snapshot file
	top         *string         // the folder the bundle's files are in ("" for the root), once known
	seen        map[string]bool // names extracted
	capture     bool
	counter     int
	notes       []string
}

func (u *unpacker) run(tr *tar.Reader) error {
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if errors.Is(err, errArchiveTooBig) {
			return errArchiveTooBig
		}
		if err != nil {
			return fmt.Errorf("corrupt bundle archive: %v", err)
		}
		if err := u.entry(tr, h); err != nil {
			return err
		}
	}
}

// entry extracts one archive entry if it is a file halfopen reads.
func (u *unpacker) entry(tr *tar.Reader, h *tar.Header) error {
	name := path.Clean(strings.TrimPrefix(h.Name, "./"))
	if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
		return fmt.Errorf("bundle archive entry %q points outside the bundle", h.Name)
	}
	if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeGNUSparse {
		return nil // folders, links, devices: never created
	}
	dir, base := path.Split(name)
	dir = strings.TrimSuffix(dir, "/")
	kind := analyze.BundleFile(base)
	if kind == "" || strings.Contains(dir, "/") {
		return nil // not a bundle file, or deeper than a top folder
	}
	if u.top == nil {
		u.top = &dir
	}
	switch {
	case dir != *u.top:
		u.note("%s: outside the bundle's folder %q, skipped", h.Name, *u.top)
		return nil
	case u.seen[base]:
		u.note("%s: a second entry of that name, skipped", h.Name)
		return nil
	case kind == "capture" && u.capture:
		u.note("%s: a second capture.* in the bundle, skipped", h.Name)
		return nil
	case kind == "counter" && u.counter == maxArchiveCounterFiles:
		u.note("%s: more than %d counter snapshots in the bundle, skipped", h.Name, maxArchiveCounterFiles)
		return nil
	}
	if isSparse(h) {
		return fmt.Errorf("bundle archive entry %q is a sparse file (%d bytes declared): halfopen does not unpack sparse entries; unpack it yourself (tar xzf) and pass the folder", h.Name, h.Size)
	}
	limit := u.budget
	if kind != "capture" {
		limit = min(limit, u.snapshotMax)
	}
	if h.Size < 0 || h.Size > limit {
		return fmt.Errorf("bundle archive entry %q declares %d bytes, more than this archive may unpack to (%d): unpack it yourself (tar xzf) and pass the folder if it is genuine", h.Name, h.Size, limit)
	}
	if err := u.write(filepath.Join(u.root, base), tr, h.Size); err != nil {
		return fmt.Errorf("bundle archive entry %q: %w", h.Name, err)
	}
	u.budget -= h.Size
	u.seen[base] = true
	switch kind {
	case "capture":
		u.capture = true
	case "counter":
		u.counter++
	}
	return nil
}

// write copies size bytes from r to a new file at target, a chunk at a
// time under the scratch lock, and fails if r holds more or fewer.
func (u *unpacker) write(target string, r io.Reader, size int64) error {
	var out *os.File
	if err := u.s.do(func() error {
		var err error
		out, err = os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		return err
	}); err != nil {
		return err
	}
	defer out.Close()
	buf := make([]byte, 1<<20)
	var written int64
	for {
		n, rerr := io.ReadFull(r, buf)
		if written+int64(n) > size {
			return fmt.Errorf("holds more than the %d bytes it declares", size)
		}
		if n > 0 {
			if err := u.s.do(func() error { _, err := out.Write(buf[:n]); return err }); err != nil {
				return err
			}
			written += int64(n)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if errors.Is(rerr, errArchiveTooBig) {
			return rerr
		}
		if rerr != nil {
			return fmt.Errorf("corrupt bundle archive: %v", rerr)
		}
	}
	if written != size {
		return fmt.Errorf("cut short: %d of %d bytes", written, size)
	}
	return nil
}

// isSparse reports whether an entry is a GNU sparse file, in the old
// format or the PAX one (which archive/tar reports as a regular file).
func isSparse(h *tar.Header) bool {
	if h.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

func (u *unpacker) note(format string, args ...any) {
	u.notes = append(u.notes, fmt.Sprintf(format, args...))
}

// cappedReader fails once more than left bytes were read through it.
type cappedReader struct {
	r    io.Reader
	left int64
}

var errArchiveTooBig = errors.New("the archive unpacks to far more than its size allows: not a halfopen bundle, or unpack it yourself (tar xzf) and pass the folder")

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errArchiveTooBig
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}
