package snapshot

import (
	"bytes"
	"strings"
	"testing"
)

func parseSysctlFile(t *testing.T, rel string) *Sysctl {
	t.Helper()
	s, err := ParseSysctl(bytes.NewReader(readTestdata(t, rel)), rel)
	if err != nil {
		t.Fatal(err)
	}
	if s.Source != rel {
		t.Errorf("Source = %q", s.Source)
	}
	return s
}

func TestParseSysctlReal(t *testing.T) {
	s := parseSysctlFile(t, "real/sysctl-a.txt")
	if len(s.Values) < 800 {
		t.Errorf("only %d keys", len(s.Values))
	}
	if got := s.KernelRelease(); got != "6.18.44-fc-v669" {
		t.Errorf("KernelRelease = %q", got)
	}
	// capture.sh set somaxconn=1024 and syncookies=1 in the namespace.
	ints := map[string]int64{
		"net.core.somaxconn":               1024,
		"net.ipv4.tcp_syncookies":          1,
		"net.ipv4.tcp_rmem":                4096, // first field of "4096\t131072\t33554432"
		"net.ipv4.tcp_syn_linear_timeouts": 4,
		"net.ipv4.tcp_max_syn_backlog":     2048,
	}
	for k, want := range ints {
		if got, ok := s.Int(k); !ok || got != want {
			t.Errorf("Int(%s) = %d,%v, want %d", k, got, ok, want)
		}
	}
	if v, _ := s.Get("net.ipv4.tcp_rmem"); v != "4096 131072 33554432" {
		t.Errorf("tcp_rmem = %q, want single spaces", v)
	}
	if v, _ := s.Get("/proc/sys/net/core/somaxconn"); v != "1024" {
		t.Errorf("Get by /proc/sys path = %q", v)
	}
	if v, _ := s.Get("kernel.core_modes"); v != "file\npipe\nsocket" {
		t.Errorf("multi-line value = %q", v)
	}
	if !s.Has("net.ipv4.conf.lo.accept_local") || s.Has("net.ipv4.tcp_tw_recycle") {
		t.Error("Has: lo.accept_local must be there, tcp_tw_recycle (≤4.11) must not")
	}
	if _, ok := s.Int("kernel.osrelease"); ok {
		t.Error("Int on a non-numeric value must fail")
	}
	if _, ok := s.Int("no.such.key"); ok {
		t.Error("Int on a missing key must fail")
	}

	// The grep -r . /proc/sys dump taken at the same moment agrees key by key.
	g := parseSysctlFile(t, "real/proc-sys-grep.txt")
	if len(g.Values) < 250 {
		t.Errorf("grep dump: only %d keys", len(g.Values))
	}
	same := 0
	for k, v := range g.Values {
		if strings.Contains(v, "\n") { // multi-line in sysctl, repeated path lines in grep
			continue
		}
		if sv, ok := s.Values[k]; !ok {
			// sysctl(8) hides the deprecated neigh.*.base_reachable_time / retrans_time.
			if !strings.HasSuffix(k, ".base_reachable_time") && !strings.HasSuffix(k, ".retrans_time") {
				t.Errorf("%s in grep dump, not in sysctl -a", k)
			}
		} else if sv != v {
			t.Errorf("%s: grep %q, sysctl %q", k, v, sv)
		} else {
			same++
		}
	}
	if same < 250 {
		t.Errorf("only %d keys agree", same)
	}
}

