package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/halfopen/halfopen/analyze"
	"github.com/halfopen/halfopen/analyze/render"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// addSnapshotFlags declares the server-snapshot flags shared by analyze and tui.
func addSnapshotFlags(fl *pflag.FlagSet, s *analyze.SnapshotFiles) {
	fl.StringArrayVar(&s.Sysctl, "sysctl", nil, "`FILE` with the server's sysctl -a output")
	fl.StringArrayVar(&s.SS, "ss", nil, "`FILE` with ss -ltn output, one or a time series ('# <unix time>' headers)")
	fl.StringArrayVar(&s.Nstat, "nstat", nil, "`FILE` with nstat -az / nstat --json / netstat -s (repeat: first before, last after)")
	fl.StringVar(&s.Kernel, "kernel", "", "the server's kernel `VERSION` (uname -r), when no sysctl snapshot says it")
}

// analyzeFlags are the flags of halfopen analyze.
type analyzeFlags struct {
	format     string
	output     string
	failOn     []string
	read       []string
	attempts   int
	list       string
	maxListed  int
	color      string
	quiet      bool
	verbose    bool
	maxPackets int64
	noop       bool
	snaps      analyze.SnapshotFiles
}

func newAnalyzeCmd(e *env) *cobra.Command {
	f := &analyzeFlags{}
	cmd := &cobra.Command{
		Use:   "analyze [flags] CAPTURE...",
		Short: "Report every handshake attempt of one or more captures",
		Long: `Read one or more captures ("-" for standard input) and report every TCP
handshake attempt: its outcome, its retransmit timing, and per listener the
failures and their most likely cause.

Server snapshots sharpen the diagnosis: --sysctl, --ss, --nstat (given twice:
before and after), --kernel; or pass a bundle directory holding capture.*,
sysctl.txt, ss.txt, nstat*.txt and uname.txt (what halfopen collect writes).

Outcomes: established, established_after_retry, unanswered, reset,
synack_unacked, ack_ignored, reset_after_ack, answered_with_ack, incomplete.

--fail-on conditions (repeatable; any match exits 1, after the report):
  unanswered                      an attempt had that outcome
  failed                          any attempt failed
  outcome=unanswered,ack_ignored  an attempt had one of these outcomes
  branch=accept_queue_full_*      a failure was blamed on a matching branch
  'rate>1%'                       a listener's failure rate exceeds 1%
  'unanswered>5'                  more than 5 attempts ended unanswered`,
		Example: `  halfopen analyze capture.pcap
  halfopen analyze -r capture.pcapng.zst --format json
  halfopen analyze cap.pcap --sysctl sysctl.txt --ss ss.txt --nstat before.txt --nstat after.txt
  halfopen analyze samples/accept-queue-full-syn     # a bundle directory
  tcpdump -i any -w - port 443 | halfopen analyze -
  halfopen analyze --fail-on unanswered --fail-on 'rate>0.5%' load-test.pcap`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAnalyze(e, f, append(append([]string{}, f.read...), args...))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "text", "output format: text or json")
	fl.StringVarP(&f.output, "output", "o", "", "write the report to `FILE` instead of standard output")
	fl.StringArrayVar(&f.failOn, "fail-on", nil, "exit 1 when `CONDITION` holds (repeatable; see above)")
	fl.StringArrayVarP(&f.read, "read", "r", nil, "read `CAPTURE` (same as a positional argument; tcpdump/tshark habit)")
	fl.IntVar(&f.attempts, "attempts", 10, "text: failed attempts shown per listener (-1 all listed, 0 none)")
	fl.StringVar(&f.list, "list", "failed", "attempts listed one by one: failed (all but established), all, none")
	fl.IntVar(&f.maxListed, "max-listed", analyze.DefaultMaxListed, "attempts listed per listener at most (0: no limit); the rest are counted")
	fl.StringVar(&f.color, "color", "auto", "colour text output: auto (terminal, no NO_COLOR), always, never")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print nothing but errors and the gate result")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "text: every listener, every verdict and all evidence")
	fl.Int64VarP(&f.maxPackets, "count", "c", 0, "stop after `N` packets per capture (0: read all)")
	fl.BoolVarP(&f.noop, "numeric", "n", false, "accepted for tcpdump habit; halfopen never resolves names")
	addSnapshotFlags(fl, &f.snaps)
	return cmd
}

func runAnalyze(e *env, f *analyzeFlags, paths []string) error {
	if len(paths) == 0 {
		return usageErr("analyze needs at least one CAPTURE (a file, a directory, or - for standard input)")
	}
	gates := make([]analyze.Gate, 0, len(f.failOn))
	for _, text := range f.failOn {
		g, err := analyze.ParseGate(text)
		if err != nil {
			return usageErr("%v", err)
		}
		gates = append(gates, g)
	}
	policy, err := parseListPolicy(f.list)
	if err != nil {
		return err
	}
	if f.format != "text" && f.format != "json" {
		return usageErr("--format %q: use text or json", f.format)
	}
	inputs, err := resolveInputs(paths, f.snaps)
	if err != nil {
		return err
	}
	report := analyze.Run(inputs, analyze.Options{
		List:       policy,
		MaxListed:  f.maxListed,
		Generator:  "halfopen " + versionString(),
		MaxPackets: f.maxPackets,
	})
	failures := inputFailures(report)
	if len(failures) == len(report.Captures) {
		return &exitError{code: exitUsage, msg: strings.Join(failures, "\nhalfopen: ")}
	}
	if !f.quiet {
		if err := writeReport(e, f, report); err != nil {
			return err
		}
	}
	if len(failures) > 0 {
		return &exitError{code: exitUsage, msg: strings.Join(failures, "\nhalfopen: ")}
	}
	if reasons := analyze.CheckGates(gates, report); len(reasons) > 0 {
		return &exitError{code: exitGate, msg: strings.Join(reasons, "\nhalfopen: ")}
	}
	return nil
}

func parseListPolicy(s string) (analyze.ListPolicy, error) {
	switch s {
	case "failed":
		return analyze.ListFailed, nil
	case "all":
		return analyze.ListAll, nil
	case "none":
		return analyze.ListNone, nil
	}
	return 0, usageErr("--list %q: use failed, all or none", s)
}

// inputFailures lists one line per capture that could not be read.
func inputFailures(r *analyze.Report) []string {
	var out []string
	for _, c := range r.Captures {
		if c.Error != "" {
			out = append(out, c.Path+": "+c.Error)
		}
	}
	return out
}

func writeReport(e *env, f *analyzeFlags, r *analyze.Report) error {
	var buf bytes.Buffer
	var err error
	switch f.format {
	case "json":
		err = render.JSON(&buf, r)
	default:
		toTerminal := f.output == "" && e.isTerminal(e.stdout)
		err = render.Text(&buf, r, render.TextOptions{
			Color:    useColor(e, f.color, toTerminal),
			Attempts: f.attempts,
			Verbose:  f.verbose,
		})
	}
	if err != nil {
		return fmt.Errorf("rendering the report: %w", err)
	}
	return writeOutput(e.stdout, f.output, buf.Bytes())
}

// useColor decides on ANSI colour: never with NO_COLOR or TERM=dumb.
func useColor(e *env, mode string, toTerminal bool) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	return toTerminal && e.getenv("NO_COLOR") == "" && e.getenv("TERM") != "dumb"
}

func writeOutput(stdout io.Writer, path string, data []byte) error {
	if path == "" || path == "-" {
		_, err := stdout.Write(data)
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return &exitError{code: exitUsage, msg: fmt.Sprintf("%s: cannot write the report: %v", path, unwrapPath(err))}
	}
	return nil
}
