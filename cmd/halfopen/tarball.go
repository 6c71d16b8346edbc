package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// maxBundleBytes bounds what a bundle archive may unpack to.
const maxBundleBytes = 16 << 30

// isTarball reports whether path is a gzip-compressed tar archive (a
// bundle from halfopen collect), by content: a gzip stream whose first
// block carries the ustar magic.
func isTarball(path string) bool {
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

// unpackBundle extracts a bundle archive into a new temporary directory and
// returns the directory holding capture.* (the archive's top folder, or
// the root). The caller removes root when done.
func unpackBundle(path string) (dir, root string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return "", "", err
	}
	root, err = os.MkdirTemp("", "halfopen-bundle-")
	if err != nil {
		return "", "", err
	}
	tr := tar.NewReader(zr)
	var total int64
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			os.RemoveAll(root)
			return "", "", fmt.Errorf("corrupt bundle archive: %v", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := filepath.Clean(h.Name)
		if filepath.IsAbs(name) || strings.HasPrefix(name, "..") {
			os.RemoveAll(root)
			return "", "", fmt.Errorf("bundle archive entry %q points outside the bundle", h.Name)
		}
		total += h.Size
		if total > maxBundleBytes {
			os.RemoveAll(root)
			return "", "", errors.New("bundle archive unpacks to more than 16 GB")
		}
		target := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			os.RemoveAll(root)
			return "", "", err
		}
		out, err := os.Create(target)
		if err != nil {
			os.RemoveAll(root)
			return "", "", err
		}
		_, err = io.Copy(out, io.LimitReader(tr, h.Size))
		out.Close()
		if err != nil {
			os.RemoveAll(root)
			return "", "", fmt.Errorf("corrupt bundle archive: %v", err)
		}
	}
	matches, _ := filepath.Glob(filepath.Join(root, "*", "capture.*"))
	if direct, _ := filepath.Glob(filepath.Join(root, "capture.*")); len(direct) > 0 {
		return root, root, nil
	}
	if len(matches) > 0 {
		return filepath.Dir(matches[0]), root, nil
	}
	os.RemoveAll(root)
	return "", "", errors.New("the archive holds no capture.* file: not a halfopen bundle")
}
