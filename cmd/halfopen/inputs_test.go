package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDirectoryScanOpensBundleArchive: a bundle .tar.gz inside a
// directory is opened as a bundle with its snapshots, not read as a
// gzip-compressed capture.
func TestDirectoryScanOpensBundleArchive(t *testing.T) {
	sample := filepath.Join(moduleRoot(t), "samples", "accept-queue-full-syn")
	files := map[string][]byte{}
	for _, name := range []string{"capture.pcap", "sysctl.txt", "ss.txt", "nstat-1-before.txt", "nstat-2-after.txt", "uname.txt"} {
		b, err := os.ReadFile(filepath.Join(sample, name))
		if err != nil {
			t.Skipf("sample missing: %v", err)
		}
		files["bundle/"+name] = b
	}
	dir := t.TempDir()
	archive := filepath.Join(dir, "site", "bundle.tar.gz")
	os.MkdirAll(filepath.Dir(archive), 0o755)
	writeTarball(t, archive, files)
	var out, errb bytes.Buffer
	if code := run([]string{"analyze", "--attempts", "0", dir}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"verdict: accept_queue_full_syn", "bundle.tar.gz/capture.pcap", "kernel: Linux 6.18"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
