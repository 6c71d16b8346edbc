package snapshot

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Listener is one LISTEN row of `ss -ltn` / `netstat -lnt`.
type Listener struct {
	Local   string     // as printed, e.g. "0.0.0.0:8080", "*:80", "[::]:443", "[::ffff:10.0.0.1]:80", "10.0.0.1%eth0:22"
	Addr    netip.Addr // zero Addr for wildcard (0.0.0.0, *, ::, [::]); zone and "%dev" dropped
	Port    uint16
	RecvQ   int    // accept-queue length for LISTEN sockets
	SendQ   int    // listen backlog (sk_max_ack_backlog) for LISTEN sockets, 2.6.24+; -1 for netstat input (docs/kernel-counters.md#ss)
	Process string // users:(("nginx",pid=1,fd=6)) as printed when -p was used (netstat: "1/nginx"), else ""
	Drops   int64  // skmem d<N> when `ss -ltnm` output, else -1
}

// SSBlock is one `ss -ltn` sample.
type SSBlock struct {
	Time      time.Time  // block time from its header line; zero when none
	Listeners []Listener // only LISTEN state rows (ss -ltn prints only those; with -a output keep LISTEN rows)
}

// SSSeries is a parsed `ss -ltn` output or time series.
type SSSeries struct {
	Source string
	Blocks []SSBlock // in file order
	Notes  []string  // what was guessed or skipped (time zones, rows without numeric ports)
}

// ListenerPoint is one sample of a listener, with its block time.
type ListenerPoint struct {
	Time     time.Time
	Listener Listener
}

// ParseSS reads one `ss -ltn[p][m]` output, or a time series: blocks separated by header lines that
// are either `# <unix seconds[.fraction]>`, an RFC 3339 timestamp line (optionally after "# "), or
// `date` output (e.g. "Tue Nov 25 12:00:01 UTC 2026", also with "# "). Also accept `netstat -lnt`
// output (Send-Q there is NOT the backlog: SendQ = -1 for netstat input, see docs/kernel-counters.md#ss). The "State"
// column may be absent (older ss) — both are handled. Without time headers, a repeated column
// header also starts a new block (several outputs pasted one after the other).
func ParseSS(r io.Reader, name string) (*SSSeries, error) {
	data, err := readAll(r, name)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, errorf(name, "empty file, not an ss -ltn / netstat -lnt listing")
	}
	if looksBinary(data) {
		return nil, errorf(name, "binary data, not an ss -ltn / netstat -lnt listing")
	}
	s := &SSSeries{Source: name}
	var (
		cur        SSBlock
		hasTime    bool // cur started at a time header
		content    bool // cur saw a column header or a row
		ctx        ssContext
		anything   bool
		last       = -1 // index in cur.Listeners of the row continuation lines belong to
		namedPorts int
		notes      = map[string]bool{}
	)
	flush := func() {
		if hasTime || content {
			s.Blocks = append(s.Blocks, cur)
		}
		cur, hasTime, content, last = SSBlock{}, false, false, -1
	}
	for _, line := range splitLines(data) {
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if tm, note, ok := parseHeaderTime(t); ok {
			if note != "" && !notes[note] {
				notes[note] = true
				s.Notes = append(s.Notes, note)
			}
			if hasTime && !content {
				cur.Time = tm // consecutive headers: the rows that follow belong to the last one
				continue
			}
			flush()
			cur.Time, hasTime = tm, true
			continue
		}
		if isSSColumnHeader(t) {
			if content {
				flush()
			}
			ctx = ssContext{hasState: strings.Contains(t, "State")}
			content, anything = true, true
			continue
		}
		row, ok := parseSSRow(t, ctx)
		if !ok {
			if last >= 0 && (line[0] == ' ' || line[0] == '\t') {
				applyContinuation(&cur.Listeners[last], t)
			}
			continue
		}
		content, anything = true, true
		last = -1
		if !row.tcp || row.state != "LISTEN" {
			continue
		}
		if row.portName != "" {
			namedPorts++
			continue
		}
		cur.Listeners = append(cur.Listeners, row.l)
		last = len(cur.Listeners) - 1
	}
	flush()
	if !anything {
		return nil, errorf(name, "not an ss -ltn / netstat -lnt listing: no Recv-Q/Send-Q header and no socket rows")
	}
	if namedPorts > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("%d LISTEN rows skipped: port printed as a service name (run ss with -n)", namedPorts))
	}
	return s, nil
}

