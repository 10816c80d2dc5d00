#!/usr/bin/env bash
# bench/scale.sh: siploc at scale: scenarios/scale/farm-10000.lua (zone_farm + send_many +
# expect_farm: one OPTIONS to each of N domains through the SUT, every query and request
# observed and checked) at N = 100, 1 000 and 10 000 domains, one at a time (-j1).
# Prints per N: the worker's wall time, the whole run's wall time (reports included), the
# worker's peak RSS, DNS queries and SIP requests per second of worker wall time, the
# events kept, wall time per domain, its growth factor against the previous N, and the
# marginal cost of each domain added since the previous N (linear growth: the marginal
# cost stays flat; fixed costs such as the SUT's start and the final settle make the
# smallest N look dearer per domain).
# Runs at rate 10 (RATE=...): the bench measures the harness, not timers, and at rate 100
# the SUT's 1 s DNS retry is 10 ms of wall time, which a loaded machine turns into failed
# lookups when the worker waits that long for a CPU.
# Usage: bench/scale.sh [N...] [-- siploc run options]   (BUILD=build, SUT=ref by default)
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
SIZES=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do SIZES+=("$1"); shift; done
[ "${1:-}" = -- ] && shift
[ ${#SIZES[@]} -eq 0 ] && SIZES=(100 1000 10000)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
printf '%-8s %9s %9s %9s %10s %10s %9s %10s %7s %13s\n' domains "worker s" "run s" "RSS MiB" \
  "queries/s" "requests/s" events "us/domain" growth "marginal us/d"
prev="" prevn=""
for n in "${SIZES[@]}"; do
  sed "s/domains = 10000/domains = $n/; s/id = \"farm-10000\"/id = \"farm-$n\"/" \
    scenarios/scale/farm-10000.lua >"$T/farm-$n.lua"
  start=$(date +%s.%N)
  "$BUILD/siploc" run -q -j1 --rate "${RATE:-10}" --timeout 1800 --sut "${SUT:-ref}" --out "$T/o$n" "$@" \
    "$T/farm-$n.lua" >"$T/o$n.log" 2>&1
  rc=$?
  end=$(date +%s.%N)
  R=$T/o$n/results.json
  if [ "$rc" -ne 0 ] || ! jq -e '.scenarios[0].verdict == "pass"' "$R" >/dev/null 2>&1; then
    echo "farm-$n did not pass (exit $rc):"; tail -5 "$T/o$n.log"; exit 1
  fi
  read -r wall rss q r ev < <(jq -r '.scenarios[0] | [.wall_s, .worker_max_rss_kb,
    ([.events[] | select(.kind == "dns")] | length),
    ([.events[] | select(.kind == "sut-request")] | length), (.events | length)] | @tsv' "$R")
  per=$(awk -v w="$wall" -v n="$n" 'BEGIN { printf "%.0f", w / n * 1e6 }')
  growth=- marg=-
  [ -n "$prev" ] && growth=$(awk -v w="$wall" -v p="$prev" 'BEGIN { printf "%.1fx", w / p }')
  [ -n "$prev" ] && marg=$(awk -v w="$wall" -v p="$prev" -v n="$n" -v m="$prevn" \
    'BEGIN { printf "%.0f", (w - p) / (n - m) * 1e6 }')
  printf '%-8s %9.2f %9.2f %9.1f %10.0f %10.0f %9s %10s %7s %13s\n' "$n" "$wall" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" \
    "$(awk -v q="$q" -v w="$wall" 'BEGIN { print q / w }')" \
    "$(awk -v q="$r" -v w="$wall" 'BEGIN { print q / w }')" "$ev" "$per" "$growth" "$marg"
  prev=$wall prevn=$n
done
