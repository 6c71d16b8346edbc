package snapshot

import (
	"io"
	"strconv"
	"strings"
)

// Sysctl is a parsed `sysctl -a` (or /proc/sys dump).
type Sysctl struct {
	Source string            // file name as given
	Values map[string]string // dotted keys ("net.core.somaxconn"), value trimmed; multi-field values keep single spaces
}

// ParseSysctl reads `sysctl -a` output ("key = value"), also `/proc/sys` dumps in "path = value" or
// "path:value" form (e.g. "/proc/sys/net/core/somaxconn = 4096", or `grep -r . /proc/sys` style
// "/proc/sys/net/core/somaxconn:4096"); keys normalised to dotted form; "sysctl: permission denied"
// and other noise lines skipped. Error (one line, names the file) when no line parses.
//
// sysctl prints a multi-line value (kernel.core_modes, dev.cdrom.info) as the same key on
// consecutive lines: those lines are joined with "\n". A key repeated elsewhere (two dumps
// pasted together) keeps its last value.
func ParseSysctl(r io.Reader, name string) (*Sysctl, error) {
	data, err := readAll(r, name)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, errorf(name, "empty file, not a sysctl snapshot")
	}
	if looksBinary(data) {
		return nil, errorf(name, "binary data, not a sysctl snapshot (sysctl -a)")
	}
	s := &Sysctl{Source: name, Values: map[string]string{}}
	prev := ""
	for _, line := range splitLines(data) {
		k, v, ok := parseSysctlLine(line)
		if !ok {
			continue
		}
		if k == prev {
			s.Values[k] += "\n" + v // multi-line value printed as repeated keys
		} else {
			s.Values[k] = v
		}
		prev = k
	}
	if len(s.Values) == 0 {
		return nil, errorf(name, `not a sysctl snapshot: no "key = value" or "/proc/sys/path:value" line`)
	}
	return s, nil
}

// parseSysctlLine parses one line; ok is false for noise.
func parseSysctlLine(line string) (key, val string, ok bool) {
	s := strings.TrimSpace(line)
	if s == "" || s[0] == '#' || s[0] == ';' {
		return "", "", false
	}
	if path, rest, isPath := cutSysctlPath(s); isPath {
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" || (rest[0] != ':' && rest[0] != '=') {
			return "", "", false
		}
		key = pathToKey(path)
		val = rest[1:]
	} else {
		i := strings.IndexByte(s, '=')
		if i <= 0 {
			return "", "", false
		}
		key = strings.TrimSpace(s[:i])
		val = s[i+1:]
		if !validDottedKey(key) {
			return "", "", false
		}
	}
	if key == "" {
		return "", "", false
	}
	return key, strings.Join(strings.Fields(val), " "), true
}

// sysctlTopDirs are the top-level directories of /proc/sys; a relative path must start with one.
var sysctlTopDirs = []string{"abi/", "crypto/", "debug/", "dev/", "fs/", "kernel/", "net/", "sunrpc/", "user/", "vm/"}

// cutSysctlPath splits "/proc/sys/a/b<sep>rest" (also "./a/b", "a/b" when a is a /proc/sys top
// directory) at the first blank, ':' or '='.
func cutSysctlPath(s string) (path, rest string, ok bool) {
	p := s
	switch {
	case strings.HasPrefix(p, "/proc/sys/"):
	case strings.HasPrefix(p, "./"):
		p = p[2:]
		fallthrough
	default:
		top := false
		for _, d := range sysctlTopDirs {
			if strings.HasPrefix(p, d) {
				top = true
				break
			}
		}
		if !top {
			return "", "", false
		}
	}
	i := strings.IndexAny(p, " \t:=")
	if i < 0 {
		return "", "", false
	}
	return p[:i], p[i:], true
}

// pathToKey turns "/proc/sys/net/ipv4/conf/eth0.100/forwarding" into
// "net.ipv4.conf.eth0/100.forwarding", as sysctl(8) names it (dots inside a component become '/').
func pathToKey(p string) string {
	p = strings.TrimPrefix(p, "/proc/sys/")
	p = strings.TrimPrefix(p, "./")
	p = strings.Trim(p, "/")
	if p == "" {
		return ""
	}
	parts := strings.Split(p, "/")
	for i, c := range parts {
		if c == "" {
			return ""
		}
		parts[i] = strings.ReplaceAll(c, ".", "/")
	}
	return strings.Join(parts, ".")
}

// validDottedKey accepts sysctl names: a letter first, no blanks, at least one dot.
func validDottedKey(k string) bool {
	if len(k) < 3 || !strings.Contains(k, ".") || strings.HasPrefix(k, ".") || strings.HasSuffix(k, ".") {
		return false
	}
	c := k[0] | 0x20
	if c < 'a' || c > 'z' {
		return false
	}
	for i := 0; i < len(k); i++ {
		switch b := k[i]; {
		case b <= ' ', b == '=', b == '"', b == '\'', b >= 0x7f, b == ':':
			return false
		}
	}
	return true
}

// normKey accepts a dotted key or a /proc/sys path and returns the dotted key.
func normKey(key string) string {
	key = strings.TrimSpace(key)
	if path, _, ok := cutSysctlPath(key + "="); ok {
		return pathToKey(path)
	}
	return key
}

// Get returns the value of key (dotted, or a /proc/sys path).
func (s *Sysctl) Get(key string) (string, bool) {
	if s == nil {
		return "", false
	}
	v, ok := s.Values[normKey(key)]
	return v, ok
}

// Has reports whether key is present.
func (s *Sysctl) Has(key string) bool {
	_, ok := s.Get(key)
	return ok
}

// Int returns the first field of key's value as an integer ("4096 131072 6291456" → 4096).
func (s *Sysctl) Int(key string) (int64, bool) {
	v, ok := s.Get(key)
	if !ok {
		return 0, false
	}
	f, _, _ := strings.Cut(v, " ")
	n, err := strconv.ParseInt(f, 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// KernelRelease returns kernel.osrelease (uname -r), or "".
func (s *Sysctl) KernelRelease() string {
	v, _ := s.Get("kernel.osrelease")
	return v
}
