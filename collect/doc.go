// Package collect gathers, on the server, everything an analysis needs: a
// bounded capture of one port's traffic, ss listener samples every 100 ms,
// counter snapshots, the sysctls that matter, the kernel version, the
// owning process, tcp_metrics, conntrack and softnet statistics, and a
// manifest of what could not be collected and why. The result is a bundle
// (a directory or a .tar.gz) that halfopen analyze and halfopen tui open
// with no flags.
//
// It runs as root on production servers, so it is careful: it writes only
// into a fresh private directory next to the output and renames the
// finished bundle into place (never overwriting, never through a link),
// its children die with it, the bundle stays within --max-size with a cap
// per part, and a disk running low stops the run with what was collected.
package collect
