package analyze

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/gopacket/pcapgo"
)

// truncateCapture keeps the first n packets of a bundle's capture.pcap, as
// a tcpdump stopped early (-c n) would have written it.
func truncateCapture(t *testing.T, dir string, n int) {
	t.Helper()
	path := filepath.Join(dir, "capture.pcap")
	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	type rec struct {
		ci   any
		data []byte
	}
	var buf strings.Builder
	w := pcapgo.NewWriterNanos(&buf)
	if err := w.WriteFileHeader(r.Snaplen(), r.LinkType()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	in.Close()
	if err := os.WriteFile(path, []byte(buf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCountersSeeWhatTheCaptureMissed: the real accept-queue-full-rst
// bundle with its capture stopped before the server's RSTs (30 packets,
// the held clients' ACKs not yet arrived). The counters still say 3
// accept-queue overflows: a warning says the capture missed them, the
// listener gets the verdict the snapshots prove, and the headline does
// not say all went well.
func TestCountersSeeWhatTheCaptureMissed(t *testing.T) {
	dir := copyBundle(t, "accept-queue-full-rst", nil)
	truncateCapture(t, dir, 30)
	in, err := LoadBundle(dir, SnapshotFiles{})
	if err != nil {
		t.Fatal(err)
	}
	r := Run([]Input{in}, Options{})
	l := listener(t, r, "10.77.0.1:8080")
	if l.Failed != 0 {
		t.Fatalf("the truncated capture shows %d failures; the test needs none", l.Failed)
	}
	warn := strings.Join(r.Captures[0].Warnings, "\n")
	for _, want := range []string{"counted 3 accept-queue overflows", "does not show", "after the last SYN-ACK", "accept_queue_full_rst"} {
		if !strings.Contains(warn, want) {
			t.Errorf("warnings lack %q:\n%s", want, warn)
		}
	}
	if len(l.Verdicts) == 0 || l.Verdicts[0].Branch != "accept_queue_full_rst" {
		t.Errorf("verdicts %v, want accept_queue_full_rst from the snapshots", branchesOf(l.Verdicts))
	}
	if strings.HasPrefix(r.Headline, "All ") || !strings.Contains(r.Headline, "does not show") {
		t.Errorf("headline %q", r.Headline)
	}
}
