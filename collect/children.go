//go:build linux

package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// spawner starts every child process of a run (tcpdump, ss, nstat, ip,
// uname) so that none outlives halfopen:
//
//   - Pdeathsig SIGKILL: the kernel kills the child when its parent dies,
//     even by SIGKILL, which no handler can catch. The kernel's "parent"
//     is the thread that forked, not the process: Go forks from whatever
//     thread the goroutine runs on, and a thread that ends (the runtime
//     ends one whose goroutine exits while locked to it) would kill the
//     child early. So all forks happen on one goroutine locked to its OS
//     thread for the whole run; the runtime never ends a thread while a
//     goroutine is locked to it.
//   - Setpgid: each child leads its own process group, so a stop or abort
//     kills the group (anything the child started too), and the terminal's
//     Ctrl-C reaches halfopen only, which then stops tcpdump in order
//     (tcpdump flushes its last packets and prints its drop statistics).
type spawner struct {
	reqs chan spawnReq
	quit chan struct{}
	done chan struct{}
}

type spawnReq struct {
	cmd  *exec.Cmd
	errc chan error
}

var errSpawnerClosed = errors.New("the run is finishing: no new process started")

func newSpawner() *spawner {
	s := &spawner{reqs: make(chan spawnReq), quit: make(chan struct{}), done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *spawner) loop() {
	runtime.LockOSThread()
	// No UnlockOSThread: when the loop ends, the runtime ends this thread,
	// and the kernel kills any child still running (they were all waited
	// for before; this is the last line of defence).
	defer close(s.done)
	for {
		select {
		case r := <-s.reqs:
			r.errc <- r.cmd.Start()
		case <-s.quit:
			return
		}
	}
}

// start starts cmd from the spawner's thread, in its own process group,
// to be killed when halfopen dies.
func (s *spawner) start(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	r := spawnReq{cmd: cmd, errc: make(chan error, 1)}
	select {
	case s.reqs <- r:
		return <-r.errc
	case <-s.quit:
		return errSpawnerClosed
	}
}

// close ends the spawner once every child has been waited for.
func (s *spawner) close() {
	close(s.quit)
	<-s.done
}

// command prepares a child that is killed with its whole process group
// when ctx ends.
func command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Cancel = func() error { return killGroup(cmd) }
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// killGroup kills cmd's process group (its pgid is its pid: Setpgid).
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

// cappedBuffer keeps the first limit bytes written and counts the rest,
// so a command that prints without end cannot grow the bundle or memory.
type cappedBuffer struct {
	buf     bytes.Buffer
	limit   int
	dropped int64
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	room := max(b.limit-b.buf.Len(), 0)
	if len(p) > room {
		b.dropped += int64(len(p) - room)
		p = p[:room]
	}
	b.buf.Write(p)
	return n, nil
}

// output runs a command and returns at most limit bytes of its output,
// and whether there was more; errors name the command.
func (c *collector) output(ctx context.Context, limit int, name string, args ...string) ([]byte, bool, error) {
	cmd := command(ctx, name, args...)
	out := &cappedBuffer{limit: limit}
	errb := &cappedBuffer{limit: 4 << 10}
	cmd.Stdout, cmd.Stderr = out, errb
	if err := c.spawn.start(cmd); err != nil {
		return nil, false, fmt.Errorf("%s: %w", name, err)
	}
	if err := cmd.Wait(); err != nil {
		if msg := strings.TrimSpace(errb.buf.String()); msg != "" {
			return out.buf.Bytes(), out.dropped > 0, fmt.Errorf("%s: %s", name, msg)
		}
		return out.buf.Bytes(), out.dropped > 0, fmt.Errorf("%s: %w", name, err)
	}
	return out.buf.Bytes(), out.dropped > 0, nil
}
