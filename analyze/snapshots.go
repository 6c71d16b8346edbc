package analyze

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/halfopen/halfopen/analyze/snapshot"
)

// Snapshots are the server-side snapshots that go with a capture.
type Snapshots struct {
	Sysctl    *snapshot.Sysctl
	SS        *snapshot.SSSeries
	Counters  []*snapshot.Counters // as given; their content decides the order (see snapshot.OrderCounters)
	Firewall  *snapshot.Firewall   // iptables listings, rules of every file given
	Kernel    string               // --kernel, or uname.txt of a bundle
	KernelSrc string               // where Kernel came from
	Files     []string             // the files read, for the report
	Notes     []string             // bundle files skipped, and why (the CLI prints them)
}

// Empty reports whether nothing was given.
func (s *Snapshots) Empty() bool {
	return s == nil || s.Sysctl == nil && s.SS == nil && len(s.Counters) == 0 && s.Kernel == "" && s.Firewall == nil
}

// SnapshotFiles names snapshot files given on the command line.
type SnapshotFiles struct {
	Sysctl   []string
	SS       []string
	Nstat    []string // nstat -az, nstat deltas, nstat --json or netstat -s; two or more → deltas
	Firewall []string // iptables -L -v -n -x listings
	Kernel   string
}

// LoadSnapshots parses snapshot files. A file that is none of what its
// flag expects is an error naming it.
func LoadSnapshots(f SnapshotFiles) (*Snapshots, error) {
	s := &Snapshots{Kernel: f.Kernel}
	if f.Kernel != "" {
		s.KernelSrc = "--kernel"
	}
	for _, p := range f.Sysctl {
		v, err := parseFile(p, func(fh *os.File) (any, error) { return snapshot.ParseSysctl(fh, p) })
		if err != nil {
			return nil, err
		}
		if s.Sysctl == nil {
			s.Sysctl = v.(*snapshot.Sysctl)
		} else {
			for k, val := range v.(*snapshot.Sysctl).Values {
				s.Sysctl.Values[k] = val
			}
		}
		s.Files = append(s.Files, p)
	}
	for _, p := range f.SS {
		v, err := parseFile(p, func(fh *os.File) (any, error) { return snapshot.ParseSS(fh, p) })
		if err != nil {
			return nil, err
		}
		ss := v.(*snapshot.SSSeries)
		if s.SS == nil {
			s.SS = ss
		} else {
			s.SS.Blocks = append(s.SS.Blocks, ss.Blocks...)
			s.SS.Notes = append(s.SS.Notes, ss.Notes...)
		}
		s.Files = append(s.Files, p)
	}
	for _, p := range f.Firewall {
		v, err := parseFile(p, func(fh *os.File) (any, error) { return snapshot.ParseFirewall(fh, p) })
		if err != nil {
			return nil, err
		}
		fw := v.(*snapshot.Firewall)
		if s.Firewall == nil {
			s.Firewall = fw
		} else {
			s.Firewall.Rules = append(s.Firewall.Rules, fw.Rules...)
		}
		s.Files = append(s.Files, p)
	}
	for _, p := range f.Nstat {
		v, err := parseFile(p, func(fh *os.File) (any, error) { return snapshot.ParseCounters(fh, p) })
		if err != nil {
			return nil, err
		}
		s.Counters = append(s.Counters, v.(*snapshot.Counters))
		s.Files = append(s.Files, p)
	}
	return s, nil
}

func parseFile(path string, parse func(*os.File) (any, error)) (any, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPathErr(err))
	}
	defer fh.Close()
	return parse(fh)
}

// Bundle file names (see README "Bundles"): what `halfopen collect` writes
// and what samples/ holds.
const (
	bundleSysctl = "sysctl.txt"
	bundleSS     = "ss.txt"
	bundleUname  = "uname.txt"
	bundleFW     = "iptables.txt"
)

// Bounds on a bundle's snapshot files: far above what collect writes
// (sysctl -a is about 100 KB, an ss series of minutes a few MB), low
// enough that a hostile bundle cannot make halfopen read gigabytes of
// text. uname.txt holds one line.
const (
	MaxBundleSnapshotBytes = 256 << 20
	maxUnameBytes          = 4 << 10
	// MaxBundleCounterFiles is how many nstat*.txt and netstat-s*.txt a
	// bundle's analysis reads: the first and the last half by name (a
	// long collect run writes one every 5 s; the first and the newest
	// matter).
	MaxBundleCounterFiles = 1024
)

