package analyze

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestReadReportRejectsInconsistent: a JSON report whose numbers cannot
// come from an analysis is refused with an error naming the field, instead
// of printing "5 of 0 (70%)" or "+Inf%" in a diff.
func TestReadReportRejectsInconsistent(t *testing.T) {
	good := func() map[string]any {
		return map[string]any{
			"schema": Schema,
			"totals": map[string]any{"attempts": 10, "failed": 3, "outcomes": map[string]any{"unanswered": 3}},
			"listeners": []any{map[string]any{
				"server": "10.0.0.1:80", "attempts": 10, "failed": 3, "failure_rate": 0.3, "failure_rate_all": 0.3,
				"branches": map[string]any{"accept_queue_full_syn": 3},
				"verdicts": []any{map[string]any{"branch": "accept_queue_full_syn", "confidence": 0.9, "attempts": 3}},
			}},
		}
	}
	listener := func(m map[string]any) map[string]any { return m["listeners"].([]any)[0].(map[string]any) }
	cases := []struct {
		name   string
		change func(map[string]any)
		want   string // "" when the report is fine
	}{
		{"consistent", func(map[string]any) {}, ""},
		{"5 of 0 (70%)", func(m map[string]any) {
			l := listener(m)
			l["attempts"], l["failed"], l["failure_rate"] = 0, 5, 0.7
		}, `listeners[0] ("10.0.0.1:80"): failed 5 of 0 attempts`},
		{"+Inf%", func(m map[string]any) { listener(m)["failure_rate"] = 1e308 }, "failure_rate 1e+308 is not between 0 and 1"},
		{"rate disagrees", func(m map[string]any) { listener(m)["failure_rate"] = 0.7 }, "failure_rate 0.7 but 3 of 10 attempts failed"},
		{"negative", func(m map[string]any) { listener(m)["attempts"] = -1 }, "failed 3 of -1 attempts"},
		{"negative branch", func(m map[string]any) { listener(m)["branches"] = map[string]any{"x": -4} }, `"x" counts -4`},
		{"confidence", func(m map[string]any) {
			listener(m)["verdicts"] = []any{map[string]any{"branch": "x", "confidence": 3}}
		}, "verdicts[0]: confidence 3"},
		{"totals", func(m map[string]any) { m["totals"].(map[string]any)["failed"] = 11 }, "totals: failed 11 of 10 attempts"},
		{"per capture", func(m map[string]any) {
			m["captures"] = []any{map[string]any{"listeners": []any{map[string]any{"server": "a:1", "attempts": 1, "failed": 2}}}}
		}, `captures[0].listeners[0] ("a:1"): failed 2 of 1`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := good()
			c.change(m)
			data, _ := json.Marshal(m)
			_, err := ReadReport(data)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("error %v, want one with %q", err, c.want)
			}
		})
	}
}
