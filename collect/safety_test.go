//go:build linux

package collect

// Real tests of issue #12's "collect safe as root": the halfopen binary
// run as root in a network namespace against planted links, SIGKILL,
// SIGHUP, an abort, a tiny tmpfs and a long run. Each run lasts a second
// or a few; every process, namespace and mount is removed, also on
// failure. Needs root, ip, go and tcpdump; skips, saying why, elsewhere.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestCollectSafetyAsRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the root tests of collect's safety (about 30 s)")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: collect captures, and the tests mount tmpfs and make network namespaces")
	}
	for _, tool := range []string{"ip", "go", "tcpdump", "tar", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found", tool)
		}
	}
	ns := testNetns(t)
	bin := filepath.Join(t.TempDir(), "halfopen")
	build(t, bin, "../cmd/halfopen")
	h := &harness{bin: bin, ns: ns}

	t.Run("symlinked output file", h.symlinkedFile)
	t.Run("symlinked output directory", h.symlinkedDir)
	t.Run("planted directory", h.plantedDir)
	t.Run("SIGKILL leaves no child", h.sigkill)
	t.Run("SIGHUP writes a complete bundle", h.sighup)
	t.Run("abort kills children and writes nothing", h.abort)
	t.Run("full TMPDIR does not matter", h.fullTmpdir)
	t.Run("disk filled during the run", h.diskFilled)
	t.Run("disk too small", h.diskTooSmall)
	t.Run("long run stays within max-size", h.longRun)
}

// testNetns makes an empty network namespace (lo up): no traffic, and
// ip netns pids lists exactly what collect left running.
func testNetns(t *testing.T) string {
	t.Helper()
	ns := fmt.Sprintf("hol-safety-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace here: %s", strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		for _, pid := range netnsPids(ns) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		exec.Command("ip", "netns", "del", ns).Run()
	})
	exec.Command("ip", "-n", ns, "link", "set", "lo", "up").Run()
	return ns
}

func netnsPids(ns string) []int {
	out, _ := exec.Command("ip", "netns", "pids", ns).Output()
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

type harness struct {
	bin, ns string
}

// collectRun is halfopen collect running in the namespace.
type collectRun struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan struct{}
	err    error
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// start runs halfopen collect --port 9 args… in the namespace; the test's
// cleanup kills it if it is still running.
func (h *harness) start(t *testing.T, env []string, args ...string) *collectRun {
	t.Helper()
	full := append([]string{"netns", "exec", h.ns, h.bin, "collect", "--port", "9"}, args...)
	r := &collectRun{cmd: exec.Command("ip", full...), done: make(chan struct{})}
	r.cmd.Env = append(os.Environ(), env...)
	r.cmd.Stdout = &r.stdout
	r.cmd.Stderr = lockedWriter{&r.mu, &r.stderr}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.err = r.cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			r.cmd.Process.Kill()
			<-r.done
		}
	})
	return r
}

func (r *collectRun) log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stderr.String()
}

// waitLog waits until collect's log holds text.
func (r *collectRun) waitLog(t *testing.T, text string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !strings.Contains(r.log(), text) {
		select {
		case <-r.done:
			t.Fatalf("collect ended before logging %q: %v\n%s", text, r.err, r.log())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("collect did not log %q within %s:\n%s", text, limit, r.log())
		}
	}
}

// wait waits for collect to end and returns its exit code.
func (r *collectRun) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(limit):
		t.Fatalf("collect still running after %s:\n%s", limit, r.log())
	}
	var ee *exec.ExitError
	if errors.As(r.err, &ee) {
		return ee.ExitCode()
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	return 0
}

// run runs collect to its end (a one-second run) and returns its exit
// code and log.
func (h *harness) run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	r := h.start(t, nil, append([]string{"--duration", "1s"}, args...)...)
	code := r.wait(t, 30*time.Second)
	return code, r.log()
}

// refused checks a one-line refusal (exit 2) naming the path and --force.
func refused(t *testing.T, code int, log, path string) {
	t.Helper()
	if code != 2 || strings.Count(strings.TrimSpace(log), "\n") != 0 || !strings.Contains(log, path) || !strings.Contains(log, "--force") {
		t.Errorf("exit %d, %q: want exit 2 and one line naming %s and --force", code, log, path)
	}
}

