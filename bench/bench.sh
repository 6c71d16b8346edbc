#!/usr/bin/env bash
# bench.sh — halfopen's performance table (issue 6): generates captures
# into bench/out/, builds halfopen and the reference programs, and times
# each tool side by side on the same files, on this machine, in one run.
#
#   bench/bench.sh [--quick] [--skip-slow] [--runs N] [--reuse] [--wait-quiet S]
#
#   --quick      small presets (mixed-small, flood-small), one run each,
#                no tshark on files over 50 MB
#   --skip-slow  skip tshark and tcptrace
#   --runs N     timed runs of each fast tool (default 5; hyperfine when
#                installed, else a loop); tshark and tcptrace run once
#   --reuse      keep captures already in bench/out (same presets) instead of
#                generating them again
#   --wait-quiet S  before each measurement, wait up to S seconds for other
#                processes to leave the CPUs (< 10% busy); default 0
#
# Wall time is hyperfine's median (or the single run's); peak RSS comes
# from one more run under /usr/bin/time -v. Every run is capped at 600 s.
# The table goes to standard output and bench/out/results.md; the tools'
# outputs to bench/out/logs/. The generated captures are large: delete
# bench/out/*.pcap* when done (results.md is kept).
set -euo pipefail

QUICK=0 SKIP_SLOW=0 RUNS=5 CAP=600 WAIT_QUIET=0 REUSE=0
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1; RUNS=1 ;;
    --skip-slow) SKIP_SLOW=1 ;;
    --runs) RUNS=$2; shift ;;
    --wait-quiet) WAIT_QUIET=$2; shift ;;
    --reuse) REUSE=1 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

cd "$(dirname "$0")/.."
OUT=bench/out
BIN=$OUT/bin
LOGS=$OUT/logs
mkdir -p "$BIN" "$LOGS"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
: >"$OUT/results.tsv"

have() { command -v "$1" >/dev/null 2>&1; }
say() { printf '%s\n' "$*" >&2; }

# ---- tools ----
need_pkgs=()
[ -x /usr/bin/time ] || need_pkgs+=(time)
have hyperfine || need_pkgs+=(hyperfine)
have jq || need_pkgs+=(jq)
if [ ${#need_pkgs[@]} -gt 0 ] && have apt-get && [ "$(id -u)" = 0 ]; then
  say "installing ${need_pkgs[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null 2>&1; } || true
fi
[ -x /usr/bin/time ] || { say "bench.sh: /usr/bin/time (GNU time) is required"; exit 1; }
have jq || { say "bench.sh: jq is required"; exit 1; }

say "building halfopen, gen, floor"
go build -o "$BIN/halfopen" ./cmd/halfopen
go build -o "$BIN/gen" ./bench/gen
go build -o "$BIN/floor" ./bench/floor

# ---- captures ----
MIX=mixed FLOOD=flood
if [ $QUICK = 1 ]; then MIX=mixed-small FLOOD=flood-small; fi
gen() { # gen FILE ARGS...
  local f=$1; shift
  if [ $REUSE = 1 ] && [ -s "$OUT/$f" ] && [ -s "$OUT/$f.expected.json" ] && [ "$(cat "$OUT/$f.args" 2>/dev/null)" = "$*" ]; then
    return
  fi
  say "generating $f"
  "$BIN/gen" -o "$OUT/$f" "$@" 2>>"$LOGS/gen.log"
  echo "$*" >"$OUT/$f.args"
}
gen mixed.pcap --preset $MIX
gen mixed.pcapng --preset $MIX --format pcapng
gen mixed.pcap.gz --preset $MIX --compress gzip
gen mixed.pcap.zst --preset $MIX --compress zstd
gen flood-25.pcap --preset $FLOOD --scale 0.25
gen flood-50.pcap --preset $FLOOD --scale 0.5
gen flood.pcap --preset $FLOOD
sync # let the writes settle before timing anything

# files.tsv: file, packets, uncompressed capture bytes, bytes on disk
: >"$OUT/files.tsv"
for f in mixed.pcap mixed.pcapng mixed.pcap.gz mixed.pcap.zst flood-25.pcap flood-50.pcap flood.pcap; do
  jq -r --arg f "$f" '[$f, .packets, .capture_bytes, .file_bytes] | @tsv' "$OUT/$f.expected.json" >>"$OUT/files.tsv"
done

# ---- measuring ----
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

# busy prints how much of the machine's CPU time (percent) was used during
# one second; nothing of ours runs meanwhile, so it is other processes' share.
busy() {
  local a b i total=0 idle
  read -ra a </proc/stat
  sleep 1
  read -ra b </proc/stat
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  idle=$((b[4] + b[5] - a[4] - a[5]))
  echo $((total > 0 ? 100 * (total - idle) / total : 0))
}

# measure TOOL FILE RUNS CMD: times CMD (a shell command line) and records
# TOOL, FILE, wall seconds, peak RSS (KiB), runs, a note and the share of
# the CPUs other processes used just before, in results.tsv.
measure() {
  local tool=$1 file=$2 runs=$3 cmd=$4 wall="" note="" rc=0 t0 t1 rss others waited=0
  local log="$LOGS/$tool@$file"
  printf '  %-16s %-16s ' "$tool" "$file" >&2
  cat "$OUT/$file" >/dev/null # into the page cache (idle pages get reclaimed here)
  others=$(busy)
  while [ "$others" -ge 10 ] && [ $waited -lt "$WAIT_QUIET" ]; do
    sleep 4
    waited=$((waited + 5))
    others=$(busy)
  done
  if [ "$runs" -gt 1 ] && have hyperfine; then
    local shell=(-N)
    [[ $cmd == *[\|\>]* ]] && shell=()
    if hyperfine "${shell[@]}" --style none --warmup 1 --runs "$runs" --export-json "$TMP/h.json" \
        "$cmd" >"$log.hyperfine" 2>&1; then
      wall=$(jq '.results[0].median' "$TMP/h.json")
    else
      note="hyperfine failed"
    fi
  elif [ "$runs" -gt 1 ]; then
    bash -c "$cmd" >/dev/null 2>&1 || true # warm-up
    for _ in $(seq "$runs"); do
      t0=$(date +%s%N)
      timeout $CAP bash -c "$cmd" >/dev/null 2>&1 || true
      t1=$(date +%s%N)
      echo "($t1 - $t0) / 1000000000" | bc -l
    done | median >"$TMP/wall"
    wall=$(cat "$TMP/wall")
  fi
  # One run under GNU time for the peak RSS (the wall time too when it is the only run).
  t0=$(date +%s%N)
  /usr/bin/time -v -o "$TMP/time.txt" timeout $CAP bash -c "$cmd" >"$log.out" 2>"$log.err" || rc=$?
  t1=$(date +%s%N)
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$TMP/time.txt" 2>/dev/null || true)
  if [ -z "$wall" ]; then wall=$(echo "($t1 - $t0) / 1000000000" | bc -l); fi
  case $rc in
    0) ;;
    124) note="timed out after ${CAP}s"; wall=$CAP; rss=0 ;;
    *) note="${note:+$note; }exit $rc" ;;
  esac
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$file" "$wall" "${rss:-0}" "$runs" "$note" "$others" >>"$OUT/results.tsv"
  printf '%8.3f s %8d KiB  others %3d%% %s\n' "$wall" "${rss:-0}" "$others" "$note" >&2
}

