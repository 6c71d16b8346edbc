package main

import (
	"bytes"
	"io"
	"os"
	"strings"

	"github.com/halfopen/halfopen/analyze"
	"github.com/halfopen/halfopen/analyze/render"
	"github.com/spf13/cobra"
)

func newDiffCmd(e *env) *cobra.Command {
	var format, output string
	var failOn []string
	var snaps analyze.SnapshotFiles
	cmd := &cobra.Command{
		Use:   "diff [flags] BEFORE AFTER",
		Short: "Compare two analyses listener by listener (e.g. before and after a fix)",
		Long: `Compare two captures (files, directories or bundles) or two JSON reports
written by halfopen analyze --format json: per listener, whether it was fixed,
improved, unchanged, got worse or regressed, and which branches appeared or
went away.

--fail-on takes the conditions of halfopen analyze, evaluated on AFTER, plus
"regressed": a listener healthy before fails after, or fails clearly more.`,
		Example: `  halfopen diff before.pcap after.pcap
  halfopen diff before.json after.json --format markdown --fail-on regressed`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var gates []analyze.Gate
			regressedGate := false
			for _, text := range failOn {
				if strings.TrimSpace(text) == "regressed" {
					regressedGate = true
					continue
				}
				g, err := analyze.ParseGate(text)
				if err != nil {
					return usageErr("%v", err)
				}
				gates = append(gates, g)
			}
			before, err := loadSide(e, args[0], snaps)
			if err != nil {
				return err
			}
			after, err := loadSide(e, args[1], snaps)
			if err != nil {
				return err
			}
			d := analyze.Compare(before, after)
			var write func(io.Writer, *analyze.Diff) error
			switch format {
			case "json":
				write = render.DiffJSON
			case "markdown", "md":
				write = render.DiffMarkdown
			case "text":
				write = render.DiffText
			default:
				return usageErr("--format %q: use text, json or markdown", format)
			}
			if err := writeTo(e.stdout, output, func(w io.Writer) error { return write(w, d) }); err != nil {
				return err
			}
			reasons := analyze.CheckGates(gates, after)
			if regressedGate {
				for _, r := range d.Regressions() {
					reasons = append(reasons, "--fail-on regressed: "+r)
				}
			}
			if len(reasons) > 0 {
				return failErr(exitGate, reasons)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, json or markdown")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to `FILE` instead of standard output")
	cmd.Flags().StringArrayVar(&failOn, "fail-on", nil, "exit 1 when `CONDITION` holds on AFTER (analyze's conditions, or regressed)")
	addSnapshotFlags(cmd.Flags(), &snaps)
	return cmd
}

// loadSide reads a JSON report, or analyses captures.
func loadSide(e *env, path string, snaps analyze.SnapshotFiles) (*analyze.Report, error) {
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, usageErr("%s: %v", path, unwrapPath(err))
		}
		if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
			r, err := analyze.ReadReport(data)
			if err != nil {
				return nil, usageErr("%s: %v", path, err)
			}
			return r, nil
		}
	}
	inputs, err := resolveInputs(e, []string{path}, snaps)
	if err != nil {
		return nil, err
	}
	r := analyze.Run(inputs, analyze.Options{List: analyze.ListNone, Generator: "halfopen " + versionString()})
	if fails := inputFailures(r); len(fails) > 0 {
		return nil, failErr(exitUsage, fails)
	}
	return r, nil
}
