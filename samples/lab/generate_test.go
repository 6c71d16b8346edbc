//go:build linux

package lab

import (
	"encoding/json"
	"testing"
)

// TestGenerateDeterministic: a seed always gives the same composition, and
// different seeds cover every main mechanism.
func TestGenerateDeterministic(t *testing.T) {
	seen := map[string]bool{}
	for seed := int64(1); seed <= 300; seed++ {
		a, b := Generate(seed), Generate(seed)
		ja, _ := json.Marshal(a.Spec)
		jb, _ := json.Marshal(b.Spec)
		if string(ja) != string(jb) {
			t.Fatalf("seed %d: two different compositions:\n%s\n%s", seed, ja, jb)
		}
		seen[a.Spec.Stress] = true
		if len(a.Spec.Groups) == 0 || len(a.Spec.Listeners) == 0 {
			t.Errorf("seed %d: no clients or no listener: %s", seed, ja)
		}
		labels := map[string]int{}
		for _, e := range a.Spec.Events {
			if e.Kind == "rule-add" {
				labels[e.Arg]++
			}
		}
		for l, n := range labels {
			if n > 1 {
				t.Errorf("seed %d: rule %s added %d times", seed, l, n)
			}
		}
	}
	for _, s := range stresses {
		if !seen[s] {
			t.Errorf("no seed in 1..300 draws main mechanism %s", s)
		}
	}
}
