package main

import (
	"os"

	"golang.org/x/term"
)

func osGetenv(k string) string { return os.Getenv(k) }

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