// BundleFile says whether a file name in a bundle is one halfopen reads:
// "capture" for capture.*, "counter" for nstat*.txt and netstat-s*.txt,
// "snapshot" for sysctl.txt, ss.txt, uname.txt and iptables.txt, "" for
// anything else
// (collect's manifest.json, ss-ltnp.txt, conntrack and softnet files are
// for people).
func BundleFile(name string) string {
	switch {
	case strings.HasPrefix(name, "capture.") && len(name) > len("capture."):
		return "capture"
	case name == bundleSysctl, name == bundleSS, name == bundleUname, name == bundleFW:
		return "snapshot"
	case strings.HasSuffix(name, ".txt") && (strings.HasPrefix(name, "nstat") || strings.HasPrefix(name, "netstat-s")):
		return "counter"
	}
	return ""
}

// IsBundle reports whether dir holds a regular file named capture.* — a
// bundle.
func IsBundle(dir string) bool {
	b, err := readBundleDir(dir)
	return err == nil && b.capture != ""
}

// bundleDir is what a bundle directory holds that halfopen reads: regular
// files only (a FIFO named ss.txt would block the read forever).
type bundleDir struct {
	capture  string   // the first capture.* by name; "" when none
	files    []string // the other known files, by name
	counters []string // nstat*.txt and netstat-s*.txt, by name
	notes    []string // files skipped, and why
}

// readBundleDir lists dir by name, never by glob pattern: a directory
// name holding [ or * must not change what is read.
func readBundleDir(dir string) (bundleDir, error) {
	var b bundleDir
	entries, err := os.ReadDir(dir)
	if err != nil {
		return b, fmt.Errorf("%s: %w", dir, unwrapPathErr(err))
	}
	for _, e := range entries { // sorted by name
		name := e.Name()
		kind := BundleFile(name)
		if kind == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if !isRegular(p) {
			b.notes = append(b.notes, fmt.Sprintf("%s: not a regular file, skipped", p))
			continue
		}
		switch {
		case kind == "capture" && b.capture == "":
			b.capture = p
		case kind == "capture":
			b.notes = append(b.notes, fmt.Sprintf("%s: a second capture.* in the bundle, skipped (%s is read)", p, filepath.Base(b.capture)))
		case kind == "counter":
			b.counters = append(b.counters, p)
		default:
			b.files = append(b.files, p)
		}
	}
	if n := len(b.counters); n > MaxBundleCounterFiles {
		half := MaxBundleCounterFiles / 2
		b.notes = append(b.notes, fmt.Sprintf("%s: %d counter snapshots; the first %d and the last %d by name are read", dir, n, half, half))
		b.counters = append(b.counters[:half:half], b.counters[n-half:]...)
	}
	return b, nil
}

// isRegular follows a symbolic link and reports whether p is a regular file.
func isRegular(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// LoadBundle reads a bundle directory: capture.* plus sysctl.txt, ss.txt,
// iptables.txt, nstat*.txt and netstat-s*.txt (their content decides which
// is "before": see snapshot.OrderCounters) and uname.txt, each optional.
// extra adds files given by flags. Files that are not regular, or larger
// than MaxBundleSnapshotBytes, are skipped and named in Snapshots.Notes.
func LoadBundle(dir string, extra SnapshotFiles) (Input, error) {
	b, err := readBundleDir(dir)
	if err != nil {
		return Input{}, err
	}
	if b.capture == "" {
		return Input{}, fmt.Errorf("%s: no capture.* file", dir)
	}
	files := extra
	notes := b.notes
	var uname string
	for _, p := range append(append([]string{}, b.files...), b.counters...) {
		if st, err := os.Stat(p); err == nil && st.Size() > MaxBundleSnapshotBytes {
			notes = append(notes, fmt.Sprintf("%s: %d bytes, more than a snapshot holds (%d MB at most), skipped", p, st.Size(), MaxBundleSnapshotBytes>>20))
			continue
		}
		switch filepath.Base(p) {
		case bundleSysctl:
			files.Sysctl = append([]string{p}, files.Sysctl...)
		case bundleSS:
			files.SS = append([]string{p}, files.SS...)
		case bundleFW:
			files.Firewall = append([]string{p}, files.Firewall...)
		case bundleUname:
			uname = p
		}
	}
	var counters []string
	for _, p := range b.counters {
		if st, err := os.Stat(p); err == nil && st.Size() <= MaxBundleSnapshotBytes {
			counters = append(counters, p)
		}
	}
	files.Nstat = append(counters, files.Nstat...)
	snaps, err := LoadSnapshots(files)
	if err != nil {
		return Input{}, err
	}
	snaps.Notes = notes
	if snaps.Kernel == "" && uname != "" {
		if k := readUname(uname); k != "" {
			snaps.Kernel, snaps.KernelSrc = k, bundleUname
			snaps.Files = append(snaps.Files, uname)
		}
	}
	return Input{Path: b.capture, Snapshots: snaps}, nil
}

// readUname returns the kernel release of a uname.txt (uname -r): the
// first word of its first line, reading a few KB at most.
func readUname(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, maxUnameBytes))
	first, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(first)
	if len(fields) == 0 {
		return ""
	}
	return fields[0]
}
