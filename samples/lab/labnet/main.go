//go:build linux

// Command labnet is a small traffic generator for network-namespace tests
// (collect/netns_test.go uses it; the samples lab, package samples/lab,
// runs its servers and clients in-process). It is run inside network
// namespaces and has three subcommands:
//
//	serve      listen with an exact listen(2) backlog (raw syscalls, so Go's
//	           net package cannot replace it by somaxconn), accept now, later
//	           or on a signal, optionally answer requests and do the active
//	           close so the server keeps the TIME-WAIT socket.
//	connect    run connect()s (sequential or staggered in parallel, optional
//	           fixed source address/ports), optionally send a request and wait
//	           for the answer, and append one line per connect() to the
//	           client-results.tsv file described in samples-layout.md.
//	craft-syn  send one hand-made SYN (chosen ISN and TSval) through a raw
//	           socket; used for the TIME-WAIT PAWS scenario.
//
// Run "labnet <subcommand> -h" for the flags.
package main

import (
	"fmt"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "connect":
		err = connect(os.Args[2:])
	case "craft-syn":
		err = craftSYN(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "labnet %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: labnet serve|connect|craft-syn [flags]  (-h on a subcommand lists its flags)")
	os.Exit(2)
}

// logf writes a time-stamped line to stderr.
func logf(format string, args ...any) {
	now := time.Now()
	fmt.Fprintf(os.Stderr, "%d.%06d %s\n", now.Unix(), now.Nanosecond()/1000, fmt.Sprintf(format, args...))
}