// noStage checks no work directory was left behind in dir.
func noStage(t *testing.T, dir string) {
	t.Helper()
	if left, _ := filepath.Glob(filepath.Join(dir, "*.collecting-*")); len(left) > 0 {
		t.Errorf("work directories left behind: %v", left)
	}
}

func (h *harness) symlinkedFile(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	untouched := victim(t, other, "passwd")
	out := filepath.Join(dir, "b.tar.gz")
	symlink(t, filepath.Join(other, "passwd"), out)

	code, log := h.run(t, "-o", out)
	refused(t, code, log, out)
	untouched()
	noStage(t, dir)

	if code, log := h.run(t, "-o", out, "--force"); code != 0 {
		t.Fatalf("--force: exit %d\n%s", code, log)
	}
	if fi, err := os.Lstat(out); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("-o is not a regular file after --force: %v %v", fi, err)
	}
	if list, err := exec.Command("tar", "tzf", out).Output(); err != nil || !strings.Contains(string(list), "b/capture.pcap") {
		t.Errorf("the archive: %v\n%s", err, list)
	}
	untouched()
	noStage(t, dir)
}

func (h *harness) symlinkedDir(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	untouched := victim(t, other, "keep")
	out := filepath.Join(dir, "bundle")
	symlink(t, other, out)

	code, log := h.run(t, "-o", out)
	refused(t, code, log, out)
	if code, log := h.run(t, "-o", out, "--force"); code != 0 {
		t.Fatalf("--force: exit %d\n%s", code, log)
	}
	if fi, err := os.Lstat(out); err != nil || !fi.IsDir() {
		t.Fatalf("-o is not a directory after --force: %v %v", fi, err)
	}
	if _, err := os.Lstat(filepath.Join(out, "manifest.json")); err != nil {
		t.Errorf("no bundle at -o: %v", err)
	}
	if entries, _ := os.ReadDir(other); len(entries) != 1 {
		t.Errorf("the link's target directory changed: %v", entries)
	}
	untouched()
	noStage(t, dir)
}

func (h *harness) plantedDir(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	out := filepath.Join(dir, "bundle")
	os.Mkdir(out, 0o755)
	names := []string{"capture.pcap", "manifest.json", "ss.txt", "nstat-000.txt", "sysctl.txt", "uname.txt"}
	var checks []func()
	for _, n := range names {
		checks = append(checks, victim(t, other, n))
		symlink(t, filepath.Join(other, n), filepath.Join(out, n))
	}
	code, log := h.run(t, "-o", out)
	refused(t, code, log, out)
	// Links only: not a bundle, so not replaced even with --force.
	if code, log := h.run(t, "-o", out, "--force"); code != 2 || !strings.Contains(log, "not a halfopen bundle") {
		t.Errorf("--force on a directory of links: exit %d, %q", code, log)
	}
	// An old bundle with planted links: --force replaces it, links and all.
	os.Remove(filepath.Join(out, "capture.pcap"))
	os.WriteFile(filepath.Join(out, "capture.pcap"), []byte("old"), 0o644)
	if code, log := h.run(t, "-o", out, "--force"); code != 0 {
		t.Fatalf("--force on an old bundle: exit %d\n%s", code, log)
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if !e.Type().IsRegular() {
			t.Errorf("%s in the new bundle is not a regular file", e.Name())
		}
	}
	if len(entries) < 8 {
		t.Errorf("new bundle holds only %d files", len(entries))
	}
	for _, c := range checks[1:] {
		c()
	}
	noStage(t, dir)
}

// children lists the processes whose parent is pid, with their command.
func children(pid int) map[int]string {
	out := map[int]string{}
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		f := strings.Fields(s[i+1:])
		if len(f) > 2 && f[1] == strconv.Itoa(pid) {
			child, _ := strconv.Atoi(strings.Split(d, "/")[2])
			out[child] = s[strings.IndexByte(s, '(')+1 : i]
		}
	}
	return out
}

// alive reports whether pid runs (a zombie does not count: it is dead,
// waiting for its new parent to reap it).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z"
}