// isSSColumnHeader reports the column header of ss ("State Recv-Q Send-Q Local Address:Port ...",
// "Recv-Q Send-Q Local Address:Port ...", "Netid State ...") or netstat ("Proto Recv-Q Send-Q ...").
func isSSColumnHeader(t string) bool {
	return strings.Contains(t, "Recv-Q") && strings.Contains(t, "Send-Q")
}

// ssContext is what the last column header said about the rows below it.
type ssContext struct {
	hasState bool // the header has a State column (rows without one are then not rows)
}

type ssRow struct {
	l        Listener
	state    string
	tcp      bool   // a TCP socket
	portName string // local port printed as a service name
}

var ssStates = map[string]bool{
	"ESTAB": true, "SYN-SENT": true, "SYN-RECV": true, "FIN-WAIT-1": true, "FIN-WAIT-2": true,
	"TIME-WAIT": true, "UNCONN": true, "CLOSE-WAIT": true, "LAST-ACK": true, "LISTEN": true,
	"CLOSING": true, "CLOSED": true, "UNKNOWN": true, "NEW-SYN-RECV": true, "BOUND": true,
}

var netstatStates = map[string]bool{
	"ESTABLISHED": true, "SYN_SENT": true, "SYN_RECV": true, "FIN_WAIT1": true, "FIN_WAIT2": true,
	"TIME_WAIT": true, "CLOSE": true, "CLOSE_WAIT": true, "LAST_ACK": true, "LISTEN": true,
	"CLOSING": true, "UNKNOWN": true,
}

// ssNetids are ss's Netid column values and netstat's Proto column values.
var ssNetids = map[string]bool{
	"tcp": true, "tcp4": true, "tcp6": true, "udp": true, "udp4": true, "udp6": true, "raw": true, "raw6": true,
	"udpl": true, "udpl6": true, "u_str": true, "u_dgr": true, "u_seq": true, "p_raw": true, "p_dgr": true,
	"nl": true, "mptcp": true, "sctp": true, "tipc": true, "v_str": true, "v_dgr": true, "xdp": true,
	"unix": true, "dccp": true,
}

// parseSSRow parses one socket row of ss (with or without State / Netid) or netstat.
func parseSSRow(t string, ctx ssContext) (ssRow, bool) {
	f := strings.Fields(t)
	var (
		row            ssRow
		i              int
		netid          string
		rq, sq         string
		local, peer    string
		rest           []string
		netstatRow     bool
		recvQ, sendQ   int
		errRQ, errSQ   error
		hasNetidColumn bool
	)
	if len(f) > 0 && ssNetids[f[0]] {
		netid, i, hasNetidColumn = f[0], 1, true
	}
	switch {
	case hasNetidColumn && len(f) >= i+4 && isDigits(f[i]) && isDigits(f[i+1]):
		// netstat: Proto Recv-Q Send-Q Local Foreign [State] [PID/Program]
		netstatRow = true
		rq, sq, local, peer = f[i], f[i+1], f[i+2], f[i+3]
		rest = f[i+4:]
		if len(rest) > 0 && netstatStates[rest[0]] {
			row.state, rest = rest[0], rest[1:]
		}
	case len(f) >= i+5 && ssStates[f[i]] && isDigits(f[i+1]) && isDigits(f[i+2]):
		row.state, rq, sq, local, peer = f[i], f[i+1], f[i+2], f[i+3], f[i+4]
	case !hasNetidColumn && !ctx.hasState && len(f) >= 4 && isDigits(f[0]) && isDigits(f[1]):
		// old ss -l without a State column: every row is a listener
		row.state, rq, sq, local, peer = "LISTEN", f[0], f[1], f[2], f[3]
	default:
		return ssRow{}, false
	}
	recvQ, errRQ = strconv.Atoi(rq)
	sendQ, errSQ = strconv.Atoi(sq)
	if errRQ != nil || errSQ != nil || !strings.Contains(peer, ":") {
		return ssRow{}, false
	}
	ep, ok := parseEndpoint(local)
	if !ok {
		return ssRow{}, false
	}
	row.tcp = netid == "" || strings.HasPrefix(netid, "tcp")
	row.portName = ep.portName
	row.l = Listener{Local: local, Addr: ep.addr, Port: ep.port, RecvQ: recvQ, SendQ: sendQ, Drops: -1}
	if netstatRow {
		row.l.SendQ = -1 // netstat's Send-Q of a listener is write_seq - snd_una, never the backlog
		row.l.Process = netstatProcess(rest)
	} else {
		row.l.Process = ssProcess(t)
		if d, ok := skmemDrops(t); ok {
			row.l.Drops = d
		}
	}
	return row, true
}

