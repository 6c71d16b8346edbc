//go:build linux

// Package lab reproduces Linux listener drops on the machine's real kernel,
// inside throw-away network namespaces, and uses the kernel as the test
// oracle for halfopen.
//
// A scenario (named, see Named, or seeded, see Generate) is run in a fresh
// pair of namespaces (server and client joined by a veth pair). The lab
// captures traffic with tcpdump, records ss -ltn every 100 ms, nstat before
// and after plus counter snapshots at every phase boundary, iptables rule
// counters, every client's result and the server's accept log. From those
// kernel facts alone (never from halfopen's output) it derives, per
// handshake attempt the capture shows, the acceptable outcomes and branches
// (see truth.go and samples/README.md "Truth rules"), writes a sample bundle
// with expected.json, and scores halfopen against it (score.go,
// TestKernelOracle).
//
// Servers and clients run in-process: sockets are created on an OS thread
// that has joined the namespace (setns) and is discarded afterwards, so
// every socket option (listen backlog, TCP_DEFER_ACCEPT, SO_REUSEPORT,
// TCP_SYNCNT, SO_LINGER 0, fixed source ports) is set exactly and every
// event is time-stamped by the lab itself. External tools (ip, tcpdump,
// ss, nstat, iptables, sysctl) run through nsenter.
package lab
