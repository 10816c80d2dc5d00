#!/usr/bin/env bash
# bench/suite.sh: the conformance corpus against ref at -j1 and at -j2 (and any -j given),
# RUNS times each, alternating: wall time of the run, the scenarios' SUT time, the
# compression ratio SUT time / wall time, and the speed-up of each -j over -j1.
# Usage: bench/suite.sh [RUNS] [J...]   (defaults: 3 runs, -j 1 and 2; BUILD=build)
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
RUNS=${1:-3}; shift || true
JS=("$@")
[ ${#JS[@]} -eq 0 ] && JS=(1 2)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for r in $(seq "$RUNS"); do
  for j in "${JS[@]}"; do
    "$BUILD/siploc" run -q -j "$j" --out "$T/j$j-$r" >"$T/j$j-$r.log" 2>&1 ||
      { echo "-j$j run $r: a scenario failed (load $(cut -d' ' -f1 /proc/loadavg)):"
        jq -r '.scenarios[] | select(.verdict != "pass") | "  \(.id): \(.reason)\([.checks[] | select(.verdict == "fail") | .check + ": " + .detail] | join("; "))"' \
          "$T/j$j-$r/results.json" || exit 1; }
    jq -r --arg j "$j" '[$j, .timing.wall_s, .timing.sut_s, .timing.compression] | @tsv' \
      "$T/j$j-$r/results.json" >>"$T/all.tsv"
  done
done
echo "corpus: $(jq '.scenarios | length' "$T/j${JS[0]}-1/results.json") scenarios against ref, $RUNS runs per -j, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-4s %12s %12s %12s %14s %9s\n' -j "wall s (med)" "wall s (min)" "SUT s" compression speed-up
base=""
for j in "${JS[@]}"; do
  # median and minimum wall time, mean SUT time (mawk has no sort of its own)
  read -r med min < <(awk -F'\t' -v j="$j" '$1 == j { print $2 }' "$T/all.tsv" | sort -g |
    awk '{ w[++n] = $1 } END { printf "%.2f %.2f\n", w[int((n + 1) / 2)], w[1] }')
  read -r sut comp < <(awk -F'\t' -v j="$j" -v m="$med" '$1 == j { s += $3; n++ }
    END { printf "%.1f %.0f\n", s / n, s / n / m }' "$T/all.tsv")
  [ -z "$base" ] && base=$med
  printf '%-4s %12s %12s %12s %13sx %8.2fx\n' "$j" "$med" "$min" "$sut" "$comp" \
    "$(awk -v b="$base" -v m="$med" 'BEGIN { print b / m }')"
done