func (h *harness) sigkill(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "killed.tar.gz")
	r := h.start(t, nil, "--duration", "0", "-o", out)
	r.waitLog(t, "capturing tcp port", 15*time.Second)
	pid := r.cmd.Process.Pid // ip netns exec replaced itself with halfopen
	tcpdump := 0
	for child, comm := range children(pid) {
		if comm == "tcpdump" {
			tcpdump = child
		}
	}
	if tcpdump == 0 {
		t.Fatalf("no tcpdump among halfopen's children: %v", children(pid))
	}
	killed := time.Now()
	r.cmd.Process.Signal(syscall.SIGKILL)
	for alive(tcpdump) || len(netnsPids(h.ns)) > 0 {
		if time.Since(killed) > 2*time.Second {
			t.Fatalf("2 s after SIGKILL of halfopen, still running: tcpdump %d alive=%v; in the namespace %v", tcpdump, alive(tcpdump), netnsPids(h.ns))
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("tcpdump and every other child gone %s after SIGKILL of halfopen", time.Since(killed).Round(time.Millisecond))
	r.wait(t, 5*time.Second)
	if _, err := os.Lstat(out); err == nil {
		t.Error("a killed run left something at -o")
	}
}

// readManifest reads manifest.json of a bundle directory or archive.
func readManifest(t *testing.T, bundle string) Manifest {
	t.Helper()
	var b []byte
	var err error
	if isArchiveName(bundle) {
		b, err = exec.Command("tar", "xzf", bundle, "-O", archiveTop(filepath.Base(bundle))+"/manifest.json").Output()
	} else {
		b, err = os.ReadFile(filepath.Join(bundle, "manifest.json"))
	}
	if err != nil {
		t.Fatalf("manifest of %s: %v", bundle, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest of %s: %v\n%s", bundle, err, b)
	}
	return m
}

// analyzes checks halfopen analyze reads the bundle.
func (h *harness) analyzes(t *testing.T, bundle string) {
	t.Helper()
	out, err := exec.Command(h.bin, "analyze", "--format", "json", bundle).CombinedOutput()
	if err != nil {
		t.Errorf("halfopen analyze %s: %v\n%s", bundle, err, out)
	}
}

func (h *harness) sighup(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "hup.tar.gz")
	r := h.start(t, nil, "--duration", "0", "-o", out)
	r.waitLog(t, "capturing tcp port", 15*time.Second)
	time.Sleep(300 * time.Millisecond)
	r.cmd.Process.Signal(syscall.SIGHUP)
	if code := r.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("after SIGHUP: exit %d\n%s", code, r.log())
	}
	m := readManifest(t, out)
	if m.Stopped != "interrupt" || m.StopReason != "SIGHUP received" {
		t.Errorf("manifest stopped_by %q, %q", m.Stopped, m.StopReason)
	}
	for _, want := range []string{"capture.pcap", "ss.txt", "sysctl.txt", "nstat-000.txt", "nstat-001.txt", "softnet-end.txt", "manifest.json"} {
		if !contains(m.Files, want) {
			t.Errorf("bundle lacks %s: %v", want, m.Files)
		}
	}
	h.analyzes(t, out)
	if pids := netnsPids(h.ns); len(pids) > 0 {
		t.Errorf("left running: %v", pids)
	}
	noStage(t, dir)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// syncBuffer is a log the test reads while Run writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// abort runs collect in this process (a second signal cancels Run's
// context) and cancels it mid-run: tcpdump is killed and nothing is left
// at -o or in the work directory.
func (h *harness) abort(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "aborted.tar.gz")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logw := &syncBuffer{}
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, _, err := Run(ctx, Options{Port: 9, Duration: time.Minute, Output: out, Log: logw, MaxSize: DefaultMaxSize})
		done <- result{out, err}
	}()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(logw.String(), "capturing tcp port") {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("no capture within 15 s:\n%s", logw.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	var tcpdump int
	for child, comm := range children(os.Getpid()) {
		if comm == "tcpdump" {
			tcpdump = child
		}
	}
	cancel()
	var res result
	select {
	case res = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5 s of the abort")
	}
	if !errors.Is(res.err, ErrAborted) || res.out != "" {
		t.Errorf("Run after abort: %q, %v; want ErrAborted", res.out, res.err)
	}
	if tcpdump == 0 || alive(tcpdump) {
		t.Errorf("tcpdump %d: alive after the abort (or never seen)", tcpdump)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("an aborted run left %v", entries)
	}
}

// tmpfs mounts a tmpfs of size (e.g. "2m") and unmounts it at the end.
func tmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0755", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %s", out)
	}
	t.Cleanup(func() {
		if err := exec.Command("umount", dir).Run(); err != nil {
			exec.Command("umount", "-l", dir).Run()
		}
	})
	return dir
}

