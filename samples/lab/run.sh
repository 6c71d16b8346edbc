#!/usr/bin/env bash
# samples/lab/run.sh — reproduce Linux listener drops on this machine's real
# kernel, inside throw-away network namespaces, and write one bundle per
# scenario into samples/<scenario>/ (layout: samples-layout.md).
#
#   sudo HALFOPEN_LAB=1 samples/lab/run.sh                 # all scenarios
#   sudo HALFOPEN_LAB=1 samples/lab/run.sh healthy last-quarter
#
# Needs: root, ip (iproute2), tcpdump, tshark, nstat, ss, iptables, ethtool,
# sysctl, awk, go. Creates only the namespaces hol-lab-srv and hol-lab-cli (veth
# hol-s0/hol-c0 inside them) and removes them on exit (also on failure or
# Ctrl-C); other hol-* namespaces on the machine belong to other work and are
# never touched. Set HOL_KEEP_WORK=1 to keep the temporary work directory
# (server/client logs) for debugging.
set -Eeuo pipefail

if [[ "${HALFOPEN_LAB:-}" != 1 ]]; then
	echo "run.sh: refusing to run: it creates network namespaces and iptables rules; set HALFOPEN_LAB=1 to confirm" >&2
	exit 2
fi
if [[ $(id -u) -ne 0 ]]; then
	echo "run.sh: refusing to run: must be root (network namespaces, iptables, tcpdump)" >&2
	exit 2
fi

LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SAMPLES=$(dirname "$LAB")
REPO=$(dirname "$SAMPLES")
ALL_SCENARIOS=(healthy accept-queue-full-syn accept-queue-full-ack accept-queue-full-rst
	syn-queue-full-nocookies syn-queue-full-cookies last-quarter timewait-paws
	firewall-drop ipv6-accept-queue-full mixed-listeners)

SRV=hol-lab-srv CLI=hol-lab-cli  # namespaces (other work may use other hol-* names: never touched)
SRV_IF=hol-s0 CLI_IF=hol-c0      # veth ends
S4=10.77.0.1 C4=10.77.0.2 S6=fd77::1 C6=fd77::2
FLOOD4=10.77.0.3 FRESH4=10.77.0.4

[[ -x /usr/local/go/bin/go ]] && PATH=$PATH:/usr/local/go/bin
for tool in ip tcpdump tshark nstat ss iptables ethtool sysctl awk go; do
	command -v "$tool" >/dev/null || { echo "run.sh: missing tool: $tool (apt-get install -y it; go lives in /usr/local/go/bin)" >&2; exit 2; }
