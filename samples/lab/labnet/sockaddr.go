//go:build linux

package main

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"
)

// The stdlib syscall package is used rather than golang.org/x/sys/unix:
// the module's go.mod lists x/sys only as an indirect requirement, and a
// direct import would make "go build ./..." demand a go.mod update.

// tcpTimestamp is TCP_TIMESTAMP from <linux/tcp.h> (not in package syscall).
const tcpTimestamp = 24

// sockaddr converts an address/port into the socket family and the
// syscall.Sockaddr used by bind(2)/connect(2)/sendto(2).
func sockaddr(ap netip.AddrPort) (int, syscall.Sockaddr) {
	if ap.Addr().Is4() || ap.Addr().Is4In6() {
		return syscall.AF_INET, &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().Unmap().As4()}
	}
	return syscall.AF_INET6, &syscall.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
}

// addrPortOf converts a syscall.Sockaddr back (for getsockname results).
func addrPortOf(sa syscall.Sockaddr) netip.AddrPort {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *syscall.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port))
	}
	return netip.AddrPort{}
}

// parseAddrPort accepts "10.77.0.1:8080" and "[fd77::1]:8080".
func parseAddrPort(s string) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return ap, fmt.Errorf("bad address %q (want ip:port or [ipv6]:port)", s)
	}
	return ap, nil
}

// errnoName renders an error as its errno name (ECONNRESET, ...) when it
// wraps one, else as text.
func errnoName(err error) string {
	var e syscall.Errno
	if errors.As(err, &e) {
		if n, ok := errnoNames[e]; ok {
			return n
		}
		return fmt.Sprintf("ERRNO%d", int(e))
	}
	return err.Error()
}

var errnoNames = map[syscall.Errno]string{
	syscall.ECONNRESET: "ECONNRESET", syscall.EPIPE: "EPIPE", syscall.ETIMEDOUT: "ETIMEDOUT",
	syscall.ECONNREFUSED: "ECONNREFUSED", syscall.EHOSTUNREACH: "EHOSTUNREACH",
	syscall.ENETUNREACH: "ENETUNREACH", syscall.EADDRINUSE: "EADDRINUSE",
	syscall.EADDRNOTAVAIL: "EADDRNOTAVAIL", syscall.ECONNABORTED: "ECONNABORTED",
	syscall.EACCES: "EACCES", syscall.EPERM: "EPERM", syscall.EINVAL: "EINVAL",
}
