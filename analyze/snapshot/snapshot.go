// Package snapshot parses the server-side snapshots halfopen correlates with a capture:
// `sysctl -a`, `ss -ltn` (single or time series), `nstat` / `netstat -s` counters.
//
// Every parser reads the whole input (at most MaxSize bytes), never panics on malformed input and
// reports failures as one-line errors of the form "FILE: what is wrong".
package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxSize is the largest snapshot file the parsers accept (a `sysctl -a` is ~100 KB, a long
// `ss -ltn` time series a few MB).
const MaxSize = 64 << 20

// Kind is what a snapshot file holds.
type Kind int

// Kinds of snapshot.
const (
	KindUnknown Kind = iota
	KindSysctl
	KindSS
	KindCounters
)

// String returns "unknown", "sysctl", "ss" or "counters".
func (k Kind) String() string {
	switch k {
	case KindSysctl:
		return "sysctl"
	case KindSS:
		return "ss"
	case KindCounters:
		return "counters"
	}
	return "unknown"
}

// Sniff guesses what a snapshot file holds from its first few KB (a partial last line is
// ignored). It uses the same line recognisers as the parsers, so a file sniffed as a kind
// normally parses as that kind.
func Sniff(head []byte) Kind {
	if looksBinary(head) {
		return KindUnknown
	}
	lines := splitLines(head)
	if len(lines) > 1 && len(head) > 0 && head[len(head)-1] != '\n' {
		lines = lines[:len(lines)-1] // cut mid-line
	}
	body, _ := skipPreamble(lines)
	if len(body) > 0 {
		first := strings.TrimSpace(body[0])
		if strings.HasPrefix(first, "{") && strings.Contains(string(head), `"kernel"`) {
			return KindCounters
		}
		if first == "#kernel" {
			return KindCounters
		}
	}
	var sysctlLines, ssRows, nstatLines int
	for _, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case t == "":
			continue
		case isSSColumnHeader(t):
			return KindSS
		case isNetstatSection(l) || isProcNetHeader(t):
			return KindCounters
		}
		if _, _, ok := parseSysctlLine(t); ok {
			sysctlLines++
		}
		if r, ok := parseSSRow(t, ssContext{}); ok && r.tcp {
			ssRows++
		}
		if _, _, ok := parseNstatLine(t); ok {
			nstatLines++
		}
	}
	switch {
	case sysctlLines > 0 && sysctlLines >= ssRows && sysctlLines >= nstatLines:
		return KindSysctl
	case ssRows > 0 && ssRows >= nstatLines:
		return KindSS
	case nstatLines >= 2:
		return KindCounters
	}
	return KindUnknown
}

// readAll reads a whole snapshot, wrapping I/O errors with the file name.
func readAll(r io.Reader, name string) ([]byte, error) {
	if r == nil {
		return nil, errorf(name, "no reader")
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: read: %w", oneLine(name), err)
	}
	if len(data) > MaxSize {
		return nil, errorf(name, "larger than %d MiB, not a snapshot", MaxSize>>20)
	}
	return data, nil
}

// looksBinary reports NUL bytes or mostly invalid UTF-8 in the first 8 KB (JPEGs, pcaps, gzip).
func looksBinary(data []byte) bool {
	if len(data) > 8192 {
		data = data[:8192]
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return true
	}
	bad := 0
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		if r == utf8.RuneError && n <= 1 {
			bad++
		}
		data = data[n:]
	}
	return bad > 8
}