func TestParseSysctlCrafted(t *testing.T) {
	old := parseSysctlFile(t, "crafted/sysctl-old-2.6.18.txt")
	eq := parseSysctlFile(t, "crafted/sysctl-proc-eq.txt")
	for _, s := range []*Sysctl{old, eq} {
		if r := s.KernelRelease(); r != "2.6.18-419.el5" {
			t.Errorf("%s: KernelRelease %q", s.Source, r)
		}
		if v, ok := s.Int("net.ipv4.tcp_tw_recycle"); !ok || v != 1 {
			t.Errorf("%s: tcp_tw_recycle %d %v", s.Source, v, ok)
		}
		if v, ok := s.Int("net.core.somaxconn"); !ok || v != 128 {
			t.Errorf("%s: somaxconn %d %v", s.Source, v, ok)
		}
		if v, _ := s.Get("net.ipv4.conf.eth0/100.rp_filter"); v != "1" {
			t.Errorf("%s: VLAN interface key = %q", s.Source, v)
		}
		for k := range s.Values {
			if strings.Contains(k, " ") || strings.HasPrefix(k, "sysctl") || strings.HasPrefix(k, "error") {
				t.Errorf("%s: noise parsed as key %q", s.Source, k)
			}
		}
	}
	if len(old.Values) != 12 {
		t.Errorf("old: %d keys, want 12: %v", len(old.Values), old.Values)
	}
	if len(eq.Values) != 8 {
		t.Errorf("proc-eq: %d keys, want 8: %v", len(eq.Values), eq.Values)
	}
	if v, _ := eq.Get("net.ipv4.tcp_rmem"); v != "4096 87380 4194304" {
		t.Errorf("proc-eq tcp_rmem %q", v)
	}
	if v, _ := eq.Get("net/ipv4/tcp_synack_retries"); v != "5" {
		t.Errorf("path:value form %q", v)
	}
	if v, _ := old.Get("dev.cdrom.info"); v != "CD-ROM information, Id: cdrom.c 3.20 2003/12/17\n\ndrive name: hdc" {
		t.Errorf("dev.cdrom.info = %q", v)
	}
}

func TestParseSysctlLine(t *testing.T) {
	cases := []struct {
		line, key, val string
		ok             bool
	}{
		{"net.core.somaxconn = 4096", "net.core.somaxconn", "4096", true},
		{"net.core.somaxconn=4096", "net.core.somaxconn", "4096", true},
		{"  kernel.domainname = (none)  ", "kernel.domainname", "(none)", true},
		{"kernel.core_pattern = |/usr/share/apport/apport -p%p -s%s", "kernel.core_pattern", "|/usr/share/apport/apport -p%p -s%s", true},
		{"net.ipv4.tcp_rmem = 4096\t131072   6291456", "net.ipv4.tcp_rmem", "4096 131072 6291456", true},
		{"kernel.hostname =", "kernel.hostname", "", true},
		{"/proc/sys/net/core/somaxconn = 4096", "net.core.somaxconn", "4096", true},
		{"/proc/sys/net/core/somaxconn:4096", "net.core.somaxconn", "4096", true},
		{"/proc/sys/kernel/core_pattern:|/bin/x %p:%s", "kernel.core_pattern", "|/bin/x %p:%s", true},
		{"/proc/sys/net/ipv4/conf/eth0.100/forwarding:0", "net.ipv4.conf.eth0/100.forwarding", "0", true},
		{"./net/core/somaxconn:4096", "net.core.somaxconn", "4096", true},
		{"net/core/somaxconn:4096", "net.core.somaxconn", "4096", true},
		{"sysctl: permission denied on key 'net.ipv6.conf.all.stable_secret'", "", "", false},
		{`sysctl: reading key "net.ipv6.conf.all.stable_secret"`, "", "", false},
		{"grep: /proc/sys/net/ipv4/route/flush: Permission denied", "", "", false},
		{"# net.core.somaxconn = 1", "", "", false},
		{"just = text", "", "", false},
		{"=4096", "", "", false},
		{"/proc/sys/net/core/somaxconn", "", "", false},
		{"LISTEN 0 128 0.0.0.0:80 0.0.0.0:*", "", "", false},
	}
	for _, c := range cases {
		k, v, ok := parseSysctlLine(c.line)
		if ok != c.ok || k != c.key || v != c.val {
			t.Errorf("%q: got (%q, %q, %v), want (%q, %q, %v)", c.line, k, v, ok, c.key, c.val, c.ok)
		}
	}
}

func TestSysctlNil(t *testing.T) {
	var s *Sysctl
	if s.Has("x.y") || s.KernelRelease() != "" {
		t.Error("nil Sysctl must answer empty")
	}
	if _, ok := s.Int("x.y"); ok {
		t.Error("nil Sysctl Int")
	}
}
