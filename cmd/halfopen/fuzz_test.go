package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/halfopen/halfopen/analyze"
)

// tarOf is an uncompressed tar of the given entries, in order.
func tarOf(entries ...*tar.Header) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, h := range entries {
		data := h.Linkname // the content, for regular files
		if h.Typeflag == tar.TypeReg {
			h.Linkname, h.Size = "", int64(len(data))
		}
		h.Mode = 0o644
		tw.WriteHeader(h)
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(data))
		}
	}
	tw.Close()
	return b.Bytes()
}

// FuzzBundleArchive feeds bundle archives (the fuzzer mutates the tar,
// the target compresses it): whatever the archive holds, unpacking never
// panics, writes only the files a bundle has, within the budget, and
// leaves nothing behind once the command ends or the archive is refused.
// Run it with go test ./cmd/halfopen -run '^$' -fuzz FuzzBundleArchive.
func FuzzBundleArchive(f *testing.F) {
	reg := func(name, data string) *tar.Header {
		return &tar.Header{Name: name, Typeflag: tar.TypeReg, Linkname: data}
	}
	f.Add(tarOf(reg("b/capture.pcap", "\xd4\xc3\xb2\xa1"), reg("b/sysctl.txt", "net.core.somaxconn = 4096\n"), reg("b/nstat-1.txt", "#kernel\nTcpExtListenDrops 3 0\n"), reg("b/uname.txt", "6.1.0\n")))
	f.Add(tarOf(reg("capture.pcap", "x"), reg("../escape.txt", "x")))
	f.Add(tarOf(&tar.Header{Name: "b/ss.txt", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}, reg("b/capture.pcap", "x"), reg("b/capture.pcap", "y")))
	f.Add(sparseTar())
	tmp := f.TempDir()
	f.Setenv("TMPDIR", tmp)
	archive := filepath.Join(f.TempDir(), "bundle.tar.gz") // inputs run one at a time in a process
	lim := bundleLimits{ratio: 4, floor: 1 << 20, ceil: 1 << 30, snapshot: 256 << 10}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(raw)
		zw.Close()
		if err := os.WriteFile(archive, z.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		s := newScratch()
		u, err := unpackWith(s, archive, lim)
		if err != nil {
			if len(s.dirs) != 0 {
				t.Fatalf("refused (%v) but left %v", err, s.dirs)
			}
			return
		}
		entries, _ := os.ReadDir(u.dir)
		var total int64
		captures := 0
		for _, e := range entries {
			kind := analyze.BundleFile(e.Name())
			st, err := os.Lstat(filepath.Join(u.dir, e.Name()))
			if kind == "" || err != nil || !st.Mode().IsRegular() {
				t.Fatalf("unpacked %q (%v)", e.Name(), st.Mode())
			}
			if kind == "capture" {
				captures++
			}
			total += st.Size()
		}
		if captures != 1 || total > lim.budget(int64(z.Len())) {
			t.Fatalf("%d captures, %d bytes for a budget of %d", captures, total, lim.budget(int64(z.Len())))
		}
		analyze.LoadBundle(u.dir, analyze.SnapshotFiles{}) // must not panic; errors are fine
		s.removeAll()
		if left, _ := filepath.Glob(filepath.Join(tmp, "halfopen-bundle-*")); len(left) != 0 {
			t.Fatalf("left behind: %v", left)
		}
	})
}