// splitLines splits on '\n', dropping '\r' line ends and a leading UTF-8 BOM.
func splitLines(data []byte) []string {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	s := string(data)
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// oneLine keeps error text on one line whatever a file name or a value contains.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

// errorf builds a "FILE: what is wrong" error on one line.
func errorf(name, format string, args ...any) error {
	return errors.New(oneLine(name + ": " + fmt.Sprintf(format, args...)))
}

// ---- block header times ----

var (
	reUnixHeader = regexp.MustCompile(`^(\d{9,11})(?:\.(\d{1,9}))?$`)
	reClock      = regexp.MustCompile(`^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?$`)
	reNumZone    = regexp.MustCompile(`^(?:UTC|GMT)?([+-])(\d{2}):?(\d{2})$`)
)

var monthNames = map[string]time.Month{
	"jan": time.January, "feb": time.February, "mar": time.March, "apr": time.April,
	"may": time.May, "jun": time.June, "jul": time.July, "aug": time.August,
	"sep": time.September, "oct": time.October, "nov": time.November, "dec": time.December,
}

var weekdayNames = map[string]bool{"mon": true, "tue": true, "wed": true, "thu": true, "fri": true, "sat": true, "sun": true}

// zoneAbbrev maps the time-zone abbreviations `date` commonly prints to their UTC offsets in
// seconds. Ambiguous ones carry a note saying which reading was taken.
var zoneAbbrev = map[string]struct {
	off  int
	note string
}{
	"UTC": {0, ""}, "UT": {0, ""}, "GMT": {0, ""}, "Z": {0, ""}, "WET": {0, ""},
	"WEST": {3600, ""}, "BST": {3600, ""}, "CET": {3600, ""}, "MET": {3600, ""},
	"CEST": {7200, ""}, "MEST": {7200, ""}, "EET": {7200, ""}, "EEST": {10800, ""}, "MSK": {10800, ""},
	"IST": {19800, "time zone IST is ambiguous; read as India (UTC+05:30)"},
	"CST": {28800, "time zone CST is ambiguous (China UTC+8 or US Central UTC-6); read as China (UTC+8)"},
	"SGT": {28800, ""}, "HKT": {28800, ""}, "AWST": {28800, ""},
	"JST": {32400, ""}, "KST": {32400, ""},
	"AEST": {36000, ""}, "AEDT": {39600, ""}, "NZST": {43200, ""}, "NZDT": {46800, ""},
	"HST": {-36000, ""}, "AKST": {-32400, ""}, "AKDT": {-28800, ""},
	"PST": {-28800, ""}, "PDT": {-25200, ""}, "MST": {-25200, ""}, "MDT": {-21600, ""},
	"CDT": {-18000, ""}, "EST": {-18000, ""}, "EDT": {-14400, ""},
}

// parseHeaderTime recognises a block header line: "# <unix seconds[.fraction]>", an RFC 3339
// timestamp (also with a space for the "T", or without zone = UTC), or `date` output in the C /
// en_US locales or `date -R` form; the last two optionally after "# ". note is non-empty when the
// time zone had to be guessed.
func parseHeaderTime(line string) (t time.Time, note string, ok bool) {
	s := strings.TrimSpace(line)
	hash := strings.HasPrefix(s, "#")
	if hash {
		s = strings.TrimSpace(s[1:])
	}
	if s == "" || len(s) > 80 {
		return time.Time{}, "", false
	}
	if m := reUnixHeader.FindStringSubmatch(s); m != nil {
		if !hash {
			return time.Time{}, "", false
		}
		sec, _ := strconv.ParseInt(m[1], 10, 64)
		var nsec int64
		if m[2] != "" {
			nsec, _ = strconv.ParseInt((m[2] + "000000000")[:9], 10, 64)
		}
		return time.Unix(sec, nsec).UTC(), "", true
	}
	if t, note, ok := parseRFC3339ish(s); ok {
		return t, note, true
	}
	return parseDateOutput(s)
}

func parseRFC3339ish(s string) (time.Time, string, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ' && s[10] != 't') {
		return time.Time{}, "", false
	}
	u := s[:10] + "T" + s[11:]
	if t, err := time.Parse(time.RFC3339Nano, u); err == nil {
		return t, "", true
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999Z0700", u); err == nil {
		return t, "", true
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", u); err == nil {
		return t, "header time " + s + " has no time zone; read as UTC", true
	}
	return time.Time{}, "", false
}

