package snapshot

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Counters is a parsed counter snapshot, keyed by nstat names.
type Counters struct {
	Source   string
	Time     time.Time        // from a "# <unix time>" (or RFC 3339 / date) first line; nstat's "#kernel" has none → zero
	Absolute bool             // true for nstat -a / netstat -s / /proc/net/{netstat,snmp}; false for nstat deltas
	Values   map[string]int64 // nstat names: "TcpExtListenOverflows", "TcpPassiveOpens", "IpInAddrErrors"...
	Format   string           // "nstat", "nstat-json", "netstat-s", "proc-net"
	Notes    []string         // what was assumed (absolute vs delta, missing keys in Delta, time zones)
}

// Counter snapshot formats.
const (
	FormatNstat     = "nstat"
	FormatNstatJSON = "nstat-json"
	FormatNetstatS  = "netstat-s"
	FormatProcNet   = "proc-net"
)

// NoteNstatAssumedAbsolute is the note left when nstat output gives no hint whether it is absolute.
const NoteNstatAssumedAbsolute = "nstat output does not say whether it is absolute (nstat -a) or a delta (plain nstat); assumed absolute"

// ParseCounters auto-detects `nstat -az` / `nstat -a` / plain `nstat` text (first line "#kernel"),
// `nstat --json`, `netstat -s` text (old and new net-tools wordings), and raw `/proc/net/netstat` +
// `/proc/net/snmp` (+ `/proc/net/snmp6`) dumps. Unknown lines are skipped.
//
// nstat prints absolute values and deltas identically, so Absolute comes from a pasted command
// line when there is one ("$ nstat -az", "# nstat", "[root@h ~]# nstat -a --json": -a/--ignore
// means absolute, its absence a delta); otherwise it is assumed true and a note says so.
func ParseCounters(r io.Reader, name string) (*Counters, error) {
	data, err := readAll(r, name)
	if err != nil {
		return nil, err
	}
	notCounters := func(why string) error {
		return errorf(name, "%snot a counter snapshot (nstat, nstat --json or netstat -s)", why)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, notCounters("empty file, ")
	}
	if looksBinary(data) {
		return nil, notCounters("binary data, ")
	}
	c := &Counters{Source: name, Values: map[string]int64{}}
	body, pre := skipPreamble(splitLines(data))
	absHint, haveHint := nstatCommandHint(pre)
	for _, l := range pre {
		if t, note, ok := parseHeaderTime(l); ok {
			c.Time = t
			if note != "" {
				c.Notes = append(c.Notes, note)
			}
			break
		}
	}
	if len(body) == 0 {
		return nil, notCounters("")
	}
	first := strings.TrimSpace(body[0])
	switch {
	case strings.HasPrefix(first, "{"):
		if err := parseNstatJSON(strings.Join(body, "\n"), c); err != nil {
			return nil, notCounters("invalid nstat JSON (" + err.Error() + "), ")
		}
		c.Format = FormatNstatJSON
	case first == "#kernel":
		parseNstatText(body[1:], c)
		c.Format = FormatNstat
	case hasProcNetPairs(body):
		parseProcNet(body, c)
		c.Format, c.Absolute = FormatProcNet, true
	case hasNetstatSection(body):
		parseNetstatS(body, c)
		c.Format, c.Absolute = FormatNetstatS, true
	default:
		n := parseNstatText(body, c) // nstat output cut by grep (no "#kernel" line)
		if n == 0 {
			return nil, notCounters("")
		}
		c.Format = FormatNstat
	}
	if c.Format == FormatNstat || c.Format == FormatNstatJSON {
		c.Absolute = true
		if haveHint {
			c.Absolute = absHint
		} else {
			c.Notes = append(c.Notes, NoteNstatAssumedAbsolute)
		}
	} else if len(c.Values) == 0 {
		return nil, notCounters("no counter recognised, ")
	}
	return c, nil
}

// reNstatCmd matches a pasted command line: optional prompt ("$ ", "# ", "[root@h ~]# ",
// "root@h:~# "), optional directory, "nstat", arguments.
var reNstatCmd = regexp.MustCompile(`^(?:\[[^\]]*\][#$]\s*|[\w.-]+@[\w.-]+:\S*[#$]\s*|[#$>]\s*)?` +
	`(?:sudo\s+)?(?:ip\s+netns\s+exec\s+\S+\s+)?(?:\S*/)?nstat((?:\s+\S+)*)\s*$`)

// nstatCommandHint looks for a pasted nstat command line before the output and reports whether
// it asked for absolute values (-a / --ignore).
func nstatCommandHint(pre []string) (absolute, ok bool) {
	for _, l := range pre {
		m := reNstatCmd.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			continue
		}
		absolute = false
		for _, a := range strings.Fields(m[1]) {
			switch {
			case a == "--ignore":
				absolute = true
			case strings.HasPrefix(a, "--"):
			case strings.HasPrefix(a, "-") && strings.ContainsRune(a, 'a'):
				absolute = true
			}
		}
		return absolute, true
	}
	return false, false
}

// parseNstatLine parses "TcpExtListenOverflows   24   0.0" (rate column optional).
func parseNstatLine(t string) (string, int64, bool) {
	f := strings.Fields(t)
	if len(f) < 2 || len(f) > 3 || !isIdent(f[0]) || len(f[0]) < 4 {
		return "", 0, false
	}
	v, ok := parseCounterValue(f[1])
	if !ok {
		return "", 0, false
	}
	if len(f) == 3 && !isRate(f[2]) {
		return "", 0, false
	}
	return f[0], v, true
}

func isRate(s string) bool {
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return s != "" && s != "."
}

