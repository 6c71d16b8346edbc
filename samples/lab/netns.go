//go:build linux

package lab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Addresses inside every namespace pair. Pairs are isolated from each other,
// so parallel scenarios reuse them.
var (
	serverV4 = netip.MustParseAddr("10.77.0.1")
	clientV4 = netip.MustParseAddr("10.77.0.2")
	serverV6 = netip.MustParseAddr("fd77::1")
	clientV6 = netip.MustParseAddr("fd77::2")
	// spoofNet holds the sources of spoofed SYN floods: routed from the
	// server to the client namespace, which owns none of them, so nobody
	// answers the SYN-ACKs.
	spoofNet = netip.MustParsePrefix("10.99.0.0/16")
)

// NetSpec describes the links of a namespace pair.
type NetSpec struct {
	// Extra client addresses (IPv4 in 10.77.0.0/24 or IPv6 in fd77::/64).
	ClientAddrs []netip.Addr `json:"client_addrs,omitempty"`
	// Bridge enslaves the server's veth to a bridge that holds the server's
	// addresses: a capture on "any" then sees every frame twice (veth and
	// bridge), as on a container host.
	Bridge bool `json:"bridge,omitempty"`
	// Spoof routes spoofNet from the server to the client namespace.
	Spoof bool `json:"spoof,omitempty"`
}

// Pair is a server and a client network namespace joined by a veth pair.
type Pair struct {
	Srv, Cli         string // namespace names
	SrvVeth, CliVeth string // veth ends
	SrvIf, CliIf     string // interfaces holding the addresses (veth or bridge)
	Spec             NetSpec
}

// nsPath is where ip netns keeps a namespace's handle.
func nsPath(ns string) string { return filepath.Join("/run/netns", ns) }

// namePrefix is the prefix of every namespace this package creates for
// process pid; other hol-* namespaces belong to other work and are never
// touched.
func namePrefix(pid int) string { return fmt.Sprintf("hol-or-%d-", pid) }

// newPair creates namespaces hol-or-<pid>-<n>-s/-c and their links. On
// error everything created so far is removed again.
func newPair(ctx context.Context, n int, spec NetSpec) (p *Pair, err error) {
	pid := os.Getpid()
	p = &Pair{
		Srv:     fmt.Sprintf("%s%d-s", namePrefix(pid), n),
		Cli:     fmt.Sprintf("%s%d-c", namePrefix(pid), n),
		SrvVeth: fmt.Sprintf("ho%d-%ds", pid%100000, n%1000),
		CliVeth: fmt.Sprintf("ho%d-%dc", pid%100000, n%1000),
		Spec:    spec,
	}
	p.SrvIf, p.CliIf = p.SrvVeth, p.CliVeth
	defer func() {
		if err != nil {
			p.Close()
			p = nil
		}
	}()
	if err := p.create(ctx); err != nil {
		return p, fmt.Errorf("namespace pair %s/%s: %w", p.Srv, p.Cli, err)
	}
	return p, nil
}

func (p *Pair) create(ctx context.Context) error {
	for _, ns := range []string{p.Srv, p.Cli} {
		if err := run(ctx, "ip", "netns", "add", ns); err != nil {
			return err
		}
		if err := run(ctx, "ip", "-n", ns, "link", "set", "lo", "up"); err != nil {
			return err
		}
		// No DAD, link-local addresses, router solicitations or MLD noise:
		// keeps ICMPv6 out of the captures.
		if err := p.sysctl(ctx, ns, "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
			"net.ipv6.conf.default.addr_gen_mode=1", "net.ipv6.conf.default.router_solicitations=0",
			"net.ipv6.conf.default.accept_ra=0", "net.ipv6.conf.default.mldv2_unsolicited_report_interval=10000",
			"net.ipv6.conf.default.mldv1_unsolicited_report_interval=10000"); err != nil {
			return err
		}
	}
	if err := run(ctx, "ip", "link", "add", p.SrvVeth, "netns", p.Srv, "type", "veth", "peer", "name", p.CliVeth, "netns", p.Cli); err != nil {
		return err
	}
	// Real checksums and segment sizes in the captures: no offloads.
	for _, e := range [][2]string{{p.Srv, p.SrvVeth}, {p.Cli, p.CliVeth}} {
		if err := runNS(ctx, e[0], "ethtool", "-K", e[1], "tx", "off", "tso", "off", "gso", "off", "gro", "off"); err != nil {
			return err
		}
		if err := run(ctx, "ip", "-n", e[0], "link", "set", e[1], "up"); err != nil {
			return err
		}
	}
	if p.Spec.Bridge {
		if err := p.addBridge(ctx); err != nil {
			return err
		}
	}
	for _, ifc := range []string{p.SrvIf, p.CliIf} {
		ns := p.Srv
		if ifc == p.CliIf {
			ns = p.Cli
		}
		if err := run(ctx, "ip", "-n", ns, "link", "set", ifc, "up"); err != nil {
			return err
		}
	}
	if err := p.addAddrs(ctx); err != nil {
		return err
	}
	return p.addNeighbours(ctx)
}

func (p *Pair) addBridge(ctx context.Context) error {
	br := fmt.Sprintf("%sb", p.SrvVeth)
	if err := run(ctx, "ip", "-n", p.Srv, "link", "add", br, "type", "bridge"); err != nil {
		return err
	}
	if err := run(ctx, "ip", "-n", p.Srv, "link", "set", p.SrvIf, "master", br); err != nil {
		return err
	}
	p.SrvIf = br
	return nil
}

