package snapshot

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// readTestdata returns a testdata file's bytes.
func readTestdata(t testing.TB, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", rel))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// testdataFiles lists every snapshot file under testdata (not READMEs or scripts).
func testdataFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, dir := range []string{"real", "crafted"} {
		m, err := filepath.Glob(filepath.Join("testdata", dir, "*.txt"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			files = append(files, strings.TrimPrefix(f, "testdata"+string(filepath.Separator)))
		}
	}
	sort.Strings(files)
	if len(files) < 25 {
		t.Fatalf("only %d testdata files", len(files))
	}
	return files
}

// jpegBytes encodes a tiny real JPEG.
func jpegBytes(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for x := 0; x < 16; x++ {
		for y := 0; y < 16; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 16), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const garbage = "hello world\nthis is not a snapshot at all\n\tjust = text without dots\n42\n"

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindUnknown: "unknown", KindSysctl: "sysctl", KindSS: "ss", KindCounters: "counters", Kind(42): "unknown"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

func TestSniff(t *testing.T) {
	want := map[string]Kind{
		"real/netstat-lnt.txt":               KindSS,
		"real/netstat-s.txt":                 KindCounters,
		"real/nstat-a-json.txt":              KindCounters,
		"real/nstat-a.txt":                   KindCounters,
		"real/nstat-az-before.txt":           KindCounters,
		"real/nstat-az.txt":                  KindCounters,
		"real/nstat-delta.txt":               KindCounters,
		"real/proc-net.txt":                  KindCounters,
		"real/proc-sys-grep.txt":             KindSysctl,
		"real/ss-ltan.txt":                   KindSS,
		"real/ss-ltn.txt":                    KindSS,
		"real/ss-ltnm.txt":                   KindSS,
		"real/ss-ltnp.txt":                   KindSS,
		"real/ss-series-date.txt":            KindSS,
		"real/ss-series-unix.txt":            KindSS,
		"real/sysctl-a.txt":                  KindSysctl,
		"crafted/netstat-lnt-ipv6.txt":       KindSS,
		"crafted/netstat-s-2.6.18-rhel5.txt": KindCounters,
		"crafted/netstat-s-3.10-rhel7.txt":   KindCounters,
		"crafted/netstat-s-modern-paws.txt":  KindCounters,
		"crafted/nstat-az-header.txt":        KindCounters,
		"crafted/nstat-delta-prompt.txt":     KindCounters,
		"crafted/nstat-json-pretty.txt":      KindCounters,
		"crafted/proc-net-2.6.18.txt":        KindCounters,
		"crafted/ss-exact-and-wild.txt":      KindSS,
		"crafted/ss-old-nostate.txt":         KindSS,
		"crafted/ss-rhel7-ltnpm.txt":         KindSS,
		"crafted/ss-series-mixed.txt":        KindSS,
		"crafted/sysctl-old-2.6.18.txt":      KindSysctl,
		"crafted/sysctl-proc-eq.txt":         KindSysctl,
	}
	files := testdataFiles(t)
	for _, f := range files {
		k, ok := want[f]
		if !ok {
			t.Errorf("%s: no expected kind in TestSniff", f)
			continue
		}
		data := readTestdata(t, f)
		if got := Sniff(data); got != k {
			t.Errorf("Sniff(%s) = %v, want %v", f, got, k)
		}
		// A head cut mid-line, as a caller reading the first 4 KB would pass.
		if len(data) > 4096 {
			if got := Sniff(data[:4096]); got != k {
				t.Errorf("Sniff(%s[:4096]) = %v, want %v", f, got, k)
			}
		}
	}
	if len(files) != len(want) {
		t.Errorf("%d testdata files, %d expectations", len(files), len(want))
	}
	for name, data := range map[string][]byte{"jpeg": jpegBytes(t), "empty": nil, "garbage": []byte(garbage), "blank": []byte("\n\n  \n")} {
		if got := Sniff(data); got != KindUnknown {
			t.Errorf("Sniff(%s) = %v, want unknown", name, got)
		}
	}
}

// checkOneLineErr asserts a one-line "NAME: ..." error.
func checkOneLineErr(t *testing.T, err error, name, contains string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", name)
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\n\r") {
		t.Errorf("error has several lines: %q", msg)
	}
	if !strings.HasPrefix(msg, name+": ") {
		t.Errorf("error %q does not start with %q", msg, name+": ")
	}
	if contains != "" && !strings.Contains(msg, contains) {
		t.Errorf("error %q does not contain %q", msg, contains)
	}
}

type failingReader struct{}

var errDisk = errors.New("input/output error")

func (failingReader) Read([]byte) (int, error) { return 0, errDisk }

func TestParseErrors(t *testing.T) {
	inputs := map[string][]byte{
		"photo.jpg":   jpegBytes(t),
		"empty.txt":   nil,
		"garbage.txt": []byte(garbage),
	}
	// Each parser also rejects the other kinds' files where they cannot be read as its own.
	inputs["ss-as-other.txt"] = readTestdata(t, "real/ss-ltn.txt")
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			_, err := ParseCounters(bytes.NewReader(data), name)
			checkOneLineErr(t, err, name, "not a counter snapshot (nstat, nstat --json or netstat -s)")
			_, err = ParseSysctl(bytes.NewReader(data), name)
			checkOneLineErr(t, err, name, "not a sysctl snapshot")
			if name != "ss-as-other.txt" {
				_, err = ParseSS(bytes.NewReader(data), name)
				checkOneLineErr(t, err, name, "not an ss -ltn / netstat -lnt listing")
			}
		})
	}
	_, err := ParseSS(bytes.NewReader(readTestdata(t, "real/sysctl-a.txt")), "sysctl-a.txt")
	checkOneLineErr(t, err, "sysctl-a.txt", "not an ss")
	_, err = ParseCounters(strings.NewReader(`{"kernel": [1,2]}`), "bad.json")
	checkOneLineErr(t, err, "bad.json", "not a counter snapshot")
	_, err = ParseCounters(strings.NewReader("{\"kernel\": {\"TcpPassiveOpens\": 1}"), "cut.json")
	checkOneLineErr(t, err, "cut.json", "invalid nstat JSON")

	// I/O errors are wrapped with the file name.
	for _, parse := range []func() error{
		func() error { _, err := ParseSS(failingReader{}, "x.txt"); return err },
		func() error { _, err := ParseSysctl(failingReader{}, "x.txt"); return err },
		func() error { _, err := ParseCounters(failingReader{}, "x.txt"); return err },
	} {
		err := parse()
		checkOneLineErr(t, err, "x.txt", "input/output error")
		if !errors.Is(err, errDisk) {
			t.Errorf("%v does not wrap the reader's error", err)
		}
	}
	// A file name with a newline still gives a one-line error.
	_, err = ParseSS(strings.NewReader(""), "a\nb")
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("newline in name: %q", err)
	}
}

