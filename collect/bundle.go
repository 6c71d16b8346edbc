package collect

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// writeBundle turns the work directory into the output: a .tar.gz (or
// .tgz) holding bundle/<files>, or a plain directory.
func writeBundle(dir, out string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if !strings.HasSuffix(out, ".tar.gz") && !strings.HasSuffix(out, ".tgz") {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return "", fmt.Errorf("%s: %w", out, err)
		}
		for _, n := range names {
			if err := copyFile(filepath.Join(dir, n), filepath.Join(out, n)); err != nil {
				return "", err
			}
		}
		return out, nil
	}
	f, err := os.Create(out)
	if err != nil {
		return "", fmt.Errorf("%s: %w", out, err)
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	base := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(out), ".tgz"), ".tar.gz")
	for _, n := range names {
		st, err := os.Stat(filepath.Join(dir, n))
		if err != nil {
			return "", err
		}
		hdr := &tar.Header{Name: base + "/" + n, Mode: 0o644, Size: st.Size(), ModTime: st.ModTime()}
		if err := tw.WriteHeader(hdr); err != nil {
			return "", err
		}
		src, err := os.Open(filepath.Join(dir, n))
		if err != nil {
			return "", err
		}
		_, err = io.Copy(tw, src)
		src.Close()
		if err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	if err := gz.Close(); err != nil {
		return "", err
	}
	return out, f.Sync()
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
