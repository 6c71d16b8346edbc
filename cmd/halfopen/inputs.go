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
// bundle directories (capture.* with its snapshots), and other directories
// (every bundle and capture file below them, in name order). Snapshot files
// given by flags go with every capture; a bundle's own files come first.
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
			if err == nil && !st.IsDir() && isTarball(p) {
				in, err := openTarball(e, p, flags)
				if err != nil {
					return nil, err
				}
				inputs = append(inputs, in)
				continue
			}
			if err != nil || !st.IsDir() {
				inputs = append(inputs, analyze.Input{Path: p, Snapshots: shared}) // reading reports the error
				continue
			}
			found, err := capturesIn(p, flags, shared)
			if err != nil {
				return nil, usageErr("%s: %v", p, unwrapPath(err))
			}
			if len(found) == 0 {
				return nil, usageErr("%s: directory holds no capture files (%s) and no bundle (capture.* with sysctl.txt, ss.txt, nstat*.txt)", p, strings.Join(captureExts[:4], ", "))
			}
			inputs = append(inputs, found...)
		}
	}
	return inputs, nil
}

// capturesIn lists the bundles and capture files below dir, by path.
func capturesIn(dir string, flags analyze.SnapshotFiles, shared *analyze.Snapshots) ([]analyze.Input, error) {
	var inputs []analyze.Input
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if !analyze.IsBundle(p) {
				return nil
			}
			in, err := analyze.LoadBundle(p, flags)
			if err != nil {
				return err
			}
			inputs = append(inputs, in)
			return filepath.SkipDir
		}
		if isCaptureName(d.Name()) {
			inputs = append(inputs, analyze.Input{Path: p, Snapshots: shared})
		}
		return nil
	})
	sort.SliceStable(inputs, func(i, j int) bool { return inputs[i].Path < inputs[j].Path })
	return inputs, err
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

// openTarball unpacks a bundle archive into a temporary directory that
// lives until the command ends, and loads it.
func openTarball(e *env, path string, flags analyze.SnapshotFiles) (analyze.Input, error) {
	dir, root, err := unpackBundle(path)
	if err != nil {
		return analyze.Input{}, usageErr("%s: %v", path, err)
	}
	e.onExit(func() { os.RemoveAll(root) })
	in, err := analyze.LoadBundle(dir, flags)
	if err != nil {
		return analyze.Input{}, usageErr("%s: %v", path, err)
	}
	in.Name = path + "/" + filepath.Base(in.Path)
	return in, nil
}
