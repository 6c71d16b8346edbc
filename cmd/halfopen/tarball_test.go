package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func writeTarball(t *testing.T, path string, files map[string][]byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, data := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		tw.Write(data)
	}
	tw.Close()
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBundleTarball: a bundle archive like halfopen collect writes is
// analysed with its snapshots and no flags; hostile or empty archives give
// one-line errors.
func TestBundleTarball(t *testing.T) {
	root := moduleRoot(t)
	sample := filepath.Join(root, "samples", "accept-queue-full-syn")
	files := map[string][]byte{}
	for _, name := range []string{"capture.pcap", "sysctl.txt", "ss.txt", "nstat-1-before.txt", "nstat-2-after.txt", "uname.txt"} {
		b, err := os.ReadFile(filepath.Join(sample, name))
		if err != nil {
			t.Skipf("sample missing: %v", err)
		}
		files["bundle/"+name] = b
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "bundle.tar.gz")
	writeTarball(t, good, files)
	if !isTarball(good) {
		t.Fatal("isTarball false for a bundle archive")
	}
	if isTarball(filepath.Join(sample, "capture.pcap")) {
		t.Fatal("isTarball true for a pcap")
	}
	var out, errb bytes.Buffer
	if code := run([]string{"analyze", good, "--attempts", "0"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"verdict: accept_queue_full_syn", good + "/capture.pcap", "kernel: Linux 6.18"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	evil := filepath.Join(dir, "evil.tar.gz")
	writeTarball(t, evil, map[string][]byte{"../escape.txt": []byte("x")})
	errb.Reset()
	if code := run([]string{"analyze", evil}, nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "points outside the bundle") {
		t.Errorf("evil archive: exit %d, %q", code, errb.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "escape.txt")); err == nil {
		t.Error("an archive entry escaped the bundle directory")
	}
	empty := filepath.Join(dir, "empty.tar.gz")
	writeTarball(t, empty, map[string][]byte{"x/readme.txt": []byte("hi")})
	errb.Reset()
	if code := run([]string{"analyze", empty}, nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "not a halfopen bundle") {
		t.Errorf("archive without capture: exit %d, %q", code, errb.String())
	}
}

// paxRecord is one PAX extended-header record: "LEN key=value\n", LEN
// counting itself.
func paxRecord(k, v string) string {
	rec := " " + k + "=" + v + "\n"
	n := len(rec)
	for {
		s := strconv.Itoa(n) + rec
		if len(s) == n {
			return s
		}
		n = len(s)
	}
}

// sparseArchive is the archive that once wrote 15 GiB from 227 bytes: a
// PAX extended header marking the next entry as a GNU sparse file (format
// 1.0) of 15 GiB whose only data is its last byte. archive/tar cannot
// write one, so the first header is written as a regular file and turned
// into a PAX header ('x') by hand.
func sparseArchive(t *testing.T, path string) {
	t.Helper()
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(sparseTar())
	zw.Close()
	if err := os.WriteFile(path, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// the archive is what it claims: archive/tar reads 15 GiB from it
	zr, _ := gzip.NewReader(bytes.NewReader(z.Bytes()))
	h, err := tar.NewReader(zr).Next()
	if err != nil || h.Size != 16106127360 {
		t.Fatalf("crafted sparse entry reads as %v, %v", h, err)
	}
}

// sparseTar is the tar inside sparseArchive.
func sparseTar() []byte {
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	pax := paxRecord("GNU.sparse.major", "1") + paxRecord("GNU.sparse.minor", "0") +
		paxRecord("GNU.sparse.name", "capture.pcap") + paxRecord("GNU.sparse.realsize", "16106127360")
	tw.WriteHeader(&tar.Header{Name: "PaxHeaders/capture.pcap", Typeflag: tar.TypeReg, Size: int64(len(pax)), Mode: 0o644, Format: tar.FormatUSTAR})
	tw.Write([]byte(pax))
	data := make([]byte, 513)
	copy(data, "1\n16106127359\n1\n") // one region: offset, length
	tw.WriteHeader(&tar.Header{Name: "GNUSparseFile.0/capture.pcap", Typeflag: tar.TypeReg, Size: int64(len(data)), Mode: 0o644, Format: tar.FormatUSTAR})
	tw.Write(data)
	tw.Close()
	b := tb.Bytes()
	b[156] = tar.TypeXHeader
	copy(b[148:156], "        ")
	sum := 0
	for _, c := range b[:512] {
		sum += int(c)
	}
	copy(b[148:], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

// isolatedTemp points the temporary directory at a fresh one and returns
// it, so a test can see what halfopen leaves there.
func isolatedTemp(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	return dir
}

func leftBehind(t *testing.T, tmp string) []string {
	t.Helper()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// TestBundleArchiveSparse: the 227-byte archive declaring a 15 GiB sparse
// capture is refused before a byte is written, with a one-line error, and
// its scratch directory is gone.
func TestBundleArchiveSparse(t *testing.T) {
	tmp := isolatedTemp(t)
	archive := filepath.Join(t.TempDir(), "sparse.tar.gz")
	sparseArchive(t, archive)
	var out, errb bytes.Buffer
	code := run([]string{"analyze", archive}, nil, &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), "sparse file") || strings.Count(errb.String(), "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	if left := leftBehind(t, tmp); len(left) > 0 {
		t.Errorf("left in the temporary directory: %v", left)
	}
}

// TestBundleArchiveDeclaredSize: an entry declaring more than the archive
// may unpack to is refused from its header, before its data is read.
func TestBundleArchiveDeclaredSize(t *testing.T) {
	tmp := isolatedTemp(t)
	archive := filepath.Join(t.TempDir(), "huge.tar.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "b/capture.pcap", Mode: 0o644, Size: 10 << 30, Typeflag: tar.TypeReg})
	tw.Write(make([]byte, 4096)) // the rest never comes: the archive ends here
	tw.Flush()
	zw.Close()
	os.WriteFile(archive, buf.Bytes(), 0o644)
	var out, errb bytes.Buffer
	code := run([]string{"analyze", archive}, nil, &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), "declares 10737418240 bytes") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	if left := leftBehind(t, tmp); len(left) > 0 {
		t.Errorf("left in the temporary directory: %v", left)
	}
}

// TestBundleArchiveBudget: with a budget of twice the archive's size, a
// capture that inflates more is refused from its header, and an archive
// whose unread entries inflate past the budget stops there.
func TestBundleArchiveBudget(t *testing.T) {
	dir := t.TempDir()
	lim := bundleLimits{ratio: 2, floor: 64 << 10, ceil: 1 << 30, snapshot: 1 << 20}
	zeros := filepath.Join(dir, "zeros.tar.gz")
	writeTarball(t, zeros, map[string][]byte{"b/capture.pcap": make([]byte, 1<<20)})
	s := newScratch()
	defer s.removeAll()
	if _, err := unpackWith(s, zeros, lim); err == nil || !strings.Contains(err.Error(), "declares 1048576 bytes") {
		t.Errorf("a capture inflating 1000 to 1: %v", err)
	}
	junk := filepath.Join(dir, "junk.tar.gz")
	writeTarball(t, junk, map[string][]byte{"b/junk.bin": make([]byte, 4<<20), "b/capture.pcap": []byte("x")})
	if _, err := unpackWith(s, junk, lim); err == nil || !errors.Is(err, errArchiveTooBig) {
		t.Errorf("an archive whose skipped entry inflates past the budget: %v", err)
	}
	snap := filepath.Join(dir, "snap.tar.gz")
	writeTarball(t, snap, map[string][]byte{"b/capture.pcap": []byte("x"), "b/ss.txt": make([]byte, 2<<20)})
	lim.ratio = 1000
	if _, err := unpackWith(s, snap, lim); err == nil || !strings.Contains(err.Error(), `"b/ss.txt" declares`) {
		t.Errorf("a snapshot over its own bound: %v", err)
	}
	if len(s.dirs) != 0 {
		t.Errorf("refused archives left scratch directories: %v", s.dirs)
	}
}

// TestBundleArchiveOnlyKnownEntries: of an archive, only capture.* and
// the snapshot files of the bundle's folder are written; links, other
// files, deeper folders and other folders are not.
func TestBundleArchiveOnlyKnownEntries(t *testing.T) {
	archive := filepath.Join(t.TempDir(), "mixed.tar.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	add := func(h *tar.Header, data string) {
		h.Mode, h.Size = 0o644, int64(len(data))
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		tw.WriteHeader(h)
		tw.Write([]byte(data))
	}
	add(&tar.Header{Name: "b/"}, "")
	add(&tar.Header{Name: "b/capture.pcap"}, "pcap")
	add(&tar.Header{Name: "b/sysctl.txt"}, "net.core.somaxconn = 4096\n")
	add(&tar.Header{Name: "b/manifest.json"}, "{}")
	add(&tar.Header{Name: "b/ss.txt", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}, "")
	add(&tar.Header{Name: "b/nstat-1.txt", Typeflag: tar.TypeLink, Linkname: "b/sysctl.txt"}, "")
	add(&tar.Header{Name: "b/deep/capture.pcapng"}, "x")
	add(&tar.Header{Name: "other/nstat-2.txt"}, "x")
	add(&tar.Header{Name: "b/sysctl.txt"}, "second copy")
	add(&tar.Header{Name: "b/capture.pcapng"}, "second capture")
	tw.Close()
	zw.Close()
	os.WriteFile(archive, buf.Bytes(), 0o644)
	s := newScratch()
	defer s.removeAll()
	u, err := unpackBundle(s, archive)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	entries, _ := os.ReadDir(u.dir)
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != "capture.pcap,sysctl.txt" {
		t.Errorf("unpacked %v, want capture.pcap and sysctl.txt", got)
	}
	if b, _ := os.ReadFile(filepath.Join(u.dir, "sysctl.txt")); string(b) != "net.core.somaxconn = 4096\n" {
		t.Errorf("sysctl.txt holds %q: a second entry overwrote the first", b)
	}
	notes := strings.Join(u.notes, "\n")
	for _, want := range []string{`other/nstat-2.txt: outside the bundle's folder "b"`, "b/sysctl.txt: a second entry", "b/capture.pcapng: a second capture"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
}

// TestScratchSignal: a signal while a scratch directory exists removes it
// and exits with 128+signal; once removed, the handler is gone and new
// work is refused.
func TestScratchSignal(t *testing.T) {
	isolatedTemp(t)
	s := newScratch()
	done := make(chan int)
	s.exit = func(code int) { done <- code }
	dir, err := s.mkdir()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "capture.pcap"), []byte("x"), 0o644)
	s.mu.Lock()
	sigs := s.sigs
	s.mu.Unlock()
	sigs <- syscall.SIGINT
	if code := <-done; code != 130 {
		t.Errorf("exit code %d, want 130", code)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists after the signal", dir)
	}
	if _, err := s.mkdir(); !errors.Is(err, errInterrupted) {
		t.Errorf("mkdir after the signal: %v", err)
	}
	if err := s.do(func() error { return nil }); !errors.Is(err, errInterrupted) {
		t.Errorf("a write after the signal: %v", err)
	}
}

// TestInterruptRemovesBundle runs the built binary on a large bundle
// archive and sends SIGINT while it unpacks (or, at the latest, while it
// reads the capture): the process ends with 130 and leaves nothing in the
// temporary directory.
func TestInterruptRemovesBundle(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 512 MB archive")
	}
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send on Windows")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "halfopen")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	archive := filepath.Join(dir, "big.tar.gz")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.NoCompression) // stored: the archive is as big as what it unpacks to
	tw := tar.NewWriter(zw)
	const size = 512 << 20
	tw.WriteHeader(&tar.Header{Name: "b/capture.pcap", Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
	chunk := make([]byte, 1<<20)
	for range size / len(chunk) {
		tw.Write(chunk)
	}
	tw.Close()
	zw.Close()
	f.Close()
	tmp := filepath.Join(dir, "tmp")
	os.Mkdir(tmp, 0o755)
	cmd := exec.Command(bin, "analyze", archive)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { ended <- cmd.Wait() }()
	// Wait for the unpacking to have begun: the capture file exists.
	for {
		m, _ := filepath.Glob(filepath.Join(tmp, "halfopen-bundle-*", "capture.pcap"))
		if len(m) > 0 {
			break
		}
		select {
		case err := <-ended:
			t.Fatalf("halfopen ended before unpacking: %v", err)
		default:
		}
		time.Sleep(time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	err = <-ended
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("halfopen ended with %v, want exit code 130", err)
	}
	if left := leftBehind(t, tmp); len(left) > 0 {
		t.Errorf("left in the temporary directory after SIGINT: %v", left)
	}
}
