package analyze

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
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

// IsBundle reports whether dir holds a capture named capture.* — a bundle.
func IsBundle(dir string) bool {
	_, err := bundleCapture(dir)
	return err == nil
}

func bundleCapture(dir string) (string, error) {
	matches, _ := filepath.Glob(filepath.Join(dir, "capture.*"))
	sort.Strings(matches)
	for _, m := range matches {
		if st, err := os.Stat(m); err == nil && !st.IsDir() {
			return m, nil
		}
	}
	return "", fmt.Errorf("%s: no capture.* file", dir)
}

// LoadBundle reads a bundle directory: capture.* plus sysctl.txt, ss.txt,
// nstat*.txt (their content decides which is "before": see
// snapshot.OrderCounters) and
// uname.txt, each optional. extra adds files given by flags.
func LoadBundle(dir string, extra SnapshotFiles) (Input, error) {
	capture, err := bundleCapture(dir)
	if err != nil {
		return Input{}, err
	}
	files := extra
	if p := filepath.Join(dir, bundleSysctl); exists(p) {
		files.Sysctl = append([]string{p}, files.Sysctl...)
	}
	if p := filepath.Join(dir, bundleSS); exists(p) {
		files.SS = append([]string{p}, files.SS...)
	}
	if p := filepath.Join(dir, bundleFW); exists(p) {
		files.Firewall = append([]string{p}, files.Firewall...)
	}
	nstats, _ := filepath.Glob(filepath.Join(dir, "nstat*.txt"))
	nstats2, _ := filepath.Glob(filepath.Join(dir, "netstat-s*.txt"))
	nstats = append(nstats, nstats2...)
	sort.Strings(nstats)
	files.Nstat = append(nstats, files.Nstat...)
	snaps, err := LoadSnapshots(files)
	if err != nil {
		return Input{}, err
	}
	if snaps.Kernel == "" {
		if b, err := os.ReadFile(filepath.Join(dir, bundleUname)); err == nil {
			if k := strings.TrimSpace(string(b)); k != "" {
				snaps.Kernel, snaps.KernelSrc = strings.Fields(k)[0], bundleUname
				snaps.Files = append(snaps.Files, filepath.Join(dir, bundleUname))
			}
		}
	}
	return Input{Path: capture, Snapshots: snaps}, nil
}

func exists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
