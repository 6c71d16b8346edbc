package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/halfopen/halfopen/analyze/kernel"
	"github.com/spf13/cobra"
)

func newExplainCmd(e *env) *cobra.Command {
	var kernelFlag, era string
	cmd := &cobra.Command{
		Use:   "explain [BRANCH]",
		Short: "Explain a kernel drop branch: condition, function, counters, signature, fix",
		Long: `Explain one branch of the vocabulary halfopen uses in reports, for a kernel
version or era: the condition in plain words, the kernel functions, the
counters it moves, what it looks like in a capture, how to confirm it, and the
fix. Without BRANCH, list the vocabulary.

Eras: ` + strings.Join(kernel.Eras(), ", "),
		Example: `  halfopen explain
  halfopen explain accept_queue_full_syn --kernel 2.6.18-419.el5
  halfopen explain syn_queue_full --era 4.12-6.12`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return listBranches(e.stdout)
			}
			m, err := modelFor(kernelFlag, era)
			if err != nil {
				return err
			}
			x, err := kernel.Explain(args[0], m)
			if err != nil {
				return usageErr("%v", err)
			}
			return writeExplanation(e.stdout, x, m)
		},
	}
	cmd.Flags().StringVar(&kernelFlag, "kernel", "", "kernel `VERSION` (uname -r), e.g. 3.10.0-1160.el7.x86_64")
	cmd.Flags().StringVar(&era, "era", "", "kernel `ERA` instead of a version: "+strings.Join(kernel.Eras(), ", "))
	return cmd
}

// modelFor picks the kernel model for explain: a version, an era, or the
// newest era by default.
func modelFor(version, era string) (kernel.Model, error) {
	switch {
	case version != "" && era != "":
		return kernel.Model{}, usageErr("give --kernel or --era, not both")
	case version != "":
		v, err := kernel.ParseVersion(version)
		if err != nil {
			return kernel.Model{}, usageErr("--kernel %q: %v", version, err)
		}
		return kernel.ModelFor(v), nil
	case era != "":
		m, err := kernel.Representative(era)
		if err != nil {
			return kernel.Model{}, usageErr("--era %q: use one of %s", era, strings.Join(kernel.Eras(), ", "))
		}
		return m, nil
	}
	m, err := kernel.Representative(kernel.Eras()[len(kernel.Eras())-1])
	return m, err
}

func listBranches(w io.Writer) error {
	fmt.Fprintln(w, "Branches (JSON \"branch\" values):")
	for _, b := range kernel.Branches() {
		fmt.Fprintf(w, "  %-22s %s\n", b.Name, b.Title)
	}
	fmt.Fprintln(w, "\nhalfopen explain BRANCH [--kernel VERSION | --era ERA] for the details.")
	return nil
}

func writeExplanation(w io.Writer, x kernel.Explanation, m kernel.Model) error {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	section := func(title string, lines ...string) {
		var kept []string
		for _, l := range lines {
			if strings.TrimSpace(l) != "" {
				kept = append(kept, l)
			}
		}
		if len(kept) == 0 {
			return
		}
		p("\n%s\n", title)
		for _, l := range kept {
			for _, line := range wrapText(l, 76) {
				p("  %s\n", line)
			}
		}
	}
	p("%s — %s\n", x.Branch.Name, x.Branch.Title)
	p("kernel: %s (era %s)\n", m.Name, x.Era)
	if !x.Applies {
		p("\nThis branch does not exist on this kernel.\n")
	}
	section("Condition", x.Condition)
	section("Kernel functions", x.Functions...)
	section("Counters", x.Counters...)
	section("In a server-side capture", x.Signature)
	section("Confirm or rule out", x.Confirm)
	var fixes []string
	for i, f := range x.Fix {
		line := fmt.Sprintf("%d. %s", i+1, f.Action)
		if f.Command != "" {
			line += ": " + f.Command
		}
		if f.Why != "" {
			line += " — " + f.Why
		}
		fixes = append(fixes, line)
	}
	section("Fix, in this order", fixes...)
	section("Will not fix it", x.WontFix...)
	section("Notes", x.Notes...)
	section("More", "Every era of this branch, with sources: "+x.Branch.DocRef()+" in the halfopen repository.")
	return nil
}

// wrapText breaks a paragraph at width, with a hanging indent of two.
func wrapText(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len([]rune(line))+1+len([]rune(w)) > width {
			lines = append(lines, line)
			line = "  " + w
			continue
		}
		if line == "" {
			line = w
		} else {
			line += " " + w
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