done
if [[ $# -gt 0 ]]; then
	SCENARIOS=("$@")
	for s in "${SCENARIOS[@]}"; do
		[[ " ${ALL_SCENARIOS[*]} " == *" $s "* ]] || { echo "run.sh: unknown scenario $s (known: ${ALL_SCENARIOS[*]})" >&2; exit 2; }
	done
else
	SCENARIOS=("${ALL_SCENARIOS[@]}")
fi

exec 9>/run/lock/hol-lab.lock
flock -n 9 || { echo "run.sh: another run.sh is running (lock /run/lock/hol-lab.lock)" >&2; exit 2; }
# Leftovers of an earlier, killed run of this script (the lock says none is running).
for ns in "$SRV" "$CLI"; do
	ip netns list | awk '{print $1}' | grep -qx "$ns" && ip netns del "$ns"
done

WORK=$(mktemp -d /tmp/hol-lab.XXXXXX)
BG_PIDS=()       # every background process this script started

# kill_ours PID...: signal only processes that are still children of this
# script (a finished child's PID may have been reused by someone else).
kill_ours() {
	local pid ppid
	for pid in "$@"; do
		ppid=$(ps -o ppid= -p "$pid" 2>/dev/null || true)
		if [[ ${ppid// /} == "$$" ]]; then kill "$pid" 2>/dev/null || true; fi
	done
	return 0
}

cleanup() {
	local rc=$? pid ns
	trap - EXIT INT TERM
	kill_ours "${BG_PIDS[@]}"
	for pid in "${BG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	for ns in "$SRV" "$CLI"; do
		if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
			for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
			sleep 0.2
			for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
			ip netns del "$ns" 2>/dev/null || true
		fi
	done
	if [[ "${HOL_KEEP_WORK:-}" == 1 ]]; then echo "run.sh: work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "run.sh: command failed (rc $?) at line $LINENO: $BASH_COMMAND" >&2' ERR
trap 'echo "run.sh: interrupted by a signal" >&2; exit 130' INT TERM

log() { printf '[%s] %s\n' "$(date +%T.%3N)" "$*" >&2; }
srv() { ip netns exec "$SRV" "$@"; }
cli() { ip netns exec "$CLI" "$@"; }
# Client-side processes (labnet, iptables toggles) and the server are
# started with nsenter: ip netns exec also remounts /sys, slow on a busy machine.
ncli() { nsenter --net="/run/netns/$CLI" "$@"; }

log "building labnet"
(cd "$REPO" && go build -buildvcs=false -o "$WORK/labnet" ./samples/lab/labnet)
LABNET=$WORK/labnet

# ---------------------------------------------------------------- network --

# net_up [extra client IPv4 addresses...]
net_up() {
	local a
	ip netns add "$SRV"
	ip netns add "$CLI"
	for ns in "$SRV" "$CLI"; do
		ip -n "$ns" link set lo up
		# No IPv6 link-local address, DAD, router solicitations: keeps ICMPv6 out of the captures.
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.default.addr_gen_mode=1 net.ipv6.conf.default.router_solicitations=0 \
			net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.default.mldv2_unsolicited_report_interval=10 \
			net.ipv6.conf.default.mldv1_unsolicited_report_interval=10
	done
	ip link add "$SRV_IF" netns "$SRV" type veth peer name "$CLI_IF" netns "$CLI"
	ip -n "$SRV" addr add "$S4/24" dev "$SRV_IF"
	ip -n "$SRV" addr add "$S6/64" dev "$SRV_IF" nodad
	ip -n "$CLI" addr add "$C4/24" dev "$CLI_IF"
	ip -n "$CLI" addr add "$C6/64" dev "$CLI_IF" nodad
	for a in "$@"; do ip -n "$CLI" addr add "$a/24" dev "$CLI_IF"; done
	# Real checksums and real segment sizes in the capture (no veth offload).
	srv ethtool -K "$SRV_IF" tx off tso off gso off gro off >/dev/null 2>&1 || true
	cli ethtool -K "$CLI_IF" tx off tso off gso off gro off >/dev/null 2>&1 || true
	ip -n "$SRV" link set "$SRV_IF" up
	ip -n "$CLI" link set "$CLI_IF" up
	# Static neighbour entries: no ARP/ND in the captures.
	local smac cmac
	cmac=$(cli cat "/sys/class/net/$CLI_IF/address")
	smac=$(srv cat "/sys/class/net/$SRV_IF/address")
	ip -n "$CLI" neigh replace "$S4" lladdr "$smac" dev "$CLI_IF" nud permanent
	ip -n "$CLI" neigh replace "$S6" lladdr "$smac" dev "$CLI_IF" nud permanent
	for a in "$C4" "$C6" "$@"; do ip -n "$SRV" neigh replace "$a" lladdr "$cmac" dev "$SRV_IF" nud permanent; done
	EXTRA_ADDRS="$*"
	sleep 1.5 # let the MLD reports for the new IPv6 addresses pass before the capture starts
	SYSCTLS_SET=()
}

net_down() {
	local ns pid
	for ns in "$SRV" "$CLI"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
	done
	sleep 0.3
	for ns in "$SRV" "$CLI"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
}

# srv_sysctl key=value ...  (server namespace; recorded for the README)
srv_sysctl() {
	local kv
	for kv in "$@"; do
		srv sysctl -qw "$kv"
		SYSCTLS_SET+=("$kv")
	done
}

# ---------------------------------------------------------------- capture --

# start_tcpdump DIR: capture on the server veth; waits (up to 20 s: the
# machine may be busy) until tcpdump reports it is listening.
start_tcpdump() {
	local i rc
	TCPDUMP_ERR=$WORK/$SCENARIO-tcpdump.err
	: >"$TCPDUMP_ERR" # truncated here, not in the child: no stale "listening on"
	ip netns exec "$SRV" tcpdump -Z root -i "$SRV_IF" -n -U -w "$1/capture.pcap" 2>>"$TCPDUMP_ERR" &
	TCPDUMP_PID=$!
	BG_PIDS+=("$TCPDUMP_PID")
	for i in $(seq 200); do
		grep -q "listening on" "$TCPDUMP_ERR" 2>/dev/null && return 0
		if ! kill -0 "$TCPDUMP_PID" 2>/dev/null; then
			wait "$TCPDUMP_PID" && rc=0 || rc=$?
			log "tcpdump exited with status $rc: $(cat "$TCPDUMP_ERR")"
			return 1
		fi
		sleep 0.1
	done
	log "tcpdump still not listening after 20 s: $(cat "$TCPDUMP_ERR")"
	kill "$TCPDUMP_PID" 2>/dev/null || true
	return 1
}

# capture_start DIR: tcpdump, ss time series and the "before" snapshots.
capture_start() {
	local out=$1 i
	start_tcpdump "$out" || { log "tcpdump did not start, trying once more"; start_tcpdump "$out"; }
	rm -f "$WORK/stop-ss"
	ip netns exec "$SRV" bash -c 'while [ ! -e "$1" ]; do echo "# $(date +%s.%N)"; ss -ltn; sleep 0.1; done' ss-loop "$WORK/stop-ss" >"$out/ss.txt" &
	SS_PID=$!
	BG_PIDS+=("$SS_PID")
	srv sysctl -a >"$out/sysctl.txt" 2>/dev/null || true
	uname -r >"$out/uname.txt"
	{ echo "# $(date +%s.%N)"; srv env NSTAT_HISTORY="$WORK/nstat.hist" nstat -az; } >"$out/nstat-1-before.txt"
	CAPTURE_T0=$(date +%s.%N)
	DMESG_LINES=$(dmesg 2>/dev/null | wc -l || echo 0)
}

capture_stop() {
	local out=$1
	{ echo "# $(date +%s.%N)"; srv env NSTAT_HISTORY="$WORK/nstat.hist" nstat -az; } >"$out/nstat-2-after.txt"
	touch "$WORK/stop-ss"
	wait "$SS_PID" 2>/dev/null || true
	sleep 0.3 # let the last packets reach the file
	kill -INT "$TCPDUMP_PID" 2>/dev/null || true
	wait "$TCPDUMP_PID" 2>/dev/null || true
	cat "$TCPDUMP_ERR" >>"$WORK/$SCENARIO.log"
	# kernel log lines about our listeners (e.g. "Possible SYN flooding on port ...")
	dmesg 2>/dev/null | tail -n +"$((DMESG_LINES + 1))" | grep -E "10\.77\.0\.1|fd77::1" >"$WORK/dmesg-$SCENARIO.txt" || true
}

# ------------------------------------------------------------ processes --

# serve NAME labnet-serve-flags...   (background, server namespace)
serve() {
	local name=$1 i
	shift
	local slog=$WORK/$SCENARIO-serve-$name.log
	: >"$slog"
	nsenter --net="/run/netns/$SRV" "$LABNET" serve "$@" 2>>"$slog" &
	SERVE_PID[$name]=$!
	BG_PIDS+=("$!")
	for i in $(seq 200); do grep -q "listening on" "$slog" 2>/dev/null && return 0; sleep 0.1; done
	cat "$slog" >&2
	return 1
}

# client NAME labnet-connect-flags...   (foreground, client namespace)
client() {
	local name=$1
	shift
	log "  client $name: $*"
	ncli "$LABNET" connect --results "$OUT/client-results.tsv" "$@" 2>>"$WORK/$SCENARIO-client-$name.log"
}

# client_bg NAME labnet-connect-flags...   (background; pid in CLIENT_PID[NAME])
client_bg() {
	local name=$1
	shift
	log "  client $name (bg): $*"
	nsenter --net="/run/netns/$CLI" "$LABNET" connect --results "$OUT/client-results.tsv" "$@" 2>>"$WORK/$SCENARIO-client-$name.log" &
	CLIENT_PID[$name]=$!
	BG_PIDS+=("$!")
}

wait_clients() {
	local n
	for n in "$@"; do wait "${CLIENT_PID[$n]}" || true; done
}

signal_server() { # signal_server NAME SIGNAL
	log "  server $1: SIG$2"
	kill -s "$2" "${SERVE_PID[$1]}"
}

# Explicit sequencing (the machine may be busy, so fixed sleeps are not enough).
# wait_for synrecv|acceptq PORT N: wait (up to ~15 s) until the server has N
# requests in SYN_RECV on PORT / the listener on PORT has N connections in its
# accept queue. One nsenter and a bash loop over /proc/net/tcp{,6} (no process
# per check), so it reacts within ~20 ms even on a busy machine. The value seen
# is left in WAIT_VALUE; a miss is recorded in RUN_WARNINGS (README, notes).
wait_for() {
	WAIT_VALUE=$(nsenter --net="/run/netns/$SRV" bash -c '
		port=$(printf "%04X" "$2")
		for ((i = 0; i < 750; i++)); do
			n=0
			for f in /proc/net/tcp /proc/net/tcp6; do
				while read -r _ l _ st q _; do
					[[ ${l##*:} == "$port" ]] || continue
					if [[ $1 == synrecv && $st == 03 ]]; then n=$((n + 1)); fi
					if [[ $1 == acceptq && $st == 0A ]]; then n=$((16#${q##*:})); fi
				done <"$f"
			done
			((n >= $3)) && break
			sleep 0.02
		done
		echo "$n"' wait_for "$1" "$2" "$3")
	if ((WAIT_VALUE >= $3)); then
		log "  server: $1 on :$2 = $WAIT_VALUE"
	else
		log "WARNING: $1 on :$2 stayed at $WAIT_VALUE (< $3)"
		RUN_WARNINGS+="$1 on :$2 stayed at $WAIT_VALUE (expected >= $3): the sequencing may not have worked; "
	fi
}

# ----------------------------------------------------------- evaluation --

# nstat_delta NAME: after - before for one counter of the current bundle.
nstat_delta() {
	awk -v n="$1" 'FNR==1{f++} $1==n{v[f]=$2} END{print (v[2]+0)-(v[1]+0)}' \
		"$OUT/nstat-1-before.txt" "$OUT/nstat-2-after.txt"
}

# all_deltas: "name delta" for every Ip/Tcp/TcpExt counter that moved.
all_deltas() {
	awk 'FNR==1{f++} /^#/{next} {v[f,$1]=$2; names[$1]=1}
	     END{for (n in names) {d=v[2,n]-v[1,n]; if (d!=0 && n ~ /^(Tcp|TcpExt|Ip|IpExt|Ip6)/) print n, d}}' \
		"$OUT/nstat-1-before.txt" "$OUT/nstat-2-after.txt" | sort
}

# attempts: one line per handshake attempt (client 4-tuple + client ISN) seen
# in the capture, for the listeners in $LISTENERS. Fields (tab separated):
# listener client isn first_syn_rel n_syn syns_before_synack n_synack
# synacks_after_client_ack client_acked server_accepted server_rst_to_syn
# server_bare_ack_to_syn server_rst_after_ack outcome
# Counted straight from tshark fields; see the README for the rules.
attempts() {
	tshark -r "$OUT/capture.pcap" -Y tcp -T fields -E separator=/t \
		-e frame.time_epoch -e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport \
		-e tcp.flags -e tcp.seq_raw -e tcp.ack_raw -e tcp.len 2>/dev/null |
		awk -F'\t' -v listeners="${LISTENERS[*]}" -v t0="$CAPTURE_T0" '
		function hex(s,   i, c, v) { v = 0; s = tolower(s); sub(/^0x/, "", s)
			for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + c }
			return v }
		function bit(v, b) { return int(v / b) % 2 }
		function mod32(x) { x = x % 4294967296; if (x < 0) x += 4294967296; return x }
		BEGIN { n = split(listeners, L, " "); for (i = 1; i <= n; i++) isL[L[i]] = 1; na = 0 }
		{
			src = ($2 != "" ? $2 : "[" $3 "]") ":" $4
			dst = ($5 != "" ? $5 : "[" $6 "]") ":" $7
			f = hex($8); syn = bit(f, 2); rst = bit(f, 4); ack = bit(f, 16); fin = bit(f, 1)
			seq = $9 + 0; an = $10 + 0; len = $11 + 0
			if (dst in isL) {
				key = src ">" dst
				if (syn && !ack) {
					a = cur[key]
					if (a == "" || isn[a] != seq) {
						a = ++na; cur[key] = a; isn[a] = seq; lis[a] = dst; cl[a] = src
						t[a] = sprintf("%.3f", $1 - t0)
					}
					nsyn[a]++
					if (!nsa[a]) sbs[a]++
				} else if ((a = cur[key]) != "" && ack && !rst && nsa[a] && !cack[a]) {
					cack[a] = 1
				}
			} else if (src in isL) {
				key = dst ">" src
				if ((a = cur[key]) == "") next
				if (syn && ack) { nsa[a]++; if (cack[a]) saa[a]++ }
				else if (rst) {
					if (!nsa[a]) rsyn[a] = 1
					else if (cack[a] && !acc[a]) rack[a] = 1
				} else if (ack) {
					if (!nsa[a] && !cack[a]) back[a] = 1
					else if (cack[a]) {
						d = mod32(an - isn[a] - 1)
						if (len > 0 || fin || (d > 0 && d < 1073741824)) acc[a] = 1
					}
				}
			}
		}
		END {
			for (a = 1; a <= na; a++) {
				if (!nsa[a]) o = rsyn[a] ? "reset" : (back[a] ? "answered_with_ack" : "unanswered")
				else if (!cack[a]) o = "synack_unacked"
				else if (saa[a]) o = acc[a] ? "established_after_retry" : "ack_ignored"
				else if (rack[a]) o = "reset_after_ack"
				else if (sbs[a] > 1) o = "established_after_retry"
				else o = "established"
				printf "%s\t%s\t%.0f\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", lis[a], cl[a], isn[a], t[a],
					nsyn[a], sbs[a], nsa[a], saa[a], cack[a], acc[a], rsyn[a], back[a], rack[a], o
			}
		}'
}

# json_str: quote a string for JSON.
json_str() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\t'/ }
	s=${s//$'\n'/ }
	printf '"%s"' "$s"
}

# outcome_counts LISTENER [CLIENT-IP]: "outcome count" lines.
outcome_counts() {
	awk -F'\t' -v l="$1" -v ip="${2:-}" '$1==l { c=$2; sub(/:[0-9]+$/, "", c); gsub(/[][]/, "", c)
		if (ip == "" || c == ip) n[$14]++ } END { for (o in n) print o, n[o] }' "$ATTEMPTS" | sort
}

outcomes_json() { # outcomes_json LISTENER
	outcome_counts "$1" | awk 'BEGIN{printf "{"} {printf "%s\"%s\": %d", (NR>1?", ":""), $1, $2} END{printf "}"}'
}

counters_json() { # counters_json "Name Name ..."
	local n d first=1
	printf '{'
	for n in $1; do
		d=$(nstat_delta "$n")
		[[ $d == 0 ]] && continue
		[[ $first == 1 ]] || printf ', '
		printf '"%s": %s' "$n" "$d"
		first=0
	done
	printf '}'
}

# check_counters: evaluate $CHECKS ("Name op value"); prints failures.
check_counters() {
	local c name op want got ok
	for c in "${CHECKS[@]}"; do
		read -r name op want <<<"$c"
		got=$(nstat_delta "$name")
		case $op in
		'>') ((got > want)) && ok=1 || ok=0 ;;
		'=') ((got == want)) && ok=1 || ok=0 ;;
		'>=') ((got >= want)) && ok=1 || ok=0 ;;
		esac
		[[ $ok == 1 ]] || echo "counter check failed: $name delta $got, expected $op $want"
	done
}

finish_bundle() {
	local l first=1 f tmp
	# client results: header first, then by start time
	tmp=$WORK/cr.tsv
	{
		printf 'client\tserver\tresult\tconnect_ms\tstart_unix_ns\tnote\n'
		[[ -f $OUT/client-results.tsv ]] && sort -t$'\t' -k5,5n "$OUT/client-results.tsv"
	} >"$tmp"
	mv "$tmp" "$OUT/client-results.tsv"
	ATTEMPTS=$WORK/attempts-$SCENARIO.tsv
	attempts >"$ATTEMPTS"
	CHECK_FAILURES=$(check_counters)
	if [[ -n $CHECK_FAILURES ]]; then log "WARNING $SCENARIO: $CHECK_FAILURES"; fi

	{
		printf '{\n  "scenario": %s,\n  "kernel": %s,\n  "crafted": false,\n  "listeners": [\n' \
			"$(json_str "$SCENARIO")" "$(json_str "$(uname -r)")"
		for l in "${LISTENERS[@]}"; do
			[[ $first == 1 ]] || printf ',\n'
			first=0
			printf '    {"server": %s,\n     "branch": %s,\n     "outcomes": %s,\n     "counters": %s\n    }' \
				"$(json_str "$l")" "$(json_str "${BRANCH[$l]}")" "$(outcomes_json "$l")" "$(counters_json "${LCOUNTERS[$l]}")"
		done
		printf '\n  ],\n  "notes": %s\n}\n' "$(json_str "$(expected_notes)")"
	} >"$OUT/expected.json"
	write_readme >"$OUT/README.md"
	for f in capture.pcap client-results.tsv expected.json; do [[ -s $OUT/$f ]] || log "WARNING $SCENARIO: $f is empty"; done
	log "$SCENARIO: $(stat -c %s "$OUT/capture.pcap") bytes of capture, $(($(wc -l <"$OUT/client-results.tsv") - 1)) connects, $(wc -l <"$ATTEMPTS") attempts"
}

# expected_notes: the free-text notes of expected.json.
expected_notes() {
	local l ips ip
	printf '%s ' "$NOTES"
	printf 'Outcomes: one per handshake attempt (client ip:port + client ISN) in capture.pcap, counted from tshark fields (frame.time_epoch, ip/ipv6 src/dst, tcp ports, tcp.flags, tcp.seq_raw, tcp.ack_raw, tcp.len) and checked by hand against client-results.tsv: no SYN-ACK = unanswered (server RST instead = reset, server bare ACK instead = answered_with_ack); SYN-ACK but no client ACK = synack_unacked; server SYN-ACK after the client had ACKed = ack_ignored, or established_after_retry if the server later ACKed client data or sent data/FIN; server RST after the client ACK = reset_after_ack; first SYN-ACK only after a retransmitted SYN = established_after_retry; else established. '
	for l in "${LISTENERS[@]}"; do
		ips=$(awk -F'\t' -v l="$l" '$1==l {c=$2; sub(/:[0-9]+$/, "", c); gsub(/[][]/, "", c); print c}' "$ATTEMPTS" | sort -u)
		for ip in $ips; do
			printf 'By client address for %s from %s: %s. ' "$l" "$ip" "$(outcome_counts "$l" "$ip" | awk '{printf "%s%s %s", (NR>1?", ":""), $1, $2}')"
		done
	done
	printf 'Counters: nstat deltas (nstat-2-after minus nstat-1-before, server namespace, which only this scenario used).'
	[[ -z ${CHECK_FAILURES:-} ]] || printf ' WARNING: %s' "$CHECK_FAILURES"
	[[ -z ${RUN_WARNINGS:-} ]] || printf ' WARNING: %s' "$RUN_WARNINGS"
}

write_readme() {
	local l
	echo "# $SCENARIO"
	echo
	"about_${SCENARIO//-/_}"
	echo
	echo "## Setup"
	echo
	echo "- Kernel: \`$(uname -r)\` (real kernel; nothing in this bundle is crafted by hand except where the text above says a packet was built with \`labnet craft-syn\`)."
	echo "- Namespaces \`$SRV\` (server, $S4/24, $S6/64) and \`$CLI\` (client, $C4/24, $C6/64${EXTRA_ADDRS:+, extra }${EXTRA_ADDRS:-}) joined by a veth pair; capture taken in the server namespace on \`$SRV_IF\` (tx checksum/TSO/GSO offloads off on both ends, so checksums and segment sizes in the capture are real)."
	if [[ ${#SYSCTLS_SET[@]} -gt 0 ]]; then
		echo "- Server sysctls set (everything else is the fresh-namespace default, see sysctl.txt):"
		for l in "${SYSCTLS_SET[@]}"; do echo "  - \`$l\`"; done
	else
		echo "- Server sysctls: fresh-namespace defaults (see sysctl.txt)."
	fi
	echo
	echo "## What the client saw (client-results.tsv)"
	echo
	echo "| client address | server | result | count | connect_ms min–max |"
	echo "|---|---|---|---|---|"
	awk -F'\t' 'NR>1 { c=$1; sub(/:[0-9]+$/, "", c); k=c "|" $2 "|" $3; n[k]++
		if (!(k in mn) || $4+0 < mn[k]) mn[k]=$4+0; if ($4+0 > mx[k]) mx[k]=$4+0 }
		END { for (k in n) { split(k, p, "|"); printf "| %s | %s | %s | %d | %.0f–%.0f |\n", p[1], p[2], p[3], n[k], mn[k], mx[k] } }' \
		"$OUT/client-results.tsv" | sort
	echo
	echo "## Kernel counters that moved (server namespace, nstat after − before)"
	echo
	echo '```'
	all_deltas
	echo '```'
	if [[ -n ${CHECK_FAILURES:-} ]]; then
		echo
		echo "**Warning:** $CHECK_FAILURES"
	fi
	if [[ -n ${RUN_WARNINGS:-} ]]; then
		echo
		echo "**Warning:** $RUN_WARNINGS"
	fi
	if [[ -s $WORK/dmesg-$SCENARIO.txt ]]; then
		echo
		echo "Kernel log during the run (dmesg lines naming the server address; not part of the bundle):"
		echo
		echo '```'
		sed -E 's/^\[ *[0-9.]+\] //' "$WORK/dmesg-$SCENARIO.txt"
		echo '```'
	fi
	if declare -F "extra_${SCENARIO//-/_}" >/dev/null; then
		echo
		"extra_${SCENARIO//-/_}"
	fi
	echo
	echo "## Handshake attempts in capture.pcap (expected.json outcomes)"
	echo
	for l in "${LISTENERS[@]}"; do
		echo "- \`$l\` (branch \`${BRANCH[$l]:-none}\`): $(outcome_counts "$l" | awk '{printf "%s%s %s", (NR>1?", ":""), $1, $2}')"
	done
	echo
	echo "Per attempt (t = first SYN, seconds after the capture started; SYNs = client SYNs incl. retransmits;"
	echo "SYN-ACKs = server SYN-ACKs; after-ACK = SYN-ACKs sent after the client had ACKed):"
	echo
	echo "| listener | client | t | SYNs | SYN-ACKs | after-ACK | client ACKed | server RST | outcome |"
	echo "|---|---|---|---|---|---|---|---|---|"
	awk -F'\t' '{ r = ($11 ? "to SYN" : ($13 ? "after ACK" : "")); if ($12) r = "bare ACK to SYN"
		printf "| %s | %s | %s | %d | %d | %d | %s | %s | %s |\n", $1, $2, $4, $5, $7, $8, ($9 ? "yes" : "no"), r, $14 }' "$ATTEMPTS"
	echo
	echo "How the outcomes were counted: see \`notes\` in expected.json; every count was also checked by"
	echo "hand with \`tshark -r capture.pcap\` (per-port SYN / SYN-ACK / RST counts) and against client-results.tsv."
	echo
	echo "## Files"
	echo
	echo "capture.pcap ($(stat -c %s "$OUT/capture.pcap") bytes), client-results.tsv, expected.json, sysctl.txt, ss.txt (ss -ltn every 100 ms),"
	echo "nstat-1-before.txt, nstat-2-after.txt, uname.txt${EXTRA_FILES:+, }${EXTRA_FILES:-}."
	echo
	echo "## Regenerate"
	echo
	echo '```'
	echo "sudo HALFOPEN_LAB=1 samples/lab/run.sh $SCENARIO"
	echo '```'
	echo
	echo "Timing on a real kernel is noisy; the counts above are those of the run that produced this capture."
}

# pkt_table DISPLAY-FILTER: a readable packet list (for README extras).
pkt_table() {
	echo '```'
	echo "t(s)      source                 destination            flags    seq         ack         len  TSval       TSecr"
	tshark -r "$OUT/capture.pcap" -Y "$1" -T fields -E separator=/t -e frame.time_relative \
		-e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport -e tcp.flags \
		-e tcp.seq_raw -e tcp.ack_raw -e tcp.len -e tcp.options.timestamp.tsval -e tcp.options.timestamp.tsecr 2>/dev/null |
		awk -F'\t' '
		function hex(s,   i, v) { v = 0; s = tolower(s); sub(/^0x/, "", s)
			for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v }
		{ f = hex($8); n = ""
		  if (int(f / 2) % 2) n = n "S"; if (int(f / 16) % 2) n = n "A"; if (int(f / 8) % 2) n = n "P"
		  if (f % 2) n = n "F"; if (int(f / 4) % 2) n = n "R"
		  s = ($2 != "" ? $2 : "[" $3 "]") ":" $4; d = ($5 != "" ? $5 : "[" $6 "]") ":" $7
		  printf "%-9.3f %-22s %-22s %-8s %-11s %-11s %-4s %-11s %s\n", $1, s, d, n, $9, ($10 == "0" ? "-" : $10), $11, $12, $13 }'
	echo '```'
}

# ============================================================= scenarios ==
# Each sc_<name> sets LISTENERS, BRANCH, LCOUNTERS, CHECKS, NOTES and runs the
# traffic; about_<name> prints the README's description.

sc_healthy() {
	local L=$S4:8080
	LISTENERS=("$L") BRANCH[$L]="" LCOUNTERS[$L]="TcpPassiveOpens TcpExtListenOverflows TcpExtListenDrops"
	CHECKS=("TcpPassiveOpens = 20" "TcpExtListenDrops = 0" "TcpExtListenOverflows = 0")
	NOTES="Healthy baseline: 20 sequential connections from $C4, each sends a request and gets \"OK\" back; the client closes first."
	net_up
	capture_start "$OUT"
	serve app --addr "$L" --backlog 128 --reply
	client c --to "$L" --from-ip "$C4" --n 20 --stagger 100ms --send "GET /" --read-timeout 3s
	sleep 1
}
about_healthy() {
	cat <<'EOT'
Baseline: nothing goes wrong. A listener on 10.77.0.1:8080 (listen backlog 128) accepts at once and
answers every request with `OK`; the client (10.77.0.2) opens 20 connections one after the other
(100 ms apart), sends `GET /`, reads the answer and closes (client sends the first FIN).

What the kernel did: 20 passive opens, no listener counter moved. Nothing varies between runs except
timings and ports.
EOT
}


# ---------------------------------------------------- accept queue at SYN --

sc_accept_queue_full_syn() {
	local L=$S4:8080
	LISTENERS=("$L") BRANCH[$L]=accept_queue_full_syn
	LCOUNTERS[$L]="TcpExtListenOverflows TcpExtListenDrops TcpExtTCPReqQFullDrop TcpPassiveOpens"
	CHECKS=("TcpExtListenOverflows > 0" "TcpExtListenDrops > 0" "TcpExtTCPReqQFullDrop = 0")
	NOTES="Listen backlog 2 (accept queue holds 3); the app does not accept until SIGUSR2. Ports 40000-40002 fill the accept queue (established); ports 40100-40103 give up after 3.5 s (unanswered, SYN + 3 retransmits each, all dropped at SYN time); ports 40200-40202 keep retrying and get through once the app starts accepting (established_after_retry). ListenOverflows = ListenDrops = number of dropped SYNs incl. retransmits."
	net_up
	capture_start "$OUT"
	serve app --addr "$L" --backlog 2 --no-accept --reply
	client_bg fill --to "$L" --from-ip "$C4" --from-port 40000 --n 3 --parallel --stagger 200ms --send "GET /" --read-timeout 25s
	wait_for acceptq 8080 3
	client_bg giveup --to "$L" --from-ip "$C4" --from-port 40100 --n 4 --parallel --stagger 200ms --timeout 3.5s --send "GET /"
	sleep 0.5
	client_bg retry --to "$L" --from-ip "$C4" --from-port 40200 --n 3 --parallel --stagger 200ms --timeout 25s --send "GET /"
	wait_clients giveup
	sleep 0.5
	signal_server app USR2
	wait_clients fill retry
	sleep 1
}
about_accept_queue_full_syn() {
	cat <<'EOT'
B04 (accept queue full at SYN time). The listener on 10.77.0.1:8080 uses listen backlog **2**, so its
accept queue holds 3 connections (full when Recv-Q > Send-Q, i.e. 3 > 2); the application does not call
accept() at first.

1. t≈0: ports 40000–40002 connect (200 ms apart) — the handshakes complete and fill the accept queue
   (`ss` Recv-Q 3, Send-Q 2). They send `GET /` and wait for the answer.
2. As soon as `ss` shows the accept queue full (Recv-Q 3), ports 40100–40103 connect with a 3.5 s connect timeout: every SYN (first + retransmits at
   +1, +2, +3 s — linear SYN timeouts of 6.x) is dropped without reply: on 6.x the accept-queue check in
   tcp_conn_request is unconditional (`acceptq > backlog` ⇒ ListenOverflows++, ListenDrops++, drop).
3. 0.5 s later ports 40200–40202 connect with a 25 s timeout; their SYNs are dropped the same way until
   the application starts accepting (SIGUSR2 after group 2 gave up, ≈ t 5.5 s); the next SYN
   retransmission then gets a SYN-ACK (established_after_retry) and the request is answered.

What varies: how many SYN retransmissions of group 3 were dropped before the app started accepting
(so the exact ListenOverflows/ListenDrops total may differ by a few); the outcome counts do not.
EOT
}

# ---------------------------------------------------- accept queue at ACK --

# held_group_rule add|del: client-side rule that holds back everything but
# the SYN of ports 41000-41002 (their final ACK and data).
held_group_rule() {
	local op=-A
	[[ $1 == del ]] && op=-D
	log "  client iptables $op OUTPUT (hold ACK/data of ports 41000-41002)"
	ncli iptables "$op" OUTPUT -p tcp -s "$C4" --sport 41000:41002 -d "$S4" --dport 8080 ! --syn -j DROP
}

sc_accept_queue_full_ack() {
	local L=$S4:8080
	LISTENERS=("$L") BRANCH[$L]=accept_queue_full_ack
	LCOUNTERS[$L]="TcpExtListenOverflows TcpExtListenDrops TcpExtTCPReqQFullDrop TcpExtEmbryonicRsts TcpExtTCPSynRetrans TcpExtTCPTimeouts TcpPassiveOpens TcpOutRsts"
	CHECKS=("TcpExtListenOverflows > 0" "TcpExtListenDrops > 0" "TcpExtEmbryonicRsts = 0" "TcpExtTCPReqQFullDrop = 0")
	NOTES="tcp_abort_on_overflow=0, listen backlog 4 (accept queue holds 5), tcp_synack_retries=3 so an ignored request expires within the run. Ports 41000-41002: SYN answered while the queue had room, their ACK/data held back by a client-side iptables rule until ports 41100-41104 had filled the accept queue; every later ACK/data segment of 41000-41002 was dropped by the server (ListenOverflows+ListenDrops per segment) and the server kept retransmitting SYN-ACKs. After the app accepted 2 connections, two of them completed on their next data retransmission (established_after_retry, answered later); the third stayed ignored until its request expired and its next data segment got a RST (ack_ignored; client sees ECONNRESET). Ports 41100-41104: established."
	net_up
	srv_sysctl net.ipv4.tcp_abort_on_overflow=0 net.ipv4.tcp_synack_retries=3
	capture_start "$OUT"
	serve app --addr "$L" --backlog 4 --no-accept --accept-batch 2 --reply
	held_group_rule add
	client_bg held --to "$L" --from-ip "$C4" --from-port 41000 --n 3 --parallel --stagger 100ms --timeout 5s --send "GET /" --read-timeout 40s
	wait_for synrecv 8080 3
	client_bg fill --to "$L" --from-ip "$C4" --from-port 41100 --n 5 --parallel --stagger 20ms --send "GET /" --read-timeout 40s
	wait_for acceptq 8080 5
	held_group_rule del
	sleep 4.5
	signal_server app USR1 # two accept()s: frees two slots
	sleep 15
	signal_server app USR2 # accept the rest
	wait_clients held fill
	sleep 1
}
about_accept_queue_full_ack() {
	cat <<'EOT'
B07 (accept queue full when the handshake's final ACK arrives, `tcp_abort_on_overflow=0`).
Listener 10.77.0.1:8080, listen backlog **4** (accept queue holds 5), application not accepting.
`tcp_synack_retries=3` (instead of 5) so that an ignored request expires inside the run (SYN-ACK
retransmits at +1, +3, +7 s, request dropped at +15 s).

On 6.x a SYN is dropped as soon as the accept queue is full (B04), so the SYN must pass while there is
room and the ACK must arrive when there is none:

1. A client-side rule (`iptables -A OUTPUT ... --sport 41000:41002 ! --syn -j DROP` in the client namespace) holds
   back everything but the SYN of ports 41000–41002. They connect (t≈0, 0.1, 0.2 s): the server
   answers with SYN-ACK, the client thinks it is connected and sends `GET /`, which is held back.
2. Once the three requests are in SYN_RECV (ss), ports 41100–41104 connect and complete: the accept queue is now full (Recv-Q 5 > 4).
3. Once `ss` shows Recv-Q 5 (t≈0.45 s) the rule is removed. From now on each ACK/data segment of 41000–41002 reaches the server,
   `tcp_check_req` → `syn_recv_sock` finds the accept queue full ⇒ ListenOverflows++, ListenDrops++,
   segment dropped, request kept ("acked") — and the server keeps retransmitting SYN-ACKs, each
   answered by a client ACK.
4. t≈5 s: the app accepts 2 connections (SIGUSR1). The next data retransmission of two held ports
   completes their handshake (established_after_retry; their answer arrives when the app accepts the
   rest at t≈20 s).
5. The third held port keeps being ignored; its request expires at +15 s, and its next data
   retransmission (≈ +25 s) hits the listener with no request ⇒ server RST (client: ECONNRESET).

What varies: which two of the three held ports win the two free slots (the one whose data
retransmission comes first), and the exact number of dropped segments (ListenOverflows). On a busy
machine the rule is sometimes removed only after the first SYN-ACK retransmission (+1 s), so the
capture shows that retransmit before the first client ACK/data of some held ports; the later
retransmits (+3, +7 s) always follow a client ACK.
EOT
}

sc_accept_queue_full_rst() {
	local L=$S4:8080
	LISTENERS=("$L") BRANCH[$L]=accept_queue_full_rst
	LCOUNTERS[$L]="TcpExtListenOverflows TcpExtListenDrops TcpExtEmbryonicRsts TcpExtTCPReqQFullDrop TcpPassiveOpens TcpOutRsts"
	CHECKS=("TcpExtListenOverflows > 0" "TcpExtListenDrops > 0" "TcpExtEmbryonicRsts > 0")
	NOTES="tcp_abort_on_overflow=1, listen backlog 4 (accept queue holds 5). Ports 41000-41002: SYN answered while the queue had room, their ACK/data held back by a client-side iptables rule until ports 41100-41104 had filled the accept queue; the first ACK/data segment of each that reached the server got a RST (reset_after_ack; client sees ECONNRESET on read). Ports 41100-41104: established, answered once the app accepted."
	net_up
	srv_sysctl net.ipv4.tcp_abort_on_overflow=1
	capture_start "$OUT"
	serve app --addr "$L" --backlog 4 --no-accept --reply
	held_group_rule add
	client_bg held --to "$L" --from-ip "$C4" --from-port 41000 --n 3 --parallel --stagger 100ms --timeout 5s --send "GET /" --read-timeout 20s
	wait_for synrecv 8080 3
	client_bg fill --to "$L" --from-ip "$C4" --from-port 41100 --n 5 --parallel --stagger 20ms --send "GET /" --read-timeout 20s
	wait_for acceptq 8080 5
	held_group_rule del
	wait_clients held
	sleep 1
	signal_server app USR2
	wait_clients fill
	sleep 1
}
about_accept_queue_full_rst() {
	cat <<'EOT'
B08 (accept queue full when the final ACK arrives, `tcp_abort_on_overflow=1`). Same construction as
accept-queue-full-ack: listener 10.77.0.1:8080 with listen backlog **4**, app not accepting; the ACK
and request of ports 41000–41002 are held back by a client-side iptables rule (OUTPUT, `! --syn`) while
ports 41100–41104 complete and fill the accept queue; then the rule is removed.

The first held-back segment of each of 41000–41002 that reaches the server finds the accept queue
full: `tcp_check_req` goes to `embryonic_reset` ⇒ the server answers with a **RST**, removes the
request, ListenOverflows++, ListenDrops++, EmbryonicRsts++. The client had already reported the
connect() as successful and gets ECONNRESET on read. After that the app accepts and answers 41100–41104.

What varies: whether the first segment of a held port to reach the server is a data retransmission or
an ACK answering a SYN-ACK retransmission (the capture may show a SYN-ACK retransmit before it).
On an idle machine the rule is removed ≈0.45 s after the first SYN and the first segment is a data
retransmission (no SYN-ACK retransmit before it); when the machine is busy the removal can come after
the +1 s (or +3 s) SYN-ACK retransmission.
EOT
}

# -------------------------------------------------------- SYN queue full --

# flood_rule add|del: the flood address never sees the server's SYN-ACKs,
# so its handshakes stay half-open on the server.
flood_rule() {
	local op=-A
	[[ $1 == del ]] && op=-D
	log "  client iptables $op INPUT (drop SYN-ACKs to $FLOOD4)"
	ncli iptables "$op" INPUT -d "$FLOOD4" -p tcp --sport "$2" -j DROP
}

sc_syn_queue_full_nocookies() {
	local L=$S4:8080
	LISTENERS=("$L") BRANCH[$L]=syn_queue_full
	LCOUNTERS[$L]="TcpExtTCPReqQFullDrop TcpExtListenDrops TcpExtListenOverflows TcpExtTCPReqQFullDoCookies TcpExtSyncookiesSent TcpExtEmbryonicRsts TcpPassiveOpens"
	CHECKS=("TcpExtTCPReqQFullDrop > 0" "TcpExtListenDrops > 0" "TcpExtListenOverflows = 0" "TcpExtSyncookiesSent = 0")
	NOTES="tcp_syncookies=0, listen backlog 8: on 6.13+ the SYN queue holds backlog+1 = 9 requests. $FLOOD4 opens 9 handshakes whose SYN-ACKs are dropped in the client namespace (synack_unacked, SYN retransmitted until the client gives up after 8 s). Legitimate $C4 ports 40100-40103 (3.5 s timeout) get no SYN-ACK at all (unanswered); ports 40200-40202 (25 s timeout) get through after the flood stopped and its requests were reset (established_after_retry). TCPReqQFullDrop = ListenDrops = dropped legitimate SYNs incl. retransmits."
	net_up "$FLOOD4"
	srv_sysctl net.ipv4.tcp_syncookies=0
	capture_start "$OUT"
	serve app --addr "$L" --backlog 8 --reply
	flood_rule add 8080
	client_bg flood --to "$L" --from-ip "$FLOOD4" --from-port 50000 --n 9 --parallel --stagger 20ms --timeout 8s
	wait_for synrecv 8080 9
	SYNRECV_SEEN=$WAIT_VALUE
	client_bg giveup --to "$L" --from-ip "$C4" --from-port 40100 --n 4 --parallel --stagger 100ms --timeout 3.5s --send "GET /"
	sleep 0.5
	client_bg retry --to "$L" --from-ip "$C4" --from-port 40200 --n 3 --parallel --stagger 100ms --timeout 25s --send "GET /"
	wait_clients flood giveup
	flood_rule del 8080 # the flood's sockets are gone: the next SYN-ACK retransmits get a RST
	wait_clients retry
	sleep 1
}
about_syn_queue_full_nocookies() {
	cat <<'EOT'
B01 (SYN queue full, syncookies off). Listener 10.77.0.1:8080 with listen backlog **8**,
`tcp_syncookies=0`; the app accepts and answers normally. On 6.13+ the SYN queue is full when
`qlen > backlog`, i.e. it holds 9 requests.

1. t≈0: the flood address 10.77.0.3 (a second client address) opens 9 connections; the client
   namespace drops the SYN-ACKs sent to it (`iptables -A INPUT -d 10.77.0.3 -p tcp --sport 8080 -j DROP`),
   so these handshakes stay in SYN_RECV on the server (the flood client keeps retransmitting its SYNs;
   the server answers each retransmit and keeps retransmitting SYN-ACKs).
2. Once `ss` shows 9 requests in SYN_RECV, legitimate client 10.77.0.2 ports 40100–40103 (3.5 s timeout): SYN and three retransmits
   each dropped silently — TCPReqQFullDrop++ and ListenDrops++ per SYN, one "Possible SYN flooding on
   port 10.77.0.1:8080. Dropping request." log line in dmesg.
3. 0.5 s later ports 40200–40202 (25 s timeout) are dropped the same way at first.
4. t≈8.5 s: the flood client gives up (its sockets close) and the client-side rule is removed; the
   server's next SYN-ACK retransmits get a RST from the client kernel (EmbryonicRsts) and the queue
   empties; the next SYN retransmission of 40200–40202 is answered (established_after_retry).

What varies: the number of dropped retransmissions of group 3 (when exactly the flood requests
disappear), hence the exact TCPReqQFullDrop/ListenDrops totals.
EOT
}

sc_syn_queue_full_cookies() {
	local L=$S4:8080
	LISTENERS=("$L") BRANCH[$L]=syncookies
	LCOUNTERS[$L]="TcpExtSyncookiesSent TcpExtSyncookiesRecv TcpExtSyncookiesFailed TcpExtTCPReqQFullDoCookies TcpExtTCPReqQFullDrop TcpExtListenDrops TcpExtListenOverflows TcpExtEmbryonicRsts TcpPassiveOpens"
	CHECKS=("TcpExtSyncookiesSent > 0" "TcpExtSyncookiesRecv > 0" "TcpExtTCPReqQFullDoCookies > 0" "TcpExtTCPReqQFullDrop = 0")
	NOTES="tcp_syncookies=1, listen backlog 8 (SYN queue holds 9). $FLOOD4 holds 9 half-open handshakes (SYN-ACKs dropped in the client namespace: synack_unacked). Legitimate $C4 ports 40100-40104 are answered with cookie SYN-ACKs (SyncookiesSent), their ACK is validated (SyncookiesRecv) and they complete normally (established: the handshake itself needs no retry)."
	net_up "$FLOOD4"
	srv_sysctl net.ipv4.tcp_syncookies=1
	capture_start "$OUT"
	serve app --addr "$L" --backlog 8 --reply
	flood_rule add 8080
	client_bg flood --to "$L" --from-ip "$FLOOD4" --from-port 50000 --n 9 --parallel --stagger 20ms --timeout 6s
	wait_for synrecv 8080 9
	SYNRECV_SEEN=$WAIT_VALUE
	client legit --to "$L" --from-ip "$C4" --from-port 40100 --n 5 --stagger 200ms --timeout 5s --send "GET /"
	wait_clients flood
	flood_rule del 8080
	sleep 4
}
about_syn_queue_full_cookies() {
	cat <<'EOT'
B02 (SYN queue full, syncookies on). Same flood as syn-queue-full-nocookies (9 half-open handshakes
from 10.77.0.3 whose SYN-ACKs are dropped in the client namespace, listener backlog **8** ⇒ SYN queue
of 9 on 6.13+) but with `tcp_syncookies=1`.

The legitimate client 10.77.0.2 (ports 40100–40104, one after the other) is answered with **cookie
SYN-ACKs** (no request is stored: TCPReqQFullDoCookies++, SyncookiesSent++; one "Possible SYN flooding
on port 10.77.0.1:8080. Sending cookies." line in dmesg). The client's SYN carries a timestamp, so the
cookie SYN-ACK keeps SACK/window-scale/timestamp options (option bits encoded in the TSval). The final
ACK is validated as a cookie (SyncookiesRecv++) and the connection is created; request/answer work.
The flood's own SYN retransmits are answered from its stored requests (normal SYN-ACK retransmits).

What varies: nothing structural; SyncookiesSent may exceed 5 if a flood SYN retransmit finds a
request expired and the queue full.
EOT
}

# ----------------------------------------------------------- last quarter --

sc_last_quarter() {
	local L=$S4:8080
	LISTENERS=("$L") BRANCH[$L]=last_quarter
	LCOUNTERS[$L]="TcpExtListenDrops TcpExtTCPReqQFullDrop TcpExtListenOverflows TcpExtTCPReqQFullDoCookies TcpExtEmbryonicRsts TcpPassiveOpens"
	CHECKS=("TcpExtListenDrops > 0" "TcpExtTCPReqQFullDrop = 0" "TcpExtListenOverflows = 0")
	NOTES="tcp_syncookies=0, tcp_max_syn_backlog M=16, listen backlog 20 (SYN queue 21 > M-M/4 = 12). $FLOOD4 holds 13 half-open handshakes (qlen 13: the last-quarter rule drops unproven peers once M - qlen < M/4, i.e. qlen >= 13). $C4 completed a connection at the start of the capture (tcp_metrics RTT entry: proven) and its later connects are served (established); the fresh peer $FRESH4 is dropped (unanswered). Only ListenDrops moves (no TCPReqQFullDrop: the SYN queue is not full)."
	EXTRA_FILES="tcp_metrics.txt (ip tcp_metrics show in the server namespace after the proving connection and at the end)"
	net_up "$FLOOD4" "$FRESH4"
	srv_sysctl net.ipv4.tcp_syncookies=0 net.ipv4.tcp_max_syn_backlog=16
	capture_start "$OUT"
	serve app --addr "$L" --backlog 20 --reply
	client prove --to "$L" --from-ip "$C4" --n 1 --send "GET /"
	sleep 0.5
	{ echo "# $(date +%s.%N) after the proving connection from $C4"; srv ip tcp_metrics show; } >"$OUT/tcp_metrics.txt"
	flood_rule add 8080
	client_bg flood --to "$L" --from-ip "$FLOOD4" --from-port 50000 --n 13 --parallel --stagger 20ms --timeout 8s
	wait_for synrecv 8080 13
	SYNRECV_SEEN=$WAIT_VALUE
	client_bg fresh --to "$L" --from-ip "$FRESH4" --from-port 40100 --n 3 --parallel --stagger 100ms --timeout 3.5s --send "GET /"
	sleep 0.2
	client proven --to "$L" --from-ip "$C4" --from-port 40200 --n 3 --stagger 300ms --timeout 3.5s --send "GET /"
	wait_clients fresh flood
	flood_rule del 8080
	{ echo "# $(date +%s.%N) at the end"; srv ip tcp_metrics show; } >>"$OUT/tcp_metrics.txt"
	sleep 3
}
about_last_quarter() {
	cat <<'EOT'
B05 (the "last quarter" rule, syncookies off). `tcp_syncookies=0`, `tcp_max_syn_backlog` M = **16**
(no per-namespace minimum on 6.18: any value is accepted), listener 10.77.0.1:8080 with listen backlog
**20** (SYN queue holds 21, so the queue itself never fills here). tcp_conn_request drops a SYN from an
*unproven* peer when `M − qlen < M/4`, i.e. once 13 requests are pending; a peer is proven on 4.12+
when tcp_metrics holds an RTT for it (updated when a connection with it closed, valid 1 h).

1. t≈0: 10.77.0.2 opens one connection, request/answer, close ⇒ tcp_metrics entry (tcp_metrics.txt).
2. t≈0.5 s: the flood address 10.77.0.3 opens 13 connections whose SYN-ACKs are dropped in the
   client namespace: qlen reaches 13 (the 13th is the last one accepted: 16 − 12 = 4 is not < 4).
3. Once `ss` shows 13 requests in SYN_RECV, the fresh peer 10.77.0.4 (never seen) connects 3 times with a 3.5 s timeout: every SYN is
   dropped silently (ListenDrops only; the "drop open request" message is net_dbg, not in dmesg).
4. 0.2 s later the proven peer 10.77.0.2 connects 3 times (one after the other): served normally.
5. The flood gives up after 8 s; the rule is removed and the server's SYN-ACK retransmits are reset.

What varies: nothing structural. ListenDrops = 12 (3 fresh attempts × 4 SYNs) unless a flood SYN
retransmit also meets the rule after one of its requests expired (the flood keeps qlen at 13).
EOT
}

# ------------------------------------------------------- TIME-WAIT / PAWS --

sc_timewait_paws() {
	local L=$S4:8080 ts old
	LISTENERS=("$L") BRANCH[$L]=paws_timewait
	LCOUNTERS[$L]="TcpExtPAWSTimewait TcpExtPAWSEstab TcpExtTCPACKSkippedTimeWait TcpExtTW TcpExtTWRecycled TcpExtListenDrops TcpPassiveOpens TcpEstabResets"
	CHECKS=("TcpExtPAWSTimewait > 0" "TcpExtListenDrops = 0")
	EXTRA_FILES="timewait.txt (ss -tan state time-wait in the server namespace at each step)"
	net_up
	capture_start "$OUT"
	serve app --addr "$L" --backlog 128 --reply --close-first
	# Round 1: old TSval on the TIME-WAIT 4-tuple.
	client first --to "$L" --from-ip "$C4" --from-port 45000 --send "GET /" --await-eof --tsval
	sleep 0.5
	{ echo "# $(date +%s.%N) after the server closed 10.77.0.2:45000"; srv ss -tan state time-wait; } >"$OUT/timewait.txt"
	ts=$(awk -F'\t' '$1 ~ /:45000$/ && match($6, /tsval=[0-9]+/) {print substr($6, RSTART+6, RLENGTH-6)}' "$OUT/client-results.tsv" | tail -1)
	old=$(( (ts - 100000 + 4294967296) % 4294967296 ))
	log "  client's last TSval on 45000: $ts; crafted SYN uses $old"
	ncli "$LABNET" craft-syn --from "$C4:45000" --to "$L" --tsval "$old" --isn 1000000 2>>"$WORK/client-craft.log"
	sleep 0.5
	{ echo "# $(date +%s.%N) after the crafted SYN (TSval $old) and the client's RST"; srv ss -tan state time-wait; } >>"$OUT/timewait.txt"
	client again --to "$L" --from-ip "$C4" --from-port 45000 --send "GET /" --await-eof --tsval
	# Round 2: a real connect() on a fresh TIME-WAIT 4-tuple (newer TSval).
	client first2 --to "$L" --from-ip "$C4" --from-port 45001 --send "GET /" --await-eof
	sleep 0.5
	{ echo "# $(date +%s.%N) after the server closed 10.77.0.2:45001"; srv ss -tan state time-wait; } >>"$OUT/timewait.txt"
	client reuse2 --to "$L" --from-ip "$C4" --from-port 45001 --send "GET /" --await-eof
	sleep 0.5
	{ echo "# $(date +%s.%N) at the end"; srv ss -tan state time-wait; } >>"$OUT/timewait.txt"
	NOTES="The crafted SYN (labnet craft-syn through a raw socket in the client namespace, seq 1000000, TSval $old = the client's last TSval $ts minus 100000) is not a connect() and is not in client-results.tsv; it is the attempt 10.77.0.2:45000 with ISN 1000000 (answered_with_ack). The other attempts are real connect()s: 45000 first connection, 45000 again after the client kernel's RST killed the TIME-WAIT socket, 45001 first connection, 45001 reused while the server still held it in TIME-WAIT (newer TSval: accepted as a new incarnation)."
	sleep 1
}
about_timewait_paws() {
	cat <<'EOT'
B09 (SYN to a TIME-WAIT socket rejected by PAWS). Listener 10.77.0.1:8080 answers `OK` and then
**closes first** (active close: the server keeps the TIME-WAIT socket for the 4-tuple, timestamps on).

Round 1, port 45000:
1. 10.77.0.2:45000 connects, sends `GET /`, gets `OK` and the server's FIN; the client closes. The
   server now holds 10.77.0.1:8080 ↔ 10.77.0.2:45000 in TIME-WAIT (timewait.txt) with ts_recent = the
   client's last TSval (the client reads it with getsockopt TCP_TIMESTAMP, note `tsval=` in
   client-results.tsv).
2. A SYN on the same 4-tuple with an **older** TSval (last TSval − 100000) and ISN 1000000 is built with
   gopacket and sent through a raw socket in the client namespace (`labnet craft-syn`; this one packet
   is crafted, everything else is real kernel traffic). tcp_timewait_state_process: PAWS reject ⇒
   PAWSTimewait++ (6.16+; PAWSEstab on ≤6.15) and the server answers with a **bare ACK** carrying the old
   connection's sequence numbers (ack ≠ 1000001).
3. The client kernel has no socket for that 4-tuple and answers the ACK with a **RST** (seq = the ACK's
   ack number); that RST is in window for the TIME-WAIT socket and kills it (tcp_rfc1337=0).
4. A real connect() from 10.77.0.2:45000 then succeeds normally.

Round 2, port 45001: first connection as above (server closes first), then an immediate real
connect() from the same port: its TSval is newer than ts_recent (same 4-tuple ⇒ same TS offset), so
the TIME-WAIT socket accepts it as a new incarnation and the handshake completes on the first SYN.

Counters: PAWSTimewait 1 (the crafted SYN), no TCPACKSkippedTimeWait. TcpExtTW moved by 4 = the number of
connections the server closed first, although two of those sockets were still in TIME-WAIT when the
after-snapshot was taken: on this kernel the counter is incremented when a socket enters TIME-WAIT
(checked separately with one connection and nstat while `ss` still listed the socket), not only when
it "finished time wait" as the netstat wording says.

What varies: nothing structural (TSvals, ISNs, ports are fixed or derived).
EOT
}

# ------------------------------------------------------------- firewall --

sc_firewall_drop() {
	local L=$S4:8080
	LISTENERS=("$L") BRANCH[$L]=pre_tcp_drop
	LCOUNTERS[$L]="TcpExtListenDrops TcpExtListenOverflows TcpExtTCPReqQFullDrop TcpInErrs TcpPassiveOpens TcpOutRsts"
	CHECKS=("TcpExtListenDrops = 0" "TcpExtListenOverflows = 0" "TcpExtTCPReqQFullDrop = 0" "TcpPassiveOpens = 0" "TcpInSegs = 0")
	EXTRA_FILES="iptables.txt (iptables -L -v -n -x of the server namespace at the end: the DROP rule's packet counter)"
	NOTES="An iptables rule in the server namespace (INPUT, -p tcp --dport 8080 --syn -j DROP) drops every SYN before TCP sees it: SYNs (and retransmits) are in the capture, there is no reply, and no TCP counter moves (TcpInSegs stays 0, ListenDrops 0); only the rule's packet counter (iptables.txt) counts them. Branch: netfilter drop (B19) — the branch vocabulary has no netfilter entry, pre_tcp_drop is the closest."
	net_up
	capture_start "$OUT"
	serve app --addr "$L" --backlog 128 --reply
	srv iptables -A INPUT -p tcp --dport 8080 --syn -j DROP
	client c --to "$L" --from-ip "$C4" --from-port 40100 --n 5 --parallel --stagger 100ms --timeout 3.5s --send "GET /"
	srv iptables -L -v -n -x >"$OUT/iptables.txt"
	sleep 1
}
about_firewall_drop() {
	cat <<'EOT'
B19 (netfilter drop). The listener on 10.77.0.1:8080 is healthy, but the server namespace has
`iptables -A INPUT -p tcp --dport 8080 --syn -j DROP`. The client 10.77.0.2 (ports 40100–40104)
connects with a 3.5 s timeout: each SYN and its three retransmits are visible in the capture (the
AF_PACKET tap runs before netfilter) and get no answer. The SYNs never reach TCP, so no TCP counter
moves (TcpInSegs, ListenDrops, ListenOverflows, TCPReqQFullDrop all 0); the rule's packet counter
(iptables.txt) equals the number of SYNs in the capture.

Branch: the analyzer's vocabulary has no separate netfilter name; expected.json uses `pre_tcp_drop`.

What varies: nothing.
EOT
}

# ------------------------------------------------------------------ IPv6 --

sc_ipv6_accept_queue_full() {
	local L="[$S6]:8080"
	LISTENERS=("$L") BRANCH[$L]=accept_queue_full_syn
	LCOUNTERS[$L]="TcpExtListenOverflows TcpExtListenDrops TcpExtTCPReqQFullDrop TcpPassiveOpens"
	CHECKS=("TcpExtListenOverflows > 0" "TcpExtListenDrops > 0" "TcpExtTCPReqQFullDrop = 0")
	NOTES="IPv6 variant of accept-queue-full-syn: listen backlog 2 on [fd77::1]:8080 (accept queue holds 3), app not accepting at first. Ports 40000-40002 established; 40100-40101 give up after 3.5 s (unanswered); 40200-40201 get through after the app starts accepting (established_after_retry)."
	net_up
	capture_start "$OUT"
	serve app --addr "$L" --backlog 2 --no-accept --reply
	client_bg fill --to "$L" --from-ip "$C6" --from-port 40000 --n 3 --parallel --stagger 200ms --send "GET /" --read-timeout 25s
	wait_for acceptq 8080 3
	client_bg giveup --to "$L" --from-ip "$C6" --from-port 40100 --n 2 --parallel --stagger 200ms --timeout 3.5s --send "GET /"
	sleep 0.5
	client_bg retry --to "$L" --from-ip "$C6" --from-port 40200 --n 2 --parallel --stagger 200ms --timeout 25s --send "GET /"
	wait_clients giveup
	sleep 0.5
	signal_server app USR2
	wait_clients fill retry
	sleep 1
}
about_ipv6_accept_queue_full() {
	cat <<'EOT'
B04 over IPv6. Listener [fd77::1]:8080 with listen backlog **2** (accept queue holds 3), application
not accepting at first; client fd77::2.

1. Ports 40000–40002 connect and fill the accept queue (established; answered later).
2. Ports 40100–40101 connect with a 3.5 s timeout: SYN + 3 retransmits each dropped
   (ListenOverflows, ListenDrops — the TCP MIB counters are shared by IPv4 and IPv6).
3. Ports 40200–40201 (25 s timeout) are dropped until the app starts accepting (SIGUSR2 at ≈ t 5.5 s),
   then the next SYN retransmission is answered (established_after_retry).

What varies: the number of dropped retransmissions of group 3 (exact counter totals).
EOT
}

# ------------------------------------------------------- mixed listeners --

sc_mixed_listeners() {
	local A=$S4:8080 H=$S4:8081 C=$S4:8082
	LISTENERS=("$A" "$H" "$C")
	BRANCH[$A]=accept_queue_full_syn BRANCH[$H]="" BRANCH[$C]=closed_port
	LCOUNTERS[$A]="TcpExtListenOverflows TcpExtListenDrops"
	LCOUNTERS[$H]=""
	LCOUNTERS[$C]="TcpOutRsts"
	CHECKS=("TcpExtListenOverflows > 0" "TcpExtListenDrops > 0" "TcpOutRsts >= 3")
	NOTES="One capture, three ports. :8080 listen backlog 2, app never accepts until the end (accept queue full): ports 40000-40002 established, 40100-40102 unanswered (3.5 s timeout). :8081 healthy (backlog 128, answers): 5 established. :8082 nothing listens: 3 SYNs answered by RST (reset; client ECONNREFUSED). ListenOverflows/ListenDrops belong to :8080 only (nstat counters are per namespace, not per listener; ss.txt shows :8080 Recv-Q 3 > Send-Q 2). TcpOutRsts counts the 3 RSTs from :8082 (no other RST was sent)."
	net_up
	capture_start "$OUT"
	serve full --addr "$A" --backlog 2 --no-accept --reply
	serve ok --addr "$H" --backlog 128 --reply
	client_bg fill --to "$A" --from-ip "$C4" --from-port 40000 --n 3 --parallel --stagger 100ms --send "GET /" --read-timeout 15s
	wait_for acceptq 8080 3
	client_bg giveup --to "$A" --from-ip "$C4" --from-port 40100 --n 3 --parallel --stagger 200ms --timeout 3.5s --send "GET /"
	client healthy --to "$H" --from-ip "$C4" --from-port 40300 --n 5 --stagger 200ms --send "GET /"
	client closed --to "$C" --from-ip "$C4" --from-port 40400 --n 3 --stagger 200ms --timeout 3.5s
	wait_clients giveup
	signal_server full USR2
	wait_clients fill
	sleep 1
}
about_mixed_listeners() {
	cat <<'EOT'
Three ports in one capture, server 10.77.0.1, client 10.77.0.2:

- **:8080 — accept queue full (B04).** Listen backlog 2, the application does not accept until the end.
  Ports 40000–40002 complete and fill the accept queue; ports 40100–40102 (3.5 s timeout) get no
  SYN-ACK (SYN + 3 retransmits each dropped; ListenOverflows/ListenDrops). The app accepts at the
  end and answers 40000–40002.
- **:8081 — healthy.** Backlog 128, answers at once; ports 40300–40304 request/answer.
- **:8082 — closed port.** Nothing listens; each SYN (ports 40400–40402) is answered with a RST
  (client: ECONNREFUSED, no SYN retransmission).

The nstat counters are per namespace: ListenOverflows/ListenDrops come from :8080 only.

What varies: nothing structural.
EOT
}
# --------------------------------------------------------- README extras --

extra_accept_queue_full_ack() {
	echo "Packets of the held-back ports 41000–41002 (flags: S SYN, A ACK, P PSH, F FIN, R RST):"
	echo
	pkt_table "tcp.port in {41000..41002}"
}
extra_accept_queue_full_rst() {
	echo "Packets of the held-back ports 41000–41002 (flags: S SYN, A ACK, P PSH, F FIN, R RST):"
	echo
	pkt_table "tcp.port in {41000..41002}"
}
extra_syn_queue_full_nocookies() {
	echo "SYN_RECV requests on :8080 measured with \`ss -tn state syn-recv\` in the server namespace just"
	echo "before the legitimate client started: **$SYNRECV_SEEN** (listen backlog 8 ⇒ 6.13+ capacity 9)."
	echo
	echo "Packets of one legitimate attempt that gave up (port 40100) and one that got through (40200):"
	echo
	pkt_table "tcp.port == 40100 || tcp.port == 40200"
}
extra_syn_queue_full_cookies() {
	echo "SYN_RECV requests on :8080 measured with \`ss -tn state syn-recv\` just before the legitimate"
	echo "client started: **$SYNRECV_SEEN**. A stored-request SYN-ACK (flood port 50000) and a cookie SYN-ACK"
	echo "(port 40100) look alike here: the client's SYN carried a timestamp, so the cookie SYN-ACK keeps"
	echo "MSS/SACK/TS/window-scale (the option bits are encoded in its TSval, hidden by the TS offset);"
	echo "the difference is that a cookie SYN-ACK is never retransmitted."
	echo
	pkt_table "(tcp.port == 50000 && tcp.flags.syn == 1 && frame.time_relative < 1) || tcp.port == 40100"
}
extra_last_quarter() {
	echo "SYN_RECV requests on :8080 measured with \`ss -tn state syn-recv\` after the flood, before the"
	echo "fresh peer connected: **$SYNRECV_SEEN** (M − M/4 = 12 ⇒ the 13th request is the last accepted)."
	echo
	echo "tcp_metrics.txt (the proven peer):"
	echo
	echo '```'
	cat "$OUT/tcp_metrics.txt"
	echo '```'
}
extra_timewait_paws() {
	echo "Exactly what happened (all packets of the capture; the crafted SYN is the one with seq 1000000):"
	echo
	pkt_table "tcp"
	echo
	echo "Reading it: the crafted SYN's TSval is older than the TIME-WAIT socket's ts_recent (the TSecr of"
	echo "the server's reply), so the server answers with a bare ACK carrying the old connection's"
	echo "seq/ack (ack ≠ 1000001); the client kernel answers that ACK with a RST whose seq equals the ACK's"
	echo "ack number, which kills the TIME-WAIT socket (timewait.txt shows it gone); the next real"
	echo "connect() from port 45000 is an ordinary new connection. On port 45001 the immediate reuse is"
	echo "accepted by the TIME-WAIT socket itself: the server's ISN of the new incarnation is the old"
	echo "connection's final snd_nxt + 65537 (snd_nxt + 65535 + 2, tcp_timewait_state_process)."
	echo "TSvals differ between ports 45000 and 45001 by far more than elapsed time: on this kernel the"
	echo "client's TS offset is per 4-tuple."
	echo
	echo "timewait.txt:"
	echo
	echo '```'
	cat "$OUT/timewait.txt"
	echo '```'
}

# ------------------------------------------------------ samples/README.md --

declare -A SUMMARY=(
	[healthy]="accepted and answered all 20 connections"
	[accept-queue-full-syn]="dropped SYNs silently while the accept queue was full (acceptq 3 > backlog 2); retransmitted SYNs got through once the app accepted"
	[accept-queue-full-ack]="answered the SYN, then dropped the client's ACK/data because the accept queue had filled meanwhile, kept retransmitting SYN-ACKs; 2 recovered after accept(), 1 expired and got a RST"
	[accept-queue-full-rst]="as accept-queue-full-ack but with tcp_abort_on_overflow=1: RST in reply to the client's ACK/data"
	[syn-queue-full-nocookies]="SYN queue full (9 half-open = backlog 8 + 1), syncookies off: legitimate SYNs dropped silently; got through after the flood ended"
	[syn-queue-full-cookies]="SYN queue full, syncookies on: legitimate SYNs answered with cookie SYN-ACKs and connected"
	[last-quarter]="13 half-open requests with tcp_max_syn_backlog 16: SYNs from a fresh peer dropped, a peer in tcp_metrics served"
	[timewait-paws]="SYN with an old TSval on a server TIME-WAIT 4-tuple answered with a bare ACK (PAWS), client RST, retry succeeded; a newer-TSval SYN reused TIME-WAIT directly"
	[firewall-drop]="nothing — iptables INPUT DROP ate the SYNs before TCP; no TCP counter moved"
	[ipv6-accept-queue-full]="accept-queue-full-syn over IPv6"
	[mixed-listeners]=":8080 accept queue full (SYNs dropped), :8081 healthy, :8082 closed (RST)"
)
declare -A BRANCH_ID=(
	[healthy]="—" [accept-queue-full-syn]="B04 accept_queue_full_syn" [accept-queue-full-ack]="B07 accept_queue_full_ack"
	[accept-queue-full-rst]="B08 accept_queue_full_rst" [syn-queue-full-nocookies]="B01 syn_queue_full"
	[syn-queue-full-cookies]="B02 syncookies" [last-quarter]="B05 last_quarter" [timewait-paws]="B09 paws_timewait"
	[firewall-drop]="B19 (pre_tcp_drop)" [ipv6-accept-queue-full]="B04 accept_queue_full_syn"
	[mixed-listeners]="B04 accept_queue_full_syn / — / closed_port"
)

write_index() {
	local s f counters size
	{
		echo "# samples — real-kernel captures of listener drops"
		echo
		echo "Each directory is a bundle (layout: the samples-layout contract): capture.pcap taken on the server,"
		echo "sysctl.txt, ss.txt, nstat-1-before.txt / nstat-2-after.txt, uname.txt, client-results.tsv,"
		echo "expected.json and a README.md. All were produced by \`samples/lab/run.sh\` on Linux"
		echo "\`$(uname -r)\` inside network namespaces: real kernel behaviour, nothing synthesised"
		echo "(timewait-paws injects one hand-built SYN through a raw socket; every kernel reaction is real)."
		echo
		echo "| scenario | what the kernel did | branch | counters that moved (expected.json) | crafted? | capture | regenerate |"
		echo "|---|---|---|---|---|---|---|"
		for s in "${ALL_SCENARIOS[@]}"; do
			f=$SAMPLES/$s/expected.json
			[[ -f $f ]] || continue
			counters=$(awk -F'"counters": ' 'NF > 1 { c = $2; gsub(/[{}"]/, "", c); gsub(/TcpExt/, "", c); if (c != "") out = out (out != "" ? "; " : "") c }
				END { print (out == "" ? "none" : out) }' "$f")
			size=$(stat -c %s "$SAMPLES/$s/capture.pcap")
			echo "| [$s]($s/) | ${SUMMARY[$s]} | ${BRANCH_ID[$s]} | $counters | no (real) | $((size / 1024)) KiB | \`sudo HALFOPEN_LAB=1 samples/lab/run.sh $s\` |"
		done
		echo
		echo "Lab: \`samples/lab/run.sh\` (bash; needs root and HALFOPEN_LAB=1) builds \`samples/lab/labnet\`"
		echo "(Go: \`serve\` with an exact listen backlog, \`connect\` writing client-results.tsv, \`craft-syn\`)."
		echo "Timing on a real kernel is noisy: outcome counts are stable between runs, exact drop/retransmit"
		echo "counter totals may differ by a few; each README says what varies."
	} >"$SAMPLES/README.md"
}

# ------------------------------------------------------------------ main --

declare -A SERVE_PID CLIENT_PID BRANCH LCOUNTERS
for SCENARIO in "${SCENARIOS[@]}"; do
	OUT=$SAMPLES/$SCENARIO
	log "=== $SCENARIO"
	rm -rf "$OUT"
	mkdir -p "$OUT"
	: >"$WORK/$SCENARIO.log"
	LISTENERS=() CHECKS=() NOTES="" EXTRA_ADDRS="" EXTRA_FILES="" RUN_WARNINGS=""
	SERVE_PID=() CLIENT_PID=() BRANCH=() LCOUNTERS=()
	start=$(date +%s)
	"sc_${SCENARIO//-/_}"
	capture_stop "$OUT"
	net_down
	finish_bundle
	log "$SCENARIO took $(($(date +%s) - start)) s"
done
write_index
