//go:build linux

package collect

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// destination is where the bundle goes, checked before anything is
// collected so that a refusal costs the user nothing.
type destination struct {
	path    string // as given, cleaned
	dir     string // the directory that receives it
	base    string // its name there
	archive bool   // .tar.gz or .tgz: one file; anything else: a directory
	force   bool   // replace what is there (a link is replaced, never followed)
}

func isArchiveName(p string) bool {
	return strings.HasSuffix(p, ".tar.gz") || strings.HasSuffix(p, ".tgz")
}

// checkDestination refuses, in one line naming the path and the flag that
// overrides it, any output that would overwrite something or write
// through a link.
func checkDestination(out string, force bool) (destination, error) {
	clean := filepath.Clean(out)
	d := destination{path: clean, dir: filepath.Dir(clean), base: filepath.Base(clean), archive: isArchiveName(clean), force: force}
	if d.base == "/" || d.base == "." || d.base == ".." {
		return d, fmt.Errorf("-o %s: give a file name (bundle.tar.gz) or a new directory", out)
	}
	if err := checkParent(d); err != nil {
		return d, err
	}
	return d, d.checkExisting()
}

// checkParent checks the directory that receives the bundle. One writable
// by everyone without the sticky bit would let any user rename the work
// directory away and plant a link in its place.
func checkParent(d destination) error {
	st, err := os.Stat(d.dir)
	if err != nil {
		return fmt.Errorf("-o %s: %w", d.path, unwrapPath(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("-o %s: %s is not a directory", d.path, d.dir)
	}
	if st.Mode().Perm()&0o002 != 0 && st.Mode()&fs.ModeSticky == 0 {
		return fmt.Errorf("-o %s: %s is writable by everyone and not sticky, so another user could swap files in it; write elsewhere", d.path, d.dir)
	}
	return nil
}

// checkExisting decides about what is already at the destination.
func (d destination) checkExisting() error {
	st, err := os.Lstat(d.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("-o %s: %w", d.path, unwrapPath(err))
	}
	mode := st.Mode()
	switch {
	case mode&fs.ModeSymlink != 0 && !d.force:
		return fmt.Errorf("-o %s: is a symbolic link; refusing to write through it (--force replaces the link itself, never its target)", d.path)
	case !d.force:
		return fmt.Errorf("-o %s: already exists; refusing to overwrite it (--force replaces it)", d.path)
	case mode&fs.ModeSymlink != 0:
		return nil
	case d.archive && mode.IsDir():
		return fmt.Errorf("-o %s: is a directory; an archive cannot replace it, even with --force (give another name)", d.path)
	case d.archive && mode.IsRegular():
		return nil
	case !d.archive && mode.IsRegular():
		return fmt.Errorf("-o %s: is a file, and -o without .tar.gz writes a directory; remove it or give another name", d.path)
	case !d.archive && mode.IsDir():
		if !isBundleDir(d.path) {
			return fmt.Errorf("-o %s: is a directory that is not a halfopen bundle; refusing to replace it, even with --force", d.path)
		}
		return nil
	}
	return fmt.Errorf("-o %s: is neither a file nor a directory; refusing to replace it", d.path)
}

// isBundleDir reports whether dir is empty or holds a bundle's manifest or
// capture as a regular file: what --force may replace. Anything else might
// be a directory the user did not mean to lose.
func isBundleDir(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	if len(entries) == 0 {
		return true
	}
	for _, e := range entries {
		if (e.Name() == "manifest.json" || e.Name() == "capture.pcap") && e.Type().IsRegular() {
			return true
		}
	}
	return false
}

// errAppeared is returned when the destination appeared during the run.
var errAppeared = errors.New("appeared during the run")

// placeArchive renames the finished archive (tmp, in the stage) to the
// destination: the destination is either absent or a complete bundle.
// With --force a file or link there is replaced by the rename itself,
// which never follows the link.
func (d destination) placeArchive(st *stage, tmp string) error {
	pfd := int(st.parent.Fd())
	if d.force {
		if err := d.checkExisting(); err != nil {
			return err
		}
		if err := unix.Renameat(st.fd(), tmp, pfd, d.base); err != nil {
			return fmt.Errorf("-o %s: %w", d.path, err)
		}
		return nil
	}
	err := renameNoReplace(st.fd(), tmp, pfd, d.base)
	if err == unix.EEXIST {
		return fmt.Errorf("-o %s: %w", d.path, errAppeared)
	}
	if err != nil {
		return fmt.Errorf("-o %s: %w", d.path, err)
	}
	return nil
}

// placeDir renames the stage itself to the destination directory. With
// --force an existing bundle or link is swapped out atomically
// (RENAME_EXCHANGE) and then removed; removal unlinks links, never
// follows them.
func (d destination) placeDir(st *stage, name string) error {
	if err := unix.Fchmod(st.fd(), 0o755); err != nil {
		return fmt.Errorf("-o %s: %w", d.path, err)
	}
	pfd := int(st.parent.Fd())
	err := renameNoReplace(pfd, st.name, pfd, name)
	if err == unix.EEXIST && d.force && name == d.base {
		err = d.swapDir(st)
	} else if err == unix.EEXIST {
		return fmt.Errorf("-o %s: %w", filepath.Join(d.dir, name), errAppeared)
	}
	if err != nil {
		return fmt.Errorf("-o %s: %w", filepath.Join(d.dir, name), err)
	}
	st.name = name
	return nil
}

// swapDir replaces what --force allowed replacing at the destination.
func (d destination) swapDir(st *stage) error {
	if err := d.checkExisting(); err != nil {
		return err
	}
	pfd := int(st.parent.Fd())
	old := st.name + ".old"
	if err := unix.Renameat2(pfd, st.name, pfd, d.base, unix.RENAME_EXCHANGE); err == nil {
		old = st.name // the stage's name now holds the old entry
	} else if err := renameNoReplace(pfd, d.base, pfd, old); err != nil {
		return err
	} else if err := renameNoReplace(pfd, st.name, pfd, d.base); err != nil {
		return err
	}
	// os.RemoveAll walks with openat and O_NOFOLLOW: links inside the old
	// directory, or the old entry being a link, are removed, not followed.
	return os.RemoveAll(filepath.Join(d.dir, old))
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
