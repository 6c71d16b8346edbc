package snapshot

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Firewall is a parsed `iptables -L -v -n -x` (and ip6tables) listing:
// the rules that drop or reject, with their packet counters.
type Firewall struct {
	Source string
	Rules  []FirewallRule
	Notes  []string
}

// FirewallRule is one DROP or REJECT rule.
type FirewallRule struct {
	Table, Chain string // table from a "# iptables -t raw …" header, "filter" otherwise
	Packets      int64
	Target       string // DROP or REJECT
	Proto        string // "tcp", "all"
	Src, Dst     netip.Prefix
	SrcNot       bool // "!" before the source
	DstNot       bool
	DPorts       [][2]uint16 // destination port ranges; none = any
	SYNOnly      bool        // matches SYNs only (flags:0x17/0x02 or --syn)
	Random       float64     // statistic mode random probability; 0 when not random
	Other        string      // other match conditions, not evaluated
	Text         string      // the rule as listed
}

// ParseFirewall reads `iptables -L -v -n -x` output (several tables and
// ip6tables may follow each other, each under a "# command" line). Only
// DROP and REJECT rules are kept.
func ParseFirewall(r io.Reader, name string) (*Firewall, error) {
	data, err := readAll(r, name)
	if err != nil {
		return nil, err
	}
	if looksBinary(data) {
		return nil, errorf(name, "binary data, not an iptables listing")
	}
	fw := &Firewall{Source: name}
	table, chain := "filter", ""
	sawChain := false
	for _, line := range splitLines(data) {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "#"):
			if i := strings.Index(t, "-t "); i >= 0 {
				if f := strings.Fields(t[i+3:]); len(f) > 0 {
					table = f[0]
				}
			} else {
				table = "filter"
			}
		case strings.HasPrefix(t, "Chain "):
			sawChain = true
			if f := strings.Fields(t); len(f) > 1 {
				chain = f[1]
			}
		case t == "" || strings.HasPrefix(t, "pkts"):
		default:
			if rule, ok := parseRule(t); ok {
				rule.Table, rule.Chain = table, chain
				fw.Rules = append(fw.Rules, rule)
			}
		}
	}
	if !sawChain {
		return nil, errorf(name, "not an iptables listing (iptables -L -v -n -x): no \"Chain\" line")
	}
	return fw, nil
}

// parseRule reads one rule line: pkts bytes target prot [opt] in out
// source destination [matches…].
func parseRule(t string) (FirewallRule, bool) {
	f := strings.Fields(t)
	if len(f) < 8 {
		return FirewallRule{}, false
	}
	pkts, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return FirewallRule{}, false
	}
	r := FirewallRule{Packets: pkts, Target: f[2], Proto: f[3], Text: t}
	if r.Target != "DROP" && r.Target != "REJECT" {
		return FirewallRule{}, false
	}
	rest := f[4:]
	if strings.HasPrefix(rest[0], "-") || strings.HasPrefix(rest[0], "!") && len(rest[0]) > 1 {
		rest = rest[1:] // the opt column (iptables; ip6tables may lack it)
	}
	if len(rest) < 4 {
		return FirewallRule{}, false
	}
	var ok bool
	if r.Src, r.SrcNot, ok = prefix(rest[2]); !ok {
		return FirewallRule{}, false
	}
	if r.Dst, r.DstNot, ok = prefix(rest[3]); !ok {
		return FirewallRule{}, false
	}
	r.parseMatches(rest[4:])
	switch r.Proto {
	case "6":
		r.Proto = "tcp"
	case "0":
		r.Proto = "all"
	}
	return r, true
}

func prefix(s string) (netip.Prefix, bool, bool) {
	not := strings.HasPrefix(s, "!")
	s = strings.TrimPrefix(s, "!")
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), not, true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), not, true
	}
	return netip.Prefix{}, false, false
}

// parseMatches reads the conditions after the addresses.
func (r *FirewallRule) parseMatches(m []string) {
	var other []string
	for i := 0; i < len(m); i++ {
		w := m[i]
		switch {
		case w == "tcp" || w == "/*":
			if w == "/*" { // a comment: skip to its end
				for i < len(m) && m[i] != "*/" {
					i++
				}
			}
		case strings.HasPrefix(w, "dpt:") || strings.HasPrefix(w, "dpts:"):
			if rg, ok := portRange(w[strings.Index(w, ":")+1:]); ok {
				r.DPorts = append(r.DPorts, rg)
			}
		case w == "multiport" && i+2 < len(m) && m[i+1] == "dports":
			for _, p := range strings.Split(m[i+2], ",") {
				if rg, ok := portRange(p); ok {
					r.DPorts = append(r.DPorts, rg)
				}
			}
			i += 2
		case w == "flags:0x17/0x02" || w == "flags:0x02/0x02":
			r.SYNOnly = true
		case w == "statistic" && i+4 < len(m) && m[i+1] == "mode" && m[i+2] == "random" && m[i+3] == "probability":
			r.Random, _ = strconv.ParseFloat(m[i+4], 64)
			i += 4
		case strings.HasPrefix(w, "reject-with"):
			i++
		default:
			other = append(other, w)
		}
	}
	r.Other = strings.Join(other, " ")
}

func portRange(s string) ([2]uint16, bool) {
	lo, hi, found := strings.Cut(s, ":")
	a, err := strconv.ParseUint(lo, 10, 16)
	if err != nil {
		return [2]uint16{}, false
	}
	b := a
	if found {
		if b, err = strconv.ParseUint(hi, 10, 16); err != nil {
			return [2]uint16{}, false
		}
	}
	return [2]uint16{uint16(a), uint16(b)}, true
}

// Matches reports whether the rule applies to a TCP SYN from client to
// server, as far as the listing says (conditions in Other are not
// evaluated: the caller words the match as possible, not certain).
func (r *FirewallRule) Matches(client, server netip.AddrPort) bool {
	if r.Proto != "tcp" && r.Proto != "all" {
		return false
	}
	if r.Src.Addr().Is4() != client.Addr().Unmap().Is4() {
		return false
	}
	if r.Src.Contains(client.Addr().Unmap()) == r.SrcNot || r.Dst.Contains(server.Addr().Unmap()) == r.DstNot {
		return false
	}
	if len(r.DPorts) == 0 {
		return true
	}
	for _, rg := range r.DPorts {
		if server.Port() >= rg[0] && server.Port() <= rg[1] {
			return true
		}
	}
	return false
}

// Describe words the rule for evidence.
func (r *FirewallRule) Describe() string {
	s := fmt.Sprintf("%s %s rule (%s table) for %s → %s", r.Chain, r.Target, r.Table, r.Src, r.Dst)
	if len(r.DPorts) > 0 {
		s += fmt.Sprintf(" port %d", r.DPorts[0][0])
		if r.DPorts[0][1] != r.DPorts[0][0] {
			s += fmt.Sprintf("–%d", r.DPorts[0][1])
		}
	}
	if r.Random > 0 {
		s += fmt.Sprintf(", random %.0f %%", r.Random*100)
	}
	return s + fmt.Sprintf(", %d packets matched", r.Packets)
}
