//go:build linux

package collect

// A real test: in network namespaces on this machine's kernel, run
// `halfopen collect` on the server side while clients overflow a listener's
// accept queue, then analyse the bundle and check it names the branch the
// kernel's counters confirm. Needs root, iproute2 and a kernel with network
// namespaces; skips, saying why, elsewhere.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCollectInNamespaces(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the network-namespace test (about 20 s)")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces and capture")
	}
	for _, tool := range []string{"ip", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found", tool)
		}
	}
	probe := fmt.Sprintf("hol-ct-probe-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", probe).CombinedOutput(); err != nil {
		t.Skipf("cannot create network namespaces here: %s", strings.TrimSpace(string(out)))
	}
	exec.Command("ip", "netns", "del", probe).Run()

	bin := t.TempDir()
	build(t, filepath.Join(bin, "halfopen"), "../cmd/halfopen")
	build(t, filepath.Join(bin, "labnet"), "../samples/lab/labnet")

	methods := []struct {
		name  string
		flags []string
	}{{"tcpdump", nil}, {"afpacket", []string{"--no-tcpdump"}}}
	for i, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			if m.name == "tcpdump" {
				if _, err := exec.LookPath("tcpdump"); err != nil {
					t.Skip("tcpdump not installed (apt-get install tcpdump); the AF_PACKET run still tests collect")
				}
			}
			srv, cli := lab(t, i)
			collectDuringOverflow(t, bin, srv, cli, m.flags)
		})
	}
}

func build(t *testing.T, out, pkg string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

// lab creates a server and a client namespace joined by a veth pair.
func lab(t *testing.T, n int) (srv, cli string) {
	t.Helper()
	srv, cli = fmt.Sprintf("hol-ct%d-s-%d", n, os.Getpid()), fmt.Sprintf("hol-ct%d-c-%d", n, os.Getpid())
	veth := fmt.Sprintf("hct%d%d", n, os.Getpid()%100000)
	steps := [][]string{
		{"netns", "add", srv}, {"netns", "add", cli},
		{"link", "add", veth + "s", "type", "veth", "peer", "name", veth + "c"},
		{"link", "set", veth + "s", "netns", srv}, {"link", "set", veth + "c", "netns", cli},
		{"-n", srv, "addr", "add", "10.78.0.1/24", "dev", veth + "s"}, {"-n", cli, "addr", "add", "10.78.0.2/24", "dev", veth + "c"},
		{"-n", srv, "link", "set", veth + "s", "up"}, {"-n", cli, "link", "set", veth + "c", "up"},
		{"-n", srv, "link", "set", "lo", "up"}, {"-n", cli, "link", "set", "lo", "up"},
	}
	t.Cleanup(func() {
		exec.Command("ip", "netns", "pids", srv).Run()
		for _, ns := range []string{srv, cli} {
			if out, err := exec.Command("ip", "netns", "pids", ns).Output(); err == nil {
				for _, pid := range strings.Fields(string(out)) {
					exec.Command("kill", "-9", pid).Run()
				}
			}
			exec.Command("ip", "netns", "del", ns).Run()
		}
	})
	for _, s := range steps {
		if out, err := exec.Command("ip", s...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(s, " "), err, out)
		}
	}
	return srv, cli
}

