// Package collect gathers, on the server, everything an analysis needs: a
// bounded capture of one port's traffic, ss listener samples every 100 ms,
// counter snapshots, the sysctls that matter, the kernel version, the
// owning process, tcp_metrics, conntrack and softnet statistics, and a
// manifest of what could not be collected and why. The result is a bundle
// (a directory or a .tar.gz) that halfopen analyze and halfopen tui open
// with no flags.
package collect
