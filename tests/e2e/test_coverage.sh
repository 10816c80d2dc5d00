#!/usr/bin/env bash
# siploc coverage on fixture catalogues and scenario folders: every requirement listed
# with its scenarios; exit 1 for a requirement (Z-* aside) no scenario covers or an ID
# the catalogue lacks, 2 for a scenario that cannot be read. Not a gate on the real tree
# yet: rows are being added while scenarios are written.
set -u
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SIPLOC=$BUILD/siploc
E2E_TMP=$(mktemp -d)
trap 'rm -rf "$E2E_TMP"' EXIT
D=tests/data/coverage
COV=("$SIPLOC" coverage --catalogue "$D/catalogue.md")

expect_exit 0 "every ID covered: exit 0" "${COV[@]}" "$D/ok"
O=$E2E_TMP/last.out
check "each ID with its scenarios" grep -qE '^FO-503 +S +C +a, b$' "$O"
check "a zone duty is left to lint" grep -qE '^Z-THREE-NAPTR +D .*siploc lint' "$O"
check "the summary line counts" grep -q 'coverage: 4 requirements, 0 without a scenario (Z-\* aside), 0 unknown ID(s) in 2 scenario(s)' "$O"

expect_exit 1 "an ID no scenario covers: exit 1" "${COV[@]}" "$D/missing"
check "the uncovered ID is named" grep -qE '^SRV-DOT +M +C +MISSING: no scenario' "$O"

expect_exit 1 "a scenario naming an ID the catalogue lacks: exit 1" "${COV[@]}" "$D/unknown"
check "the unknown ID is named with its scenario and file" \
  grep -q 'UNKNOWN: b (tests/data/coverage/unknown/b.lua) covers XX-NOPE' "$O"

expect_exit 2 "a scenario that is not Lua: exit 2" "${COV[@]}" "$D/bad"
check "the bad file and line are named" grep -q 'bad/c.lua:2' "$E2E_TMP/last.err"

expect_exit 1 "--json, an uncovered ID: exit 1" "${COV[@]}" --json "$D/missing"
"${COV[@]}" --json "$D/missing" >"$E2E_TMP/c.json" 2>/dev/null
check "--json lists requirements, uncovered and unknown" jq -e '
  .requirements["TXN-ONCE"] == ["a"] and .uncovered == ["SRV-DOT"] and .unknown == []' "$E2E_TMP/c.json"
expect_exit 2 "a catalogue that does not exist: exit 2" "$SIPLOC" coverage --catalogue "$E2E_TMP/none.md" "$D/ok"

# The gate on the real tree (issue 7): every catalogue ID but Z-* (lint's) has a
# scenario, and no scenario names an ID the catalogue lacks (run rejects those too).
expect_exit 0 "the tree: every requirement has a scenario (the coverage gate)" \
  "$SIPLOC" coverage
cp "$E2E_TMP/last.out" "$E2E_TMP/tree.out"
check "the tree: no ID without a scenario" grep -q ' 0 without a scenario' "$E2E_TMP/tree.out"
check "the tree: no scenario names an unknown ID" grep -q ' 0 unknown ID(s)' "$E2E_TMP/tree.out"
grep -E 'MISSING|UNKNOWN' "$E2E_TMP/tree.out" | sed 's/^/       | /'
expect_exit 2 "siploc run still refuses an unknown ID" "$SIPLOC" run -q --out "$E2E_TMP/run" "$D/unknown/b.lua"
check "run names the unknown ID" grep -q "unknown requirement 'XX-NOPE'" "$E2E_TMP/last.err"
finish
