package snapshot

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
)

// addSeeds feeds every testdata snapshot plus the error cases to a fuzz target.
func addSeeds(f *testing.F) {
	for _, rel := range testdataFiles(f) {
		f.Add(readTestdata(f, rel))
	}
	f.Add(jpegBytes(f))
	f.Add([]byte(garbage))
	f.Add([]byte{})
	f.Add([]byte("# 1795609345\n"))
}

const fuzzName = "fuzz.txt"

func checkFuzzErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\n\r") || !strings.HasPrefix(msg, fuzzName+": ") {
		t.Fatalf("bad error %q", msg)
	}
}

func FuzzSniff(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		k := Sniff(data)
		if k.String() == "" {
			t.Fatal("empty kind name")
		}
		// Sniff uses the parsers' recognisers: what it calls sysctl or ss parses as such.
		full := append(append([]byte(nil), data...), '\n')
		switch k {
		case KindSysctl:
			if _, err := ParseSysctl(bytes.NewReader(full), fuzzName); err != nil {
				t.Fatalf("sniffed sysctl, parse failed: %v", err)
			}
		case KindSS:
			if _, err := ParseSS(bytes.NewReader(full), fuzzName); err != nil {
				t.Fatalf("sniffed ss, parse failed: %v", err)
			}
		}
	})
}

func FuzzParseSysctl(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSysctl(bytes.NewReader(data), fuzzName)
		checkFuzzErr(t, err)
		if err != nil {
			return
		}
		if len(s.Values) == 0 {
			t.Fatal("success with no values")
		}
		for k, v := range s.Values {
			if k == "" || strings.ContainsAny(k, " \t\r\n") {
				t.Fatalf("bad key %q", k)
			}
			if v != strings.TrimSpace(v) && !strings.Contains(v, "\n") {
				t.Fatalf("untrimmed value %q", v)
			}
			if got, ok := s.Get(k); !ok || got != v {
				t.Fatalf("Get(%q) = %q,%v", k, got, ok)
			}
			s.Int(k)
		}
		s.KernelRelease()
	})
}

func FuzzParseSS(f *testing.F) {
	addSeeds(f)
	servers := []netip.AddrPort{
		netip.MustParseAddrPort("127.0.0.1:80"), netip.MustParseAddrPort("[::1]:22"),
		netip.MustParseAddrPort("10.0.0.1:8080"), netip.MustParseAddrPort("[::ffff:10.0.0.1]:8080"),
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSS(bytes.NewReader(data), fuzzName)
		checkFuzzErr(t, err)
		if err != nil {
			return
		}
		if len(s.Blocks) == 0 {
			t.Fatal("success with no block")
		}
		for _, b := range s.Blocks {
			for _, l := range b.Listeners {
				if l.RecvQ < 0 || l.SendQ < -1 || l.Drops < -1 || l.Local == "" {
					t.Fatalf("bad listener %+v", l)
				}
				if l.Addr.IsValid() && l.Addr.IsUnspecified() {
					t.Fatalf("wildcard with an Addr: %+v", l)
				}
			}
		}
		for _, sv := range servers {
			for _, p := range s.Find(sv) {
				if p.Listener.Port != sv.Port() {
					t.Fatalf("Find(%v) returned %+v", sv, p)
				}
			}
		}
	})
}

func FuzzParseCounters(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCounters(bytes.NewReader(data), fuzzName)
		checkFuzzErr(t, err)
		if err != nil {
			return
		}
		switch c.Format {
		case FormatNstat, FormatNstatJSON, FormatNetstatS, FormatProcNet:
		default:
			t.Fatalf("format %q", c.Format)
		}
		for k := range c.Values {
			if k == "" || strings.ContainsAny(k, " \t\r\n") {
				t.Fatalf("bad key %q", k)
			}
		}
		if c.Absolute {
			d, err := Delta(c, c)
			if err != nil {
				t.Fatalf("Delta(c, c): %v", err)
			}
			for k, v := range d.Values {
				if v != 0 {
					t.Fatalf("Delta(c, c)[%s] = %d", k, v)
				}
			}
		} else if d, err := Delta(nil, c); err != nil || d != c {
			t.Fatalf("Delta(nil, delta) = %v, %v", d, err)
		}
	})
}