func collectDuringOverflow(t *testing.T, bin, srv, cli string, flags []string) {
	dir := t.TempDir()
	bundle := filepath.Join(dir, "bundle.tar.gz")
	server := exec.Command("ip", "netns", "exec", srv, filepath.Join(bin, "labnet"), "serve", "--addr", "10.78.0.1:9090", "--backlog", "1", "--no-accept")
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { server.Process.Kill(); server.Wait() }()
	time.Sleep(300 * time.Millisecond)

	args := append([]string{"netns", "exec", srv, filepath.Join(bin, "halfopen"), "collect", "--port", "9090", "--duration", "9s", "-o", bundle}, flags...)
	col := exec.Command("ip", args...)
	stderr, _ := col.StderrPipe()
	if err := col.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	var logLines []string
	go func() {
		sc := bufio.NewScanner(stderr)
		signalled := false
		for sc.Scan() {
			logLines = append(logLines, sc.Text())
			if strings.Contains(sc.Text(), "capturing tcp port") && !signalled {
				close(ready)
				signalled = true
			}
		}
		if !signalled {
			close(ready)
		}
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("collect did not start capturing within 10 s")
	}
	time.Sleep(300 * time.Millisecond)
	// Backlog 1: the accept queue holds 2; the other SYNs are dropped (6.x:
	// whenever the queue is full) and retried until the 4 s timeout.
	client := exec.Command("ip", "netns", "exec", cli, filepath.Join(bin, "labnet"), "connect", "--to", "10.78.0.1:9090",
		"--n", "6", "--parallel", "--stagger", "100ms", "--timeout", "4s", "--results", filepath.Join(dir, "client.tsv"))
	if out, err := client.CombinedOutput(); err != nil {
		t.Logf("client: %v %s", err, out)
	}
	if err := col.Wait(); err != nil {
		t.Fatalf("collect failed: %v\n%s", err, strings.Join(logLines, "\n"))
	}
	results, _ := os.ReadFile(filepath.Join(dir, "client.tsv"))
	timeouts := strings.Count(string(results), "\ttimeout\t")
	if timeouts < 3 {
		t.Fatalf("the lab did not overflow the accept queue (%d timeouts):\n%s", timeouts, results)
	}

	out, err := exec.Command(filepath.Join(bin, "halfopen"), "analyze", "--format", "json", bundle).Output()
	if err != nil {
		t.Fatalf("analyze %s: %v", bundle, err)
	}
	var r struct {
		Captures []struct {
			Snapshots []string
			Kernel    struct{ Source string }
			Warnings  []string
		}
		Listeners []struct {
			Server   string
			Outcomes map[string]int64
			Verdicts []struct {
				Branch     string
				Confidence float64
				Evidence   []struct{ Kind, Text string }
			}
		}
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Listeners) == 0 || r.Listeners[0].Server != "10.78.0.1:9090" {
		t.Fatalf("listeners: %+v", r.Listeners)
	}
	l := r.Listeners[0]
	if l.Outcomes["unanswered"] != int64(timeouts) {
		t.Errorf("unanswered = %d, the client saw %d timeouts", l.Outcomes["unanswered"], timeouts)
	}
	if len(l.Verdicts) == 0 || l.Verdicts[0].Branch != "accept_queue_full_syn" || l.Verdicts[0].Confidence < 0.8 {
		t.Fatalf("verdicts: %+v", l.Verdicts)
	}
	var counters string
	for _, e := range l.Verdicts[0].Evidence {
		if e.Kind == "counter" {
			counters = e.Text
		}
	}
	if !strings.Contains(counters, "TcpExtListenOverflows +") || strings.Contains(counters, "TcpExtListenOverflows +0") {
		t.Errorf("the bundle's counters do not show the overflow: %q", counters)
	}
	if r.Captures[0].Kernel.Source != "sysctl kernel.osrelease" {
		t.Errorf("kernel from %q, want the bundle's sysctl.txt", r.Captures[0].Kernel.Source)
	}
	if len(r.Captures[0].Snapshots) < 4 {
		t.Errorf("snapshots read: %v", r.Captures[0].Snapshots)
	}
}

// TestCollectInterruptAndPrivileges: Ctrl-C ends a run cleanly with a
// complete bundle and nothing left running; without root it refuses in
// one line.
func TestCollectInterruptAndPrivileges(t *testing.T) {
	if testing.Short() || os.Geteuid() != 0 {
		t.Skip("needs root (and not -short)")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go not found")
	}
	bin := t.TempDir()
	build(t, filepath.Join(bin, "halfopen"), "../cmd/halfopen")
	if setpriv, err := exec.LookPath("setpriv"); err == nil {
		out, err := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", filepath.Join(bin, "halfopen"), "collect", "--port", "80", "-o", "/tmp/x.tar.gz").CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || strings.Count(strings.TrimSpace(string(out)), "\n") != 0 || !strings.Contains(string(out), "sudo") {
			t.Errorf("as nobody: %v, %q; want exit 2 and one line saying to use sudo", err, out)
		}
	}
	ns := fmt.Sprintf("hol-ct-int-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace: %s", out)
	}
	defer exec.Command("ip", "netns", "del", ns).Run()
	exec.Command("ip", "-n", ns, "link", "set", "lo", "up").Run()
	bundle := filepath.Join(t.TempDir(), "b.tar.gz")
	cmd := exec.Command("ip", "netns", "exec", ns, filepath.Join(bin, "halfopen"), "collect", "--port", "9", "--duration", "0", "-o", bundle)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	// ip netns exec replaces itself with halfopen: the signal reaches it.
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("collect after Ctrl-C: %v", err)
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("collect did not stop within 20 s of Ctrl-C")
	}
	out, err := exec.Command("tar", "tzf", bundle).Output()
	if err != nil {
		t.Fatalf("bundle unreadable: %v", err)
	}
	for _, want := range []string{"capture.pcap", "manifest.json", "ss.txt", "sysctl.txt", "nstat-000.txt"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("bundle lacks %s:\n%s", want, out)
		}
	}
	m, _ := exec.Command("tar", "xzf", bundle, "-O", "b/manifest.json").Output()
	if !strings.Contains(string(m), `"stopped_by": "interrupt"`) {
		t.Errorf("manifest does not record the interrupt:\n%s", m)
	}
	if pids, _ := exec.Command("ip", "netns", "pids", ns).Output(); strings.TrimSpace(string(pids)) != "" {
		t.Errorf("processes left running in the namespace: %s", pids)
	}
}
