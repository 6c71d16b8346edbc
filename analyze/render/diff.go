package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/halfopen/halfopen/analyze"
)

// DiffJSON writes a diff as indented JSON, like JSON writes a report.
func DiffJSON(w io.Writer, d *analyze.Diff) error {
	return streamJSON(w, d)
}

func sideCells(s *analyze.ListenerSide) (rate, branch string) {
	if s == nil {
		return "–", "–"
	}
	rate = fmt.Sprintf("%s of %s (%s)", Count(s.Failed), Count(s.Attempts), analyze.Percent(s.FailureRate))
	branch = s.TopBranch
	if branch == "" {
		branch = "–"
	}
	return rate, branch
}

// DiffText writes a diff for the terminal.
func DiffText(w io.Writer, d *analyze.Diff) error {
	d = VisibleCopy(d) // servers, branches and sources may come from a JSON file
	var b strings.Builder
	for _, line := range wrap("halfopen diff: "+d.Headline, 80, 2) {
		b.WriteString(line + "\n")
	}
	for _, n := range d.Notes() {
		for _, line := range wrap("note: "+n, 80, 2) {
			b.WriteString(line + "\n")
		}
	}
	b.WriteString("\n")
	for _, l := range d.Listeners {
		br, bb := sideCells(l.Before)
		ar, ab := sideCells(l.After)
		fmt.Fprintf(&b, "%-10s %s\n", strings.ToUpper(l.Status), l.Server)
		fmt.Fprintf(&b, "  before: %s, %s\n  after:  %s, %s\n", br, bb, ar, ab)
		if len(l.BranchesNew) > 0 {
			fmt.Fprintf(&b, "  new branches: %s\n", strings.Join(l.BranchesNew, ", "))
		}
		if len(l.BranchesGon) > 0 {
			fmt.Fprintf(&b, "  gone: %s\n", strings.Join(l.BranchesGon, ", "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// DiffMarkdown writes a diff for a CI job summary.
func DiffMarkdown(w io.Writer, d *analyze.Diff) error {
	d = VisibleCopy(d)
	var b strings.Builder
	fmt.Fprintf(&b, "## halfopen diff\n\n%s\n\n| Status | Listener | Before | After | Top branch before → after |\n|---|---|---|---|---|\n", mdLine(d.Headline)+diffMarkdownNotes(d))
	for _, l := range d.Listeners {
		br, bb := sideCells(l.Before)
		ar, ab := sideCells(l.After)
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s → %s |\n", mdEscape(l.Status), mdCode(l.Server, true), br, ar, mdCode(bb, true), mdCode(ab, true))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// diffMarkdownNotes are the diff's notes as Markdown, before the table.
func diffMarkdownNotes(d *analyze.Diff) string {
	var b strings.Builder
	for _, n := range d.Notes() {
		b.WriteString("\n\n_Note: " + mdEscape(n) + "._")
	}
	return b.String()
}
