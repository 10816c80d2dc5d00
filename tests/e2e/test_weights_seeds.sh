#!/usr/bin/env bash
# expect_weights{trials=} and its false-failure rate, on the real path: the corpus's
# weights scenario (60 fresh transactions over SRV weights 10/30/60, chi-square, pass
# when p > 0.001) run against ref with 200 different --seed values. For this design the
# exact false-failure probability is 0.0013 and P(p < 0.1) is 0.109 (test_check.c
# enumerates every multinomial outcome); so over 200 seeds at most 3 failures
# (binomial: P(4 or more) = 1e-4) and 9..35 p-values below 0.1 (3 standard deviations).
# The ignore-weights mutant (uniform choice: exact power 0.973) fails nearly every seed.
# Costs ~30 s of wall time on an idle machine (4 runs at a time; each mostly waits on
# its world).
set -u
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
E2E_TMP=$(mktemp -d)
trap 'rm -rf "$E2E_TMP"' EXIT
SC=scenarios/rfc3263/4.2-address/srv-weights-distribution.lua
# The rate is measured on the plain build; under sanitizers the runs are slow and the
# point is their reports, so fewer seeds (and no rate assertion) do.
if [ "$BUILD" = build ]; then SEEDS=${WEIGHT_SEEDS:-200}; else SEEDS=${WEIGHT_SEEDS:-30}; fi

runs() { # sut first last dir
  seq "$2" "$3" | xargs -P4 -I{} sh -c \
    '"$1" run -q --sut "$2" --seed "$4" --out "$3/$4" "$5" >/dev/null 2>&1; echo $? >"$3/$4.rc"' \
    _ "$SIPLOC" "$1" "$4" {} "$SC"
}
# One line per seed: verdict of expect_weights, its p-value, the SUT's seed.
table() { # dir
  for d in "$1"/*/; do
    jq -r '.scenarios[0] | [(.checks[] | select(.check == "expect_weights") |
      .verdict, (.detail | capture("p = (?<p>[0-9.e+-]+) ").p)), .seed] | @tsv' \
      "$d/results.json" 2>/dev/null || echo "missing $d"
  done
}

mkdir -p "$E2E_TMP/ref" "$E2E_TMP/mut"
runs ref 1 "$SEEDS" "$E2E_TMP/ref"
table "$E2E_TMP/ref" >"$E2E_TMP/ref.tsv"
check "ref: $SEEDS runs, each with an expect_weights verdict and a p-value" \
  test "$(grep -c -E '^(pass|fail)	[0-9.e+-]+	[0-9]+$' "$E2E_TMP/ref.tsv")" -eq "$SEEDS"
check "ref: every run was a run (exit 0 or 1, never 2)" \
  sh -c "! grep -qv -E '^[01]$' $E2E_TMP/ref/*.rc"
check "ref: the SUT got $SEEDS different seeds" \
  test "$(cut -f3 "$E2E_TMP/ref.tsv" | sort -u | wc -l)" -eq "$SEEDS"
check "ref: the seeds make different draws (not one p-value for all)" \
  test "$(cut -f2 "$E2E_TMP/ref.tsv" | sort -u | wc -l)" -gt $((SEEDS / 10))
fails=$(grep -c '^fail' "$E2E_TMP/ref.tsv")
low=$(awk -F'\t' '$2 < 0.1' "$E2E_TMP/ref.tsv" | wc -l)
echo "  ref over $SEEDS seeds: $fails failed at p <= 0.001 (expected $(awk -v n="$SEEDS" 'BEGIN { printf "%.2f", n * 0.0013 }')), $low had p < 0.1 (expected $(awk -v n="$SEEDS" 'BEGIN { printf "%.1f", n * 0.109 }'))"
if [ "$SEEDS" -eq 200 ]; then
  check "ref: false failures within binomial(200, 0.0013): $fails <= 3" test "$fails" -le 3
  check "ref: p-values below 0.1 within binomial(200, 0.109): 9 <= $low <= 35" \
    sh -c "[ $low -ge 9 ] && [ $low -le 35 ]"
fi
# Mistakes in the call are the scenario's error, at its line, before any trial runs.
mkdir -p "$E2E_TMP/bad"
for c in "trials = 60|needs the uri" "trials = 20, uri = 'sip:pool@example.test'|expected count of 2.0" \
         "trials = 0, uri = 'sip:x@example.test'|integer from 1" "uri = 'sip:x@example.test'|goes with trials"; do
  opts=${c%%|*} want=${c#*|}
  sed "s|{ trials = 60, uri = \"sip:pool@example.test\", method = \"OPTIONS\" }|{ $opts }|" "$SC" >"$E2E_TMP/bad/w.lua"
  "$SIPLOC" run -q --out "$E2E_TMP/bad/o" "$E2E_TMP/bad/w.lua" >/dev/null 2>&1
  check "expect_weights{$opts}: error naming the line: $want" jq -e --arg w "$want" '.scenarios[0] |
    .verdict == "error" and (.reason | contains("w.lua:")) and (.reason | contains($w)) and
    ([.events[] | select(.kind == "sip-rx")] | length == 0)' "$E2E_TMP/bad/o/results.json"
done
runs mutant-ignore-weights 1 20 "$E2E_TMP/mut"
table "$E2E_TMP/mut" >"$E2E_TMP/mut.tsv"
mf=$(grep -c '^fail' "$E2E_TMP/mut.tsv")
check "ignore-weights: fails nearly every seed ($mf of 20, power 0.973)" test "$mf" -ge 17
finish
