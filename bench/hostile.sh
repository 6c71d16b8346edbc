#!/usr/bin/env bash
# hostile.sh — the memory-budget benchmarks of issue 12: halfopen on the
# captures a bad day brings, with its default budget, each timed under
# /usr/bin/time -v. Prints per capture: wall time, CPU, peak RSS, JSON
# report size and what the report says of the attempts.
#
#   bench/hostile.sh [--reuse]     # captures go to bench/out/ (large: delete after)
#
#   flood-9m     9 M spoofed SYNs at 1 M/s from 4 M sources (+2 k real clients)
#   scan-150k    150 k ports scanned by one source (+2 k real clients)
#   far-future   mixed-small with one SYN stamped 2100 first in the file
set -euo pipefail
REUSE=0
[ "${1:-}" = --reuse ] && REUSE=1
cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"
go build -o "$OUT/halfopen" ./cmd/halfopen
go build -o "$OUT/gen" ./bench/gen
command -v /usr/bin/time >/dev/null || { echo "hostile.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

printf '%-12s %10s %8s %8s %10s  %s\n' capture wall_s cpu_s rss_MB json_MB "report"
for preset in flood-9m scan-150k far-future; do
  f=$OUT/$preset.pcap.gz
  if [ $REUSE = 0 ] || [ ! -s "$f" ]; then
    "$OUT/gen" --preset "$preset" --compress gzip -o "$f" >/dev/null
  fi
  /usr/bin/time -v -o "$OUT/$preset.time" "$OUT/halfopen" analyze --format json -o "$OUT/$preset.json" "$f" || true
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$OUT/$preset.time")
  cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u+s}' "$OUT/$preset.time")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$OUT/$preset.time")
  size=$(awk -v b="$(stat -c %s "$OUT/$preset.json")" 'BEGIN {printf "%.2f", b/1048576}')
  summary=$(python3 - "$OUT/$preset.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["totals"]
c = r["captures"][0]
u = (c.get("untracked") or {}).get("syns", 0)
print(f'attempts {t["attempts"]}, flood {t["flood_attempts"]}, scan {t["scan_attempts"]}, untracked {u}, '
      f'listeners {t["listeners"]} ({t["listeners_omitted"]} omitted), failing {t["failing_listeners"]}, scans {len(c["scans"])}')
PY
)
  printf '%-12s %10s %8s %8s %10s  %s\n' "$preset" "$wall" "$cpu" "$rss" "$size" "$summary"
done
