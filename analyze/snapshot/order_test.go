package snapshot

import (
	"strings"
	"testing"
	"time"
)

func counters(src string, at time.Time, kv ...any) *Counters {
	c := &Counters{Source: src, Time: at, Absolute: true, Values: map[string]int64{}}
	for i := 0; i < len(kv); i += 2 {
		c.Values[kv[i].(string)] = int64(kv[i+1].(int))
	}
	return c
}

func TestOrderCountersByContent(t *testing.T) {
	early := func(src string, at time.Time) *Counters {
		return counters(src, at, "TcpExtListenOverflows", 10, "TcpPassiveOpens", 100, "TcpCurrEstab", 7)
	}
	late := func(src string, at time.Time) *Counters {
		return counters(src, at, "TcpExtListenOverflows", 38, "TcpPassiveOpens", 106, "TcpCurrEstab", 2)
	}
	t0 := time.Unix(1_800_000_000, 0)
	cases := []struct {
		name      string
		given     []*Counters
		wantFirst string
		warn      string // substring of the one warning; "" for none
	}{
		{"names agree", []*Counters{early("nstat-1-before.txt", time.Time{}), late("nstat-2-after.txt", time.Time{})}, "nstat-1-before.txt", ""},
		// Sorted by name, "after" comes before "before": content must win.
		{"names sorted wrong", []*Counters{late("nstat-after.txt", time.Time{}), early("nstat-before.txt", time.Time{})}, "nstat-before.txt", ""},
		{"names lie", []*Counters{late("nstat-before.txt", time.Time{}), early("nstat-after.txt", time.Time{})}, "nstat-after.txt", "the names put nstat-before.txt first"},
		{"headers lie", []*Counters{late("a.txt", t0), early("b.txt", t0.Add(time.Minute))}, "b.txt", "time headers put a.txt first"},
		{"given order lies", []*Counters{late("n1.txt", time.Time{}), early("n2.txt", time.Time{})}, "n2.txt", "n1.txt was given first"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := OrderCounters(c.given)
			if !o.Usable {
				t.Fatalf("not usable: %v", o.Warnings)
			}
			if got := o.Snapshots[0].Source; got != c.wantFirst {
				t.Errorf("first = %s, want %s", got, c.wantFirst)
			}
			switch {
			case c.warn == "" && len(o.Warnings) != 0:
				t.Errorf("unexpected warnings %q", o.Warnings)
			case c.warn != "" && (len(o.Warnings) != 1 || !strings.Contains(o.Warnings[0], c.warn)):
				t.Errorf("warnings %q, want one containing %q", o.Warnings, c.warn)
			}
		})
	}
}

func TestOrderCountersContradiction(t *testing.T) {
	// A reboot between the snapshots: some counters restart near zero
	// while others (fresh activity) are higher than before.
	a := counters("before.txt", time.Time{}, "TcpExtListenOverflows", 500, "TcpPassiveOpens", 9000, "TcpExtSyncookiesSent", 0)
	b := counters("after.txt", time.Time{}, "TcpExtListenOverflows", 3, "TcpPassiveOpens", 40, "TcpExtSyncookiesSent", 12)
	o := OrderCounters([]*Counters{a, b})
	if o.Usable {
		t.Fatal("contradicting snapshots marked usable")
	}
	if len(o.Warnings) != 1 || !strings.Contains(o.Warnings[0], "not used as evidence") || !strings.Contains(o.Warnings[0], "TcpPassiveOpens 9000 → 40") {
		t.Errorf("warnings %q", o.Warnings)
	}
}

func TestOrderCountersIdentical(t *testing.T) {
	a := counters("after.txt", time.Time{}, "TcpExtListenOverflows", 5)
	b := counters("before.txt", time.Time{}, "TcpExtListenOverflows", 5)
	o := OrderCounters([]*Counters{a, b})
	if !o.Usable || len(o.Warnings) != 0 {
		t.Errorf("identical snapshots: usable %v warnings %q", o.Usable, o.Warnings)
	}
}

func TestSubtractIgnoresGauges(t *testing.T) {
	a := counters("a", time.Time{}, "TcpCurrEstab", 9, "TcpExtTW", 1)
	b := counters("b", time.Time{}, "TcpCurrEstab", 2, "TcpExtTW", 4)
	d := Subtract(a, b)
	if d.Values["TcpExtTW"] != 3 || len(d.Notes) != 0 {
		t.Errorf("delta %v notes %q", d.Values, d.Notes)
	}
}
