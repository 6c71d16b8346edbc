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

// maxReportBytes bounds a JSON report diff reads into memory. halfopen's
// reports list a bounded number of attempts; a larger file is more likely
// something else (or a report of --list all: write one with --list none).
const maxReportBytes = 512 << 20

// loadSide reads a JSON report, or analyses captures. Only the start of
// a file decides which: a capture is never read whole into memory.
func loadSide(e *env, path string, snaps analyze.SnapshotFiles) (*analyze.Report, error) {
	if isJSONFile(path) {
		return readReportFile(path)
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

// isJSONFile reports whether path is a regular file whose first
// non-blank byte opens a JSON object.
func isJSONFile(path string) bool {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	trimmed := bytes.TrimSpace(head[:n])
	return len(trimmed) > 0 && trimmed[0] == '{'
}

func readReportFile(path string) (*analyze.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageErr("%s: %v", path, unwrapPath(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxReportBytes+1))
	if err != nil {
		return nil, usageErr("%s: %v", path, unwrapPath(err))
	}
	if len(data) > maxReportBytes {
		return nil, usageErr("%s: JSON report larger than %d MB: write it with --list none (diff needs no attempts)", path, maxReportBytes>>20)
	}
	r, err := analyze.ReadReport(data)
	if err != nil {
		return nil, usageErr("%s: %v", path, err)
	}
	return r, nil
}