// fill writes into dir until its filesystem is full.
func fill(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			return
		}
	}
}

func (h *harness) fullTmpdir(t *testing.T) {
	tmp := tmpfs(t, "1m")
	fill(t, tmp)
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	r := h.start(t, []string{"TMPDIR=" + tmp}, "--duration", "1s", "-o", out)
	if code := r.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("with a full TMPDIR: exit %d\n%s", code, r.log())
	}
	if m := readManifest(t, out); m.Stopped != "duration" || len(m.Files) < 10 {
		t.Errorf("with a full TMPDIR: stopped by %q, files %v", m.Stopped, m.Files)
	}
}

func (h *harness) diskFilled(t *testing.T) {
	tiny := tmpfs(t, "2m")
	out := filepath.Join(tiny, "b.tar.gz")
	r := h.start(t, nil, "--duration", "60s", "--nstat-interval", "200ms", "-o", out)
	r.waitLog(t, "capturing tcp port", 15*time.Second)
	if !strings.Contains(r.log(), "shrunk to") {
		t.Errorf("the plan was not shrunk for a 2 MB disk:\n%s", r.log())
	}
	time.Sleep(500 * time.Millisecond)
	filled := time.Now()
	fill(t, tiny)
	if code := r.wait(t, 15*time.Second); code != 0 {
		t.Fatalf("exit %d\n%s", code, r.log())
	}
	t.Logf("stopped %s after the disk filled", time.Since(filled).Round(10*time.Millisecond))
	bundle := strings.TrimSpace(r.stdout.String())
	if fi, err := os.Stat(bundle); err != nil {
		t.Fatalf("no bundle at %q: %v\n%s", bundle, err, r.log())
	} else {
		t.Logf("bundle %s (directory: %v)", bundle, fi.IsDir())
	}
	m := readManifest(t, bundle)
	if m.Stopped != "low_disk_space" {
		t.Errorf("stopped_by %q (%s), want low_disk_space", m.Stopped, m.StopReason)
	}
	for _, want := range []string{"capture.pcap", "ss.txt", "sysctl.txt", "nstat-000.txt"} {
		if !contains(m.Files, want) {
			t.Errorf("the partial bundle lacks %s: %v", want, m.Files)
		}
	}
	h.analyzes(t, bundle)
	noStage(t, tiny)
}

func (h *harness) diskTooSmall(t *testing.T) {
	tiny := tmpfs(t, "512k")
	out := filepath.Join(tiny, "b.tar.gz")
	code, log := h.run(t, "-o", out)
	if code != 2 || strings.Count(strings.TrimSpace(log), "\n") != 0 || !strings.Contains(log, "free some space or write elsewhere with -o") {
		t.Errorf("on a 512 KB disk: exit %d, %q; want a one-line refusal", code, log)
	}
	if entries, _ := os.ReadDir(tiny); len(entries) != 0 {
		t.Errorf("a refused run left %v", entries)
	}
}

// longRun compresses a long run: the smallest --max-size, samples ten
// times as often as usual for 4 s. The nstat series overflows its share
// and keeps its first and newest snapshots; the bundle stays within
// --max-size and analyze reads it.
func (h *harness) longRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "long")
	r := h.start(t, nil, "--duration", "4s", "--max-size", "1MB", "--nstat-interval", "100ms", "--ss-interval", "10ms", "-o", out)
	if code := r.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit %d\n%s", code, r.log())
	}
	entries, _ := os.ReadDir(out)
	var total int64
	for _, e := range entries {
		fi, _ := e.Info()
		total += fi.Size()
	}
	if total > 1<<20 {
		t.Errorf("bundle holds %d bytes, over --max-size 1MB", total)
	}
	m := readManifest(t, out)
	var nstat SeriesInfo
	for _, s := range m.Series {
		if s.File == "nstat-NNN.txt" {
			nstat = s
		}
		if s.Bytes > s.Cap {
			t.Errorf("%s: %d bytes over its cap %d", s.File, s.Bytes, s.Cap)
		}
	}
	if nstat.Dropped == 0 || !contains(m.Files, "nstat-000.txt") {
		t.Errorf("the nstat series did not keep its first and newest: %+v, files %v", nstat, m.Files)
	}
	t.Logf("1MB run of 4 s: %d bytes in %d files; series %+v", total, len(entries), m.Series)
	h.analyzes(t, out)
}
