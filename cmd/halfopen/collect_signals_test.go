//go:build unix

package main

import (
	"bytes"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestRelaySignals: the first signal stops the run (the bundle is still
// written), the second aborts it; SIGPIPE is swallowed.
func TestRelaySignals(t *testing.T) {
	var logb bytes.Buffer
	e := &env{stderr: &logb}
	stop := make(chan os.Signal, 1)
	aborted := make(chan struct{})
	undo := relaySignals(e, stop, func() { close(aborted) })
	defer undo()
	self := os.Getpid()
	syscall.Kill(self, syscall.SIGPIPE)
	syscall.Kill(self, syscall.SIGHUP)
	select {
	case s := <-stop:
		if s != syscall.SIGHUP {
			t.Errorf("stop got %v, want SIGHUP", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("SIGHUP did not stop the run")
	}
	select {
	case <-aborted:
		t.Fatal("one signal aborted the run")
	default:
	}
	syscall.Kill(self, syscall.SIGTERM)
	select {
	case <-aborted:
	case <-time.After(5 * time.Second):
		t.Fatal("a second signal did not abort the run")
	}
}
