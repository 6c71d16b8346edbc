package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestParseSize: --max-size takes a number and a unit, within 1MB..16GB,
// and nothing a float parser would also take (NaN, Inf, signs, exponents).
func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64  // 0: refused
		err  string // a piece of the refusal
	}{
		{"200MB", 200 << 20, ""},
		{"200mb", 200 << 20, ""},
		{" 2GB ", 2 << 30, ""},
		{"1.5G", 3 << 29, ""},
		{"1MiB", 1 << 20, ""},
		{"1048576", 1 << 20, ""},
		{"16GB", 16 << 30, ""},
		{"512 KB", 0, "too small"},
		{"NaN", 0, "want a size"},
		{"nanMB", 0, "want a size"},
		{"Inf", 0, "want a size"},
		{"+Inf", 0, "want a size"},
		{"-200MB", 0, "want a size"},
		{"0", 0, "too small"},
		{"0MB", 0, "too small"},
		{"200", 0, "too small"},
		{"1e9", 0, "want a size"},
		{"0x10MB", 0, "want a size"},
		{"1_000MB", 0, "want a size"},
		{"", 0, "want a size"},
		{"MB", 0, "want a size"},
		{"17GB", 0, "too large"},
		{"1TB", 0, "too large"},
		{"99999999999999999999TB", 0, "too large"},
		{"200XB", 0, "want a size"},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("parseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("parseSize(%q) = %d, %v; want an error with %q", tt.in, got, err, tt.err)
		}
	}
}

// TestCollectFlagsRefuse: bad --max-size values stop collect before it
// checks privileges or touches the disk, in one line, exit 2.
func TestCollectFlagsRefuse(t *testing.T) {
	for _, v := range []string{"NaN", "0", "-1MB", "100TB"} {
		var stdout, stderr bytes.Buffer
		code := run([]string{"collect", "--port", "80", "--max-size", v, "-o", t.TempDir() + "/b.tar.gz"}, nil, &stdout, &stderr)
		msg := strings.TrimSpace(stderr.String())
		if code != exitUsage || strings.Contains(msg, "\n") || !strings.Contains(msg, `--max-size "`+v+`"`) {
			t.Errorf("--max-size %s: exit %d, %q; want exit 2 and one line naming it", v, code, msg)
		}
	}
}
