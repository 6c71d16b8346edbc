// Command halfopen explains why a server did not answer TCP handshakes,
// from a tcpdump capture and optional server snapshots.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
