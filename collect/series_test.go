//go:build linux

package collect

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halfopen/halfopen/analyze/snapshot"
)

func testStage(t *testing.T) *stage {
	t.Helper()
	st, err := newStage(t.TempDir(), "b")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.removeAll() })
	return st
}

// ssSample is one ss.txt block as ssLoop writes it.
func ssSample(i int) []byte {
	at := time.Unix(1_700_000_000, 0).Add(time.Duration(i) * 100 * time.Millisecond)
	return fmt.Appendf(nil, "%sState  Recv-Q Send-Q Local Address:Port Peer Address:Port\nLISTEN %-6d 128    0.0.0.0:9090       0.0.0.0:*\n", stamp(at), i)
}

// TestTextRingKeepsNewest: ss.txt never exceeds its cap, keeps the newest
// samples whole, counts what it dropped, and analyze parses the result.
func TestTextRingKeepsNewest(t *testing.T) {
	st := testStage(t)
	const kept = 8 << 10
	r := newTextRing(st, "ss.txt", kept)
	const n = 1000
	for i := range n {
		if err := r.add(ssSample(i)); err != nil {
			t.Fatal(err)
		}
		if b := st.bytes(); b > kept {
			t.Fatalf("after %d samples the ring holds %d bytes, over %d", i+1, b, kept)
		}
	}
	if err := r.finish(); err != nil {
		t.Fatal(err)
	}
	names, _ := st.names(true)
	if len(names) != 1 || names[0] != "ss.txt" {
		t.Fatalf("stage holds %v, want ss.txt alone", names)
	}
	data, _ := os.ReadFile(filepath.Join(st.path(), "ss.txt"))
	if int64(len(data)) > kept || int64(len(data)) < kept*(ssChunks-1)/ssChunks-int64(len(ssSample(0))) {
		t.Errorf("ss.txt is %d bytes; want between 3/4 of %d and %d", len(data), kept, kept)
	}
	series, err := snapshot.ParseSS(strings.NewReader(string(data)), "ss.txt")
	if err != nil {
		t.Fatal(err)
	}
	info := r.info(kept)
	if int64(len(series.Blocks)) != info.Samples-info.Dropped || info.Samples != n {
		t.Errorf("%d blocks parsed; the manifest says %d taken, %d dropped", len(series.Blocks), info.Samples, info.Dropped)
	}
	if !strings.HasSuffix(string(data), string(ssSample(n-1))) {
		t.Error("the newest sample is not last")
	}
	if strings.Contains(string(data), string(ssSample(0))) {
		t.Error("the oldest sample was kept although the ring wrapped")
	}
}

// TestFileSeriesKeepsFirstAndNewest: the nstat series keeps the first
// snapshot (analyze's "before") and the newest, within its cap.
func TestFileSeriesKeepsFirstAndNewest(t *testing.T) {
	st := testStage(t)
	snap := func(i int) []byte {
		return fmt.Appendf(nil, "%s#kernel\nTcpExtListenOverflows %d 0.0\n", stamp(time.Unix(int64(1e9+i), 0)), i)
	}
	size := int64(len(snap(100)))
	s := newFileSeries(st, "nstat-%03d.txt", "nstat-NNN.txt", 5*size)
	for i := range 100 {
		if err := s.add(snap(100 + i)); err != nil {
			t.Fatal(err)
		}
		if st.bytes() > 5*size {
			t.Fatalf("series at %d bytes, over its cap %d", st.bytes(), 5*size)
		}
	}
	names, _ := st.names(false)
	want := []string{"nstat-000.txt", "nstat-095.txt", "nstat-096.txt", "nstat-097.txt", "nstat-098.txt", "nstat-099.txt"}
	if len(names) != 5 || names[0] != want[0] || names[4] != want[5] {
		t.Fatalf("kept %v, want the first and the newest (%v…)", names, want)
	}
	if info := s.info(); info.Samples != 100 || info.Dropped != 95 || info.Bytes != st.bytes() {
		t.Errorf("manifest entry %+v, want 100 taken, 95 dropped, %d bytes", info, st.bytes())
	}
	first, _ := os.ReadFile(filepath.Join(st.path(), "nstat-000.txt"))
	if string(first) != string(snap(100)) {
		t.Errorf("the first snapshot changed: %q", first)
	}
}

// record is a pcap record with a timestamp of i seconds.
func record(i int, size int) []byte {
	rec := make([]byte, 16+size)
	binary.LittleEndian.PutUint32(rec, uint32(1_700_000_000+i))
	binary.LittleEndian.PutUint32(rec[8:], uint32(size))
	binary.LittleEndian.PutUint32(rec[12:], uint32(size))
	binary.LittleEndian.PutUint32(rec[16:], uint32(i))
	return rec
}

// TestPcapRingKeepsNewest: the capture ring holds at most its budget,
// drops the oldest file when full, and merges into one capture.pcap whose
// records are the newest, in order.
func TestPcapRingKeepsNewest(t *testing.T) {
	st := testStage(t)
	const budget = 256 << 10
	r, err := newPcapRing(st, budget, pcapHeader(128))
	if err != nil {
		t.Fatal(err)
	}
	const n = 10000
	for i := range n {
		if err := r.write(record(i, 100)); err != nil {
			t.Fatal(err)
		}
	}
	r.closeFile()
	if b := st.bytes(); b > budget {
		t.Fatalf("ring holds %d bytes, over its budget %d", b, budget)
	}
	kept, err := r.finish()
	if err != nil {
		t.Fatal(err)
	}
	if !r.rotated || kept >= n || kept < (budget*3/4)/116 {
		t.Errorf("rotated=%v, %d records kept of %d", r.rotated, kept, n)
	}
	data, _ := os.ReadFile(filepath.Join(st.path(), "capture.pcap"))
	if int64(len(data)) != 24+kept*116 {
		t.Fatalf("capture.pcap is %d bytes for %d records", len(data), kept)
	}
	prev := -1
	for off := 24; off < len(data); off += 116 {
		i := int(binary.LittleEndian.Uint32(data[off+16:]))
		if prev >= 0 && i != prev+1 {
			t.Fatalf("record %d follows %d: out of order or missing", i, prev)
		}
		prev = i
	}
	if prev != n-1 {
		t.Errorf("last record %d, want the newest %d", prev, n-1)
	}
	if names, _ := st.names(true); len(names) != 1 {
		t.Errorf("ring files left: %v", names)
	}
}

// TestMergeRingCutRecord: a record cut short by a killed writer is cut
// off, so capture.pcap stays readable.
func TestMergeRingCutRecord(t *testing.T) {
	st := testStage(t)
	f, _ := st.create(".ring.000000.pcap")
	f.Write(pcapHeader(128))
	f.Write(record(1, 60))
	f.Write(record(2, 60)[:30])
	f.Close()
	n, err := mergeRing(st, []string{".ring.000000.pcap"}, pcapHeader(128))
	if err != nil || n != 1 {
		t.Fatalf("merged %d records, %v; want 1", n, err)
	}
	if size := st.size("capture.pcap"); size != 24+76 {
		t.Errorf("capture.pcap is %d bytes, want %d", size, 24+76)
	}
	// No ring file at all still gives a valid, empty capture.
	st2 := testStage(t)
	if _, err := mergeRing(st2, nil, nil); !errors.Is(err, errNoPackets) {
		t.Errorf("empty ring: %v", err)
	}
	if size := st2.size("capture.pcap"); size != 24 {
		t.Errorf("empty capture.pcap is %d bytes, want a 24-byte header", size)
	}
}