// applyContinuation reads ss's indented second lines (-m skmem, -e/-i details).
func applyContinuation(l *Listener, t string) {
	if d, ok := skmemDrops(t); ok {
		l.Drops = d
	}
	if l.Process == "" {
		l.Process = ssProcess(t)
	}
}

// ssProcess returns the users:((...)) group of a row, balanced, quotes respected.
func ssProcess(t string) string {
	i := strings.Index(t, "users:(")
	if i < 0 {
		return ""
	}
	depth, inQuote := 0, false
	for j := i + len("users:"); j < len(t); j++ {
		switch c := t[j]; {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return t[i : j+1]
			}
		}
	}
	return strings.TrimSpace(t[i:]) // unbalanced (cut line): keep what is there
}

// netstatProcess returns netstat -p's "PID/Program name" column ("-" → "").
func netstatProcess(rest []string) string {
	for k, f := range rest {
		if f == "-" {
			return ""
		}
		if j := strings.IndexByte(f, '/'); j > 0 && isDigits(f[:j]) {
			return strings.Join(rest[k:], " ")
		}
	}
	return ""
}

// skmemDrops extracts d<N> from "skmem:(r0,rb131072,...,bl0,d24)".
func skmemDrops(t string) (int64, bool) {
	i := strings.Index(t, "skmem:(")
	if i < 0 {
		return 0, false
	}
	body := t[i+len("skmem:("):]
	if j := strings.IndexByte(body, ')'); j >= 0 {
		body = body[:j]
	}
	for _, f := range strings.Split(body, ",") {
		if len(f) > 1 && f[0] == 'd' && isDigits(f[1:]) {
			if v, err := strconv.ParseInt(f[1:], 10, 64); err == nil {
				return v, true
			}
		}
	}
	return 0, false
}

type wildFamily int

const (
	notWild wildFamily = iota
	wild4              // 0.0.0.0
	wild6              // [::] / ::
	wildAny            // * (old ss: IPv4 any; newer ss: dual-stack IPv6 any)
)

type endpoint struct {
	addr     netip.Addr
	port     uint16
	wild     wildFamily
	portName string
}

// wellKnownPorts covers the service names ss/netstat print without -n for common servers.
var wellKnownPorts = map[string]uint16{
	"ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "http": 80, "pop3": 110,
	"sunrpc": 111, "imap2": 143, "imap": 143, "ldap": 389, "https": 443, "submissions": 465,
	"submission": 587, "ldaps": 636, "imaps": 993, "pop3s": 995, "mysql": 3306,
	"postgresql": 5432, "redis": 6379, "http-alt": 8080, "webcache": 8080,
}

