//go:build linux

package collect

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// stage is the private work directory of one run. It is made fresh (mkdir
// fails rather than reuse an existing directory), mode 0700, next to the
// output so that the finished bundle is renamed into place on the same
// filesystem. Every file in it is reached through the directory's
// descriptor (openat, unlinkat, renameat2), so swapping the stage's path
// for a link after it was made changes nothing, and every file is created
// with O_EXCL|O_NOFOLLOW, so a link planted inside is never written through.
type stage struct {
	parent     *os.File // the output's directory
	parentPath string
	name       string   // the stage's name in parent
	dir        *os.File // the stage, opened O_DIRECTORY|O_NOFOLLOW
}

// newStage makes a fresh private directory named prefix.collecting-XXXXXX
// in parentPath. The visible name says what a directory left behind by a
// killed run is.
func newStage(parentPath, prefix string) (*stage, error) {
	pfd, err := unix.Open(parentPath, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", parentPath, err)
	}
	s := &stage{parent: os.NewFile(uintptr(pfd), parentPath), parentPath: parentPath}
	for range 100 {
		name := prefix + ".collecting-" + randomSuffix()
		err = unix.Mkdirat(pfd, name, 0o700)
		if err == unix.EEXIST {
			continue
		}
		if err != nil {
			s.parent.Close()
			return nil, fmt.Errorf("making a work directory in %s: %w", parentPath, err)
		}
		s.name = name
		break
	}
	if s.name == "" {
		s.parent.Close()
		return nil, fmt.Errorf("making a work directory in %s: %w", parentPath, err)
	}
	if err := s.openDir(); err != nil {
		unix.Unlinkat(pfd, s.name, unix.AT_REMOVEDIR)
		s.parent.Close()
		return nil, err
	}
	return s, nil
}

// openDir opens the directory just made and checks it is the one mkdir
// made: ours, private, and not replaced in between.
func (s *stage) openDir() error {
	fd, err := unix.Openat(int(s.parent.Fd()), s.name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening the work directory %s: %w", s.path(), err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return fmt.Errorf("checking the work directory %s: %w", s.path(), err)
	}
	if int(st.Uid) != os.Geteuid() || st.Mode&0o077 != 0 {
		unix.Close(fd)
		return fmt.Errorf("the work directory %s is not private (owner %d, mode %o): another process changed it", s.path(), st.Uid, st.Mode&0o777)
	}
	s.dir = os.NewFile(uintptr(fd), s.path())
	return nil
}

func randomSuffix() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// path is the stage's path, for messages.
func (s *stage) path() string { return filepath.Join(s.parentPath, s.name) }

func (s *stage) fd() int { return int(s.dir.Fd()) }

// create makes a new file; it fails if name exists, even as a link.
func (s *stage) create(name string) (*os.File, error) {
	fd, err := unix.Openat(s.fd(), name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", name, err)
	}
	// Named by the bare name: errors then read "write ss.txt: no space
	// left on device", without the stage's temporary path.
	return os.NewFile(uintptr(fd), name), nil
}

// open opens an existing regular file for reading, never through a link.
func (s *stage) open(name string) (*os.File, error) {
	return s.openFlags(name, unix.O_RDONLY)
}

// openAppend opens an existing regular file for appending.
func (s *stage) openAppend(name string) (*os.File, error) {
	return s.openFlags(name, unix.O_WRONLY|unix.O_APPEND)
}

func (s *stage) openFlags(name string, flags int) (*os.File, error) {
	// O_NONBLOCK: a FIFO in place of a file must not hang the run; it is
	// refused just below.
	fd, err := unix.Openat(s.fd(), name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", name, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, fmt.Errorf("opening %s: not a regular file", name)
	}
	return os.NewFile(uintptr(fd), name), nil
}

// remove deletes a file of the stage (a link is removed, not followed).
func (s *stage) remove(name string) error {
	if err := unix.Unlinkat(s.fd(), name, 0); err != nil && err != unix.ENOENT {
		return fmt.Errorf("removing %s: %w", name, err)
	}
	return nil
}

// rename renames a file within the stage; it never replaces one.
func (s *stage) rename(from, to string) error {
	if err := renameNoReplace(s.fd(), from, s.fd(), to); err != nil {
		return fmt.Errorf("renaming %s to %s: %w", from, to, err)
	}
	return nil
}

// size returns a file's size, 0 when it does not exist.
func (s *stage) size(name string) int64 {
	var st unix.Stat_t
	if err := unix.Fstatat(s.fd(), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return 0
	}
	return st.Size
}

// names lists the stage's entries, sorted. hidden includes the work files
// whose names start with a dot (ring and chunk files, the archive being
// written); the bundle's own files never do.
func (s *stage) names(hidden bool) ([]string, error) {
	fd, err := unix.Openat(s.fd(), ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", s.path(), err)
	}
	f := os.NewFile(uintptr(fd), s.path())
	defer f.Close()
	all, err := f.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", s.path(), err)
	}
	var out []string
	for _, n := range all {
		if hidden || !strings.HasPrefix(n, ".") {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// bytes is the total size of the stage's files.
func (s *stage) bytes() int64 {
	names, _ := s.names(true)
	var n int64
	for _, name := range names {
		n += s.size(name)
	}
	return n
}

// free returns the bytes an unprivileged user could still write on the
// stage's filesystem. Root may dip into the blocks reserved for it, but
// those are what keeps a full server alive, so they do not count.
func (s *stage) free() (avail, size int64, err error) {
	var st unix.Statfs_t
	if err := unix.Fstatfs(s.fd(), &st); err != nil {
		return 0, 0, fmt.Errorf("statfs %s: %w", s.path(), err)
	}
	return int64(st.Bavail) * st.Bsize, int64(st.Blocks) * st.Bsize, nil
}

// close releases the descriptors; the directory stays.
func (s *stage) close() {
	if s.dir != nil {
		s.dir.Close()
		s.dir = nil
	}
	if s.parent != nil {
		s.parent.Close()
		s.parent = nil
	}
}

// removeAll deletes the stage and its files (it holds no directories),
// through the descriptors, and closes it.
func (s *stage) removeAll() error {
	if s.dir == nil {
		return nil
	}
	names, err := s.names(true)
	for _, n := range names {
		if e := s.remove(n); e != nil && err == nil {
			err = e
		}
	}
	if e := unix.Unlinkat(int(s.parent.Fd()), s.name, unix.AT_REMOVEDIR); e != nil && err == nil {
		err = fmt.Errorf("removing the work directory %s: %w", s.path(), e)
	}
	s.close()
	return err
}

// renameNoReplace renames atomically and fails with EEXIST if the target
// exists. Filesystems without RENAME_NOREPLACE get link+unlink for files,
// which fails the same way; a directory cannot be linked, so there a
// check before a plain rename is the best that can be done.
func renameNoReplace(fromDir int, from string, toDir int, to string) error {
	err := unix.Renameat2(fromDir, from, toDir, to, unix.RENAME_NOREPLACE)
	if err != unix.EINVAL && err != unix.ENOSYS && err != unix.ENOTSUP {
		return err
	}
	if err := unix.Linkat(fromDir, from, toDir, to, 0); err == nil {
		return unix.Unlinkat(fromDir, from, 0)
	} else if err != unix.EPERM {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstatat(toDir, to, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil {
		return unix.EEXIST
	} else if !errors.Is(err, unix.ENOENT) {
		return err
	}
	return unix.Renameat(fromDir, from, toDir, to)
}