func parseNstatText(lines []string, c *Counters) int {
	n := 0
	for _, l := range lines {
		if k, v, ok := parseNstatLine(l); ok {
			c.Values[k] = v
			n++
		}
	}
	return n
}

func parseNstatJSON(text string, c *Counters) error {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var doc map[string]json.RawMessage
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("%v", err)
	}
	raw, ok := doc["kernel"]
	if !ok {
		return fmt.Errorf(`no "kernel" object`)
	}
	var vals map[string]json.Number
	inner := json.NewDecoder(strings.NewReader(string(raw)))
	inner.UseNumber()
	if err := inner.Decode(&vals); err != nil {
		return fmt.Errorf(`"kernel" is not an object of numbers`)
	}
	bad := 0
	for k, num := range vals {
		if v, ok := parseCounterValue(num.String()); ok && isIdent(k) {
			c.Values[k] = v
		} else {
			bad++
		}
	}
	if bad > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("%d JSON entries skipped (not a counter name with an integer value)", bad))
	}
	return nil
}

// ---- /proc/net/netstat, /proc/net/snmp ----

// isProcNetHeader reports a /proc/net/{netstat,snmp} header line: "TcpExt: SyncookiesSent ...".
func isProcNetHeader(t string) bool {
	prefix, rest, ok := strings.Cut(t, ": ")
	if !ok || !isIdent(prefix) {
		return false
	}
	f := strings.Fields(rest)
	if len(f) < 2 {
		return false
	}
	for _, x := range f {
		if !isIdent(x) {
			return false
		}
	}
	return true
}

func procNetValues(t string) (string, []string, bool) {
	prefix, rest, ok := strings.Cut(t, ": ")
	if !ok || !isIdent(prefix) {
		return "", nil, false
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return "", nil, false
	}
	for _, x := range f {
		if _, ok := parseCounterValue(x); !ok {
			return "", nil, false
		}
	}
	return prefix, f, true
}

func hasProcNetPairs(lines []string) bool {
	for i := 0; i+1 < len(lines); i++ {
		h := strings.TrimSpace(lines[i])
		if !isProcNetHeader(h) {
			continue
		}
		if p, _, ok := procNetValues(strings.TrimSpace(lines[i+1])); ok && strings.HasPrefix(h, p+":") {
			return true
		}
	}
	return false
}

func parseProcNet(lines []string, c *Counters) {
	headers := map[string][]string{}
	mismatched := 0
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if isProcNetHeader(t) {
			p, rest, _ := strings.Cut(t, ": ")
			headers[p] = strings.Fields(rest)
			continue
		}
		if p, vals, ok := procNetValues(t); ok {
			h, ok := headers[p]
			if !ok {
				continue
			}
			if len(h) != len(vals) {
				mismatched++
			}
			for i := 0; i < len(h) && i < len(vals); i++ {
				v, _ := parseCounterValue(vals[i])
				c.Values[p+h[i]] = v
			}
			delete(headers, p)
			continue
		}
		if k, v, ok := parseNstatLine(t); ok { // /proc/net/snmp6: "Ip6InReceives   6"
			c.Values[k] = v
		}
	}
	if mismatched > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("%d header/value line pairs with different field counts", mismatched))
	}
}

// ---- Delta ----

// Delta returns after − before for every key in after (missing in before → treated as 0, and noted);
// both must be absolute; if after is already a delta (Absolute=false) and before is nil, returns after.
// The result is a delta (Absolute=false) with after's Time and Format.
func Delta(before, after *Counters) (*Counters, error) {
	if after == nil {
		return nil, fmt.Errorf("delta: no after snapshot")
	}
	if before == nil {
		if !after.Absolute {
			return after, nil
		}
		return nil, errorf(after.Source, "absolute counters need a before snapshot to make a delta")
	}
	if !after.Absolute {
		return nil, errorf(after.Source, "is already a delta (plain nstat), cannot subtract %s from it", before.Source)
	}
	if !before.Absolute {
		return nil, errorf(before.Source, "is a delta (plain nstat), not absolute counters to subtract")
	}
	if !before.Time.IsZero() && !after.Time.IsZero() && after.Time.Before(before.Time) {
		return nil, errorf(after.Source, "taken at %s, before %s (%s): swapped?",
			after.Time.Format(time.RFC3339), before.Source, before.Time.Format(time.RFC3339))
	}
	return Subtract(before, after), nil
}

// Subtract returns after − before for two absolute snapshots whose order
// the caller has established (see OrderCounters), with notes on counters
// missing from before or going backwards.
func Subtract(before, after *Counters) *Counters {
	d := &Counters{
		Source: after.Source + " - " + before.Source,
		Time:   after.Time,
		Format: after.Format,
		Values: make(map[string]int64, len(after.Values)),
	}
	var missing, backwards []string
	for k, v := range after.Values {
		b, ok := before.Values[k]
		if !ok {
			missing = append(missing, k)
		}
		d.Values[k] = v - b
		if v < b && Monotonic(k) {
			backwards = append(backwards, k)
		}
	}
	if len(missing) > 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("%d counters missing in %s, taken as 0: %s", len(missing), before.Source, listSome(missing)))
	}
	if len(backwards) > 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("%d counters went backwards (reboot, other host or namespace?): %s", len(backwards), listSome(backwards)))
	}
	return d
}

func listSome(keys []string) string {
	sort.Strings(keys)
	if len(keys) > 6 {
		return strings.Join(keys[:6], ", ") + ", ..."
	}
	return strings.Join(keys, ", ")
}

// Get returns a counter by its nstat name ("TcpExtListenOverflows").
func (c *Counters) Get(name string) (int64, bool) {
	if c == nil {
		return 0, false
	}
	v, ok := c.Values[name]
	return v, ok
}
