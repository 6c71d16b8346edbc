package analyze

import "testing"

func TestCompareStatuses(t *testing.T) {
	mk := func(ls ...Listener) *Report { return &Report{Listeners: ls} }
	l := func(server string, attempts, failed int64, branch string) Listener {
		x := Listener{Server: server, Attempts: attempts, Failed: failed, Branches: map[string]int64{}}
		if attempts > 0 {
			x.FailureRate = float64(failed) / float64(attempts)
		}
		if branch != "" {
			x.Branches[branch] = failed
			x.Verdicts = []Verdict{{Branch: branch, Confidence: 0.9, Attempts: failed}}
		}
		return x
	}
	before := mk(l("a:1", 100, 10, "accept_queue_full_syn"), l("b:1", 100, 0, ""), l("c:1", 100, 10, "x"), l("d:1", 100, 10, "x"), l("e:1", 100, 10, "x"), l("gone:1", 5, 0, ""))
	after := mk(l("a:1", 100, 0, ""), l("b:1", 100, 4, "syn_queue_full"), l("c:1", 100, 4, "x"), l("d:1", 100, 20, "y"), l("e:1", 100, 11, "x"), l("new:1", 3, 0, ""))
	d := Compare(before, after)
	want := map[string]string{"a:1": StatusFixed, "b:1": StatusRegressed, "c:1": StatusImproved, "d:1": StatusWorse, "e:1": StatusUnchanged, "gone:1": StatusGone, "new:1": StatusNew}
	for _, ld := range d.Listeners {
		if want[ld.Server] != ld.Status {
			t.Errorf("%s: status %s, want %s", ld.Server, ld.Status, want[ld.Server])
		}
		if ld.Server == "d:1" && (len(ld.BranchesNew) != 1 || ld.BranchesNew[0] != "y" || ld.BranchesGon[0] != "x") {
			t.Errorf("d:1 branches new %v gone %v", ld.BranchesNew, ld.BranchesGon)
		}
	}
	if d.Listeners[0].Status != StatusRegressed || d.Listeners[1].Status != StatusWorse {
		t.Errorf("regressions not listed first: %s, %s", d.Listeners[0].Status, d.Listeners[1].Status)
	}
	if got := d.Regressions(); len(got) != 2 {
		t.Errorf("Regressions() = %v, want b:1 and d:1", got)
	}
}

// TestDiffNotesOmittedListeners: listeners a report did not list are not
// compared, and the diff says so instead of calling them gone or new.
func TestDiffNotesOmittedListeners(t *testing.T) {
	before := &Report{Totals: Totals{ListenersOmitted: 7}}
	d := Compare(before, &Report{})
	notes := d.Notes()
	if len(notes) != 1 || notes[0] != "the before report did not list 7 of its listeners (--max-listeners): they are not compared" {
		t.Errorf("notes = %q", notes)
	}
	if len(Compare(&Report{}, &Report{}).Notes()) != 0 {
		t.Error("notes without omitted listeners")
	}
}