slow_ok() { # slow_ok FILE: run tshark/tcptrace on FILE?
  [ $SKIP_SLOW = 0 ] || return 1
  [ $QUICK = 1 ] && [ "$(stat -c %s "$OUT/$1")" -gt 50000000 ] && return 1
  return 0
}
SLOW_RUNS=$(( RUNS < 3 ? RUNS : 3 ))

H="$BIN/halfopen analyze"
references() { # the floor programs on a classic pcap file
  local f=$1
  measure floor "$f" "$RUNS" "$BIN/floor $OUT/$f"
  measure pcapgo "$f" "$RUNS" "$BIN/floor --mode pcapgo $OUT/$f"
  measure dlp "$f" "$RUNS" "$BIN/floor --mode dlp $OUT/$f"
  measure newpacket "$f" "$SLOW_RUNS" "$BIN/floor --mode newpacket $OUT/$f"
  measure flows "$f" "$RUNS" "$BIN/floor --mode flows $OUT/$f"
}
halfopen() { # halfopen analyze, JSON and text; the RSS run's JSON is kept to check the counts
  local f=$1
  measure halfopen-json "$f" "$RUNS" "$H --format json -o /dev/null $OUT/$f"
  $H --format json -o "$OUT/logs/report@$f.json" "$OUT/$f"
  measure halfopen-text "$f" "$RUNS" "$H -o /dev/null $OUT/$f"
}
classic() { # tcpdump, tcptrace, tshark
  local f=$1 runs=$SLOW_RUNS
  # tcpdump keeps every connection in a small fixed hash table for relative
  # sequence numbers: on a flood's million connections it crawls, so once.
  [[ $f == flood* ]] && runs=1
  measure tcpdump "$f" "$runs" "tcpdump -nr $OUT/$f 'tcp[tcpflags] & tcp-syn != 0' 2>/dev/null | wc -l"
  if slow_ok "$f"; then
    measure tcptrace "$f" 1 "tcptrace -n $OUT/$f >/dev/null"
    measure tshark "$f" 1 "tshark -r $OUT/$f -Y 'tcp.flags.syn==1 && tcp.flags.ack==0' -T fields -e frame.number 2>/dev/null | wc -l"
  fi
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
say "measuring (runs: $RUNS; load average $LOAD_BEFORE)"
references mixed.pcap
halfopen mixed.pcap
classic mixed.pcap
halfopen mixed.pcapng
for z in mixed.pcap.gz mixed.pcap.zst; do
  measure decompress "$z" "$RUNS" "$BIN/floor --mode decompress $OUT/$z"
  halfopen "$z"
done
references flood.pcap
halfopen flood.pcap
classic flood.pcap
for f in flood-25.pcap flood-50.pcap; do
  measure floor "$f" "$RUNS" "$BIN/floor $OUT/$f"
  measure flows "$f" "$RUNS" "$BIN/floor --mode flows $OUT/$f"
  measure halfopen-json "$f" "$RUNS" "$H --format json -o /dev/null $OUT/$f"
  $H --format json -o "$OUT/logs/report@$f.json" "$OUT/$f"
  if slow_ok "$f"; then
    measure tcptrace "$f" 1 "tcptrace -n $OUT/$f >/dev/null"
    measure tshark "$f" 1 "tshark -r $OUT/$f -Y 'tcp.flags.syn==1 && tcp.flags.ack==0' -T fields -e frame.number 2>/dev/null | wc -l"
  fi
done

# ---- do halfopen's counts match what the generator built? ----
CHECKS=$TMP/checks
: >"$CHECKS"
for r in "$OUT"/logs/report@*.json; do
  f=${r##*/report@}; f=${f%.json}
  if diff <(jq -S '{packets, syn, synack, rst, attempts, listeners, outcomes}' "$OUT/$f.expected.json") \
          <(jq -S '{packets: .captures[0].packets, syn: .captures[0].syn, synack: .captures[0].synack, rst: .captures[0].rst,
                   attempts: .totals.attempts, listeners: .totals.listeners, outcomes: .totals.outcomes}' "$r") >"$TMP/diff"; then
    echo "- $f: halfopen's packets, SYN, SYN-ACK, RST, attempts per outcome and listeners equal $f.expected.json" >>"$CHECKS"
  else
    echo "- $f: **halfopen disagrees with $f.expected.json**: $(tr '\n' ' ' <"$TMP/diff")" >>"$CHECKS"
  fi
done
peak_open() { sed -n 's/.*peak_open=\([0-9]*\).*/\1/p' "$LOGS/flows@$1.out"; }
printf '%s\t%s\n' flood-25.pcap "$(peak_open flood-25.pcap)" flood-50.pcap "$(peak_open flood-50.pcap)" \
  flood.pcap "$(peak_open flood.pcap)" >"$TMP/open.tsv"

# ---- the table ----
{
  echo "# halfopen benchmark"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) CPU(s), $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo),"\
       "$(free -g | awk '/Mem:/ {print $2}') GB RAM; $(go version | cut -d' ' -f3);"\
       "runs: $RUNS (tshark, tcptrace: 1; tcpdump, newpacket: $SLOW_RUNS; tcpdump on floods: 1)."\
       "Load average before measuring: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg)."\
       "*others* is the share of the CPUs other processes used in the second before a measurement: where it is high, the times are inflated."
  echo "Presets: $MIX, $FLOOD (gen seed 1). packets/s and MB/s are over the uncompressed capture;"\
       "× floor divides by the floor program's time on the same capture's pcap."
  echo
  awk -F'\t' -v files="$OUT/files.tsv" -v opens="$TMP/open.tsv" -f bench/table.awk "$OUT/results.tsv"
  echo
  echo "Counts:"
  cat "$CHECKS"
  echo
  echo "Commands: halfopen-json = \`halfopen analyze --format json -o /dev/null F\`; halfopen-text = \`halfopen analyze -o /dev/null F\`;"\
       "floor/pcapgo/dlp/newpacket/flows/decompress = \`bench/floor --mode M F\`; tcpdump = \`tcpdump -nr F 'tcp[tcpflags] & tcp-syn != 0' | wc -l\`;"\
       "tcptrace = \`tcptrace -n F >/dev/null\`; tshark = \`tshark -r F -Y 'tcp.flags.syn==1 && tcp.flags.ack==0' -T fields -e frame.number | wc -l\`."
  echo "Versions: $(tshark --version 2>/dev/null | head -1); tcpdump $(tcpdump --version 2>&1 | head -1 | awk '{print $3}');"\
       "$(tcptrace -v 2>&1 | grep -o 'version [0-9.]*' | head -1 | sed 's/^/tcptrace /'); $(hyperfine --version 2>/dev/null || echo 'no hyperfine')."
} >"$OUT/results.md"
cat "$OUT/results.md"
