//go:build unix

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// TestDirectoryScanSkipsFIFO: a FIFO named like a capture inside a
// directory is not opened (it would block the scan forever) but noted;
// the regular capture next to it is analysed.
func TestDirectoryScanSkipsFIFO(t *testing.T) {
	dir := t.TempDir()
	data, err := craftPcap("unanswered")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "b.pcap"), data, 0o644)
	fifo := filepath.Join(dir, "a.pcap")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// A writer that gets through only if someone opens the FIFO to read;
	// it then closes at once, so a wrong reader sees EOF and never hangs.
	var opened, finished atomic.Bool
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			opened.Store(!finished.Load())
			f.Close()
		}
	}()
	var out, errb bytes.Buffer
	code := run([]string{"analyze", "--attempts", "0", dir}, nil, &out, &errb)
	finished.Store(true)
	if r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
		<-wrote // our own open lets the writer through
		r.Close()
	}
	if opened.Load() {
		t.Error("the directory scan opened the FIFO")
	}
	if code != 0 {
		t.Errorf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "a.pcap: not a regular file, skipped") {
		t.Errorf("no note about the FIFO: %q", errb.String())
	}
	if !strings.Contains(out.String(), "b.pcap") {
		t.Errorf("the regular capture was not analysed:\n%s", out.String())
	}
}

// TestFIFOArgumentIsAStream: a FIFO named on the command line (tcpdump -w
// >(…), <(zcat …)) is read as a capture stream, not probed as a bundle
// archive first (which would take its first bytes).
func TestFIFOArgumentIsAStream(t *testing.T) {
	dir := t.TempDir()
	data, err := craftPcap("unanswered")
	if err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "stream")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			f.Write(data)
			f.Close()
		}
	}()
	var out, errb bytes.Buffer
	if code := run([]string{"analyze", "--attempts", "0", fifo}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "10.0.0.1:80") {
		t.Errorf("the stream was not analysed:\n%s", out.String())
	}
}
