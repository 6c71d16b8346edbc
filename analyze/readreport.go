package analyze

import (
	"fmt"
	"math"
)

// validateReport checks what diff and the gates compute with, in a report
// read from JSON (made by anyone): counts that are not negative, failures
// within attempts, rates and confidences that are fractions and agree
// with the counts. A report halfopen wrote always passes; one that does
// not would print "5 of 0 (70%)" or "+Inf%".
func validateReport(r *Report) error {
	if err := validateCounts("totals", r.Totals.Attempts, r.Totals.Failed); err != nil {
		return err
	}
	if err := validateMap("totals outcomes", r.Totals.Outcomes); err != nil {
		return err
	}
	if r.Totals.ListenersOmitted < 0 {
		return fmt.Errorf("totals: listeners_omitted %d", r.Totals.ListenersOmitted)
	}
	for i := range r.Listeners {
		l := &r.Listeners[i]
		where := fmt.Sprintf("listeners[%d] (%q)", i, l.Server)
		if err := validateListener(where, l); err != nil {
			return err
		}
	}
	for i := range r.Captures {
		for j := range r.Captures[i].Listeners {
			l := &r.Captures[i].Listeners[j]
			where := fmt.Sprintf("captures[%d].listeners[%d] (%q)", i, j, l.Server)
			if err := validateListener(where, l); err != nil {
				return err
			}
		}
	}
	return nil
}

func validateListener(where string, l *Listener) error {
	if err := validateCounts(where, l.Attempts, l.Failed); err != nil {
		return err
	}
	if !isFraction(l.FailureRate) {
		return fmt.Errorf("%s: failure_rate %v is not between 0 and 1", where, l.FailureRate)
	}
	// halfopen rounds the rate to four decimals
	want := 0.0
	if l.Attempts > 0 {
		want = float64(l.Failed) / float64(l.Attempts)
	}
	if math.Abs(l.FailureRate-want) > 1e-4 {
		return fmt.Errorf("%s: failure_rate %v but %d of %d attempts failed", where, l.FailureRate, l.Failed, l.Attempts)
	}
	if !isFraction(l.FailureRateAll) {
		return fmt.Errorf("%s: failure_rate_all %v is not between 0 and 1", where, l.FailureRateAll)
	}
	for _, m := range []map[string]int64{l.Outcomes, l.Branches} {
		if err := validateMap(where, m); err != nil {
			return err
		}
	}
	for k, v := range l.Verdicts {
		if !isFraction(v.Confidence) || v.Attempts < 0 {
			return fmt.Errorf("%s: verdicts[%d]: confidence %v, %d attempts", where, k, v.Confidence, v.Attempts)
		}
	}
	return nil
}

func validateCounts(where string, attempts, failed int64) error {
	if attempts < 0 || failed < 0 || failed > attempts {
		return fmt.Errorf("%s: failed %d of %d attempts", where, failed, attempts)
	}
	return nil
}

func validateMap(where string, m map[string]int64) error {
	for k, v := range m {
		if v < 0 {
			return fmt.Errorf("%s: %q counts %d", where, k, v)
		}
	}
	return nil
}

func isFraction(v float64) bool { return v >= 0 && v <= 1 } // false for NaN
