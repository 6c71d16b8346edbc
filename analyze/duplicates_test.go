package analyze

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/gopacket/pcapgo"
)

// doubleFrames writes a copy of a capture with every frame captured twice,
// the second copy 20 µs after the first (tcpdump -i any on loopback, a
// mirror port): the real frames of a real sample, nothing else changed.
func doubleFrames(t *testing.T, src string) string {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Skipf("%v", err)
	}
	defer in.Close()
	r, err := pcapgo.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "doubled.pcap")
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w := pcapgo.NewWriterNanos(out)
	if err := w.WriteFileHeader(r.Snaplen(), r.LinkType()); err != nil {
		t.Fatal(err)
	}
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		for _, off := range []time.Duration{0, 20 * time.Microsecond} {
			ci.Timestamp = ci.Timestamp.Add(off)
			if err := w.WritePacket(ci, data); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dst
}

// TestDuplicatedFramesHealthy: a healthy server captured with every frame
// twice is still healthy, with the duplicates counted.
func TestDuplicatedFramesHealthy(t *testing.T) {
	for _, sample := range []string{"healthy", "accept-queue-full-syn"} {
		t.Run(sample, func(t *testing.T) {
			orig := filepath.Join("..", "samples", sample, "capture.pcap")
			want := Run([]Input{{Path: orig}}, Options{})
			got := Run([]Input{{Path: doubleFrames(t, orig)}}, Options{})
			c := got.Captures[0]
			// Every copy is counted but a SYN-ACK answering a retransmitted
			// SYN, whose copy cannot be told from the kernel sending it twice.
			first := want.Captures[0]
			if c.Duplicates > first.TCPPackets || c.Duplicates*10 < first.TCPPackets*9 || c.TCPPackets > first.TCPPackets+first.SynAck {
				t.Errorf("duplicates %d, TCP %d; want about %d duplicates and at most %d TCP segments", c.Duplicates, c.TCPPackets, first.TCPPackets, first.TCPPackets+first.SynAck)
			}
			if got.Totals.Failed != want.Totals.Failed || got.Totals.Attempts != want.Totals.Attempts {
				t.Errorf("failed %d of %d with duplicates, %d of %d without", got.Totals.Failed, got.Totals.Attempts, want.Totals.Failed, want.Totals.Attempts)
			}
			for o, n := range want.Totals.Outcomes {
				if got.Totals.Outcomes[o] != n {
					t.Errorf("%s: %d with duplicates, %d without", o, got.Totals.Outcomes[o], n)
				}
			}
		})
	}
}
