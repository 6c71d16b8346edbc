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
// and directories (every capture file below them, in name order).
func resolveInputs(args []string) ([]analyze.Input, error) {
	var inputs []analyze.Input
	for _, arg := range args {
		if arg == "-" {
			inputs = append(inputs, analyze.Input{Path: "-"})
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
			if err != nil || !st.IsDir() {
				inputs = append(inputs, analyze.Input{Path: p}) // reading reports the error
				continue
			}
			found, err := capturesIn(p)
			if err != nil {
				return nil, usageErr("%s: %v", p, unwrapPath(err))
			}
			if len(found) == 0 {
				return nil, usageErr("%s: directory holds no capture files (%s)", p, strings.Join(captureExts[:4], ", "))
			}
			inputs = append(inputs, found...)
		}
	}
	return inputs, nil
}

// capturesIn lists the capture files below dir, sorted by path.
func capturesIn(dir string) ([]analyze.Input, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && isCaptureName(d.Name()) {
			paths = append(paths, p)
		}
		return nil
	})
	sort.Strings(paths)
	var inputs []analyze.Input
	for _, p := range paths {
		inputs = append(inputs, analyze.Input{Path: p})
	}
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
