package snapshot

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseFirewall(t *testing.T) {
	const listing = `# iptables -t filter -L -v -n -x
Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination
      20     1200 DROP       6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:8080 flags:0x17/0x02 /* hol:drop-syn */
       7      420 DROP       tcp  --  *      *       10.77.0.5            0.0.0.0/0
      31     1860 DROP       all  --  *      *       10.77.0.6            0.0.0.0/0            statistic mode random probability 0.50000000000
       3      180 REJECT     tcp  --  *      *       192.0.2.0/24         10.77.0.1            multiport dports 80,443:445 reject-with tcp-reset
       9      540 ACCEPT     tcp  --  *      *       0.0.0.0/0            0.0.0.0/0
# ip6tables -t raw -L -v -n -x
Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination
       4      320 DROP       6    --  *      *       fd77::5/128          ::/0
`
	fw, err := ParseFirewall(strings.NewReader(listing), "iptables.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(fw.Rules) != 5 {
		t.Fatalf("%d rules, want the 5 DROP/REJECT ones: %+v", len(fw.Rules), fw.Rules)
	}
	srv := netip.MustParseAddrPort("10.77.0.1:8080")
	cases := []struct {
		rule           int
		client, server string
		want           bool
	}{
		{0, "10.77.0.2:40000", "10.77.0.1:8080", true},
		{0, "10.77.0.2:40000", "10.77.0.1:8081", false},
		{1, "10.77.0.5:1", "10.77.0.1:8080", true},
		{1, "10.77.0.4:1", "10.77.0.1:8080", false},
		{2, "10.77.0.6:1", "10.77.0.1:8080", true},
		{3, "192.0.2.9:1", "10.77.0.1:444", true},
		{3, "192.0.2.9:1", "10.77.0.1:8080", false},
		{4, "[fd77::5]:1", "[fd77::1]:8080", true},
		{4, "10.77.0.5:1", srv.String(), false},
	}
	for _, c := range cases {
		r := fw.Rules[c.rule]
		if got := r.Matches(netip.MustParseAddrPort(c.client), netip.MustParseAddrPort(c.server)); got != c.want {
			t.Errorf("rule %d (%s) matches %s → %s = %v, want %v", c.rule, r.Text, c.client, c.server, got, c.want)
		}
	}
	if r := fw.Rules[0]; !r.SYNOnly || r.Packets != 20 || r.Chain != "INPUT" || r.Table != "filter" {
		t.Errorf("rule 0 = %+v", r)
	}
	if r := fw.Rules[2]; r.Random != 0.5 {
		t.Errorf("random probability %v", r.Random)
	}
	if r := fw.Rules[4]; r.Table != "raw" || r.Chain != "PREROUTING" {
		t.Errorf("rule 4 table/chain %s/%s", r.Table, r.Chain)
	}
	if _, err := ParseFirewall(strings.NewReader("net.core.somaxconn = 4096\n"), "sysctl.txt"); err == nil {
		t.Error("a sysctl file parsed as an iptables listing")
	}
}

// TestParseFirewallSamples: every iptables.txt of the real-kernel samples parses.
func TestParseFirewallSamples(t *testing.T) {
	files, _ := filepath.Glob("../../samples/*/iptables.txt")
	if len(files) == 0 {
		t.Skip("no samples/*/iptables.txt")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseFirewall(strings.NewReader(string(b)), f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
