package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
