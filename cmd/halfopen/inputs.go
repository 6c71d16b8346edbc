package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/halfopen/halfopen/analyze"
)

// captureExts are the file endings a directory scan treats as captures.
var captureExts = []string{".pcap", ".pcapng", ".cap", ".dmp", ".pcap.gz", ".pcapng.gz", ".pcap.zst", ".pcapng.zst", ".gz", ".zst"}

func isCaptureName(name string) bool {
	lower := strings.ToLower(name)
	for _, ext := range captureExts {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	return false
}

// resolveInputs expands arguments: files and "-" as they are, quoted globs,
// bundle directories (capture.* with its snapshots), bundle archives, and
// other directories (every bundle and capture file below them, in name
// order). Snapshot files given by flags go with every capture; a
// bundle's own files come first.
func resolveInputs(e *env, args []string, flags analyze.SnapshotFiles) ([]analyze.Input, error) {
	shared, err := analyze.LoadSnapshots(flags)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	var inputs []analyze.Input
	for _, arg := range args {
		if arg == "-" {
			inputs = append(inputs, analyze.Input{Path: "-", Snapshots: shared})
			continue
		}
		matches := []string{arg}
		if strings.ContainsAny(arg, "*?[") {
			if m, err := filepath.Glob(arg); err == nil && len(m) > 0 {
				matches = m
			}
		}
		for _, p := range matches {
			st, err := os.Stat(p)
			switch {
			case err == nil && st.IsDir():
				found, err := capturesIn(e, p, flags, shared)
				if err != nil {
					return nil, err
				}
				if len(found) == 0 {
					return nil, usageErr("%s: directory holds no capture files (%s) and no bundle (capture.* with sysctl.txt, ss.txt, nstat*.txt)", p, strings.Join(captureExts[:4], ", "))
				}
				inputs = append(inputs, found...)
			case err == nil && isTarball(p):
				in, err := openTarball(e, p, flags)
				if err != nil {
					return nil, err
				}
				inputs = append(inputs, in)
			default:
				// A FIFO or a device named on the command line is read as a
				// stream (tcpdump -w >(…), <(zcat …)); reading reports errors.
				inputs = append(inputs, analyze.Input{Path: p, Snapshots: shared})
			}
		}
	}
	return inputs, nil
}

// capturesIn lists the bundles, bundle archives and capture files below
// dir, by path. It opens regular files only: a FIFO named *.pcap would
// block the scan forever, a device would never end; those are skipped
// with a note.
func capturesIn(e *env, dir string, flags analyze.SnapshotFiles, shared *analyze.Snapshots) ([]analyze.Input, error) {
	var inputs []analyze.Input
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return usageErr("%s: %v", p, unwrapPath(err))
		}
		if d.IsDir() {
			if !analyze.IsBundle(p) {
				return nil
			}
			in, err := loadBundle(e, p, flags)
			if err != nil {
				return err
			}
			inputs = append(inputs, in)
			return filepath.SkipDir
		}
		if !isCaptureName(d.Name()) && !isTarballName(d.Name()) {
			return nil
		}
		if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
			e.note("%s: not a regular file, skipped", p)
			return nil
		}
		if isTarballName(d.Name()) && isTarball(p) {
			in, err := openTarball(e, p, flags)
			if err != nil {
				return err
			}
			inputs = append(inputs, in)
			return nil
		}
		if isCaptureName(d.Name()) {
			inputs = append(inputs, analyze.Input{Path: p, Snapshots: shared})
		}
		return nil
	})
	sort.SliceStable(inputs, func(i, j int) bool { return inputs[i].Path < inputs[j].Path })
	return inputs, err
}

// isTarballName is whether a file in a directory may be a bundle archive:
// collect writes .tar.gz or .tgz; content decides (isTarball).
func isTarballName(name string) bool {
	lower := strings.ToLower(name)
	return strings.HasSuffix(lower, ".gz") || strings.HasSuffix(lower, ".tgz")
}

// unwrapPath drops the "open FILE:" prefix of a *fs.PathError, since our
// messages already start with the file name.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// loadBundle reads a bundle directory and prints its notes.
func loadBundle(e *env, dir string, flags analyze.SnapshotFiles) (analyze.Input, error) {
	in, err := analyze.LoadBundle(dir, flags)
	if err != nil {
		return analyze.Input{}, usageErr("%v", err)
	}
	for _, n := range in.Snapshots.Notes {
		e.note("%s", n)
	}
	return in, nil
}

// openTarball unpacks a bundle archive into a scratch directory that
// lives until the command ends (or is interrupted), and loads it.
func openTarball(e *env, path string, flags analyze.SnapshotFiles) (analyze.Input, error) {
	u, err := unpackBundle(e.scratch, path)
	if err != nil {
		return analyze.Input{}, usageErr("%s: %v", path, err)
	}
	for _, n := range u.notes {
		e.note("%s: %s", path, n)
	}
	in, err := analyze.LoadBundle(u.dir, flags)
	if err != nil {
		return analyze.Input{}, usageErr("%s: %v", path, err)
	}
	for _, n := range in.Snapshots.Notes {
		e.note("%s: %s", path, n)
	}
	in.Name = path + "/" + filepath.Base(in.Path)
	return in, nil
}