// parseDateOutput reads `date` output such as "Tue Nov 25 12:00:01 UTC 2026",
// "Tue 25 Nov 2026 12:00:01 PM UTC", "Tue, 25 Nov 2026 12:00:01 +0000". Every token must be
// recognised, so ss/netstat rows never match.
func parseDateOutput(s string) (time.Time, string, bool) {
	fields := strings.Fields(s)
	if len(fields) < 4 || len(fields) > 7 {
		return time.Time{}, "", false
	}
	var (
		month                time.Month
		day, year            = -1, -1
		hour, min, sec, nsec = -1, 0, 0, 0
		pm, am, haveZone     bool
		offset               int
		note                 string
		zoneName             string
	)
	for _, f := range fields {
		f = strings.TrimSuffix(f, ",")
		lf := strings.ToLower(f)
		switch {
		case len(lf) >= 3 && weekdayNames[lf[:3]] && isAlpha(lf):
			// weekday, ignored
		case len(lf) >= 3 && monthNames[lf[:3]] != 0 && isAlpha(lf) && month == 0:
			month = monthNames[lf[:3]]
		case lf == "am" || lf == "pm":
			pm, am = lf == "pm", lf == "am"
		case reClock.MatchString(f) && hour < 0:
			m := reClock.FindStringSubmatch(f)
			hour, _ = strconv.Atoi(m[1])
			min, _ = strconv.Atoi(m[2])
			if m[3] != "" {
				sec, _ = strconv.Atoi(m[3])
			}
			if m[4] != "" {
				n, _ := strconv.Atoi((m[4] + "000000000")[:9])
				nsec = n
			}
		case isDigits(f) && len(f) == 4 && year < 0:
			year, _ = strconv.Atoi(f)
		case isDigits(f) && len(f) <= 2 && day < 0:
			day, _ = strconv.Atoi(f)
		case reNumZone.MatchString(f) && !haveZone:
			m := reNumZone.FindStringSubmatch(f)
			h, _ := strconv.Atoi(m[2])
			mm, _ := strconv.Atoi(m[3])
			offset = h*3600 + mm*60
			if m[1] == "-" {
				offset = -offset
			}
			haveZone, zoneName = true, f
		case isAlpha(f) && len(f) >= 1 && len(f) <= 5 && strings.ToUpper(f) == f && !haveZone:
			z, known := zoneAbbrev[f]
			if known {
				offset, note = z.off, z.note
			} else {
				offset, note = 0, "time zone "+f+" unknown; read as UTC"
			}
			haveZone, zoneName = true, f
		default:
			return time.Time{}, "", false
		}
	}
	if month == 0 || day < 1 || day > 31 || year < 1970 || hour < 0 || hour > 23 || min > 59 || sec > 60 {
		return time.Time{}, "", false
	}
	if pm && hour < 12 {
		hour += 12
	} else if am && hour == 12 {
		hour = 0
	}
	if !haveZone {
		note = "date header without time zone; read as UTC"
	}
	loc := time.UTC
	if offset != 0 || (zoneName != "" && zoneName != "UTC" && zoneName != "GMT" && zoneName != "Z" && zoneName != "UT") {
		loc = time.FixedZone(zoneName, offset)
	}
	return time.Date(year, month, day, hour, min, sec, nsec, loc), note, true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isAlpha(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// isIdent reports a counter/field name: a letter, then letters, digits or '_'.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case i > 0 && (c >= '0' && c <= '9' || c == '_'):
		default:
			return false
		}
	}
	return true
}

// parseCounterValue parses a counter: signed (/proc/net/snmp prints MaxConn -1) or unsigned
// 64-bit (wrapped into int64, as the kernel's u64 would be).
func parseCounterValue(s string) (int64, bool) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, true
	}
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		return int64(u), true
	}
	return 0, false
}

// skipPreamble drops leading blank lines, header-time lines, shell prompts, pasted command
// lines and '#' comments (but not nstat's "#kernel") and returns the rest plus the skipped lines.
func skipPreamble(lines []string) (body, pre []string) {
	for i, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case t == "":
		case t == "#kernel":
			return lines[i:], lines[:i]
		case strings.HasPrefix(t, "#"), strings.HasPrefix(t, "$ "), isPromptLine(t), reBareCommand.MatchString(t):
		default:
			if _, _, ok := parseHeaderTime(t); !ok {
				return lines[i:], lines[:i]
			}
		}
	}
	return nil, lines
}

// reBareCommand matches a command line pasted without prompt above its output.
var reBareCommand = regexp.MustCompile(`^(?:sudo\s+)?(?:ip\s+netns\s+exec\s+\S+\s+)?(?:\S*/)?(?:nstat|netstat|ss|cat|sysctl|date)(?:\s.*)?$`)

var rePrompt = regexp.MustCompile(`^(?:\[[^\]]*\][#$]|[\w.-]+@[\w.-]+:[^\s]*[#$])\s`)

// isPromptLine reports a pasted shell prompt such as "[root@web ~]# nstat -az" or
// "root@web:~# netstat -s".
func isPromptLine(t string) bool { return rePrompt.MatchString(t) }
