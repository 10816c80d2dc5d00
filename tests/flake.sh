#!/usr/bin/env bash
# Flake gate: runs the whole corpus RUNS times against ref and fails if any scenario's
# verdict, or any of its checks' verdicts, differs between runs. Prints the flake rate per
# scenario. Each run uses siploc's default -j (the online CPUs), as users run it; timing
# and statistical scenarios run alone inside it. Usage: tests/flake.sh [RUNS] [siploc run
# options...]
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RUNS=${1:-20}; shift || true
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for i in $(seq "$RUNS"); do
  "$BUILD/siploc" run -q --out "$T/r$i" "$@" >"$T/r$i.log" 2>&1
  # one line per scenario: id, its verdict, then each check's name and verdict
  jq -r '.scenarios[] | [.id, .verdict, ([.checks[] | .check + "=" + .verdict] | join(","))] | @tsv' \
    "$T/r$i/results.json" | sort >"$T/v$i.tsv" || { echo "run $i wrote no results"; exit 1; }
done
flaky=0
for id in $(cut -f1 "$T/v1.tsv"); do
  distinct=$(grep -h "^$id	" "$T"/v*.tsv | sort | uniq -c | wc -l)
  if [ "$distinct" -gt 1 ]; then
    flaky=$((flaky + 1))
    echo "FLAKY $id: $(grep -h "^$id	" "$T"/v*.tsv | cut -f2 | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
    grep -h "^$id	" "$T"/v*.tsv | sort | uniq -c | sed 's/^/    /' | head -5
  fi
done
n=$(wc -l <"$T/v1.tsv")
echo "flake: $((n - flaky)) passed, $flaky failed (scenarios with identical verdicts over $RUNS runs)"
[ "$flaky" -eq 0 ]
