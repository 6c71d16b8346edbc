package render

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/halfopen/halfopen/analyze"
)

// encodeWhole is what JSON wrote before it streamed: the whole value
// through one indented encoder.
func encodeWhole(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestJSONStreamsSameBytes: writing a list element at a time gives the
// bytes of encoding/json, for a real report, a large synthetic one, one
// with empty and nil lists and omitted fields, and a diff.
func TestJSONStreamsSameBytes(t *testing.T) {
	empty := &analyze.Report{Schema: analyze.Schema, Captures: []analyze.Capture{{Path: "x", Error: "bad"}}, Listeners: []analyze.Listener{}}
	for name, r := range map[string]*analyze.Report{"crafted": craftedReport(t), "big": bigReport(300), "empty": empty} {
		var got bytes.Buffer
		if err := JSON(&got, r); err != nil {
			t.Fatal(err)
		}
		if want := encodeWhole(t, r); !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: streamed JSON differs from encoding/json's:\n%s\n---\n%s", name, got.Bytes(), want)
		}
		d := analyze.Compare(r, bigReport(3))
		got.Reset()
		if err := DiffJSON(&got, d); err != nil {
			t.Fatal(err)
		}
		if want := encodeWhole(t, d); !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: streamed diff JSON differs from encoding/json's", name)
		}
	}
}
