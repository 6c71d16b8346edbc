package main

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/halfopen/halfopen/analyze/render"
	"github.com/spf13/cobra"
)

// Exit codes, documented in the README and in --help.
const (
	exitOK    = 0 // done, no --fail-on condition matched
	exitGate  = 1 // done, a --fail-on condition matched
	exitUsage = 2 // usage or input error
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// exitError carries an exit code and the lines for stderr, each printed
// after "halfopen: " with its control characters made visible: lines name
// files, and a file name may hold ESC sequences or a newline.
type exitError struct {
	code  int
	lines []string
}

func (e *exitError) Error() string { return strings.Join(e.lines, "; ") }

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, lines: []string{fmt.Sprintf(format, args...)}}
}

// failErr is an exit with one stderr line per item (captures that could
// not be read, gate conditions that matched).
func failErr(code int, lines []string) error {
	return &exitError{code: code, lines: lines}
}

// env is what commands need from the outside world; tests replace it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	isTerminal     func(any) bool
	scratch        *scratch // where bundle archives are unpacked; removed at the end
}

func (e *env) cleanup() { e.scratch.removeAll() }

// note tells the user about an input skipped or read differently, on
// stderr, one visible line.
func (e *env) note(format string, args ...any) {
	fmt.Fprintln(e.stderr, "halfopen: note: "+render.Visible(fmt.Sprintf(format, args...)))
}

// run executes the CLI and returns the process exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: osGetenv, isTerminal: isTerminal, scratch: newScratch()}
	defer e.cleanup()
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		for _, line := range ee.lines {
			fmt.Fprintln(stderr, "halfopen: "+render.Visible(line))
		}
		return ee.code
	}
	// cobra's own errors (unknown flag, missing argument) are usage errors;
	// they quote the arguments.
	fmt.Fprintln(stderr, "halfopen: "+render.Visible(strings.TrimSpace(err.Error())))
	fmt.Fprintln(stderr, "Run 'halfopen --help' for usage.")
	return exitUsage
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "halfopen",
		Short: "Explain why a server did not answer TCP handshakes, from a tcpdump capture",
		Long: `halfopen reads tcpdump captures (pcap, pcapng, gzip, zstd) and follows every
TCP handshake attempt: SYNs, retransmits, SYN-ACKs, final ACKs, RSTs. It finds
the SYNs that were never answered, measures retransmit timing and, with
optional snapshots from the server (sysctl -a, ss -ltn, nstat -az), names the
Linux kernel code path that most likely dropped them, with the fix.

Exit codes: 0 done; 1 done and a --fail-on condition matched; 2 usage or
input error.`,
		Example: `  halfopen analyze capture.pcap
  tcpdump -i any -w - 'tcp[tcpflags] & (tcp-syn|tcp-rst) != 0' | halfopen analyze -
  halfopen analyze --format json -o report.json capture.pcapng.gz
  halfopen analyze --fail-on unanswered --fail-on 'rate>1%' load-test.pcap`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(),
	}
	root.SetVersionTemplate("halfopen {{.Version}}\n")
	root.AddCommand(newAnalyzeCmd(e), newCollectCmd(e), newDiffCmd(e), newExplainCmd(e), newTUICmd(e), newVersionCmd(e))
	return root
}

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print halfopen's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			goVersion := "unknown"
			if bi, ok := debug.ReadBuildInfo(); ok {
				goVersion = bi.GoVersion
			}
			fmt.Fprintf(e.stdout, "halfopen %s (%s)\n", versionString(), goVersion)
			return nil
		},
	}
}
