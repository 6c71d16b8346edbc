#!/usr/bin/env bash
# Regenerates the files in this directory: real snapshots taken on a Linux host (as root) inside a
# fresh network namespace, with a few listeners and connections so that counters are non-zero.
# Usage: sudo bash capture.sh   (needs ip, ss, nstat, netstat, sysctl, python3)
# Every namespace created here starts with "hol-snap" and is deleted on exit.
set -euo pipefail
cd "$(dirname "$0")"
NS=hol-snap-test
WORK=$(mktemp -d /tmp/hol-snap.XXXXXX)
export LC_ALL=C TZ=UTC
nsx() { ip netns exec "$NS" "$@"; }
PIDS=()
cleanup() {
	# Stop what this script started: the recorded PIDs and anything left in its namespace.
	[ ${#PIDS[@]} -gt 0 ] && kill "${PIDS[@]}" 2>/dev/null || true
	for p in $(ip netns pids "$NS" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

ip netns add "$NS"
nsx ip link set lo up
nsx sysctl -qw net.core.somaxconn=1024
nsx sysctl -qw net.ipv4.tcp_syncookies=1

# Absolute dumps use a throw-away history file so that they do not reset the delta history.
ABS="env NSTAT_HISTORY=$WORK/abs.hist"
DELTA="env NSTAT_HISTORY=$WORK/delta.hist"
nsx $DELTA nstat -n
nsx $ABS nstat -az >nstat-az-before.txt

# Listeners (see expectations in ../../snapshot_test.go):
#   0.0.0.0:8080 backlog 5 (never accepts: overflows)   127.0.0.1:9000 backlog 64
#   *:8443 dual-stack backlog 128    [::]:8444 v6only backlog 32    [::1]:9001 backlog 16
#   [::ffff:127.0.0.1]:9002 backlog 8    0.0.0.0%lo:7000 backlog 10
#   127.0.0.1:9100 x2 SO_REUSEPORT backlog 20 and 30    0.0.0.0:9200 backlog 5000 (> somaxconn 1024)
cat >"$WORK/srv.py" <<'EOF'
import socket, sys, time, os
socks = []
def L(fam, addr, port, backlog, v6only=None, dev=None, reuseport=False):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuseport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    if dev:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
    s.bind((addr, port))
    s.listen(backlog)
    socks.append(s)
    return s
L(socket.AF_INET, "0.0.0.0", 8080, 5)
acc = L(socket.AF_INET, "127.0.0.1", 9000, 64)
L(socket.AF_INET6, "::", 8443, 128, v6only=0)
L(socket.AF_INET6, "::", 8444, 32, v6only=1)
L(socket.AF_INET6, "::1", 9001, 16)
L(socket.AF_INET6, "::ffff:127.0.0.1", 9002, 8, v6only=0)
L(socket.AF_INET, "0.0.0.0", 7000, 10, dev="lo")
L(socket.AF_INET, "127.0.0.1", 9100, 20, reuseport=True)
L(socket.AF_INET, "127.0.0.1", 9100, 30, reuseport=True)
L(socket.AF_INET, "0.0.0.0", 9200, 5000)
open(sys.argv[1], "w").write("ready\n")
# Accept (and close) the first 3 connections on 9000, then stop accepting.
for i in range(3):
    c, _ = acc.accept()
    c.close()
time.sleep(3600)
EOF
cat >"$WORK/cli.py" <<'EOF'
import socket, sys, time, errno
keep = []
def conn(fam, addr, port, n, wait=0.05):
    for i in range(n):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect((addr, port))
        except BlockingIOError:
            pass
        except OSError:
            s.close(); continue
        keep.append(s)
        time.sleep(wait)
conn(socket.AF_INET, "127.0.0.1", 8080, 12)     # 6 fill the accept queue (B+1), the rest overflow
conn(socket.AF_INET, "127.0.0.1", 9000, 5)      # 3 accepted and closed, 2 queued
conn(socket.AF_INET, "127.0.0.1", 8443, 2)      # IPv4 into the dual-stack listener
conn(socket.AF_INET6, "::1", 8444, 1)
conn(socket.AF_INET6, "::1", 9001, 1)
conn(socket.AF_INET, "127.0.0.1", 9002, 1)
conn(socket.AF_INET, "127.0.0.1", 7000, 1)
conn(socket.AF_INET, "127.0.0.1", 9999, 2)      # closed port: RST
time.sleep(2.5)
# Give up on connections still in SYN-SENT (their SYNs overflowed) so counters stop moving.
for s in keep:
    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
        s.close(); continue
    try:
        s.getpeername()
    except OSError:
        s.close()
open(sys.argv[1], "w").write("done\n")
time.sleep(3600)
EOF
# `ip netns exec` execs the command, so $! is python's own PID (a shell function would not be).
ip netns exec "$NS" python3 "$WORK/srv.py" "$WORK/srv.ready" & PIDS+=($!)
for i in $(seq 50); do [ -f "$WORK/srv.ready" ] && break; sleep 0.1; done
ip netns exec "$NS" python3 "$WORK/cli.py" "$WORK/cli.done" & PIDS+=($!)
for i in $(seq 100); do [ -f "$WORK/cli.done" ] && break; sleep 0.1; done
sleep 0.5

# Snapshot burst (no traffic in the namespace from here on).
nsx ss -ltn >ss-ltn.txt
nsx ss -ltnp >ss-ltnp.txt
nsx ss -ltnm >ss-ltnm.txt
nsx ss -ltan >ss-ltan.txt
nsx netstat -lnt >netstat-lnt.txt
nsx $ABS nstat -az >nstat-az.txt
nsx $ABS nstat -a >nstat-a.txt
nsx $ABS nstat -a --json >nstat-a-json.txt
nsx $DELTA nstat >nstat-delta.txt
nsx cat /proc/net/netstat /proc/net/snmp >proc-net.txt
nsx netstat -s >netstat-s.txt
nsx sysctl -a >sysctl-a.txt 2>&1 || true
nsx sh -c 'grep -r . /proc/sys/net/core /proc/sys/net/ipv4 2>&1' >proc-sys-grep.txt || true

# Time series: three blocks, one more queued connection on 127.0.0.1:9000 before each.
cat >"$WORK/one.py" <<'EOF'
import socket, time
s = socket.create_connection(("127.0.0.1", 9000))
time.sleep(3600)
EOF
: >ss-series-unix.txt
: >ss-series-date.txt
for i in 1 2 3; do
	ip netns exec "$NS" python3 "$WORK/one.py" & PIDS+=($!)
	sleep 0.3
	{ echo "# $(date +%s.%N)"; nsx ss -ltn; } >>ss-series-unix.txt
	{ date; nsx ss -ltn; } >>ss-series-date.txt
done
echo "captured on $(uname -r), $(ss -V), $(netstat -V 2>&1 | head -1)" >CAPTURED
