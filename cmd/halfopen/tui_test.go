package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// halfopen tui refuses to run without a terminal, in one line, exit 2.
func TestTUINeedsATerminal(t *testing.T) {
	sample := filepath.Join(moduleRoot(t), "samples", "mixed-listeners")
	var stdout, stderr bytes.Buffer
	code := run([]string{"tui", sample}, strings.NewReader(""), &stdout, &stderr)
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	if got := stderr.String(); got != "halfopen tui needs a terminal; use halfopen analyze for a report\n" {
		t.Errorf("stderr %q", got)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout %q", stdout.String())
	}
	stderr.Reset()
	if code := run([]string{"tui"}, strings.NewReader(""), &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "tui needs at least one CAPTURE") {
		t.Errorf("no capture: exit %d, %q", code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"tui", "--help"}, strings.NewReader(""), &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), "--sysctl") || !strings.Contains(stdout.String(), "--nstat") {
		t.Errorf("tui --help: exit %d, lacks the snapshot flags:\n%s", code, stdout.String())
	}
}

// tmuxSession drives a real terminal: the built binary in a detached tmux
// session on a private server socket.
type tmuxSession struct {
	t      *testing.T
	socket string
}

func (s *tmuxSession) tmux(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	return string(out), err
}

func (s *tmuxSession) send(keys ...string) {
	s.t.Helper()
	for _, k := range keys {
		if out, err := s.tmux("send-keys", "-t", "ho", k); err != nil {
			s.t.Fatalf("tmux send-keys %s: %v %s", k, err, out)
		}
	}
}

func (s *tmuxSession) screen() string {
	out, _ := s.tmux("capture-pane", "-p", "-t", "ho")
	return out
}

// wait polls the pane until it shows every text (10 s at most).
func (s *tmuxSession) wait(texts ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		screen := s.screen()
		ok := true
		for _, x := range texts {
			ok = ok && strings.Contains(screen, x)
		}
		if ok {
			return screen
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out waiting for %q; the pane shows:\n%s", texts, screen)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The real binary in a real terminal (tmux): open a sample bundle, find
// the failing listener, open an attempt, see the ladder, ?, export, q.
func TestTUIEndToEndInTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed: this end-to-end test drives halfopen tui in tmux (CI installs it)")
	}
	if testing.Short() {
		t.Skip("-short: skipping the tmux end-to-end test")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH to build the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "halfopen")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	sample := filepath.Join(moduleRoot(t), "samples", "mixed-listeners")
	s := &tmuxSession{t: t, socket: fmt.Sprintf("halfopen-test-%d", os.Getpid())}
	t.Cleanup(func() { s.tmux("kill-server") })
	cmd := fmt.Sprintf("exec %s tui %s", bin, sample)
	if out, err := s.tmux("-f", "/dev/null", "new-session", "-d", "-s", "ho", "-x", "120", "-y", "40", "-c", dir, cmd); err != nil {
		t.Fatalf("tmux new-session: %v %s", err, out)
	}

	// The failing listener is first, with its verdict in the headline.
	screen := s.wait("Listeners, worst first", "10.77.0.1:8080", "accept_queue_full_syn", "Timeline of 10.77.0.1:8080")
	if i, j := strings.Index(screen, "10.77.0.1:8080        6"), strings.Index(screen, "10.77.0.1:8081"); i < 0 || j < i {
		t.Fatalf("the failing listener is not listed first:\n%s", screen)
	}
	// Its dropped attempts, then one attempt's ladder.
	s.send("Enter")
	s.wait("Listeners › 10.77.0.1:8080", "unanswered", "10.77.0.2:40100")
	s.send("Enter")
	s.wait("Packets (ladder)", "SYN seq 0", "(retransmit)", "▶", "Why: unanswered", "accept_queue_full_syn")
	// Help, then back to the ladder.
	s.send("?")
	s.wait("How to find the problem", "gg Home")
	s.send("Escape")
	s.wait("Packets (ladder)")
	// Export the attempt next to the user.
	s.send("e")
	s.wait("wrote ./halfopen-10.77.0.2_40100-to-10.77.0.1_8080")
	matches, _ := filepath.Glob(filepath.Join(dir, "halfopen-10.77.0.2_40100-to-10.77.0.1_8080-*.md"))
	if len(matches) != 1 {
		t.Errorf("export: %v", matches)
	}
	// Esc goes back, never out; q quits.
	s.send("Escape")
	s.wait("Attempts")
	s.send("Escape")
	s.wait("Listeners, worst first")
	s.send("Escape")
	s.wait("Esc does nothing here")
	s.send("q")
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := s.tmux("has-session", "-t", "ho"); err != nil {
			break // the binary exited and the session closed
		}
		if time.Now().After(deadline) {
			t.Fatalf("q did not quit:\n%s", s.screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