func (p *Pair) addAddrs(ctx context.Context) error {
	steps := [][]string{
		{"-n", p.Srv, "addr", "add", serverV4.String() + "/24", "dev", p.SrvIf},
		{"-n", p.Srv, "addr", "add", serverV6.String() + "/64", "dev", p.SrvIf, "nodad"},
		{"-n", p.Cli, "addr", "add", clientV4.String() + "/24", "dev", p.CliIf},
		{"-n", p.Cli, "addr", "add", clientV6.String() + "/64", "dev", p.CliIf, "nodad"},
	}
	for _, a := range p.Spec.ClientAddrs {
		if a.Is4() {
			steps = append(steps, []string{"-n", p.Cli, "addr", "add", a.String() + "/24", "dev", p.CliIf})
		} else {
			steps = append(steps, []string{"-n", p.Cli, "addr", "add", a.String() + "/64", "dev", p.CliIf, "nodad"})
		}
	}
	if p.Spec.Spoof {
		steps = append(steps, []string{"-n", p.Srv, "route", "add", spoofNet.String(), "via", clientV4.String(), "dev", p.SrvIf})
	}
	for _, s := range steps {
		if err := run(ctx, "ip", s...); err != nil {
			return err
		}
	}
	return nil
}

// addNeighbours installs permanent neighbour entries: no ARP or neighbour
// discovery in the captures.
func (p *Pair) addNeighbours(ctx context.Context) error {
	smac, err := p.mac(ctx, p.Srv, p.SrvIf)
	if err != nil {
		return err
	}
	cmac, err := p.mac(ctx, p.Cli, p.CliIf)
	if err != nil {
		return err
	}
	steps := [][]string{
		{"-n", p.Cli, "neigh", "replace", serverV4.String(), "lladdr", smac, "dev", p.CliIf, "nud", "permanent"},
		{"-n", p.Cli, "neigh", "replace", serverV6.String(), "lladdr", smac, "dev", p.CliIf, "nud", "permanent"},
	}
	for _, a := range append([]netip.Addr{clientV4, clientV6}, p.Spec.ClientAddrs...) {
		steps = append(steps, []string{"-n", p.Srv, "neigh", "replace", a.String(), "lladdr", cmac, "dev", p.SrvIf, "nud", "permanent"})
	}
	for _, s := range steps {
		if err := run(ctx, "ip", s...); err != nil {
			return err
		}
	}
	return nil
}

func (p *Pair) mac(ctx context.Context, ns, ifc string) (string, error) {
	out, err := output(ctx, "ip", "-n", ns, "-o", "link", "show", ifc)
	if err != nil {
		return "", err
	}
	f := strings.Fields(out)
	for i, w := range f {
		if w == "link/ether" && i+1 < len(f) {
			return f[i+1], nil
		}
	}
	return "", fmt.Errorf("no MAC address for %s in %s: %q", ifc, ns, out)
}

// sysctl sets key=value pairs in namespace ns.
func (p *Pair) sysctl(ctx context.Context, ns string, kv ...string) error {
	return runNS(ctx, ns, "sysctl", append([]string{"-qw"}, kv...)...)
}

// Close kills whatever still runs in the pair's namespaces (only this
// package's processes can be there) and deletes them. Safe to call twice.
func (p *Pair) Close() {
	for _, ns := range []string{p.Srv, p.Cli} {
		removeNamespace(ns)
	}
}

func removeNamespace(ns string) {
	if _, err := os.Stat(nsPath(ns)); err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		out, _ := output(ctx, "ip", "netns", "pids", ns)
		pids := strings.Fields(out)
		for _, s := range pids {
			if pid, err := strconv.Atoi(s); err == nil && pid != os.Getpid() {
				_ = syscall.Kill(pid, sig)
			}
		}
		if len(pids) == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	_ = run(ctx, "ip", "netns", "del", ns)
}

// RemoveStale deletes namespaces left by earlier runs of this package whose
// process no longer exists (a killed test). Namespaces of live processes,
// and every other hol-* namespace, are left alone.
func RemoveStale() {
	ents, err := os.ReadDir("/run/netns")
	if err != nil {
		return
	}
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), "hol-or-")
		if !ok {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			removeNamespace(e.Name())
		}
	}
}

// inNetns runs f on a fresh OS thread that has joined namespace ns. The
// thread stays locked and is discarded when f returns, so no goroutine is
// ever scheduled on a thread in a foreign namespace. Sockets created by f
// belong to ns and may be used from any goroutine afterwards.
func inNetns(ns string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		fd, err := unix.Open(nsPath(ns), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("open namespace %s: %w", ns, err)
			return
		}
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
		if err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// run runs a command and wraps its failure with its output.
func run(ctx context.Context, name string, args ...string) error {
	_, err := output(ctx, name, args...)
	return err
}

func output(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// nsCommand builds a command that runs inside namespace ns (nsenter: unlike
// ip netns exec it does not remount /sys, which is slow on a busy machine).
func nsCommand(ctx context.Context, ns, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "nsenter", append([]string{"--net=" + nsPath(ns), name}, args...)...)
}

func runNS(ctx context.Context, ns, name string, args ...string) error {
	_, err := outputNS(ctx, ns, name, args...)
	return err
}

func outputNS(ctx context.Context, ns, name string, args ...string) (string, error) {
	out, err := nsCommand(ctx, ns, name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("in %s: %s %s: %w: %s", ns, name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}
