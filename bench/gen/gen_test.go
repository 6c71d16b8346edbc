package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/halfopen/halfopen/analyze"
)

// TestAnalyzerMatchesExpected generates the small presets in every
// container and checks that halfopen's analysis reports exactly the counts
// the generator wrote to FILE.expected.json.
func TestAnalyzerMatchesExpected(t *testing.T) {
	tiny := DefaultConfig()
	tiny.Healthy, tiny.Flood, tiny.FloodSources, tiny.Unanswered = 300, 400, 150, 40
	tiny.SynAckRetrans, tiny.SynRetry, tiny.RST = 30, 30, 30
	tiny.FloodRetrans, tiny.FloodAnswered = 0.5, 0.5
	tiny.IPv6, tiny.VLAN, tiny.Duration, tiny.Seed = 0.5, true, 20*time.Second, 7
	cases := []struct {
		name             string
		cfg              Config
		format, compress string
	}{
		{"mixed-small.pcap", Presets["mixed-small"], "pcap", "none"},
		{"mixed-small.pcapng", Presets["mixed-small"], "pcapng", "none"},
		{"mixed-small.pcap.gz", Presets["mixed-small"], "pcap", "gzip"},
		{"flood-small.pcap", Presets["flood-small"], "pcap", "none"},
		{"flood-small.pcapng", Presets["flood-small"], "pcapng", "none"},
		{"flood-small.pcapng.gz", Presets["flood-small"], "pcapng", "gzip"},
		{"tiny-vlan.pcapng.zst", tiny, "pcapng", "zstd"},
		{"scan-small.pcap", Presets["scan-150k"].Scaled(0.05), "pcap", "none"},
		{"far-future.pcap", Presets["far-future"], "pcap", "none"},
	}
	dir := t.TempDir()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := tc.cfg
			cfg.Format, cfg.Compress = tc.format, tc.compress
			path := filepath.Join(dir, tc.name)
			if _, err := writeFile(path, cfg); err != nil {
				t.Fatal(err)
			}
			exp := readExpected(t, path+".expected.json")
			r := analyze.Run([]analyze.Input{{Path: path}}, analyze.Options{})
			checkReport(t, r, exp)
		})
	}
}

func readExpected(t *testing.T, path string) *Expected {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var e Expected
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return &e
}

func checkReport(t *testing.T, r *analyze.Report, exp *Expected) {
	t.Helper()
	if len(r.Captures) != 1 {
		t.Fatalf("%d captures in the report", len(r.Captures))
	}
	c := r.Captures[0]
	warnings := c.Warnings
	if exp.Repeats > 0 && len(warnings) > 0 && strings.Contains(warnings[0], "captured twice") {
		warnings = warnings[1:]
	}
	if !exp.Config.FirstAt.IsZero() {
		// The absurd first packet must be reported: the clock, the order.
		if w := strings.Join(warnings, " "); !strings.Contains(w, "capture clock") {
			t.Errorf("the absurd first timestamp is not reported: %q", warnings)
		}
		warnings = nil
	}
	if c.Error != "" || c.Damaged || len(warnings) > 0 {
		t.Errorf("capture read with error %q, damaged %v, warnings %q", c.Error, c.Damaged, c.Warnings)
	}
	for _, n := range []struct {
		name      string
		got, want int64
	}{
		{"packets", c.Packets, exp.Packets},
		{"tcp packets", c.TCPPackets, exp.Packets},
		{"duplicates", c.Duplicates, 0}, // the repeats are double answers, not copies
		{"SYN", c.SYN, exp.SYN},
		{"SYN-ACK", c.SynAck, exp.SynAck + exp.Repeats}, // segments, repeats included
		{"RST", c.RST, exp.RST},
		// Every attempt is counted once: for a real client, in a flood or in a scan.
		{"attempts", r.Totals.Attempts + r.Totals.FloodAttempts + r.Totals.ScanAttempts, exp.Attempts},
		{"scan attempts", r.Totals.ScanAttempts, exp.Scan},
		{"listeners", int64(r.Totals.Listeners), int64(exp.Listeners)},
	} {
		if n.got != n.want {
			t.Errorf("%s = %d, want %d", n.name, n.got, n.want)
		}
	}
	// Only the generator's spoofed sources may be taken for a flood; a
	// flood of mostly one-off sources must be recognised.
	if r.Totals.FloodAttempts > exp.Flood || exp.Flood >= 10_000 && exp.FloodSources*5 >= exp.Flood*4 && r.Totals.FloodAttempts < exp.Flood/2 {
		t.Errorf("flood attempts %d, of %d spoofed (%d sources)", r.Totals.FloodAttempts, exp.Flood, exp.FloodSources)
	}
	outcomes := map[string]int64{}
	for _, l := range r.Listeners {
		for o, n := range l.Outcomes {
			outcomes[o] += n
		}
		if l.Flood != nil {
			for o, n := range l.Flood.Outcomes {
				outcomes[o] += n
			}
		}
	}
	for o, want := range exp.Outcomes {
		if got := outcomes[o]; got != want {
			t.Errorf("outcome %s = %d (clients and floods), want %d", o, got, want)
		}
	}
	if len(r.Totals.Outcomes) != len(exp.Outcomes) {
		t.Errorf("outcomes %v, want %v", r.Totals.Outcomes, exp.Outcomes)
	}
	for _, l := range r.Listeners {
		want, ok := exp.PerListener[l.Server]
		if !ok {
			t.Errorf("unexpected listener %s: %v", l.Server, l.Outcomes)
			continue
		}
		for o, got := range l.Outcomes {
			if l.Flood != nil {
				got += l.Flood.Outcomes[o]
			}
			if got != want[o] {
				t.Errorf("%s: outcome %s = %d, want %d", l.Server, o, got, want[o])
			}
		}
	}
}

