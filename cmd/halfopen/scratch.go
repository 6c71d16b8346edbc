package main

import (
	"errors"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
)

// scratch owns the temporary directories bundle archives are unpacked
// into. They go when the command ends (env.cleanup) and when it is
// interrupted: while one exists, SIGINT, SIGTERM or SIGHUP removes them
// and ends the process with the shell's code for the signal (130 for
// Ctrl-C). The handler exists only while there is something to remove,
// so commands that handle signals themselves (collect) keep them.
type scratch struct {
	mu     sync.Mutex
	dirs   []string
	closed bool
	sigs   chan os.Signal
	exit   func(code int) // os.Exit; tests replace it
}

var errInterrupted = errors.New("interrupted")

func newScratch() *scratch { return &scratch{exit: os.Exit} }

// mkdir makes a new temporary directory owned by s.
func (s *scratch) mkdir() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", errInterrupted
	}
	dir, err := os.MkdirTemp("", "halfopen-bundle-")
	if err != nil {
		return "", err
	}
	s.dirs = append(s.dirs, dir)
	if s.sigs == nil {
		s.sigs = make(chan os.Signal, 1)
		signal.Notify(s.sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
		go s.onSignal(s.sigs)
	}
	return dir, nil
}

// do runs f, which writes into s's directories, unless s was removed
// meanwhile. Writes hold the lock, so a signal's removal never races one
// and leaves a file behind.
func (s *scratch) do(f func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errInterrupted
	}
	return f()
}

// discard removes one directory now (a bundle that could not be read).
func (s *scratch) discard(dir string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	os.RemoveAll(dir)
	s.dirs = slices.DeleteFunc(s.dirs, func(d string) bool { return d == dir })
}

// removeAll removes every directory and refuses new work.
func (s *scratch) removeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, d := range s.dirs {
		os.RemoveAll(d)
	}
	s.dirs = nil
	if s.sigs != nil {
		signal.Stop(s.sigs)
		close(s.sigs)
		s.sigs = nil
	}
}

func (s *scratch) onSignal(ch chan os.Signal) {
	sig, ok := <-ch
	if !ok {
		return // removed at the end of the command
	}
	s.removeAll()
	code := 130
	if n, ok := sig.(syscall.Signal); ok {
		code = 128 + int(n)
	}
	s.exit(code)
}