func TestParseHeaderTime(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	cases := []struct {
		line string
		want time.Time
		note bool
	}{
		{"# 1795609345", utc("2026-11-25T12:22:25Z"), false},
		{"# 1795609345.467044641", utc("2026-11-25T12:22:25.467044641Z"), false},
		{"#1795609345.5", utc("2026-11-25T12:22:25.5Z"), false},
		{"2026-11-25T12:00:01Z", utc("2026-11-25T12:00:01Z"), false},
		{"# 2026-11-25T13:00:01.25+01:00", utc("2026-11-25T12:00:01.25Z"), false},
		{"2026-11-25 12:00:01+00:00", utc("2026-11-25T12:00:01Z"), false}, // date --rfc-3339=seconds
		{"2026-11-25 12:00:01", utc("2026-11-25T12:00:01Z"), true},        // no zone: UTC + note
		{"Tue Nov 25 12:00:01 UTC 2026", utc("2026-11-25T12:00:01Z"), false},
		{"# Tue Nov 25 12:00:01 UTC 2026", utc("2026-11-25T12:00:01Z"), false},
		{"Wed Nov  5 09:08:07 GMT 2025", utc("2025-11-05T09:08:07Z"), false},
		{"Tue 25 Nov 2026 12:00:01 PM UTC", utc("2026-11-25T12:00:01Z"), false},
		{"Tue Nov 25 12:00:01 AM UTC 2026", utc("2026-11-25T00:00:01Z"), false},
		{"Tue, 25 Nov 2026 12:00:01 +0100", utc("2026-11-25T11:00:01Z"), false}, // date -R
		{"Tue Nov 25 13:00:01 CET 2026", utc("2026-11-25T12:00:01Z"), false},
		{"Tue Nov 25 07:00:01 EST 2026", utc("2026-11-25T12:00:01Z"), false},
		{"Tue Nov 25 20:00:01 CST 2026", utc("2026-11-25T12:00:01Z"), true}, // ambiguous: China read
		{"Tue Nov 25 12:00:01 XYZT 2026", utc("2026-11-25T12:00:01Z"), true},
	}
	for _, c := range cases {
		got, note, ok := parseHeaderTime(c.line)
		if !ok {
			t.Errorf("%q: not a header", c.line)
			continue
		}
		if !got.Equal(c.want) {
			t.Errorf("%q: %v, want %v", c.line, got, c.want)
		}
		if (note != "") != c.note {
			t.Errorf("%q: note %q, want note=%v", c.line, note, c.note)
		}
	}
	for _, line := range []string{
		"1795609345", // bare number: not a header (could be data)
		"# 12",
		"# comment",
		"LISTEN 0      128          0.0.0.0:80        0.0.0.0:*",
		"0      128                                *:22                                *:*",
		"State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess",
		"Tue Nov 25 2026",
		"Nov 25 12:00:01 web01 kernel: TCP: request_sock_TCP: Possible SYN flooding on port 80",
		"IpInReceives                    79                 0.0",
	} {
		if tm, _, ok := parseHeaderTime(line); ok {
			t.Errorf("%q parsed as header time %v", line, tm)
		}
	}
}