// TestDeterministic: the same seed gives the same bytes; another seed does not.
func TestDeterministic(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Healthy, cfg.Flood, cfg.FloodSources, cfg.Unanswered, cfg.RST = 200, 200, 50, 20, 20
	cfg.Duration = 10 * time.Second
	gen := func(seed uint64) []byte {
		c := cfg
		c.Seed = seed
		var buf bytes.Buffer
		if _, err := Generate(&buf, c); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	a, b, other := gen(3), gen(3), gen(4)
	if !bytes.Equal(a, b) {
		t.Error("two runs with seed 3 differ")
	}
	if bytes.Equal(a, other) {
		t.Error("seeds 3 and 4 give the same capture")
	}
}

// TestLinuxSynAcks checks the modelled listener: timer retransmits 1, 2,
// 4… s apart; a retransmitted SYN is answered at once and restarts the
// timer at the current backoff; after the last retry the request is gone
// and a later SYN opens a new one.
func TestLinuxSynAcks(t *testing.T) {
	s := usSec
	times := func(sa []synAck) (ts []int64, incs []int) {
		for _, a := range sa {
			ts = append(ts, a.t)
			incs = append(incs, a.inc)
		}
		return
	}
	cases := []struct {
		syns    []int64
		retries int
		want    []int64
		incs    []int
	}{
		{[]int64{0}, 5, []int64{0, 1 * s, 3 * s, 7 * s, 15 * s, 31 * s}, []int{1, 1, 1, 1, 1, 1}},
		{[]int64{0}, 0, []int64{0}, []int{1}},
		// SYN again at 1.5 s: answered at once, timer restarts for 2 s.
		{[]int64{0, 1500_000}, 3, []int64{0, 1 * s, 1500_000, 3500_000, 7500_000}, []int{1, 1, 1, 1, 1}},
		// No retries: the request is dropped at 1 s; the SYN at 3 s opens a new one.
		{[]int64{0, 3 * s}, 0, []int64{0, 3 * s}, []int{1, 2}},
	}
	for _, tc := range cases {
		got, incs := times(linuxSynAcks(tc.syns, tc.retries, 0))
		if !slices.Equal(got, tc.want) || !slices.Equal(incs, tc.incs) {
			t.Errorf("syns %v retries %d: synacks %v (requests %v), want %v (%v)", tc.syns, tc.retries, got, incs, tc.want, tc.incs)
		}
	}
}
