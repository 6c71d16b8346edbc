//go:build linux

package collect

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// archiveTmp is the archive's name in the stage while it is written; the
// leading dot keeps it out of the bundle's file list.
const archiveTmp = ".bundle.tar.gz"

// guardEvery is how many archive bytes are written between two checks of
// the free space and of an abort.
const guardEvery = 1 << 20

// writeArchive writes the stage's bundle files into archiveTmp as a
// .tar.gz holding top/<files>. guard is called before writing and every
// MB: its error (low disk, abort) stops the archive, which is then
// deleted; the files stay.
func writeArchive(st *stage, top string, guard func() error) error {
	if err := guard(); err != nil {
		return err
	}
	names, err := st.names(false)
	if err != nil {
		return err
	}
	f, err := st.create(archiveTmp)
	if err != nil {
		return err
	}
	gw := &guardedWriter{w: f, guard: guard}
	err = writeTarGz(st, gw, top, names)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		st.remove(archiveTmp)
	}
	return err
}

func writeTarGz(st *stage, w io.Writer, top string, names []string) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	for _, n := range names {
		if err := addFile(st, tw, top, n); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("writing the archive: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("writing the archive: %w", err)
	}
	return nil
}

func addFile(st *stage, tw *tar.Writer, top, name string) error {
	in, err := st.open(name)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	hdr := &tar.Header{Name: top + "/" + name, Mode: 0o644, Size: fi.Size(), ModTime: fi.ModTime(), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("writing the archive: %w", err)
	}
	if _, err := io.CopyN(tw, in, fi.Size()); err != nil {
		return fmt.Errorf("writing the archive (%s): %w", name, err)
	}
	return nil
}

// archiveTop is the folder inside the archive: the file's name without
// its extension, as before.
func archiveTop(base string) string {
	return strings.TrimSuffix(strings.TrimSuffix(base, ".tgz"), ".tar.gz")
}

// guardedWriter calls guard every guardEvery bytes.
type guardedWriter struct {
	w       io.Writer
	guard   func() error
	written int64
	checked int64
}

func (g *guardedWriter) Write(p []byte) (int, error) {
	if g.written-g.checked >= guardEvery {
		g.checked = g.written
		if err := g.guard(); err != nil {
			return 0, err
		}
	}
	n, err := g.w.Write(p)
	g.written += int64(n)
	return n, err
}

// errLowSpace stops the archive when the disk falls below the floor.
var errLowSpace = errors.New("the disk is below the space kept free for the server")
