//go:build linux

// Command lab runs the halfopen kernel lab (package samples/lab) as root:
//
//	lab sample NAME... [-o DIR]     run named scenarios, (re)write samples/NAME
//	lab sample all                  every named scenario
//	lab keep --seed N DIR           run seeded scenario N and keep it as a bundle in DIR
//	lab truth DIR...                derive expected.json/README.md again from a bundle's lab.json
//	lab score DIR...                score halfopen on bundles (with and without snapshots)
//	lab index                       rewrite the samples table of samples/README.md
//	lab list                        the named scenarios
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/halfopen/halfopen/samples/lab"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "sample":
		err = sample(ctx, os.Args[2:])
	case "keep":
		err = keep(ctx, os.Args[2:])
	case "truth":
		err = truth(os.Args[2:])
	case "score":
		err = score(os.Args[2:])
	case "index":
		err = index()
	case "list":
		for _, n := range lab.NamedList() {
			fmt.Println(n)
		}
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "lab %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: lab sample NAME...|all [-o DIR] | lab keep --seed N DIR | lab truth DIR... | lab list")
	os.Exit(2)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

func needRoot() error {
	if os.Geteuid() != 0 {
		return errors.New("must run as root (network namespaces, iptables, tcpdump)")
	}
	lab.RemoveStale()
	return nil
}

func sample(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sample", flag.ExitOnError)
	out := fs.String("o", "", "write the bundles under this directory (default: samples/ of the repository)")
	var names []string
	for len(args) > 0 {
		_ = fs.Parse(args)
		args = fs.Args()
		if len(args) > 0 {
			names = append(names, args[0])
			args = args[1:]
		}
	}
	if len(names) == 1 && names[0] == "all" {
		names = lab.NamedList()
	}
	if len(names) == 0 {
		return errors.New("name a scenario (lab list) or all")
	}
	if err := needRoot(); err != nil {
		return err
	}
	root := *out
	if root == "" {
		r, err := lab.SamplesDir()
		if err != nil {
			return err
		}
		root = r
	}
	l := &lab.Lab{}
	defer func() {
		if *out == "" {
			if err := lab.WriteIndex(root); err != nil {
				logf("samples table not updated: %v", err)
			}
		}
	}()
	for _, n := range names {
		sc, err := lab.Named(n)
		if err != nil {
			return err
		}
		dir := filepath.Join(root, n)
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		start := time.Now()
		logf("=== %s", n)
		res, err := l.Execute(ctx, sc, dir, func(s string) { logf("  %s", s) })
		if err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		logf("%s: %d attempts, %s, took %s", n, len(res.Expected.Attempts), lab.Digest(res.Expected), time.Since(start).Round(time.Second))
	}
	return nil
}

func keep(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("keep", flag.ExitOnError)
	seed := fs.Int64("seed", 0, "scenario seed (as printed by TestKernelOracle)")
	_ = fs.Parse(args)
	if fs.NArg() != 1 || *seed == 0 {
		return errors.New("usage: lab keep --seed N DIR")
	}
	if err := needRoot(); err != nil {
		return err
	}
	dir := fs.Arg(0)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	sc := lab.Generate(*seed)
	sc.Name = filepath.Base(dir)
	res, err := (&lab.Lab{}).Execute(ctx, sc, dir, func(s string) { logf("  %s", s) })
	if err != nil {
		return err
	}
	logf("seed %d kept in %s: %d attempts, %s", *seed, dir, len(res.Expected.Attempts), lab.Digest(res.Expected))
	return score([]string{dir})
}

// bundles keeps the directories that hold file (so samples/*/ can be
// passed as is: samples/lab/ is not a bundle).
func bundles(dirs []string, file string) []string {
	var out []string
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, file)); err == nil {
			out = append(out, d)
		}
	}
	return out
}

func truth(dirs []string) error {
	for _, d := range bundles(dirs, "lab.json") {
		res, err := lab.Derive(d)
		if err != nil {
			return err
		}
		logf("%s: %d attempts, %s", d, len(res.Expected.Attempts), lab.Digest(res.Expected))
	}
	return nil
}

func score(dirs []string) error {
	var scores []*lab.Score
	for _, d := range bundles(dirs, "expected.json") {
		exp, err := lab.ReadExpected(filepath.Join(d, "expected.json"))
		if err != nil {
			return err
		}
		s, err := lab.ScoreBundle(d, exp)
		if err != nil {
			return err
		}
		fmt.Println(s.Line())
		for _, m := range s.Misses {
			fmt.Printf("    %s %s %s %s: want %s, got %s\n      truth: %s\n      halfopen: %s\n", m.Mode, m.Grade, m.Role, m.Client, m.Want, m.Got, m.Why, m.GotReason)
		}
		scores = append(scores, s)
	}
	sum := lab.Summarize(scores)
	fmt.Print(sum.Table())
	fmt.Println(sum.LastLine())
	return nil
}

func index() error {
	root, err := lab.SamplesDir()
	if err != nil {
		return err
	}
	return lab.WriteIndex(root)
}
