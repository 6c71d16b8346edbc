package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/halfopen/halfopen/analyze"
	"github.com/halfopen/halfopen/analyze/render"
	"github.com/halfopen/halfopen/ui"
	"github.com/spf13/cobra"
)

// tuiFlags are the flags of halfopen tui.
type tuiFlags struct {
	list         string
	maxListed    int
	maxListeners int
	memory       string
	noMouse      bool
	snaps        analyze.SnapshotFiles
}

func newTUICmd(e *env) *cobra.Command {
	f := &tuiFlags{}
	cmd := &cobra.Command{
		Use:   "tui [flags] CAPTURE...",
		Short: "Explore an analysis in the terminal: listeners, attempts, packet ladders",
		Long: `Analyse the captures like halfopen analyze, then explore the result in the
terminal: the listeners worst first with their timeline, verdict, fix and
kernel limits; a listener's attempts (sort, / search, f filter); one
attempt's packets as a ladder diagram with its retransmit timing and
evidence. e exports the listener or attempt as Markdown, E as JSON.
Press ? for every key.

Takes the inputs and snapshot flags of analyze (files, bundle directories,
--sysctl, --ss, --nstat, --kernel). Needs a terminal; NO_COLOR is honoured.`,
		Example: `  halfopen tui samples/mixed-listeners
  halfopen tui capture.pcap --sysctl sysctl.txt --ss ss.txt --nstat before.txt --nstat after.txt`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTUI(e, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.list, "list", "failed", "attempts listed one by one: failed (all but established), all, none")
	fl.IntVar(&f.maxListed, "max-listed", analyze.DefaultMaxListed, "attempts listed per listener at most (0: no limit); the rest are counted")
	fl.IntVar(&f.maxListeners, "max-listeners", analyze.DefaultMaxListeners, "listeners listed at most, worst first (0: no limit; --list all lifts it); the rest are counted")
	fl.StringVar(&f.memory, "memory-budget", "1GB", "what one capture's analysis may keep (`SIZE`): past it new SYNs and listeners are counted, not followed")
	fl.BoolVar(&f.noMouse, "no-mouse", false, "leave the mouse to the terminal (to select text)")
	addSnapshotFlags(fl, &f.snaps)
	return cmd
}

func runTUI(e *env, f *tuiFlags, paths []string) error {
	if len(paths) == 0 {
		return usageErr("tui needs at least one CAPTURE (a file or a directory)")
	}
	if !e.isTerminal(e.stdout) {
		fmt.Fprintln(e.stderr, "halfopen tui needs a terminal; use halfopen analyze for a report")
		return &exitError{code: exitUsage} // the line above is the whole message
	}
	budget, err := memoryBudget(f.memory)
	if err != nil {
		return err
	}
	policy, err := parseListPolicy(f.list)
	if err != nil {
		return err
	}
	inputs, err := resolveInputs(e, paths, f.snaps)
	if err != nil {
		return err
	}
	names := make([]string, len(inputs))
	sizes := make([]int64, len(inputs))
	for i, in := range inputs {
		names[i] = in.Path
		if in.Name != "" {
			names[i] = in.Name // e.g. bundle.tar.gz/capture.pcap
		}
		if st, err := os.Stat(in.Path); err == nil && st.Mode().IsRegular() {
			sizes[i] = st.Size()
		}
	}
	app := ui.New(ui.Config{
		Title:  strings.Join(paths, " "),
		Inputs: names,
		Sizes:  sizes,
		Load: func(progress func(int, int64)) (*analyze.Report, error) {
			r := analyze.Run(inputs, analyze.Options{
				List:         policy,
				MaxListed:    f.maxListed,
				MaxListeners: listedListeners(policy, f.maxListeners),
				MemoryBudget: budget,
				Generator:    "halfopen " + versionString(),
				Progress:     progress,
			})
			if failures := inputFailures(r); len(failures) == len(r.Captures) {
				for i, f := range failures {
					failures[i] = render.Visible(f) // one line each: Run splits them again
				}
				return nil, errors.New(strings.Join(failures, "\n"))
			}
			return r, nil
		},
		Ladder:  analyze.Ladder,
		NoColor: e.getenv("NO_COLOR") != "",
		NoMouse: f.noMouse,
	})
	if err := app.Run(); err != nil {
		return failErr(exitUsage, strings.Split(err.Error(), "\n"))
	}
	return nil
}
