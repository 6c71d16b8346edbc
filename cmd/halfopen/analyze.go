package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
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
	fl.StringArrayVar(&s.Firewall, "iptables", nil, "`FILE` with iptables -L -v -n -x (and ip6tables) output: DROP/REJECT rules and their counters")
	fl.StringVar(&s.Kernel, "kernel", "", "the server's kernel `VERSION` (uname -r), when no sysctl snapshot says it")
}

// analyzeFlags are the flags of halfopen analyze.
type analyzeFlags struct {
	format       string
	output       []string
	outputDir    string
	progress     string
	failOn       []string
	read         []string
	attempts     int
	list         string
	maxListed    int
	maxListeners int
	memory       string
	color        string
	quiet        bool
	verbose      bool
	maxPackets   int64
	noop         bool
	snaps        analyze.SnapshotFiles
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
unanswered_then_reset, synack_unacked, ack_ignored, reset_after_ack,
answered_with_ack, incomplete.

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
  halfopen analyze --fail-on unanswered --fail-on 'rate>0.5%' load-test.pcap
  halfopen analyze --format json,markdown,junit --output-dir out/ captures/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAnalyze(e, f, append(append([]string{}, f.read...), args...))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "text", "output `FORMATS`, comma-separated: text, json, markdown, junit")
	fl.StringArrayVarP(&f.output, "output", "o", nil, "write the report to `FILE` instead of standard output (one per format)")
	fl.StringVar(&f.outputDir, "output-dir", "", "write every format to `DIR`/report.{txt,json,md,xml}")
	fl.StringVar(&f.progress, "progress", "auto", "progress bar on stderr: auto (when stderr is a terminal), always, never")
	fl.StringArrayVar(&f.failOn, "fail-on", nil, "exit 1 when `CONDITION` holds (repeatable; see above)")
	fl.StringArrayVarP(&f.read, "read", "r", nil, "read `CAPTURE` (same as a positional argument; tcpdump/tshark habit)")
	fl.IntVar(&f.attempts, "attempts", 10, "text: failed attempts shown per listener (-1 all listed, 0 none)")
	fl.StringVar(&f.list, "list", "failed", "attempts listed one by one: failed (all but established), all, none")
	fl.IntVar(&f.maxListed, "max-listed", analyze.DefaultMaxListed, "attempts listed per listener at most (0: no limit); the rest are counted")
	fl.IntVar(&f.maxListeners, "max-listeners", analyze.DefaultMaxListeners, "listeners listed at most, worst first (0: no limit; --list all lifts it); the rest are counted")
	fl.StringVar(&f.memory, "memory-budget", "1GB", "what one capture's analysis may keep (`SIZE`): past it new SYNs and listeners are counted, not followed")
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
	outs, err := planOutputs(f)
	if err != nil {
		return err
	}
	inputs, err := resolveInputs(e, paths, f.snaps)
	if err != nil {
		return err
	}
	budget, err := memoryBudget(f.memory)
	if err != nil {
		return err
	}
	bar := newProgress(e, f.progress, inputs, f.quiet)
	report := analyze.Run(inputs, analyze.Options{
		List:         policy,
		MaxListed:    f.maxListed,
		MaxListeners: listedListeners(policy, f.maxListeners),
		MemoryBudget: budget,
		Generator:    "halfopen " + versionString(),
		MaxPackets:   f.maxPackets,
		Progress:     bar.update,
	})
	bar.done()
	failures := inputFailures(report)
	if len(failures) == len(report.Captures) {
		return failErr(exitUsage, failures)
	}
	for _, o := range outs {
		if f.quiet && o.path == "" {
			continue
		}
		if err := writeReport(e, f, o, report); err != nil {
			return err
		}
	}
	if len(failures) > 0 {
		return failErr(exitUsage, failures)
	}
	if reasons := analyze.CheckGates(gates, report); len(reasons) > 0 {
		return failErr(exitGate, reasons)
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

// output is one report to write: a format and a file ("" = stdout).
type output struct {
	format string
	path   string
}

var formatExt = map[string]string{"text": "txt", "json": "json", "markdown": "md", "junit": "xml"}

// planOutputs pairs formats with destinations: -o per format, --output-dir,
// or standard output for a single format.
func planOutputs(f *analyzeFlags) ([]output, error) {
	var formats []string
	for _, name := range strings.Split(f.format, ",") {
		name = strings.TrimSpace(name)
		if name == "md" {
			name = "markdown"
		}
		if _, ok := formatExt[name]; !ok {
			return nil, usageErr("--format %q: use text, json, markdown or junit (comma-separated for several)", name)
		}
		formats = append(formats, name)
	}
	switch {
	case f.outputDir != "" && len(f.output) > 0:
		return nil, usageErr("give -o FILE per format or --output-dir DIR, not both")
	case f.outputDir != "":
		if err := os.MkdirAll(f.outputDir, 0o755); err != nil {
			return nil, usageErr("%s: cannot create the output directory: %v", f.outputDir, unwrapPath(err))
		}
		var outs []output
		for _, name := range formats {
			outs = append(outs, output{name, filepath.Join(f.outputDir, "report."+formatExt[name])})
		}
		return outs, nil
	case len(f.output) > 0 && len(f.output) != len(formats):
		return nil, usageErr("%d formats but %d -o files: give one -o FILE per format, in the same order", len(formats), len(f.output))
	case len(f.output) > 0:
		var outs []output
		for i, name := range formats {
			outs = append(outs, output{name, f.output[i]})
		}
		return outs, nil
	case len(formats) > 1:
		return nil, usageErr("several formats need -o FILE per format or --output-dir DIR")
	}
	return []output{{formats[0], ""}}, nil
}

func writeReport(e *env, f *analyzeFlags, o output, r *analyze.Report) error {
	return writeTo(e.stdout, o.path, func(w io.Writer) error {
		var err error
		switch o.format {
		case "json":
			err = render.JSON(w, r)
		case "markdown":
			err = render.Markdown(w, r, render.MarkdownOptions{Attempts: 50})
		case "junit":
			err = render.JUnit(w, r)
		default:
			toTerminal := o.path == "" && e.isTerminal(e.stdout)
			err = render.Text(w, r, render.TextOptions{
				Color:    useColor(e, f.color, toTerminal),
				Attempts: f.attempts,
				Verbose:  f.verbose,
			})
		}
		if err != nil {
			return fmt.Errorf("rendering the %s report: %w", o.format, err)
		}
		return nil
	})
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

// writeTo runs render on a buffered writer to path ("" or "-": stdout), so
// a large report streams out instead of being held in memory whole.
func writeTo(stdout io.Writer, path string, render func(io.Writer) error) error {
	if path == "" || path == "-" {
		bw := bufio.NewWriterSize(stdout, 64<<10)
		if err := render(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	f, err := os.Create(path)
	if err != nil {
		return usageErr("%s: cannot write the report: %v", path, unwrapPath(err))
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	err = render(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return usageErr("%s: cannot write the report: %v", path, unwrapPath(err))
	}
	return nil
}

// memoryBudget parses --memory-budget and tells the Go runtime, so its
// collector works harder before the process outgrows the machine.
func memoryBudget(s string) (int64, error) {
	b, err := parseBytes(s)
	if err != nil {
		return 0, usageErr("--memory-budget: %v", err)
	}
	if b < 64<<20 {
		return 0, usageErr("--memory-budget %s: at least 64MB", s)
	}
	debug.SetMemoryLimit(b + b/2)
	return b, nil
}

// listedListeners is --max-listeners, lifted by --list all.
func listedListeners(policy analyze.ListPolicy, n int) int {
	if policy == analyze.ListAll {
		return 0
	}
	return n
}
