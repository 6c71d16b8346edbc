package render

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/halfopen/halfopen/analyze"
	"github.com/halfopen/halfopen/flows/flowstest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// craftedReport analyses a small synthetic capture: a listener that drops
// some SYNs, a healthy one, a closed port, an IPv6 listener with a long
// address.
func craftedReport(t *testing.T) *analyze.Report {
	t.Helper()
	c := &flowstest.Capture{Link: flowstest.Ethernet}
	for i := range 12 {
		k := c.Conn(t0.Add(time.Duration(i)*100*time.Millisecond), fmt.Sprintf("10.0.0.%d:%d", 2+i%3, 40000+i), "10.0.0.1:8080", uint32(1000+i*97))
		switch {
		case i < 3: // accepted and served once the application caught up, at 1.5 s
			k.SYN(0).SYNACK(flowstest.Ms(0.3)).ACK(flowstest.Ms(0.6)).Data(flowstest.Ms(1), 100).ServerAck(flowstest.Ms(1.1)).
				ServerData(flowstest.Sec(1.5)-time.Duration(i)*100*time.Millisecond, 10)
		case i < 8:
			k.SYN(0).SYNACK(flowstest.Ms(0.3)).ACK(flowstest.Ms(0.6)).Data(flowstest.Ms(1), 100).ServerAck(flowstest.Ms(1.1))
		case i < 10:
			k.SYN(0).SYN(flowstest.Sec(1)).SYN(flowstest.Sec(2)).SYN(flowstest.Sec(3))
		default:
			k.SYN(0).SYN(flowstest.Sec(1)).SYNACK(flowstest.Sec(1.0003)).ACK(flowstest.Sec(1.0006))
		}
	}
	c.Conn(t0, "10.0.0.7:50000", "10.0.0.1:443", 5).SYN(0).SYNACK(flowstest.Ms(0.2)).ACK(flowstest.Ms(0.4)).ServerData(flowstest.Ms(1), 100)
	c.Conn(t0.Add(time.Second), "10.0.0.7:50001", "10.0.0.1:8082", 6).SYN(0).ServerRST(flowstest.Ms(0.1))
	c.Conn(t0.Add(time.Second), "[2001:db8:aaaa:bbbb:cccc:dddd:eeee:2]:51000", "[2001:db8:aaaa:bbbb:cccc:dddd:eeee:1]:443", 9).
		SYN(0).SYNACK(flowstest.Ms(0.5)).ACK(flowstest.Ms(1))
	c.Conn(t0.Add(30*time.Second), "10.0.0.9:9", "10.0.0.1:22", 7).SYN(0).SYNACK(flowstest.Ms(1)).ACK(flowstest.Ms(2))
	path := filepath.Join(t.TempDir(), "crafted.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WritePcap(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r := analyze.Run([]analyze.Input{{Path: path}}, analyze.Options{List: analyze.ListFailed, Generator: "halfopen test"})
	r.Captures[0].Path = "crafted.pcap" // the temp dir differs per run
	return r
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./analyze/render -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestTextGolden(t *testing.T) {
	r := craftedReport(t)
	var buf bytes.Buffer
	if err := Text(&buf, r, TextOptions{Attempts: 10}); err != nil {
		t.Fatal(err)
	}
	golden(t, "crafted.txt.golden", buf.Bytes())
	for i, line := range strings.Split(buf.String(), "\n") {
		if n := utf8.RuneCountInString(line); n > 80 {
			t.Errorf("line %d is %d columns wide (max 80): %q", i+1, n, line)
		}
	}
	if strings.Contains(buf.String(), "\x1b[") {
		t.Error("colour codes without Color")
	}
	if !strings.HasPrefix(buf.String(), "halfopen: 2 of 5 listeners failed clients") {
		t.Errorf("the report does not lead with the verdict: %q", strings.SplitN(buf.String(), "\n", 2)[0])
	}
}

func TestTextColor(t *testing.T) {
	r := craftedReport(t)
	var buf bytes.Buffer
	if err := Text(&buf, r, TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\x1b[1m") || !strings.Contains(buf.String(), "\x1b[31m") {
		t.Error("Color set but no bold/red codes")
	}
}

func TestJSONGoldenAndSchema(t *testing.T) {
	r := craftedReport(t)
	var buf bytes.Buffer
	if err := JSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "crafted.json.golden", buf.Bytes())
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["schema"] != "halfopen/v1" {
		t.Errorf("schema = %v", doc["schema"])
	}
	for _, key := range []string{"captures", "listeners", "attempts"} {
		if _, ok := doc[key].([]any); !ok {
			t.Errorf("%s is not an array", key)
		}
	}
	c := doc["captures"].([]any)[0].(map[string]any)
	for _, key := range []string{"path", "packets", "link_types", "first", "last", "syn", "synack", "warnings"} {
		if _, ok := c[key]; !ok {
			t.Errorf("captures[0] lacks %q", key)
		}
	}
	a := doc["attempts"].([]any)[0].(map[string]any)
	for _, key := range []string{"client", "server", "first_syn", "syns", "synacks", "outcome", "branch", "confidence", "evidence"} {
		if _, ok := a[key]; !ok {
			t.Errorf("attempts[0] lacks %q", key)
		}
	}
	for _, at := range doc["attempts"].([]any) {
		m := at.(map[string]any)
		if strings.HasPrefix(m["server"].(string), "[2001") && !strings.HasSuffix(m["server"].(string), "]:443") {
			t.Errorf("IPv6 endpoint not as [addr]:port: %v", m["server"])
		}
	}
}

func TestDeterministic(t *testing.T) {
	var outs []string
	for range 3 {
		r := craftedReport(t)
		var buf bytes.Buffer
		JSON(&buf, r)
		Text(&buf, r, TextOptions{Attempts: -1, Verbose: true})
		outs = append(outs, buf.String())
	}
	if outs[0] != outs[1] || outs[1] != outs[2] {
		t.Error("two runs on the same input gave different output")
	}
}