// parseEndpoint reads a local address as ss or netstat print it: "0.0.0.0:8080", "*:80",
// "[::]:443", "[::ffff:10.0.0.1]:80", "10.0.0.1%eth0:22", "[fe80::1]%eth0:22", ":::80",
// "::1:631", "::ffff:10.0.0.1:80".
func parseEndpoint(s string) (endpoint, bool) {
	var host, port string
	if strings.HasPrefix(s, "[") {
		j := strings.IndexByte(s, ']')
		if j < 0 {
			return endpoint{}, false
		}
		host = s[1:j]
		after := s[j+1:]
		k := strings.LastIndexByte(after, ':')
		if k < 0 || (k > 0 && after[0] != '%') {
			return endpoint{}, false
		}
		port = after[k+1:]
	} else {
		k := strings.LastIndexByte(s, ':')
		if k <= 0 {
			return endpoint{}, false
		}
		host, port = s[:k], s[k+1:]
	}
	if i := strings.IndexByte(host, '%'); i >= 0 {
		host = host[:i] // zone / bound device
	}
	var ep endpoint
	switch host {
	case "*":
		ep.wild = wildAny
	case "0.0.0.0":
		ep.wild = wild4
	case "::":
		ep.wild = wild6
	default:
		a, err := netip.ParseAddr(host)
		if err != nil {
			return endpoint{}, false
		}
		a = a.WithZone("")
		if a.IsUnspecified() {
			if a.Is4() {
				ep.wild = wild4
			} else {
				ep.wild = wild6
			}
		} else {
			ep.addr = a
		}
	}
	if isDigits(port) {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return endpoint{}, false
		}
		ep.port = uint16(n)
	} else if p, ok := wellKnownPorts[port]; ok {
		ep.port = p
	} else if port != "" && port != "*" && isServiceName(port) {
		ep.portName = port
	} else {
		return endpoint{}, false
	}
	return ep, true
}

func isServiceName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// listenerWild returns the wildcard family of a listener (from its printed Local).
func listenerWild(l Listener) wildFamily {
	if l.Addr.IsValid() {
		return notWild
	}
	ep, ok := parseEndpoint(l.Local)
	if !ok {
		return notWild
	}
	return ep.wild
}

// matchScore ranks how a listener would receive a SYN to server, roughly as the kernel's
// listener lookup does: exact address > IPv4-mapped exact > same-family wildcard > "*" >
// other-family ("::" dual-stack for IPv4). 0 = no match.
func matchScore(l Listener, addr netip.Addr, port uint16) int {
	if l.Port != port {
		return 0
	}
	if l.Addr.IsValid() {
		switch {
		case l.Addr == addr:
			return 5
		case l.Addr.Is4In6() && l.Addr.Unmap() == addr:
			return 4
		}
		return 0
	}
	switch w := listenerWild(l); {
	case w == wildAny:
		return 2
	case addr.Is4() && w == wild4, addr.Is6() && w == wild6:
		return 3
	case addr.Is4() && w == wild6:
		return 1 // IPv6 wildcard listener that is not v6only takes IPv4 too
	}
	return 0
}

// Find returns the samples for a server endpoint (addr may match a wildcard listener of the same family,
// IPv4 address may match a "::" dual-stack listener), with their block times. In each block only
// the best-matching listeners are returned (an exact address beats a wildcard, as in the kernel's
// lookup); SO_REUSEPORT groups give several points with the same time.
func (s *SSSeries) Find(server netip.AddrPort) []ListenerPoint {
	if s == nil || !server.Addr().IsValid() {
		return nil
	}
	addr := server.Addr().Unmap().WithZone("")
	var out []ListenerPoint
	for _, b := range s.Blocks {
		best := 0
		for _, l := range b.Listeners {
			if sc := matchScore(l, addr, server.Port()); sc > best {
				best = sc
			}
		}
		if best == 0 {
			continue
		}
		for _, l := range b.Listeners {
			if matchScore(l, addr, server.Port()) == best {
				out = append(out, ListenerPoint{Time: b.Time, Listener: l})
			}
		}
	}
	return out
}
